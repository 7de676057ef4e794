import { thrown } from '../../../../test/helpers/expect.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsvFile } from './csv.ts';
import { formatActivities, formatCommitments, joinList, parseActivities, parseArea, parseCommitments, parseDate, splitList } from './csv-format.ts';

const fixture = (p: string) => path.resolve(import.meta.dirname, '../../../../test/fixtures/structures/csv', p);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelles-csv-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));


describe('CSV reader', () => {
  it('reads every column of the template', async () => {
    const lines = await readCsvFile(fixture('structures.csv'));
    expect(lines.map((l) => l.line)).toEqual([2, 4, 5]); // the description of line 2 spans two lines
    expect(lines[0].input).toEqual({
      siret: '70000100000012',
      name: 'ATELIERS DU BEFFROI',
      brand: 'Les Ateliers du Beffroi',
      kind: 'ACI',
      legalForm: 'Association',
      nafCode: '8899B',
      description: "Menuiserie et second œuvre.\nChantiers de rénovation dans tout l'Arrageois.",
      address: '4 rue des Trois Visages',
      postalCode: '62000',
      communeName: 'Arras',
      communeCode: null,
      lat: null,
      lon: null,
      website: 'https://ateliers-beffroi.example.org',
      publicEmail: 'contact@ateliers-beffroi.example.org',
      publicPhone: '03 21 00 00 10',
      privateContact: { name: 'Alex Durand', email: 'alex.durand@prive.example.net', phone: '06 11 22 33 44' },
      etp: 12.5,
      employeesInsertion: 20,
      employeesPermanent: 4,
      yearFounded: 2011,
      labels: ['rge', 'esus'],
      networks: ['chantier-ecole'],
      commitments: [
        { type: 'environmental', label: 'Réemploi des matériaux' },
        { type: 'social', label: 'Charte : diversité', detail: 'Signée en 2023' },
      ],
      clientReferences: ["Ville d'Arras", 'Pas-de-Calais Habitat | OPH'],
      activities: [
        { sector: 'menuiserie', serviceTypes: ['BUILD', 'PREST'], area: { kind: 'radius', radiusKm: 40 } },
        // Canonical references, in the order they are stored (by typed key: C… before D…).
        { sector: 'peinture-revetement-des-murs', serviceTypes: ['PREST'], area: { kind: 'territories', territories: ['commune:59350', 'departement:62'] } },
        { sector: 'electricite', serviceTypes: ['PREST'], area: { kind: 'country' } },
      ],
      source: 'csv',
      sourceId: null,
      sourceUpdatedAt: '2025-03-15',
      active: true,
    });
  });

  it('undoes what a spreadsheet does: lost leading zero, formula protection, names for slugs', async () => {
    const [, ea, geiq] = await readCsvFile(fixture('structures.csv'));
    expect(ea.input).toMatchObject({
      postalCode: '01000',
      description: '=Entreprise adaptée',
      lat: 46.2,
      lon: 5.22,
      publicPhone: '+33 4 74 00 00 00',
      networks: ['union-nationale-des-entreprises-adaptees'],
      active: false,
      sourceUpdatedAt: '2024-12-31',
      privateContact: null,
    });
    expect(geiq.input).toMatchObject({ kind: 'GEIQ', communeCode: '59350', labels: [], commitments: [] });
    // An empty "activites" cell keeps the stored activities.
    expect(geiq.input?.activities).toBeUndefined();
  });

  it('detects "," and a BOM, reads CRLF and hand-written headers', async () => {
    const lines = await readCsvFile(fixture('structures-virgule-bom.csv'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      line: 2,
      input: { siret: '70000111100017', name: 'Nettoyage Services, Roubaix', kind: 'EI', postalCode: '59100', communeName: 'Roubaix', publicPhone: '03 20 00 00 20' },
    });
    expect(lines[0].input?.activities).toEqual([{ sector: 'nettoyage-de-locaux-16', serviceTypes: ['PREST'], area: { kind: 'territories', territories: ['epci:200093201'] } }]);
    expect(lines[1].input?.activities?.[0].area).toEqual({ kind: 'territories', territories: ['departement:59', 'region:32'] });
    // No contact column: no private contact; no activites column would keep stored activities.
    expect(lines[1].input?.privateContact).toBeNull();
  });

  it('refuses a Windows-1252 file with the byte offset and line', async () => {
    const err = await thrown(readCsvFile(fixture('windows-1252.csv')));
    expect(err.code).toBe('BAD_ENCODING');
    const bytes = fs.readFileSync(fixture('windows-1252.csv'));
    expect(err.details).toEqual({ offset: bytes.indexOf(0xe9), line: 3, byte: '0xE9' });
    expect(err.message).toMatch(/UTF-8.*ligne 3/);
  });

  it('refuses a file without the required columns, listing them', async () => {
    const err = await thrown(readCsvFile(fixture('colonnes-manquantes.csv')));
    expect(err.code).toBe('MISSING_COLUMNS');
    expect(err.details).toEqual({ missing: ['type', 'commune (ou code_insee)'] });
    expect(err.message).toContain('Colonnes obligatoires absentes : type, commune (ou code_insee)');
  });

  it('reports unreadable lines with their number and column, and reads the others', async () => {
    const lines = await readCsvFile(fixture('lignes-invalides.csv'));
    const byLine = new Map(lines.map((l) => [l.line, l]));
    expect(byLine.get(2)?.input?.name).toBe('Structure valide');
    expect(byLine.get(3)?.error).toEqual({ code: 'INVALID_FIELD', reason: 'colonne « etp » : nombre attendu (reçu : « abc »)' });
    expect(byLine.get(8)?.error?.code).toBe('MISSING_NAME');
    expect(byLine.get(9)?.error).toMatchObject({ code: 'INVALID_FIELD' });
    expect(byLine.get(9)?.error?.reason).toContain('colonne « activites »');
    expect(byLine.get(12)?.error?.reason).toContain('colonne « actif »');
    expect(byLine.get(13)?.error?.reason).toContain('latitude');
    expect(byLine.get(14)?.error?.code).toBe('INVALID_LINE');
    expect(byLine.get(15)?.error?.reason).toContain('colonne « salaries_insertion » : nombre entier attendu');
    expect(byLine.get(17)?.error?.reason).toContain('colonne « date_maj »');
    expect(byLine.get(18)?.error).toEqual({ code: 'INVALID_SIRET', reason: 'SIRET manquant (colonne « siret » vide)' });
    // These are for the service to judge (checksum, kinds, communes, taxonomy).
    for (const n of [4, 5, 6, 7, 10, 11, 16]) expect(byLine.get(n)?.input).toBeDefined();
  });

  it('refuses an unclosed quote and an empty file', async () => {
    const unclosed = path.join(tmp, 'quote.csv');
    fs.writeFileSync(unclosed, 'siret;nom;type;code_insee\n70000100000012;"Sans fin;EI;59350\n');
    expect((await thrown(readCsvFile(unclosed))).code).toBe('INVALID_CSV');
    const empty = path.join(tmp, 'empty.csv');
    fs.writeFileSync(empty, '\n\n');
    expect((await thrown(readCsvFile(empty))).code).toBe('MISSING_COLUMNS');
  });

  it('refuses the same column twice', async () => {
    const file = path.join(tmp, 'twice.csv');
    fs.writeFileSync(file, 'siret;nom;Raison sociale;type;code_insee\n');
    expect((await thrown(readCsvFile(file))).code).toBe('DUPLICATE_COLUMNS');
  });
});

describe('CSV cell formats', () => {
  it('lists round-trip with escaped separators', () => {
    const items = ['a|b', 'c\\d', 'e'];
    expect(splitList(joinList(items))).toEqual(items);
  });

  it('commitments round-trip, with or without detail', () => {
    const list = [
      { type: 'social' as const, label: 'Note : 10/10 | top', detail: 'voir :: annexe' },
      { type: 'environmental' as const, label: 'RSE' },
    ];
    expect(parseCommitments(formatCommitments(list))).toEqual(list);
    expect(() => parseCommitments('économie:Truc')).toThrow(/environnement:libellé/);
  });

  it('activities round-trip and areas are canonical', () => {
    const list = parseActivities('Nettoyage-de-locaux-16/prest+build/rayon:30km|blanchisserie/DISP/E200093201+département:2a+D59');
    expect(list[1].area).toEqual({ kind: 'territories', territories: ['departement:2A', 'departement:59', 'epci:200093201'] });
    expect(parseActivities(formatActivities(list))).toEqual(list);
    expect(parseArea('France')).toEqual({ kind: 'country' });
    expect(() => parseArea('rayon:trente')).toThrow(/rayon:30/);
    expect(() => parseArea('canton:12')).toThrow(/type inconnu/);
    expect(() => parseActivities('blanchisserie/LIVRAISON/france')).toThrow(/DISP, PREST, BUILD/);
  });

  it('dates: ISO or French, real dates only', () => {
    expect(parseDate('2025-03-15')).toBe('2025-03-15');
    expect(parseDate('5/3/2025')).toBe('2025-03-05');
    expect(parseDate('31/02/2025')).toBeNull();
    expect(parseDate('2025-13-01')).toBeNull();
  });
});
