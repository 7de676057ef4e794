// Exports of the directory, streamed in batches (never one giant string):
// - data-inclusion: a JSON array of data·inclusion v1 `structure` records (schema in
//   data/data-inclusion/v1/structure.json), active and visible structures only;
// - csv: our import template (docs/csv-template.md), ";" separated, UTF-8 with BOM, so that an export
//   re-imports unchanged.
// Only public columns are read (PUBLIC_COLUMNS): private contacts (structure_private_contacts) are
// never queried here. Demo structures are fictitious and never exported.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { keyToRef } from '../territories/data.ts';
import { storedArea } from './area.ts';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { loadConfig } from '../../core/config.ts';
import type { Db } from '../../core/db.ts';
import { sql, type Sql } from '../../core/sql.ts';
import {
  type CsvColumn,
  EXPORT_COLUMNS,
  formatActivities,
  formatCommitments,
  formatDecimal,
  joinList,
  protectFormula,
} from './imports/csv-format.ts';
import { KIND_BY_RESEAU, NETWORK_BY_RESEAU } from './imports/data-inclusion.ts';
import type { ActivityInput, KindCode } from './model.ts';
import { type ActivityRow, activitiesOf, PUBLIC_COLUMNS, type StructureRow } from './repository.ts';

export const EXPORT_FORMATS = ['data-inclusion', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const BATCH = 500;

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/** Structures in slug order, batch after batch (keyset pagination: constant cost per batch). */
async function* batches(db: Db, where: Sql): AsyncGenerator<StructureRow[]> {
  let after = '';
  for (;;) {
    const rows = await db.query<StructureRow>(
      sql`SELECT ${PUBLIC_COLUMNS} FROM structures s WHERE ${where} AND s.slug > ${after} ORDER BY s.slug LIMIT ${BATCH}`,
    );
    if (!rows.length) return;
    yield rows;
    after = rows[rows.length - 1].slug;
    if (rows.length < BATCH) return;
  }
}

export async function exportStructures(db: Db, format: ExportFormat, out: Writable): Promise<number> {
  return format === 'csv' ? exportCsv(db, out) : exportDataInclusion(db, out);
}

// --- data·inclusion -----------------------------------------------------------------------------

/** One structure in the data·inclusion v1 model (all properties of structure.json, in its order). */
export interface DataInclusionStructure {
  accessibilite_lieu: string | null;
  adresse: string | null;
  code_insee: string | null;
  code_postal: string | null;
  commune: string | null;
  complement_adresse: string | null;
  courriel: string | null;
  date_maj: string;
  description: string | null;
  horaires_accueil: string | null;
  id: string;
  latitude: number | null;
  lien_source: string | null;
  longitude: number | null;
  nom: string;
  reseaux_porteurs: string[] | null;
  siret: string | null;
  site_web: string | null;
  source: string;
  telephone: string | null;
}

const RESEAU_BY_KIND = Object.fromEntries(Object.entries(KIND_BY_RESEAU).map(([r, k]) => [k, r])) as Partial<Record<KindCode, string>>;
const RESEAU_BY_NETWORK = Object.fromEntries(Object.entries(NETWORK_BY_RESEAU).map(([r, n]) => [n, r])) as Record<string, string>;

const isUri = fullFormats.uri as (s: string) => boolean;
const EMAIL = fullFormats.email as RegExp;

/** A web address data·inclusion accepts (format uri, at most 2083 characters), or null. */
export function publicUri(value: string | null): string | null {
  const v = value?.trim();
  if (!v) return null;
  const candidates = [v];
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(v) ? v : `https://${v.replace(/^\/+/, '')}`;
  try {
    const u = new URL(withScheme);
    if (u.protocol === 'http:' || u.protocol === 'https:') candidates.push(withScheme, u.href);
  } catch {
    // not a URL at all
  }
  return candidates.find((c) => /^https?:\/\//i.test(c) && c.length <= 2083 && isUri(c)) ?? null;
}

/** data·inclusion wants 3 to 150 characters, and warns on a final dot (except "etc."). */
export function dataInclusionName(name: string, kind: string): string {
  let nom = name.replace(/\s+/g, ' ').trim();
  if (!/\betc\.$/i.test(nom)) nom = nom.replace(/[.\s]+$/, '');
  if (nom.length < 3) nom = `${nom} (${kind})`.trim();
  if (nom.length > 150) {
    const cut = nom.slice(0, 149);
    const space = cut.lastIndexOf(' ');
    nom = `${(space > 100 ? cut.slice(0, space) : cut).trimEnd()}…`;
  }
  return nom;
}

const parisDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' });

export function toDataInclusion(row: StructureRow, publicUrl: string): DataInclusionStructure {
  const description = row.description?.trim() ?? '';
  const reseaux = [RESEAU_BY_KIND[row.kind], ...row.networks.map((n) => RESEAU_BY_NETWORK[n])].filter((x): x is string => Boolean(x));
  const email = row.public_email?.trim() ?? '';
  return {
    accessibilite_lieu: null,
    adresse: row.address?.trim() || null,
    code_insee: row.commune_code && /^\w{5}$/.test(row.commune_code) ? row.commune_code : null,
    code_postal: row.postal_code && /^\d{5}$/.test(row.postal_code) ? row.postal_code : null,
    commune: row.commune_name || null,
    complement_adresse: null,
    courriel: email && EMAIL.test(email) ? email : null,
    // We are the producer: the date of the last change in Passerelles.
    date_maj: parisDate.format(new Date(row.updated_at)),
    description: description.length < 5 ? null : description.length > 10000 ? `${description.slice(0, 9999)}…` : description,
    horaires_accueil: null,
    id: `passerelles--${row.slug}`,
    latitude: row.lat,
    lien_source: `${publicUrl}/structures/${encodeURIComponent(row.slug)}`,
    longitude: row.lon,
    nom: dataInclusionName(row.brand || row.name, row.kind),
    reseaux_porteurs: reseaux.length ? [...new Set(reseaux)] : null,
    siret: /^\d{14}$/.test(row.siret) ? row.siret : null,
    site_web: publicUri(row.website),
    source: 'passerelles',
    telephone: row.public_phone?.trim() || null,
  };
}

async function exportDataInclusion(db: Db, out: Writable): Promise<number> {
  const { publicUrl } = loadConfig();
  let n = 0;
  await write(out, '[');
  for await (const rows of batches(db, sql`s.active AND NOT s.hidden AND NOT s.is_demo`)) {
    const chunk = rows.map((r) => `${n++ ? ',' : ''}\n${JSON.stringify(toDataInclusion(r, publicUrl))}`).join('');
    await write(out, chunk);
  }
  await write(out, n ? '\n]\n' : ']\n');
  return n;
}

// --- CSV ----------------------------------------------------------------------------------------

function activityInputs(rows: ActivityRow[]): ActivityInput[] {
  return rows.map((a) => ({
    sector: a.sector_slug,
    serviceTypes: a.service_types,
    area: storedArea(a.area_kind, a.radius_km, a.territory_keys, keyToRef),
  }));
}

export function toCsvRow(row: StructureRow, activities: ActivityRow[]): Record<CsvColumn, string> {
  const dec = (n: number | null) => (n === null || n === undefined ? '' : formatDecimal(Number(n)));
  const int = (n: number | null) => (n === null || n === undefined ? '' : String(n));
  return {
    siret: row.siret,
    nom: row.name,
    enseigne: row.brand ?? '',
    type: row.kind,
    forme_juridique: row.legal_form ?? '',
    code_naf: row.naf_code ?? '',
    description: row.description ?? '',
    adresse: row.address ?? '',
    code_postal: row.postal_code ?? '',
    commune: row.commune_name ?? '',
    code_insee: row.commune_code ?? '',
    latitude: dec(row.lat),
    longitude: dec(row.lon),
    site_web: row.website ?? '',
    email_public: row.public_email ?? '',
    telephone_public: row.public_phone ?? '',
    // Never exported: the private contact is not even read.
    contact_nom: '',
    contact_email: '',
    contact_telephone: '',
    etp: dec(row.etp),
    salaries_insertion: int(row.employees_insertion),
    salaries_permanents: int(row.employees_permanent),
    annee_creation: int(row.year_founded),
    labels: joinList(row.labels),
    reseaux: joinList(row.networks),
    engagements: formatCommitments(row.commitments ?? []),
    references_clients: joinList(row.client_references),
    activites: formatActivities(activityInputs(activities)),
    actif: row.active ? 'oui' : 'non',
    date_maj: row.source_updated_at ?? '',
    source: row.source,
    id_source: row.source_id ?? '',
  };
}

export function csvCell(value: string): string {
  const v = protectFormula(value);
  return /[;"\r\n]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export const csvLine = (cells: string[]) => `${cells.map(csvCell).join(';')}\r\n`;

async function exportCsv(db: Db, out: Writable): Promise<number> {
  let n = 0;
  await write(out, `\uFEFF${csvLine([...EXPORT_COLUMNS])}`);
  for await (const rows of batches(db, sql`NOT s.hidden AND NOT s.is_demo`)) {
    const activities = await activitiesOf(db, rows.map((r) => r.id));
    const byStructure = new Map<string, ActivityRow[]>();
    for (const a of activities) {
      const list = byStructure.get(a.structure_id);
      if (list) list.push(a);
      else byStructure.set(a.structure_id, [a]);
    }
    const chunk = rows
      .map((r) => {
        const cells = toCsvRow(r, byStructure.get(r.id) ?? []);
        return csvLine(EXPORT_COLUMNS.map((c) => cells[c]));
      })
      .join('');
    n += rows.length;
    await write(out, chunk);
  }
  return n;
}
