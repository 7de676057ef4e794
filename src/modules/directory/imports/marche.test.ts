import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMarcheFile } from './marche.ts';

const fixture = (p: string) => path.resolve(import.meta.dirname, '../../../../test/fixtures/structures/marche', p);

describe('Le Marché reader', () => {
  it('maps a detail record: activities per known sector in the structure’s département', async () => {
    const [recyclerie] = await readMarcheFile(fixture('siae-list.json'));
    expect(recyclerie.line).toBe(1);
    expect(recyclerie.input).toMatchObject({
      siret: '90012670400015',
      name: 'RECYCLERIE DU HAINAUT',
      brand: 'La Recyclerie',
      kind: 'ACI',
      address: '12 rue de Mons',
      postalCode: '59300',
      communeName: 'Valenciennes',
      website: 'https://recyclerie-hainaut.example.org',
      source: 'marche',
      sourceId: '1201',
      sourceUpdatedAt: '2025-05-15',
      active: true,
    });
    // "secteur-qui-nexiste-plus" is not in our taxonomy: dropped, the line is kept.
    expect(recyclerie.input?.activities).toEqual([
      { sector: 'collecte-dencombrants', serviceTypes: ['BUILD', 'PREST'], area: { kind: 'territories', territories: ['departement:59'] } },
      { sector: 'recyclage-textiles', serviceTypes: ['BUILD', 'PREST'], area: { kind: 'territories', territories: ['departement:59'] } },
    ]);
    // Unknown network slugs are ignored; labels_old names that match our labels are kept.
    expect(recyclerie.input?.networks).toEqual(['reseau-envie']);
    expect(recyclerie.input?.labels).toEqual(['esus']);
    expect(recyclerie.input?.clientReferences).toEqual(['Valenciennes Métropole']);
  });

  it('defaults the prestation type: DISP for ETTI, PREST for others', async () => {
    const [, etti, ea] = await readMarcheFile(fixture('siae-list.json'));
    expect(etti.input?.activities).toEqual([{ sector: 'manutention', serviceTypes: ['DISP'], area: { kind: 'territories', territories: ['departement:62'] } }]);
    expect(etti.input?.brand).toBeNull();
    expect(ea.input).toMatchObject({ kind: 'EA', active: false, networks: ['union-nationale-des-entreprises-adaptees'], labels: ['rge'] });
    expect(ea.input?.activities?.[0].serviceTypes).toEqual(['PREST']);
  });

  it('keeps stored activities when the answer has no sectors (list endpoint), and rejects OPCS', async () => {
    const lines = await readMarcheFile(fixture('siae-page-list-endpoint.json'));
    expect(lines).toHaveLength(2);
    expect(lines[0].input).toMatchObject({ kind: 'ESAT', website: 'esat-littoral.example.org', networks: [], labels: [] });
    expect(lines[0].input?.activities).toBeUndefined();
    expect(lines[1]).toEqual({ line: 2, siret: '90015838000015', error: { code: 'UNKNOWN_KIND', reason: 'type de structure inconnu : « OPCS »' } });
  });

  it('reports wrong types with the field name', async () => {
    const lines = await readMarcheFile(fixture('siae-wrong-types.json'));
    expect(lines[0].error?.code).toBe('INVALID_FIELD');
    expect(lines[0].error?.reason).toContain('is_active');
    expect(lines[1].error?.code).toBe('INVALID_FIELD');
    expect(lines[1].error?.reason).toContain('sectors');
  });
});
