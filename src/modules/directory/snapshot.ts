// The searchable directory in memory: every active structure with its activities, reloaded when the
// directory version changes (any process's write bumps it). Filters, facets and ordering run over it;
// words are found by PostgreSQL full-text search. See docs/adr/0004-search-in-memory.md.
import type { Db, Queryable } from '../../core/db.ts';
import { compareFr } from '../../core/text.ts';
import { getReferentials, resetReferentials } from '../referentials/service.ts';
import { KIND_CODES, type KindCode, SERVICE_TYPE_CODES, type ServiceTypeCode } from './model.ts';
import { distanceToPlace, isLocated, type Place, servesPlace, type StoredArea, storedArea, type StructurePoint } from './area.ts';
import { directoryVersion } from './repository.ts';

export interface SnapshotActivity extends StoredArea {
  sectorSlug: string;
  serviceTypes: ServiceTypeCode[];
  /** Indexes into Snapshot.sectors / Snapshot.groups and a bit mask of SERVICE_TYPE_CODES, for fast counting. */
  sectorIdx: number;
  groupIdx: number;
  typeMask: number;
  /** Position among all the snapshot's activities (for per-place evaluations). */
  index: number;
  isCountry: boolean;
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
  /** Position in Snapshot.structures, in KIND_CODES and in Snapshot.departments (-1: none). */
  index: number;
  kindIdx: number;
  depIdx: number;
  /** Rank in the default order (most complete profile first, then name) and in French alphabetical order. */
  baseOrder: number;
  nameOrder: number;
  activities: SnapshotActivity[];
}

export interface Snapshot {
  version: number;
  sectors: string[];
  /** Position of a sector slug in sectors. */
  sectorIndex: Map<string, number>;
  groups: string[];
  departments: string[];
  structures: SnapshotStructure[];
  byId: Map<string, SnapshotStructure>;
  activityCount: number;
}

/** Where every structure and activity stands with respect to one place (see placeEvaluation). */
export interface PlaceEvaluation {
  located: Uint8Array; // by structure index
  distance: Float64Array; // by structure index; NaN when unknown or not a disc
  serves: Uint8Array; // by activity index
}

const memos = new WeakMap<Snapshot, Map<string, unknown>>();
let memoEnabled = true;
/** Benchmarks measure the work without the per-version caches (and with a version read per search). */
export function setSearchCaches(on: boolean): void {
  memoEnabled = on;
}

/**
 * Keeps, for one version of the directory, the result of a pure computation (a place evaluated over every
 * structure, the structures matching some words): people search the same places and words again and again
 * with other filters. The cache goes with the snapshot when the directory changes.
 */
export async function memo<T>(snap: Snapshot, key: string, compute: () => T | Promise<T>, max = 128): Promise<T> {
  let cache = memos.get(snap);
  if (!cache) {
    cache = new Map();
    memos.set(snap, cache);
  }
  if (!memoEnabled) return compute();
  if (cache.has(key)) {
    const hit = cache.get(key) as T;
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const value = await compute();
  cache.set(key, value);
  if (cache.size > max) cache.delete(cache.keys().next().value as string);
  return value;
}

/** The rule of area.ts applied once to the whole snapshot for a place (kept with memo). */
export function placeEvaluation(snap: Snapshot, place: Place): Promise<PlaceEvaluation> {
  const key = place.kind === 'disc' ? `place:disc:${place.lat}:${place.lon}:${place.radiusKm}:${place.commune?.code ?? ''}` : `place:${place.territory.key}`;
  return memo(snap, key, () => evaluate(snap, place));
}

function evaluate(snap: Snapshot, place: Place): PlaceEvaluation {
  const ev: PlaceEvaluation = {
    located: new Uint8Array(snap.structures.length),
    distance: new Float64Array(snap.structures.length).fill(Number.NaN),
    serves: new Uint8Array(snap.activityCount),
  };
  for (const s of snap.structures) {
    const distance = distanceToPlace(s, place);
    if (distance != null) ev.distance[s.index] = distance;
    if (isLocated(s, place, distance)) ev.located[s.index] = 1;
    for (const a of s.activities) if (servesPlace(a, distance, place)) ev.serves[a.index] = 1;
  }
  return ev;
}

interface Holder {
  snapshot: Snapshot | null;
  loading: Promise<Snapshot> | null;
  /** When the version was last read from the database. */
  checkedAt: number;
}

/**
 * How long a process trusts its snapshot before reading the version again. Writes of this process
 * invalidate it at once (directoryChanged); writes of another process show within this delay.
 */
export const SNAPSHOT_MAX_AGE_MS = Number(process.env.SNAPSHOT_MAX_AGE_MS ?? 1000);

/** Called after a write commits in this process: the next search reads the version again. */
export function directoryChanged(db: Queryable): void {
  const h = holders.get(db);
  if (h) h.checkedAt = 0;
}
const holders = new WeakMap<object, Holder>();

/** The current snapshot of a database (loaded once per version, shared by concurrent requests). */
export async function directorySnapshot(db: Queryable): Promise<Snapshot> {
  let h = holders.get(db);
  if (!h) {
    h = { snapshot: null, loading: null, checkedAt: 0 };
    holders.set(db, h);
  }
  const now = Date.now();
  if (h.snapshot && memoEnabled && now - h.checkedAt < SNAPSHOT_MAX_AGE_MS) return h.snapshot;
  const version = await directoryVersion(db);
  h.checkedAt = now;
  if (h.snapshot && h.snapshot.version === version) return h.snapshot;
  if (h.loading) {
    const s = await h.loading;
    if (s.version >= version) return s;
  }
  const holder = h;
  const loading: Promise<Snapshot> = load(db).then(
    (s) => {
      // Concurrent loads: keep the newest; only the load that is still current clears the flag.
      if (!holder.snapshot || s.version >= holder.snapshot.version) holder.snapshot = s;
      if (holder.loading === loading) holder.loading = null;
      return s;
    },
    (err) => {
      if (holder.loading === loading) holder.loading = null;
      throw err;
    },
  );
  holder.loading = loading;
  return loading;
}

/** Reads the version and both tables in one consistent view of the database. */
function load(db: Queryable): Promise<Snapshot> {
  const run = async (tx: Queryable) => {
    const version = await directoryVersion(tx);
    return read(tx, version);
  };
  const d = db as Partial<Db>;
  if (!d.transaction) return run(db);
  return d.transaction(async (tx) => {
    if (d.driver === 'pg') await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return run(tx);
  });
}

async function read(db: Queryable, version: number): Promise<Snapshot> {
  resetReferentials(); // reference data may have changed with the directory (db migrate in another process)
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
    index: 0,
    kindIdx: KIND_CODES.indexOf(r.kind),
    depIdx: -1,
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
    x.index = i;
  });
  const byId = new Map(structures.map((s) => [s.id, s]));
  const refs = await getReferentials(db);
  const groups = refs.groups.map((g) => g.slug);
  const sectors = refs.groups.flatMap((g) => g.sectors.map((x) => x.slug));
  const sectorIdx = new Map(sectors.map((x, i) => [x, i]));
  const groupIdx = new Map(groups.map((x, i) => [x, i]));
  let activityCount = 0;
  for (const a of acts) {
    byId.get(a.structure_id)?.activities.push({
      sectorSlug: a.sector_slug,
      serviceTypes: a.service_types,
      sectorIdx: sectorIdx.get(a.sector_slug) ?? -1,
      groupIdx: groupIdx.get(refs.sectorBySlug.get(a.sector_slug)?.groupSlug ?? '') ?? -1,
      typeMask: a.service_types.reduce((m, t) => m | (1 << SERVICE_TYPE_CODES.indexOf(t)), 0),
      index: activityCount++,
      isCountry: a.area_kind === 'country',
      area: storedArea(a.area_kind, a.radius_km, a.territory_keys),
      territoryKeys: a.territory_keys,
      coverKeys: a.cover_keys,
    });
  }
  const departments = [...new Set(structures.map((x) => x.departmentCode).filter((d): d is string => Boolean(d)))].sort();
  for (const x of structures) x.depIdx = x.departmentCode ? departments.indexOf(x.departmentCode) : -1;
  return { version, sectors, sectorIndex: sectorIdx, groups, departments, structures, byId, activityCount };
}
