// Slugs: readable, made once, unique even for structures of the same name in the same commune.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db.ts';
import { getStructure, importStructures } from '../src/modules/directory/service.ts';
import { createTestDb } from './helpers/db.ts';
import { siret, structure } from './helpers/fixtures.ts';

let db: Db;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => db?.close());

describe('slugs', () => {
  it('are brand-or-name + commune, with -2, -3… for homonyms, in one file or across files', async () => {
    const a = siret(9001);
    const b = siret(9002);
    const c = siret(9003);
    const d = siret(9004);
    await importStructures(db, [
      { line: 1, input: structure({ siret: a, name: 'Les Jardins de Cocagne', communeCode: '80021' }) },
      { line: 2, input: structure({ siret: b, name: 'Les Jardins de Cocagne', communeCode: '80021' }) },
      { line: 3, input: structure({ siret: d, name: 'Atelier', brand: 'Tri Lille', communeCode: '59350' }) },
    ]);
    await importStructures(db, [{ line: 1, input: structure({ siret: c, name: 'Les Jardins de Cocagne', communeCode: '80021' }) }]);
    const slug = async (s: string) => (await getStructure(db, { siret: s }))?.slug;
    expect(await slug(a)).toBe('les-jardins-de-cocagne-amiens');
    expect(await slug(b)).toBe('les-jardins-de-cocagne-amiens-2');
    expect(await slug(c)).toBe('les-jardins-de-cocagne-amiens-3');
    // A name that already ends with the commune does not repeat it.
    expect(await slug(d)).toBe('tri-lille');
  });

  it('never change when the structure is renamed', async () => {
    const s = siret(9010);
    await importStructures(db, [{ line: 1, input: structure({ siret: s, name: 'Ancien Nom', communeCode: '62041' }) }]);
    const before = (await getStructure(db, { siret: s }))?.slug;
    await importStructures(db, [{ line: 1, input: structure({ siret: s, name: 'Nouveau Nom', communeCode: '62041' }) }]);
    const after = await getStructure(db, { siret: s });
    expect(after?.name).toBe('Nouveau Nom');
    expect(after?.slug).toBe(before);
  });
});

describe('a structure that moves', () => {
  it('keeps its activities, whose radius now reaches other territories', async () => {
    const { SearchQuerySchema, searchStructures } = await import('../src/modules/directory/search.ts');
    const s = siret(9020);
    const names = async (q: Record<string, unknown>) => (await searchStructures(db, SearchQuerySchema.parse(q))).items.map((i) => i.name);
    await importStructures(db, [
      { line: 1, input: structure({ siret: s, name: 'Mobile Propreté', communeCode: '59350', activities: [{ sector: 'nettoyage-de-locaux-16', serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 10 } }] }) },
    ]);
    expect(await names({ department: '59' })).toContain('Mobile Propreté');
    // Moved to Marseille by a source that gives no activities (les emplois).
    const { activities: _a, ...moved } = structure({ siret: s, name: 'Mobile Propreté', communeCode: '13055' });
    expect((await importStructures(db, [{ line: 1, input: moved }])).updated).toBe(1);
    expect(await names({ department: '59' })).not.toContain('Mobile Propreté');
    expect(await names({ department: '13', sector: 'nettoyage-de-locaux-16' })).toContain('Mobile Propreté');
  });

  it('a slug with characters a slug never has is simply not found (no error)', async () => {
    expect(await getStructure(db, { slug: 'abc\u0000' })).toBeNull();
    expect(await getStructure(db, { slug: "x' OR 1=1 --" })).toBeNull();
  });
});
