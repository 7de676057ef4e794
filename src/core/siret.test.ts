import { describe, expect, it } from 'vitest';
import { cleanIdentifier, completeSiret, isValidSiren, isValidSiret } from './siret.ts';

describe('SIRET and SIREN', () => {
  it('accepts a SIRET whose Luhn sum is right and refuses one digit off', () => {
    expect(isValidSiret('73282932000074')).toBe(true);
    expect(isValidSiret('73282932000075')).toBe(false);
  });
  it('needs exactly 14 digits', () => {
    expect(isValidSiret('7328293200007')).toBe(false);
    expect(isValidSiret('732829320000744')).toBe(false);
    expect(isValidSiret('7328293200007A')).toBe(false);
  });
  it('forgives spaces, dots and dashes people type', () => {
    expect(cleanIdentifier('732 829 320 00074')).toBe('73282932000074');
    expect(isValidSiret('732 829 320 00074')).toBe(true);
  });
  it('applies the La Poste rule: SIREN 356000000 with a digit sum multiple of 5', () => {
    expect(isValidSiret('35600000049837')).toBe(true); // Luhn-invalid, digit sum 40
    expect(isValidSiret('35600000049838')).toBe(false);
    expect(isValidSiret('35600000000048')).toBe(true); // head office, plain Luhn
  });
  it('checks a SIREN with Luhn', () => {
    expect(isValidSiren('732829320')).toBe(true);
    expect(isValidSiren('732829321')).toBe(false);
    expect(isValidSiren('12345678')).toBe(false);
  });
  it('completes a 13-digit prefix into a valid SIRET', () => {
    const s = completeSiret('1234567890001');
    expect(s).toHaveLength(14);
    expect(isValidSiret(s)).toBe(true);
  });
});
