// Rate limits shared by every process: sliding-window counters in the database, per IP and per account.
import type { Queryable } from './db.ts';
import { AppError } from './errors.ts';
import { registerHousekeeping } from './jobs.ts';
import { sha256 } from './tokens.ts';

export interface Limit {
  /** How many attempts a window allows. */
  max: number;
  windowSeconds: number;
}

/** Every limit of the platform, in one place: per client address (ip) and per account or email (account). */
export const LIMITS = {
  // Per account, sign-in attempts count per (account, address), with a higher ceiling for the account
  // alone: somebody else guessing from their own address cannot lock the owner out.
  signIn: { ip: { max: 30, windowSeconds: 600 }, account: { max: 10, windowSeconds: 900 }, accountOverall: { max: 100, windowSeconds: 900 } },
  signUp: { ip: { max: 10, windowSeconds: 3600 }, account: { max: 3, windowSeconds: 3600 } },
  // Forms that send a link by mail, each with its own counter.
  signInLink: { ip: { max: 10, windowSeconds: 3600 }, account: { max: 3, windowSeconds: 3600 } },
  reset: { ip: { max: 10, windowSeconds: 3600 }, account: { max: 3, windowSeconds: 3600 } },
  claim: { ip: { max: 20, windowSeconds: 86400 }, account: { max: 10, windowSeconds: 86400 } },
  invite: { ip: { max: 50, windowSeconds: 86400 }, account: { max: 30, windowSeconds: 86400 } },
  // Each new facilitator or network organisation mails the platform team.
  organisation: { ip: { max: 20, windowSeconds: 86400 }, account: { max: 5, windowSeconds: 86400 } },
  // Posting purchasing needs (drafts and submissions; guests are counted by address and by email).
  needPost: { ip: { max: 30, windowSeconds: 86400 }, account: { max: 10, windowSeconds: 86400 } },
} satisfies Record<string, { ip: Limit; account: Limit; accountOverall?: Limit }>;

export type LimitName = keyof typeof LIMITS;

/**
 * Counts one attempt for the action under the client's address and, when known, the account
 * (an email or a person id, stored hashed); throws RATE_LIMITED (429) when a window is full.
 */
export async function rateLimit(q: Queryable, name: LimitName, who: { ip: string; account?: string | null }, now = new Date()): Promise<void> {
  const rules: { ip: Limit; account: Limit; accountOverall?: Limit } = LIMITS[name];
  const checks: [string, Limit][] = [[`${name}:ip:${who.ip}`, rules.ip]];
  if (who.account) {
    const account = sha256(who.account.toLowerCase());
    if (rules.accountOverall) {
      checks.push([`${name}:account-ip:${sha256(`${account}:${who.ip}`)}`, rules.account]);
      checks.push([`${name}:account:${account}`, rules.accountOverall]);
    } else checks.push([`${name}:account:${account}`, rules.account]);
  }
  for (const [key, limit] of checks) {
    const windowMs = limit.windowSeconds * 1000;
    const start = Math.floor(now.getTime() / windowMs) * windowMs;
    const row = await q.one<{ hits: number; previous: number | null }>(
      `WITH hit AS (
         INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits)
       SELECT hit.hits, (SELECT hits FROM rate_limits WHERE key = $1 AND window_start = $3) AS previous FROM hit`,
      [key, new Date(start).toISOString(), new Date(start - windowMs).toISOString()],
    );
    const retryAfter = slidingWait(Number(row?.hits ?? 0), Number(row?.previous ?? 0), (now.getTime() - start) / windowMs, limit);
    if (retryAfter > 0) {
      throw new AppError('RATE_LIMITED', `Trop de tentatives. Réessayez dans ${formatWait(retryAfter)}.`, 429, { retryAfterSeconds: retryAfter });
    }
  }
}

/**
 * Sliding window: the attempts of the previous window count for the part of it still inside the last
 * `windowSeconds`, so a counter never drops to zero at a window boundary (no double burst, and a limit
 * holds whatever the time of day). Returns 0 when the attempt is allowed, otherwise the seconds to wait
 * until one more attempt fits.
 */
export function slidingWait(current: number, previous: number, elapsed: number, limit: Limit): number {
  const estimate = previous * (1 - elapsed) + current;
  if (estimate <= limit.max) return 0;
  // Later in this window the previous one weighs less: is there a moment where one more attempt fits?
  let fraction: number;
  if (current + 1 <= limit.max && previous > 0) fraction = 1 - (limit.max - 1 - current) / previous;
  else fraction = 1 + Math.max(0, 1 - (limit.max - 1) / current);
  return Math.max(1, Math.ceil((fraction - elapsed) * limit.windowSeconds));
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} secondes`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `${minutes} minutes`;
  return `${Math.ceil(minutes / 60)} heures`;
}

/** Old windows are useless (and hold client addresses): removed every hour. */
export async function pruneRateLimits(q: Queryable): Promise<void> {
  await q.exec(`DELETE FROM rate_limits WHERE window_start < now() - interval '2 days'`);
}

registerHousekeeping('rate-limits', (platform) => pruneRateLimits(platform.db));
