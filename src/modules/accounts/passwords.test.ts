import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.ts';
import { assertPassword, checkPassword, hashPassword, isCommonPassword, passwordNeedsRehash, verifyPassword } from './passwords.ts';

const codeOf = (pw: string, context = {}) => {
  const r = checkPassword(pw, context);
  return r.ok ? 'OK' : r.code;
};

describe('password hashing', () => {
  it('hashes with argon2id (19 MiB, 2 passes, 1 lane) and verifies the same password', async () => {
    const hash = await hashPassword('un vélo rouge sous la pluie');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await verifyPassword(hash, 'un vélo rouge sous la pluie')).toBe(true);
    expect(passwordNeedsRehash(hash)).toBe(false);
  });
  it('salts every hash', async () => {
    expect(await hashPassword('un vélo rouge sous la pluie')).not.toBe(await hashPassword('un vélo rouge sous la pluie'));
  });
  it('refuses a wrong password', async () => {
    const hash = await hashPassword('un vélo rouge sous la pluie');
    expect(await verifyPassword(hash, 'un vélo rouge sous la pluie ')).toBe(false);
    expect(await verifyPassword(hash, 'Un vélo rouge sous la pluie')).toBe(false);
    expect(await verifyPassword(hash, '')).toBe(false);
    expect(await verifyPassword(hash, 'un vélo rouge sous la pluie'.repeat(1000))).toBe(false);
  });
  it('matches composed and decomposed accents alike', async () => {
    const hash = await hashPassword('un ve\u0301lo rouge sous la pluie');
    expect(await verifyPassword(hash, 'un v\u00e9lo rouge sous la pluie')).toBe(true);
  });
  it('returns false, never throws, on a malformed hash', async () => {
    for (const bad of ['', 'not a hash', '$argon2id$', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', '$2b$10$abcdefghijklmnopqrstuv', null as unknown as string]) {
      expect(await verifyPassword(bad, 'un vélo rouge sous la pluie')).toBe(false);
    }
    expect(passwordNeedsRehash('not a hash')).toBe(true);
  });
  it('flags a hash made with other parameters for rehashing', () => {
    expect(passwordNeedsRehash('$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g')).toBe(true);
  });
});

describe('password rules', () => {
  it('accepts a passphrase', () => {
    expect(checkPassword('un vélo rouge sous la pluie', { email: 'camille.martin@example.fr', name: 'Camille Martin' })).toEqual({ ok: true });
    expect(codeOf('Tr0mbone-Gir@fe-Lumière')).toBe('OK');
  });
  it('needs at least 12 characters, counted as code points', () => {
    const r = checkPassword('Xk9#mP2$vL4');
    expect(r).toEqual({ ok: false, code: 'PASSWORD_TOO_SHORT', message: 'Le mot de passe doit comporter au moins 12 caractères.' });
    expect(codeOf('Xk9#mP2$vL4q')).toBe('OK');
    // 11 emoji are 22 UTF-16 units but 11 characters.
    expect(codeOf('🦊🐢🦉🐙🦋🐝🦀🐬🦔🐧🦜')).toBe('PASSWORD_TOO_SHORT');
    expect(codeOf('🦊🐢🦉🐙🦋🐝🦀🐬🦔🐧🦜🐌')).toBe('OK');
    expect(codeOf('')).toBe('PASSWORD_TOO_SHORT');
  });
  it('allows at most 256 characters', () => {
    const long = 'Xk9#mP2$vL4q'.repeat(22); // 264
    expect(codeOf(long.slice(0, 256))).toBe('OK');
    expect(codeOf(long.slice(0, 257))).toBe('PASSWORD_TOO_LONG');
    expect(codeOf('é'.repeat(100) + 'x'.repeat(157))).toBe('PASSWORD_TOO_LONG');
  });
  it('refuses one character or a tiny pattern repeated', () => {
    expect(codeOf('aaaaaaaaaaaa')).toBe('PASSWORD_REPEATED');
    expect(codeOf('############')).toBe('PASSWORD_REPEATED');
    expect(codeOf('abcabcabcabc')).toBe('PASSWORD_REPEATED');
    expect(codeOf('xyxyxyxyxyxyxy')).toBe('PASSWORD_REPEATED');
    expect(checkPassword('éééééééééééé')).toMatchObject({ ok: false, code: 'PASSWORD_REPEATED' });
  });
  it('refuses the email or its local part', () => {
    const email = 'camille.martin@example.fr';
    expect(codeOf('camille.martin@example.fr', { email })).toBe('PASSWORD_CONTAINS_EMAIL');
    expect(codeOf('Camille.Martin-2024-secret', { email })).toBe('PASSWORD_CONTAINS_EMAIL');
    expect(codeOf('camillemartin du nord', { email })).toBe('PASSWORD_CONTAINS_EMAIL');
    // A local part shorter than 4 characters is too common a string to refuse.
    expect(codeOf('le bon jus de pomme', { email: 'jus@example.fr' })).toBe('OK');
    expect(checkPassword('camille.martin.59', { email })).toEqual({
      ok: false,
      code: 'PASSWORD_CONTAINS_EMAIL',
      message: 'Le mot de passe ne doit pas contenir votre adresse électronique.',
    });
  });
  it('refuses the full name', () => {
    expect(codeOf('CamilleMartin2024!', { name: 'Camille Martin' })).toBe('PASSWORD_CONTAINS_NAME');
    expect(codeOf('la camille du village', { name: 'Camille Martin' })).toBe('OK');
  });
  it('refuses common passwords, ignoring case, accents, spaces and trailing digits or symbols', () => {
    for (const pw of ['123456789012', 'passwordpassword', 'motdepasse123', 'azertyuiop123', 'MotDePasse2024!', 'Mot de passe 2024', 'Marseille2024!', 'qwertyuiop123', '&é"\'(-è_çà)=']) {
      expect(checkPassword(pw)).toEqual({
        ok: false,
        code: 'PASSWORD_TOO_COMMON',
        message: 'Ce mot de passe fait partie des mots de passe les plus courants : choisissez-en un autre.',
      });
    }
    expect(isCommonPassword('soleil')).toBe(true);
    expect(isCommonPassword('bonjour')).toBe(true);
    // The stem must have 6 characters or more: « lille » (5) followed by digits is not refused by the list.
    expect(isCommonPassword('lille1234567')).toBe(false);
    // Only a whole password or a stem followed by digits/symbols counts, not a listed word inside a phrase.
    expect(isCommonPassword('soleil couchant sur la baie')).toBe(false);
  });
  it('assertPassword throws a 422 AppError on the password field', () => {
    expect(() => assertPassword('un vélo rouge sous la pluie', {})).not.toThrow();
    try {
      assertPassword('motdepasse123', {});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      const err = e as AppError;
      expect([err.code, err.status, err.details]).toEqual(['PASSWORD_TOO_COMMON', 422, { field: 'password' }]);
      expect(err.message).toContain('mots de passe les plus courants');
    }
  });
});
