// Sector taxonomy, networks and labels, read from data/sectors (see data/sectors/README.md).
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { ROOT_DIR } from '../../core/config.ts';
import { compareFr } from '../../core/text.ts';

export interface SectorRow {
  slug: string;
  name: string;
  groupSlug: string;
  groupName: string;
  groupPosition: number;
  position: number;
}

/** Rows of a reference CSV file shipped in data/ (first line: column names). */
export function readReferenceCsv(file: string): Record<string, string>[] {
  return parse(fs.readFileSync(path.join(ROOT_DIR, file), 'utf8'), { columns: true, bom: true, skip_empty_lines: true });
}

export function loadSectors(): SectorRow[] {
  const rows = readReferenceCsv('data/sectors/le-marche_secteurs.csv');
  const sorted = rows.sort(
    (a, b) =>
      Number(a.group_id) - Number(b.group_id) ||
      Number(a.sector_name.startsWith('Autre')) - Number(b.sector_name.startsWith('Autre')) ||
      compareFr(a.sector_name, b.sector_name),
  );
  const groupOrder = [...new Set(sorted.map((r) => r.group_slug))];
  return sorted.map((r, i) => ({
    slug: r.sector_slug,
    name: r.sector_name,
    groupSlug: r.group_slug,
    groupName: r.group_name,
    groupPosition: groupOrder.indexOf(r.group_slug) + 1,
    position: i + 1,
  }));
}

export function loadNetworks() {
  return readReferenceCsv('data/sectors/le-marche_reseaux.csv').map((r) => ({
    slug: r.slug,
    name: r.name,
    brand: r.brand || null,
    website: r.website || null,
  }));
}

export function loadLabels() {
  return readReferenceCsv('data/sectors/le-marche_labels.csv').map((r) => ({
    slug: r.slug,
    name: r.name,
    website: r.website || null,
  }));
}

export function loadNafCodes() {
  return readReferenceCsv('data/naf/naf-rev2-insee.csv').map((r) => ({
    code: r.code,
    compact: r.code_sans_point,
    level: r.niveau,
    section: r.section,
    label: r.libelle,
  }));
}
