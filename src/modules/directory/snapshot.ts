// The searchable directory in memory: every active structure with its activities, reloaded when the
// directory version changes (any process's write bumps it). Filters, facets and ordering run over it;
// words are found by PostgreSQL full-text search. See docs/adr/0004-search-in-memory.md.
import type { Queryable } from '../../core/db.ts';
import { compareFr } from '../../core/text.ts';
import { getReferentials } from '../referentials/service.ts';
import { type KindCode, SERVICE_TYPE_CODES, type ServiceTypeCode } from './model.ts';
import type { StoredArea, StructurePoint } from './area.ts';
import { directoryVersion } from './repository.ts';

export interface SnapshotActivity extends StoredArea {
  sectorSlug: string;
  serviceTypes: ServiceTypeCode[];
  /** Indexes into Snapshot.sectors / Snapshot.groups and a bit mask of SERVICE_TYPE_CODES, for fast counting. */
  sectorIdx: number;
  groupIdx: number;
  typeMask: number;
}

export interface SnapshotStructure extends StructurePoint {
  id: string;
  slug: string;
  siret: string;
  name: string;
  brand: string | null;
  kind: KindCode;
  sortName: string;
  completeness: number;
  /** Rank in the default order (most complete profile first, then name) and in French alphabetical order. */
  baseOrder: number;
  nameOrder: number;
  activities: SnapshotActivity[];
}

export interface Snapshot {
  version: number;
  sectors: string[];
  groups: string[];
  structures: SnapshotStructure[];
  byId: Map<string, SnapshotStructure>;
}

interface Holder {
  snapshot: Snapshot | null;
  loading: Promise<Snapshot> | null;
}
const holders = new WeakMap<object, Holder>();

/** The current snapshot of a database (loaded once per version, shared by concurrent requests). */
export async function directorySnapshot(db: Queryable): Promise<Snapshot> {
  let h = holders.get(db);
  if (!h) {
    h = { snapshot: null, loading: null };
    holders.set(db, h);
  }
  const version = await directoryVersion(db);
  if (h.snapshot && h.snapshot.version === version) return h.snapshot;
  if (h.loading) {
    const s = await h.loading;
    if (s.version === version) return s;
  }
  const holder = h;
  holder.loading = load(db, version).then(
    (s) => {
      holder.snapshot = s;
      holder.loading = null;
      return s;
    },
    (err) => {
      holder.loading = null;
      throw err;
    },
  );
  return holder.loading;
}

async function load(db: Queryable, version: number): Promise<Snapshot> {
  const rows = await db.query<{
    id: string; slug: string; siret: string; name: string; brand: string | null; kind: KindCode;
    commune_code: string | null; commune_name: string | null; department_code: string | null; region_code: string | null;
    epci_code: string | null; lat: number | null; lon: number | null; sort_name: string; completeness: number;
  }>(`SELECT id, slug, siret, name, brand, kind, commune_code, commune_name, department_code, region_code, epci_code,
        lat, lon, sort_name, completeness
      FROM structures WHERE active AND NOT hidden ORDER BY id`);
  const acts = await db.query<{
    structure_id: string; sector_slug: string; service_types: ServiceTypeCode[]; area_kind: 'country' | 'radius' | 'territories';
    radius_km: number | null; territory_keys: string[]; cover_keys: string[];
  }>(`SELECT a.structure_id, a.sector_slug, a.service_types, a.area_kind, a.radius_km, a.territory_keys, a.cover_keys
      FROM activities a JOIN structures s ON s.id = a.structure_id
      WHERE s.active AND NOT s.hidden ORDER BY a.structure_id, a.position`);
  const structures: SnapshotStructure[] = rows.map((r) => ({
    id: r.id,
    slug: r.slug,
    siret: r.siret,
    name: r.name,
    brand: r.brand,
    kind: r.kind,
    communeCode: r.commune_code,
    communeName: r.commune_name,
    departmentCode: r.department_code,
    regionCode: r.region_code,
    epciCode: r.epci_code,
    lat: r.lat,
    lon: r.lon,
    sortName: r.sort_name,
    completeness: r.completeness,
    baseOrder: 0,
    nameOrder: 0,
    activities: [],
  }));
  const byNameThenId = (a: SnapshotStructure, b: SnapshotStructure) => compareFr(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  structures.sort(byNameThenId).forEach((x, i) => {
    x.nameOrder = i;
  });
  // Kept in the default order: a search without words or place needs no sort at all.
  structures.sort((a, b) => b.completeness - a.completeness || a.nameOrder - b.nameOrder).forEach((x, i) => {
    x.baseOrder = i;
  });
  const byId = new Map(structures.map((s) => [s.id, s]));
  const refs = await getReferentials(db);
  const groups = refs.groups.map((g) => g.slug);
  const sectors = refs.groups.flatMap((g) => g.sectors.map((x) => x.slug));
  const sectorIdx = new Map(sectors.map((x, i) => [x, i]));
  const groupIdx = new Map(groups.map((x, i) => [x, i]));
  for (const a of acts) {
    byId.get(a.structure_id)?.activities.push({
      sectorSlug: a.sector_slug,
      serviceTypes: a.service_types,
      sectorIdx: sectorIdx.get(a.sector_slug) ?? -1,
      groupIdx: groupIdx.get(refs.sectorBySlug.get(a.sector_slug)?.groupSlug ?? '') ?? -1,
      typeMask: a.service_types.reduce((m, t) => m | (1 << SERVICE_TYPE_CODES.indexOf(t)), 0),
      area:
        a.area_kind === 'country'
          ? { kind: 'country' }
          : a.area_kind === 'radius'
            ? { kind: 'radius', radiusKm: a.radius_km as number }
            : { kind: 'territories', territories: a.territory_keys },
      territoryKeys: a.territory_keys,
      coverKeys: a.cover_keys,
    });
  }
  return { version, sectors, groups, structures, byId };
}
