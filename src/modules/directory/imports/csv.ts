// Our CSV template (docs/csv-template.md), read with csv-parse as a stream.
// ";" or "," (detected on the header line), UTF-8 with or without BOM (anything else is refused),
// header names in French snake case, matched without case or accents. Line numbers are those a person
// sees: the header is line 1, and a quoted value spanning several lines counts them all.
import { parse } from 'csv-parse';
import { AppError } from '../../../core/errors.ts';
import { normalize } from '../../../core/text.ts';
import type { ImportLine } from '../service.ts';
import type { StructureInput } from '../model.ts';
import {
  COLUMN_ALIASES,
  CSV_COLUMNS,
  CSV_SOURCES,
  type CsvColumn,
  parseActivities,
  parseBoolean,
  parseCommitments,
  parseDate,
  parseDecimal,
  splitList,
  unprotectFormula,
} from './csv-format.ts';
import { FieldError, loadVocabulary, toLine, type Vocabulary } from './fields.ts';
import { openUtf8, readHead } from './utf8.ts';

const KNOWN = new Set<string>(CSV_COLUMNS);

/** The separator of the header line: the most frequent of ";", "," and tab outside quotes. */
export function detectDelimiter(headerLine: string): string {
  const counts: Record<string, number> = { ';': 0, ',': 0, '\t': 0 };
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch in counts) counts[ch]++;
  }
  const best = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
  return best[1] > 0 ? best[0] : ';';
}

export const columnName = (header: string): string => {
  const n = normalize(header).replace(/ /g, '_');
  return COLUMN_ALIASES[n] ?? n;
};

type Row = Partial<Record<CsvColumn, string>>;

function readHeader(cells: string[]): Map<number, CsvColumn> {
  const columns = new Map<number, CsvColumn>();
  const seen = new Map<string, string>();
  cells.forEach((cell, i) => {
    const name = columnName(cell);
    if (!KNOWN.has(name)) return; // other columns are ignored
    const before = seen.get(name);
    if (before !== undefined) throw new AppError('DUPLICATE_COLUMNS', `La colonne « ${name} » apparaît deux fois (« ${before} » et « ${cell.trim()} »).`);
    seen.set(name, cell.trim());
    columns.set(i, name as CsvColumn);
  });
  const has = (c: CsvColumn) => seen.has(c);
  const missing: string[] = (['siret', 'nom', 'type'] as CsvColumn[]).filter((c) => !has(c));
  if (!has('code_insee') && !(has('code_postal') && has('commune'))) {
    missing.push(has('code_postal') ? 'commune (ou code_insee)' : has('commune') ? 'code_postal (ou code_insee)' : 'code_insee (ou code_postal et commune)');
  }
  if (missing.length) {
    const found = cells.map((c) => c.trim()).filter(Boolean);
    throw new AppError(
      'MISSING_COLUMNS',
      `Colonnes obligatoires absentes : ${missing.join(', ')}. Colonnes trouvées sur la première ligne : ${found.length ? found.slice(0, 12).join(', ') + (found.length > 12 ? '…' : '') : '(aucune)'}. Voir docs/csv-template.md.`,
      400,
      { missing },
    );
  }
  return columns;
}

const invalid = (column: CsvColumn, expected: string, value: string) =>
  new FieldError('INVALID_FIELD', `colonne « ${column} » : ${expected} (reçu : « ${value.length > 60 ? `${value.slice(0, 57)}…` : value} »)`);

/** A French spreadsheet drops the leading zero of 01000: four digits get it back. */
const fiveDigits = (s: string | null) => (s && /^\d{4}$/.test(s) ? `0${s}` : s);

function decimal(row: Row, c: CsvColumn): number | null {
  const v = row[c];
  if (!v) return null;
  const n = parseDecimal(v);
  if (n === null) throw invalid(c, 'nombre attendu', v);
  return n;
}

function integer(row: Row, c: CsvColumn): number | null {
  const v = row[c];
  if (!v) return null;
  const n = parseDecimal(v);
  if (n === null || !Number.isInteger(n)) throw invalid(c, 'nombre entier attendu', v);
  return n;
}

function withColumn<T>(c: CsvColumn, value: string, parse: (s: string) => T): T {
  try {
    return parse(value);
  } catch (err) {
    throw new FieldError('INVALID_FIELD', `colonne « ${c} » : ${(err as Error).message}`);
  }
}

/** Slugs, or names that point to one ("RGE", "UNEA"); unknown values are kept for the service to reject. */
const resolveSlugs = (items: string[], slugs: Set<string>, byName: Map<string, string>) =>
  items.map((x) => (slugs.has(x.toLowerCase()) ? x.toLowerCase() : (byName.get(normalize(x)) ?? x)));

export function csvToInput(row: Row, present: Set<CsvColumn>, vocab: Vocabulary): StructureInput {
  const get = (c: CsvColumn) => row[c] || null;
  if (!get('siret')) throw new FieldError('INVALID_SIRET', 'SIRET manquant (colonne « siret » vide)');
  if (!get('nom')) throw new FieldError('MISSING_NAME', 'nom manquant (colonne « nom » vide)');
  if (!get('type')) throw new FieldError('UNKNOWN_KIND', 'type de structure manquant (colonne « type » vide)');
  if (!get('code_insee') && !get('code_postal') && !get('commune')) {
    throw new FieldError('UNKNOWN_COMMUNE', 'commune manquante : remplissez code_insee, ou code_postal et commune');
  }
  const lat = decimal(row, 'latitude');
  const lon = decimal(row, 'longitude');
  if ((lat === null) !== (lon === null)) {
    throw new FieldError('INVALID_FIELD', 'colonnes « latitude » et « longitude » : remplissez les deux, ou aucune');
  }
  const actif = get('actif');
  const active = actif === null ? true : parseBoolean(actif);
  if (active === null) throw invalid('actif', 'oui ou non attendu', actif as string);
  const dateMaj = get('date_maj');
  const sourceUpdatedAt = dateMaj === null ? null : parseDate(dateMaj);
  if (dateMaj !== null && sourceUpdatedAt === null) throw invalid('date_maj', 'date attendue (AAAA-MM-JJ ou JJ/MM/AAAA)', dateMaj);
  const source = get('source')?.toLowerCase() ?? 'csv';
  if (!(CSV_SOURCES as readonly string[]).includes(source)) throw invalid('source', `attendu : ${CSV_SOURCES.join(', ')} ou vide`, source);
  const contact = { name: get('contact_nom'), email: get('contact_email'), phone: get('contact_telephone') };
  const activites = get('activites');
  return {
    siret: get('siret') as string,
    name: get('nom') as string,
    brand: get('enseigne'),
    kind: (get('type') as string).toUpperCase(),
    legalForm: get('forme_juridique'),
    nafCode: get('code_naf')?.toUpperCase() ?? null,
    description: get('description'),
    address: get('adresse'),
    postalCode: fiveDigits(get('code_postal')),
    communeName: get('commune'),
    communeCode: fiveDigits(get('code_insee')?.toUpperCase() ?? null),
    lat,
    lon,
    website: get('site_web'),
    publicEmail: get('email_public'),
    publicPhone: get('telephone_public'),
    privateContact: contact.name || contact.email || contact.phone ? contact : null,
    etp: decimal(row, 'etp'),
    employeesInsertion: integer(row, 'salaries_insertion'),
    employeesPermanent: integer(row, 'salaries_permanents'),
    yearFounded: integer(row, 'annee_creation'),
    labels: resolveSlugs(splitList(get('labels') ?? ''), vocab.labels, vocab.labelByName),
    networks: resolveSlugs(splitList(get('reseaux') ?? ''), vocab.networks, vocab.networkByName),
    commitments: withColumn('engagements', get('engagements') ?? '', parseCommitments),
    clientReferences: splitList(get('references_clients') ?? ''),
    // No column, or an empty cell: the activities already stored are kept. "aucune" removes them.
    activities: !present.has('activites') || activites === null ? undefined : activites.toLowerCase() === 'aucune' ? [] : withColumn('activites', activites, parseActivities),
    source,
    sourceId: get('id_source'),
    sourceUpdatedAt,
    active,
  } as StructureInput;
}

function csvError(err: { code?: string; lines?: number; message: string }): AppError {
  const where = err.lines ? ` (vers la ligne ${err.lines})` : '';
  const what =
    err.code === 'CSV_QUOTE_NOT_CLOSED'
      ? 'un guillemet ouvert n’est jamais fermé'
      : err.code === 'CSV_INVALID_CLOSING_QUOTE' || err.code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE'
        ? 'un guillemet fermant est suivi d’autres caractères'
        : 'structure CSV invalide';
  return new AppError('INVALID_CSV', `Fichier CSV illisible : ${what}${where}.`);
}

export async function readCsvFile(file: string): Promise<ImportLine[]> {
  const head = await readHead(file, 64 * 1024);
  const delimiter = detectDelimiter(head.text.split(/\r?\n|\r/).find((l) => l.trim() !== '') ?? '');
  const bytes = openUtf8(file);
  const records = bytes.pipe(
    parse({ delimiter, bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: false }),
  );
  bytes.on('error', (err) => records.destroy(err));
  const vocab = loadVocabulary();
  const lines: ImportLine[] = [];
  let columns: Map<number, CsvColumn> | null = null;
  let present = new Set<CsvColumn>();
  let width = 0;
  // csv-parse counts a CRLF inside a quoted value as two lines: we count them ourselves.
  let line = 1;
  try {
    for await (const cells of records as AsyncIterable<string[]>) {
      const start = line;
      line += 1 + cells.reduce((n, c) => n + (c.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
      if (cells.every((c) => c.trim() === '')) continue;
      if (!columns) {
        columns = readHeader(cells);
        present = new Set(columns.values());
        width = cells.length;
        continue;
      }
      const extra = cells.slice(width).filter((c) => c.trim() !== '');
      if (extra.length) {
        lines.push({ line: start, error: { code: 'INVALID_LINE', reason: `${cells.length} colonnes sur cette ligne, ${width} dans l’en-tête (séparateur « ${delimiter} » en trop ?)` } });
        continue;
      }
      const row: Row = {};
      for (const [i, name] of columns) row[name] = unprotectFormula((cells[i] ?? '').trim());
      lines.push(toLine(start, () => csvToInput(row, present, vocab), row.siret));
    }
  } catch (err) {
    records.destroy();
    bytes.destroy();
    if (err instanceof AppError) throw err;
    if ((err as { code?: string }).code?.startsWith('CSV_')) throw csvError(err as Error);
    throw err;
  }
  if (!columns) throw new AppError('MISSING_COLUMNS', 'Le fichier est vide : la première ligne doit nommer les colonnes (siret, nom, type…). Voir docs/csv-template.md.');
  return lines;
}
