// SQL of the accounts module: people, organisations, memberships, sessions, one-time links.
import type { Queryable } from '../../core/db.ts';
import { sha256 } from '../../core/tokens.ts';
import type { Membership, OrganisationType, Person, Role } from './model.ts';

interface PersonRow {
  id: string;
  email: string;
  name: string;
  email_confirmed_at: Date | null;
  password_hash: string | null;
}

const toPerson = (r: PersonRow): Person => ({
  id: r.id,
  email: r.email,
  name: r.name,
  emailConfirmedAt: r.email_confirmed_at ? new Date(r.email_confirmed_at).toISOString() : null,
});

export async function findPersonByEmail(q: Queryable, email: string): Promise<(Person & { passwordHash: string | null }) | null> {
  const r = await q.one<PersonRow>('SELECT id, email, name, email_confirmed_at, password_hash FROM people WHERE email = $1', [email]);
  return r ? { ...toPerson(r), passwordHash: r.password_hash } : null;
}

export async function findPerson(q: Queryable, id: string): Promise<Person | null> {
  const r = await q.one<PersonRow>('SELECT id, email, name, email_confirmed_at, password_hash FROM people WHERE id = $1', [id]);
  return r ? toPerson(r) : null;
}

/** Creates the person, or returns the one a concurrent request has just created with the same address. */
export async function insertPerson(q: Queryable, p: { email: string; name: string; passwordHash: string | null }): Promise<Person> {
  const r = await q.one<PersonRow>(
    'INSERT INTO people (email, name, password_hash) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING RETURNING id, email, name, email_confirmed_at, password_hash',
    [p.email, p.name, p.passwordHash],
  );
  if (r) return toPerson(r);
  return (await findPersonByEmail(q, p.email)) as Person;
}

export async function confirmEmail(q: Queryable, personId: string): Promise<void> {
  await q.query('UPDATE people SET email_confirmed_at = coalesce(email_confirmed_at, now()) WHERE id = $1', [personId]);
}

export async function setPassword(q: Queryable, personId: string, passwordHash: string): Promise<void> {
  await q.query('UPDATE people SET password_hash = $2 WHERE id = $1', [personId, passwordHash]);
}

export async function memberships(q: Queryable, personId: string): Promise<Membership[]> {
  const rows = await q.query<{
    organisation_id: string;
    name: string;
    type: OrganisationType;
    role: Role;
    structure_id: string | null;
    territory_keys: string[];
    verified_at: Date | null;
  }>(
    `SELECT m.organisation_id, o.name, o.type, m.role, o.structure_id, o.territory_keys, o.verified_at
     FROM memberships m JOIN organisations o ON o.id = m.organisation_id
     WHERE m.person_id = $1 ORDER BY o.type, o.name`,
    [personId],
  );
  return rows.map((r) => ({
    organisationId: r.organisation_id,
    organisationName: r.name,
    type: r.type,
    role: r.role,
    structureId: r.structure_id,
    territoryKeys: r.territory_keys,
    // Buyers and structures need no verification; facilitators, networks and the platform do.
    verified: r.type === 'buyer' || r.type === 'structure' || r.verified_at !== null,
  }));
}

// Sessions -----------------------------------------------------------------------------------------

export const SESSION_DAYS = 30;

export async function insertSession(q: Queryable, token: string, personId: string): Promise<void> {
  await q.query(`INSERT INTO sessions (token_hash, person_id, expires_at) VALUES ($1, $2, now() + interval '${SESSION_DAYS} days')`, [sha256(token), personId]);
}

/** The person of a live session; refreshes last_seen_at (at most every five minutes). */
export async function sessionPerson(q: Queryable, token: string): Promise<string | null> {
  const r = await q.one<{ person_id: string; stale: boolean }>(
    `SELECT person_id, last_seen_at < now() - interval '5 minutes' AS stale FROM sessions WHERE token_hash = $1 AND expires_at > now()`,
    [sha256(token)],
  );
  if (!r) return null;
  if (r.stale) await q.query('UPDATE sessions SET last_seen_at = now() WHERE token_hash = $1', [sha256(token)]);
  return r.person_id;
}

export async function deleteSession(q: Queryable, token: string): Promise<void> {
  await q.query('DELETE FROM sessions WHERE token_hash = $1', [sha256(token)]);
}

export async function deleteSessionsOf(q: Queryable, personId: string): Promise<number> {
  const rows = await q.query('DELETE FROM sessions WHERE person_id = $1 RETURNING 1', [personId]);
  return rows.length;
}

// One-time links -----------------------------------------------------------------------------------

export type LinkPurpose = 'confirm' | 'sign_in' | 'reset' | 'invite';

/** How long a link sent by mail stays valid. */
export const LINK_MINUTES: Record<LinkPurpose, number> = { confirm: 48 * 60, sign_in: 20, reset: 60, invite: 7 * 24 * 60 };

export async function insertLink(q: Queryable, token: string, l: { purpose: LinkPurpose; personId: string | null; email: string; data?: Record<string, unknown> }): Promise<void> {
  await q.query(
    `INSERT INTO one_time_tokens (token_hash, purpose, person_id, email, data, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6))`,
    [sha256(token), l.purpose, l.personId, l.email, JSON.stringify(l.data ?? {}), LINK_MINUTES[l.purpose]],
  );
}

export interface LinkRow {
  purpose: LinkPurpose;
  person_id: string | null;
  email: string;
  data: Record<string, unknown>;
}

/** Uses a link: succeeds once, before it expires. */
export async function consumeLink(q: Queryable, token: string, purpose: LinkPurpose): Promise<LinkRow | null> {
  const r = await q.one<LinkRow>(
    `UPDATE one_time_tokens SET used_at = now()
     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
     RETURNING purpose, person_id, email, data`,
    [sha256(token), purpose],
  );
  return r ?? null;
}

/** Reads a link without using it (to show the page behind it). */
export async function peekLink(q: Queryable, token: string, purpose: LinkPurpose): Promise<LinkRow | null> {
  const r = await q.one<LinkRow>(
    `SELECT purpose, person_id, email, data FROM one_time_tokens
     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()`,
    [sha256(token), purpose],
  );
  return r ?? null;
}

export async function invalidateLinks(q: Queryable, personId: string, purposes: LinkPurpose[]): Promise<void> {
  await q.query('UPDATE one_time_tokens SET used_at = now() WHERE person_id = $1 AND purpose = ANY($2) AND used_at IS NULL', [personId, purposes]);
}
