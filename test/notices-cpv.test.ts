// CPV → sectors (src/modules/notices/cpv.ts and data/procurement/cpv-sectors.csv): the table covers every
// CPV division and every sector of the taxonomy, names only existing sectors, routes real codes to the
// expected sectors (cleaning, green spaces, catering, building works, IT…), the longest prefix decides,
// and a broken table is refused with its line.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CPV_SECTORS_FILE, cpvLabel, cpvSectorRule, cpvTables, parseCpvLabels, parseCpvSectors, sectorsForCpv, sectorsForCpvs } from '../src/modules/notices/cpv.ts';
import { loadSectors } from '../src/modules/referentials/data.ts';

const ROOT = path.join(import.meta.dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
// The files read independently of the module, with a general CSV parser.
const table: { cpv_prefix: string; sector_slug: string; comment: string }[] = parse(read(CPV_SECTORS_FILE), { columns: true, bom: true });
const cpvRows: { code8: string; level: string; label_fr: string }[] = parse(read('data/procurement/cpv/cpv2008_fr.csv'), { columns: true, bom: true });
const taxonomy = loadSectors();
const slugs = new Set(taxonomy.map((s) => s.slug));

describe('the mapping table', () => {
  it('has the 45 CPV divisions, each with a 2-digit row (mapped, or none with a comment)', () => {
    const divisions = cpvRows.filter((r) => r.level === '1').map((r) => r.code8.slice(0, 2));
    expect(divisions).toHaveLength(45);
    for (const d of divisions) {
      const rows = table.filter((r) => r.cpv_prefix === d);
      expect(rows.length, `division ${d}`).toBeGreaterThan(0);
      for (const r of rows) if (!r.sector_slug) expect(r.comment, `division ${d} without sector`).not.toBe('');
    }
    // prefer mapping: most divisions lead to at least one sector somewhere
    const mapped = divisions.filter((d) => table.some((r) => r.cpv_prefix.startsWith(d) && r.sector_slug));
    expect(mapped.length).toBeGreaterThanOrEqual(40);
  });

  it('names every sector of the taxonomy at least once, and only sectors of the taxonomy', () => {
    expect(taxonomy).toHaveLength(154);
    const used = new Set(table.map((r) => r.sector_slug).filter(Boolean));
    expect([...slugs].filter((s) => !used.has(s))).toEqual([]);
    expect([...used].filter((s) => !slugs.has(s))).toEqual([]);
  });

  it('has well-formed rows: 2 to 8 digits, a comment on each, prefixes of real codes', () => {
    const prefixes = new Set(cpvRows.flatMap((c) => [2, 3, 4, 5, 6, 7, 8].map((n) => c.code8.slice(0, n))));
    for (const r of table) {
      expect(r.cpv_prefix).toMatch(/^\d{2,8}$/);
      expect(r.comment.trim()).not.toBe('');
      expect(prefixes.has(r.cpv_prefix), r.cpv_prefix).toBe(true);
    }
  });

  it('loads once, with every label of the CPV list', () => {
    const t = cpvTables();
    expect(t.labels.size).toBe(9454);
    expect(cpvTables()).toBe(t);
    expect(t.rules.size).toBe(new Set(table.map((r) => r.cpv_prefix)).size);
  });
});

describe('labels', () => {
  it('gives the French label of a code, with or without its check digit', () => {
    expect(cpvLabel('90911200')).toBe('Services de nettoyage de bâtiments');
    expect(cpvLabel('90911200-8')).toBe('Services de nettoyage de bâtiments');
    expect(cpvLabel('03000000')).toBe("Produits agricoles, de l'élevage, de la pêche, de la sylviculture et produits connexes");
    expect(cpvLabel('99999999')).toBeNull();
    expect(cpvLabel('9091')).toBeNull();
  });
});

describe('sectors of real codes', () => {
  const cases: [string, string, string[]][] = [
    ['90911200', 'cleaning of buildings', ['nettoyage-de-locaux-16']],
    ['90919300', 'cleaning of schools', ['nettoyage-de-locaux-16']],
    ['90914000', 'car park cleaning', ['nettoyage-specifique-chantiers-parkings-6', 'entretien-des-parkings-4']],
    ['90917000', 'cleaning of transport equipment', ['nettoyage-de-vehicules-12']],
    ['90612000', 'street sweeping', ['nettoyage-urbain', 'entretien-et-maintenance-de-lespace-urbain-17']],
    ['77310000', 'planting and maintenance of green areas', ['creation-et-entretien-des-espaces-verts', 'entretien-des-jardins']],
    ['77313000', 'park maintenance', ['creation-et-entretien-des-espaces-verts', 'entretien-des-jardins']],
    ['77340000', 'tree pruning', ['creation-et-entretien-des-espaces-verts', 'travaux-forestiers-bucheronnage']],
    ['45112710', 'landscaping of green areas', ['creation-et-entretien-des-espaces-verts']],
    ['55510000', 'canteen services', ['restaurants-cantines', 'restauration-collective']],
    ['55523100', 'school catering', ['restauration-collective']],
    ['55520000', 'catering services', ['traiteur']],
    ['55521200', 'meal delivery', ['paniers-plateaux-repas', 'traiteur']],
    ['45000000', 'construction work', ['travaux-de-chantiers-74', 'autre-57']],
    ['45210000', 'building construction', ['travaux-de-chantiers-74', 'autre-57']],
    ['45332000', 'plumbing', ['plomberie']],
    ['45311000', 'electrical wiring', ['electricite']],
    ['45442110', 'painting of buildings', ['peinture-revetement-des-murs']],
    ['45431100', 'floor tiling', ['carrelage-revetement-des-sols']],
    ['45421000', 'joinery', ['menuiserie']],
    ['45111100', 'demolition', ['deconstruction-curage-demolition']],
    ['72210000', 'programming of packaged software', ['conception-de-logiciels']],
    ['72413000', 'web site design', ['creation-de-sites-internets-webmastering-70']],
    ['72611000', 'technical computer support', ['support-administration']],
    ['72254000', 'software testing', ['tests-de-logiciels']],
    ['50320000', 'repair of personal computers', ['gestion-du-parc-informatique-maintenance-installation-47']],
    ['30213100', 'portable computers', ['gestion-du-parc-informatique-maintenance-installation-47', 'reconditionnement-informatique']],
    ['79530000', 'translation', ['traductions']],
    ['79540000', 'interpretation', ['traductions']],
    ['98310000', 'washing and dry-cleaning', ['blanchisserie', 'pressing-et-nettoyage-a-sec', 'autre-10']],
    ['79713000', 'guard services', ['poste-de-garde-accueil']],
    ['60130000', 'special-purpose passenger transport', ['transports-de-personnes']],
    ['64120000', 'courier services', ['coursiers-livraison-de-plis-colis']],
    ['90514000', 'refuse recycling', ['autre-85', 'recyclage-5-flux-et-fournitures-dentreprise', 'recyclage-papiers-et-fournitures-dentreprises', 'recyclage-du-verre', 'recyclage-textiles', 'recyclage-dequipements-electriques-et-electroniques-deee', 'recyclage-delements-dameublement-dae-et-petits-objets']],
    ['80530000', 'vocational training', ['conseils-formation']],
    ['85311200', 'welfare services for the disabled', ['soins-et-accompagnement', 'autre-medico-social']],
  ];
  it.each(cases)('%s (%s)', (code, _what, expected) => {
    expect(sectorsForCpv(code)).toEqual(expected);
    expect(sectorsForCpv(`${code}-1`)).toEqual(expected); // check digit tolerated
  });

  it('gives no sector where the table says so, or for codes that are not CPV codes', () => {
    expect(sectorsForCpv('35300000')).toEqual([]); // weapons
    expect(sectorsForCpv('66110000')).toEqual([]); // banking
    expect(sectorsForCpv('9091')).toEqual([]);
    expect(sectorsForCpv('')).toEqual([]);
    expect(sectorsForCpv('abcdefgh')).toEqual([]);
  });

  it('gives the sectors of several codes once each, in order of appearance', () => {
    expect(sectorsForCpvs(['90911200', '77310000', '90919300', '35300000'])).toEqual([
      'nettoyage-de-locaux-16',
      'creation-et-entretien-des-espaces-verts',
      'entretien-des-jardins',
    ]);
    expect(sectorsForCpvs([])).toEqual([]);
  });

  it('every CPV code of division 90 (cleaning and waste) and 45 (works) has a sector', () => {
    for (const r of cpvRows.filter((c) => c.code8.startsWith('45') || c.code8.startsWith('909') || c.code8.startsWith('906'))) {
      expect(sectorsForCpv(r.code8).length, `${r.code8} ${r.label_fr}`).toBeGreaterThan(0);
    }
  });
});

describe('the longest prefix decides', () => {
  it('a finer prefix overrides the shorter ones instead of adding to them', () => {
    // 45 → site works + other building trades; 4533 → plumbing only
    expect(cpvSectorRule('45332000')?.prefix).toBe('4533');
    expect(sectorsForCpv('45332000')).not.toContain('autre-57');
    // 55 → restaurants; 555231 (school catering) → collective catering only
    expect(cpvSectorRule('55523100')?.prefix).toBe('555231');
    // 909 → premises cleaning + other cleaning; 90917 → vehicle cleaning only
    expect(sectorsForCpv('90900000')).toEqual(['nettoyage-de-locaux-16', 'autre-56']);
    expect(sectorsForCpv('90917000')).toEqual(['nettoyage-de-vehicules-12']);
    // an empty row wins too: 34 (transport equipment) has sectors, 347 (aircraft) has none
    expect(sectorsForCpv('34000000')).toEqual(['garage-mecanique-automobile-10']);
    expect(sectorsForCpv('34711000')).toEqual([]);
    expect(cpvSectorRule('34711000')).toMatchObject({ prefix: '347', sectors: [] });
  });

  it('on a small table of its own', () => {
    const labels = parseCpvLabels('code,code8,check_digit,division,level,label_fr\n90000000-7,90000000,7,90,1,"A, b"\n90910000-9,90910000,9,90,3,C\n90911200-8,90911200,8,90,5,D\n');
    expect(labels.get('90000000')).toBe('A, b');
    const rules = parseCpvSectors('cpv_prefix,sector_slug,comment\n90,a,x\n90,b,x\n9091,c,"y, z"\n909112,,none\n', new Set(['a', 'b', 'c']), labels.keys());
    expect([...rules.keys()]).toEqual(['90', '9091', '909112']);
    expect(rules.get('90')).toEqual({ prefix: '90', sectors: ['a', 'b'], comment: 'x' });
    expect(rules.get('9091')).toEqual({ prefix: '9091', sectors: ['c'], comment: 'y, z' });
    expect(rules.get('909112')).toEqual({ prefix: '909112', sectors: [], comment: 'none' });
  });
});

describe('a broken table is refused with its line', () => {
  const codes = ['90000000', '90910000', '90911200'];
  const known = new Set(['a', 'b']);
  const load = (body: string) => () => parseCpvSectors(`cpv_prefix,sector_slug,comment\n${body}`, known, codes, 'cpv-sectors.csv');
  it.each([
    ['90,a,x\n9,a,y\n', /cpv-sectors\.csv, ligne 3 : préfixe CPV « 9 » invalide/],
    ['909112000,a,y\n', /ligne 2 : préfixe CPV « 909112000 » invalide/],
    ['9O91,a,y\n', /ligne 2 : préfixe CPV « 9O91 » invalide/],
    ['90,a,x\n91,a,y\n', /ligne 3 : le préfixe « 91 » ne correspond à aucun code CPV 2008/],
    ['90,a,x\n\n9091,zz,y\n', /ligne 4 : secteur « zz » inconnu/],
    ['90,a,x\n90,a,x\n', /ligne 3 : ligne en double/],
    ['90,a,x\n90,,none\n', /ligne 3 : le préfixe « 90 » est à la fois sans secteur et associé/],
    ['90,"a,x\n', /ligne 2 : guillemet non fermé/],
  ])('%j', (body, message) => {
    expect(load(body)).toThrow(message);
  });
  it('refuses a table without its columns', () => {
    expect(() => parseCpvSectors('prefix,slug\n90,a\n', known, codes, 'cpv-sectors.csv')).toThrow(/colonnes attendues cpv_prefix, sector_slug, comment/);
  });
});
