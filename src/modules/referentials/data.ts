// Sector taxonomy, networks and labels, read from data/sectors (see data/sectors/README.md).
import fs from 'node:fs';
import path from 'node:path';
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

/** Minimal CSV reader for the small, well-formed reference files shipped in data/. */
export function readSimpleCsv(file: string): Record<string, string>[] {
  const text = fs.readFileSync(path.join(ROOT_DIR, file), 'utf8').replace(/^\uFEFF/, '');
  const rows: string[][] = [];
  let row: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cur);
      cur = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cur);
      if (row.some((c) => c !== '')) rows.push(row);
      row = [];
      cur = '';
    } else cur += ch;
  }
  if (cur || row.length) {
    row.push(cur);
    rows.push(row);
  }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i] ?? ''])));
}

export function loadSectors(): SectorRow[] {
  const rows = readSimpleCsv('data/sectors/le-marche_secteurs.csv');
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
  return readSimpleCsv('data/sectors/le-marche_reseaux.csv').map((r) => ({
    slug: r.slug,
    name: r.name,
    brand: r.brand || null,
    website: r.website || null,
  }));
}

export function loadLabels() {
  return readSimpleCsv('data/sectors/le-marche_labels.csv').map((r) => ({
    slug: r.slug,
    name: r.name,
    website: r.website || null,
  }));
}

export function loadNafCodes() {
  return readSimpleCsv('data/naf/naf-rev2-insee.csv').map((r) => ({
    code: r.code,
    compact: r.code_sans_point,
    level: r.niveau,
    section: r.section,
    label: r.libelle,
  }));
}
