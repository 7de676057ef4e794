// JSON import files, read as a stream (stream-json) so that large arrays never sit in memory as text:
// - a JSON array of records, or of API pages ({count, results}) concatenated into an array;
// - an API page or envelope ({count, next, previous, results}, {items, total, page, …});
// - several documents one after the other (pages appended to one file);
// - JSON lines: one record per line; a line that is not valid JSON is reported and the file goes on.
// Records are numbered as a person counts them: position in the file from 1 (array index + 1 for a
// plain array), or the line number for JSON lines.
import readline from 'node:readline';
import Assembler from 'stream-json/assembler.js';
import { parser } from 'stream-json';
import { verifyFile } from 'stream-json/file/verifier.js';
import { AppError } from '../../../core/errors.ts';
import type { StructureInput } from '../model.ts';
import type { ImportLine } from '../service.ts';
import { isRecord, type JsonRecord, toLine } from './fields.ts';
import { openUtf8, readHead } from './utf8.ts';

export type JsonItem = { line: number; value: unknown } | { line: number; error: { code: string; reason: string } };

export interface JsonShape {
  /** Name of the format, for messages ("les emplois de l’inclusion"). */
  label: string;
  /** Keys of an envelope object that hold the records. */
  envelopeKeys: string[];
  /** Does this object look like one record of the format (keys it always has)? */
  looksLikeRecord: (o: JsonRecord) => boolean;
}

function envelopeRecords(o: JsonRecord, shape: JsonShape): unknown[] | null {
  for (const k of shape.envelopeKeys) if (Array.isArray(o[k])) return o[k] as unknown[];
  return null;
}

function unknownEnvelope(value: unknown, shape: JsonShape): AppError {
  const what = isRecord(value)
    ? `un objet avec les clés ${Object.keys(value).slice(0, 8).map((k) => `« ${k} »`).join(', ') || '(aucune)'}`
    : Array.isArray(value)
      ? 'une liste imbriquée'
      : `la valeur ${JSON.stringify(value)}`;
  return new AppError(
    'UNKNOWN_ENVELOPE',
    `Contenu non reconnu pour le format ${shape.label} : le fichier contient ${what}. ` +
      `Attendu : une liste d’enregistrements, ou un objet avec ${shape.envelopeKeys.map((k) => `« ${k} »`).join(' ou ')}.`,
  );
}

const notAnObject = (line: number, value: unknown): JsonItem => ({
  line,
  error: { code: 'INVALID_RECORD', reason: `l’enregistrement n’est pas un objet JSON (reçu : ${JSON.stringify(value)?.slice(0, 40)})` },
});

/** Decides from the first lines whether the file is JSON lines (one record per line). */
async function isJsonLines(file: string, shape: JsonShape): Promise<boolean> {
  const head = await readHead(file);
  const lines = head.text.split('\n');
  if (!head.complete) lines.pop(); // the last one may be cut
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0 || !lines[first].trimStart().startsWith('{')) return false;
  const parsesAsRecord = (l: string) => {
    try {
      const v = JSON.parse(l);
      return isRecord(v) && !envelopeRecords(v, shape) && shape.looksLikeRecord(v);
    } catch {
      return false;
    }
  };
  if (parsesAsRecord(lines[first])) return true;
  // A broken first record, but the next lines are records: still JSON lines.
  if (lines[first].trim() === '{') return false;
  return lines.slice(first + 1, first + 6).some((l) => l.trim() !== '' && parsesAsRecord(l));
}

async function* readJsonLines(file: string): AsyncGenerator<JsonItem> {
  const rl = readline.createInterface({ input: openUtf8(file), crlfDelay: Infinity });
  let n = 0;
  for await (const raw of rl) {
    n++;
    const l = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (l.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(l);
    } catch (err) {
      const pos = /position (\d+)/.exec((err as Error).message);
      const where = pos ? ` (erreur de syntaxe au caractère ${Number(pos[1]) + 1})` : '';
      yield { line: n, error: { code: 'INVALID_JSON', reason: `ligne JSON illisible${where}` } };
      continue;
    }
    yield isRecord(value) ? { line: n, value } : notAnObject(n, value);
  }
}

async function* readJsonDocuments(file: string, shape: JsonShape): AsyncGenerator<JsonItem> {
  const bytes = openUtf8(file);
  const tokens = bytes.pipe(parser.asStream({ jsonStreaming: true, streamValues: false }));
  bytes.on('error', (err) => tokens.destroy(err));
  let n = 0;
  let inTopArray = false;
  let asm: Assembler | null = null;
  let documents = 0;
  const items: JsonItem[] = [];
  // A value found at the top level, or as an element of a top-level array.
  const take = (value: unknown, inArray: boolean) => {
    if (isRecord(value)) {
      const records = envelopeRecords(value, shape);
      if (records) {
        for (const r of records) items.push(isRecord(r) ? { line: ++n, value: r } : notAnObject(++n, r));
        return;
      }
      if (inArray || shape.looksLikeRecord(value)) {
        items.push({ line: ++n, value });
        return;
      }
    } else if (inArray) {
      items.push(notAnObject(++n, value));
      return;
    }
    throw unknownEnvelope(value, shape);
  };
  try {
    for await (const tok of tokens as AsyncIterable<{ name: string; value?: unknown }>) {
      if (!asm) {
        if (!inTopArray && tok.name === 'startArray') {
          inTopArray = true;
          documents++;
          continue;
        }
        if (inTopArray && tok.name === 'endArray') {
          inTopArray = false;
          continue;
        }
        asm = new Assembler();
      }
      asm.consume(tok as never);
      if (asm.done) {
        if (!inTopArray) documents++;
        take(asm.current, inTopArray);
        asm = null;
        yield* items.splice(0);
      }
    }
  } catch (err) {
    tokens.destroy();
    bytes.destroy();
    if (err instanceof AppError) throw err;
    throw new AppError('INVALID_JSON', `Le fichier n’est pas un JSON valide${await wherePosition(file)}.`);
  }
  if (documents === 0) throw new AppError('INVALID_JSON', 'Le fichier est vide : aucun contenu JSON.');
}

/** Where a JSON document is broken, as " (ligne 3, colonne 12)" (stream-json's verifier). */
async function wherePosition(file: string): Promise<string> {
  try {
    await verifyFile(file, { jsonStreaming: true });
    return '';
  } catch (err) {
    const e = err as { line?: number; pos?: number };
    return e.line ? ` (erreur de syntaxe ligne ${e.line}, colonne ${e.pos})` : '';
  }
}

/** Every record of a JSON import file, in order; throws an AppError when the whole file is unusable. */
export async function* readJsonRecords(file: string, shape: JsonShape): AsyncGenerator<JsonItem> {
  if (await isJsonLines(file, shape)) yield* readJsonLines(file);
  else yield* readJsonDocuments(file, shape);
}

/** Reads the records of a JSON file of structures into import lines, one reader function per format. */
export async function readJsonStructures(file: string, shape: JsonShape, toInput: (r: JsonRecord) => StructureInput): Promise<ImportLine[]> {
  const lines: ImportLine[] = [];
  for await (const item of readJsonRecords(file, shape)) {
    if ('error' in item) lines.push(item);
    else {
      const r = item.value as JsonRecord;
      lines.push(toLine(item.line, () => toInput(r), r.siret));
    }
  }
  return lines;
}
