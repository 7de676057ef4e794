// The filters of the notices page, of GET /api/v1/notices and of saved searches: one schema, one
// SQL translation, one French description.
import { z } from 'zod';
import { sql, type Sql } from '../../core/sql.ts';
import { RESERVED_FAMILIES, type ReservedFamily } from './model.ts';

const list = <T extends z.ZodTypeAny>(item: T) =>
  z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v.filter((x) => x !== '') : String(v).split(',').filter(Boolean)), z.array(item).max(120));
const flag = z.preprocess((v) => (v === 'true' || v === '1' || v === 'on' || v === true ? true : v === 'false' || v === '0' || v === false ? false : undefined), z.boolean().optional());

export const NoticeFiltersSchema = z.object({
  q: z.string().trim().max(200).optional().describe('Mots cherchés dans le titre, la description et l’acheteur'),
  reserved: list(z.enum([...RESERVED_FAMILIES, 'any'])).describe('Marchés réservés : familles (handicap, insertion, prison, ess, unspecified) ou any pour tous'),
  socialClause: flag.describe('Avec une clause sociale d’insertion'),
  socialCriterion: flag.describe('Avec un critère social'),
  environmental: flag.describe('Avec une clause ou un critère environnemental'),
  sector: list(z.string().max(100)).describe('Secteurs (identifiants de la nomenclature), d’après les codes CPV'),
  departement: list(z.string().regex(/^(\d{2}|2A|2B|97\d)$/, 'Code de département invalide')).describe('Départements d’exécution (59, 2A, 974…)'),
  open: flag.describe('Date limite de réponse non dépassée (ou non indiquée)'),
  since: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Date attendue au format AAAA-MM-JJ').optional().describe('Publiés depuis cette date (AAAA-MM-JJ)'),
  nature: z.enum(['contract', 'award', 'modification', 'prior', 'other']).optional().describe('Nature : avis de marché (contract), attribution (award)…'),
});
/** Every criterion is optional (a saved search stores only those chosen). */
export type NoticeFilters = Partial<z.infer<typeof NoticeFiltersSchema>>;

/** Only the filters someone chose (what a saved search stores). */
export function compactFilters(f: NoticeFilters): NoticeFilters {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out as NoticeFilters;
}

export function isEmptyFilters(f: NoticeFilters): boolean {
  return Object.keys(compactFilters(f)).length === 0;
}

/** The WHERE clause of a notices query (alias n). `now` decides what "open" means. */
export function filtersWhere(f: NoticeFilters, now: Date): Sql {
  const parts: Sql[] = [];
  if (f.q) parts.push(sql`n.words @@ plainto_tsquery('fr_unaccent', ${f.q})`);
  if (f.reserved?.length) {
    if (f.reserved.includes('any')) parts.push(sql`cardinality(n.reserved) > 0`);
    else parts.push(sql`n.reserved && ${f.reserved}::text[]`);
  }
  if (f.socialClause !== undefined) parts.push(sql`n.social_clause = ${f.socialClause}`);
  if (f.socialCriterion !== undefined) parts.push(sql`n.social_criterion = ${f.socialCriterion}`);
  if (f.environmental !== undefined) parts.push(sql`n.environmental = ${f.environmental}`);
  if (f.sector?.length) parts.push(sql`n.sectors && ${f.sector}::text[]`);
  if (f.departement?.length) parts.push(sql`n.departements && ${f.departement}::text[]`);
  if (f.open) parts.push(sql`(n.deadline IS NULL OR n.deadline >= ${now.toISOString()}::timestamptz) AND n.nature IN ('contract', 'prior')`);
  if (f.since) parts.push(sql`n.published_on >= ${f.since}::date`);
  if (f.nature) parts.push(sql`n.nature = ${f.nature}`);
  return sql.and(parts);
}

export const RESERVED_LABEL: Record<ReservedFamily, string> = {
  handicap: 'Réservé handicap (L2113-12)',
  insertion: 'Réservé insertion (L2113-13)',
  prison: 'Réservé travail pénitentiaire (L2113-13-1)',
  ess: 'Réservé économie sociale et solidaire (L2113-15)',
  unspecified: 'Réservé, famille non précisée',
};

export const NATURE_LABEL = {
  contract: 'Avis de marché',
  award: 'Attribution',
  modification: 'Modification',
  prior: 'Pré-information',
  other: 'Autre avis',
} as const;

/** One French line that says what a search looks for ("Mots « nettoyage » · Réservé handicap · 59, 62"). */
export function describeFilters(f: NoticeFilters, sectorName: (slug: string) => string = (s) => s): string {
  const parts: string[] = [];
  if (f.q) parts.push(`Mots « ${f.q} »`);
  if (f.reserved?.length) parts.push(f.reserved.includes('any') ? 'Marchés réservés' : f.reserved.map((r) => RESERVED_LABEL[r as ReservedFamily]).join(' ou '));
  if (f.socialClause) parts.push('Clause sociale');
  if (f.socialCriterion) parts.push('Critère social');
  if (f.environmental) parts.push('Environnement');
  if (f.sector?.length) parts.push(`Secteurs : ${f.sector.map(sectorName).join(', ')}`);
  if (f.departement?.length) parts.push(`Départements : ${f.departement.join(', ')}`);
  if (f.open) parts.push('Ouverts');
  if (f.since) parts.push(`Publiés depuis le ${f.since.split('-').reverse().join('/')}`);
  if (f.nature) parts.push(NATURE_LABEL[f.nature]);
  return parts.join(' · ') || 'Tous les avis';
}
