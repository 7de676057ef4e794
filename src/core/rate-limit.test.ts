// Rate limits on a real database with a controlled clock: the sliding window holds across a window
// boundary (a fixed window would let a second burst through at the boundary, and made a test depend on
// the time of day), and the wait announced is the time until one more attempt fits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../../test/helpers/db.ts';
import type { Db } from './db.ts';
import { AppError } from './errors.ts';
import { LIMITS, rateLimit, slidingWait } from './rate-limit.ts';

let db: Db;

beforeAll(async () => {
  db = await createTestDb();
});

afterAll(async () => {
  await db.close();
});

/** Status of one attempt: 'ok' or the seconds to wait. */
async function attempt(ip: string, at: Date): Promise<'ok' | number> {
  try {
    await rateLimit(db, 'signIn', { ip }, at);
    return 'ok';
  } catch (error) {
    if (error instanceof AppError && error.code === 'RATE_LIMITED') return Number((error.details as { retryAfterSeconds: number }).retryAfterSeconds);
    throw error;
  }
}

describe('sliding window', () => {
  const { max, windowSeconds } = LIMITS.signIn.ip;
  const windowMs = windowSeconds * 1000;
  // A window boundary, as the counters compute it.
  const boundary = Math.ceil(Date.UTC(2026, 10, 26, 12) / windowMs) * windowMs;

  it('does not reset the count at a window boundary', async () => {
    const ip = '198.51.100.10';
    const results: ('ok' | number)[] = [];
    // Half the attempts just before the boundary, the rest just after.
    for (let i = 0; i < max + 2; i++) {
      const at = new Date(boundary + (i < max / 2 ? -2000 : 2000) + i);
      results.push(await attempt(ip, at));
    }
    expect(results.slice(0, max).every((r) => r === 'ok')).toBe(true);
    expect(results.slice(max).every((r) => typeof r === 'number' && r > 0)).toBe(true);
  });

  it('lets attempts through again as the old window slides out', async () => {
    const ip = '198.51.100.11';
    for (let i = 0; i < max; i++) expect(await attempt(ip, new Date(boundary + 1000 + i))).toBe('ok');
    const wait = await attempt(ip, new Date(boundary + 2000));
    expect(typeof wait).toBe('number');
    // Waiting what was announced is enough…
    const after = boundary + 2000 + (wait as number) * 1000;
    expect(await attempt(ip, new Date(after))).toBe('ok');
    // …and a full window later everything is forgotten.
    const ip2 = '198.51.100.12';
    for (let i = 0; i < max; i++) await attempt(ip2, new Date(boundary + 1000));
    for (let i = 0; i < max; i++) expect(await attempt(ip2, new Date(boundary + 2 * windowMs + 1000 + i))).toBe('ok');
  });

  it('computes the wait until one more attempt fits', () => {
    const limit = { max: 10, windowSeconds: 100 };
    expect(slidingWait(10, 0, 0.5, limit)).toBe(0);
    expect(slidingWait(5, 10, 0.5, limit)).toBe(0); // 10 × 0.5 + 5 = 10
    // 10 × 0.4 + 7 = 11 > 10; one more fits when 10 × (1 − g) + 7 ≤ 9, g = 0.8: 40 s from 0.4.
    expect(slidingWait(7, 10, 0.4, limit)).toBe(40);
    // The current window is full: wait for the next one to weigh it down to 9 of 11 (g = 1 − 9/11).
    expect(slidingWait(11, 0, 0.5, limit)).toBe(Math.ceil((1 + (1 - 9 / 11) - 0.5) * 100));
  });
});
