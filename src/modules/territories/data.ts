// Territories in memory: communes (with coordinates), EPCI, départements, régions.
// Sources: @etalab/decoupage-administratif 6.0.0 (COG 2026, Licence Ouverte) and
// data/geo/communes-coordonnees-laposte-2024.csv (La Poste coordinates, see data/geo/README.md).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT_DIR } from '../../core/config.ts';
import { compareFr, placeKey } from '../../core/text.ts';

export const TERRITORY_TYPES = ['commune', 'epci', 'departement', 'region'] as const;
export type TerritoryType = (typeof TERRITORY_TYPES)[number];

export interface Territory {
  key: string; // typed key: C59350, E200093201, D59, R32
  type: TerritoryType;
  code: string;
  name: string;
  departmentCode: string | null;
  regionCode: string | null;
  epciCode: string | null;
  postalCodes: string[];
  lat: number | null;
  lon: number | null;
  population: number | null;
}

const PREFIX: Record<TerritoryType, string> = { commune: 'C', epci: 'E', departement: 'D', region: 'R' };
export const territoryKey = (type: TerritoryType, code: string) => PREFIX[type] + code;
const TYPE_OF_PREFIX = Object.fromEntries(Object.entries(PREFIX).map(([type, prefix]) => [prefix, type])) as Record<string, TerritoryType>;
/** The type of a typed key ("D59" → departement), undefined for something else. */
export const keyType = (key: string): TerritoryType | undefined => TYPE_OF_PREFIX[key[0]];
/** A typed key as people and files write it: "D59" → "departement:59". */
export const keyToRef = (key: string): string => {
  const type = keyType(key);
  return type ? `${type}:${key.slice(1)}` : key;
};
export const TYPE_LABEL: Record<TerritoryType, string> = {
  commune: 'Commune',
  epci: 'Intercommunalité',
  departement: 'Département',
  region: 'Région',
};

export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180;
  const a =
    Math.sin(((lat2 - lat1) * r) / 2) ** 2 +
    Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.sqrt(a));
}

export class Territories {
  readonly byKey = new Map<string, Territory>();
  readonly communes: Territory[] = [];
  private byPostal = new Map<string, Territory[]>();
  private byDeptName = new Map<string, Territory>();
  private byName = new Map<string, Territory[]>();
  private members = new Map<string, Territory[]>(); // parent key -> communes
  private grid = new Map<number, Territory[]>(); // 0.1° cells -> communes
  readonly departmentsOfEpci = new Map<string, Set<string>>();

  get(type: TerritoryType, code: string): Territory | undefined {
    return this.byKey.get(territoryKey(type, code));
  }
  commune(code: string) {
    return this.get('commune', code);
  }
  all(type: TerritoryType): Territory[] {
    return [...this.byKey.values()].filter((t) => t.type === type);
  }

  add(t: Territory) {
    this.byKey.set(t.key, t);
    if (t.type !== 'commune') return;
    this.communes.push(t);
    for (const cp of t.postalCodes) push(this.byPostal, cp, t);
    const k = placeKey(t.name);
    this.byDeptName.set(`${t.departmentCode}|${k}`, t);
    push(this.byName, k, t);
    for (const parent of this.parentKeys(t)) push(this.members, parent, t);
    if (t.lat != null && t.lon != null) push(this.grid, cell(t.lat, t.lon), t);
  }

  /** Keys of the territories that contain t (not t itself). */
  parentKeys(t: Territory): string[] {
    const out: string[] = [];
    if (t.type === 'commune') {
      if (t.epciCode) out.push(territoryKey('epci', t.epciCode));
      if (t.departmentCode) out.push(territoryKey('departement', t.departmentCode));
      if (t.regionCode) out.push(territoryKey('region', t.regionCode));
    } else if (t.type === 'epci') {
      for (const d of this.departmentsOfEpci.get(t.code) ?? []) {
        out.push(territoryKey('departement', d));
        const dep = this.get('departement', d);
        if (dep?.regionCode) out.push(territoryKey('region', dep.regionCode));
      }
    } else if (t.type === 'departement' && t.regionCode) out.push(territoryKey('region', t.regionCode));
    return [...new Set(out)];
  }

  private parentsCache = new Map<string, string[]>();
  /** parentKeys, computed once per territory. */
  parentsOf(t: Territory): string[] {
    let p = this.parentsCache.get(t.key);
    if (!p) {
      p = this.parentKeys(t);
      this.parentsCache.set(t.key, p);
    }
    return p;
  }

  /** Communes inside a territory (a commune gives itself). */
  communesOf(t: Territory): Territory[] {
    return t.type === 'commune' ? [t] : (this.members.get(t.key) ?? []);
  }

  /** Every territory key that overlaps t: itself, what contains it, and what it contains. */
  overlappingKeys(t: Territory): string[] {
    const keys = new Set([t.key, ...this.parentKeys(t)]);
    if (t.type !== 'commune') {
      for (const c of this.communesOf(t)) {
        keys.add(c.key);
        if (c.epciCode) keys.add(territoryKey('epci', c.epciCode));
        if (t.type === 'region' && c.departmentCode) keys.add(territoryKey('departement', c.departmentCode));
      }
    }
    return [...keys];
  }

  /** Calls fn for every commune whose centre lies within radiusKm of a point (grid of 0.1° cells). */
  forEachCommuneWithin(lat: number, lon: number, radiusKm: number, fn: (c: Territory, km: number) => void): void {
    const cosLat = Math.cos((lat * Math.PI) / 180);
    const bound = (radiusKm * (1.05 + radiusKm / 500)) ** 2;
    const dLat = radiusKm / 111 + 0.1;
    const dLon = radiusKm / (111 * cosLat) + 0.1;
    for (let y = Math.floor((lat - dLat) * 10); y <= Math.floor((lat + dLat) * 10); y++) {
      for (let x = Math.floor((lon - dLon) * 10); x <= Math.floor((lon + dLon) * 10); x++) {
        const cell = this.grid.get(cellKey(y, x));
        if (!cell) continue;
        for (const c of cell) {
          // Cheap flat-earth bound first, with a margin that grows with the radius (latitude changes).
          const dy = ((c.lat as number) - lat) * 111.2;
          const dx = ((c.lon as number) - lon) * 111.2 * cosLat;
          if (dy * dy + dx * dx > bound) continue;
          const km = distanceKm(lat, lon, c.lat as number, c.lon as number);
          if (km <= radiusKm) fn(c, km);
        }
      }
    }
  }

  /** Communes whose centre lies within radiusKm of a point, nearest first. */
  communesWithin(lat: number, lon: number, radiusKm: number): { commune: Territory; km: number }[] {
    const out: { commune: Territory; km: number }[] = [];
    this.forEachCommuneWithin(lat, lon, radiusKm, (commune, km) => out.push({ commune, km }));
    return out.sort((a, b) => a.km - b.km);
  }

  /** The commune whose centre is nearest to a point (within 30 km). */
  nearestCommune(lat: number, lon: number): Territory | undefined {
    for (const r of [5, 15, 30]) {
      const found = this.communesWithin(lat, lon, r);
      if (found.length) return found[0].commune;
    }
    return undefined;
  }

  /** EPCI, départements and régions that a circle reaches (by commune centres, plus the centre's own). */
  reachKeys(lat: number, lon: number, radiusKm: number): string[] {
    const keys = new Set<string>();
    const add = (c: Territory) => {
      for (const k of this.parentsOf(c)) keys.add(k);
    };
    const here = this.nearestCommune(lat, lon);
    if (here) add(here);
    this.forEachCommuneWithin(lat, lon, radiusKm, add);
    return [...keys].sort();
  }

  /** Keys of every territory a disc overlaps: its communes and all that contains them. */
  discKeys(lat: number, lon: number, radiusKm: number): string[] {
    const keys = new Set<string>();
    const add = (c: Territory) => {
      keys.add(c.key);
      for (const k of this.parentsOf(c)) keys.add(k);
    };
    const here = this.nearestCommune(lat, lon);
    if (here) add(here);
    this.forEachCommuneWithin(lat, lon, radiusKm, add);
    return [...keys];
  }

  /** Finds a commune from what an address gives: INSEE code, postal code, name. */
  resolveCommune(input: { code?: string | null; postalCode?: string | null; city?: string | null; department?: string | null }): Territory | undefined {
    const code = input.code?.trim().toUpperCase();
    if (code) {
      const byCode = this.commune(code);
      if (byCode) return byCode;
    }
    const cp = input.postalCode?.trim();
    const name = input.city ? placeKey(input.city) : '';
    if (cp && /^\d{5}$/.test(cp)) {
      const list = this.byPostal.get(cp) ?? [];
      // A postal code of one commune is trusted (former commune names, CEDEX); otherwise the name decides.
      if (list.length === 1) return list[0];
      const named = list.find((c) => placeKey(c.name) === name);
      if (named) return named;
    }
    if (name) {
      const dep = input.department?.trim() || (cp ? departmentFromPostal(cp) : null);
      if (dep) {
        const hit = this.byDeptName.get(`${dep}|${name}`);
        if (hit) return hit;
      }
      const same = this.byName.get(name) ?? [];
      if (same.length === 1) return same[0];
    }
    return undefined;
  }

  /** Autocompletion over every level: by postal code, INSEE code or name. */
  suggest(q: string, limit = 10, types?: TerritoryType[]): Territory[] {
    const text = q.trim();
    if (!text) return [];
    const allowed = (t: Territory) => !types || types.includes(t.type);
    if (/^(\d{5}|2[AB]\d{3})$/i.test(text) || /^\d[\dAB]{1,4}$/i.test(text)) {
      const up = text.toUpperCase();
      const out: Territory[] = [];
      for (const t of [this.get('departement', up), this.get('region', up)]) if (t && allowed(t)) out.push(t);
      if (/^(\d{5}|2[AB]\d{3})$/.test(up)) {
        for (const c of this.byPostal.get(up) ?? []) if (allowed(c)) out.push(c);
        const c = this.commune(up);
        if (c && allowed(c) && !out.includes(c)) out.push(c);
      } else if (allowed({ type: 'commune' } as Territory)) {
        const found = this.communes.filter((c) => c.postalCodes.some((p) => p.startsWith(up)));
        found.sort((a, b) => (b.population ?? 0) - (a.population ?? 0));
        out.push(...found);
      }
      return out.slice(0, limit);
    }
    // Same spelling rules as addresses: "St Omer" finds Saint-Omer.
    const k = placeKey(text);
    if (!k) return [];
    const scored: { t: Territory; s: number }[] = [];
    for (const t of this.byKey.values()) {
      if (!allowed(t)) continue;
      const n = this.searchKey(t);
      let s = -1;
      if (n === k) s = 3;
      else if (n.startsWith(k)) s = 2;
      else if (n.includes(` ${k}`) || n.includes(k)) s = 1;
      if (s < 0) continue;
      const rank = t.type === 'region' ? 3 : t.type === 'departement' ? 2 : t.type === 'epci' ? 0.5 : 0;
      scored.push({ t, s: s * 10 + rank + Math.log10((t.population ?? 0) + 1) / 2 });
    }
    return scored
      .sort((a, b) => b.s - a.s || compareFr(a.t.name, b.t.name))
      .slice(0, limit)
      .map((x) => x.t);
  }

  private searchKeys = new Map<string, string>();
  private searchKey(t: Territory): string {
    let k = this.searchKeys.get(t.key);
    if (k === undefined) {
      k = placeKey(t.name);
      this.searchKeys.set(t.key, k);
    }
    return k;
  }

  /** A readable label: "Lille (59)", "Nord (59)", "Hauts-de-France". */
  label(t: Territory): string {
    if (t.type === 'commune') return `${t.name} (${t.departmentCode})`;
    if (t.type === 'departement') return `${t.name} (${t.code})`;
    return t.name;
  }
}

function push<K, T>(m: Map<K, T[]>, k: K, v: T) {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
const cellKey = (y: number, x: number) => y * 4000 + x;
const cell = (lat: number, lon: number) => cellKey(Math.floor(lat * 10), Math.floor(lon * 10));

export function departmentFromPostal(cp: string): string {
  if (cp.startsWith('97')) return cp.slice(0, 3);
  if (cp.startsWith('20')) return Number(cp) < 20200 ? '2A' : '2B';
  return cp.slice(0, 2);
}

let cached: Territories | null = null;

/** Loads (once per process) the territories of France. */
export function loadTerritories(): Territories {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const communes: any[] = require('@etalab/decoupage-administratif/data/communes.json');
  const epcis: any[] = require('@etalab/decoupage-administratif/data/epci.json');
  const departements: any[] = require('@etalab/decoupage-administratif/data/departements.json');
  const regions: any[] = require('@etalab/decoupage-administratif/data/regions.json');

  const coords = new Map<string, [number, number]>();
  const csv = fs.readFileSync(path.join(ROOT_DIR, 'data/geo/communes-coordonnees-laposte-2024.csv'), 'utf8');
  for (const line of csv.split('\n').slice(1)) {
    const cols = line.split(',');
    if (cols.length < 6) continue;
    const lat = Number(cols[cols.length - 2]);
    const lon = Number(cols[cols.length - 1]);
    if (Number.isFinite(lat) && Number.isFinite(lon)) coords.set(cols[0], [lat, lon]);
  }
  // Communes nouvelles and Paris/Lyon/Marseille: borrow coordinates from former or member communes.
  const delegated = new Map<string, string[]>();
  for (const c of communes) {
    if (c.type === 'commune-deleguee' || c.type === 'commune-associee') push(delegated, c.chefLieu, c.code);
    if (c.type === 'arrondissement-municipal') push(delegated, c.commune, c.code);
  }
  const coordOf = (c: any): [number, number] | null => {
    const own = coords.get(c.code);
    if (own) return own;
    const sources = [...(c.anciensCodes ?? []), ...(delegated.get(c.code) ?? [])]
      .map((k: string) => coords.get(k))
      .filter(Boolean) as [number, number][];
    if (!sources.length) return null;
    return [
      sources.reduce((s, p) => s + p[0], 0) / sources.length,
      sources.reduce((s, p) => s + p[1], 0) / sources.length,
    ];
  };

  const t = new Territories();
  const epciOf = new Map<string, string>();
  for (const e of epcis) for (const m of e.membres) epciOf.set(m.code, e.code);
  const communeDeps = new Map<string, string>();
  for (const c of communes) if (c.type === 'commune-actuelle') communeDeps.set(c.code, c.departement);
  for (const e of epcis) {
    t.departmentsOfEpci.set(e.code, new Set(e.membres.map((m: any) => communeDeps.get(m.code)).filter(Boolean)));
  }

  const regionCenter = new Map<string, string>();
  for (const r of regions) {
    if (Number(r.code) >= 975) continue; // collectivités d'outre-mer without communes in the COG files used here
    regionCenter.set(r.code, r.chefLieu);
  }
  const communeByCode = new Map(communes.filter((c) => c.type !== 'commune-deleguee' && c.type !== 'commune-associee').map((c) => [c.code, c]));
  const at = (code: string | undefined) => {
    const c = code ? communeByCode.get(code) : undefined;
    return c ? coordOf(c) : null;
  };
  for (const r of regions) {
    if (!regionCenter.has(r.code)) continue;
    const p = at(r.chefLieu);
    t.add({ key: territoryKey('region', r.code), type: 'region', code: r.code, name: r.nom, departmentCode: null, regionCode: r.code, epciCode: null, postalCodes: [], lat: p?.[0] ?? null, lon: p?.[1] ?? null, population: null });
  }
  for (const d of departements) {
    if (!regionCenter.has(d.region)) continue;
    const p = at(d.chefLieu);
    t.add({ key: territoryKey('departement', d.code), type: 'departement', code: d.code, name: d.nom, departmentCode: d.code, regionCode: d.region, epciCode: null, postalCodes: [], lat: p?.[0] ?? null, lon: p?.[1] ?? null, population: null });
  }
  for (const e of epcis) {
    const first = e.membres[0];
    const p = at(first?.code);
    const deps = [...(t.departmentsOfEpci.get(e.code) ?? [])];
    const dep = deps.length === 1 ? deps[0] : null;
    t.add({ key: territoryKey('epci', e.code), type: 'epci', code: e.code, name: e.nom, departmentCode: dep, regionCode: dep ? (t.get('departement', dep)?.regionCode ?? null) : null, epciCode: e.code, postalCodes: [], lat: p?.[0] ?? null, lon: p?.[1] ?? null, population: e.populationTotale ?? null });
  }
  for (const c of communes) {
    // Paris, Lyon and Marseille are one commune each here; their arrondissements give their coordinates.
    if (c.type !== 'commune-actuelle') continue;
    if (!regionCenter.has(c.region)) continue;
    const p = coordOf(c);
    const epci = epciOf.get(c.code) ?? null;
    t.add({ key: territoryKey('commune', c.code), type: 'commune', code: c.code, name: c.nom, departmentCode: c.departement, regionCode: c.region, epciCode: epci, postalCodes: c.codesPostaux ?? [], lat: p?.[0] ?? null, lon: p?.[1] ?? null, population: c.population ?? null });
  }
  cached = t;
  return t;
}
