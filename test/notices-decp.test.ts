// DECP 2024 reader (src/modules/notices/formats/decp.ts): the real and official files of
// data/procurement/decp/ (both real-world shapes: flat arrays and the 2.0.x wrappers), the quirks of real
// publishers, broken files (truncated, syntax error in a later chunk, not JSON), records that cannot be
// read among good ones, and the NaN/Infinity leniency cut at every chunk boundary.
// Expected values are read from the files by hand, not copied from the reader's output.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NonFiniteToNull, readDecp } from '../src/modules/notices/formats/decp.ts';
import type { Notice, ReadItem } from '../src/modules/notices/model.ts';

const DATA = path.join(import.meta.dirname, '../data/procurement/decp');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'decp-test-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

async function readAll(file: string): Promise<ReadItem[]> {
  const items: ReadItem[] = [];
  for await (const item of readDecp(file)) items.push(item);
  return items;
}
const notices = (items: ReadItem[]): Notice[] => items.flatMap((i) => (i.ok ? [i.notice] : []));
const errors = (items: ReadItem[]) => items.flatMap((i) => (i.ok ? [] : [i]));

let n = 0;
function tmpFile(content: string, ext = 'json'): string {
  const file = path.join(TMP, `f${++n}.${ext}`);
  fs.writeFileSync(file, content);
  return file;
}

/** A minimal valid marché of the 2024 format (flat arrays, as the real GIP Maximilien file). */
function marche(id: string | null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...(id === null ? {} : { id }),
    acheteur: { id: '21590350100017' },
    nature: 'Marché',
    objet: `Objet ${id}`,
    codeCPV: '90911200-8',
    procedure: 'Procédure adaptée',
    lieuExecution: { code: '59000', typeCode: 'Code postal' },
    dateNotification: '2024-03-01',
    datePublicationDonnees: '2024-03-10',
    montant: 50000,
    titulaires: [{ typeIdentifiant: 'SIRET', id: '12345678900011' }],
    considerationsSociales: [],
    considerationsEnvironnementales: [],
    ...extra,
  };
}

describe('real and official DECP files', () => {
  it('reads the real GIP Maximilien flow ({"marches": [...]}, flat arrays, nulls)', async () => {
    const items = await readAll(path.join(DATA, 'real_decp_gip-maximilien_2024-02-29.json'));
    expect(items).toHaveLength(1);
    expect(items[0].ok && items[0].position).toBe('marché 1');
    const [notice] = notices(items);
    expect(notice).toMatchObject({
      source: 'decp',
      sourceId: '13001845000028-2024_D2F_2023S12323_33 962_01',
      url: null,
      buyer: { siret: '13001845000028', name: null },
      procedure: "Appel d'offres ouvert",
      nature: 'award',
      cpv: ['72210000'],
      places: { departements: ['93'], communes: [], postcodes: [], nuts: [] },
      publishedAt: '2024-02-29',
      deadline: null,
      amount: 952543.75,
      lots: [],
      awards: [{ lot: null, holders: [{ siret: '44090956200041', name: null }], amount: 952543.75, date: '2024-01-02' }],
      fieldFindings: [],
    });
    expect(notice.title).toMatch(/^Développement et intégration à l’écosystème de la plateforme Maximilien/);
    expect(notice.texts).toEqual([{ path: 'objet', lot: null, text: notice.title }]);
    expect((notice.raw as { ccag: string; offresRecues: unknown }).ccag).toBe('Fournitures courantes et services');
    expect((notice.raw as { offresRecues: unknown }).offresRecues).toBeNull();
  });

  it('reads the official 2.0.x envelope with wrappers, check digits and modifications', async () => {
    const items = await readAll(path.join(DATA, 'example_marches_avec_modifications.json'));
    expect(items.map((i) => i.position)).toEqual(['marché 1', 'marché 2']);
    const [a, b] = notices(items);
    expect(a.sourceId).toBe('21750001630066-TEST2022');
    expect(b.sourceId).toBe('21750001630040-TEST2022Bis');
    expect(a.title).toBe('envoi pour Json test 1');
    expect(a.cpv).toEqual(['45000000']); // "45000000-7"
    expect(a.places).toEqual({ communes: [], departements: ['75'], nuts: [], postcodes: ['75000'] });
    expect(a.amount).toBe(575000);
    expect(a.publishedAt).toBe('2024-05-25');
    expect(a.awards).toEqual([{ lot: null, holders: [{ name: null, siret: '55204599900869' }], amount: 575000, date: '2024-05-15' }]);
    expect(a.nature).toBe('award');
    expect(a.fieldFindings).toEqual([
      { kind: 'socialClause', value: 'Clause sociale', lot: null, origin: 'field', path: 'considerationsSociales.considerationSociale[0]', excerpt: 'Clause sociale' },
      { kind: 'socialCriterion', value: 'Critère social', lot: null, origin: 'field', path: 'considerationsSociales.considerationSociale[1]', excerpt: 'Critère social' },
      { kind: 'environmentalClause', value: 'Clause environnementale', lot: null, origin: 'field', path: 'considerationsEnvironnementales.considerationEnvironnementale[0]', excerpt: 'Clause environnementale' },
    ]);
    // modifications are not applied, they stay in raw
    const raw = a.raw as { modifications: { modification: { montant: number } }[] };
    expect(raw.modifications[0].modification.montant).toBe(123457.87);
  });

  it('reads concessions: autorité concédante, concessionnaires, valeurGlobale, dateSignature', async () => {
    const items = await readAll(path.join(DATA, 'example_concessions.json'));
    expect(items.map((i) => i.position)).toEqual(['concession 1', 'concession 2']);
    const [c1, c2] = notices(items);
    expect(c1.sourceId).toBe('12345678901250-0612202306122024');
    expect(c2.sourceId).toBe('12345678901234-0612202306122023');
    expect(c1.buyer).toEqual({ name: null, siret: '12345678901250' });
    expect(c1.title).toBe('Objet de la consultation 1');
    expect(c1.procedure).toBe('Procédure négociée ouverte');
    expect(c1.cpv).toEqual([]);
    expect(c1.amount).toBe(10.3);
    expect(c1.publishedAt).toBe('2024-04-12');
    expect(c1.awards).toEqual([
      { lot: null, holders: [{ name: null, siret: '38103128500491' }, { name: null, siret: '38103128500574' }], amount: 10.3, date: '2024-04-02' },
    ]);
    expect(c1.fieldFindings.map((f) => f.kind)).toEqual(['socialClause', 'socialCriterion', 'environmentalClause', 'environmentalCriterion']);
  });

  it('reads both lists of the envelope, in file order', async () => {
    const items = await readAll(path.join(DATA, 'example_marches_concessions.json'));
    expect(items.map((i) => i.position)).toEqual(['concession 1', 'concession 2', 'marché 1', 'marché 2']);
    expect(notices(items).map((x) => x.sourceId)).toEqual([
      '12345678901234-0612202306122024',
      '12345678901250-0612202306122023',
      '21750001630066-TEST2022',
      '21750001630040-TEST2022Bis',
    ]);
    const raw = notices(items)[0].raw as { donneesExecution: unknown[] };
    expect(raw.donneesExecution).toHaveLength(1);
  });

  it('reads the decp-processing fixture: NaN, placeholder amounts, TVA holders, mixed holder shapes, commune codes', async () => {
    const items = await readAll(path.join(DATA, 'decp-processing_test_2022.json'));
    expect(errors(items)).toEqual([]);
    const all = notices(items);
    expect(all.map((x) => x.sourceId)).toEqual([
      '21974022200019-2022VI2022.242',
      '22130001500247-2020F00075',
      '21030042200016-202401L04', // holds "concessionnaires": NaN
      '21690123100011-2019K1209',
      '21500222100012-202207LOT03',
    ]);
    const [reunion, limoges, facades, lyon, salle] = all;
    expect(reunion.cpv).toEqual(['45316110']);
    expect(reunion.places).toEqual({ communes: [], departements: ['974'], nuts: [], postcodes: ['97430'] });
    expect(reunion.awards[0].holders).toEqual([
      { name: null, siret: '12345678900023' },
      { name: null, siret: null }, // TVA 99999999999
    ]);
    expect(reunion.fieldFindings).toEqual([]); // "Pas de considération sociale / environnementale"
    expect(limoges.amount).toBeNull(); // 1.0e17
    expect(limoges.awards[0].amount).toBeNull();
    expect(facades.places.departements).toEqual(['03']);
    expect((facades.raw as { concessionnaires: unknown }).concessionnaires).toBeNull();
    expect(lyon.places).toEqual({ communes: ['69123'], departements: ['69'], nuts: [], postcodes: [] });
    expect(lyon.awards[0].holders.map((h) => h.siret)).toEqual(['39210031900038', '39210873400063', '39830819700035']);
    expect(salle.fieldFindings.map((f) => [f.kind, f.path])).toEqual([
      ['socialCriterion', 'considerationsSociales.considerationSociale[0]'],
      ['socialClause', 'considerationsSociales.considerationSociale[1]'],
    ]);
    expect(salle.amount).toBe(44996.25);
  });
});

describe('shapes and lenient values', () => {
  it('reads flat consideration arrays, reserved markets and concessions, and ignores "Pas de…" / "Sans objet"', async () => {
    const file = tmpFile(
      JSON.stringify({
        marches: [
          marche('A1', {
            considerationsSociales: ['Marché réservé', 'Clause sociale'],
            considerationsEnvironnementales: ['Pas de considération environnementale'],
          }),
          {
            _type: 'Contrat de concession',
            id: 'C1',
            autoriteConcedante: { id: '21590350100017' },
            objet: 'Délégation de la restauration scolaire',
            valeurGlobale: 1200000,
            dateSignature: '2024-06-01',
            datePublicationDonnees: '2024-06-15',
            concessionnaires: [{ typeIdentifiant: 'SIRET', id: '98765432100012' }],
            considerationsSociales: { considerationSociale: ['Concession réservé', 'Sans objet'] },
            considerationsEnvironnementales: { considerationEnvironnementale: 'Critère environnemental' },
          },
        ],
      }),
    );
    const items = await readAll(file);
    expect(items.map((i) => i.position)).toEqual(['marché 1', 'concession 2']);
    const [m, c] = notices(items);
    expect(m.fieldFindings).toEqual([
      { kind: 'reserved', value: 'unspecified', lot: null, origin: 'field', path: 'considerationsSociales[0]', excerpt: 'Marché réservé' },
      { kind: 'socialClause', value: 'Clause sociale', lot: null, origin: 'field', path: 'considerationsSociales[1]', excerpt: 'Clause sociale' },
    ]);
    expect(c.sourceId).toBe('21590350100017-C1');
    expect(c.amount).toBe(1200000);
    expect(c.awards).toEqual([{ lot: null, holders: [{ name: null, siret: '98765432100012' }], amount: 1200000, date: '2024-06-01' }]);
    expect(c.fieldFindings).toEqual([
      { kind: 'reserved', value: 'unspecified', lot: null, origin: 'field', path: 'considerationsSociales.considerationSociale[0]', excerpt: 'Concession réservé' },
      {
        kind: 'environmentalCriterion',
        value: 'Critère environnemental',
        lot: null,
        origin: 'field',
        path: 'considerationsEnvironnementales.considerationEnvironnementale',
        excerpt: 'Critère environnemental',
      },
    ]);
  });

  it('reads a plain array, and JSON lines of records', async () => {
    const array = await readAll(tmpFile(JSON.stringify([marche('P1'), marche('P2')])));
    expect(notices(array).map((x) => x.sourceId)).toEqual(['21590350100017-P1', '21590350100017-P2']);
    const lines = await readAll(tmpFile(`${JSON.stringify(marche('L1'))}\n${JSON.stringify(marche('L2'))}\n`, 'jsonl'));
    expect(lines.map((i) => i.position)).toEqual(['marché 1', 'marché 2']);
    expect(notices(lines).map((x) => x.sourceId)).toEqual(['21590350100017-L1', '21590350100017-L2']);
  });

  it('skips unknown keys of the envelope and reads a single object where a list is expected', async () => {
    const file = tmpFile(JSON.stringify({ meta: { source: 'x', list: [1, 2, { id: 'no' }] }, marches: { marche: marche('S1'), autre: [marche('ignored')] } }));
    const items = await readAll(file);
    expect(items.map((i) => i.position)).toEqual(['marché 1']);
    expect(notices(items)[0].sourceId).toBe('21590350100017-S1');
  });

  it('reads amounts, dates, codes and places leniently', async () => {
    const file = tmpFile(
      JSON.stringify({
        marches: {
          marche: [
            marche('V1', { montant: 0, codeCPV: 3000000, datePublicationDonnees: '2024-02-30', lieuExecution: { code: '32', typeCode: 'Code région' } }),
            marche('V2', { montant: -12, codeCPV: 'n/a', datePublicationDonnees: '2024-03-10T08:00:00+01:00', lieuExecution: { code: '2a', typeCode: 'Code departement' } }),
            marche('V3', { montant: '12 500,50', datePublicationDonnees: '10/03/2024', lieuExecution: { code: 1000, typeCode: 'Code postal' } }),
            marche('V4', {
              acheteur: { id: 21590350100017 },
              montant: null,
              lieuExecution: { code: 'FR', typeCode: 'Code pays' },
              titulaires: [{ titulaire: { typeIdentifiant: 'SIRET', id: 5650171100115 } }, { titulaire: 'id' }, { typeIdentifiant: 'SIRET', id: '123' }],
            }),
            marche('V5', { lieuExecution: { code: '59350', typeCode: 'Code commune' }, titulaires: [{ typeIdentifiant: 'HORS-UE', id: 'X1', denominationSociale: 'Acme Ltd' }] }),
          ],
        },
      }),
    );
    const [v1, v2, v3, v4, v5] = notices(await readAll(file));
    expect(v1.amount).toBeNull();
    expect(v1.cpv).toEqual(['03000000']);
    expect(v1.publishedAt).toBeNull();
    expect(v1.places.departements.sort()).toEqual(['02', '59', '60', '62', '80']); // Hauts-de-France
    expect(v2.amount).toBeNull();
    expect(v2.cpv).toEqual([]);
    expect(v2.publishedAt).toBe('2024-03-10');
    expect(v2.places.departements).toEqual(['2A']);
    expect(v3.amount).toBe(12500.5);
    expect(v3.publishedAt).toBe('2024-03-10');
    expect(v3.places).toEqual({ communes: [], departements: ['01'], nuts: [], postcodes: ['01000'] });
    expect(v4.sourceId).toBe('21590350100017-V4');
    expect(v4.buyer.siret).toBe('21590350100017');
    expect(v4.amount).toBeNull();
    expect(v4.places).toEqual({ communes: [], departements: [], nuts: [], postcodes: [] });
    expect(v4.awards[0].holders).toEqual([
      { name: null, siret: '05650171100115' },
      { name: null, siret: null },
    ]);
    expect(v5.places).toEqual({ communes: ['59350'], departements: ['59'], nuts: [], postcodes: [] });
    expect(v5.awards[0].holders).toEqual([{ name: 'Acme Ltd', siret: null }]);
  });
});

describe('records that cannot be read, broken files', () => {
  it('reports a marché without id, without buyer or not an object, and goes on', async () => {
    const file = tmpFile(JSON.stringify({ marches: { marche: [marche('G1'), marche(null), 'oops', marche('G4', { acheteur: {} }), marche('G5')] } }));
    const items = await readAll(file);
    expect(items.map((i) => [i.position, i.ok ? 'ok' : i.code])).toEqual([
      ['marché 1', 'ok'],
      ['marché 2', 'NOTICE_ID_MISSING'],
      ['marché 3', 'NOTICE_NOT_AN_OBJECT'],
      ['marché 4', 'NOTICE_BUYER_MISSING'],
      ['marché 5', 'ok'],
    ]);
    for (const e of errors(items)) expect(e.message).toMatch(new RegExp(`^${e.position} `));
    expect(errors(items)[0].message).toContain('identifiant (« id ») absent');
    expect(notices(items).map((x) => x.sourceId)).toEqual(['21590350100017-G1', '21590350100017-G5']);
  });

  it('gives the records before the cut of a truncated file, then one error', async () => {
    const text = fs.readFileSync(path.join(DATA, 'example_marches_avec_modifications.json'), 'utf8');
    const cut = text.indexOf('"TEST2022Bis"') + 40;
    const items = await readAll(tmpFile(text.slice(0, cut)));
    expect(items).toHaveLength(2);
    expect(items[0].ok && items[0].notice.sourceId).toBe('21750001630066-TEST2022');
    expect(items[1]).toMatchObject({ ok: false, code: 'NOTICE_JSON_INVALID' });
    expect(items[1].ok ? '' : items[1].message).toMatch(/JSON valide.*1 enregistrement lu avant/);
  });

  it('says where a large file breaks and gives every record before it once (break in a later chunk)', async () => {
    const lines = Array.from({ length: 1500 }, (_, i) => JSON.stringify(marche(`B${i + 1}`, { objet: `Travaux ${'x'.repeat(300)} ${i + 1}` })));
    lines[1199] = lines[1199].replace('"nature":', '"nature" ');
    const file = tmpFile(`{"marches": {"marche": [\n${lines.join(',\n')}\n]}}\n`);
    expect(fs.statSync(file).size).toBeGreaterThan(3 * 256 * 1024);
    const items = await readAll(file);
    const ok = notices(items);
    expect(ok).toHaveLength(1199);
    expect(new Set(ok.map((x) => x.sourceId)).size).toBe(1199);
    expect(ok[1198].sourceId).toBe('21590350100017-B1199');
    const last = items[items.length - 1];
    expect(last).toMatchObject({ ok: false, code: 'NOTICE_JSON_INVALID' });
    expect(last.position).toMatch(/^ligne 1201, colonne \d+$/); // line 1 is the envelope
    expect(items).toHaveLength(1200);
  });

  it('reads past NaN in a later chunk of a large file, every record once', async () => {
    // NaN from the 1000th record on: the first pass gives the records before its chunk, the second the rest
    const nan = (i: number) => i >= 999 && i % 3 === 0;
    const lines = Array.from({ length: 1500 }, (_, i) => JSON.stringify(marche(`N${i + 1}`, { objet: `Service ${'y'.repeat(300)} NaN ${i + 1}` })).replace('"montant":50000', nan(i) ? '"montant":NaN' : '"montant":50000'));
    const items = await readAll(tmpFile(`[${lines.join(',')}]`));
    expect(errors(items)).toEqual([]);
    const ok = notices(items);
    expect(ok).toHaveLength(1500);
    expect(ok.map((x) => x.sourceId)).toEqual(lines.map((_, i) => `21590350100017-N${i + 1}`));
    expect(ok.filter((x) => x.amount === null)).toHaveLength(lines.filter((_, i) => nan(i)).length);
    expect(ok[998].amount).toBe(50000);
    expect(ok[999].amount).toBeNull();
    expect(ok[1000].amount).toBe(50000);
    expect(ok[0].title).toContain(' NaN 1'); // inside a string: untouched
    expect(ok[1499].title).toContain(' NaN 1500');
  });

  it('gives one error for a file that is not JSON, empty, XML or not DECP', async () => {
    const notJson = await readAll(tmpFile('# Données essentielles\n\nvoir le schéma'));
    expect(notJson).toEqual([{ ok: false, position: 'ligne 1, colonne 1', code: 'NOTICE_JSON_INVALID', message: expect.stringContaining('pas un JSON valide') }]);
    const broken = await readAll(tmpFile('{"marches": {"marche": [\n  {"id": "X1",, "acheteur": {}}\n]}}'));
    expect(broken).toEqual([{ ok: false, position: 'ligne 2, colonne 15', code: 'NOTICE_JSON_INVALID', message: expect.stringContaining('0 enregistrement lu avant') }]);
    const empty = await readAll(tmpFile('  \n'));
    expect(empty).toEqual([{ ok: false, position: 'fichier', code: 'NOTICE_JSON_INVALID', message: expect.stringContaining('vide') }]);
    const xml = await readAll(tmpFile('<?xml version="1.0"?><marches></marches>', 'xml'));
    expect(xml).toMatchObject([{ ok: false, code: 'NOTICE_FORMAT_UNSUPPORTED' }]);
    const schema = await readAll(tmpFile(JSON.stringify({ $schema: 'x', properties: { marches: { marche: [] } } })));
    expect(schema).toEqual([{ ok: false, position: 'fichier', code: 'NOTICE_ENVELOPE_UNKNOWN', message: expect.stringContaining('« $schema », « properties »') }]);
    const missing = await readAll(path.join(TMP, 'absent.json'));
    expect(missing).toMatchObject([{ ok: false, code: 'NOTICE_FILE_UNREADABLE' }]);
  });

  it('an empty list is no error', async () => {
    expect(await readAll(tmpFile('{"marches": {"marche": [], "contrat-concession": []}}'))).toEqual([]);
    expect(await readAll(tmpFile('{"marches": []}'))).toEqual([]);
  });
});

describe('NaN / Infinity outside strings, cut at every place', () => {
  const input = '{"a":NaN,"b":"NaN \\"Infinity\\" \\\\","c":[-Infinity,Infinity,1e5,-2],"NaN":null}';
  const expected = '{"a":null,"b":"NaN \\"Infinity\\" \\\\","c":[null,null,1e5,-2],"NaN":null}';
  it('gives the same text whatever the chunks', () => {
    expect(JSON.parse(expected)).toEqual({ a: null, b: 'NaN "Infinity" \\', c: [null, null, 1e5, -2], NaN: null });
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j++) {
        const s = new NonFiniteToNull();
        const out = s.push(input.slice(0, i)) + s.push(input.slice(i, j)) + s.push(input.slice(j)) + s.push('', true);
        expect(out, `cut at ${i}, ${j}`).toBe(expected);
      }
    }
  });
});
