// DECP (données essentielles de la commande publique), format 2024 (schema 2.0.x, 139bercy/format-commande-
// publique), read as a stream: the text is read chunk by chunk and each record (one marché or one contrat de
// concession) is delimited and parsed alone by JSON.parse (FastDecp, json-scan.ts), so a 1 GB file never sits
// in memory. When that path meets something it does not expect (NaN, a syntax error…), the second pass below
// reads the file again with stream-json's tokenizer (DecpTokens, the same roles).
//
// Envelopes read:
//   {"marches": {"marche": […], "contrat-concession": […]}}   the official 2.0.x envelope
//   {"marches": […]}  and  […]                                  what real publishers emit (kind told by the record)
//   {"marche": […]} / {"contrat-concession": […]}               without the outer key
//   one record per line (JSON lines), or several documents one after the other
// A single object where a list is expected is read as a list of one (XML converted to JSON does that).
// A top-level object is a record when its first key is one of a record (id, acheteur, objet…), an envelope
// otherwise; unknown keys of an envelope are skipped without being assembled.
//
// Records are read leniently (research notes §3.2): flat arrays ("considerationsSociales": [...],
// titulaires: [{typeIdentifiant, id}]) as well as the 2.0.x wrappers ({"considerationSociale": [...]},
// titulaires: [{"titulaire": {...}}]), numbers where strings are expected, nulls, out-of-range amounts,
// and the NaN / Infinity literals that Python tools write (read as null).
//
// One record → one Notice of nature 'award' (a DECP record is a notified contract; its modifications are
// appended to the same record and kept in `raw`). Identifier: `${buyer SIRET}-${id}` (the national unique
// key is buyer SIRET + id; for a concession the buyer is the autoriteConcedante).
//
// Positions: "marché N" / "concession N", N counted from 1 in the list the record is in (for a plain list
// mixing both, N is the place in that list; for JSON lines, the place among top-level records).
// A broken file gives one NOTICE_JSON_INVALID item whose position is "ligne L, colonne C" and reading stops
// there, after every record complete before that point has been given (once). The first pass (the fast
// path) reads the text as it is; only when it fails is the file read again, NaN-tolerant and checked by
// stream-json's verifier (the column is counted after NaN became null). Other file-level items: NOTICE_FILE_UNREADABLE,
// NOTICE_FORMAT_UNSUPPORTED (XML), NOTICE_ENVELOPE_UNKNOWN (JSON without DECP records).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import Assembler from 'stream-json/assembler.js';
import { jsonParser } from 'stream-json/core/parser.js';
import { jsonVerifier } from 'stream-json/core/utils/verifier.js';
import { normalize } from '../../../core/text.ts';
import { JsonAnomaly, JsonText } from './json-scan.ts';
import { addCommune, addDepartement, addPostcode, normaliseDepartement } from './places.ts';
import { calendarDay } from './xml-tree.ts';
import { emptyPlaces, type AwardHolder, type Finding, type FindingKind, type Notice, type NoticePlaces, type ReadItem } from '../model.ts';

type Json = Record<string, unknown>;
type Token = { name: string; value?: unknown };
type Kind = 'marche' | 'concession';

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------------
// Streaming

/**
 * Replaces the non-finite literals NaN, Infinity and -Infinity (outside strings) by null, chunk by chunk.
 * Strings are skipped with native regular expressions; a literal or an escape cut by the end of a chunk is
 * carried over to the next one.
 */
export class NonFiniteToNull {
  private inString = false;
  private carry = '';

  push(chunk: string, last = false): string {
    const text = this.carry + chunk;
    this.carry = '';
    const out: string[] = [];
    let from = 0; // start of the text not yet copied to out
    let i = 0;
    const stringEnd = /(?:[^"\\]|\\[\s\S])*"/y;
    const stringBody = /(?:[^"\\]|\\[\s\S])*/y;
    const special = /["NI]/g;
    while (i < text.length) {
      if (this.inString) {
        stringEnd.lastIndex = i;
        if (stringEnd.exec(text)) {
          i = stringEnd.lastIndex;
          this.inString = false;
          continue;
        }
        stringBody.lastIndex = i;
        stringBody.exec(text);
        const j = stringBody.lastIndex; // at the end, or on a backslash that ends the chunk
        if (j < text.length && !last) {
          out.push(text.slice(from, j));
          this.carry = text.slice(j);
          return out.join('');
        }
        i = text.length;
        break;
      }
      special.lastIndex = i;
      const m = special.exec(text);
      if (!m) {
        i = text.length;
        // a '-' that ends the chunk may start -Infinity
        if (!last && text.endsWith('-')) {
          out.push(text.slice(from, text.length - 1));
          this.carry = '-';
          return out.join('');
        }
        break;
      }
      const k = m.index;
      if (m[0] === '"') {
        this.inString = true;
        i = k + 1;
        continue;
      }
      const literal = m[0] === 'N' ? 'NaN' : 'Infinity';
      const start = m[0] === 'I' && k > from && text[k - 1] === '-' ? k - 1 : k;
      const rest = text.slice(k, k + literal.length);
      if (rest.length < literal.length && literal.startsWith(rest) && !last) {
        out.push(text.slice(from, start));
        this.carry = text.slice(start);
        return out.join('');
      }
      if (rest === literal && !/[A-Za-z0-9_]/.test(text[k + literal.length] ?? '')) {
        out.push(text.slice(from, start), 'null');
        from = i = k + literal.length;
        continue;
      }
      i = k + 1; // not a literal we know: left as is, the parser will say where
    }
    out.push(text.slice(from));
    return out.join('');
  }
}

/** Reads a text file chunk by chunk, decoded as UTF-8, without its byte-order mark; `lenient`: NaN/Infinity made null. */
async function* textChunks(file: string, lenient: boolean): AsyncGenerator<string> {
  const sanitizer = lenient ? new NonFiniteToNull() : null;
  let first = true;
  for await (const raw of fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 })) {
    let chunk = raw as string;
    if (first) {
      chunk = chunk.replace(/^\uFEFF/, '');
      first = false;
    }
    const text = sanitizer ? sanitizer.push(chunk) : chunk;
    if (text) yield text;
  }
  const tail = sanitizer?.push('', true);
  if (tail) yield tail;
}

/** stream-chain's `none`, a registered symbol: given to a flushable stage, it means "end of input". */
const NONE = Symbol.for('object-stream.none');
/** The parser returns `none` or `many(tokens)` ({values: tokens}). */
const isMany = (r: unknown): r is { values: Token[] } => typeof r === 'object' && r !== null && Array.isArray((r as { values?: unknown }).values);

/** A container being read outside records: what it holds decides what its values are. */
type Role = 'root' | 'root-pending' | 'marches' | 'list-auto' | 'list-marche' | 'list-concession' | 'skip';
type RecordRole = 'record' | 'record-marche' | 'record-concession';
interface Frame {
  role: Role;
  isArray: boolean;
  key: string | null;
  index: number;
}

/** The role of the value that starts under `parent` (null: top level). */
function roleOf(parent: Frame | null, startsArray: boolean): Role | RecordRole {
  if (!parent) return startsArray ? 'list-auto' : 'root-pending';
  switch (parent.role) {
    case 'list-auto':
      return 'record';
    case 'list-marche':
      return 'record-marche';
    case 'list-concession':
      return 'record-concession';
    case 'root':
    case 'marches': {
      const key = parent.key;
      if (parent.role === 'root' && key === 'marches') return startsArray ? 'list-auto' : 'marches';
      if (key === 'marche') return startsArray ? 'list-marche' : 'record-marche';
      if (key === 'contrat-concession') return startsArray ? 'list-concession' : 'record-concession';
      return 'skip';
    }
    default:
      return 'skip';
  }
}

/** First keys that make a top-level object one record rather than an envelope. */
const RECORD_KEYS = new Set(['id', 'uid', '_type', 'acheteur', 'autoriteConcedante', 'objet', 'nature', 'codeCPV']);

/**
 * Reads text with stream-json's tokenizer and turns records into items as soon as each is complete.
 * `skip`: how many records to drop first (the second pass over a broken file gave them already).
 */
class DecpTokens {
  readonly items: ReadItem[] = [];
  records = 0;
  sawValue = false;
  foundContainer = false;
  readonly rootKeys: string[] = [];
  private readonly parse = jsonParser({ streamValues: false, jsonStreaming: true }) as unknown as (chunk: unknown) => unknown;
  private readonly stack: Frame[] = [];
  private asm: Assembler | null = null;
  private asmRole: RecordRole = 'record';
  private asmIndex = 0;
  /** Records found at the top level (one per line in JSON lines). */
  private rootRecords = 0;

  constructor(private readonly skip = 0) {}

  /** Text of the file, in order; NONE at the end. Throws where the JSON is broken. */
  push(text: string | typeof NONE): void {
    const r = this.parse(text);
    if (isMany(r)) for (const t of r.values) this.token(t);
  }

  private emit(value: unknown, role: RecordRole, index: number) {
    this.records++;
    if (this.records <= this.skip) return;
    this.items.push(readRecord(value, role === 'record-marche' ? 'marche' : role === 'record-concession' ? 'concession' : null, index));
  }

  private token(t: Token) {
    if (this.asm) {
      this.asm.consume(t as never);
      if (this.asm.done) {
        const value = this.asm.current;
        this.asm = null;
        this.emit(value, this.asmRole, this.asmIndex);
      }
      return;
    }
    const stack = this.stack;
    const top = stack.length ? stack[stack.length - 1] : null;
    if (top?.role === 'skip') {
      if (t.name === 'startObject' || t.name === 'startArray') stack.push({ role: 'skip', isArray: false, key: null, index: 0 });
      else if (t.name === 'endObject' || t.name === 'endArray') stack.pop();
      return;
    }
    if (t.name === 'keyValue' && top?.role === 'root-pending') {
      // A top-level object: an envelope, or one record (JSON lines, concatenated records), told by its first key.
      if (RECORD_KEYS.has(t.value as string)) {
        stack.pop();
        this.foundContainer = true;
        this.asm = new Assembler();
        this.asmRole = 'record';
        this.asmIndex = ++this.rootRecords;
        this.asm.consume({ name: 'startObject' } as never);
        this.asm.consume(t as never);
        return;
      }
      top.role = 'root';
    }
    if (t.name === 'keyValue') {
      if (top) top.key = t.value as string;
      if (top?.role === 'root' && this.rootKeys.length < 8) this.rootKeys.push(t.value as string);
      return;
    }
    if (t.name === 'endObject' || t.name === 'endArray') {
      stack.pop();
      return;
    }
    // a value starts
    this.sawValue = true;
    const starts = t.name === 'startObject' || t.name === 'startArray';
    const role = roleOf(top, t.name === 'startArray');
    if (top?.isArray) top.index++;
    if (role === 'record' || role === 'record-marche' || role === 'record-concession') {
      this.foundContainer = true;
      const index = top?.isArray ? top.index : 1;
      if (!starts) return this.emit(t.value ?? null, role, index);
      this.asm = new Assembler();
      this.asmRole = role;
      this.asmIndex = index;
      this.asm.consume(t as never);
      return;
    }
    if (!starts) return; // a scalar outside records: ignored
    if (role === 'list-auto' || role === 'list-marche' || role === 'list-concession') this.foundContainer = true;
    stack.push({ role, isArray: t.name === 'startArray', key: null, index: 0 });
  }
}

/** A container being read by the fast path: its role, and where it is (array: before or after an element; object: member). */
interface FastFrame {
  role: Role;
  isArray: boolean;
  key: string | null;
  index: number;
  phase: 'start' | 'next' | 'colon' | 'value' | 'after';
}

/** The first key of an object starting at the cursor ("{" then the key and its closing quote). */
const FIRST_KEY = /\{[ \t\n\r]*"((?:[^"\\]|\\[\s\S])*)"/y;

/**
 * The fast path of DecpTokens: the same roles, records and counts, with each record delimited in the text
 * and parsed by JSON.parse (values outside records are parsed too, so that the JSON is checked in full).
 * Throws JsonAnomaly at anything unexpected (NaN, a syntax error, the end of the text inside a value):
 * the reader then goes on with its careful second pass.
 */
class FastDecp {
  readonly items: ReadItem[] = [];
  records = 0;
  sawValue = false;
  foundContainer = false;
  readonly rootKeys: string[] = [];
  private readonly stack: FastFrame[] = [];
  private rootRecords = 0;

  private emit(value: unknown, role: RecordRole, index: number) {
    this.records++;
    this.items.push(readRecord(value, role === 'record-marche' ? 'marche' : role === 'record-concession' ? 'concession' : null, index));
  }

  /** A record value: parsed; a number is given as its text, as the tokenizer gives it. */
  private record(t: JsonText, span: [number, number]): unknown {
    const value = t.parse(span);
    return typeof value === 'number' ? t.buf.slice(span[0], span[1]) : value;
  }

  /** Reads as far as the text goes. */
  read(t: JsonText): void {
    for (;;) {
      const top = this.stack.length ? this.stack[this.stack.length - 1] : null;
      if (!top) {
        const c = t.peek();
        if (c === '') return;
        this.sawValue = true;
        if (c === '[') {
          t.pos++;
          this.foundContainer = true;
          this.stack.push({ role: 'list-auto', isArray: true, key: null, index: 0, phase: 'start' });
        } else if (c === '{') {
          // A top-level object: one record when its first key is one of a record's, an envelope otherwise.
          FIRST_KEY.lastIndex = t.pos;
          const m = FIRST_KEY.exec(t.buf);
          if (!m) {
            if (/^\{[ \t\n\r]*\}/.test(t.buf.slice(t.pos, t.pos + 64))) {
              t.pos = t.buf.indexOf('}', t.pos) + 1; // {}: nothing
              continue;
            }
            if (!t.final && !/^\{[ \t\n\r]*[^ \t\n\r"}]/.test(t.buf.slice(t.pos, t.pos + 64))) return; // the key goes on in the next chunk
            throw new JsonAnomaly('expected a key');
          }
          if (RECORD_KEYS.has(JSON.parse(`"${m[1]}"`) as string)) {
            const span = t.value();
            if (!span) return;
            this.foundContainer = true;
            this.emit(this.record(t, span), 'record', ++this.rootRecords);
            continue;
          }
          t.pos++;
          this.stack.push({ role: 'root', isArray: false, key: null, index: 0, phase: 'start' });
        } else {
          const span = t.value(); // a scalar outside records: checked, ignored
          if (!span) return;
          t.parse(span);
        }
        continue;
      }
      if (top.isArray) {
        if (top.phase !== 'next') {
          const c = t.peek();
          if (c === '') return;
          if (c === ']') {
            t.pos++;
            this.stack.pop();
            this.afterValue();
            continue;
          }
          if (top.phase === 'after') {
            if (c !== ',') throw new JsonAnomaly('expected , or ]');
            t.pos++;
          }
          top.phase = 'next';
        }
        if (!this.valueIn(t, top)) return;
        continue;
      }
      switch (top.phase) {
        case 'start':
        case 'next': {
          const c = t.peek();
          if (c === '') return;
          if (c === '}' && top.phase === 'start') {
            t.pos++;
            this.stack.pop();
            this.afterValue();
            continue;
          }
          if (c !== '"') throw new JsonAnomaly('expected a key');
          const span = t.value();
          if (!span) return;
          const key = t.parse(span) as string;
          top.key = key;
          if (top.role === 'root' && this.rootKeys.length < 8) this.rootKeys.push(key);
          top.phase = 'colon';
          continue;
        }
        case 'colon':
          if (!t.expect(':')) return;
          top.phase = 'value';
          continue;
        case 'value':
          if (!this.valueIn(t, top)) return;
          continue;
        case 'after': {
          const c = t.peek();
          if (c === '') return;
          if (c === '}') {
            t.pos++;
            this.stack.pop();
            this.afterValue();
          } else if (c === ',') [t.pos, top.phase] = [t.pos + 1, 'next'];
          else throw new JsonAnomaly('expected , or }');
        }
      }
    }
  }

  /** The container that held the value just read moves past it. */
  private afterValue() {
    const parent = this.stack[this.stack.length - 1];
    if (parent) parent.phase = 'after';
  }

  /** A value inside `frame` (an element or a member's value); false when more text is needed. */
  private valueIn(t: JsonText, frame: FastFrame): boolean {
    const c = t.peek();
    if (c === '') return false;
    const starts = c === '{' || c === '[';
    const role = roleOf(frame, c === '[');
    if (role === 'record' || role === 'record-marche' || role === 'record-concession') {
      let value: unknown;
      if (starts) {
        const next = t.parsedValue();
        if (!next) return false;
        value = next.value;
      } else {
        const span = t.value();
        if (!span) return false;
        value = this.record(t, span);
      }
      this.sawValue = true;
      this.foundContainer = true;
      if (frame.isArray) frame.index++;
      this.emit(value, role, frame.isArray ? frame.index : 1);
      frame.phase = 'after';
      return true;
    }
    if (!starts || role === 'skip' || role === 'root' || role === 'root-pending') {
      const span = t.value(); // not read, but checked
      if (!span) return false;
      this.sawValue = true;
      if (frame.isArray) frame.index++;
      t.parse(span);
      frame.phase = 'after';
      return true;
    }
    this.sawValue = true;
    if (frame.isArray) frame.index++;
    if (role === 'list-auto' || role === 'list-marche' || role === 'list-concession') this.foundContainer = true;
    t.pos++;
    frame.phase = 'after'; // once the container ends
    this.stack.push({ role, isArray: c === '[', key: null, index: 0, phase: 'start' });
    return true;
  }

  /** At the end of the text: nothing may be left open. */
  finish(): void {
    if (this.stack.length) throw new JsonAnomaly('end of text inside the document');
  }
}

/**
 * Second pass over a file the tokenizer stopped in. The first pass reads the text as it is (fast); this one
 * reads it again with NaN / Infinity made null (what Python tools write) and checks it with stream-json's
 * verifier. If these literals were the only trouble, it goes on to the end; otherwise the verifier tells
 * where the JSON breaks (line, column, offset) and the records completed before that point are given.
 * `reader` skips the records the first pass gave (the tokenizer drops the tokens of the chunk it fails in).
 * Returns where the file breaks, or null when it has been read to the end.
 */
async function* secondPass(file: string, reader: DecpTokens): AsyncGenerator<ReadItem, { line: number; column: number } | 'end' | null> {
  const verify = jsonVerifier({ jsonStreaming: true }) as unknown as (chunk: unknown) => unknown;
  let offset = 0;
  const where = (err: unknown) => {
    const e = err as { line?: number; pos?: number };
    return typeof e.line === 'number' ? { line: e.line, column: e.pos ?? 1 } : ('end' as const);
  };
  for await (const text of textChunks(file, true)) {
    try {
      verify(text);
    } catch (err) {
      const e = err as { offset?: number };
      if (typeof e.offset === 'number') reader.push(text.slice(0, Math.max(0, e.offset - offset)));
      yield* reader.items.splice(0);
      return where(err);
    }
    reader.push(text);
    yield* reader.items.splice(0);
    offset += text.length;
  }
  try {
    verify(NONE);
  } catch (err) {
    return where(err); // truncated: what was complete has been given
  }
  reader.push(NONE);
  yield* reader.items.splice(0);
  return null;
}

/**
 * Every record of a DECP file, in order: a notice, or the reason a record could not be read. Never
 * throws for the content of the file: a file that cannot be opened or is not JSON gives one error item.
 */
export async function* readDecp(file: string): AsyncGenerator<ReadItem> {
  let reader: FastDecp | DecpTokens = new FastDecp();
  const fast = reader;
  const text = new JsonText();
  let sawText = false;
  try {
    for await (const chunk of textChunks(file, false)) {
      if (!sawText && /\S/.test(chunk)) {
        sawText = true;
        if (chunk.trimStart().startsWith('<')) {
          yield {
            ok: false,
            position: 'fichier',
            code: 'NOTICE_FORMAT_UNSUPPORTED',
            message: 'Ce fichier est en XML : seules les données essentielles au format JSON (DECP 2024) sont lues. Téléchargez la version JSON du jeu de données.',
          };
          return;
        }
      }
      text.append(chunk);
      fast.read(text);
      yield* fast.items.splice(0);
    }
    text.final = true;
    fast.read(text);
    yield* fast.items.splice(0);
    fast.finish();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      const why = code === 'ENOENT' ? 'fichier introuvable' : code === 'EISDIR' ? 'c’est un dossier' : code === 'EACCES' ? 'accès refusé' : `erreur ${code}`;
      yield { ok: false, position: 'fichier', code: 'NOTICE_FILE_UNREADABLE', message: `Impossible de lire « ${file} » : ${why}.` };
      return;
    }
    if (!sawText) {
      yield { ok: false, position: 'fichier', code: 'NOTICE_JSON_INVALID', message: 'Le fichier est vide : aucune donnée essentielle lue.' };
      return;
    }
    yield* fast.items.splice(0); // records read before the break
    const again = new DecpTokens(reader.records);
    const second = secondPass(file, again);
    let step = await second.next();
    let records = reader.records;
    while (!step.done) {
      records++;
      yield step.value;
      step = await second.next();
    }
    const at = step.value;
    if (at) {
      const position = at === 'end' ? 'fin du fichier' : `ligne ${at.line}, colonne ${at.column}`;
      const read = `${records} enregistrement${records > 1 ? 's' : ''} lu${records > 1 ? 's' : ''} avant`;
      const what = at === 'end' ? 'le fichier est tronqué' : `erreur de syntaxe ${position}`;
      yield { ok: false, position, code: 'NOTICE_JSON_INVALID', message: `Le fichier n’est pas un JSON valide (${what}) : la lecture s’arrête là, ${read}.` };
      return;
    }
    reader = again; // read to the end by the second pass: its reader says what the file held
  }
  if (!reader.sawValue) {
    yield { ok: false, position: 'fichier', code: 'NOTICE_JSON_INVALID', message: 'Le fichier est vide : aucune donnée essentielle lue.' };
    return;
  }
  if (!reader.foundContainer) {
    const keys = reader.rootKeys;
    const what = keys.length ? `un objet avec les clés ${keys.map((k) => `« ${k} »`).join(', ')}` : 'aucune liste de marchés';
    yield {
      ok: false,
      position: 'fichier',
      code: 'NOTICE_ENVELOPE_UNKNOWN',
      message:
        `Ce fichier ne ressemble pas à des données essentielles (DECP 2024) : il contient ${what}. ` +
        'Attendu : {"marches": {"marche": […], "contrat-concession": […]}}, {"marches": […]} ou une liste de marchés.',
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// One record

const KIND_LABEL: Record<Kind, string> = { marche: 'marché', concession: 'concession' };

function kindOf(r: Json): Kind {
  const type = typeof r._type === 'string' ? normalize(r._type) : '';
  if (type.includes('concession')) return 'concession';
  if (type.includes('marche')) return 'marche';
  return r.autoriteConcedante !== undefined && r.acheteur === undefined ? 'concession' : 'marche';
}

function describe(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** A record (already assembled) into a notice or the reason it cannot be read. `kind` null: told by the record. */
export function readRecord(value: unknown, kind: Kind | null, index: number): ReadItem {
  if (!isObject(value)) {
    const position = `${KIND_LABEL[kind ?? 'marche']} ${index}`;
    return { ok: false, position, code: 'NOTICE_NOT_AN_OBJECT', message: `${position} : l’enregistrement n’est pas un objet JSON (reçu : ${describe(value)}).` };
  }
  const k = kind ?? kindOf(value);
  const position = `${KIND_LABEL[k]} ${index}`;
  const id = identifier(value.id);
  if (!id) {
    return { ok: false, position, code: 'NOTICE_ID_MISSING', message: `${position} : identifiant (« id ») absent ou vide ; l’enregistrement est ignoré.` };
  }
  const buyerField = k === 'concession' ? 'autoriteConcedante' : 'acheteur';
  const buyer = isObject(value[buyerField]) ? (value[buyerField] as Json) : isObject(value.acheteur) ? (value.acheteur as Json) : null;
  const buyerId = identifier(buyer?.id, 14);
  if (!buyerId) {
    return {
      ok: false,
      position,
      code: 'NOTICE_BUYER_MISSING',
      message: `${position} (id « ${id} ») : identifiant de ${k === 'concession' ? 'l’autorité concédante (« autoriteConcedante.id »)' : 'l’acheteur (« acheteur.id »)'} absent ; sans lui l’identifiant national (SIRET + id) ne peut être formé.`,
    };
  }
  return { ok: true, position, notice: toNotice(value, k, id, buyerId, buyer) };
}

function toNotice(r: Json, kind: Kind, id: string, buyerId: string, buyer: Json | null): Notice {
  const title = text(r.objet) ?? '';
  const amount = money(kind === 'concession' ? r.valeurGlobale : r.montant);
  const holders = kind === 'concession' ? readHolders(r.concessionnaires, 'concessionnaire') : readHolders(r.titulaires, 'titulaire');
  const date = isoDate(kind === 'concession' ? r.dateSignature : r.dateNotification);
  return {
    source: 'decp',
    sourceId: `${buyerId}-${id}`,
    url: null,
    buyer: { name: text(buyer?.nom) ?? text(buyer?.denominationSociale) ?? null, siret: /^\d{14}$/.test(buyerId) ? buyerId : null },
    title,
    description: null,
    procedure: text(r.procedure),
    nature: 'award',
    cpv: cpvCode(r.codeCPV),
    places: readPlaces(r.lieuExecution),
    publishedAt: isoDate(r.datePublicationDonnees),
    deadline: null,
    amount,
    lots: [],
    awards: [{ lot: null, holders, amount, date }],
    fieldFindings: [...considerations(r, 'considerationsSociales', 'considerationSociale'), ...considerations(r, 'considerationsEnvironnementales', 'considerationEnvironnementale')],
    texts: title ? [{ path: 'objet', lot: null, text: title }] : [],
    raw: r,
  };
}

// ---------------------------------------------------------------------------------------------------
// Fields

function text(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return null;
  const s = /[\t\n\r\f\v\u00a0]| {2}/.test(v) ? v.replace(/\s+/g, ' ').trim() : v.trim();
  return s === '' ? null : s;
}

/** An identifier written as a string or a number; a number of `width - 1` digits gets its lost leading zero back. */
function identifier(v: unknown, width?: number): string | null {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
    const s = String(v);
    return width && s.length === width - 1 ? `0${s}` : s;
  }
  if (typeof v !== 'string') return null;
  const s = v.trim();
  if (s === '') return null;
  return width && /^[\d\s]+$/.test(s) ? s.replace(/\s+/g, '') : s;
}

/** Largest amount taken as real: DECP holds placeholders such as 1e17 (research notes §3.2). */
const MAX_AMOUNT = 1e11;

/** Amount in euros: a number or a numeric string ("1 234,5"); 0, negative, absurd or unreadable → null. */
function money(v: unknown): number | null {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\s*-?[\d\s\u00a0\u202f]+([.,]\d+)?\s*$/.test(v)) n = Number(v.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.'));
  else return null;
  return Number.isFinite(n) && n > 0 && n <= MAX_AMOUNT ? n : null;
}

/** YYYY-MM-DD from an ISO date or timestamp, or from DD/MM/YYYY; null when it is not a real date. */
function isoDate(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const s = v.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(s);
  let [y, mo, d] = m ? [m[1], m[2], m[3]] : ['', '', ''];
  if (!m) {
    m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(s);
    if (!m) return null;
    [d, mo, y] = [m[1], m[2], m[3]];
  }
  return calendarDay(y, mo, d);
}

/** The 8 digits of a CPV code ("45000000-7", "45000000", a number that lost its leading zero). */
function cpvCode(v: unknown): string[] {
  let s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : typeof v === 'string' ? v.trim() : '';
  const m = /^(\d{7,8})(?:\s*-\s*\d)?$/.exec(s);
  if (!m) return [];
  s = m[1].padStart(8, '0');
  return s === '00000000' ? [] : [s];
}

/** Holders from [{titulaire: {…}}], [{typeIdentifiant, id}] or {titulaire: […]}; junk entries are skipped. */
function readHolders(v: unknown, wrapper: string): AwardHolder[] {
  let list: unknown[] = Array.isArray(v) ? v : isObject(v) ? [v] : [];
  if (list.length === 1 && isObject(list[0]) && Array.isArray((list[0] as Json)[wrapper])) list = (list[0] as Json)[wrapper] as unknown[];
  const holders: AwardHolder[] = [];
  for (const entry of list) {
    const h = isObject(entry) && isObject(entry[wrapper]) ? (entry[wrapper] as Json) : entry;
    if (!isObject(h)) continue;
    const type = typeof h.typeIdentifiant === 'string' ? h.typeIdentifiant.trim().toUpperCase() : '';
    const id = identifier(h.id, type === 'SIRET' ? 14 : undefined);
    const name = text(h.denominationSociale) ?? text(h.nom) ?? text(h.raisonSociale);
    if (!id && !name && !type) continue;
    holders.push({ name, siret: type === 'SIRET' && id && /^\d{14}$/.test(id) ? id : null });
  }
  return holders;
}

// ---------------------------------------------------------------------------------------------------
// Places

let regions: Map<string, string[]> | null = null;

/** The départements of each région (COG, @etalab/decoupage-administratif), loaded once. */
function departementsOfRegion(code: string): string[] {
  if (!regions) {
    const require = createRequire(import.meta.url);
    const rows: { code: string; region: string }[] = require('@etalab/decoupage-administratif/data/departements.json');
    regions = new Map();
    for (const d of rows) {
      const dep = normaliseDepartement(d.code);
      if (dep) regions.set(d.region, [...(regions.get(d.region) ?? []), dep]);
    }
  }
  return regions.get(code) ?? [];
}

/**
 * lieuExecution {code, typeCode} into places (a list of them is read too): a postcode gives its département,
 * a commune code the commune and its département, a région all its départements (the contract is carried
 * out across the région), an arrondissement or canton code the département it starts with; a country, nothing.
 */
function readPlaces(v: unknown): NoticePlaces {
  const places = emptyPlaces();
  for (const item of Array.isArray(v) ? v : [v]) {
    if (!isObject(item)) continue;
    const type = typeof item.typeCode === 'string' ? normalize(item.typeCode) : '';
    let code = typeof item.code === 'number' && Number.isSafeInteger(item.code) ? String(item.code) : typeof item.code === 'string' ? item.code.replace(/\s+/g, '').toUpperCase() : '';
    if (!code) continue;
    if (type.includes('postal')) {
      addPostcode(places, /^\d{4}$/.test(code) ? `0${code}` : code); // a number loses the leading zero
    } else if (type.includes('commune')) {
      addCommune(places, /^\d{4}$/.test(code) ? `0${code}` : code);
    } else if (type.includes('departement')) {
      addDepartement(places, code);
    } else if (type.includes('region')) {
      for (const dep of departementsOfRegion(code.padStart(2, '0'))) addDepartement(places, dep);
    } else if (type.includes('arrondissement') || type.includes('canton')) {
      // INSEE codes: arrondissement = département + 1 digit, canton = département + 2 digits
      code = /^97\d{2,3}$/.test(code) ? code.slice(0, 3) : /^(\d\d|2[AB])\d{1,2}$/.test(code) ? code.slice(0, 2) : '';
      if (code) addDepartement(places, code);
    }
  }
  return places;
}

// ---------------------------------------------------------------------------------------------------
// Social and environmental considerations

const CONSIDERATIONS: [RegExp, FindingKind][] = [
  [/^clauses? sociales?$/, 'socialClause'],
  [/^criteres? sociaux$|^critere social$/, 'socialCriterion'],
  [/^(marches?|concessions?) reserve(e|s|es)?$/, 'reserved'],
  [/^clauses? environnementales?$/, 'environmentalClause'],
  [/^criteres? environnementa(l|ux)$/, 'environmentalCriterion'],
];

/** The few values files use, remembered (a large file repeats them in every record). */
const kindCache = new Map<string, FindingKind | null>();

function considerationKind(value: string): FindingKind | null {
  const cached = kindCache.get(value);
  if (cached !== undefined) return cached;
  const n = normalize(value);
  let found: FindingKind | null = null; // "Pas de considération …", "Sans objet" and unknown values give nothing (kept in raw)
  for (const [re, kind] of CONSIDERATIONS) if (re.test(n)) found = found ?? kind;
  if (kindCache.size < 1000) kindCache.set(value, found);
  return found;
}

/** Findings of considerationsSociales / considerationsEnvironnementales, flat or wrapped, list or single value. */
function considerations(r: Json, field: string, wrapper: string): Finding[] {
  const wrapped = isObject(r[field]) && wrapper in (r[field] as Json);
  const v = wrapped ? (r[field] as Json)[wrapper] : r[field];
  const base = wrapped ? `${field}.${wrapper}` : field;
  return Array.isArray(v) ? v.flatMap((x, i) => findingsOf(x, `${base}[${i}]`)) : findingsOf(v, base);
}

function findingsOf(v: unknown, path: string): Finding[] {
  if (typeof v !== 'string' || v.trim() === '') return [];
  const excerpt = v.trim();
  const whole = considerationKind(excerpt);
  const parts = whole ? [excerpt] : excerpt.split(/[,;|]/).map((s) => s.trim()).filter(Boolean);
  const findings: Finding[] = [];
  for (const part of parts) {
    const kind = considerationKind(part);
    if (!kind) continue;
    findings.push({ kind, value: kind === 'reserved' ? 'unspecified' : part, lot: null, origin: 'field', path, excerpt });
  }
  return findings;
}
