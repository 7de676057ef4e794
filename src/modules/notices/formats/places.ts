// Places of execution of a notice: postcodes and NUTS codes turned into département codes.
// - NUTS-3 (FR101…): the eForms codelist `nuts_nuts-fra-lvl3` (data/procurement/eforms/social-env-codelists.csv,
//   labels = département names) joined by name to the INSEE départements of @etalab/decoupage-administratif.
// - NUTS 2010/2013 codes (FR824, FR231…), still written by BOAMP notices of 2016-2017: recoded to their
//   NUTS 2016 code first (the French regions were renumbered in 2016; each old NUTS-2 prefix maps to one
//   new prefix, département order unchanged: FR824 Bouches-du-Rhône → FRL04).
// - NUTS-1/2 codes (FR10, FRB) stand for all the départements of the region; "FR" alone and extra-regio say nothing.
import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT_DIR } from '../../../core/config.ts';
import type { NoticePlaces } from '../model.ts';

export const NUTS_CODELIST_FILE = path.join(ROOT_DIR, 'data/procurement/eforms/social-env-codelists.csv');

/** NUTS 2010/2013 NUTS-2 prefix → NUTS 2016 prefix (the last digit, the département, is kept). */
const NUTS_2013_PREFIX: Record<string, string> = {
  FR21: 'FRF2', FR22: 'FRE2', FR23: 'FRD2', FR24: 'FRB0', FR25: 'FRD1', FR26: 'FRC1', FR30: 'FRE1',
  FR41: 'FRF3', FR42: 'FRF1', FR43: 'FRC2', FR51: 'FRG0', FR52: 'FRH0', FR53: 'FRI3', FR61: 'FRI1',
  FR62: 'FRJ2', FR63: 'FRI2', FR71: 'FRK2', FR72: 'FRK1', FR81: 'FRJ1', FR82: 'FRL0', FR83: 'FRM0',
  FR91: 'FRY1', FR92: 'FRY2', FR93: 'FRY3', FR94: 'FRY4',
  FRA1: 'FRY1', FRA2: 'FRY2', FRA3: 'FRY3', FRA4: 'FRY4', FRA5: 'FRY5',
};

let nutsTable: Map<string, string> | null = null;

const nameKey = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[’‘`]/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();

/** NUTS-3 code (2016 and later) → département code, loaded once. */
export function nutsToDepartement(): Map<string, string> {
  if (nutsTable) return nutsTable;
  const require = createRequire(import.meta.url);
  const departements: { code: string; nom: string }[] = require('@etalab/decoupage-administratif/data/departements.json');
  const byName = new Map(departements.map((d) => [nameKey(d.nom), d.code]));
  const rows: { codelist: string; code: string; fra_label: string }[] = parse(fs.readFileSync(NUTS_CODELIST_FILE, 'utf8'), {
    columns: true,
    skip_empty_lines: true,
  });
  nutsTable = new Map();
  for (const row of rows) {
    if (row.codelist !== 'nuts_nuts-fra-lvl3') continue;
    const code = byName.get(nameKey(row.fra_label));
    if (code) nutsTable.set(row.code, code);
  }
  return nutsTable;
}

/** A NUTS code as written by an older notice, in the current numbering (unchanged when already current). */
function currentNuts(code: string): string {
  if (nutsToDepartement().has(code)) return code;
  const prefix = NUTS_2013_PREFIX[code.slice(0, 4)];
  return prefix ? prefix + code.slice(4) : code;
}

/** The départements a NUTS code covers: one for a NUTS-3, all those of a region for NUTS-1/2, none otherwise. */
export function departementsOfNuts(raw: string): string[] {
  const code = raw.trim().toUpperCase();
  if (!/^FR[0-9A-Z]{1,3}$/.test(code) || code.startsWith('FRZ')) return [];
  const table = nutsToDepartement();
  const current = currentNuts(code);
  if (current.length === 5) {
    const dep = table.get(current);
    return dep ? [dep] : [];
  }
  return [...table.entries()].filter(([nuts]) => nuts.startsWith(current)).map(([, dep]) => dep);
}

/** The département of a French postcode ("75639" → "75", "20090" → "2A", "97400" → "974"), null otherwise. */
export function departementOfPostcode(raw: string): string | null {
  const cp = raw.replace(/\s/g, '');
  if (!/^\d{5}$/.test(cp) || cp.startsWith('00')) return null;
  if (cp.startsWith('97')) return /^97[1-6]/.test(cp) ? cp.slice(0, 3) : null;
  if (cp.startsWith('98')) return null;
  if (cp.startsWith('20')) return Number(cp.slice(0, 3)) < 202 ? '2A' : '2B';
  return cp.slice(0, 2);
}

/** A département code as files write it ("5", "05", "2a", "971") in its canonical form, null if it is none. */
export function normaliseDepartement(raw: string | number): string | null {
  const s = String(raw).trim().toUpperCase();
  if (/^2[AB]$/.test(s)) return s;
  if (/^97[1-6]$/.test(s)) return s;
  if (!/^\d{1,2}$/.test(s)) return null;
  const n = Number(s);
  if (n < 1 || n > 95 || n === 20) return null;
  return s.padStart(2, '0');
}

const addOnce = (list: string[], value: string) => {
  if (!list.includes(value)) list.push(value);
};

/** Adds a postcode (and its département) to places. */
export function addPostcode(places: NoticePlaces, raw: string | null) {
  const cp = raw?.replace(/\s/g, '');
  if (!cp) return;
  const dep = departementOfPostcode(cp);
  if (!dep) return;
  addOnce(places.postcodes, cp);
  addOnce(places.departements, dep);
}

/** Adds a NUTS code as written (and the départements it covers) to places. */
export function addNuts(places: NoticePlaces, raw: string | null) {
  const code = raw?.trim().toUpperCase();
  if (!code || !/^[A-Z]{2}[0-9A-Z]{0,3}$/.test(code)) return;
  addOnce(places.nuts, code);
  for (const dep of departementsOfNuts(code)) addOnce(places.departements, dep);
}

/** Adds a département code to places (ignored when it is not one). */
export function addDepartement(places: NoticePlaces, raw: string | number | null) {
  const dep = raw === null ? null : normaliseDepartement(raw);
  if (dep) addOnce(places.departements, dep);
}

/** Adds an INSEE commune code (and its département) to places. */
export function addCommune(places: NoticePlaces, raw: string | null) {
  const code = raw?.trim().toUpperCase();
  if (!code || !/^(\d{5}|2[AB]\d{3})$/.test(code)) return;
  addOnce(places.communes, code);
  const dep = code.startsWith('97') ? code.slice(0, 3) : code.slice(0, 2);
  addDepartement(places, dep);
}

/** Everything of `from` added to `into`. */
export function mergePlaces(into: NoticePlaces, from: NoticePlaces) {
  for (const key of ['communes', 'departements', 'nuts', 'postcodes'] as const) for (const v of from[key]) addOnce(into[key], v);
}

export const hasDepartement = (places: NoticePlaces) => places.departements.length > 0;
