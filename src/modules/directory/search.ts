// Directory search: words, filters, place, facets and the French reasons of each match.
import type { FacetSchema, SearchItemSchema, SearchResponseSchema } from './schemas.ts';
import { z } from 'zod';
import type { Queryable } from '../../core/db.ts';
import { AppError } from '../../core/errors.ts';
import { cleanIdentifier } from '../../core/siret.ts';
import { type Sql, sql } from '../../core/sql.ts';
import { compareFr, normalize } from '../../core/text.ts';
import { FAMILY_LABEL, getReferentials, type Referentials } from '../referentials/service.ts';
import { loadTerritories, type Territories } from '../territories/data.ts';
import { discPlace, distanceToPlace, explainServes, formatKm, isLocated, type Place, territoryPlace } from './area.ts';
import { KIND_CODES, KIND_FAMILY, type KindCode, SERVICE_TYPE_CODES, type ServiceTypeCode } from './model.ts';
import { directorySnapshot, memo, placeEvaluation, type Snapshot, type SnapshotStructure } from './snapshot.ts';

/** Repeatable query parameter: ?kind=EI&kind=ACI or ?kind=EI,ACI. */
const many = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => {
    if (v === undefined || v === null || v === '') return undefined;
    const list = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean);
    return list.length ? list : undefined;
  }, z.array(item).optional());

const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);
const optNumber = (min: number, max: number) => z.preprocess(blankToUndefined, z.coerce.number().min(min).max(max).optional());

export const SearchQuerySchema = z.object({
  q: z.preprocess(blankToUndefined, z.string().max(200).optional()).describe('Mots, nom, SIRET (14 chiffres) ou SIREN (9 chiffres)'),
  kind: many(z.enum(KIND_CODES)).describe('Type de structure, répétable (EI, AI, ACI, ETTI, EITI, GEIQ, SEP, EA, EATT, ESAT)'),
  family: many(z.enum(['insertion', 'handicap'])).describe('Famille de types : insertion ou handicap'),
  sectorGroup: many(z.string().max(100)).describe('Groupe de secteurs (slug), répétable'),
  sector: many(z.string().max(100)).describe('Secteur (slug), répétable'),
  serviceType: many(z.enum(SERVICE_TYPE_CODES)).describe('Type de prestation : DISP, PREST, BUILD'),
  department: z.preprocess(blankToUndefined, z.string().regex(/^(\d{2,3}|2[AB])$/i).optional()).describe('Code INSEE du département'),
  region: z.preprocess(blankToUndefined, z.string().regex(/^\d{2}$/).optional()).describe('Code INSEE de la région'),
  epci: z.preprocess(blankToUndefined, z.string().regex(/^\d{9}$/).optional()).describe('SIREN de l’intercommunalité (EPCI)'),
  commune: z.preprocess(blankToUndefined, z.string().regex(/^(\d{5}|2[AB]\d{3})$/i).optional()).describe('Code INSEE de la commune'),
  lat: optNumber(-90, 90),
  lon: optNumber(-180, 180),
  radiusKm: optNumber(0, 300).describe('Rayon de recherche autour de la commune ou du point, en km'),
  sort: z.preprocess(blankToUndefined, z.enum(['relevance', 'distance', 'name']).default('relevance')),
  page: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(10000).default(1)),
  perPage: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(100).default(20)),
});
export type SearchQuery = z.output<typeof SearchQuerySchema>;

// The shapes of an answer are those of the API schemas (one definition for the code and the OpenAPI).
export type SearchItem = z.infer<typeof SearchItemSchema>;
export type Facet = z.infer<typeof FacetSchema>;
export type SearchResult = z.infer<typeof SearchResponseSchema>;

interface TextQuery {
  siret?: string;
  siren?: string;
  tsquery: string | null;
  /** Some word matched no lexeme of the directory, even corrected. */
  unresolved?: boolean;
  normalized: string;
  corrected: string | null;
}

/** Resolves the place of a query (disc or territory); throws a 400 on unknown codes or incomplete points. */
export function resolvePlace(q: SearchQuery, territories: Territories): Place | null {
  const radius = q.radiusKm ?? 0;
  if ((q.lat === undefined) !== (q.lon === undefined)) {
    throw new AppError('INVALID_POINT', 'Indiquez la latitude et la longitude ensemble.', 400, { fields: ['lat', 'lon'] });
  }
  const places = [q.commune, q.lat !== undefined ? 'point' : undefined, q.epci, q.department, q.region].filter(Boolean);
  if (places.length > 1) {
    throw new AppError('TOO_MANY_PLACES', 'Choisissez un seul lieu : une commune, un point, une intercommunalité, un département ou une région.', 400);
  }
  if (q.commune) {
    const c = territories.commune(q.commune.toUpperCase());
    if (!c) throw new AppError('UNKNOWN_COMMUNE', `Commune inconnue : ${q.commune}.`, 400, { field: 'commune' });
    if (c.lat == null || c.lon == null) throw new AppError('COMMUNE_WITHOUT_COORDINATES', `La commune ${c.name} n’a pas de coordonnées connues.`, 400);
    return discPlace(territories, c.lat, c.lon, radius, c);
  }
  if (q.lat !== undefined && q.lon !== undefined) {
    if (!q.radiusKm) throw new AppError('RADIUS_REQUIRED', 'Indiquez un rayon (radiusKm) autour du point.', 400, { field: 'radiusKm' });
    return discPlace(territories, q.lat, q.lon, radius, null);
  }
  if (q.radiusKm) throw new AppError('PLACE_REQUIRED', 'Un rayon demande une commune ou un point (lat, lon).', 400, { field: 'radiusKm' });
  const typed = q.epci ? (['epci', q.epci] as const) : q.department ? (['departement', q.department.toUpperCase()] as const) : q.region ? (['region', q.region] as const) : null;
  if (!typed) return null;
  const t = territories.get(typed[0], typed[1]);
  if (!t) {
    const what = { epci: 'Intercommunalité', departement: 'Département', region: 'Région' }[typed[0]];
    throw new AppError('UNKNOWN_TERRITORY', `${what} inconnu(e) : ${typed[1]}.`, 400, { field: typed[0] === 'departement' ? 'department' : typed[0] });
  }
  return territoryPlace(territories, t);
}

/** Words → lexemes of the directory, correcting small typos against the lexicon. */
async function textQuery(db: Queryable, q: string | undefined): Promise<TextQuery | null> {
  if (!q || !q.trim()) return null;
  const digits = cleanIdentifier(q);
  if (/^\d{14}$/.test(digits)) return { siret: digits, tsquery: null, normalized: digits, corrected: null };
  if (/^\d{9}$/.test(digits)) return { siren: digits, tsquery: null, normalized: digits, corrected: null };
  const normalized = normalize(q).slice(0, 200);
  const words = normalized.split(' ').filter(Boolean).slice(0, 8);
  if (!words.length) return null;
  // Each word: its lexeme when the directory has it; otherwise the nearest word of the directory (trigrams).
  const rows = await db.query<{ ord: number; word: string; lexeme: string | null; known: boolean; near_word: string | null; near_lexeme: string | null }>(sql`
    SELECT w.ord::int AS ord, w.word, lx.lexeme,
      EXISTS (SELECT 1 FROM search_lexicon l WHERE l.lexeme = lx.lexeme) AS known,
      n.word AS near_word, n.lexeme AS near_lexeme
    FROM unnest(${words}::text[]) WITH ORDINALITY AS w(word, ord)
    LEFT JOIN LATERAL (SELECT (tsvector_to_array(to_tsvector('fr_unaccent', w.word)))[1] AS lexeme) lx ON TRUE
    LEFT JOIN LATERAL (
      SELECT l.word, l.lexeme FROM search_lexicon l
      WHERE length(w.word) > 3 AND l.word % w.word
        AND NOT EXISTS (SELECT 1 FROM search_lexicon k WHERE k.lexeme = lx.lexeme)
      ORDER BY similarity(l.word, w.word) DESC, l.occurrences DESC, l.word LIMIT 1) n ON TRUE
    ORDER BY w.ord`);
  const useful = rows.filter((r) => r.lexeme); // stop words have no lexeme
  if (!useful.length) return { tsquery: null, normalized, corrected: null };
  const terms = useful.map((r) => `${(r.known ? r.lexeme : (r.near_lexeme ?? r.lexeme))?.replace(/[^a-z0-9]/g, '')}:*`).filter((t) => t.length > 2);
  const changed = useful.some((r) => !r.known && r.near_word && r.near_word !== r.word);
  return {
    tsquery: terms.length ? terms.join(' & ') : null,
    unresolved: useful.some((r) => !r.known && !r.near_word),
    normalized,
    corrected: changed ? useful.map((r) => (!r.known && r.near_word ? r.near_word : r.word)).join(' ') : null,
  };
}

interface Built {
  q: SearchQuery;
  text: TextQuery | null;
  place: Place | null;
  sectors: string[] | null; // sector slugs from sector and sectorGroup
  kinds: KindCode[] | null;
}

/**
 * Words: lexemes found in the directory use the full-text index; when a word matched nothing even after
 * correction, names are also compared by trigrams (typos in names).
 */
function textCondition(t: TextQuery): Sql {
  if (t.siret) return sql`s.siret = ${t.siret}`;
  if (t.siren) return sql`s.siren = ${t.siren}`;
  const fuzzy = sql`s.search_text %> ${t.normalized}`;
  if (!t.tsquery) return fuzzy;
  const full = sql`s.search_vector @@ to_tsquery('simple', ${t.tsquery})`;
  return t.unresolved ? sql`(${full} OR ${fuzzy})` : full;
}

/** Structures matching the words (in the default order), and their text rank by structure index. */
async function textHits(db: Queryable, snap: Snapshot, t: TextQuery): Promise<{ candidates: SnapshotStructure[]; rank: Float64Array }> {
  const matches = await textMatches(db, t);
  const rank = new Float64Array(snap.structures.length);
  const candidates: SnapshotStructure[] = [];
  for (const [id, r] of matches) {
    const s = snap.byId.get(id);
    if (!s) continue;
    rank[s.index] = r;
    candidates.push(s);
  }
  candidates.sort((x, y) => x.index - y.index);
  return { candidates, rank };
}

async function textMatches(db: Queryable, t: TextQuery): Promise<Map<string, number>> {
  const rank = t.tsquery
    ? t.unresolved
      ? sql`(ts_rank_cd(s.search_vector, to_tsquery('simple', ${t.tsquery})) + word_similarity(${t.normalized}, s.search_text))`
      : sql`ts_rank_cd(s.search_vector, to_tsquery('simple', ${t.tsquery}))`
    : t.siret || t.siren
      ? sql`1::float8`
      : sql`word_similarity(${t.normalized}, s.search_text)`;
  const rows = await db.query<{ id: string; rank: number }>(
    sql`SELECT s.id, ${rank} AS rank FROM structures s WHERE s.active AND NOT s.hidden AND ${textCondition(t)}`,
  );
  return new Map(rows.map((r) => [r.id, r.rank]));
}

function kindsOf(q: SearchQuery): KindCode[] | null {
  if (!q.kind && !q.family) return null;
  const fromFamily = q.family ? KIND_CODES.filter((k) => q.family?.includes(KIND_FAMILY[k])) : [];
  return [...new Set([...(q.kind ?? []), ...fromFamily])];
}

function sectorsOf(q: SearchQuery, refs: Referentials): string[] | null {
  if (!q.sector && !q.sectorGroup) return null;
  const out = new Set<string>();
  for (const slug of q.sector ?? []) {
    if (!refs.sectorBySlug.has(slug)) throw new AppError('UNKNOWN_SECTOR', `Secteur inconnu : « ${slug} ».`, 400, { field: 'sector', value: slug });
    out.add(slug);
  }
  for (const slug of q.sectorGroup ?? []) {
    const g = refs.groupBySlug.get(slug);
    if (!g) throw new AppError('UNKNOWN_SECTOR_GROUP', `Groupe de secteurs inconnu : « ${slug} ».`, 400, { field: 'sectorGroup', value: slug });
    for (const s of g.sectors) out.add(s.slug);
  }
  return [...out];
}

interface Hit {
  s: SnapshotStructure;
  distance: number | null;
}

/** A 0/1 array of a given size with the given positions set (negative positions ignored). */
function flags(size: number, positions: number[]): Uint8Array {
  const f = new Uint8Array(size);
  for (const p of positions) if (p >= 0) f[p] = 1;
  return f;
}

/**
 * Filters, facets and ordering over the in-memory directory. A place is served when the structure is there
 * or an activity serves it; with sector or prestation filters, ONE activity must match them and the place.
 * A multi-select facet (kind, sector, prestation type) counts without its own filter.
 */
export async function searchStructures(db: Queryable, q: SearchQuery): Promise<SearchResult> {
  const refs = await getReferentials(db);
  const territories = loadTerritories();
  const place = resolvePlace(q, territories);
  if (q.sort === 'distance' && place?.kind !== 'disc') {
    throw new AppError('SORT_NEEDS_PLACE', 'Le tri par distance demande une commune ou un point.', 400, { field: 'sort' });
  }
  const snap = await directorySnapshot(db);
  const text = q.q?.trim() ? await memo(snap, `words:${q.q.trim()}`, () => textQuery(db, q.q)) : null;
  const b: Built = { q, text, place, sectors: sectorsOf(q, refs), kinds: kindsOf(q) };
  const words = text ? await memo(snap, `matches:${JSON.stringify(text)}`, () => textHits(db, snap, text)) : null;
  const candidates = words ? words.candidates : snap.structures;
  const rankOf = words?.rank;

  // Filters and counters indexed by integers (kinds, sectors, départements): this loop runs over the directory.
  const kindFilter = b.kinds ? flags(KIND_CODES.length, b.kinds.map((k) => KIND_CODES.indexOf(k))) : null;
  const sectorFilter = b.sectors ? flags(snap.sectors.length, b.sectors.map((x) => snap.sectorIndex.get(x) ?? -1)) : null;
  const typeMask = q.serviceType ? q.serviceType.reduce((m, t) => m | (1 << SERVICE_TYPE_CODES.indexOf(t)), 0) : 0;
  const hasActivityFilter = Boolean(sectorFilter || typeMask);
  const kindCounts = new Int32Array(KIND_CODES.length);
  const depCounts = new Int32Array(snap.departments.length);
  // Distinct structures per sector, group and prestation type: counters with the last structure seen.
  const sectorCounts = new Int32Array(snap.sectors.length);
  const sectorSeen = new Int32Array(snap.sectors.length).fill(-1);
  const groupCounts = new Int32Array(snap.groups.length);
  const groupSeen = new Int32Array(snap.groups.length).fill(-1);
  const typeCounts = new Int32Array(SERVICE_TYPE_CODES.length);
  // Hits, in the order of the candidates (the default order).
  const hitIndex = new Int32Array(candidates.length);
  const hitScore = new Uint8Array(candidates.length);
  let hitCount = 0;
  const ev = place ? await placeEvaluation(snap, place) : null;
  for (let i = 0; i < candidates.length; i++) {
    const s = candidates[i];
    const kindOk = !kindFilter || kindFilter[s.kindIdx] === 1;
    const located = ev ? ev.located[s.index] === 1 : false;
    let all = false;
    let any = false;
    let local = false;
    let types = 0;
    const acts = s.activities;
    for (let j = 0; j < acts.length; j++) {
      const a = acts[j];
      if (ev && !located) {
        if (ev.serves[a.index] !== 1) continue;
        if (!a.isCountry) local = true;
      }
      any = true;
      const secOk = !sectorFilter || (a.sectorIdx >= 0 && sectorFilter[a.sectorIdx] === 1);
      const stOk = !typeMask || (a.typeMask & typeMask) !== 0;
      if (secOk && stOk) all = true;
      if (kindOk && stOk && a.sectorIdx >= 0) {
        if (sectorSeen[a.sectorIdx] !== i) {
          sectorSeen[a.sectorIdx] = i;
          sectorCounts[a.sectorIdx]++;
        }
        if (groupSeen[a.groupIdx] !== i) {
          groupSeen[a.groupIdx] = i;
          groupCounts[a.groupIdx]++;
        }
      }
      if (kindOk && secOk) types |= a.typeMask;
    }
    for (let t = 0; t < SERVICE_TYPE_CODES.length; t++) if (types & (1 << t)) typeCounts[t]++;
    const activityOk = hasActivityFilter ? all : place ? located || any : true;
    if (!activityOk) continue;
    kindCounts[s.kindIdx]++;
    if (!kindOk) continue;
    if (s.depIdx >= 0) depCounts[s.depIdx]++;
    hitIndex[hitCount] = s.index;
    hitScore[hitCount] = located ? 2 : local ? 1 : 0;
    hitCount++;
  }
  // Candidates come in the default order and the sort is stable: only the leading keys are compared.
  const order = Array.from({ length: hitCount }, (_, k) => k);
  const structureAt = (k: number) => snap.structures[hitIndex[k]];
  const distanceAt = (k: number) => {
    const d = ev ? ev.distance[hitIndex[k]] : Number.NaN;
    return Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  };
  const rankAt = (k: number) => (rankOf ? rankOf[hitIndex[k]] : 0);
  if (q.sort === 'name') order.sort((x, y) => structureAt(x).nameOrder - structureAt(y).nameOrder);
  else if (q.sort === 'distance') order.sort((x, y) => distanceAt(x) - distanceAt(y) || structureAt(x).nameOrder - structureAt(y).nameOrder);
  // Relevance: located in the place first, then served by a local activity, then by words, then nearest.
  else if (words || place) order.sort((x, y) => hitScore[y] - hitScore[x] || rankAt(y) - rankAt(x) || distanceAt(x) - distanceAt(y));
  const hits: Hit[] = order.slice((q.page - 1) * q.perPage, q.page * q.perPage).map((k) => ({
    s: structureAt(k),
    distance: Number.isFinite(distanceAt(k)) ? distanceAt(k) : null,
  }));
  const items: SearchItem[] = hits.map(({ s, distance }) => {
    const item: SearchItem = {
      id: s.id,
      slug: s.slug,
      siret: s.siret,
      name: s.name,
      brand: s.brand,
      kind: s.kind,
      kindName: refs.kindByCode.get(s.kind)?.name ?? s.kind,
      family: KIND_FAMILY[s.kind],
      commune: s.communeCode ? { code: s.communeCode, name: s.communeName ?? '' } : null,
      departmentCode: s.departmentCode,
      lat: s.lat,
      lon: s.lon,
      sectors: [...new Set(s.activities.map((a) => refs.sectorBySlug.get(a.sectorSlug)?.name ?? a.sectorSlug))],
      matchReasons: reasons(b, s, refs, territories),
    };
    if (distance != null) item.distanceKm = Math.round(distance * 10) / 10;
    return item;
  });
  const count = (c: Int32Array, code: string) => c[KIND_CODES.indexOf(code as KindCode)] ?? 0;
  return {
    items,
    total: hitCount,
    page: q.page,
    perPage: q.perPage,
    facets: {
      kinds: refs.kinds.map((k) => ({ value: k.code, label: k.name, count: count(kindCounts, k.code) })),
      families: (['insertion', 'handicap'] as const).map((fam) => ({
        value: fam,
        label: FAMILY_LABEL[fam],
        count: refs.kinds.filter((k) => k.family === fam).reduce((n, k) => n + count(kindCounts, k.code), 0),
      })),
      sectorGroups: refs.groups.map((g, i) => ({ value: g.slug, label: g.name, count: groupCounts[i] })),
      sectors: snap.sectors
        .map((value, i) => ({ value, label: refs.sectorBySlug.get(value)?.name ?? value, count: sectorCounts[i] }))
        .filter((x) => x.count > 0)
        .sort((x, y) => y.count - x.count || compareFr(x.label, y.label)),
      serviceTypes: refs.serviceTypes.map((t) => ({ value: t.code, label: t.name, count: typeCounts[SERVICE_TYPE_CODES.indexOf(t.code as ServiceTypeCode)] })),
      departments: snap.departments
        .map((value, i) => {
          const d = territories.get('departement', value);
          return { value, label: d ? territories.label(d) : value, count: depCounts[i] };
        })
        .filter((x) => x.count > 0)
        .sort((x, y) => y.count - x.count || (x.value < y.value ? -1 : x.value > y.value ? 1 : 0)),
    },
    place: place ? { label: place.label, kind: place.kind, ...(place.kind === 'disc' ? { radiusKm: place.radiusKm } : {}) } : null,
    correctedQuery: b.text?.corrected ?? null,
  };
}

/** Why a structure is in the results, in French; the same rules as the filter (area.ts). */
function reasons(b: Built, s: SnapshotStructure, refs: Referentials, territories: Territories): string[] {
  const out: string[] = [];
  if (b.text?.siret) out.push('SIRET identique');
  else if (b.text?.siren) out.push('SIREN identique');
  else if (b.text) out.push(`Correspond à « ${b.text.corrected ?? b.q.q?.trim()} »`);
  const eligible = s.activities.filter(
    (a) => (!b.sectors || b.sectors.includes(a.sectorSlug)) && (!b.q.serviceType || a.serviceTypes.some((t) => b.q.serviceType?.includes(t))),
  );
  const sectorName = (slug: string) => refs.sectorBySlug.get(slug)?.name ?? slug;
  const place = b.place;
  if (place) {
    const distance = distanceToPlace(s, place);
    if (isLocated(s, place, distance)) {
      if (place.kind === 'disc' && distance != null) {
        out.push(`Située à ${s.communeName ?? 'proximité'}${place.commune && s.communeCode === place.commune.code ? '' : `, à ${formatKm(distance)} de ${place.label}`}`);
      } else out.push(`Adresse dans le territoire : ${place.label}`);
    }
    for (const a of eligible) {
      const why = explainServes({ ...a, sectorName: sectorName(a.sectorSlug) }, s, place, territories);
      if (why) out.push(why);
    }
  } else if (b.sectors || b.q.serviceType) {
    for (const a of eligible) {
      const types = a.serviceTypes.map((t) => refs.serviceTypeByCode.get(t)?.name ?? t).join(', ');
      out.push(`Activité ${sectorName(a.sectorSlug)} (${types.toLowerCase()})`);
    }
  }
  return [...new Set(out)].slice(0, 6);
}
