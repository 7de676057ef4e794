// Directory search: words, filters, place, facets and the French reasons of each match.
import { z } from 'zod';
import type { Queryable } from '../../core/db.ts';
import { AppError } from '../../core/errors.ts';
import { cleanIdentifier } from '../../core/siret.ts';
import { type Sql, sql } from '../../core/sql.ts';
import { normalize } from '../../core/text.ts';
import { getReferentials, type Referentials } from '../referentials/service.ts';
import { distanceKm, loadTerritories, type Territories } from '../territories/data.ts';
import { discPlace, explainServes, formatKm, isLocated, type Place, sqlLocated, sqlServes, territoryPlace } from './area.ts';
import { KIND_CODES, KIND_FAMILY, type KindCode, SERVICE_TYPE_CODES } from './model.ts';
import { activitiesOf, type ActivityRow } from './repository.ts';

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

export interface SearchItem {
  id: string;
  slug: string;
  siret: string;
  name: string;
  brand: string | null;
  kind: KindCode;
  kindName: string;
  family: 'insertion' | 'handicap';
  commune: { code: string; name: string } | null;
  departmentCode: string | null;
  lat: number | null;
  lon: number | null;
  distanceKm?: number;
  sectors: string[];
  matchReasons: string[];
}

export interface Facet {
  value: string;
  label: string;
  count: number;
}

export interface SearchResult {
  items: SearchItem[];
  total: number;
  page: number;
  perPage: number;
  facets: { kinds: Facet[]; families: Facet[]; sectorGroups: Facet[]; sectors: Facet[]; serviceTypes: Facet[]; departments: Facet[] };
  place: { label: string; kind: 'disc' | 'territory'; radiusKm?: number } | null;
  correctedQuery: string | null;
}

interface TextQuery {
  siret?: string;
  siren?: string;
  tsquery: string | null;
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
  const rows = await db.query<{ ord: number; word: string; lexeme: string; fixed: string | null }>(sql`
    SELECT w.ord::int AS ord, w.word, lx.lexeme,
      coalesce(
        (SELECT l.word FROM search_lexicon l WHERE l.word = lx.lexeme),
        (SELECT l.word FROM search_lexicon l WHERE length(lx.lexeme) > 3 AND l.word % lx.lexeme
         ORDER BY similarity(l.word, lx.lexeme) DESC, l.occurrences DESC LIMIT 1)
      ) AS fixed
    FROM unnest(${words}::text[]) WITH ORDINALITY AS w(word, ord)
    CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('fr_unaccent', w.word))) AS lx(lexeme)
    ORDER BY w.ord`);
  if (!rows.length) return { tsquery: null, normalized, corrected: null };
  const terms = rows.map((r) => `${(r.fixed ?? r.lexeme).replace(/[^a-z0-9]/g, '')}:*`).filter((t) => t.length > 2);
  const changed = rows.filter((r) => r.fixed && r.fixed !== r.lexeme);
  return {
    tsquery: terms.length ? terms.join(' & ') : null,
    normalized,
    corrected: changed.length ? rows.map((r) => (r.fixed && r.fixed !== r.lexeme ? r.fixed : r.word)).join(' ') : null,
  };
}

interface Built {
  q: SearchQuery;
  text: TextQuery | null;
  place: Place | null;
  sectors: string[] | null; // sector slugs from sector and sectorGroup
  kinds: KindCode[] | null;
}

function textCondition(t: TextQuery): Sql {
  if (t.siret) return sql`s.siret = ${t.siret}`;
  if (t.siren) return sql`s.siren = ${t.siren}`;
  const fuzzy = sql`s.search_text %> ${t.normalized}`;
  return t.tsquery ? sql`(s.search_vector @@ to_tsquery('simple', ${t.tsquery}) OR ${fuzzy})` : fuzzy;
}

type Skip = { kind?: boolean; sector?: boolean; serviceType?: boolean };

function activityConditions(b: Built, skip: Skip): Sql[] {
  const parts: Sql[] = [];
  if (b.sectors && !skip.sector) parts.push(sql`a.sector_slug = ANY(${b.sectors}::text[])`);
  if (b.q.serviceType && !skip.serviceType) parts.push(sql`a.service_types && ${b.q.serviceType}::text[]`);
  if (b.place) parts.push(sql`(${sqlLocated(b.place)} OR ${sqlServes(b.place)})`);
  return parts;
}

function structureWhere(b: Built, skip: Skip, withActivities = true): Sql {
  const parts: Sql[] = [sql`s.active`, sql`NOT s.hidden`];
  if (b.kinds && !skip.kind) parts.push(sql`s.kind = ANY(${b.kinds}::text[])`);
  if (b.text) parts.push(textCondition(b.text));
  if (withActivities) {
    const hasActivityFilter = (b.sectors && !skip.sector) || (b.q.serviceType && !skip.serviceType);
    if (hasActivityFilter) {
      parts.push(sql`EXISTS (SELECT 1 FROM activities a WHERE a.structure_id = s.id AND ${sql.and(activityConditions(b, skip))})`);
    } else if (b.place) {
      parts.push(sql`(${sqlLocated(b.place)} OR EXISTS (SELECT 1 FROM activities a WHERE a.structure_id = s.id AND ${sqlServes(b.place)}))`);
    }
  }
  return sql.and(parts);
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

const COMPLETENESS = sql.raw(`((s.description IS NOT NULL)::int + (s.website IS NOT NULL)::int
  + (s.public_email IS NOT NULL OR s.public_phone IS NOT NULL)::int + (cardinality(s.labels) > 0)::int
  + (s.etp IS NOT NULL OR s.employees_insertion IS NOT NULL)::int)`);

export async function searchStructures(db: Queryable, q: SearchQuery): Promise<SearchResult> {
  const refs = await getReferentials(db);
  const territories = loadTerritories();
  const place = resolvePlace(q, territories);
  if (q.sort === 'distance' && place?.kind !== 'disc') {
    throw new AppError('SORT_NEEDS_PLACE', 'Le tri par distance demande une commune ou un point.', 400, { field: 'sort' });
  }
  const b: Built = { q, text: await textQuery(db, q.q), place, sectors: sectorsOf(q, refs), kinds: kindsOf(q) };
  const where = structureWhere(b, {});
  const distance = place?.kind === 'disc' ? sql`distance_km(s.lat, s.lon, ${place.lat}::float8, ${place.lon}::float8)` : sql`NULL::float8`;
  const textRank = b.text?.tsquery
    ? sql`(ts_rank_cd(s.search_vector, to_tsquery('simple', ${b.text.tsquery})) + word_similarity(${b.text.normalized}, s.search_text))`
    : b.text
      ? sql`word_similarity(${b.text.normalized}, s.search_text)`
      : sql`0`;
  const placeScore = place
    ? sql`(CASE WHEN ${sqlLocated(place)} THEN 2
        WHEN EXISTS (SELECT 1 FROM activities a WHERE a.structure_id = s.id AND a.area_kind <> 'country' AND ${sqlServes(place)}) THEN 1 ELSE 0 END)`
    : sql`0`;
  const order =
    q.sort === 'name'
      ? sql`lower(s.name), s.id`
      : q.sort === 'distance'
        ? sql`distance_km NULLS LAST, lower(s.name), s.id`
        : sql`text_rank DESC, place_score DESC, distance_km NULLS LAST, ${COMPLETENESS} DESC, lower(s.name), s.id`;
  const offset = (q.page - 1) * q.perPage;

  const pageQuery = db.query<{
    id: string; slug: string; siret: string; name: string; brand: string | null; kind: KindCode;
    commune_code: string | null; commune_name: string | null; department_code: string | null; region_code: string | null;
    epci_code: string | null; lat: number | null; lon: number | null; distance_km: number | null; total: number;
  }>(sql`
    SELECT s.id, s.slug, s.siret, s.name, s.brand, s.kind, s.commune_code, s.commune_name, s.department_code,
      s.region_code, s.epci_code, s.lat, s.lon, ${distance} AS distance_km, ${textRank} AS text_rank,
      ${placeScore} AS place_score, count(*) OVER ()::int AS total
    FROM structures s WHERE ${where}
    ORDER BY ${order} LIMIT ${q.perPage} OFFSET ${offset}`);

  const facetsQuery = facets(db, b);
  const [rows, f] = await Promise.all([pageQuery, facetsQuery]);
  let total = rows[0]?.total ?? 0;
  if (!rows.length && offset > 0) {
    const c = await db.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM structures s WHERE ${where}`);
    total = c?.n ?? 0;
  }
  const acts = await activitiesOf(db, rows.map((r) => r.id));
  const items: SearchItem[] = rows.map((r) => {
    const mine = acts.filter((a) => a.structure_id === r.id);
    const point = {
      lat: r.lat, lon: r.lon, communeCode: r.commune_code, communeName: r.commune_name,
      departmentCode: r.department_code, regionCode: r.region_code, epciCode: r.epci_code,
    };
    const item: SearchItem = {
      id: r.id,
      slug: r.slug,
      siret: r.siret,
      name: r.name,
      brand: r.brand,
      kind: r.kind,
      kindName: refs.kindByCode.get(r.kind)?.name ?? r.kind,
      family: KIND_FAMILY[r.kind],
      commune: r.commune_code ? { code: r.commune_code, name: r.commune_name ?? '' } : null,
      departmentCode: r.department_code,
      lat: r.lat,
      lon: r.lon,
      sectors: [...new Set(mine.map((a) => refs.sectorBySlug.get(a.sector_slug)?.name ?? a.sector_slug))],
      matchReasons: reasons(b, point, mine, refs, territories),
    };
    if (r.distance_km != null) item.distanceKm = Math.round(r.distance_km * 10) / 10;
    return item;
  });
  return {
    items,
    total,
    page: q.page,
    perPage: q.perPage,
    facets: f,
    place: place ? { label: place.label, kind: place.kind, ...(place.kind === 'disc' ? { radiusKm: place.radiusKm } : {}) } : null,
    correctedQuery: b.text?.corrected ?? null,
  };
}

/** Why a structure is in the results, in French; the same rules as the SQL, evaluated in code. */
function reasons(b: Built, point: Parameters<typeof isLocated>[0], acts: ActivityRow[], refs: Referentials, territories: Territories): string[] {
  const out: string[] = [];
  if (b.text?.siret) out.push('SIRET identique');
  else if (b.text?.siren) out.push('SIREN identique');
  else if (b.text) out.push(`Correspond à « ${b.text.corrected ?? b.q.q?.trim()} »`);
  const eligible = acts.filter(
    (a) => (!b.sectors || b.sectors.includes(a.sector_slug)) && (!b.q.serviceType || a.service_types.some((t) => b.q.serviceType?.includes(t))),
  );
  const sectorName = (a: ActivityRow) => refs.sectorBySlug.get(a.sector_slug)?.name ?? a.sector_slug;
  const place = b.place;
  if (place) {
    if (isLocated(point, place)) {
      if (place.kind === 'disc' && point.lat != null && point.lon != null) {
        const d = distanceKm(point.lat, point.lon, place.lat, place.lon);
        out.push(`Située à ${point.communeName ?? 'proximité'}${place.commune && point.communeCode === place.commune.code ? '' : `, à ${formatKm(d)} de ${place.label}`}`);
      } else out.push(`Adresse dans le territoire : ${place.label}`);
    }
    for (const a of eligible) {
      const area =
        a.area_kind === 'country' ? { kind: 'country' as const } : a.area_kind === 'radius' ? { kind: 'radius' as const, radiusKm: a.radius_km as number } : { kind: 'territories' as const, territories: a.territory_keys };
      const why = explainServes({ area, territoryKeys: a.territory_keys, coverKeys: a.cover_keys, sectorName: sectorName(a) }, point, place, territories);
      if (why) out.push(why);
    }
  } else if (b.sectors || b.q.serviceType) {
    for (const a of eligible) {
      const types = a.service_types.map((t) => refs.serviceTypeByCode.get(t)?.name ?? t).join(', ');
      out.push(`Activité ${sectorName(a)} (${types.toLowerCase()})`);
    }
  }
  return [...new Set(out)].slice(0, 6);
}

async function facets(db: Queryable, b: Built): Promise<SearchResult['facets']> {
  const refs = await getReferentials(db);
  const territories = loadTerritories();
  const activityWhere = (skip: Skip) => sql.and(activityConditions(b, skip));
  const [kinds, sectors, types, deps] = await Promise.all([
    db.query<{ value: string; n: number }>(sql`SELECT s.kind AS value, count(*)::int AS n FROM structures s WHERE ${structureWhere(b, { kind: true })} GROUP BY 1`),
    db.query<{ value: string; n: number }>(sql`
      SELECT a.sector_slug AS value, count(DISTINCT s.id)::int AS n FROM structures s JOIN activities a ON a.structure_id = s.id
      WHERE ${structureWhere(b, { sector: true }, false)} AND ${activityWhere({ sector: true })} GROUP BY 1`),
    db.query<{ value: string; n: number }>(sql`
      SELECT t.value, count(DISTINCT s.id)::int AS n FROM structures s JOIN activities a ON a.structure_id = s.id
      CROSS JOIN LATERAL unnest(a.service_types) AS t(value)
      WHERE ${structureWhere(b, { serviceType: true }, false)} AND ${activityWhere({ serviceType: true })} GROUP BY 1`),
    db.query<{ value: string; n: number }>(sql`SELECT s.department_code AS value, count(*)::int AS n FROM structures s WHERE ${structureWhere(b, {})} AND s.department_code IS NOT NULL GROUP BY 1`),
  ]);
  const kindCount = new Map(kinds.map((r) => [r.value, r.n]));
  const sectorCount = new Map(sectors.map((r) => [r.value, r.n]));
  const groupCounts = new Map<string, number>();
  // Counted apart: a structure with two sectors of one group counts once in the group.
  const groupRows = await db.query<{ value: string; n: number }>(sql`
      SELECT se.group_slug AS value, count(DISTINCT s.id)::int AS n FROM structures s JOIN activities a ON a.structure_id = s.id
      JOIN sectors se ON se.slug = a.sector_slug
      WHERE ${structureWhere(b, { sector: true }, false)} AND ${activityWhere({ sector: true })} GROUP BY 1`);
  for (const r of groupRows) groupCounts.set(r.value, r.n);
  return {
    kinds: refs.kinds.map((k) => ({ value: k.code, label: k.name, count: kindCount.get(k.code) ?? 0 })),
    families: (['insertion', 'handicap'] as const).map((fam) => ({
      value: fam,
      label: fam === 'insertion' ? 'Insertion par l’activité économique' : 'Handicap',
      count: refs.kinds.filter((k) => k.family === fam).reduce((n, k) => n + (kindCount.get(k.code) ?? 0), 0),
    })),
    sectorGroups: refs.groups.map((g) => ({ value: g.slug, label: g.name, count: groupCounts.get(g.slug) ?? 0 })),
    sectors: [...sectorCount.entries()]
      .map(([value, count]) => ({ value, label: refs.sectorBySlug.get(value)?.name ?? value, count }))
      .sort((x, y) => y.count - x.count || x.label.localeCompare(y.label, 'fr')),
    serviceTypes: refs.serviceTypes.map((t) => ({ value: t.code, label: t.name, count: types.find((r) => r.value === t.code)?.n ?? 0 })),
    departments: deps
      .map((r) => {
        const d = territories.get('departement', r.value);
        return { value: r.value, label: d ? territories.label(d) : r.value, count: r.n };
      })
      .sort((x, y) => y.count - x.count || x.value.localeCompare(y.value)),
  };
}
