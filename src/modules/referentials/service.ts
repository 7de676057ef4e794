// Reference data: loaded into the database after migrations, and cached in memory for the app.
import type { Db, Queryable } from '../../core/db.ts';
import { sql } from '../../core/sql.ts';
import { normalize } from '../../core/text.ts';
import { loadTerritories } from '../territories/data.ts';
import { loadLabels, loadNafCodes, loadNetworks, loadSectors } from './data.ts';

export interface Kind {
  code: string;
  name: string;
  family: 'insertion' | 'handicap';
  description: string;
}
export interface ServiceType {
  code: string;
  name: string;
  description: string;
}
export interface Sector {
  slug: string;
  name: string;
  groupSlug: string;
  groupName: string;
}
export interface SectorGroup {
  slug: string;
  name: string;
  sectors: Sector[];
}
export interface Network {
  slug: string;
  name: string;
  brand: string | null;
  website: string | null;
}
export interface Label {
  slug: string;
  name: string;
  website: string | null;
}

export const FAMILY_LABEL = { insertion: 'Insertion par l’activité économique', handicap: 'Handicap' } as const;

export interface Referentials {
  kinds: Kind[];
  kindByCode: Map<string, Kind>;
  serviceTypes: ServiceType[];
  serviceTypeByCode: Map<string, ServiceType>;
  groups: SectorGroup[];
  sectorBySlug: Map<string, Sector>;
  groupBySlug: Map<string, SectorGroup>;
  networks: Network[];
  networkBySlug: Map<string, Network>;
  labels: Label[];
  labelBySlug: Map<string, Label>;
  /** NAF label by code, dotted (88.10C) or compact (8810C). */
  nafLabel: (code: string | null) => string | null;
}

/** Fills the reference tables (idempotent: upserts by key). */
export async function seedReferentials(db: Db): Promise<void> {
  const sectors = loadSectors();
  const territories = loadTerritories();
  const count = await db.one<{ n: number }>('SELECT count(*)::int AS n FROM territories');
  // What searches read of the reference data; when it changes, every process reloads (directory version).
  const fingerprint = (tx: Queryable) =>
    tx.one<{ f: string }>(`SELECT md5(coalesce((SELECT string_agg(slug || name || group_slug, ',' ORDER BY slug) FROM sectors), '')
      || coalesce((SELECT string_agg(slug || name, ',' ORDER BY slug) FROM sector_groups), '')
      || coalesce((SELECT string_agg(slug || name, ',' ORDER BY slug) FROM networks), '')
      || coalesce((SELECT string_agg(slug || name, ',' ORDER BY slug) FROM labels), '')) AS f`);
  await db.transaction(async (tx) => {
    const before = await fingerprint(tx);
    const groups = new Map(sectors.map((s) => [s.groupSlug, s]));
    for (const g of groups.values()) {
      await tx.query(sql`INSERT INTO sector_groups (slug, name, position) VALUES (${g.groupSlug}, ${g.groupName}, ${g.groupPosition})
        ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, position = EXCLUDED.position`);
    }
    await bulk(
      tx,
      'sectors (slug, name, group_slug, position)',
      sectors.map((s) => [s.slug, s.name, s.groupSlug, s.position]),
      'ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, group_slug = EXCLUDED.group_slug, position = EXCLUDED.position',
    );
    await bulk(
      tx,
      'networks (slug, name, brand, website)',
      loadNetworks().map((n) => [n.slug, n.name, n.brand, n.website]),
      'ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, brand = EXCLUDED.brand, website = EXCLUDED.website',
    );
    await bulk(
      tx,
      'labels (slug, name, website)',
      loadLabels().map((n) => [n.slug, n.name, n.website]),
      'ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, website = EXCLUDED.website',
    );
    await bulk(
      tx,
      'naf_codes (code, compact, level, section, label)',
      loadNafCodes().map((n) => [n.code, n.compact, n.level, n.section, n.label]),
      'ON CONFLICT (code) DO UPDATE SET compact = EXCLUDED.compact, level = EXCLUDED.level, section = EXCLUDED.section, label = EXCLUDED.label',
    );
    if ((count?.n ?? 0) !== territories.byKey.size) {
      const rows = [...territories.byKey.values()].map((t) => [
        t.key,
        t.type,
        t.code,
        t.name,
        normalize(t.name),
        t.departmentCode,
        t.regionCode,
        t.epciCode,
        t.postalCodes,
        t.lat,
        t.lon,
        t.population,
      ]);
      await bulk(
        tx,
        'territories (key, type, code, name, search_name, department_code, region_code, epci_code, postal_codes, lat, lon, population)',
        rows,
        `ON CONFLICT (key) DO UPDATE SET name = EXCLUDED.name, search_name = EXCLUDED.search_name,
          department_code = EXCLUDED.department_code, region_code = EXCLUDED.region_code, epci_code = EXCLUDED.epci_code,
          postal_codes = EXCLUDED.postal_codes, lat = EXCLUDED.lat, lon = EXCLUDED.lon, population = EXCLUDED.population`,
      );
    }
    if ((await fingerprint(tx))?.f !== before?.f) await tx.query('UPDATE directory_state SET version = version + 1 WHERE id = 1');
  });
  cache = null;
}

/** Forgets the cached reference data (read again at the next use). */
export function resetReferentials(): void {
  cache = null;
}

/** Multi-row INSERT in chunks (one statement per chunk). */
export async function bulk(tx: Queryable, target: string, rows: unknown[][], suffix = '', chunk = 500): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const values = sql.join(part.map((r) => sql`(${sql.join(r.map((v) => sql`${v}`))})`));
    await tx.query(sql`INSERT INTO ${sql.raw(target)} VALUES ${values} ${sql.raw(suffix)}`);
  }
}

let cache: Referentials | null = null;

export async function getReferentials(db: Queryable): Promise<Referentials> {
  if (cache) return cache;
  const kinds = await db.query<Kind>('SELECT code, name, family, description FROM structure_kinds ORDER BY position');
  const serviceTypes = await db.query<ServiceType>('SELECT code, name, description FROM service_types ORDER BY position');
  const rows = await db.query<{ slug: string; name: string; group_slug: string; group_name: string }>(
    `SELECT s.slug, s.name, s.group_slug, g.name AS group_name FROM sectors s JOIN sector_groups g ON g.slug = s.group_slug
     ORDER BY g.position, s.position`,
  );
  const groups: SectorGroup[] = [];
  const groupBySlug = new Map<string, SectorGroup>();
  const sectorBySlug = new Map<string, Sector>();
  for (const r of rows) {
    let g = groupBySlug.get(r.group_slug);
    if (!g) {
      g = { slug: r.group_slug, name: r.group_name, sectors: [] };
      groupBySlug.set(g.slug, g);
      groups.push(g);
    }
    const s = { slug: r.slug, name: r.name, groupSlug: r.group_slug, groupName: r.group_name };
    g.sectors.push(s);
    sectorBySlug.set(s.slug, s);
  }
  const networks = await db.query<Network>('SELECT slug, name, brand, website FROM networks ORDER BY name');
  const labels = await db.query<Label>('SELECT slug, name, website FROM labels ORDER BY name');
  const naf = new Map<string, string>();
  for (const r of await db.query<{ code: string; compact: string; label: string }>('SELECT code, compact, label FROM naf_codes')) {
    naf.set(r.code, r.label);
    naf.set(r.compact, r.label);
  }
  cache = {
    kinds,
    kindByCode: new Map(kinds.map((k) => [k.code, k])),
    serviceTypes,
    serviceTypeByCode: new Map(serviceTypes.map((k) => [k.code, k])),
    groups,
    sectorBySlug,
    groupBySlug,
    networks,
    networkBySlug: new Map(networks.map((n) => [n.slug, n])),
    labels,
    labelBySlug: new Map(labels.map((n) => [n.slug, n])),
    nafLabel: (code) => (code ? (naf.get(code.trim().toUpperCase()) ?? null) : null),
  };
  return cache;
}
