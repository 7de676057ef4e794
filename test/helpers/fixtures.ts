// Small, readable structures for tests; SIRETs are computed to be valid.
import { completeSiret } from '../../src/core/siret.ts';
import type { StructureInput } from '../../src/modules/directory/model.ts';

let n = 0;
/** A valid SIRET, different at each call (or fixed by a seed). */
export function siret(seed?: number): string {
  const k = seed ?? ++n;
  return completeSiret(`8${String(k).padStart(8, '0')}0001`);
}

export function structure(over: Partial<StructureInput> = {}): StructureInput {
  return {
    siret: siret(),
    name: 'Structure de test',
    kind: 'EI',
    communeCode: '59350',
    source: 'csv',
    activities: [{ sector: 'nettoyage-de-locaux-16', serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 20 } }],
    ...over,
  } as StructureInput;
}
