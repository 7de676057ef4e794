// CPV codes (Common Procurement Vocabulary, CPV 2008): their French labels and the sectors of our
// taxonomy (data/sectors/le-marche_secteurs.csv, identified by sector_slug) a notice is routed to.
//
// - Labels: data/procurement/cpv/cpv2008_fr.csv (9,454 codes, see its README).
// - Mapping: data/procurement/cpv-sectors.csv, written by hand and meant to be edited: one row per
//   (cpv_prefix, sector_slug), with a comment. A prefix of 2 to 8 digits covers every code that starts
//   with it ("9091" covers 90911200). Several rows with the same prefix give several sectors; a row with
//   an empty sector_slug says "no sector" for that prefix on purpose.
// - Rule: the LONGEST matching prefix decides, alone. Shorter prefixes are overridden, not added:
//   "45" (construction work → site works, other building trades) gives way to "4533" (plumbing) for
//   45332000, and an empty row ("35" weapons) gives no sector even if a shorter prefix had some.
//   To keep a broad sector on a finer prefix, repeat it on the finer rows.
// Both files are read once, on first use, and checked: a bad prefix, an unknown sector, a prefix that
// matches no CPV code or a contradictory row stops the load with the file and line.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from '../../core/config.ts';
import { loadSectors } from '../referentials/data.ts';

export const CPV_LABELS_FILE = 'data/procurement/cpv/cpv2008_fr.csv';
export const CPV_SECTORS_FILE = 'data/procurement/cpv-sectors.csv';

export interface CpvSectorRule {
  prefix: string;
  /** Sector slugs, in the order of the file; empty: no sector on purpose. */
  sectors: string[];
  /** The comments of the rows, joined. */
  comment: string;
}

export interface CpvTables {
  labels: Map<string, string>;
  rules: Map<string, CpvSectorRule>;
}

/** The 8 digits of a CPV code written "90911200", "90911200-8" or with spaces; null when it is not one. */
export function cpvCode8(code: string): string | null {
  const m = /^\s*(\d{8})(?:\s*-\s*\d)?\s*$/.exec(code);
  return m ? m[1] : null;
}

/** One line of a CSV file (fields quoted or not, "" inside quotes), for files without line breaks in fields. */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) throw new Error('guillemet non fermé');
        value += line.slice(j, q);
        if (line[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
    } else {
      const comma = line.indexOf(',', i);
      fields.push(line.slice(i, comma < 0 ? line.length : comma));
      i = comma < 0 ? line.length : comma;
    }
    if (i >= line.length) return fields;
    if (line[i] !== ',') throw new Error('caractère inattendu après un champ entre guillemets');
    i++;
  }
}

/**
 * Labels of the CPV list: code8 → French label. The file is read line by line (a general CSV parser takes
 * ten times longer on its 9,454 lines, and no field spans lines).
 */
export function parseCpvLabels(text: string, file = CPV_LABELS_FILE): Map<string, string> {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = csvFields(lines[0] ?? '');
  const [codeAt, labelAt] = [header.indexOf('code8'), header.indexOf('label_fr')];
  if (codeAt < 0 || labelAt < 0) throw new Error(`${file} : colonnes attendues code8, label_fr.`);
  const labels = new Map<string, string>();
  for (let n = 1; n < lines.length; n++) {
    if (lines[n].trim() === '') continue;
    let fields: string[];
    try {
      fields = csvFields(lines[n]);
    } catch (err) {
      throw new Error(`${file}, ligne ${n + 1} : ${(err as Error).message}.`);
    }
    const code8 = fields[codeAt] ?? '';
    if (!/^\d{8}$/.test(code8)) throw new Error(`${file}, ligne ${n + 1} : code CPV « ${code8} » invalide (8 chiffres attendus).`);
    labels.set(code8, fields[labelAt] ?? '');
  }
  return labels;
}

/** The data lines of a small CSV file with its header checked: [line number, field by column]. */
function csvRecords(text: string, file: string, columns: string[]): [number, Record<string, string>][] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = csvFields(lines[0] ?? '').map((h) => h.trim());
  const missing = columns.filter((c) => !header.includes(c));
  if (missing.length) throw new Error(`${file} : colonnes attendues ${columns.join(', ')} ; manquantes : ${missing.join(', ')}.`);
  const records: [number, Record<string, string>][] = [];
  for (let n = 1; n < lines.length; n++) {
    if (lines[n].trim() === '') continue;
    let fields: string[];
    try {
      fields = csvFields(lines[n]);
    } catch (err) {
      throw new Error(`${file}, ligne ${n + 1} : ${(err as Error).message}.`);
    }
    records.push([n + 1, Object.fromEntries(header.map((h, i) => [h, (fields[i] ?? '').trim()]))]);
  }
  return records;
}

/** Does some code of the sorted list start with the prefix? */
function startsSome(sorted: readonly string[], prefix: string): boolean {
  let [lo, hi] = [0, sorted.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < prefix) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo].startsWith(prefix);
}

/**
 * The mapping table, checked: every prefix has 2 to 8 digits and starts at least one known CPV code,
 * every sector exists in the taxonomy, no row is repeated and no prefix is both "no sector" and mapped.
 */
export function parseCpvSectors(text: string, knownSectors: ReadonlySet<string>, knownCodes: Iterable<string>, file = CPV_SECTORS_FILE): Map<string, CpvSectorRule> {
  const codes = [...knownCodes].sort();
  const rules = new Map<string, CpvSectorRule & { none: boolean }>();
  for (const [line, record] of csvRecords(text, file, ['cpv_prefix', 'sector_slug', 'comment'])) {
    const where = `${file}, ligne ${line}`;
    const prefix = record.cpv_prefix;
    const slug = record.sector_slug;
    if (!/^\d{2,8}$/.test(prefix)) throw new Error(`${where} : préfixe CPV « ${prefix} » invalide (2 à 8 chiffres attendus).`);
    if (!startsSome(codes, prefix)) throw new Error(`${where} : le préfixe « ${prefix} » ne correspond à aucun code CPV 2008.`);
    if (slug && !knownSectors.has(slug)) throw new Error(`${where} : secteur « ${slug} » inconnu (colonne sector_slug de data/sectors/le-marche_secteurs.csv).`);
    let rule = rules.get(prefix);
    if (!rule) rules.set(prefix, (rule = { prefix, sectors: [], comment: '', none: false }));
    if (slug ? rule.none : rule.sectors.length > 0 || rule.none) {
      throw new Error(`${where} : le préfixe « ${prefix} » est à la fois sans secteur et associé à des secteurs (ou répété sans secteur).`);
    }
    if (slug && rule.sectors.includes(slug)) throw new Error(`${where} : ligne en double (« ${prefix} », « ${slug} »).`);
    if (slug) rule.sectors.push(slug);
    else rule.none = true;
    if (record.comment && !rule.comment.split(' ; ').includes(record.comment)) rule.comment = rule.comment ? `${rule.comment} ; ${record.comment}` : record.comment;
  }
  return new Map([...rules].map(([k, { none: _none, ...rule }]) => [k, rule]));
}

let tables: CpvTables | null = null;

/** Both tables, read and checked on first use. */
export function cpvTables(): CpvTables {
  if (tables) return tables;
  const read = (file: string) => fs.readFileSync(path.join(ROOT_DIR, file), 'utf8');
  const labels = parseCpvLabels(read(CPV_LABELS_FILE));
  const sectors = new Set(loadSectors().map((s) => s.slug));
  const rules = parseCpvSectors(read(CPV_SECTORS_FILE), sectors, labels.keys());
  tables = { labels, rules };
  return tables;
}

/** French label of a CPV code (8 digits, check digit tolerated), null when unknown. */
export function cpvLabel(code: string): string | null {
  const code8 = cpvCode8(code);
  return code8 ? (cpvTables().labels.get(code8) ?? null) : null;
}

/** The rule that decides for a code: the one of its longest prefix in the table, null when none matches. */
export function cpvSectorRule(code: string): CpvSectorRule | null {
  const code8 = cpvCode8(code);
  if (!code8) return null;
  const { rules } = cpvTables();
  for (let n = 8; n >= 2; n--) {
    const rule = rules.get(code8.slice(0, n));
    if (rule) return rule;
  }
  return null;
}

/** Sectors (slugs) of one CPV code, by its longest matching prefix; [] for none or an invalid code. */
export function sectorsForCpv(code: string): string[] {
  return [...(cpvSectorRule(code)?.sectors ?? [])];
}

/** Sectors of several codes (a notice and its lots), each once, in the order they first appear. */
export function sectorsForCpvs(codes: readonly string[]): string[] {
  const out = new Set<string>();
  for (const code of codes) for (const slug of cpvSectorRule(code)?.sectors ?? []) out.add(slug);
  return [...out];
}
