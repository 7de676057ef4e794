// Relevance with words and a place: where the structure is comes before how often the words appear.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db.ts';
import { SearchQuerySchema, searchStructures } from '../src/modules/directory/search.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { createTestDb } from './helpers/db.ts';
import { structure } from './helpers/fixtures.ts';

let db: Db;
beforeAll(async () => {
  db = await createTestDb();
  const report = await importStructures(db, [
    {
      line: 1,
      input: structure({
        name: 'Local Services',
        communeCode: '59350', // Lille
        activities: [{ sector: 'nettoyage-de-locaux-16', serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 10 } }],
      }),
    },
    {
      line: 2,
      input: structure({
        name: 'Nettoyage Nettoyage Propreté',
        description: 'Nettoyage de locaux, nettoyage industriel, nettoyage de vitres.',
        communeCode: '59327', // Lallaing, about 29 km from Lille
        activities: [
          { sector: 'nettoyage-de-locaux-16', serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 50 } },
          { sector: 'nettoyage-urbain', serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 50 } },
        ],
      }),
    },
    {
      line: 3,
      input: structure({
        name: 'Nettoyage France Entière',
        communeCode: '80021', // Amiens
        activities: [{ sector: 'nettoyage-de-locaux-16', serviceTypes: ['PREST'], area: { kind: 'country' } }],
      }),
    },
  ]);
  expect(report.created).toBe(3);
});
afterAll(async () => db?.close());

describe('relevance with words and a place', () => {
  it('puts the structure located in the place first, then local activities, then the whole country', async () => {
    const r = await searchStructures(db, SearchQuerySchema.parse({ q: 'nettoyage', commune: '59350', radiusKm: 20 }));
    expect(r.items.map((i) => i.name)).toEqual(['Local Services', 'Nettoyage Nettoyage Propreté', 'Nettoyage France Entière']);
  });
  it('without a place, the words decide', async () => {
    const r = await searchStructures(db, SearchQuerySchema.parse({ q: 'nettoyage' }));
    expect(r.items[0].name).toBe('Nettoyage Nettoyage Propreté');
  });
});
