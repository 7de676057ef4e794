// The notice readers on real files (BOAMP XML notices of 2016-2017, eForms SDK examples), on BOAMP open-data
// records built from the documented shapes (test/fixtures/notices/README.md), on broken files, and on a
// large export read as a stream.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding, Notice, ReadItem } from '../src/modules/notices/model.ts';
import { departementOfPostcode, departementsOfNuts, normaliseDepartement, nutsToDepartement } from '../src/modules/notices/formats/places.ts';
import { readNotices } from '../src/modules/notices/formats/read.ts';
import { amountOf, cpv8, isoDay, isoDeadline, readXmlRecords, siret14, type TreeNode } from '../src/modules/notices/formats/xml-tree.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BOAMP_XML = path.join(ROOT, 'data/procurement/boamp-xml');
const EFORMS = path.join(ROOT, 'data/procurement/eforms');
const FIXTURES = path.join(ROOT, 'test/fixtures/notices');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelles-notices-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const IDF = ['75', '77', '78', '91', '92', '93', '94', '95'];

async function readAll(format: Parameters<typeof readNotices>[0], file: string): Promise<ReadItem[]> {
  const items: ReadItem[] = [];
  for await (const item of readNotices(format, file)) items.push(item);
  return items;
}

async function notices(format: Parameters<typeof readNotices>[0], file: string): Promise<Notice[]> {
  const items = await readAll(format, file);
  const errors = items.filter((i) => !i.ok);
  expect(errors).toEqual([]);
  return items.map((i) => (i.ok ? i.notice : (null as never)));
}

async function one(format: Parameters<typeof readNotices>[0], file: string): Promise<Notice> {
  const list = await notices(format, file);
  expect(list).toHaveLength(1);
  return list[0];
}

const findings = (n: Notice, kind?: Finding['kind']) => n.fieldFindings.filter((f) => !kind || f.kind === kind);
const summary = (fs: Finding[]) => fs.map((f) => `${f.kind}:${f.value}:${f.lot ?? '-'}`);

function writeTmp(name: string, content: string): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

describe('places', () => {
  it('maps every French NUTS-3 code of the eForms codelist to its département by name', () => {
    const table = nutsToDepartement();
    expect(table.size).toBe(101);
    expect(table.get('FR101')).toBe('75');
    expect(table.get('FRE11')).toBe('59');
    expect(table.get('FR108')).toBe('95'); // Val-d’Oise, typographic apostrophe in the codelist
    expect(table.get('FRM01')).toBe('2A');
    expect(table.get('FRY40')).toBe('974');
    expect(table.get('FRY50')).toBe('976');
  });

  it('reads NUTS codes of every level and of the 2013 numbering still found in BOAMP notices', () => {
    expect(departementsOfNuts('FRL04')).toEqual(['13']);
    expect(departementsOfNuts('FR824')).toEqual(['13']); // NUTS 2013 Bouches-du-Rhône
    expect(departementsOfNuts('FR231')).toEqual(['27']); // NUTS 2013 Eure
    expect(departementsOfNuts('FR223')).toEqual(['80']);
    expect(departementsOfNuts('FRA40')).toEqual(['974']);
    expect(departementsOfNuts('FR10').sort()).toEqual(IDF);
    expect(departementsOfNuts('FRE1').sort()).toEqual(['59', '62']);
    expect(departementsOfNuts('FR')).toEqual([]);
    expect(departementsOfNuts('FRZZZ')).toEqual([]);
    expect(departementsOfNuts('LU000')).toEqual([]);
  });

  it('reads postcodes and département codes', () => {
    expect(departementOfPostcode('75639')).toBe('75');
    expect(departementOfPostcode('05000')).toBe('05');
    expect(departementOfPostcode('20090')).toBe('2A');
    expect(departementOfPostcode('20200')).toBe('2B');
    expect(departementOfPostcode('97400')).toBe('974');
    expect(departementOfPostcode('98000')).toBeNull();
    expect(departementOfPostcode('1234')).toBeNull();
    expect(normaliseDepartement('5')).toBe('05');
    expect(normaliseDepartement('2a')).toBe('2A');
    expect(normaliseDepartement('971')).toBe('971');
    expect(normaliseDepartement('20')).toBeNull();
    expect(normaliseDepartement('99')).toBeNull();
  });

  it('normalises leaves: CPV, SIRET, dates, amounts', () => {
    expect(cpv8('77310000-6')).toBe('77310000');
    expect(cpv8({ '@listName': 'cpv', '#text': '85000000' })).toBe('85000000');
    expect(cpv8('7731')).toBeNull();
    expect(siret14('215903780 00018')).toBe('21590378000018');
    expect(siret14('326 912 557')).toBeNull();
    expect(isoDay('2023-05-26Z')).toBe('2023-05-26');
    expect(isoDay('31/01/2017')).toBe('2017-01-31');
    expect(isoDeadline('2023-05-22+01:00', '20:59:32+01:00')).toBe('2023-05-22T20:59:32+01:00');
    expect(isoDeadline('2017-02-07T12:00:00+01:00')).toBe('2017-02-07T12:00:00+01:00');
    expect(isoDeadline('2023-05-31+03:00')).toBe('2023-05-31');
    // A day that does not exist is no date (it would stop an import in PostgreSQL).
    expect(isoDay('2017-02-30')).toBeNull();
    expect(isoDay('31/09/2026')).toBeNull();
    expect(isoDay('2024-02-29')).toBe('2024-02-29');
    expect(isoDeadline('2026-09-31T12:00:00+02:00')).toBeNull();
    expect(isoDeadline('2026-09-30T25:00:00+02:00')).toBeNull();
    expect(isoDeadline('2026-09-30T23:59:59.5Z')).toBe('2026-09-30T23:59:59.5Z');
    expect(isoDeadline('2026-09-31', '12:00')).toBeNull();
    expect(amountOf({ '@DEVISE': 'EUR', '#text': '159691.6' })).toBe(159691.6);
    expect(amountOf('1 083 333,50')).toBe(1083333.5);
    expect(amountOf('sur devis')).toBeNull();
  });
});

describe('boamp-xml: real Boamp_v230 notices', () => {
  const file = (name: string) => path.join(BOAMP_XML, name);

  it('reads XML into the tree shape of BOAMP JSON: markers kept as "", "@attr", "#text", repeated elements as arrays', async () => {
    const trees: TreeNode[] = [];
    for (const name of ['test-pub.xml', 'test-attribution-4.xml']) {
      for await (const item of readXmlRecords(file(name), { isRecord: (n) => n === 'ANNONCE', noRecordMessage: '' })) {
        if (item.ok) trees.push(item.record.tree as TreeNode);
      }
    }
    const [pub, attribution] = trees as any[];
    expect(Object.keys(pub)).toEqual(['GESTION', 'DONNEES']);
    expect(pub.GESTION.REFERENCE.IDWEB).toBe('16-186394');
    expect(pub.GESTION.INDEXATION.CRITERES_SOCIAUX_ENV).toEqual({ ENVIRONNEMENTAUX: '' });
    expect(pub.DONNEES.CONDITION_PARTICIPATION.MARCHE_RESERVE_NON).toBe('');
    expect(pub.DONNEES.OBJET.LOTS.LOT).toHaveLength(2);
    expect(pub.DONNEES.OBJET.CPV).toEqual({ PRINCIPAL: '50118110' });
    expect(attribution.DONNEES.PROCEDURE.CRITERES_ATTRIBUTION.CRITERES_PONDERES.CRITERE[1]).toEqual({
      '@POIDS': '40',
      '#text': 'Prix des prestations, notés sur 10, jugé au regard du cumul du montant global et forfaitaire et du montant du détail quantitatif estimatif',
    });
    expect(attribution.DONNEES.ATTRIBUTION.VALEUR_TOTALE).toEqual({ '@DEVISE': 'EUR', '#text': '15000' });
    expect(attribution.DONNEES.ATTRIBUTION.DECISION).toHaveLength(3);
    expect(attribution.GESTION.MARCHE.ANNONCE_ANTERIEUR).toHaveLength(2);
  });

  it('test-pub.xml: Ville de Paris, two lots, ENVIRONNEMENTAUX, explicit MARCHE_RESERVE_NON', async () => {
    const n = await one('boamp-xml', file('test-pub.xml'));
    expect(n).toMatchObject({
      source: 'boamp',
      sourceId: '16-186394',
      url: 'https://www.boamp.fr/pages/avis/?q=idweb:16-186394',
      buyer: { name: 'Ville de Paris', siret: null },
      title: '2016 DFA 167 - Prestations de remorquage pour les véhicules de la ville de Paris',
      procedure: 'Procédure ouverte',
      nature: 'contract',
      cpv: ['50118110'],
      publishedAt: '2017-01-01',
      deadline: '2017-02-07T12:00:00+01:00',
      amount: null,
      awards: [],
    });
    expect(n.description).toMatch(/^Accords-cadres à bons de commande relatifs à des prestations de remorquage/);
    expect(n.lots.map((l) => [l.number, l.title, l.cpv])).toEqual([
      ['1', 'Prestations de remorquage pour les véhicules légers de la ville de Paris', ['50118110']],
      ['2', 'Prestations de remorquage pour les poids lourds de la ville de Paris', ['50118110']],
    ]);
    // CODE_NUTS FR10 (Île-de-France) covers the eight départements of the region.
    expect(n.places.nuts).toEqual(['FR10']);
    expect([...n.places.departements].sort()).toEqual(IDF);
    expect(findings(n, 'reserved')).toEqual([]);
    expect(findings(n)).toEqual([
      {
        kind: 'environmentalClause',
        value: 'environnementaux',
        lot: null,
        origin: 'field',
        path: 'GESTION.INDEXATION.CRITERES_SOCIAUX_ENV.ENVIRONNEMENTAUX',
        excerpt: 'ENVIRONNEMENTAUX',
      },
    ]);
    expect(n.texts).toContainEqual({
      path: 'CONDITION_PARTICIPATION.CONDITION_PARTICULIERE_EXECUTION',
      lot: null,
      text: "Les marchés comportent des dispositions à caractère environnementale décrites à l'article 1.5.2 du CCAP.",
    });
    expect(n.texts).toContainEqual(expect.objectContaining({ path: 'OBJET.LOTS.LOT.INFO_COMPL', lot: '2' }));
    expect(n.texts.some((t) => t.text.includes('Tribunal administratif'))).toBe(false);
    expect(typeof n.raw).toBe('string');
    expect(n.raw as string).toMatch(/^<ANNONCE [^>]*>\s*<GESTION>/);
    expect(n.raw as string).toMatch(/<\/ANNONCE>$/);
  });

  it('test-pub-2.xml: a notice not divided into lots, NUTS 2013 code, explicit MARCHE_RESERVE_NON', async () => {
    const n = await one('boamp-xml', file('test-pub-2.xml'));
    expect(n).toMatchObject({
      sourceId: '16-181902',
      buyer: { name: 'Grand Port Maritime de Marseille', siret: null },
      title: "Mission de maîtrise d'oeuvre pour la conception d'un ouvrage d'art - Port de Marseille - complexe international Cap Janet",
      cpv: ['71240000', '79311000', '71335000'],
      lots: [],
      amount: 50000,
      deadline: '2017-01-30T16:00:00+01:00',
      publishedAt: '2017-01-01',
      places: { departements: ['13'], nuts: ['FR824'], postcodes: [], communes: [] },
    });
    expect(findings(n)).toEqual([]);
    // The LOT without NUM describes the contract itself: its text belongs to no lot.
    expect(n.texts).toContainEqual(expect.objectContaining({ path: 'OBJET.LOTS.LOT.DESCRIPTION', lot: null }));
  });

  it('test-pub-3.xml: a design contest, restricted procedure, free award criteria, no place → publication département', async () => {
    const n = await one('boamp-xml', file('test-pub-3.xml'));
    expect(n).toMatchObject({
      sourceId: '16-186063',
      buyer: { name: 'SEMMY' },
      title: "Concours de maîtrise d'oeuvre pour la construction de 63 logements sociaux dans la ZAC de Maurepas à Mitry-Mory",
      procedure: 'Procédure restreinte',
      nature: 'contract',
      cpv: ['45211000'],
      deadline: '2017-02-10T15:00:00+01:00',
      places: { departements: ['77'], nuts: [] },
    });
    expect(findings(n, 'reserved')).toEqual([]);
    expect(n.texts).toContainEqual(expect.objectContaining({ path: 'PROCEDURE.CRITERES_ATTRIBUTION.CRITERES_LIBRE', lot: null }));
  });

  it('test-pub-4.xml: a concession (water), NUTS 2013 FR231 → Eure', async () => {
    const n = await one('boamp-xml', file('test-pub-4.xml'));
    expect(n).toMatchObject({
      sourceId: '16-186173',
      buyer: { name: 'COMMUNE DE LES ANDELYS' },
      title: 'Ville des andelys',
      procedure: null,
      nature: 'contract',
      cpv: ['65110000', '65100000'],
      places: { departements: ['27'], nuts: ['FR231'] },
      deadline: '2017-02-28T12:00:00+01:00',
    });
    expect(findings(n)).toEqual([]);
  });

  it('test-pub-5.xml: two lots with values (amount = their sum), CODE_NUTS FR → publication département', async () => {
    const n = await one('boamp-xml', file('test-pub-5.xml'));
    expect(n).toMatchObject({
      sourceId: '16-186359',
      buyer: { name: 'MTSFP' },
      title: 'Conception, organisation et réalisation de manifestations pour les ministères sociaux',
      cpv: ['79952000', '79951000'],
      amount: 1083333 + 6333333,
      places: { departements: ['75'], nuts: ['FR'] },
    });
    expect(n.lots.map((l) => [l.number, l.amount, l.cpv])).toEqual([
      ['1', 1083333, ['79952000', '79951000']],
      ['2', 6333333, ['79952000', '79951000']],
    ]);
    expect(n.lots[0].title).toBe('Conception, organisation et réalisation de manifestations organisées dans les locaux des ministères sociaux');
    expect(findings(n, 'reserved')).toEqual([]);
    expect(n.texts.filter((t) => t.path === 'OBJET.LOTS.LOT.CRITERES_ATTRIBUTION.CRITERES_QUALITE.CRITERE').map((t) => t.lot)).toEqual(['1', '2']);
  });

  it('test-attribution-2.xml: award notice, one holder, total value, decision date', async () => {
    const n = await one('boamp-xml', file('test-attribution-2.xml'));
    expect(n).toMatchObject({
      sourceId: '16-138580',
      nature: 'award',
      procedure: 'Procédure adaptée',
      buyer: { name: "Communauté d'Agglomération de Saintes" },
      title: "etude prospective à la fois technique, financière et sociale d'optimisation du service politique des déchets",
      publishedAt: '2017-02-14',
      amount: 38820,
      places: { departements: ['17'] },
      awards: [{ lot: null, holders: [{ name: 'SARL ENVIRONNEMENT & SOLUTIONS', siret: null }], amount: 38820, date: '2017-02-06' }],
    });
    expect(n.texts.map((t) => t.text)).toContain('Expérience et références de l\'équipe dédiée');
  });

  it('test-attribution-3.xml and -5.xml: holders, amount, département of performance', async () => {
    const n3 = await one('boamp-xml', file('test-attribution-3.xml'));
    expect(n3).toMatchObject({
      sourceId: '16-178891',
      buyer: { name: 'Université paris Sud' },
      places: { departements: ['91'] },
      awards: [{ lot: null, holders: [{ name: 'Axe Sig/Atmosphère', siret: null }], amount: null, date: '2016-12-14' }],
    });
    const n5 = await one('boamp-xml', file('test-attribution-5.xml'));
    expect(n5).toMatchObject({
      sourceId: '17-1028',
      buyer: { name: 'Bordeaux Métropole' },
      places: { departements: ['33'] },
      amount: 159691.6,
      awards: [{ lot: null, holders: [{ name: 'Moter', siret: null }], amount: 159691.6, date: '2016-11-18' }],
    });
  });

  it('test-attribution-4.xml: three lots decided without holders, decision texts per lot', async () => {
    const n = await one('boamp-xml', file('test-attribution-4.xml'));
    expect(n).toMatchObject({ sourceId: '16-183123', buyer: { name: 'Ville de Troyes' }, nature: 'award', amount: 15000, awards: [], places: { departements: ['10'] } });
    expect(n.texts.filter((t) => t.path === 'ATTRIBUTION.DECISION.DESCRIPTION').map((t) => t.lot)).toEqual(['1', '2', '3']);
    // The GESTION reference of the earlier notices (ANNONCE_ANTERIEUR) is not this notice's id.
    expect(n.sourceId).not.toBe('16-155545');
  });

  it('test-attribution-6.xml and -7.xml: one award per holder of a multi-holder framework agreement', async () => {
    const n6 = await one('boamp-xml', file('test-attribution-6.xml'));
    expect(n6).toMatchObject({ sourceId: '17-1515', cpv: ['24542000'], places: { departements: ['05'] } });
    expect(n6.awards.map((a) => a.holders[0].name)).toEqual(['ADIPAP', 'KEMIRA FRANCE SAS', 'OTV SUD AFRIQUE', 'SAS SNF', 'DIAGONAL WATER TREATMENT']);
    expect(n6.awards.every((a) => a.date === '2016-12-29' && a.amount === null && a.lot === null)).toBe(true);
    const n7 = await one('boamp-xml', file('test-attribution-7.xml'));
    expect(n7).toMatchObject({ sourceId: '17-29167', buyer: { name: 'Ville de Suresnes' }, cpv: ['79620000'], places: { departements: ['92'] } });
    expect(n7.awards.map((a) => a.holders.map((h) => h.name))).toEqual([['ADECCO MEDICAL'], ['SELECT TT APPEL MEDICAL'], ['TROOPS IZUMA']]);
    expect(n7.awards[0].date).toBe('2017-01-31');
  });

  it('reads a directory of XML files in name order', async () => {
    const items = await readAll('boamp-xml', BOAMP_XML);
    expect(items.every((i) => i.ok)).toBe(true);
    expect(items.map((i) => i.position)).toEqual([
      'test-attribution-2.xml',
      'test-attribution-3.xml',
      'test-attribution-4.xml',
      'test-attribution-5.xml',
      'test-attribution-6.xml',
      'test-attribution-7.xml',
      'test-pub-2.xml',
      'test-pub-3.xml',
      'test-pub-4.xml',
      'test-pub-5.xml',
      'test-pub.xml',
    ]);
    // MARCHE_RESERVE_NON everywhere: no reserved finding in any of the real notices.
    expect(items.flatMap((i) => (i.ok ? findings(i.notice, 'reserved') : []))).toEqual([]);
  });

  it('yields each notice of a file holding several, with its own XML text', async () => {
    const body = (name: string) => fs.readFileSync(file(name), 'utf8').replace(/^<\?xml[^>]*>\s*/, '');
    const multi = writeTmp('multi/annonces.xml', `<?xml version="1.0" encoding="UTF-8"?>\n<ANNONCES>\n${body('test-pub.xml')}\n${body('test-attribution-5.xml')}\n</ANNONCES>\n`);
    const items = await readAll('boamp-xml', multi);
    const secondLine = 3 + body('test-pub.xml').split('\n').length;
    expect(items.map((i) => i.ok && [i.position, i.notice.sourceId])).toEqual([
      ['annonces.xml, ligne 3', '16-186394'],
      [`annonces.xml, ligne ${secondLine}`, '17-1028'],
    ]);
    const [first, second] = items.map((i) => (i.ok ? (i.notice.raw as string) : ''));
    expect(first.startsWith('<ANNONCE ')).toBe(true);
    expect(first.endsWith('</ANNONCE>')).toBe(true);
    expect(first).toContain('<IDWEB>16-186394</IDWEB>');
    expect(first).not.toContain('17-1028');
    expect(second).toContain('<IDWEB>17-1028</IDWEB>');
    expect(second).not.toContain('16-186394');
  });

  it('reports a malformed file, a notice without IDWEB and a file without notice, and goes on', async () => {
    const pub = fs.readFileSync(file('test-pub.xml'), 'utf8');
    writeTmp('mixed/a-truncated.xml', pub.slice(0, Math.floor(pub.length / 2)));
    writeTmp('mixed/b-no-id.xml', pub.replace('<IDWEB>16-186394</IDWEB>', ''));
    writeTmp('mixed/c-good.xml', fs.readFileSync(file('test-attribution-5.xml'), 'utf8'));
    writeTmp('mixed/d-eforms.xml', fs.readFileSync(path.join(EFORMS, 'pin-cfc-social_24.xml'), 'utf8'));
    writeTmp('mixed/e-unclosed.xml', pub.replace('</TITRE_MARCHE>', ''));
    const items = await readAll('boamp-xml', path.join(tmp, 'mixed'));
    expect(items.map((i) => (i.ok ? `ok ${i.notice.sourceId}` : `${i.code} @ ${i.position}`))).toEqual([
      expect.stringMatching(/^NOTICE_XML_INVALID @ a-truncated\.xml, ligne \d+$/),
      'NOTICE_ID_MISSING @ b-no-id.xml',
      'ok 17-1028',
      'NOTICE_XML_UNKNOWN @ d-eforms.xml, ligne 1',
      expect.stringMatching(/^NOTICE_XML_INVALID @ e-unclosed\.xml, ligne \d+$/),
    ]);
    const broken = items[0];
    expect(!broken.ok && broken.message).toMatch(/^Le fichier a-truncated\.xml n’est pas un XML bien formé \(ligne \d+, colonne \d+ : /);
    const unclosed = items[4];
    expect(!unclosed.ok && unclosed.message).toContain('balise');
  });
});

describe('eforms: SDK example notices', () => {
  it('cn_24_maximal.xml: res-pub-ser, reserved execution, environmental codes; acc-all and none give nothing', async () => {
    const n = await one('eforms', path.join(EFORMS, 'cn_24_maximal.xml'));
    expect(n).toMatchObject({
      source: 'eforms',
      sourceId: '14549263-b47b-4e59-96a1-2d0d13e19343',
      url: null,
      buyer: { name: 'Financial Adinistration for ...', siret: null },
      title: 'Procurement Title ---',
      description: 'Description ---',
      procedure: 'Procédure concurrentielle avec négociation',
      nature: 'contract',
      cpv: ['79710000', '79720000', '75121000'],
      publishedAt: '2023-03-23',
      deadline: '2023-05-22T20:59:32+01:00',
      amount: 9999999.99,
      awards: [],
      places: { departements: [], nuts: ['LU000'], postcodes: [], communes: [] },
    });
    // The lots group GLO-0001 is not a lot.
    expect(n.lots.map((l) => [l.number, l.title, l.cpv, l.amount])).toEqual([
      ['LOT-0001', 'Title ---', ['75121000'], 9999999.99],
      ['LOT-0002', 'Title Lot 2---', ['75121000'], 9999999.99],
    ]);
    expect(summary(findings(n))).toEqual([
      'reserved:ess:LOT-0001',
      'reserved:handicap:LOT-0001',
      'environmentalClause:clim-mitig:LOT-0001',
      'environmentalClause:env-imp:LOT-0001',
      'reserved:handicap:LOT-0002',
      'environmentalClause:clim-mitig:LOT-0002',
      'environmentalClause:env-imp:LOT-0002',
    ]);
    expect(findings(n)[0]).toEqual({
      kind: 'reserved',
      value: 'ess',
      lot: 'LOT-0001',
      origin: 'field',
      path: 'cac:ProcurementProjectLot.cac:TenderingTerms.cac:TendererQualificationRequest.cac:SpecificTendererRequirement.cbc:TendererRequirementTypeCode',
      excerpt: 'res-pub-ser',
    });
    // BT-775 acc-all (accessibility) is not an insertion clause.
    expect(findings(n, 'socialClause')).toEqual([]);
    expect(n.texts).toContainEqual({
      path: 'cac:ProcurementProjectLot.cac:TenderingTerms.cac:ContractExecutionRequirement.cbc:Description',
      lot: 'LOT-0001',
      text: 'Terms Performance ---',
    });
    const criteria = n.texts.filter((t) => t.path.includes('AwardingCriterion'));
    expect(criteria.map((t) => `${t.lot} ${t.path.split('.').pop()} ${t.text}`)).toEqual([
      'LOT-0001 cbc:Name Name of AC ---',
      'LOT-0001 cbc:Description AC Description ---',
      'LOT-0002 cbc:Name Name of AC ---',
      'LOT-0002 cbc:Description AC Description ---',
    ]);
    expect(n.raw as string).toMatch(/^<ContractNotice [^>]*xmlns:cac=/);
    expect(n.raw as string).toMatch(/<\/ContractNotice>$/);
  });

  it('pin-cfc-social_24.xml: a PIN used as a call for competition, res-ws on its lot', async () => {
    const n = await one('eforms', path.join(EFORMS, 'pin-cfc-social_24.xml'));
    expect(n).toMatchObject({
      sourceId: 'b9bcefc5-2065-4884-a723-c9d39c5c640f',
      buyer: { name: 'ZenithNova Innovations Ltd.', siret: null },
      title: 'Procurement title vol3',
      nature: 'contract',
      procedure: 'oth-mult',
      cpv: ['85000000'],
      publishedAt: '2023-05-26',
      deadline: '2023-05-31T15:00:00+03:00',
      lots: [{ number: 'LOT-0001', title: 'Title vol3', description: 'Lot description text', cpv: ['85000000'], amount: null }],
    });
    // res-ws does not say disability or insertion; reserved-execution "not-known" gives nothing.
    expect(summary(findings(n))).toEqual(['reserved:unspecified:LOT-0001']);
    expect(findings(n)[0].excerpt).toBe('res-ws');
  });

  it('reads the directory, and reports a malformed eForms file', async () => {
    const items = await readAll('eforms', EFORMS);
    expect(items.map((i) => i.ok && i.position)).toEqual(['cn_24_maximal.xml', 'pin-cfc-social_24.xml']);
    const cn = fs.readFileSync(path.join(EFORMS, 'cn_24_maximal.xml'), 'utf8');
    const broken = await readAll('eforms', writeTmp('eforms-broken/cn.xml', cn.slice(0, 20_000)));
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatchObject({ ok: false, code: 'NOTICE_XML_INVALID', position: expect.stringMatching(/^cn\.xml, ligne \d+$/) });
    const noId = await readAll('eforms', writeTmp('eforms-broken/no-id.xml', cn.replace(/<cbc:ID schemeName="notice-id">[^<]*<\/cbc:ID>/, '')));
    expect(noId).toMatchObject([{ ok: false, code: 'NOTICE_ID_MISSING', position: 'no-id.xml' }]);
  });
});

describe('boamp: open-data records (fixtures built from the documented shapes)', () => {
  it('(a) legacy donnees in a JSON array: header, gestion facets, reserved flags, lots, texts', async () => {
    const items = await readAll('boamp', path.join(FIXTURES, 'boamp-legacy.json'));
    expect(items.map((i) => i.position)).toEqual(['enregistrement 1']);
    const n = (items[0] as { notice: Notice }).notice;
    expect(n).toMatchObject({
      source: 'boamp',
      sourceId: '24-101234',
      url: 'https://www.boamp.fr/pages/avis/?q=idweb:24-101234',
      buyer: { name: 'VILLE DE MARCQ-SUR-DEULE', siret: '21590378000018' },
      title: 'Entretien des espaces verts communaux',
      procedure: 'Procédure ouverte',
      nature: 'contract',
      cpv: ['77310000', '77313000', '77211400', '77341000'],
      publishedAt: '2024-03-12',
      deadline: '2024-04-15T10:00:00+00:00',
      amount: 200000,
    });
    expect(n.places).toEqual({ communes: [], departements: ['59', '62'], nuts: ['FRE11', 'FRE12'], postcodes: ['59700'] });
    expect(n.lots.map((l) => [l.number, l.amount, l.places.departements])).toEqual([
      ['1', 120000, ['59']],
      ['2', 80000, ['62']],
    ]);
    expect(summary(findings(n))).toEqual([
      'socialClause:sociaux:-',
      'environmentalClause:environnementaux:-',
      'socialClause:sociaux:-',
      'environmentalClause:environnementaux:-',
      'reserved:handicap:1',
      'reserved:handicap:-',
    ]);
    expect(findings(n).map((f) => f.path)).toEqual([
      'criteres',
      'criteres',
      'GESTION.INDEXATION.CRITERES_SOCIAUX_ENV.SOCIAUX',
      'GESTION.INDEXATION.CRITERES_SOCIAUX_ENV.ENVIRONNEMENTAUX',
      'OBJET.LOTS.LOT.MARCHE_RESERVE_OUI.EMPLOIS_PROTEGES',
      'CONDITION_PARTICIPATION.MARCHE_RESERVE_OUI.ATELIERS_PROTEGES',
    ]);
    expect(n.texts).toContainEqual({
      path: 'OBJET.LOTS.LOT.CRITERES_ATTRIBUTION.CRITERES_QUALITE.CRITERE',
      lot: '1',
      text: "Performances en matière d'insertion professionnelle des publics en difficulté",
    });
    expect(n.texts).toContainEqual(expect.objectContaining({ path: 'CONDITION_PARTICIPATION.CONDITION_PARTICULIERE_EXECUTION', lot: null }));
    expect(n.texts).toContainEqual(expect.objectContaining({ path: 'RENSEIGNEMENTS_COMPLEMENTAIRES.RENS_COMPLEMENT' }));
    expect(n.texts[0]).toEqual({ path: 'objet', lot: null, text: 'Entretien des espaces verts communaux' });
    // Addresses are not notice text; the title is read once.
    expect(n.texts.some((t) => t.text === 'ne pas lire')).toBe(false);
    expect(n.texts.filter((t) => t.text === 'Entretien des espaces verts communaux')).toHaveLength(1);
    expect((n.raw as { idweb: string }).idweb).toBe('24-101234');
  });

  it('(b) MAPA donnees (already an object) in an Explore v2.1 page: prose texts, no field finding', async () => {
    const items = await readAll('boamp', path.join(FIXTURES, 'boamp-mapa-results.json'));
    expect(items.map((i) => i.position)).toEqual(['enregistrement 1']);
    const n = (items[0] as { notice: Notice }).notice;
    expect(n).toMatchObject({
      sourceId: '24-102345',
      buyer: { name: 'COMMUNE DE WATTRELOS-LES-PRES', siret: null },
      title: 'Nettoyage des locaux de la mairie annexe',
      procedure: 'Procédure adaptée',
      nature: 'contract',
      places: { departements: ['59'] },
      deadline: '2024-05-31T10:00:00+00:00',
      fieldFindings: [],
    });
    expect(n.description).toMatch(/réservé à des structures d'insertion par l'activité économique/);
    expect(n.texts.map((t) => t.path)).toEqual([
      'objet',
      'MAPA.initial.caracteristiques.principales',
      'MAPA.initial.criterePondere.critere',
      'MAPA.initial.criterePondere.critere',
    ]);
    // The buyer's contact (organisme) is not read as notice text.
    expect(n.texts.some((t) => t.text.includes('ESAT'))).toBe(false);
  });

  it('(c) eForms donnees in an Explore v2.0 page: contract notice codes and award notice winners', async () => {
    const items = await readAll('boamp', path.join(FIXTURES, 'boamp-eforms-records.json'));
    expect(items.map((i) => i.position)).toEqual(['enregistrement 1', 'enregistrement 2']);
    const [cn, can] = items.map((i) => (i as { notice: Notice }).notice);
    expect(cn).toMatchObject({
      source: 'boamp',
      sourceId: '24-103456',
      buyer: { name: 'DEPARTEMENT DU NORD-EST', siret: '22590001800011' },
      nature: 'contract',
      cpv: ['77310000', '77211500'],
      amount: 640000,
      places: { departements: ['59', '62'], nuts: ['FRE11', 'FRE12'], postcodes: ['59000'] },
    });
    expect(summary(findings(cn))).toEqual([
      'socialClause:sociaux:-',
      'reserved:unspecified:LOT-0001',
      'socialClause:soc-obj:LOT-0001',
      'socialClause:opp:LOT-0001',
      'environmentalClause:national:LOT-0001',
    ]);
    expect(findings(cn)[1].path).toBe(
      'EFORMS.ContractNotice.cac:ProcurementProjectLot.cac:TenderingTerms.cac:TendererQualificationRequest.cac:SpecificTendererRequirement.cbc:TendererRequirementTypeCode',
    );
    expect(cn.texts).toContainEqual({
      path: 'EFORMS.ContractNotice.cac:ProcurementProjectLot.cac:TenderingTerms.cac:AwardingTerms.cac:AwardingCriterion.cac:SubordinateAwardingCriterion.cbc:Name',
      lot: 'LOT-0001',
      text: "Performances en matière d'insertion professionnelle",
    });
    expect(cn.texts).toContainEqual(
      expect.objectContaining({ path: expect.stringContaining('cac:ContractExecutionRequirement.cbc:Description'), lot: 'LOT-0001', text: expect.stringMatching(/700 heures/) }),
    );
    expect(cn.lots.map((l) => [l.number, l.amount, l.places.departements])).toEqual([
      ['LOT-0001', 400000, ['59']],
      ['LOT-0002', 240000, ['62']],
    ]);
    expect(can).toMatchObject({
      sourceId: '24-104567',
      nature: 'award',
      buyer: { siret: '25620090400026' },
      amount: 245000,
      awards: [
        {
          lot: 'LOT-0001',
          holders: [
            { name: 'Artois Insertion Propreté', siret: '44306184100047' },
            { name: 'Atelier Solidaire du Béthunois', siret: null },
          ],
          amount: 245000,
          date: '2024-02-10',
        },
      ],
    });
  });

  it('JSON lines: one record per line, each donnees shape, FNSimple and an unspecified reservation', async () => {
    const items = await readAll('boamp', path.join(FIXTURES, 'boamp.jsonl'));
    expect(items.map((i) => i.ok && [i.position, i.notice.sourceId])).toEqual([
      ['ligne 1', '24-101234'],
      ['ligne 2', '24-102345'],
      ['ligne 3', '24-103456'],
      ['ligne 4', '24-105678'],
      ['ligne 5', '24-106789'],
    ]);
    const [, , , fns, unspecified] = items.map((i) => (i as { notice: Notice }).notice);
    expect(fns).toMatchObject({
      buyer: { name: "COMMUNE D'AVION-SUR-SOUCHEZ", siret: '21620065800019' },
      amount: 180000,
      places: { departements: ['62'] },
      url: 'https://www.boamp.fr/pages/avis/?q=idweb:24-105678',
    });
    expect(summary(findings(fns))).toEqual(['socialClause:sociaux:-']);
    expect(fns.texts).toContainEqual(expect.objectContaining({ path: 'FNSimple.initial.informComplementaire.autresInformComplementaire', text: expect.stringMatching(/clause sociale d'insertion de 400 heures/) }));
    expect(unspecified).toMatchObject({ buyer: { siret: null }, cpv: ['90514000'], places: { departements: ['80'], nuts: ['FR223'] } });
    expect(findings(unspecified)).toEqual([
      { kind: 'reserved', value: 'unspecified', lot: null, origin: 'field', path: 'OBJET.MARCHE_RESERVE_OUI', excerpt: 'MARCHE_RESERVE_OUI' },
    ]);
  });

  it('an empty MARCHE_RESERVE_OUI written null is a reservation; a day that does not exist is no date', async () => {
    const donnees = { OBJET: { MARCHE_RESERVE_OUI: null, OBJET_COMPLET: 'Nettoyage des locaux.' } };
    const file = writeTmp(
      'null-marker.jsonl',
      `${JSON.stringify({ idweb: '26-00101', objet: 'Nettoyage', dateparution: '2017-02-30', datelimitereponse: '2026-09-31T12:00:00+02:00', donnees: JSON.stringify(donnees) })}\n`,
    );
    const [item] = await readAll('boamp', file);
    expect(item.ok).toBe(true);
    const n = (item as { notice: Notice }).notice;
    expect(summary(findings(n))).toEqual(['reserved:unspecified:-']);
    expect([n.publishedAt, n.deadline]).toEqual([null, null]);
  });

  it('reads a directory of JSON files in name order, not its sub-directories nor README', async () => {
    const items = await readAll('boamp', FIXTURES);
    expect(items.every((i) => i.ok)).toBe(true);
    expect(items.map((i) => i.position)).toEqual([
      'boamp-eforms-records.json, enregistrement 1',
      'boamp-eforms-records.json, enregistrement 2',
      'boamp-legacy.json, enregistrement 1',
      'boamp-mapa-results.json, enregistrement 1',
      'boamp.jsonl, ligne 1',
      'boamp.jsonl, ligne 2',
      'boamp.jsonl, ligne 3',
      'boamp.jsonl, ligne 4',
      'boamp.jsonl, ligne 5',
    ]);
  });

  it('reads a single pretty-printed record and a JSON line holding a page of results', async () => {
    const [legacy] = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'boamp-legacy.json'), 'utf8'));
    const single = await readAll('boamp', writeTmp('single.json', JSON.stringify(legacy, null, 2)));
    expect(single.map((i) => i.ok && [i.position, i.notice.sourceId])).toEqual([['enregistrement 1', '24-101234']]);
    const paged = await readAll('boamp', writeTmp('pages.jsonl', `${JSON.stringify({ total_count: 2, results: [legacy, { ...legacy, idweb: '24-101235' }] })}\n`));
    expect(paged.map((i) => i.ok && [i.position, i.notice.sourceId])).toEqual([
      ['ligne 1, enregistrement 1', '24-101234'],
      ['ligne 1, enregistrement 2', '24-101235'],
    ]);
  });

  it('places: performance départements first, the publication ones only when nothing says where', async () => {
    const record = (extra: object) => ({
      idweb: '24-108901',
      objet: 'Fourniture de mobilier scolaire',
      code_departement: ['59'],
      gestion: { INDEXATION: { DEP_PUBLICATION: '59' } },
      donnees: { IDENTITE: { DENOMINATION: 'Commune de Lens-Exemple' }, OBJET: { TITRE_MARCHE: 'Fourniture de mobilier scolaire' } },
      ...extra,
    });
    const file = writeTmp('places.jsonl', [record({ code_departement_prestation: '62' }), record({})].map((r) => JSON.stringify(r)).join('\n'));
    const [withPrestation, withoutPlace] = await notices('boamp', file);
    expect(withPrestation.places.departements).toEqual(['62']);
    expect(withoutPlace.places.departements).toEqual(['59']);
  });

  it('truncated JSON array: the records before the break are read, then one error', async () => {
    const items = await readAll('boamp', path.join(FIXTURES, 'broken/truncated.json'));
    expect(items.map((i) => (i.ok ? `ok ${i.notice.sourceId}` : `${i.code} @ ${i.position}`))).toEqual([
      'ok 24-105678',
      'ok 24-106789',
      'NOTICE_JSON_INVALID @ enregistrement 3',
    ]);
    const last = items[2];
    expect(!last.ok && last.message).toMatch(/^JSON illisible après 2 enregistrement\(s\) \(ligne \d+, colonne \d+\) : la lecture du fichier truncated\.json s’arrête là\.$/);
  });

  it('a bad line in the middle of JSON lines is reported and the other lines still read', async () => {
    const items = await readAll('boamp', path.join(FIXTURES, 'broken/bad-line.jsonl'));
    expect(items.map((i) => (i.ok ? `ok ${i.notice.sourceId} @ ${i.position}` : `${i.code} @ ${i.position}`))).toEqual([
      'ok 24-105678 @ ligne 1',
      'NOTICE_JSON_INVALID @ ligne 2',
      'ok 24-106789 @ ligne 4',
    ]);
    expect(items[1]).toMatchObject({ ok: false, message: expect.stringMatching(/^Ligne 2 : JSON illisible/) });
  });

  it('records without id, with an unreadable donnees or that are not objects are skipped one by one', async () => {
    const items = await readAll('boamp', path.join(FIXTURES, 'broken/no-id.json'));
    expect(items.map((i) => (i.ok ? `ok ${i.notice.sourceId}` : `${i.code} @ ${i.position}`))).toEqual([
      'NOTICE_ID_MISSING @ enregistrement 1',
      'ok 24-105678',
      'NOTICE_DONNEES_INVALID @ enregistrement 3',
      'NOTICE_RECORD_INVALID @ enregistrement 4',
    ]);
    expect(items[0]).toMatchObject({ message: 'Enregistrement 1 : avis sans identifiant (idweb), il est ignoré.' });
  });

  it('rejects what is not JSON, and a path that does not exist', async () => {
    const items = await readAll('boamp', writeTmp('not-json.json', 'idweb;objet\n24-1;Test\n'));
    expect(items).toMatchObject([{ ok: false, code: 'NOTICE_JSON_INVALID', position: 'not-json.json' }]);
    await expect(readAll('boamp', path.join(tmp, 'nowhere.json'))).rejects.toMatchObject({ code: 'NOTICE_FILE_NOT_FOUND' });
  });

  it('streams a ~50 MB JSON array: the heap stays far below the file size', { timeout: 180_000 }, async () => {
    v8.setFlagsFromString('--expose_gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const [legacy] = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'boamp-legacy.json'), 'utf8'));
    const file = path.join(tmp, 'big.json');
    const out = fs.openSync(file, 'w');
    fs.writeSync(out, '[\n');
    let size = 0;
    let count = 0;
    while (size < 50_000_000) {
      const chunk = (count ? ',\n' : '') + JSON.stringify({ ...legacy, idweb: `24-${String(count).padStart(6, '0')}` });
      fs.writeSync(out, chunk);
      size += Buffer.byteLength(chunk);
      count++;
    }
    fs.writeSync(out, '\n]\n');
    fs.closeSync(out);

    gc();
    const before = process.memoryUsage().heapUsed;
    let read = 0;
    let peak = 0;
    let last = '';
    for await (const item of readNotices('boamp', file)) {
      if (!item.ok) throw new Error(item.message);
      last = item.notice.sourceId;
      if (++read % 1000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - before);
      }
    }
    expect(read).toBe(count);
    expect(last).toBe(`24-${String(count - 1).padStart(6, '0')}`);
    expect(size).toBeGreaterThan(50_000_000);
    expect(peak).toBeLessThan(size / 10);
  });
});
