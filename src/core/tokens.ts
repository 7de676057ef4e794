// Random tokens for cookies and links, stored only as their SHA-256; constant-time comparison.
import crypto from 'node:crypto';

/** A URL-safe random token (32 bytes of entropy). */
export const randomToken = (bytes = 32) => crypto.randomBytes(bytes).toString('base64url');

export const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
