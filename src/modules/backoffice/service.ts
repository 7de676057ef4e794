// Back office for facilitators and the platform team: dashboard counts, people, organisations and the audit
// log, searched and paginated. Who sees what:
// - people and their emails: platform administrators only;
// - organisations (names, types, status): every back-office user; their members: platform administrators;
// - audit log: platform administrators see everything; a verified facilitator sees the entries about the
//   structures of its territory (and about the claims of those structures), without people's emails.
import { z } from 'zod';
import type { Queryable } from '../../core/db.ts';
import { AppError } from '../../core/errors.ts';
import { type Sql, sql } from '../../core/sql.ts';
import { type Actor, ORGANISATION_TYPES, type OrganisationType, ROLES, type Role } from '../accounts/model.ts';
import { authorize, canUseBackOffice, facilitatorMemberships, isPlatformAdmin } from '../accounts/policy.ts';

export const PER_PAGE = 50;
const MAX_PER_PAGE = 100;

// Scope --------------------------------------------------------------------------------------------------

/** What a back-office user may see of the directory: everything, or the territories of its facilitator organisations. */
export type Scope = { all: true } | { all: false; keys: string[] };

export function scopeOf(actor: Actor): Scope {
  if (isPlatformAdmin(actor)) return { all: true };
  return { all: false, keys: [...new Set(facilitatorMemberships(actor).flatMap((m) => m.territoryKeys))] };
}

/** A structure (alias `s`) is in the scope: same typed keys as the policy's facilitatesPlace. */
function structureInScope(scope: Scope, alias = 's'): Sql {
  if (scope.all) return sql`TRUE`;
  const a = sql.raw(alias);
  return sql`ARRAY['C' || ${a}.commune_code, 'E' || ${a}.epci_code, 'D' || ${a}.department_code, 'R' || ${a}.region_code] && ${scope.keys}::text[]`;
}

const requireBackOffice = (actor: Actor) => authorize(actor, canUseBackOffice(actor), 'L’espace d’administration est réservé aux facilitateurs et à l’équipe de la plateforme.');
const requirePlatformAdmin = (actor: Actor) => authorize(actor, isPlatformAdmin(actor), 'Cette page est réservée à l’équipe de la plateforme.');

// Query parameters (API names; the pages map their French names onto them) --------------------------------

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '') || v === null ? undefined : v;
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());
const pageParam = z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(100000).default(1)).describe('Numéro de page, à partir de 1');
const perPageParam = z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(MAX_PER_PAGE).default(PER_PAGE)).describe(`Nombre d’éléments par page (${PER_PAGE} par défaut, ${MAX_PER_PAGE} au plus)`);
const dateParam = optional(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Date attendue au format AAAA-MM-JJ.'));

export const PeopleQuerySchema = z.object({
  q: optional(z.string().trim().max(200)).describe('Nom ou adresse électronique (casse et accents ignorés)'),
  type: optional(z.enum([...ORGANISATION_TYPES, 'none'])).describe('Personnes membres d’une organisation de ce type (`none` : d’aucune organisation)'),
  page: pageParam,
  perPage: perPageParam,
});
export type PeopleQuery = z.output<typeof PeopleQuerySchema>;

export const ORGANISATION_STATUSES = ['to_verify', 'verified'] as const;
export const OrganisationsQuerySchema = z.object({
  q: optional(z.string().trim().max(200)).describe('Nom de l’organisation (casse et accents ignorés)'),
  type: optional(z.enum(ORGANISATION_TYPES)).describe('Type d’organisation'),
  status: optional(z.enum(ORGANISATION_STATUSES)).describe('`to_verify` : facilitateurs et réseaux pas encore vérifiés ; `verified` : les autres'),
  page: pageParam,
  perPage: perPageParam,
});
export type OrganisationsQuery = z.output<typeof OrganisationsQuerySchema>;

export const AUDIT_TARGET_TYPES = ['person', 'organisation', 'structure', 'claim'] as const;
export const AuditQuerySchema = z.object({
  action: optional(z.string().trim().max(100).regex(/^[a-z_]+(\.[a-z_]+)*(\.\*)?$/, 'Action attendue sous la forme famille.action ou famille.*')).describe('Action exacte (`organisation.verified`) ou famille d’actions (`claim.*`)'),
  targetType: optional(z.string().trim().max(50).regex(/^[a-z_]+$/)).describe('Type de la cible : person, organisation, structure, claim…'),
  targetId: optional(z.string().trim().max(100)).describe('Identifiant de la cible (avec targetType)'),
  actor: optional(z.string().trim().toLowerCase().max(254)).describe('Adresse électronique (ou partie) de la personne qui a agi ; réservé à l’équipe de la plateforme'),
  from: dateParam.describe('À partir de ce jour inclus (AAAA-MM-JJ, heure de Paris)'),
  to: dateParam.describe('Jusqu’à ce jour inclus (AAAA-MM-JJ, heure de Paris)'),
  page: pageParam,
  perPage: perPageParam,
});
export type AuditQuery = z.output<typeof AuditQuerySchema>;

// Answers (one definition for the code and the OpenAPI document) ----------------------------------------

const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int().describe('Nombre total d’éléments correspondant aux filtres'), page: z.number().int(), perPage: z.number().int() });

export const PersonItemSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  emailConfirmed: z.boolean(),
  createdAt: z.string(),
  lastSignInAt: z.string().nullable(),
  organisations: z.array(z.object({ id: z.string(), name: z.string(), type: z.enum(ORGANISATION_TYPES), role: z.enum(ROLES) })),
});
export type PersonItem = z.infer<typeof PersonItemSchema>;
export const PeoplePageSchema = page(PersonItemSchema);

export const OrganisationItemSchema = z.object({
  id: z.string(),
  type: z.enum(ORGANISATION_TYPES),
  name: z.string(),
  category: z.string().nullable(),
  territoryKeys: z.array(z.string()),
  structureId: z.string().nullable(),
  verified: z.boolean().describe('Acheteurs et structures : toujours ; facilitateurs et réseaux : une fois vérifiés par l’équipe de la plateforme'),
  verifiedAt: z.string().nullable(),
  createdAt: z.string(),
  memberCount: z.number().int(),
});
export type OrganisationItem = z.infer<typeof OrganisationItemSchema>;
export const OrganisationsPageSchema = page(OrganisationItemSchema);

export const AuditItemSchema = z.object({
  id: z.number().int(),
  at: z.string(),
  action: z.string(),
  actionLabel: z.string().describe('L’action en français (l’identifiant brut quand elle est inconnue)'),
  actor: z.object({
    kind: z.enum(['person', 'deleted', 'system', 'cli', 'api_token', 'other']),
    personId: z.string().nullable(),
    name: z.string().nullable(),
    email: z.string().nullable().describe('Visible de l’équipe de la plateforme seulement'),
    label: z.string(),
  }),
  target: z.object({ type: z.string(), id: z.string(), label: z.string().nullable(), slug: z.string().nullable().describe('Slug de la fiche quand la cible est une structure') }),
  organisationId: z.string().nullable(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  reason: z.string().nullable(),
});
export type AuditItem = z.infer<typeof AuditItemSchema>;
export const AuditPageSchema = page(AuditItemSchema);

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  perPage: number;
}

const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
const offsetOf = (q: { page: number; perPage: number }) => (q.page - 1) * q.perPage;
const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

/** Each word must appear in the text (case and accents ignored); LIKE wildcards typed by people are literal. */
function wordsMatch(text: Sql, q: string | undefined): Sql[] {
  if (!q) return [];
  const words = q.split(/\s+/).filter(Boolean).slice(0, 8);
  return words.map((w) => sql`lower(f_unaccent(${text})) LIKE '%' || lower(f_unaccent(${w.replace(/[\\%_]/g, '\\$&')})) || '%'`);
}

// Dashboard ------------------------------------------------------------------------------------------------

export interface Dashboard {
  scope: Scope;
  people: number;
  organisationsByType: Record<OrganisationType, number>;
  organisationsToVerify: number;
  pendingClaims: number;
  structures: { total: number; claimed: number };
}

export async function dashboard(q: Queryable, actor: Actor): Promise<Dashboard> {
  requireBackOffice(actor);
  const scope = scopeOf(actor);
  const [people, byType, toVerify, claims, structures] = await Promise.all([
    q.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM people`),
    q.query<{ type: OrganisationType; n: number }>(sql`SELECT type, count(*)::int AS n FROM organisations GROUP BY type`),
    q.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM organisations WHERE type IN ('facilitator', 'network') AND verified_at IS NULL`),
    q.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM claims c JOIN structures s ON s.id = c.structure_id WHERE c.status = 'pending' AND ${structureInScope(scope)}`),
    q.one<{ total: number; claimed: number }>(sql`
      SELECT count(*)::int AS total,
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM organisations o JOIN memberships m ON m.organisation_id = o.id WHERE o.structure_id = s.id))::int AS claimed
      FROM structures s WHERE s.active AND ${structureInScope(scope)}`),
  ]);
  const organisationsByType = Object.fromEntries(ORGANISATION_TYPES.map((t) => [t, 0])) as Record<OrganisationType, number>;
  for (const r of byType) organisationsByType[r.type] = r.n;
  return {
    scope,
    people: people?.n ?? 0,
    organisationsByType,
    organisationsToVerify: toVerify?.n ?? 0,
    pendingClaims: claims?.n ?? 0,
    structures: { total: structures?.total ?? 0, claimed: structures?.claimed ?? 0 },
  };
}

// People (platform administrators) -------------------------------------------------------------------------

interface PersonRow {
  id: string;
  email: string;
  name: string;
  email_confirmed_at: Date | null;
  created_at: Date;
  last_sign_in_at: Date | null;
  organisations: { id: string; name: string; type: OrganisationType; role: Role }[] | null;
}

const PERSON_SELECT = sql`SELECT p.id, p.email, p.name, p.email_confirmed_at, p.created_at, p.last_sign_in_at,
  (SELECT json_agg(json_build_object('id', o.id, 'name', o.name, 'type', o.type, 'role', m.role) ORDER BY lower(o.name), o.id)
   FROM memberships m JOIN organisations o ON o.id = m.organisation_id WHERE m.person_id = p.id) AS organisations
  FROM people p`;

const toPersonItem = (r: PersonRow): PersonItem => ({
  id: r.id,
  email: r.email,
  name: r.name,
  emailConfirmed: r.email_confirmed_at !== null,
  createdAt: iso(r.created_at) as string,
  lastSignInAt: iso(r.last_sign_in_at),
  organisations: r.organisations ?? [],
});

export async function listPeople(q: Queryable, actor: Actor, query: PeopleQuery): Promise<Page<PersonItem>> {
  requirePlatformAdmin(actor);
  const where: Sql[] = wordsMatch(sql`p.name || ' ' || p.email`, query.q);
  if (query.type === 'none') where.push(sql`NOT EXISTS (SELECT 1 FROM memberships m WHERE m.person_id = p.id)`);
  else if (query.type) where.push(sql`EXISTS (SELECT 1 FROM memberships m JOIN organisations o ON o.id = m.organisation_id WHERE m.person_id = p.id AND o.type = ${query.type})`);
  const cond = sql.and(where);
  const [count, rows] = await Promise.all([
    q.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM people p WHERE ${cond}`),
    q.query<PersonRow>(sql`${PERSON_SELECT} WHERE ${cond}
      ORDER BY lower(f_unaccent(coalesce(nullif(p.name, ''), p.email))), p.email
      LIMIT ${query.perPage} OFFSET ${offsetOf(query)}`),
  ]);
  return { items: rows.map(toPersonItem), total: count?.n ?? 0, page: query.page, perPage: query.perPage };
}

export interface PersonDetail {
  person: PersonItem;
  memberships: { id: string; name: string; type: OrganisationType; role: Role; verified: boolean; since: string }[];
  audit: AuditItem[];
}

export async function getPerson(q: Queryable, actor: Actor, id: string): Promise<PersonDetail | null> {
  requirePlatformAdmin(actor);
  if (!isUuid(id)) return null;
  const row = await q.one<PersonRow>(sql`${PERSON_SELECT} WHERE p.id = ${id}`);
  if (!row) return null;
  const memberships = await q.query<{ id: string; name: string; type: OrganisationType; role: Role; verified_at: Date | null; created_at: Date }>(sql`
    SELECT o.id, o.name, o.type, m.role, o.verified_at, m.created_at
    FROM memberships m JOIN organisations o ON o.id = m.organisation_id
    WHERE m.person_id = ${id} ORDER BY lower(o.name), o.id`);
  const audit = await auditEntries(q, actor, sql`(a.actor_id = ${id} OR (a.target_type = 'person' AND a.target_id = ${id}))`, { page: 1, perPage: 20 });
  return {
    person: toPersonItem(row),
    memberships: memberships.map((m) => ({
      id: m.id,
      name: m.name,
      type: m.type,
      role: m.role,
      verified: m.type === 'buyer' || m.type === 'structure' || m.verified_at !== null,
      since: iso(m.created_at) as string,
    })),
    audit: audit.items,
  };
}

// Organisations ---------------------------------------------------------------------------------------------

interface OrganisationRow {
  id: string;
  type: OrganisationType;
  name: string;
  category: string | null;
  territory_keys: string[];
  structure_id: string | null;
  verified_at: Date | null;
  created_at: Date;
  member_count: number;
}

const ORGANISATION_SELECT = sql`SELECT o.id, o.type, o.name, o.category, o.territory_keys, o.structure_id, o.verified_at, o.created_at,
  (SELECT count(*)::int FROM memberships m WHERE m.organisation_id = o.id) AS member_count
  FROM organisations o`;

const TO_VERIFY = sql`o.type IN ('facilitator', 'network') AND o.verified_at IS NULL`;

const toOrganisationItem = (r: OrganisationRow): OrganisationItem => ({
  id: r.id,
  type: r.type,
  name: r.name,
  category: r.category,
  territoryKeys: r.territory_keys,
  structureId: r.structure_id,
  verified: r.type === 'buyer' || r.type === 'structure' || r.verified_at !== null,
  verifiedAt: iso(r.verified_at),
  createdAt: iso(r.created_at) as string,
  memberCount: r.member_count,
});

export async function listOrganisations(q: Queryable, actor: Actor, query: OrganisationsQuery): Promise<Page<OrganisationItem>> {
  requireBackOffice(actor);
  const where: Sql[] = wordsMatch(sql`o.name`, query.q);
  if (query.type) where.push(sql`o.type = ${query.type}`);
  if (query.status === 'to_verify') where.push(TO_VERIFY);
  else if (query.status === 'verified') where.push(sql`NOT (${TO_VERIFY})`);
  const cond = sql.and(where);
  const [count, rows] = await Promise.all([
    q.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM organisations o WHERE ${cond}`),
    q.query<OrganisationRow>(sql`${ORGANISATION_SELECT} WHERE ${cond} ORDER BY lower(f_unaccent(o.name)), o.id LIMIT ${query.perPage} OFFSET ${offsetOf(query)}`),
  ]);
  return { items: rows.map(toOrganisationItem), total: count?.n ?? 0, page: query.page, perPage: query.perPage };
}

export interface OrganisationDetail {
  organisation: OrganisationItem;
  structure: { id: string; name: string; slug: string } | null;
  /** Platform administrators only (null for facilitators: no personal data). */
  members: { personId: string; name: string; email: string; role: Role; since: string }[] | null;
  /** Platform administrators only. */
  audit: AuditItem[] | null;
}

export async function getOrganisationDetail(q: Queryable, actor: Actor, id: string): Promise<OrganisationDetail | null> {
  requireBackOffice(actor);
  if (!isUuid(id)) return null;
  const row = await q.one<OrganisationRow>(sql`${ORGANISATION_SELECT} WHERE o.id = ${id}`);
  if (!row) return null;
  const structure = row.structure_id ? ((await q.one<{ id: string; name: string; slug: string }>(sql`SELECT id, name, slug FROM structures WHERE id = ${row.structure_id}`)) ?? null) : null;
  if (!isPlatformAdmin(actor)) return { organisation: toOrganisationItem(row), structure, members: null, audit: null };
  const members = await q.query<{ person_id: string; name: string; email: string; role: Role; created_at: Date }>(sql`
    SELECT m.person_id, p.name, p.email, m.role, m.created_at FROM memberships m JOIN people p ON p.id = m.person_id
    WHERE m.organisation_id = ${id} ORDER BY m.role, lower(p.name), p.email`);
  const audit = await auditEntries(q, actor, sql`(a.organisation_id = ${id} OR (a.target_type = 'organisation' AND a.target_id = ${id}))`, { page: 1, perPage: 20 });
  return {
    organisation: toOrganisationItem(row),
    structure,
    members: members.map((m) => ({ personId: m.person_id, name: m.name, email: m.email, role: m.role, since: iso(m.created_at) as string })),
    audit: audit.items,
  };
}

// Audit log -------------------------------------------------------------------------------------------------

export const ACTION_LABEL: Record<string, string> = {
  'person.signed_up': 'Inscription',
  'person.signed_in': 'Connexion',
  'person.sign_in_failed': 'Échec de connexion',
  'person.password_reset': 'Mot de passe réinitialisé',
  'person.signed_out_everywhere': 'Déconnexion de tous les appareils',
  'person.email_confirmed': 'Adresse électronique confirmée',
  'organisation.created': 'Organisation créée',
  'organisation.verified': 'Organisation vérifiée',
  'membership.invited': 'Invitation envoyée',
  'membership.joined': 'Invitation acceptée',
  'membership.role_changed': 'Rôle modifié',
  'membership.removed': 'Membre retiré',
  'membership.left': 'Départ de l’organisation',
  'platform_admin.added': 'Administrateur de la plateforme ajouté',
  'need.submitted': 'Besoin d’achat déposé',
  'need.resubmitted': 'Besoin d’achat renvoyé après modifications',
  'need.edited': 'Besoin d’achat modifié',
  'need.attachment_added': 'Besoin d’achat : pièce jointe ajoutée',
  'need.attachment_removed': 'Besoin d’achat : pièce jointe retirée',
  'need.validated': 'Besoin d’achat validé',
  'need.changes_requested': 'Besoin d’achat : modifications demandées',
  'need.rejected': 'Besoin d’achat refusé',
  'need.closed': 'Besoin d’achat clôturé',
  'need.sending_started': 'Besoin d’achat : envoi commencé',
  'need.reminded': 'Besoin d’achat : relance envoyée',
  'need.outcome_given': 'Besoin d’achat : résultat indiqué',
  'need.outcome_updated': 'Besoin d’achat : résultat modifié',
  'need.answer.interested': 'Réponse à un besoin : intéressée',
  'need.answer.not_interested': 'Réponse à un besoin : pas intéressée',
  'need.answer.partners': 'Réponse à un besoin : cherche des partenaires',
  'need.answer.questions': 'Réponse à un besoin : réponses aux questions',
  'need.consortium.created': 'Groupement créé',
  'need.consortium.invited': 'Groupement : invitation envoyée',
  'need.consortium.accepted': 'Groupement : invitation acceptée',
  'need.consortium.refused': 'Groupement : invitation refusée',
  'need.consortium.member_removed': 'Groupement : membre retiré',
};

/** Families of actions, for the filter (claim.* and structure.* actions are named by their own modules). */
export const ACTION_FAMILY_LABEL: Record<string, string> = {
  'person.*': 'Comptes (toutes les actions)',
  'organisation.*': 'Organisations (toutes les actions)',
  'membership.*': 'Membres (toutes les actions)',
  'claim.*': 'Rattachements (toutes les actions)',
  'structure.*': 'Fiches de structures (toutes les actions)',
  'need.*': 'Besoins d’achat (toutes les actions)',
};

const CLAIM_VERB: Record<string, string> = {
  created: 'demandé',
  requested: 'demandé',
  submitted: 'demandé',
  accepted: 'accepté',
  auto_accepted: 'accepté automatiquement',
  refused: 'refusé',
  rejected: 'refusé',
  cancelled: 'annulé',
};

const STRUCTURE_VERB: Record<string, string> = {
  created: 'créée',
  updated: 'modifiée',
  edited: 'modifiée',
  corrected: 'corrigée',
  official_fields_corrected: 'champs officiels corrigés',
  logo_changed: 'logo modifié',
  logo_updated: 'logo modifié',
  logo_removed: 'logo retiré',
  hidden: 'masquée',
  shown: 'affichée de nouveau',
  unhidden: 'affichée de nouveau',
  deleted: 'supprimée',
};

/** The action in French; claim.* and structure.* by their verb when known; anything else as it is. */
export function actionLabel(action: string): string {
  const known = ACTION_LABEL[action];
  if (known) return known;
  const [family, verb] = [action.slice(0, action.indexOf('.')), action.slice(action.indexOf('.') + 1)];
  if (family === 'claim' && CLAIM_VERB[verb]) return `Rattachement ${CLAIM_VERB[verb]}`;
  if (family === 'structure' && STRUCTURE_VERB[verb]) return `Fiche de structure : ${STRUCTURE_VERB[verb]}`;
  return action;
}

export const TARGET_TYPE_LABEL: Record<string, string> = {
  person: 'Personne',
  organisation: 'Organisation',
  structure: 'Structure',
  claim: 'Rattachement',
  need: 'Besoin d’achat',
};

interface AuditRow {
  id: number;
  at: Date;
  actor_id: string | null;
  actor_kind: string;
  action: string;
  target_type: string;
  target_id: string;
  organisation_id: string | null;
  before: unknown;
  after: unknown;
  reason: string | null;
  actor_name: string | null;
  actor_email: string | null;
  target_label: string | null;
  target_slug: string | null;
}

/** Entries a facilitator may read: about a structure of its territory, or a claim on one. */
function auditInScope(scope: Scope): Sql {
  if (scope.all) return sql`TRUE`;
  if (scope.keys.length === 0) return sql`FALSE`;
  return sql`(a.target_type = 'structure' AND a.target_id IN (SELECT s.id::text FROM structures s WHERE ${structureInScope(scope)}))
    OR (a.target_type = 'claim' AND a.target_id IN (SELECT c.id::text FROM claims c JOIN structures s ON s.id = c.structure_id WHERE ${structureInScope(scope)}))`;
}

function actorOf(r: AuditRow, showEmail: boolean): AuditItem['actor'] {
  const kind = r.actor_kind;
  if (kind === 'person' && r.actor_id) {
    const name = r.actor_name || null;
    const email = showEmail ? r.actor_email : null;
    return { kind: 'person', personId: r.actor_id, name, email, label: name ?? email ?? 'Personne sans nom' };
  }
  const none = { personId: null, name: null, email: null };
  if (kind === 'person') return { kind: 'deleted', ...none, label: 'Compte supprimé' };
  if (kind === 'system') return { kind: 'system', ...none, label: 'Système' };
  if (kind === 'cli') return { kind: 'cli', ...none, label: 'Ligne de commande' };
  if (kind.startsWith('api_token')) return { kind: 'api_token', ...none, label: 'Jeton d’API' };
  return { kind: 'other', ...none, label: kind };
}

async function auditEntries(q: Queryable, actor: Actor, filter: Sql, p: { page: number; perPage: number }): Promise<Page<AuditItem>> {
  const scope = scopeOf(actor);
  const cond = sql`(${auditInScope(scope)}) AND ${filter}`;
  const [count, rows] = await Promise.all([
    q.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_log a WHERE ${cond}`),
    // The page first, then the names of whoever and whatever its entries are about.
    q.query<AuditRow>(sql`
      WITH page AS (SELECT a.* FROM audit_log a WHERE ${cond} ORDER BY a.at DESC, a.id DESC LIMIT ${p.perPage} OFFSET ${offsetOf(p)})
      SELECT a.id, a.at, a.actor_id, a.actor_kind, a.action, a.target_type, a.target_id, a.organisation_id, a.before, a.after, a.reason,
             ap.name AS actor_name, ap.email AS actor_email,
             CASE a.target_type
               WHEN 'person' THEN coalesce(nullif(tp.name, ''), tp.email)
               WHEN 'organisation' THEN tor.name
               WHEN 'structure' THEN ts.name
               WHEN 'claim' THEN cs.name
             END AS target_label,
             CASE a.target_type WHEN 'structure' THEN ts.slug WHEN 'claim' THEN cs.slug END AS target_slug
      FROM page a
      LEFT JOIN people ap ON ap.id = a.actor_id
      LEFT JOIN people tp ON a.target_type = 'person' AND tp.id::text = a.target_id
      LEFT JOIN organisations tor ON a.target_type = 'organisation' AND tor.id::text = a.target_id
      LEFT JOIN structures ts ON a.target_type = 'structure' AND ts.id::text = a.target_id
      LEFT JOIN claims tc ON a.target_type = 'claim' AND tc.id::text = a.target_id
      LEFT JOIN structures cs ON cs.id = tc.structure_id
      ORDER BY a.at DESC, a.id DESC`),
  ]);
  const admin = scope.all;
  return {
    items: rows.map((r) => ({
      id: Number(r.id),
      at: iso(r.at) as string,
      action: r.action,
      actionLabel: actionLabel(r.action),
      actor: actorOf(r, admin),
      target: {
        type: r.target_type,
        id: r.target_id,
        // A person's name is personal data: platform administrators only (facilitators never see person entries anyway).
        label: r.target_type === 'person' && !admin ? null : r.target_label,
        slug: r.target_slug,
      },
      organisationId: r.organisation_id,
      before: r.before ?? null,
      after: r.after ?? null,
      reason: r.reason,
    })),
    total: count?.n ?? 0,
    page: p.page,
    perPage: p.perPage,
  };
}

export async function listAudit(q: Queryable, actor: Actor, query: AuditQuery): Promise<Page<AuditItem>> {
  requireBackOffice(actor);
  const admin = isPlatformAdmin(actor);
  if (query.actor && !admin) throw new AppError('FORBIDDEN', 'Le filtre par personne est réservé à l’équipe de la plateforme.', 403, { field: 'actor' });
  if (query.targetId && !query.targetType) throw new AppError('INVALID_PARAMETERS', 'Indiquez le type de la cible avec son identifiant.', 400, { field: 'targetType' });
  if (query.from && query.to && query.from > query.to) throw new AppError('INVALID_PARAMETERS', 'La date de début doit précéder la date de fin.', 400, { field: 'from' });
  const where: Sql[] = [];
  if (query.action?.endsWith('.*')) where.push(sql`a.action LIKE ${`${query.action.slice(0, -1).replace(/_/g, '\\_')}%`}`);
  else if (query.action) where.push(sql`a.action = ${query.action}`);
  if (query.targetType) where.push(sql`a.target_type = ${query.targetType}`);
  if (query.targetId) where.push(sql`a.target_id = ${query.targetId}`);
  if (query.actor) where.push(sql`a.actor_id IN (SELECT id FROM people WHERE email LIKE '%' || ${query.actor.replace(/[\\%_]/g, '\\$&')} || '%')`);
  // Days are those of Paris, whatever the server's time zone.
  if (query.from) where.push(sql`a.at >= (${query.from}::date)::timestamp AT TIME ZONE 'Europe/Paris'`);
  if (query.to) where.push(sql`a.at < (${query.to}::date + 1)::timestamp AT TIME ZONE 'Europe/Paris'`);
  return auditEntries(q, actor, sql.and(where), query);
}
