// Rate limits shared by every process: fixed-window counters in the database, per IP and per account.
import type { Queryable } from './db.ts';
import { AppError } from './errors.ts';
import { sha256 } from './tokens.ts';

export interface Limit {
  /** How many attempts a window allows. */
  max: number;
  windowSeconds: number;
}

/** Every limit of the platform, in one place: per client address (ip) and per account or email (account). */
export const LIMITS = {
  signIn: { ip: { max: 30, windowSeconds: 600 }, account: { max: 10, windowSeconds: 900 } },
  signUp: { ip: { max: 10, windowSeconds: 3600 }, account: { max: 3, windowSeconds: 3600 } },
  // Every form that sends a link by mail (sign-in link, reset, new confirmation).
  mailLink: { ip: { max: 10, windowSeconds: 3600 }, account: { max: 3, windowSeconds: 3600 } },
  claim: { ip: { max: 20, windowSeconds: 86400 }, account: { max: 10, windowSeconds: 86400 } },
  invite: { ip: { max: 50, windowSeconds: 86400 }, account: { max: 30, windowSeconds: 86400 } },
} satisfies Record<string, { ip: Limit; account: Limit }>;

export type LimitName = keyof typeof LIMITS;

/**
 * Counts one attempt for the action under the client's address and, when known, the account
 * (an email or a person id, stored hashed); throws RATE_LIMITED (429) when a window is full.
 */
export async function rateLimit(q: Queryable, name: LimitName, who: { ip: string; account?: string | null }, now = new Date()): Promise<void> {
  const rules = LIMITS[name];
  const checks: [string, Limit][] = [[`${name}:ip:${who.ip}`, rules.ip]];
  if (who.account) checks.push([`${name}:account:${sha256(who.account.toLowerCase())}`, rules.account]);
  for (const [key, limit] of checks) {
    const start = new Date(Math.floor(now.getTime() / (limit.windowSeconds * 1000)) * limit.windowSeconds * 1000);
    const row = await q.one<{ hits: number }>(
      `INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
       ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits`,
      [key, start.toISOString()],
    );
    if ((row?.hits ?? 0) > limit.max) {
      const retryAfter = Math.max(1, Math.ceil((start.getTime() + limit.windowSeconds * 1000 - now.getTime()) / 1000));
      throw new AppError('RATE_LIMITED', `Trop de tentatives. Réessayez dans ${formatWait(retryAfter)}.`, 429, { retryAfterSeconds: retryAfter });
    }
  }
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} secondes`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `${minutes} minutes`;
  return `${Math.ceil(minutes / 60)} heures`;
}

/** Old windows are useless: removed by a periodic job. */
export async function pruneRateLimits(q: Queryable): Promise<void> {
  await q.exec(`DELETE FROM rate_limits WHERE window_start < now() - interval '2 days'`);
}
