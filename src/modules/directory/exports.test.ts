import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../../../test/helpers/db.ts';
import { siret, structure } from '../../../test/helpers/fixtures.ts';
import type { Db } from '../../core/db.ts';
import { dataInclusionName, type DataInclusionStructure, exportStructures, publicUri } from './exports.ts';
import { EXPORT_COLUMNS } from './imports/csv-format.ts';
import { importStructures } from './service.ts';

const SCHEMA = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../data/data-inclusion/v1/structure.json'), 'utf8'));
const RESEAUX = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../data/data-inclusion/v1/extra/reseaux-porteurs.json'), 'utf8')) as { value: string }[];

function dataInclusionValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  // ajv-formats is CommonJS: its plugin is both the module and its "default".
  ajvFormats.default(ajv);
  return ajv.compile(SCHEMA);
}

async function exportText(db: Db, format: 'csv' | 'data-inclusion'): Promise<{ n: number; text: string }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const n = await exportStructures(db, format, out);
  out.end();
  return { n, text: Buffer.concat(chunks).toString('utf8') };
}

const SECRET = { name: 'Dominique Secret', email: 'dominique.secret@prive.example.net', phone: '06 99 88 77 66' };

let db: Db;
const previousUrl = process.env.PUBLIC_URL;

beforeAll(async () => {
  process.env.PUBLIC_URL = 'https://passerelles.example.gouv.fr/';
  db = await createTestDb();
  const report = await importStructures(
    db,
    [
      structure({
        siret: siret(101),
        name: 'Entreprise Adaptée du Nord',
        kind: 'EA',
        networks: ['union-nationale-des-entreprises-adaptees'],
        website: 'www.ea-nord.example.org',
        publicEmail: 'contact@ea-nord.example.org',
        publicPhone: '03 20 11 22 33',
        description: 'Sous-traitance industrielle et conditionnement.',
        privateContact: SECRET,
      }),
      structure({ siret: siret(102), name: 'AB', kind: 'SEP', description: 'abc', website: 'pas une adresse', publicEmail: 'pas-un-courriel' }),
      structure({ siret: siret(103), name: `${'Très long nom '.repeat(15)}final.`, kind: 'ACI', communeCode: '62041' }),
      structure({ siret: siret(104), name: 'Structure fermée', active: false }),
      structure({ siret: siret(105), name: 'Structure masquée', hidden: true }),
      structure({ siret: siret(106), name: 'Structure de démonstration', isDemo: true, source: 'demo' }),
    ].map((input, i) => ({ line: i + 1, input })),
  );
  expect(report.rejected).toEqual([]);
});

afterAll(async () => {
  await db.close();
  if (previousUrl === undefined) delete process.env.PUBLIC_URL;
  else process.env.PUBLIC_URL = previousUrl;
});

describe('data·inclusion export', () => {
  it('writes a JSON array of records that are all valid against the v1 schema', async () => {
    const { n, text } = await exportText(db, 'data-inclusion');
    const records = JSON.parse(text) as DataInclusionStructure[];
    expect(n).toBe(3);
    expect(records).toHaveLength(3);
    const validate = dataInclusionValidator();
    for (const r of records) {
      const ok = validate(r);
      expect(validate.errors ?? [], r.id).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it('exports only active, visible, real structures', async () => {
    const records = JSON.parse((await exportText(db, 'data-inclusion')).text) as DataInclusionStructure[];
    const names = records.map((r) => r.nom);
    expect(names).not.toContain('Structure fermée');
    expect(names).not.toContain('Structure masquée');
    expect(names).not.toContain('Structure de démonstration');
  });

  it('maps the fields: id, link, kind and networks to reseaux porteurs, public contact only', async () => {
    const records = JSON.parse((await exportText(db, 'data-inclusion')).text) as DataInclusionStructure[];
    const ea = records.find((r) => r.siret === siret(101)) as DataInclusionStructure;
    expect(ea).toMatchObject({
      source: 'passerelles',
      nom: 'Entreprise Adaptée du Nord',
      reseaux_porteurs: ['ea', 'unea'],
      site_web: 'https://www.ea-nord.example.org',
      courriel: 'contact@ea-nord.example.org',
      telephone: '03 20 11 22 33',
      code_insee: '59350',
      commune: 'Lille',
    });
    expect(ea.id).toMatch(/^passerelles--entreprise-adaptee-du-nord/);
    expect(ea.lien_source).toBe(`https://passerelles.example.gouv.fr/structures/${ea.id.replace('passerelles--', '')}`);
    expect(ea.date_maj).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // SEP has no data·inclusion value; a too short name, description, bad web address and e-mail are fixed or left out.
    const sep = records.find((r) => r.siret === siret(102)) as DataInclusionStructure;
    expect(sep).toMatchObject({ nom: 'AB (SEP)', reseaux_porteurs: null, description: null, site_web: null, courriel: null });
    const long = records.find((r) => r.siret === siret(103)) as DataInclusionStructure;
    expect(long.nom.length).toBeLessThanOrEqual(150);
    expect(long.nom.endsWith('…')).toBe(true);
  });

  it('never contains the private contact', async () => {
    const { text } = await exportText(db, 'data-inclusion');
    for (const s of Object.values(SECRET)) expect(text).not.toContain(s);
  });

  it('uses only values of the reseaux porteurs list', () => {
    const values = new Set(RESEAUX.map((r) => r.value));
    for (const v of ['aci', 'ai', 'ei', 'etti', 'eiti', 'geiq', 'ea', 'eatt', 'esat', 'unea', 'coorace', 'chantier-ecole', 'federation-des-acteurs-de-la-solidarite']) {
      expect(values.has(v), v).toBe(true);
    }
  });

  it('keeps names and web addresses within the schema', () => {
    expect(dataInclusionName('  SARL   Exemple. ', 'EI')).toBe('SARL Exemple');
    expect(dataInclusionName('Fruits, légumes, etc.', 'EI')).toBe('Fruits, légumes, etc.');
    expect(dataInclusionName('X', 'ESAT')).toBe('X (ESAT)');
    expect(publicUri('https://exemple.fr/page accueil')).toBe('https://exemple.fr/page%20accueil');
    expect(publicUri('ftp://exemple.fr')).toBeNull();
    expect(publicUri('')).toBeNull();
  });
});

describe('CSV export', () => {
  it('writes our template, ";" separated, UTF-8 with BOM, without the private contact columns', async () => {
    const { n, text } = await exportText(db, 'csv');
    expect(text.startsWith('\uFEFF')).toBe(true);
    const [header, ...rows] = text.slice(1).split('\r\n').filter(Boolean);
    expect(header.split(';')).toEqual([...EXPORT_COLUMNS]);
    expect(header).not.toContain('contact_');
    // Inactive structures are exported (actif = non), hidden and demo ones are not.
    expect(n).toBe(4);
    expect(rows).toHaveLength(4);
    expect(text).toContain('Structure fermée');
    expect(text).not.toContain('Structure masquée');
    expect(text).not.toContain('démonstration');
    for (const s of Object.values(SECRET)) expect(text).not.toContain(s);
  });
});

describe('exports of a large directory', () => {
  it('go through every structure once, batch after batch', async () => {
    const big = await createTestDb();
    try {
      const lines = Array.from({ length: 1100 }, (_, i) => ({ line: i + 1, input: structure({ siret: siret(10_000 + i), name: `Structure ${i}` }) }));
      expect((await importStructures(big, lines)).created).toBe(1100);
      const di = await exportText(big, 'data-inclusion');
      const ids = (JSON.parse(di.text) as DataInclusionStructure[]).map((r) => r.id);
      expect(di.n).toBe(1100);
      expect(new Set(ids).size).toBe(1100);
      const csv = await exportText(big, 'csv');
      expect(csv.n).toBe(1100);
      expect(csv.text.split('\r\n').filter(Boolean)).toHaveLength(1101);
    } finally {
      await big.close();
    }
  });
});
