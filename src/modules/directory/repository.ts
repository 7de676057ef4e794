// SQL of the directory: writing structures with their activities, reading them back.
import type { Queryable } from '../../core/db.ts';
import { sql } from '../../core/sql.ts';
import { bulk } from '../referentials/service.ts';
import { loadTerritories } from '../territories/data.ts';
import { storedKeys } from './area.ts';
import type { Area, Commitment, KindCode, ServiceTypeCode } from './model.ts';

/** The columns of a structure that an input sets (see COLUMNS). */
export interface StructureFields {
  name: string;
  brand: string | null;
  kind: KindCode;
  legal_form: string | null;
  naf_code: string | null;
  description: string | null;
  address: string | null;
  postal_code: string | null;
  commune_code: string | null;
  commune_name: string | null;
  department_code: string | null;
  region_code: string | null;
  epci_code: string | null;
  lat: number | null;
  lon: number | null;
  website: string | null;
  public_email: string | null;
  public_phone: string | null;
  etp: number | null;
  employees_insertion: number | null;
  employees_permanent: number | null;
  year_founded: number | null;
  labels: string[];
  networks: string[];
  commitments: Commitment[];
  client_references: string[];
  source: string;
  source_id: string | null;
  source_updated_at: string | null;
  is_demo: boolean;
  active: boolean;
}

/** A structure ready to be written: validated, geocoded, with its activities' keys computed. */
export interface PreparedStructure {
  siret: string;
  slugBase: string;
  /**
   * Hashes of what the input says: the structure's fields, its activities and its private contact.
   * A part the input does not give (null) keeps what is stored, and does not count as a change.
   */
  hashes: { row: string; activities: string | null; contact: string | null };
  /** null hidden: keep the stored moderation decision (false for a new structure). */
  row: StructureFields & { hidden: boolean | null };
  privateContact: { name: string | null; email: string | null; phone: string | null } | null;
  activities:
    | {
        sectorSlug: string;
        serviceTypes: ServiceTypeCode[];
        area: Area;
        territoryKeys: string[];
        coverKeys: string[];
      }[]
    | undefined;
}

export type WriteOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Who writes: an import from a source (default), or the structure's own edit (its team, a facilitator, the
 * platform) naming the fields it changed. Fields a structure edited (structures.edited_fields: column names,
 * plus 'activities' and 'logo') are left alone by later imports; an edit keeps the source's content hash, so
 * the same source data again stays "unchanged".
 */
export interface WriteOptions {
  edit?: { fields: string[] };
}

/** Fields of edited_fields that are not columns of COLUMNS. */
export const EDITED_ACTIVITIES = 'activities';

const COLUMNS = [
  'name', 'brand', 'kind', 'legal_form', 'naf_code', 'description', 'address', 'postal_code', 'commune_code',
  'commune_name', 'department_code', 'region_code', 'epci_code', 'lat', 'lon', 'website', 'public_email',
  'public_phone', 'etp', 'employees_insertion', 'employees_permanent', 'year_founded', 'labels', 'networks',
  'commitments', 'client_references', 'source', 'source_id', 'source_updated_at', 'is_demo', 'active', 'hidden',
] as const;

function value(row: PreparedStructure['row'], c: (typeof COLUMNS)[number]): unknown {
  const v = row[c];
  if (c === 'hidden') return v ?? false;
  return c === 'commitments' ? JSON.stringify(v) : v;
}

/** SET clause of an update: a null "hidden" keeps the stored moderation decision. */
function setClause(row: PreparedStructure['row'], c: (typeof COLUMNS)[number]) {
  if (c === 'hidden') return sql`hidden = coalesce(${row.hidden}::boolean, hidden)`;
  return sql`${sql.raw(c)} = ${value(row, c)}`;
}

/** Finds existing structures by SIRET: what a write would do, without writing. */
export async function plan(tx: Queryable, items: PreparedStructure[]): Promise<WriteOutcome[]> {
  const existing = await existingBySiret(tx, items.map((i) => i.siret));
  return items.map((i) => {
    const e = existing.get(i.siret);
    return !e ? 'created' : mergedHash(e.content_hash, i) === e.content_hash ? 'unchanged' : 'updated';
  });
}

/** The stored hash after writing item over a structure whose stored hash is `stored` ("row:activities:contact"). */
function mergedHash(stored: string | null, item: PreparedStructure): string {
  const [, act = '-', contact = '-'] = (stored ?? '').split(':');
  return `${item.hashes.row}:${item.hashes.activities ?? act}:${item.hashes.contact ?? contact}`;
}

async function existingBySiret(tx: Queryable, sirets: string[]) {
  const rows = await tx.query<{ id: string; siret: string; content_hash: string | null; edited_fields: string[] }>(
    sql`SELECT id, siret, content_hash, edited_fields FROM structures WHERE siret = ANY(${sirets}::text[])`,
  );
  return new Map(rows.map((r) => [r.siret, r]));
}

/** Upserts by SIRET, in chunks; returns what happened to each item, in order. */
export async function writeStructures(tx: Queryable, items: PreparedStructure[], opts: WriteOptions = {}): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  for (let i = 0; i < items.length; i += 500) outcomes.push(...(await writeChunk(tx, items.slice(i, i + 500), opts)));
  return outcomes;
}

async function writeChunk(tx: Queryable, items: PreparedStructure[], opts: WriteOptions): Promise<WriteOutcome[]> {
  const existing = await existingBySiret(tx, items.map((i) => i.siret));
  const outcomes: WriteOutcome[] = [];
  const toCreate: PreparedStructure[] = [];
  const touched: { id: string; item: PreparedStructure }[] = [];
  for (const source of items) {
    const e = existing.get(source.siret);
    if (opts.edit) {
      // The structure's own edit: every column it gives is written, the source's hash is kept.
      if (!e) throw new Error(`writeStructures: an edit needs an existing structure (${source.siret})`);
      outcomes.push('updated');
      const sets = sql.join(COLUMNS.map((c) => setClause(source.row, c)));
      await tx.query(sql`UPDATE structures SET ${sets}, edited_at = now(),
        edited_fields = ARRAY(SELECT DISTINCT f FROM unnest(edited_fields || ${opts.edit.fields}::text[]) AS f ORDER BY f),
        updated_at = now() WHERE id = ${e.id}`);
      touched.push({ id: e.id, item: source });
    } else if (!e) {
      outcomes.push('created');
      toCreate.push(source);
    } else if (mergedHash(e.content_hash, source) === e.content_hash) outcomes.push('unchanged');
    else {
      outcomes.push('updated');
      // Fields the structure edited itself keep the stored value (and its activities, when it edited them).
      const kept = new Set(e.edited_fields);
      const item = kept.has(EDITED_ACTIVITIES) ? { ...source, activities: undefined } : source;
      const sets = sql.join(COLUMNS.map((c) => (kept.has(c) ? sql`${sql.raw(c)} = ${sql.raw(c)}` : setClause(item.row, c))));
      await tx.query(sql`UPDATE structures SET ${sets}, content_hash = ${mergedHash(e.content_hash, source)}, updated_at = now() WHERE id = ${e.id}`);
      touched.push({ id: e.id, item });
    }
  }
  if (toCreate.length) {
    const slugs = await uniqueSlugs(tx, toCreate.map((i) => i.slugBase));
    const rows = toCreate.map((item, k) => [slugs[k], item.siret, ...COLUMNS.map((c) => value(item.row, c)), mergedHash(null, item)]);
    const values = sql.join(rows.map((r) => sql`(${sql.join(r.map((v) => sql`${v}`))})`));
    const created = await tx.query<{ id: string; siret: string }>(
      sql`INSERT INTO structures (slug, siret, ${sql.raw(COLUMNS.join(', '))}, content_hash) VALUES ${values} RETURNING id, siret`,
    );
    const ids = new Map(created.map((r) => [r.siret, r.id]));
    for (const item of toCreate) touched.push({ id: ids.get(item.siret) as string, item });
  }
  if (!touched.length) return outcomes;

  const replaced = touched.filter((t) => t.item.activities !== undefined).map((t) => t.id);
  if (replaced.length) await tx.query(sql`DELETE FROM activities WHERE structure_id = ANY(${replaced}::uuid[])`);
  // Kept activities: a radius reaches other territories when the structure moved.
  const keptActivities = touched.filter((t) => t.item.activities === undefined);
  if (keptActivities.length) {
    const radii = await tx.query<{ id: string; structure_id: string; radius_km: number; cover_keys: string[] }>(
      sql`SELECT id, structure_id, radius_km, cover_keys FROM activities WHERE area_kind = 'radius' AND structure_id = ANY(${keptActivities.map((t) => t.id)}::uuid[])`,
    );
    const rowOf = new Map(keptActivities.map((t) => [t.id, t.item.row]));
    for (const a of radii) {
      const row = rowOf.get(a.structure_id);
      if (!row) continue;
      const { coverKeys } = storedKeys({ kind: 'radius', radiusKm: a.radius_km }, { lat: row.lat, lon: row.lon }, loadTerritories());
      // Only activities of structures that moved are written.
      if (coverKeys.join() !== a.cover_keys.join()) await tx.query(sql`UPDATE activities SET cover_keys = ${coverKeys}::text[] WHERE id = ${a.id}::uuid`);
    }
  }
  const activityRows: unknown[][] = [];
  for (const { id, item } of touched) {
    item.activities?.forEach((a, position) => {
      activityRows.push([
        id,
        a.sectorSlug,
        a.serviceTypes,
        a.area.kind,
        a.area.kind === 'radius' ? a.area.radiusKm : null,
        a.territoryKeys,
        a.coverKeys,
        position,
      ]);
    });
  }
  if (activityRows.length) {
    await bulk(tx, 'activities (structure_id, sector_slug, service_types, area_kind, radius_km, territory_keys, cover_keys, position)', activityRows);
  }
  const contacts = touched.filter((t) => t.item.privateContact).map((t) => {
    const c = t.item.privateContact as NonNullable<PreparedStructure['privateContact']>;
    return [t.id, c.name, c.email, c.phone];
  });
  if (contacts.length) {
    await bulk(
      tx,
      'structure_private_contacts (structure_id, contact_name, email, phone)',
      contacts,
      'ON CONFLICT (structure_id) DO UPDATE SET contact_name = EXCLUDED.contact_name, email = EXCLUDED.email, phone = EXCLUDED.phone, updated_at = now()',
    );
  }
  await refreshSearch(tx, touched.map((t) => t.id));
  await bumpVersion(tx);
  return outcomes;
}

async function uniqueSlugs(tx: Queryable, bases: string[]): Promise<string[]> {
  const rows = await tx.query<{ slug: string }>(
    sql`SELECT slug FROM structures WHERE slug = ANY(${bases}::text[]) OR substring(slug from '^(.*)-[0-9]+$') = ANY(${bases}::text[])`,
  );
  const taken = new Set(rows.map((r) => r.slug));
  return bases.map((base) => {
    let slug = base;
    for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`;
    taken.add(slug);
    return slug;
  });
}

/** Recomputes the search columns of some structures from their fields and activities. */
export async function refreshSearch(tx: Queryable, ids: string[]): Promise<void> {
  await tx.query(sql`
    WITH x AS (
      SELECT s.id, k.name AS kind_name,
        (SELECT string_agg(DISTINCT se.name || ' ' || g.name, ' ')
         FROM activities a JOIN sectors se ON se.slug = a.sector_slug JOIN sector_groups g ON g.slug = se.group_slug
         WHERE a.structure_id = s.id) AS sectors
      FROM structures s JOIN structure_kinds k ON k.code = s.kind
      WHERE s.id = ANY(${ids}::uuid[]))
    UPDATE structures s SET
      search_vector =
        setweight(to_tsvector('fr_unaccent', coalesce(s.name, '') || ' ' || coalesce(s.brand, '')), 'A')
        || setweight(to_tsvector('fr_unaccent', coalesce(x.kind_name, '') || ' ' || coalesce(x.sectors, '')), 'B')
        || setweight(to_tsvector('fr_unaccent', coalesce(s.commune_name, '')), 'C')
        || setweight(to_tsvector('fr_unaccent', coalesce(s.description, '')), 'D'),
      search_text = lower(f_unaccent(coalesce(s.name, '') || ' ' || coalesce(s.brand, '') || ' ' || coalesce(s.commune_name, '')))
    FROM x WHERE x.id = s.id`);
}

/** Marks the directory as changed (search caches of every process compare this version). */
export async function bumpVersion(tx: Queryable): Promise<void> {
  await tx.query('UPDATE directory_state SET version = version + 1 WHERE id = 1');
}

export async function directoryVersion(db: Queryable): Promise<number> {
  const r = await db.one<{ version: number }>('SELECT version FROM directory_state WHERE id = 1');
  return r?.version ?? 0;
}

/** Rebuilds the lexicon used to correct typos (after imports and seeding; see migration 0006). */
export async function refreshLexicon(tx: Queryable): Promise<void> {
  await tx.query('SELECT refresh_search_lexicon()');
}

/** The text a structure gives the lexicon (as refresh_search_lexicon reads it); empty when it is not searchable. */
export async function lexiconText(tx: Queryable, id: string): Promise<string> {
  const r = await tx.one<{ text: string }>(
    sql`SELECT coalesce(s.name, '') || ' ' || coalesce(s.brand, '') || ' ' || coalesce(s.commune_name, '') || ' ' || coalesce(s.description, '') AS text
        FROM structures s WHERE s.id = ${id}::uuid AND s.active AND NOT s.hidden`,
  );
  return r?.text ?? '';
}

/**
 * Updates the lexicon for one structure whose text changed from `before` to `after` (an edit): the word
 * counts move by the difference, with the same rules as refresh_search_lexicon. A full rebuild takes about a
 * second at 10,000 structures; this takes a few milliseconds.
 */
export async function updateLexicon(tx: Queryable, before: string, after: string): Promise<void> {
  if (before === after) return;
  const words = (text: string) => sql`SELECT w AS word, count(*)::int AS n FROM regexp_split_to_table(lower(f_unaccent(${text}::text)), '[^a-z0-9]+') AS w
    WHERE length(w) > 2 GROUP BY w`;
  const diff = sql`SELECT coalesce(a.word, b.word) AS word, coalesce(a.n, 0) - coalesce(b.n, 0) AS d
    FROM (${words(after)}) a FULL JOIN (${words(before)}) b ON a.word = b.word WHERE coalesce(a.n, 0) <> coalesce(b.n, 0)`;
  await tx.query(sql`
    INSERT INTO search_lexicon (word, lexeme, occurrences)
    SELECT x.word, x.lexeme, x.d FROM (
      SELECT d.word, d.d, (tsvector_to_array(to_tsvector('fr_unaccent', d.word)))[1] AS lexeme FROM (${diff}) d WHERE d.d > 0) x
    WHERE x.lexeme IS NOT NULL
    ON CONFLICT (word) DO UPDATE SET occurrences = search_lexicon.occurrences + EXCLUDED.occurrences`);
  await tx.query(sql`UPDATE search_lexicon l SET occurrences = l.occurrences + d.d FROM (${diff}) d WHERE d.d < 0 AND l.word = d.word`);
  await tx.query('DELETE FROM search_lexicon WHERE occurrences <= 0');
}

export interface StructureRow extends StructureFields {
  id: string;
  slug: string;
  siret: string;
  siren: string;
  hidden: boolean;
  created_at: Date;
  updated_at: Date;
  /** Relative path of the logo under the upload folder (see core/uploads.ts). */
  logo_path: string | null;
  /** When the structure (or a facilitator) last edited its profile, and which fields. */
  edited_at: Date | null;
  edited_fields: string[];
}

export interface ActivityRow {
  id: string;
  structure_id: string;
  sector_slug: string;
  service_types: ServiceTypeCode[];
  area_kind: 'country' | 'radius' | 'territories';
  radius_km: number | null;
  territory_keys: string[];
  cover_keys: string[];
}

export const PUBLIC_COLUMNS = sql.raw(`s.id, s.slug, s.siret, s.siren, s.name, s.brand, s.kind, s.legal_form, s.naf_code,
  s.description, s.address, s.postal_code, s.commune_code, s.commune_name, s.department_code, s.region_code, s.epci_code,
  s.lat, s.lon, s.website, s.public_email, s.public_phone, s.etp, s.employees_insertion, s.employees_permanent,
  s.year_founded, s.labels, s.networks, s.commitments, s.client_references, s.source, s.source_id, s.source_updated_at,
  s.is_demo, s.active, s.hidden, s.created_at, s.updated_at, s.logo_path, s.edited_at, s.edited_fields`);

export async function findStructure(
  db: Queryable,
  by: { id?: string; slug?: string; siret?: string },
): Promise<StructureRow | undefined> {
  const where = by.id ? sql`s.id = ${by.id}::uuid` : by.slug ? sql`s.slug = ${by.slug}` : sql`s.siret = ${by.siret}`;
  return db.one<StructureRow>(sql`SELECT ${PUBLIC_COLUMNS} FROM structures s WHERE ${where}`);
}

export async function activitiesOf(db: Queryable, ids: string[]): Promise<ActivityRow[]> {
  if (!ids.length) return [];
  return db.query<ActivityRow>(sql`
    SELECT a.id, a.structure_id, a.sector_slug, a.service_types, a.area_kind, a.radius_km, a.territory_keys, a.cover_keys
    FROM activities a WHERE a.structure_id = ANY(${ids}::uuid[]) ORDER BY a.structure_id, a.position`);
}
