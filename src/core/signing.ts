// Signed, expiring links that work without signing in (a structure's link to a need, a buyer's outcome
// question): HMAC-SHA256 over the purpose, the subject and the expiry, with the platform's key.
import crypto from 'node:crypto';
import type { Queryable } from './db.ts';
import { randomToken, safeEqual } from './tokens.ts';

let cached: { fromEnv: string | null; key: Buffer } | null = null;

/** The signing key: SECRET_KEY when given, otherwise one generated once and kept in the database. */
export async function signingKey(q: Queryable, fromEnv: string | null = process.env.SECRET_KEY?.trim() || null): Promise<Buffer> {
  if (cached && cached.fromEnv === fromEnv) return cached.key;
  let secret = fromEnv;
  if (!secret) {
    await q.query(`INSERT INTO platform_secrets (name, value) VALUES ('signing', $1) ON CONFLICT (name) DO NOTHING`, [randomToken(48)]);
    secret = (await q.one<{ value: string }>(`SELECT value FROM platform_secrets WHERE name = 'signing'`))?.value as string;
  }
  cached = { fromEnv, key: crypto.createHash('sha256').update(secret).digest() };
  return cached.key;
}

/** For tests: forget the cached key (a new database has a new one). */
export function resetSigningKey(): void {
  cached = null;
}

const mac = (key: Buffer, text: string) => crypto.createHmac('sha256', key).update(text).digest('base64url');

/** A token for `purpose` on `subject` (e.g. "need-recipient", "<need id>:<structure id>"), valid until `expires`. */
export function sign(key: Buffer, purpose: string, subject: string, expires: Date): string {
  const exp = Math.floor(expires.getTime() / 1000).toString(36);
  return `${exp}.${mac(key, `${purpose}|${subject}|${exp}`)}`;
}

export type Verified = { ok: true } | { ok: false; reason: 'invalid' | 'expired' };

/** Checks a token against the purpose and subject it must be for; an altered or foreign token is invalid. */
export function verify(key: Buffer, purpose: string, subject: string, token: string, now = new Date()): Verified {
  const m = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { ok: false, reason: 'invalid' };
  if (!safeEqual(mac(key, `${purpose}|${subject}|${m[1]}`), m[2])) return { ok: false, reason: 'invalid' };
  if (Number.parseInt(m[1], 36) * 1000 < now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true };
}
