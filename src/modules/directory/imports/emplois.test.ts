import { thrown } from '../../../../test/helpers/expect.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readEmploisFile } from './emplois.ts';

const fixture = (p: string) => path.resolve(import.meta.dirname, '../../../../test/fixtures/structures/emplois', p);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelles-emplois-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));


describe('les emplois reader', () => {
  it('maps every field of the API answer (shape from les-emplois serializers)', async () => {
    const lines = await readEmploisFile(fixture('siaes-response-shape.json'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({
      line: 1,
      input: {
        siret: '12345678900012',
        name: 'EXEMPLE INSERTION SARL',
        brand: 'Exemple Insertion',
        kind: 'EI',
        description: "Entreprise d'insertion ...",
        address: "1 rue de l'Exemple",
        postalCode: '44350',
        communeName: 'Guérande',
        department: '44',
        website: 'https://example.org',
        publicEmail: 'contact@example.org',
        publicPhone: '0240000000',
        source: 'emplois',
        sourceId: '5c0c4d1e-0000-4000-8000-000000000000',
        sourceUpdatedAt: '2025-06-01',
        active: true,
      },
    });
    // No activities in this API: undefined keeps those already stored.
    expect(lines[0].input).not.toHaveProperty('activities');
  });

  it('joins the two address lines and reads empty strings as null', async () => {
    const lines = await readEmploisFile(fixture('siaes-page.json'));
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4]);
    const aci = lines[1].input;
    expect(aci).toMatchObject({ kind: 'ACI', address: '3 quai de la Citadelle, Bâtiment B', brand: null, publicEmail: null, website: null, description: null });
    expect(lines[3].input).toMatchObject({ kind: 'GEIQ', brand: null, address: '1 rue des Otages', sourceUpdatedAt: '2025-01-10' });
  });

  it('reads several pages put in one JSON array, numbering records across pages', async () => {
    const lines = await readEmploisFile(fixture('siaes-pages.json'));
    expect(lines.map((l) => [l.line, l.input?.siret])).toEqual([
      [1, '90003959500013'],
      [2, '90004751400014'],
      [3, '90003167600019'],
    ]);
  });

  it('reads pages appended one after the other in the same file', async () => {
    const page = JSON.parse(fs.readFileSync(fixture('siaes-page.json'), 'utf8'));
    const file = path.join(tmp, 'concatenated.json');
    fs.writeFileSync(file, JSON.stringify({ ...page, results: page.results.slice(0, 2) }) + JSON.stringify({ ...page, results: page.results.slice(2) }));
    const lines = await readEmploisFile(file);
    expect(lines.map((l) => l.input?.kind)).toEqual(['EI', 'ACI', 'ETTI', 'GEIQ']);
  });

  it('reports unreadable records and keeps going', async () => {
    const lines = await readEmploisFile(fixture('siaes-broken.json'));
    expect(lines).toHaveLength(9);
    expect(lines[0]).toMatchObject({ line: 1, error: { code: 'UNKNOWN_KIND' } });
    expect(lines[0].error?.reason).toContain('OPCS');
    expect(lines[1]).toMatchObject({ line: 2, error: { code: 'UNKNOWN_KIND', reason: 'type de structure inconnu : « XYZ »' } });
    // The SIRET checksum and the name are checked by the service, not by the reader.
    expect(lines[2].input?.siret).toBe('90007919000015');
    expect(lines[3].input?.name).toBe('');
    expect(lines[5]).toMatchObject({ line: 6, error: { code: 'INVALID_FIELD' } });
    expect(lines[5].error?.reason).toContain('code_postal');
    expect(lines[8]).toMatchObject({ line: 9, error: { code: 'INVALID_RECORD' } });
  });

  it('refuses an invalid JSON document, telling where', async () => {
    const err = await thrown(readEmploisFile(fixture('invalid.json')));
    expect(err.code).toBe('INVALID_JSON');
    expect(err.message).toContain('ligne 3');
  });

  it('refuses an unknown envelope (the API 404 body)', async () => {
    const err = await thrown(readEmploisFile(fixture('not-found-404.json')));
    expect(err.code).toBe('UNKNOWN_ENVELOPE');
    expect(err.message).toContain('« detail »');
  });

  it('refuses a file that is not UTF-8, with the byte offset and line', async () => {
    const file = path.join(tmp, 'latin1.json');
    const text = '[\n{"siret": "90003167600019", "type": "EI", "raison_sociale": "Régie"}\n]';
    fs.writeFileSync(file, Buffer.from(text, 'latin1'));
    const err = await thrown(readEmploisFile(file));
    expect(err.code).toBe('BAD_ENCODING');
    expect(err.details).toEqual({ offset: text.indexOf('é'), line: 2, byte: '0xE9' });
    expect(err.message).toContain('ligne 2');
  });

  it('refuses an empty file', async () => {
    const file = path.join(tmp, 'empty.json');
    fs.writeFileSync(file, '  \n');
    expect((await thrown(readEmploisFile(file))).code).toBe('INVALID_JSON');
  });
});
