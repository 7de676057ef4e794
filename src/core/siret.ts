// SIRET / SIREN checks (INSEE): Luhn over the digits; La Poste (SIREN 356000000) uses a digit sum multiple of 5.

function luhn(s: string): boolean {
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    let d = s.charCodeAt(s.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Removes spaces, dots and dashes people type in identifiers. */
export const cleanIdentifier = (s: string) => s.replace(/[\s.\-\u00a0]/g, '');

export function isValidSiren(input: string): boolean {
  const s = cleanIdentifier(input);
  return /^\d{9}$/.test(s) && luhn(s);
}

export function isValidSiret(input: string): boolean {
  const s = cleanIdentifier(input);
  if (!/^\d{14}$/.test(s)) return false;
  if (luhn(s)) return true;
  if (s.startsWith('356000000')) {
    let sum = 0;
    for (const c of s) sum += c.charCodeAt(0) - 48;
    return sum % 5 === 0;
  }
  return false;
}

/** Completes the 14th digit so that a 13-digit prefix becomes a valid SIRET (used by the demo generator). */
export function completeSiret(prefix13: string): string {
  for (let d = 0; d < 10; d++) {
    const candidate = prefix13 + d;
    if (luhn(candidate)) return candidate;
  }
  throw new Error('unreachable');
}
