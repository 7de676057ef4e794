// Passwords: argon2id hashing and the rules a new password must follow (length, common passwords, email).
import fs from 'node:fs';
import path from 'node:path';
import argon2 from 'argon2';
import { ROOT_DIR } from '../../core/config.ts';
import { AppError } from '../../core/errors.ts';

/**
 * OWASP's recommended argon2id parameters (Password Storage Cheat Sheet): 19 MiB of memory, 2 passes,
 * 1 lane. About 30–50 ms per hash on one core of the reference machine, and only 19 MiB per concurrent
 * login (the library's defaults, 64 MiB × 3 passes × 4 lanes, cost three times as much on 2 cores).
 */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * Longer inputs are refused by `verifyPassword` without hashing: a valid password has at most 256 code
 * points, 1,024 UTF-16 units even typed fully decomposed; this bound leaves a wide margin.
 */
const MAX_INPUT_UNITS = 4096;

/** The same password typed on different systems (composed or decomposed accents) gives the same hash. */
const canonical = (pw: string) => pw.normalize('NFC');

export function hashPassword(pw: string): Promise<string> {
  return argon2.hash(canonical(pw), ARGON2_OPTIONS);
}

/** True when `pw` matches `hash`; false for a wrong password and for a malformed or foreign hash (never throws). */
export async function verifyPassword(hash: string, pw: string): Promise<boolean> {
  if (typeof hash !== 'string' || typeof pw !== 'string' || !hash.startsWith('$argon2') || pw.length > MAX_INPUT_UNITS) return false;
  try {
    return await argon2.verify(hash, canonical(pw));
  } catch {
    return false;
  }
}

/** True when a stored hash was made with other parameters than today's: rehash it after a successful login. */
export function passwordNeedsRehash(hash: string): boolean {
  try {
    return argon2.needsRehash(hash, ARGON2_OPTIONS);
  } catch {
    return true;
  }
}

export type PasswordCheck = { ok: true } | { ok: false; code: string; message: string };

export interface PasswordContext {
  email?: string;
  name?: string;
}

const refuse = (code: string, message: string): PasswordCheck => ({ ok: false, code, message });

/**
 * Form used to compare passwords with the list and with the email: accents removed, lowercase, no spaces
 * (« Mot de passé » and « motdepasse » are the same password for these rules).
 */
export const normalizeForComparison = (s: string) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/gu, '');

export const COMMON_PASSWORDS_FILE = path.join(ROOT_DIR, 'data/common-passwords/common-passwords.txt');

let common: Set<string> | null = null;

/** The list of common passwords, read once on first use. */
function commonPasswords(): Set<string> {
  if (!common) {
    const set = new Set<string>();
    for (const line of fs.readFileSync(COMMON_PASSWORDS_FILE, 'utf8').split('\n')) {
      const entry = line.trim();
      if (entry && !entry.startsWith('#')) set.add(normalizeForComparison(entry));
    }
    common = set;
  }
  return common;
}

/** Shortest stem that, followed by digits or symbols, still counts as the common password it is. */
const MIN_STEM = 6;

/**
 * A password is common when it is in the list (accents, case and spaces ignored), or when it is a listed
 * password of 6 characters or more followed by digits or symbols (« motdepasse123 », « Marseille2024! »).
 */
export function isCommonPassword(pw: string): boolean {
  const list = commonPasswords();
  const n = normalizeForComparison(pw);
  if (list.has(n)) return true;
  const stem = n.replace(/[\p{N}\p{P}\p{S}]+$/u, '');
  return stem !== n && [...stem].length >= MIN_STEM && list.has(stem);
}

/** The whole password is one character, or a pattern of 2 or 3 characters, repeated (« aaaaaaaaaaaa », « abcabcabcabc »). */
function isRepeated(chars: string[]): boolean {
  for (let unit = 1; unit <= 3; unit++) {
    if (chars.length < unit * 2 || chars.length % unit !== 0) continue;
    if (chars.every((c, i) => c === chars[i % unit])) return true;
  }
  return false;
}

function containsEmail(n: string, email: string): boolean {
  const e = normalizeForComparison(email);
  if (!e) return false;
  if (n === e || n.includes(e)) return true;
  const local = e.split('@')[0]!.replace(/\+.*$/, '');
  const compact = local.replace(/[._-]/g, '');
  return (local.length >= 4 && n.includes(local)) || (compact.length >= 4 && n.replace(/[._-]/g, '').includes(compact));
}

function containsName(n: string, name: string): boolean {
  const compact = normalizeForComparison(name).replace(/[._'’-]/g, '');
  return compact.length >= 4 && n.replace(/[._'’-]/g, '').includes(compact);
}

/**
 * The rules of a new password, each with a stable code and a French message:
 * 12 to 256 characters (code points), not one character or short pattern repeated, not containing the
 * email (or its part before « @ » when it has 4 characters or more) nor the person's full name, not a
 * common password (see `isCommonPassword`).
 */
export function checkPassword(pw: string, context: PasswordContext = {}): PasswordCheck {
  const chars = [...canonical(pw)];
  if (chars.length < PASSWORD_MIN_LENGTH) {
    return refuse('PASSWORD_TOO_SHORT', `Le mot de passe doit comporter au moins ${PASSWORD_MIN_LENGTH} caractères.`);
  }
  if (chars.length > PASSWORD_MAX_LENGTH) {
    return refuse('PASSWORD_TOO_LONG', `Le mot de passe doit comporter au plus ${PASSWORD_MAX_LENGTH} caractères.`);
  }
  if (isRepeated(chars)) {
    return refuse('PASSWORD_REPEATED', 'Le mot de passe ne doit pas répéter un même caractère ou un même petit motif : choisissez-en un autre.');
  }
  const n = normalizeForComparison(pw);
  if (context.email && containsEmail(n, context.email)) {
    return refuse('PASSWORD_CONTAINS_EMAIL', 'Le mot de passe ne doit pas contenir votre adresse électronique.');
  }
  if (context.name && containsName(n, context.name)) {
    return refuse('PASSWORD_CONTAINS_NAME', 'Le mot de passe ne doit pas contenir votre nom.');
  }
  if (isCommonPassword(pw)) {
    return refuse('PASSWORD_TOO_COMMON', 'Ce mot de passe fait partie des mots de passe les plus courants : choisissez-en un autre.');
  }
  return { ok: true };
}

/** `checkPassword` for a form or an API call: throws a 422 AppError on the `password` field. */
export function assertPassword(pw: string, context: PasswordContext = {}): void {
  const r = checkPassword(pw, context);
  if (!r.ok) throw new AppError(r.code, r.message, 422, { field: 'password' });
}
