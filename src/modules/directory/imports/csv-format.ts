// Our CSV template (docs/csv-template.md): columns, and how lists, activities and commitments are
// written in a cell. Shared by the CSV reader and the CSV export, so that an export re-imports unchanged.
import { keyToRef, TERRITORY_TYPES, type TerritoryType, territoryKey } from '../../territories/data.ts';
import { SERVICE_TYPE_CODES, type ActivityInput, type Area, type Commitment, type ServiceTypeCode } from '../model.ts';

/** Every column of the template, in the order of the export and of docs/modele-structures.csv. */
export const CSV_COLUMNS = [
  'siret', 'nom', 'enseigne', 'type', 'forme_juridique', 'code_naf', 'description', 'adresse', 'code_postal', 'commune',
  'code_insee', 'latitude', 'longitude', 'site_web', 'email_public', 'telephone_public', 'contact_nom', 'contact_email',
  'contact_telephone', 'etp', 'salaries_insertion', 'salaries_permanents', 'annee_creation', 'labels', 'reseaux',
  'engagements', 'references_clients', 'activites', 'actif', 'date_maj', 'source', 'id_source',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

/** The private contact: imported into structure_private_contacts, never exported. */
export const PRIVATE_COLUMNS: readonly CsvColumn[] = ['contact_nom', 'contact_email', 'contact_telephone'];
export const EXPORT_COLUMNS = CSV_COLUMNS.filter((c) => !PRIVATE_COLUMNS.includes(c));

/** Other spellings people use for a column (after normalisation: lower case, no accents, "_"). */
export const COLUMN_ALIASES: Record<string, CsvColumn> = {
  raison_sociale: 'nom',
  nom_commercial: 'enseigne',
  type_de_structure: 'type',
  ville: 'commune',
  code_commune: 'code_insee',
  site_internet: 'site_web',
  courriel: 'email_public',
  courriel_public: 'email_public',
  e_mail_public: 'email_public',
  telephone: 'telephone_public',
  reseau: 'reseaux',
  activite: 'activites',
  references: 'references_clients',
  identifiant_source: 'id_source',
};

/** Sources a CSV line may name (an export keeps the provenance of each structure). */
export const CSV_SOURCES = ['csv', 'emplois', 'marche', 'data-inclusion'] as const;

// --- Lists in a cell: items separated by "|", a backslash escapes the next character ---------------

export const escapeChars = (s: string, chars: string) => s.replace(new RegExp(`[\\\\${chars.replace(/[\]\\^-]/g, '\\$&')}]`, 'g'), '\\$&');
export const unescapeChars = (s: string) => s.replace(/\\(.)/gs, '$1');

/** Splits on `sep` where it is not escaped; escapes are kept in the parts (unescape at the end). */
export function splitEscaped(s: string, sep: string, limit = Infinity): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      cur += s[i] + s[i + 1];
      i++;
    } else if (out.length < limit - 1 && s.startsWith(sep, i)) {
      out.push(cur);
      cur = '';
      i += sep.length - 1;
    } else cur += s[i];
  }
  out.push(cur);
  return out;
}

export const joinList = (items: string[]) => items.map((x) => escapeChars(x, '|')).join('|');
export const splitList = (cell: string) =>
  splitEscaped(cell, '|')
    .map((x) => unescapeChars(x).trim())
    .filter(Boolean);

// --- Commitments: "environnement:Démarche RSE|social:Formation::Détail facultatif" ------------------

const COMMITMENT_WORD: Record<Commitment['type'], string> = { environmental: 'environnement', social: 'social' };
const COMMITMENT_TYPE: Record<string, Commitment['type']> = {
  environnement: 'environmental',
  environnemental: 'environmental',
  environmental: 'environmental',
  social: 'social',
  sociale: 'social',
};

export function formatCommitments(list: Commitment[]): string {
  return list
    .map((c) => `${COMMITMENT_WORD[c.type]}:${escapeChars(c.label, '|:')}${c.detail ? `::${escapeChars(c.detail, '|')}` : ''}`)
    .join('|');
}

/** Throws a French message (without the column name) when an item cannot be read. */
export function parseCommitments(cell: string): Commitment[] {
  return splitEscaped(cell, '|')
    .filter((item) => item.trim())
    .map((item) => {
      const [type, rest] = splitEscaped(item, ':', 2);
      const t = COMMITMENT_TYPE[type.trim().toLowerCase()];
      if (!t || rest === undefined) throw new Error(`« ${unescapeChars(item.trim())} » : attendu « environnement:libellé » ou « social:libellé »`);
      const [label, detail] = splitEscaped(rest, '::', 2);
      const c: Commitment = { type: t, label: unescapeChars(label).trim() };
      if (!c.label) throw new Error(`« ${unescapeChars(item.trim())} » : libellé manquant`);
      const d = detail === undefined ? '' : unescapeChars(detail).trim();
      if (d) c.detail = d;
      return c;
    });
}

// --- Activities: "nettoyage-de-locaux-16/PREST+BUILD/rayon:30|espaces-verts/PREST/departement:59+departement:62" ---

const TYPE_ALIASES: Record<string, string> = { département: 'departement', dep: 'departement', région: 'region', reg: 'region' };
const COUNTRY_WORDS = new Set(['france', 'pays', 'national', 'nationale', 'france-entiere', 'toute-la-france']);

export function formatArea(area: Area): string {
  if (area.kind === 'country') return 'france';
  if (area.kind === 'radius') return `rayon:${area.radiusKm}`;
  return area.territories.join('+');
}

export function formatActivities(list: ActivityInput[]): string {
  return list.map((a) => `${a.sector}/${[...a.serviceTypes].sort().join('+')}/${formatArea(a.area)}`).join('|');
}

/**
 * A territory reference in its canonical form ("departement:59"), so that the same area written in
 * different ways ("Département:59", "D59") is the same input; listed territories are sorted the way
 * they are stored (by typed key), so an exported line re-imports unchanged.
 */
function canonicalTerritories(refs: string[]): string[] {
  const keyed = refs.map((raw) => {
    const r = raw.trim();
    const m = /^([a-zé]+)\s*:\s*(.+)$/i.exec(r);
    if (m) {
      const word = m[1].toLowerCase();
      const type = TYPE_ALIASES[word] ?? word;
      if (!TERRITORY_TYPES.includes(type as TerritoryType)) throw new Error(`territoire « ${r} » : type inconnu (commune, epci, departement ou region)`);
      const code = m[2].trim().toUpperCase();
      return { key: territoryKey(type as TerritoryType, code), ref: `${type}:${code}` };
    }
    const k = /^([CDER])([0-9][0-9AB]*)$/i.exec(r);
    if (k) {
      const key = (k[1] + k[2]).toUpperCase();
      return { key, ref: keyToRef(key) };
    }
    throw new Error(`territoire « ${r} » : attendu par exemple departement:59, commune:59350, epci:200093201 ou region:32`);
  });
  const byKey = new Map(keyed.map((x) => [x.key, x.ref]));
  return [...byKey.keys()].sort().map((k) => byKey.get(k) as string);
}

export function parseArea(cell: string): Area {
  const s = cell.trim();
  const word = s.toLowerCase().replace(/\s+/g, '-');
  if (COUNTRY_WORDS.has(word)) return { kind: 'country' };
  const r = /^rayon\s*:\s*(\d+)\s*(?:km)?$/i.exec(s);
  if (r) return { kind: 'radius', radiusKm: Number(r[1]) };
  if (/^rayon/i.test(s)) throw new Error(`zone « ${s} » : attendu par exemple rayon:30 (en km)`);
  const refs = s.split('+').filter((x) => x.trim());
  if (!refs.length) throw new Error('zone manquante (france, rayon:30 ou une liste de territoires)');
  return { kind: 'territories', territories: canonicalTerritories(refs) };
}

const SERVICE_TYPES = new Set<string>(SERVICE_TYPE_CODES);

export function parseActivities(cell: string): ActivityInput[] {
  return splitEscaped(cell, '|')
    .map((x) => unescapeChars(x).trim())
    .filter(Boolean)
    .map((item) => {
      const parts = item.split('/').map((p) => p.trim());
      if (parts.length !== 3) throw new Error(`« ${item} » : attendu secteur/types/zone, par exemple nettoyage-de-locaux-16/PREST/rayon:30`);
      const [sector, types, area] = parts;
      if (!sector) throw new Error(`« ${item} » : secteur manquant`);
      const serviceTypes = types.split('+').map((t) => t.trim().toUpperCase()).filter(Boolean);
      if (!serviceTypes.length || serviceTypes.some((t) => !SERVICE_TYPES.has(t))) {
        throw new Error(`« ${item} » : types de prestation attendus parmi DISP, PREST, BUILD (séparés par +)`);
      }
      return { sector: sector.toLowerCase(), serviceTypes: [...new Set(serviceTypes)].sort() as ServiceTypeCode[], area: parseArea(area) };
    });
}

// --- Cells -----------------------------------------------------------------------------------------

/** A spreadsheet would run a cell starting with = + - @ as a formula: the export prefixes an apostrophe. */
export function protectFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) && !/^[+-]?[\d\s().,]+$/.test(value) ? `'${value}` : value;
}
export const unprotectFormula = (value: string) => (/^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value);

/** Decimal with a comma, as a French spreadsheet writes it. */
export const formatDecimal = (n: number) => String(n).replace('.', ',');

export function parseDecimal(s: string): number | null {
  const t = s.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) return null;
  return Number(t);
}

const TRUE_WORDS = new Set(['oui', 'o', 'vrai', 'true', '1', 'yes', 'y', 'x']);
const FALSE_WORDS = new Set(['non', 'n', 'faux', 'false', '0', 'no']);
export function parseBoolean(s: string): boolean | null {
  const t = s.trim().toLowerCase();
  return TRUE_WORDS.has(t) ? true : FALSE_WORDS.has(t) ? false : null;
}

/** "2025-06-01", "01/06/2025" (a spreadsheet's French date) → "2025-06-01"; null when not a date. */
export function parseDate(s: string): string | null {
  const t = s.trim();
  let y: number, m: number, d: number;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/.exec(t);
  const fr = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (fr) [d, m, y] = [Number(fr[1]), Number(fr[2]), Number(fr[3])];
  else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}
