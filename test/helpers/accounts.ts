// People, organisations and sessions for tests: created straight in the database, signed in without the forms.
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Db } from '../../src/core/db.ts';
import { runReadyJobs } from '../../src/core/jobs.ts';
import type { Platform } from '../../src/core/platform.ts';
import { randomToken } from '../../src/core/tokens.ts';
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from '../../src/modules/accounts/http.ts';
import type { OrganisationType, Role } from '../../src/modules/accounts/model.ts';
import { hashPassword } from '../../src/modules/accounts/passwords.ts';
import { openSession } from '../../src/modules/accounts/sessions.ts';

let n = 0;
export const TEST_PASSWORD = 'une phrase de passe solide';
let hashed: Promise<string> | null = null;

export async function createPerson(db: Db, o: { email?: string; name?: string; confirmed?: boolean; password?: string | null } = {}): Promise<{ id: string; email: string }> {
  const email = (o.email ?? `personne${++n}.${Date.now()}@exemple.fr`).toLowerCase();
  const hash = o.password === null ? null : o.password ? await hashPassword(o.password) : await (hashed ??= hashPassword(TEST_PASSWORD));
  const r = await db.one<{ id: string }>(
    `INSERT INTO people (email, name, password_hash, email_confirmed_at) VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END) RETURNING id`,
    [email, o.name ?? 'Camille Test', hash, o.confirmed ?? true],
  );
  return { id: (r as { id: string }).id, email };
}

export async function createOrganisation(
  db: Db,
  o: { type: OrganisationType; name?: string; structureId?: string; territoryKeys?: string[]; verified?: boolean; category?: string },
): Promise<string> {
  const r = await db.one<{ id: string }>(
    `INSERT INTO organisations (type, name, structure_id, territory_keys, category, verified_at) VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END) RETURNING id`,
    [o.type, o.name ?? `Organisation ${++n}`, o.structureId ?? null, o.territoryKeys ?? [], o.category ?? null, o.verified ?? true],
  );
  return (r as { id: string }).id;
}

export async function addMember(db: Db, organisationId: string, personId: string, role: Role = 'member'): Promise<void> {
  await db.query('INSERT INTO memberships (organisation_id, person_id, role) VALUES ($1, $2, $3)', [organisationId, personId, role]);
}

/** A signed-in browser: cookies and the CSRF token to send with changes. */
export interface Session {
  cookie: string;
  csrf: string;
  /** Headers for app.inject: cookies, plus the CSRF header for changes. */
  headers: Record<string, string>;
}

export async function signIn(db: Db, personId: string): Promise<Session> {
  const token = await openSession(db, personId);
  const csrf = randomToken();
  const cookie = `${SESSION_COOKIE}=${token}; ${CSRF_COOKIE}=${csrf}`;
  return { cookie, csrf, headers: { cookie, [CSRF_HEADER]: csrf } };
}

/** An anonymous browser that holds a CSRF cookie (as after loading any form). */
export function anonymous(): Session {
  const csrf = randomToken();
  const cookie = `${CSRF_COOKIE}=${csrf}`;
  return { cookie, csrf, headers: { cookie, [CSRF_HEADER]: csrf } };
}

/** Posts a form as a browser would: urlencoded body with the CSRF field. */
export function postForm(app: FastifyInstance, url: string, session: Session, fields: Record<string, string>, extra: Partial<InjectOptions> = {}) {
  return app.inject({
    ...extra,
    method: 'POST',
    url,
    headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded', ...(extra.headers ?? {}) },
    payload: new URLSearchParams({ _csrf: session.csrf, ...fields }).toString(),
  });
}

/** Runs the queued jobs (mail) and returns the messages that reached the outbox since the given id. */
export async function deliveredMails(platform: Platform, sinceId = 0): Promise<{ id: number; to_address: string; subject: string; text_body: string; html_body: string }[]> {
  await runReadyJobs(platform);
  return platform.db.query('SELECT id, to_address, subject, text_body, html_body FROM mail_outbox WHERE id > $1 ORDER BY id', [sinceId]);
}

/** The first link of a mail's text that starts with the given path. */
export function linkIn(text: string, path: string): string {
  const m = new RegExp(`https?://[^\\s]*${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^\\s]*`).exec(text);
  if (!m) throw new Error(`no link to ${path} in: ${text}`);
  const u = new URL(m[0]);
  return u.pathname + u.search;
}
