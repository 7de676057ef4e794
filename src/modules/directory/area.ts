// Area served: the one place where "does this activity serve that place?" is decided
// (servesPlace), and where the answer is explained in French (explainServes).
import { AppError } from '../../core/errors.ts';
import { distanceKm, type Territories, type Territory, type TerritoryType, territoryKey } from '../territories/data.ts';
import type { Area } from './model.ts';

const REF_TYPES: Record<string, TerritoryType> = {
  commune: 'commune',
  epci: 'epci',
  departement: 'departement',
  département: 'departement',
  region: 'region',
  région: 'region',
};

/** "departement:59" → D59; also accepts typed keys ("D59"). Unknown references throw. */
export function territoryRefToKey(ref: string, territories: Territories): string {
  const s = ref.trim();
  const m = /^([a-zé]+):(.+)$/i.exec(s);
  if (m) {
    const type = REF_TYPES[m[1].toLowerCase()];
    const t = type ? territories.get(type, m[2].trim().toUpperCase()) : undefined;
    if (!t) throw new AppError('UNKNOWN_TERRITORY', `Territoire inconnu : « ${ref} ».`);
    return t.key;
  }
  if (territories.byKey.has(s.toUpperCase())) return s.toUpperCase();
  throw new AppError('UNKNOWN_TERRITORY', `Territoire inconnu : « ${ref} » (attendu par exemple departement:59 ou commune:59350).`);
}

/** The area of an activity from its stored columns; listed keys can be mapped (to "departement:59"…). */
export function storedArea(kind: 'country' | 'radius' | 'territories', radiusKm: number | null, keys: string[], mapKey: (k: string) => string = (k) => k): Area {
  if (kind === 'country') return { kind: 'country' };
  if (kind === 'radius') return { kind: 'radius', radiusKm: radiusKm as number };
  return { kind: 'territories', territories: keys.map(mapKey) };
}

/** Keys stored on an activity: listed territories, and what the area covers (see migration 0003). */
export function storedKeys(
  area: Area,
  at: { lat: number | null; lon: number | null },
  territories: Territories,
): { territoryKeys: string[]; coverKeys: string[] } {
  if (area.kind === 'country') return { territoryKeys: [], coverKeys: [] };
  if (area.kind === 'radius') {
    if (at.lat == null || at.lon == null) return { territoryKeys: [], coverKeys: [] };
    return { territoryKeys: [], coverKeys: territories.reachKeys(at.lat, at.lon, area.radiusKm) };
  }
  const listed = [...new Set(area.territories.map((r) => territoryRefToKey(r, territories)))].sort();
  const cover = new Set(listed);
  for (const k of listed) {
    const t = territories.byKey.get(k);
    if (t) for (const p of territories.parentKeys(t)) cover.add(p);
  }
  return { territoryKeys: listed, coverKeys: [...cover].sort() };
}

/** Where a search looks: a disc (around a commune or a point) or a territory (département, région, EPCI). */
export type Place =
  | { kind: 'disc'; lat: number; lon: number; radiusKm: number; commune: Territory | null; keys: Set<string>; label: string }
  | { kind: 'territory'; territory: Territory; selfAndParents: string[]; label: string };

export function discPlace(territories: Territories, lat: number, lon: number, radiusKm: number, commune: Territory | null): Place {
  const keys = territories.discKeys(lat, lon, radiusKm);
  if (commune) {
    keys.push(commune.key, ...territories.parentKeys(commune));
  }
  const label = commune ? territories.label(commune) : `${lat.toFixed(4)}, ${lon.toFixed(4)}`;
  return { kind: 'disc', lat, lon, radiusKm, commune, keys: new Set(keys), label };
}

export function territoryPlace(territories: Territories, t: Territory): Place {
  return { kind: 'territory', territory: t, selfAndParents: [t.key, ...territories.parentKeys(t)], label: territories.label(t) };
}

export interface StructurePoint {
  lat: number | null;
  lon: number | null;
  communeCode: string | null;
  communeName: string | null;
  departmentCode: string | null;
  regionCode: string | null;
  epciCode: string | null;
}

/** The structure's own address is in the place (commune, or within the radius; or inside the territory). */
export function isLocated(s: StructurePoint, place: Place, distance: number | null = distanceToPlace(s, place)): boolean {
  if (place.kind === 'disc') {
    if (place.commune && s.communeCode === place.commune.code) return true;
    return distance != null && distance <= place.radiusKm;
  }
  const t = place.territory;
  const v = t.type === 'commune' ? s.communeCode : t.type === 'epci' ? s.epciCode : t.type === 'departement' ? s.departmentCode : s.regionCode;
  return v === t.code;
}

/** How an activity's area is stored (see migration 0003). */
export interface StoredArea {
  area: Area;
  territoryKeys: string[];
  coverKeys: string[];
}

export function distanceToPlace(s: StructurePoint, place: Place): number | null {
  if (place.kind !== 'disc' || s.lat == null || s.lon == null) return null;
  return distanceKm(s.lat, s.lon, place.lat, place.lon);
}

/**
 * The rule: does this activity serve the place? Whole country always; a radius when the circles meet
 * (disc) or when the circle reaches the territory; listed territories when one overlaps the place.
 */
export function servesPlace(a: StoredArea, distance: number | null, place: Place): boolean {
  const { area } = a;
  if (area.kind === 'country') return true;
  if (place.kind === 'disc') {
    if (area.kind === 'radius') return distance != null && distance <= area.radiusKm + place.radiusKm;
    return a.territoryKeys.some((k) => place.keys.has(k));
  }
  if (a.coverKeys.includes(place.territory.key)) return true;
  return area.kind === 'territories' && a.territoryKeys.some((k) => place.selfAndParents.includes(k));
}

/** The same rule with its reason in French; null when the activity does not serve the place. */
export function explainServes(
  activity: StoredArea & { sectorName: string },
  s: StructurePoint,
  place: Place,
  territories: Territories,
): string | null {
  const distance = distanceToPlace(s, place);
  if (!servesPlace(activity, distance, place)) return null;
  const { area } = activity;
  if (area.kind === 'country') return `${activity.sectorName} : intervient dans toute la France`;
  if (area.kind === 'radius') {
    if (place.kind === 'disc') return `${activity.sectorName} : intervient dans un rayon de ${area.radiusKm} km, le lieu est à ${formatKm(distance as number)}`;
    return `${activity.sectorName} : son rayon d’intervention de ${area.radiusKm} km atteint ${place.label}`;
  }
  if (place.kind === 'disc') {
    const hit = activity.territoryKeys.find((k) => place.keys.has(k)) as string;
    return `${activity.sectorName} : intervient sur ${nameOf(hit, territories)}`;
  }
  const container = activity.territoryKeys.find((k) => place.selfAndParents.includes(k));
  if (container) return `${activity.sectorName} : intervient sur ${nameOf(container, territories)}`;
  const target = place.territory.key;
  const inside = activity.territoryKeys
    .filter((k) => {
      const t = territories.byKey.get(k);
      return t ? territories.parentKeys(t).includes(target) : false;
    })
    .slice(0, 3)
    .map((k) => nameOf(k, territories));
  return `${activity.sectorName} : intervient sur ${inside.join(', ') || place.label}`;
}

export function formatKm(km: number): string {
  return km < 10 ? `${km.toFixed(1).replace('.', ',')} km` : `${Math.round(km)} km`;
}

function nameOf(key: string, territories: Territories): string {
  const t = territories.byKey.get(key);
  return t ? territories.label(t) : key;
}

/** "Dans toute la France", "Dans un rayon de 30 km", "Nord (59), Lille (59)". */
export function areaLabel(area: Area, territoryKeys: string[], territories: Territories): string {
  if (area.kind === 'country') return 'Dans toute la France';
  if (area.kind === 'radius') return `Dans un rayon de ${area.radiusKm} km autour de la structure`;
  return territoryKeys.map((k) => nameOf(k, territories)).join(', ');
}

export { territoryKey };
