// The pure parts of the ranking: kinds admitted by a frame, component curves, the weights file.
import { describe, expect, it } from 'vitest';
import { storedArea } from '../directory/area.ts';
import type { SnapshotActivity } from '../directory/snapshot.ts';
import { distanceComponent, eligibleKinds, specificity } from './engine.ts';
import { responsivenessReason, responsivenessScore } from './responsiveness.ts';
import { MATCHING } from './weights.ts';

const activity = (kind: 'country' | 'radius' | 'territories', radiusKm: number | null, keys: string[] = []): SnapshotActivity => ({
  area: storedArea(kind, radiusKm, keys),
  territoryKeys: keys,
  coverKeys: [],
  sectorSlug: 'x',
  serviceTypes: ['PREST'],
  sectorIdx: 0,
  groupIdx: 0,
  typeMask: 2,
  index: 0,
  isCountry: kind === 'country',
});

describe('eligibleKinds', () => {
  it.each([
    [{ reservation: null, socialClause: false, kinds: [] }, ['EI', 'AI', 'ACI', 'ETTI', 'EITI', 'GEIQ', 'SEP', 'EA', 'EATT', 'ESAT']],
    [{ reservation: 'L2113-12', socialClause: false, kinds: [] }, ['EA', 'EATT', 'ESAT']],
    [{ reservation: null, socialClause: true, kinds: [] }, ['EI', 'ACI', 'AI', 'ETTI', 'EA', 'EATT', 'ESAT', 'GEIQ']],
    [{ reservation: 'L2113-14', socialClause: true, kinds: ['GEIQ', 'EA'] }, ['EA']],
  ] as const)('%j', (c, expected) => {
    expect([...eligibleKinds({ ...c, kinds: [...c.kinds] })].sort()).toEqual([...expected].sort());
  });
});

describe('components', () => {
  it('distance: 1 on the spot, one half at halfKm, decreasing, a fixed value when unknown', () => {
    expect(distanceComponent(0)).toBe(1);
    expect(distanceComponent(MATCHING.distance.halfKm)).toBeCloseTo(0.5, 10);
    expect(distanceComponent(10)).toBeGreaterThan(distanceComponent(11));
    expect(distanceComponent(null)).toBe(MATCHING.distance.unknown);
  });

  it('specificity: fewer sectors and smaller areas are more specific', () => {
    const small = activity('radius', 10);
    expect(specificity(small, 1)).toBeGreaterThan(specificity(small, 4));
    expect(specificity(small, 1)).toBeGreaterThan(specificity(activity('radius', 100), 1));
    expect(specificity(activity('territories', null, ['C59350']), 1)).toBeGreaterThan(specificity(activity('territories', null, ['D59']), 1));
    expect(specificity(activity('territories', null, ['D59']), 1)).toBeGreaterThan(specificity(activity('territories', null, ['R32']), 1));
    expect(specificity(activity('territories', null, ['R32']), 1)).toBeGreaterThan(specificity(activity('country', null), 1));
    // The widest listed territory counts.
    expect(specificity(activity('territories', null, ['C59350', 'R32']), 1)).toBe(specificity(activity('territories', null, ['R32']), 1));
    for (const a of [small, activity('country', null), activity('radius', 1000)]) {
      for (const n of [1, 2, 10, 40]) {
        expect(specificity(a, n)).toBeGreaterThan(0);
        expect(specificity(a, n)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('responsiveness: neutral when never contacted, smoothed otherwise', () => {
    expect(responsivenessScore(undefined)).toBe(0.5);
    expect(responsivenessScore({ sent: 1, answered: 1 })).toBeCloseTo(2 / 3, 10);
    expect(responsivenessScore({ sent: 10, answered: 0 })).toBeCloseTo(1 / 12, 10);
    expect(responsivenessReason({ sent: 1, answered: 0 })).toBe('A répondu à 0 sur 1 besoin reçu ces 12 derniers mois');
  });

  it('weights live in one frozen object', () => {
    expect(Object.isFrozen(MATCHING)).toBe(true);
    expect(Object.isFrozen(MATCHING.weights)).toBe(true);
    expect(Object.values(MATCHING.weights).every((w) => w >= 0)).toBe(true);
  });
});
