// API tokens of an organisation: created by its administrators (or the platform administration) for an
// integration, shown once, stored only as their SHA-256 with a short prefix to recognise them, always
// expiring, revocable. The auth plugin (http.ts) turns a valid `Authorization: Bearer` into an actor.
import { audit } from '../../core/audit.ts';
import { AppError } from '../../core/errors.ts';
import type { Platform } from '../../core/platform.ts';
import { randomToken, sha256 } from '../../core/tokens.ts';
import type { Actor } from './model.ts';
import { authorize, canManageOrganisation, requirePerson } from './policy.ts';
import { getOrganisation, type OrganisationView } from './service.ts';

export const TOKEN_PREFIX = 'pas_';
/** Characters of the token kept in clear to recognise it in a list ("pas_" and four random characters). */
export const PREFIX_LENGTH = 8;
export const TOKEN_SCOPES = ['read', 'write'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];
export const SCOPE_LABEL: Record<TokenScope, string> = { read: 'Lecture', write: 'Écriture' };
/** Lifetimes offered, in days: a token always expires. */
export const TOKEN_LIFETIMES = [30, 90, 180, 365] as const;
export const DEFAULT_LIFETIME = 90;
export const TOKEN_NAME_MAX = 100;

export type TokenStatus = 'active' | 'expired' | 'revoked';
export const STATUS_LABEL: Record<TokenStatus, string> = { active: 'Actif', expired: 'Expiré', revoked: 'Révoqué' };

export interface ApiTokenView {
  id: string;
  organisationId: string;
  name: string;
  prefix: string;
  scopes: TokenScope[];
  /** The person who created it (null once their account is deleted). */
  createdBy: { id: string; name: string } | null;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  status: TokenStatus;
}

interface TokenRow {
  id: string;
  organisation_id: string;
  name: string;
  prefix: string;
  scopes: TokenScope[];
  created_by: string | null;
  creator_name: string | null;
  creator_email: string | null;
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  expired: boolean;
}

const iso = (d: Date | string) => new Date(d).toISOString();

const toView = (r: TokenRow): ApiTokenView => ({
  id: r.id,
  organisationId: r.organisation_id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes,
  createdBy: r.created_by ? { id: r.created_by, name: r.creator_name || r.creator_email || '' } : null,
  createdAt: iso(r.created_at),
  expiresAt: iso(r.expires_at),
  lastUsedAt: r.last_used_at ? iso(r.last_used_at) : null,
  revokedAt: r.revoked_at ? iso(r.revoked_at) : null,
  status: r.revoked_at ? 'revoked' : r.expired ? 'expired' : 'active',
});

const SELECT = `SELECT t.id, t.organisation_id, t.name, t.prefix, t.scopes, t.created_by, p.name AS creator_name, p.email AS creator_email,
  t.created_at, t.expires_at, t.last_used_at, t.revoked_at, t.expires_at <= now() AS expired
  FROM api_tokens t LEFT JOIN people p ON p.id = t.created_by`;

/** The organisation, when the actor (a person, never a token) may manage its tokens. */
async function managedOrganisation(p: Platform, actor: Actor, organisationId: string): Promise<OrganisationView> {
  requirePerson(actor);
  const org = await getOrganisation(p, organisationId);
  if (!org) throw new AppError('NOT_FOUND', 'Organisation introuvable.', 404);
  authorize(actor, canManageOrganisation(actor, organisationId), 'Seuls les administrateurs de l’organisation gèrent ses jetons d’API.');
  return org;
}

/** Tokens of the organisation, active first, then the most recent. */
export async function listTokens(p: Platform, actor: Actor, organisationId: string): Promise<{ organisation: OrganisationView; tokens: ApiTokenView[] }> {
  const organisation = await managedOrganisation(p, actor, organisationId);
  const rows = await p.db.query<TokenRow>(
    `${SELECT} WHERE t.organisation_id = $1
     ORDER BY (t.revoked_at IS NULL AND t.expires_at > now()) DESC, t.created_at DESC, t.id`,
    [organisationId],
  );
  return { organisation, tokens: rows.map(toView) };
}

export interface TokenInput {
  name?: unknown;
  scopes?: unknown;
  expiresInDays?: unknown;
}

export interface FieldIssue {
  field: 'name' | 'scopes' | 'expiresInDays';
  message: string;
}

/** Checks what a form or the API sent; every problem is reported with its field. */
export function parseTokenInput(input: TokenInput): { name: string; scopes: TokenScope[]; days: number } {
  const issues: FieldIssue[] = [];
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name) issues.push({ field: 'name', message: 'Donnez un nom au jeton, par exemple celui de l’outil qui l’utilisera.' });
  else if (name.length > TOKEN_NAME_MAX) issues.push({ field: 'name', message: `Le nom du jeton ne doit pas dépasser ${TOKEN_NAME_MAX} caractères.` });
  const raw = input.scopes === undefined || input.scopes === null ? [] : Array.isArray(input.scopes) ? input.scopes : [input.scopes];
  const scopes = TOKEN_SCOPES.filter((s) => raw.includes(s));
  if (!scopes.length || raw.some((s) => !(TOKEN_SCOPES as readonly unknown[]).includes(s))) {
    issues.push({ field: 'scopes', message: 'Choisissez au moins une portée : lecture, écriture.' });
  }
  const days = input.expiresInDays === undefined || input.expiresInDays === '' ? DEFAULT_LIFETIME : Number(input.expiresInDays);
  if (!(TOKEN_LIFETIMES as readonly number[]).includes(days)) {
    issues.push({ field: 'expiresInDays', message: `Choisissez une durée de validité : ${TOKEN_LIFETIMES.join(', ')} jours.` });
  }
  if (issues.length) throw new AppError('INVALID_TOKEN_REQUEST', issues.map((i) => i.message).join(' '), 422, issues);
  return { name, scopes, days };
}

/**
 * Creates a token for the organisation. The token itself is returned here and only here:
 * the database keeps its SHA-256 and its first characters.
 */
export async function createToken(p: Platform, actor: Actor, organisationId: string, input: TokenInput): Promise<{ token: string; item: ApiTokenView }> {
  await managedOrganisation(p, actor, organisationId);
  const person = requirePerson(actor);
  const { name, scopes, days } = parseTokenInput(input);
  const token = `${TOKEN_PREFIX}${randomToken()}`;
  const prefix = token.slice(0, PREFIX_LENGTH);
  const item = await p.db.transaction(async (tx) => {
    const r = (await tx.one<{ id: string }>(
      `INSERT INTO api_tokens (organisation_id, name, token_hash, prefix, scopes, expires_at, created_by)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(days => $6), $7) RETURNING id`,
      [organisationId, name, sha256(token), prefix, scopes, days, person.id],
    )) as { id: string };
    const row = (await tx.one<TokenRow>(`${SELECT} WHERE t.id = $1`, [r.id])) as TokenRow;
    await audit(tx, {
      actorId: person.id,
      action: 'api_token.created',
      targetType: 'api_token',
      targetId: r.id,
      organisationId,
      after: { name, prefix, scopes, expiresAt: iso(row.expires_at) },
    });
    return toView(row);
  });
  return { token, item };
}

/** Revokes a token of the organisation at once (revoking it again changes nothing). */
export async function revokeToken(p: Platform, actor: Actor, organisationId: string, tokenId: string): Promise<ApiTokenView> {
  await managedOrganisation(p, actor, organisationId);
  const person = requirePerson(actor);
  if (!/^[0-9a-f-]{36}$/i.test(tokenId)) throw tokenNotFound();
  return p.db.transaction(async (tx) => {
    const before = await tx.one<TokenRow>(`${SELECT} WHERE t.id = $1 AND t.organisation_id = $2 FOR UPDATE OF t`, [tokenId, organisationId]);
    if (!before) throw tokenNotFound();
    if (before.revoked_at) return toView(before);
    await tx.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [tokenId]);
    await audit(tx, {
      actorId: person.id,
      action: 'api_token.revoked',
      targetType: 'api_token',
      targetId: tokenId,
      organisationId,
      before: { name: before.name, prefix: before.prefix, scopes: before.scopes },
    });
    return toView((await tx.one<TokenRow>(`${SELECT} WHERE t.id = $1`, [tokenId])) as TokenRow);
  });
}

const tokenNotFound = () => new AppError('NOT_FOUND', 'Jeton d’API introuvable dans cette organisation.', 404);
