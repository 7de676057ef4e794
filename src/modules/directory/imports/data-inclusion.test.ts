import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../core/errors.ts';
import { readDataInclusionFile } from './data-inclusion.ts';

const fixture = (p: string) => path.resolve(import.meta.dirname, '../../../../test/fixtures/structures/data-inclusion', p);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelles-di-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('data·inclusion reader', () => {
  it('reads the API envelope {items, …} and normalises empty strings to null', async () => {
    const lines = await readDataInclusionFile(fixture('api-mock-les-emplois-structures.json'));
    expect(lines).toHaveLength(6);
    // None of these test records has a reseau porteur that is one of our kinds.
    for (const l of lines) expect(l.error?.code).toBe('UNKNOWN_KIND');
    expect(lines[3].error?.reason).toContain('mission-locale');
  });

  it('maps a v1 record: kind and networks from reseaux_porteurs, address, coordinates, public contact', async () => {
    const lines = await readDataInclusionFile(fixture('structures.json'));
    expect(lines[0]).toEqual({
      line: 1,
      input: {
        siret: '90018213700019',
        name: 'Chantier École des Dunes',
        kind: 'ACI',
        description: "Atelier chantier d'insertion : second œuvre du bâtiment.",
        address: '10 rue du Port, Hangar 3',
        communeCode: '59183',
        postalCode: '59140',
        communeName: 'Dunkerque',
        lat: 51.0343,
        lon: 2.3768,
        website: 'https://dunes.example.org',
        publicEmail: 'contact@dunes.example.org',
        publicPhone: '03 28 00 00 01',
        networks: ['chantier-ecole'],
        source: 'data-inclusion',
        sourceId: 'emplois-de-linclusion--a1',
        sourceUpdatedAt: '2025-04-01',
        active: true,
      },
    });
    expect(lines[1].input).toMatchObject({ kind: 'EA', networks: ['union-nationale-des-entreprises-adaptees'], sourceUpdatedAt: '2025-02-28' });
    // Empty strings are null; 0, 0 means "no coordinates".
    expect(lines[2].input).toMatchObject({ kind: 'ESAT', address: null, publicEmail: null, publicPhone: null, website: null, lat: null, lon: null });
    expect(lines[3].error).toEqual({ code: 'UNKNOWN_KIND', reason: 'aucun réseau porteur ne correspond à un type de structure de l’annuaire (reçu : mission-locale)' });
    expect(lines[4].error?.code).toBe('UNKNOWN_KIND');
    expect(lines[5].error?.code).toBe('INVALID_FIELD');
    expect(lines[5].error?.reason).toContain('latitude');
  });

  it('reads JSON lines: a broken line is reported with its line number, the others are read', async () => {
    const lines = await readDataInclusionFile(fixture('structures.jsonl'));
    expect(lines.map((l) => [l.line, l.input?.kind ?? l.error?.code])).toEqual([
      [1, 'ACI'],
      [2, 'EA'],
      [4, 'INVALID_JSON'],
      [5, 'ESAT'],
      [6, 'INVALID_RECORD'],
    ]);
  });

  it('reads the kind of a v0 record from "typologie"', async () => {
    const file = path.join(tmp, 'v0.json');
    fs.writeFileSync(file, JSON.stringify([{ id: 'x', nom: 'Ancienne structure', siret: '90018213700019', typologie: 'EITI', code_insee: '59350', date_maj: '2023-01-01' }]));
    const [line] = await readDataInclusionFile(file);
    expect(line.input?.kind).toBe('EITI');
  });

  it('refuses an object that is neither a record nor an envelope', async () => {
    const file = path.join(tmp, 'other.json');
    fs.writeFileSync(file, '{\n  "data": []\n}\n');
    const err = await readDataInclusionFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('UNKNOWN_ENVELOPE');
  });
});
