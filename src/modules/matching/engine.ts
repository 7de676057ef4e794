// The matching engine: from a need's criteria to the eligible structures, scored and explained in French.
// It runs over the directory's in-memory snapshot (snapshot.ts) with the directory's place rule (area.ts),
// plus per-process "facts" the snapshot lacks (reachability, demo flag, profile completion, activity ids,
// past responsiveness), loaded in a few queries once per directory version and at most once a minute.
// See docs/adr/0009-matching.md.
import type { Db, Queryable } from '../../core/db.ts';
import { areaLabel, discPlace, distanceToPlace, formatKm, isLocated, type Place, servesPlace, territoryPlace } from '../directory/area.ts';
import { completion } from '../directory/editing.ts';
import { KIND_CODES, type KindCode, SERVICE_TYPE_CODES } from '../directory/model.ts';
import { directoryVersion } from '../directory/repository.ts';
import type { StructureProfile } from '../directory/service.ts';
import {
  directoryChanged,
  directorySnapshot,
  placeEvaluation,
  type Snapshot,
  type SnapshotActivity,
  type SnapshotStructure,
} from '../directory/snapshot.ts';
import { getReferentials, type Referentials } from '../referentials/service.ts';
import { keyType, loadTerritories, type Territories, type Territory } from '../territories/data.ts';
import { type Match, type MatchCriteria, RESERVATION_KINDS, SOCIAL_CLAUSE_KINDS } from './model.ts';
import { loadResponsiveness, type Responsiveness, responsivenessReason, responsivenessScore } from './responsiveness.ts';
import { MATCHING } from './weights.ts';

// Facts ------------------------------------------------------------------------------------------------

/** How a structure can be reached with a need (0: it cannot). */
export const REACH = { none: 0, team: 1, publicEmail: 2, privateEmail: 3 } as const;
const REACH_REASON: Record<number, string> = {
  [REACH.team]: 'Joignable : équipe inscrite sur la plateforme',
  [REACH.publicEmail]: 'Joignable : adresse électronique publique',
  [REACH.privateEmail]: 'Joignable : adresse électronique connue de la plateforme',
};

/** What the engine knows about the snapshot's structures besides the snapshot (indexed like snap.structures). */
export interface MatchingFacts {
  version: number;
  loadedAt: number;
  reach: Uint8Array;
  demo: Uint8Array;
  /** Profile completion 0–100 (completion() of editing.ts). */
  completion: Uint8Array;
  /** Distinct sectors of the structure. */
  sectorCount: Int32Array;
  /** Activity ids, in the snapshot's order of each structure's activities. */
  activityIds: string[][];
  responsiveness: Map<string, Responsiveness>;
  /** Precomputed for the ranking loop: specificity by activity index; the structure-only components and
   * the structure-only score part (completeness and responsiveness, weighted) by structure index. */
  specificity: Float64Array;
  completeness: Float64Array;
  responsivenessScore: Float64Array;
  structurePart: Float64Array;
  /** The structure-only reasons (reach, profile, responsiveness), by structure index. */
  structureReasons: string[][];
}

interface FactsHolder {
  snap: Snapshot;
  facts: MatchingFacts | null;
  loading: Promise<MatchingFacts> | null;
}
const holders = new WeakMap<object, FactsHolder>();

/** Forgets this process's facts (tests, or after a change the engine must see at once). */
export function forgetMatchingFacts(db: Queryable): void {
  holders.delete(db);
}

/** The snapshot and the facts of the same directory version. */
export async function matchingState(db: Queryable): Promise<{ snap: Snapshot; facts: MatchingFacts }> {
  for (let attempt = 0; ; attempt++) {
    const snap = await directorySnapshot(db);
    let h = holders.get(db);
    if (!h || h.snap !== snap) {
      h = { snap, facts: null, loading: null };
      holders.set(db, h);
    }
    const holder = h;
    const start = () =>
      holder.loading ??
      (holder.loading = loadFacts(db, snap, attempt >= 3).finally(() => {
        holder.loading = null;
      }));
    if (holder.facts) {
      // Same directory version: the figures are at most a minute old, then refreshed in the background
      // (the request that notices the age does not wait).
      if (Date.now() - holder.facts.loadedAt >= MATCHING.cacheMs && !holder.loading) {
        start().then(
          (f) => {
            if (f.version === snap.version && holders.get(db) === holder) holder.facts = f;
          },
          () => {},
        );
      }
      return { snap, facts: holder.facts };
    }
    const loading = start();
    const facts: MatchingFacts = await loading;
    if (facts.version === snap.version) {
      holder.facts = facts;
      return { snap, facts };
    }
    // The directory changed between the snapshot and the facts: take the new snapshot and try again.
    directoryChanged(db);
  }
}

async function loadFacts(db: Queryable, snap: Snapshot, acceptAnyVersion: boolean): Promise<MatchingFacts> {
  const run = async (tx: Queryable): Promise<MatchingFacts> => {
    const version = acceptAnyVersion ? snap.version : await directoryVersion(tx);
    const n = snap.structures.length;
    const facts: MatchingFacts = {
      version,
      loadedAt: Date.now(),
      reach: new Uint8Array(n),
      demo: new Uint8Array(n),
      completion: new Uint8Array(n),
      sectorCount: new Int32Array(n),
      activityIds: snap.structures.map(() => []),
      responsiveness: new Map(),
      specificity: new Float64Array(snap.activityCount),
      completeness: new Float64Array(n),
      responsivenessScore: new Float64Array(n),
      structurePart: new Float64Array(n),
      structureReasons: [],
    };
    if (version !== snap.version) return facts;
    const rows = await tx.query<{
      id: string; is_demo: boolean; team: boolean; public_email: boolean; private_email: boolean;
      description: string | null; website: string | null; has_public_contact: boolean; capacity: boolean;
      logo_path: string | null; labels: number; commitments: number; client_references: number;
    }>(`SELECT s.id, s.is_demo,
          EXISTS (SELECT 1 FROM organisations o JOIN memberships m ON m.organisation_id = o.id
                   JOIN people p ON p.id = m.person_id AND p.email_confirmed_at IS NOT NULL
                  WHERE o.structure_id = s.id) AS team,
          coalesce(btrim(s.public_email), '') <> '' AS public_email,
          coalesce(btrim(pc.email), '') <> '' AS private_email,
          left(s.description, 400) AS description, s.website,
          (coalesce(s.public_email, '') <> '' OR coalesce(s.public_phone, '') <> '') AS has_public_contact,
          (s.etp IS NOT NULL OR s.employees_insertion IS NOT NULL OR s.employees_permanent IS NOT NULL) AS capacity,
          s.logo_path, cardinality(s.labels) AS labels, jsonb_array_length(s.commitments) AS commitments,
          cardinality(s.client_references) AS client_references
        FROM structures s LEFT JOIN structure_private_contacts pc ON pc.structure_id = s.id
        WHERE s.active AND NOT s.hidden`);
    for (const r of rows) {
      const s = snap.byId.get(r.id);
      if (!s) continue;
      const i = s.index;
      facts.reach[i] = r.team ? REACH.team : r.public_email ? REACH.publicEmail : r.private_email ? REACH.privateEmail : REACH.none;
      facts.demo[i] = r.is_demo ? 1 : 0;
      facts.completion[i] = completion(profileFacts(s, r)).score;
      facts.sectorCount[i] = new Set(s.activities.map((a) => a.sectorSlug)).size;
    }
    const acts = await tx.query<{ id: string; structure_id: string; sector_slug: string }>(
      `SELECT a.id, a.structure_id, a.sector_slug FROM activities a JOIN structures s ON s.id = a.structure_id
        WHERE s.active AND NOT s.hidden ORDER BY a.structure_id, a.position, a.id`,
    );
    for (const a of acts) {
      const s = snap.byId.get(a.structure_id);
      if (!s) continue;
      const ids = facts.activityIds[s.index];
      // Same order as the snapshot (structure, position); a different sector means another version.
      ids.push(s.activities[ids.length]?.sectorSlug === a.sector_slug ? a.id : '');
    }
    facts.responsiveness = await loadResponsiveness(tx);
    for (const s of snap.structures) {
      const i = s.index;
      for (const a of s.activities) facts.specificity[a.index] = round3(specificity(a, facts.sectorCount[i]));
      const r = facts.responsiveness.get(s.id);
      facts.completeness[i] = round3(facts.completion[i] / 100);
      facts.responsivenessScore[i] = round3(responsivenessScore(r));
      facts.structurePart[i] = W.completeness * facts.completeness[i] + W.responsiveness * facts.responsivenessScore[i];
      facts.structureReasons[i] = [REACH_REASON[facts.reach[i]], `Profil complété à ${facts.completion[i]} %`, responsivenessReason(r)];
    }
    return facts;
  };
  const d = db as Partial<Db>;
  if (!d.transaction) return run(db);
  return d.transaction(async (tx) => {
    if (d.driver === 'pg') await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return run(tx);
  });
}

/** The fields completion() reads, from the facts query (the long texts are not loaded). */
function profileFacts(
  s: SnapshotStructure,
  r: { description: string | null; website: string | null; has_public_contact: boolean; capacity: boolean; logo_path: string | null; labels: number; commitments: number; client_references: number },
): StructureProfile {
  const profile: Pick<
    StructureProfile,
    'id' | 'description' | 'activities' | 'publicEmail' | 'publicPhone' | 'website' | 'etp' | 'employeesInsertion' | 'employeesPermanent' | 'logoPath' | 'labels' | 'commitments' | 'clientReferences'
  > = {
    id: s.id,
    description: r.description,
    activities: new Array(s.activities.length),
    publicEmail: r.has_public_contact ? 'x' : null,
    publicPhone: null,
    website: r.website,
    etp: r.capacity ? 1 : null,
    employeesInsertion: null,
    employeesPermanent: null,
    logoPath: r.logo_path,
    labels: new Array(r.labels),
    commitments: new Array(r.commitments),
    clientReferences: new Array(r.client_references),
  };
  return profile as StructureProfile;
}

// Criteria ---------------------------------------------------------------------------------------------

/** Kinds a need admits: those of the reservation, those able to carry the clause, and the requested ones. */
export function eligibleKinds(c: Pick<MatchCriteria, 'reservation' | 'socialClause' | 'kinds'>): Set<KindCode> {
  let kinds = new Set<KindCode>(KIND_CODES);
  if (c.reservation) kinds = new Set(RESERVATION_KINDS[c.reservation]);
  if (c.socialClause) kinds = new Set([...kinds].filter((k) => SOCIAL_CLAUSE_KINDS.includes(k)));
  if (c.kinds.length) kinds = new Set([...kinds].filter((k) => c.kinds.includes(k)));
  return kinds;
}

/** The place of a need as the directory's places: one disc for a commune, one place per listed territory. */
type Resolved =
  | { kind: 'commune'; commune: Territory; parts: Place[] }
  | { kind: 'territories'; parts: Place[] }
  | { kind: 'country'; parts: Place[] };

function resolvePlace(c: MatchCriteria, territories: Territories): Resolved | null {
  const communePlace = (t: Territory) => discPlace(territories, t.lat as number, t.lon as number, 0, t);
  if (c.place.kind === 'country') return { kind: 'country', parts: [] };
  if (c.place.kind === 'commune') {
    const t = territories.commune(c.place.code);
    if (!t || t.lat == null || t.lon == null) return null;
    return { kind: 'commune', commune: t, parts: [communePlace(t)] };
  }
  const parts: Place[] = [];
  for (const key of [...new Set(c.place.keys.map((k) => k.toUpperCase()))]) {
    const t = territories.byKey.get(key);
    if (!t) continue;
    // A commune in a list is a commune place (the directory's disc rule); other territories use cover keys.
    if (t.type !== 'commune') parts.push(territoryPlace(territories, t));
    else if (t.lat != null && t.lon != null) parts.push(communePlace(t));
  }
  return parts.length ? { kind: 'territories', parts } : null;
}

// Components -------------------------------------------------------------------------------------------

const W = MATCHING.weights;
const W_TOTAL = W.distance + W.specificity + W.completeness + W.responsiveness;

/** The area part of specificity: a small area is specific, the whole country is not. */
function areaSpecificity(a: SnapshotActivity): number {
  const sp = MATCHING.specificity;
  const area = a.area;
  if (area.kind === 'country') return sp.country;
  if (area.kind === 'radius') return Math.min(1, Math.max(sp.areaFloor, 1 - area.radiusKm / sp.radiusZeroKm));
  let v = 1;
  for (const k of a.territoryKeys) {
    const type = keyType(k);
    if (type) v = Math.min(v, sp.territory[type]);
  }
  return v;
}

export function specificity(a: SnapshotActivity, sectorCount: number): number {
  const sp = MATCHING.specificity;
  const sectorPart = 1 / (1 + Math.max(0, sectorCount - 1) / sp.sectorsHalf);
  return sp.sectorShare * sectorPart + (1 - sp.sectorShare) * areaSpecificity(a);
}

export function distanceComponent(km: number | null): number {
  if (km == null || Number.isNaN(km)) return MATCHING.distance.unknown;
  return 1 / (1 + km / MATCHING.distance.halfKm);
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

// Matching ---------------------------------------------------------------------------------------------

export interface MatchOptions {
  limit?: number;
  exclude?: string[];
  /** Include structures marked is_demo (the platform's DEMO setting). */
  includeDemo?: boolean;
}

interface Hit {
  s: SnapshotStructure;
  activity: SnapshotActivity;
  /** Which part of the place the activity serves (index in parts). */
  part: number;
  distance: number | null;
  /** The first part of the place where the structure's address is (-1: none). */
  locatedIn: number;
  components: Match['components'];
  score: number;
}

/** Eligible structures for the criteria, best first: score desc, distance asc, name, id. */
export async function match(db: Queryable, c: MatchCriteria, opts: MatchOptions = {}): Promise<{ total: number; items: Match[] }> {
  const { snap, facts } = await matchingState(db);
  const refs = await getReferentials(db);
  const territories = loadTerritories();
  const place = resolvePlace(c, territories);
  if (!place) return { total: 0, items: [] };

  const kinds = eligibleKinds(c);
  const kindOk = new Uint8Array(KIND_CODES.length);
  for (const k of kinds) kindOk[KIND_CODES.indexOf(k)] = 1;
  let sectorOk: Uint8Array | null = null;
  if (c.sectors.length) {
    sectorOk = new Uint8Array(snap.sectors.length);
    for (const slug of c.sectors) {
      const i = snap.sectorIndex.get(slug);
      if (i != null) sectorOk[i] = 1;
    }
  }
  const typeMask = c.serviceTypes.reduce((m, t) => m | (1 << SERVICE_TYPE_CODES.indexOf(t)), 0);
  const excluded = new Set(opts.exclude ?? []);
  const includeDemo = opts.includeDemo ?? false;
  const dcfg = MATCHING.distance;

  const parts = place.parts;
  // A need without sectors looks at nearly every activity: the directory's evaluation of the whole
  // snapshot for the place (the same rule, kept per directory version) is then cheaper than one call
  // per activity.
  const evs = c.sectors.length === 0 && parts.length ? await Promise.all(parts.map((pl) => placeEvaluation(snap, pl))) : null;
  const partDistance: (number | null)[] = new Array(parts.length).fill(null);
  const partLocated: boolean[] = new Array(parts.length).fill(false);
  const hits: Hit[] = [];
  for (const s of snap.structures) {
    const i = s.index;
    if (kindOk[s.kindIdx] !== 1 || facts.reach[i] === REACH.none) continue;
    if (facts.demo[i] === 1 && !includeDemo) continue;
    if (excluded.size && excluded.has(s.id)) continue;

    let best: SnapshotActivity | null = null;
    let bestPart = -1;
    let bestDist = 0;
    let bestPartial = -1;
    // Where the structure stands with respect to each part of the place: computed once, at its first
    // activity of the right sector and prestation (most structures have none).
    let related = false;
    let locatedIn = -1;
    let structureDistance = 0;
    const acts = s.activities;
    for (let j = 0; j < acts.length; j++) {
      const a = acts[j];
      if (sectorOk && (a.sectorIdx < 0 || sectorOk[a.sectorIdx] !== 1)) continue;
      if (typeMask && (a.typeMask & typeMask) === 0) continue;
      if (!related) {
        related = true;
        for (let p = 0; p < parts.length; p++) {
          if (evs) {
            const d = evs[p].distance[i];
            partDistance[p] = Number.isNaN(d) ? null : d;
            partLocated[p] = evs[p].located[i] === 1;
          } else {
            partDistance[p] = distanceToPlace(s, parts[p]);
            partLocated[p] = isLocated(s, parts[p], partDistance[p]);
          }
          if (partLocated[p] && locatedIn < 0) locatedIn = p;
        }
        if (place.kind === 'commune') structureDistance = round3(distanceComponent(partDistance[0]));
        else if (place.kind === 'territories') structureDistance = locatedIn >= 0 ? dcfg.locatedInTerritory : dcfg.servedFromOutside;
      }
      // The directory's rule (servesPlace); a radius around the structure also covers the place where the
      // structure itself is.
      let part = place.kind === 'country' ? 0 : -1;
      for (let p = 0; p < parts.length && part < 0; p++) {
        const serves = evs ? evs[p].serves[a.index] === 1 : servesPlace(a, partDistance[p], parts[p]);
        if (serves || (a.area.kind === 'radius' && partLocated[p])) part = p;
      }
      if (part < 0) continue;
      const dist = place.kind === 'country' ? (a.isCountry ? dcfg.countryActivity : dcfg.localActivityForCountry) : structureDistance;
      const partial = W.distance * dist + W.specificity * facts.specificity[a.index];
      if (partial > bestPartial) {
        bestPartial = partial;
        best = a;
        bestPart = part;
        bestDist = dist;
      }
    }
    if (!best) continue;
    hits.push({
      s,
      activity: best,
      part: bestPart,
      distance: place.kind === 'commune' ? partDistance[0] : null,
      locatedIn,
      components: { distance: bestDist, specificity: facts.specificity[best.index], completeness: facts.completeness[i], responsiveness: facts.responsivenessScore[i] },
      score: Math.round((100 * (bestPartial + facts.structurePart[i])) / W_TOTAL),
    });
  }

  const far = Number.POSITIVE_INFINITY;
  hits.sort((x, y) => y.score - x.score || (x.distance ?? far) - (y.distance ?? far) || x.s.nameOrder - y.s.nameOrder);
  const limit = opts.limit == null ? hits.length : Math.max(0, opts.limit);
  const items = hits.slice(0, limit).map((h) => toMatch(h, c, place, facts, refs, territories));
  return { total: hits.length, items };
}

// Reasons ----------------------------------------------------------------------------------------------

/**
 * A match as returned; its reasons are written when first read (a page reads those of the matches it
 * shows, the sending those of its batch), then kept: a need with thousands of matches costs no strings.
 */
function toMatch(h: Hit, c: MatchCriteria, place: Resolved, facts: MatchingFacts, refs: Referentials, territories: Territories): Match {
  const s = h.s;
  const i = s.index;
  let reasons: string[] | null = null;
  const explain = (): string[] => {
    const kindName = refs.kindByCode.get(s.kind)?.name ?? s.kind;
    const out: string[] = [];
    if (c.reservation) out.push(`${kindName} : éligible au marché réservé ${c.reservation}`);
    if (c.socialClause) out.push(`${kindName} : peut porter la clause sociale d’insertion`);
    if (c.kinds.length && !c.reservation && !c.socialClause) out.push(`${kindName} : type de structure demandé`);
    out.push(activityReason(h, c, place, refs, territories));
    if (place.kind === 'territories' && h.locatedIn >= 0) out.push(`Adresse dans le lieu d’exécution : ${place.parts[h.locatedIn].label}`);
    out.push(...facts.structureReasons[i]);
    return out;
  };
  return {
    structureId: s.id,
    slug: s.slug,
    name: s.name,
    kind: s.kind,
    score: h.score,
    components: h.components,
    distanceKm: h.distance == null ? null : Math.round(h.distance * 10) / 10,
    activityId: facts.activityIds[i][s.activities.indexOf(h.activity)] ?? '',
    get reasons(): string[] {
      reasons ??= explain();
      return reasons;
    },
    set reasons(v: string[]) {
      reasons = v;
    },
  };
}

/** « Activité Nettoyage de locaux, prestation de service, intervient dans un rayon de 30 km : le lieu est à 12 km ». */
function activityReason(h: Hit, c: MatchCriteria, place: Resolved, refs: Referentials, territories: Territories): string {
  const a = h.activity;
  const sectorName = refs.sectorBySlug.get(a.sectorSlug)?.name ?? a.sectorSlug;
  const shown = c.serviceTypes.length ? a.serviceTypes.filter((t) => c.serviceTypes.includes(t)) : a.serviceTypes;
  const types = shown.map((t) => (refs.serviceTypeByCode.get(t)?.name ?? t).toLowerCase()).join(', ');
  const head = `Activité ${sectorName}, ${types}`;
  const area = a.area;
  const nameOf = (key: string) => {
    const t = territories.byKey.get(key);
    return t ? territories.label(t) : key;
  };
  if (place.kind === 'country') {
    if (area.kind === 'country') return `${head}, intervient dans toute la France`;
    return `${head}, intervient ${area.kind === 'radius' ? `dans un rayon de ${area.radiusKm} km` : `sur ${areaLabel(area, a.territoryKeys, territories)}`} : une partie du territoire national seulement`;
  }
  if (place.kind === 'commune') {
    const at = h.distance != null ? ` : le lieu est à ${formatKm(h.distance)}` : '';
    if (area.kind === 'country') return `${head}, intervient dans toute la France${at}`;
    if (area.kind === 'radius') {
      if (h.distance != null && h.distance <= area.radiusKm) return `${head}, intervient dans un rayon de ${area.radiusKm} km${at}`;
      return `${head}, intervient dans un rayon de ${area.radiusKm} km autour de son adresse, dans la commune du lieu (${place.commune.name})`;
    }
    const disc = place.parts[0];
    const keys = disc.kind === 'disc' ? disc.keys : new Set<string>();
    const hit = a.territoryKeys.find((k) => keys.has(k)) ?? a.territoryKeys[0];
    return `${head}, intervient sur ${nameOf(hit)}${at}`;
  }
  const p = place.parts[Math.max(0, h.part)];
  if (area.kind === 'country') return `${head}, intervient dans toute la France`;
  if (area.kind === 'radius') {
    if (p.kind === 'disc') {
      const d = distanceToPlace(h.s, p);
      if (d != null && d <= area.radiusKm) return `${head}, intervient dans un rayon de ${area.radiusKm} km : ${p.label} est à ${formatKm(d)}`;
      return `${head}, intervient dans un rayon de ${area.radiusKm} km autour de son adresse, à ${p.label}`;
    }
    return `${head}, son rayon d’intervention de ${area.radiusKm} km atteint ${p.label}`;
  }
  if (p.kind === 'disc') {
    const hit = a.territoryKeys.find((k) => p.keys.has(k)) ?? a.territoryKeys[0];
    return `${head}, intervient sur ${nameOf(hit)}`;
  }
  const container = a.territoryKeys.find((k) => p.selfAndParents.includes(k));
  if (container) return `${head}, intervient sur ${nameOf(container)}`;
  const inside = a.territoryKeys
    .filter((k) => {
      const t = territories.byKey.get(k);
      return t ? territories.parentKeys(t).includes(p.territory.key) : false;
    })
    .slice(0, 3)
    .map(nameOf);
  return `${head}, intervient sur ${inside.join(', ') || p.label}`;
}
