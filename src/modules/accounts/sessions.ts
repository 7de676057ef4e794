// Sessions and the actor of a request: who is signed in, with their memberships.
import type { Queryable } from '../../core/db.ts';
import { registerHousekeeping } from '../../core/jobs.ts';
import { randomToken } from '../../core/tokens.ts';
import { ANONYMOUS, type Actor } from './model.ts';
import * as repo from './repository.ts';

/** Opens a session for the person: a new random token (the caller drops any previous one: rotation). */
export async function openSession(q: Queryable, personId: string): Promise<string> {
  const token = randomToken();
  await repo.insertSession(q, token, personId);
  await q.query('UPDATE people SET last_sign_in_at = now() WHERE id = $1', [personId]);
  return token;
}

export async function closeSession(q: Queryable, token: string): Promise<void> {
  await repo.deleteSession(q, token);
}

export async function actorOfPerson(q: Queryable, personId: string): Promise<Actor> {
  const person = await repo.findPerson(q, personId);
  if (!person) return ANONYMOUS;
  return { person, memberships: await repo.memberships(q, personId), token: null };
}

export async function actorOfSession(q: Queryable, token: string | undefined): Promise<Actor> {
  if (!token || token.length > 100) return ANONYMOUS;
  const personId = await repo.sessionPerson(q, token);
  return personId ? actorOfPerson(q, personId) : ANONYMOUS;
}

// Expired sessions and used or expired links are deleted every hour: they hold nothing anyone needs.
registerHousekeeping('accounts', async (platform) => {
  await platform.db.query('DELETE FROM sessions WHERE expires_at < now()');
  await platform.db.query(`DELETE FROM one_time_tokens WHERE expires_at < now() OR used_at < now() - interval '1 hour'`);
});
