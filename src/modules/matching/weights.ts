// The one place where the ranking of matches is tuned: weights of the four components and the curves that
// turn distances, areas, profiles and past answers into 0–1 values. See docs/adr/0009-matching.md.

function deepFreeze<T>(o: T): T {
  for (const v of Object.values(o as object)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}

export const MATCHING = deepFreeze({
  /** Relative weights of the components; the score is 100 × Σ wᵢ·cᵢ / Σ wᵢ, rounded. */
  weights: {
    distance: 35,
    specificity: 25,
    completeness: 20,
    responsiveness: 20,
  },
  distance: {
    /** Commune place: distance in km at which the component is one half (1 / (1 + d / halfKm)). */
    halfKm: 25,
    /** Commune place, structure without coordinates. */
    unknown: 0.3,
    /** Territories place: the structure's address is in one of the territories / it is not. */
    locatedInTerritory: 1,
    servedFromOutside: 0.6,
    /** Whole country: an activity covering the whole country / any other activity (ranked lower). */
    countryActivity: 1,
    localActivityForCountry: 0.3,
  },
  specificity: {
    /** Share of the sector part (the rest is the area part). */
    sectorShare: 0.5,
    /** Sector part: 1 / (1 + (n − 1) / sectorsHalf), n = distinct sectors of the structure. */
    sectorsHalf: 3,
    /** Area part of a radius: 1 − R / radiusZeroKm, kept within [areaFloor, 1]. */
    radiusZeroKm: 300,
    areaFloor: 0.15,
    /** Area part of listed territories: the widest listed one. */
    territory: { commune: 1, epci: 0.9, departement: 0.7, region: 0.45 },
    /** Area part of a whole-country activity. */
    country: 0.1,
  },
  responsiveness: {
    /** Window of the needs sent to a structure. */
    months: 12,
    /** Sends younger than this without an answer are not counted yet (the structure still has time). */
    graceDays: 7,
    /** Laplace smoothing: (answered + 1) / (sent + 2); a structure never contacted scores 0.5 (neutral). */
    prior: 1,
  },
  /** How long one process keeps the reachability, profile and responsiveness figures (ms). */
  cacheMs: Number(process.env.MATCHING_CACHE_MS ?? 60_000),
});

export type MatchingConfig = typeof MATCHING;
