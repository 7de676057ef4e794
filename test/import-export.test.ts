// Imports of real files through importStructures, and exports read back, on a real database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db.ts';
import { exportStructures } from '../src/modules/directory/exports.ts';
import { type ImportFormat, readStructuresFile } from '../src/modules/directory/imports/index.ts';
import { type ImportLine, importStructures } from '../src/modules/directory/service.ts';
import { createTestDb } from './helpers/db.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const fixture = (p: string) => path.join(ROOT, 'test/fixtures/structures', p);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelles-io-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Good sample files of each format, and how many structures each one creates. */
const SAMPLES: { format: ImportFormat; file: string; created: number }[] = [
  { format: 'emplois', file: fixture('emplois/siaes-page.json'), created: 4 },
  { format: 'marche', file: fixture('marche/siae-list.json'), created: 3 },
  { format: 'data-inclusion', file: fixture('data-inclusion/structures.jsonl'), created: 3 },
  { format: 'csv', file: fixture('csv/structures.csv'), created: 3 },
  { format: 'csv', file: fixture('csv/structures-virgule-bom.csv'), created: 2 },
  { format: 'csv', file: path.join(ROOT, 'docs/modele-structures.csv'), created: 3 },
];

/** Contacts written in the private contact columns of the CSV samples. */
const PRIVATE = ['Alex Durand', 'alex.durand@prive.example.net', '06 11 22 33 44', 'Camille Martin', 'c.martin@tremplin-proprete.example.org', '06 00 00 00 01'];

async function withDb(fn: (db: Db) => Promise<void>): Promise<void> {
  const db = await createTestDb();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

const count = async (db: Db, table = 'structures') => (await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))?.n;
const valid = (lines: ImportLine[]) => lines.filter((l) => l.input);

async function exportText(db: Db, format: 'csv' | 'data-inclusion'): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await exportStructures(db, format, out);
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

/** Imports every good sample (JSON lines: its valid lines only). */
async function importSamples(db: Db) {
  for (const s of SAMPLES) {
    const lines = await readStructuresFile(s.format, s.file);
    const report = await importStructures(db, s.format === 'data-inclusion' ? valid(lines) : lines);
    expect(report.rejected, s.file).toEqual([]);
  }
}

describe('importing the sample files', () => {
  it('each sample file: created, then unchanged on a second import', async () => {
    await withDb(async (db) => {
      let total = 0;
      for (const { format, file, created } of SAMPLES) {
        const first = await importStructures(db, await readStructuresFile(format, file), { acceptPartial: true });
        expect(first, file).toMatchObject({ created, updated: 0, unchanged: 0, applied: true });
        total += created;
        expect(await count(db), file).toBe(total);
        const second = await importStructures(db, await readStructuresFile(format, file), { acceptPartial: true });
        expect(second, file).toMatchObject({ created: 0, updated: 0, unchanged: created });
      }
    });
  });

  it('stores what each reader read: activities from Le Marché, private contacts from the CSV', async () => {
    await withDb(async (db) => {
      await importStructures(db, await readStructuresFile('marche', fixture('marche/siae-list.json')));
      const acts = await db.query<{ sector_slug: string; territory_keys: string[]; service_types: string[] }>(
        `SELECT a.sector_slug, a.territory_keys, a.service_types FROM activities a JOIN structures s ON s.id = a.structure_id
         WHERE s.siret = '90012670400015' ORDER BY a.position`,
      );
      expect(acts).toEqual([
        { sector_slug: 'collecte-dencombrants', territory_keys: ['D59'], service_types: ['BUILD', 'PREST'] },
        { sector_slug: 'recyclage-textiles', territory_keys: ['D59'], service_types: ['BUILD', 'PREST'] },
      ]);
      await importStructures(db, await readStructuresFile('csv', fixture('csv/structures.csv')));
      const contact = await db.one(
        `SELECT c.contact_name, c.email, c.phone FROM structure_private_contacts c JOIN structures s ON s.id = c.structure_id WHERE s.siret = '70000100000012'`,
      );
      expect(contact).toEqual({ contact_name: 'Alex Durand', email: 'alex.durand@prive.example.net', phone: '06 11 22 33 44' });
      const ea = await db.one<{ commune_code: string; active: boolean; networks: string[] }>(
        `SELECT commune_code, active, networks FROM structures WHERE siret = '70000103700014'`,
      );
      expect(ea).toEqual({ commune_code: '01053', active: false, networks: ['union-nationale-des-entreprises-adaptees'] });
    });
  });
});

describe('all or nothing', () => {
  const CSV_REJECTED = {
    3: 'INVALID_FIELD',
    4: 'DUPLICATE_SIRET',
    5: 'INVALID_SIRET',
    6: 'UNKNOWN_KIND',
    7: 'UNKNOWN_COMMUNE',
    8: 'MISSING_NAME',
    9: 'INVALID_FIELD',
    10: 'UNKNOWN_SECTOR',
    11: 'UNKNOWN_LABEL',
    12: 'INVALID_FIELD',
    13: 'INVALID_FIELD',
    14: 'INVALID_LINE',
    15: 'INVALID_FIELD',
    16: 'UNKNOWN_TERRITORY',
    17: 'INVALID_FIELD',
    18: 'INVALID_SIRET',
  };

  it('a file with rejected lines writes nothing, and says why for each line', async () => {
    await withDb(async (db) => {
      const report = await importStructures(db, await readStructuresFile('csv', fixture('csv/lignes-invalides.csv')));
      expect(report.applied).toBe(false);
      expect(Object.fromEntries(report.rejected.map((r) => [r.line, r.code]))).toEqual(CSV_REJECTED);
      expect(report.rejected.find((r) => r.line === 4)?.reason).toBe('SIRET en double dans le fichier (déjà ligne 2)');
      expect(report.created).toBe(1);
      expect(await count(db)).toBe(0);
    });
  });

  it('the same with the les emplois reader', async () => {
    await withDb(async (db) => {
      const report = await importStructures(db, await readStructuresFile('emplois', fixture('emplois/siaes-broken.json')));
      expect(Object.fromEntries(report.rejected.map((r) => [r.line, r.code]))).toEqual({
        1: 'UNKNOWN_KIND',
        2: 'UNKNOWN_KIND',
        3: 'INVALID_SIRET',
        4: 'MISSING_NAME',
        5: 'UNKNOWN_COMMUNE',
        6: 'INVALID_FIELD',
        8: 'DUPLICATE_SIRET',
        9: 'INVALID_RECORD',
      });
      expect(await count(db)).toBe(0);
    });
  });

  it('--accept-partial writes only the valid lines', async () => {
    await withDb(async (db) => {
      const report = await importStructures(db, await readStructuresFile('csv', fixture('csv/lignes-invalides.csv')), { acceptPartial: true });
      expect(report).toMatchObject({ applied: true, created: 1 });
      expect(report.rejected).toHaveLength(16);
      expect(await db.query(`SELECT siret, name FROM structures`)).toEqual([{ siret: '70000137000019', name: 'Structure valide' }]);
    });
  });

  it('--dry-run writes nothing but tells what would happen', async () => {
    await withDb(async (db) => {
      const lines = await readStructuresFile('emplois', fixture('emplois/siaes-page.json'));
      const report = await importStructures(db, lines, { dryRun: true });
      expect(report).toMatchObject({ dryRun: true, applied: false, created: 4 });
      expect(await count(db)).toBe(0);
      expect(await count(db, 'activities')).toBe(0);
    });
  });
});

describe('exports of imported files', () => {
  it('data·inclusion: every record is valid against the v1 schema, and no private contact is there', async () => {
    await withDb(async (db) => {
      await importSamples(db);
      const text = await exportText(db, 'data-inclusion');
      const records = JSON.parse(text) as Record<string, unknown>[];
      // Active structures only: the EA of Le Marché and the one of structures.csv are inactive.
      expect(records).toHaveLength(18 - 2);
      const ajv = new Ajv2020({ allErrors: true, strict: true });
      ajvFormats.default(ajv);
      const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'data/data-inclusion/v1/structure.json'), 'utf8')));
      for (const r of records) expect(validate(r) ? [] : validate.errors, String(r.id)).toEqual([]);
      for (const s of PRIVATE) expect(text).not.toContain(s);
    });
  });

  it('CSV: re-importing an export reports every line unchanged, and keeps the private contacts', async () => {
    await withDb(async (db) => {
      await importSamples(db);
      const text = await exportText(db, 'csv');
      for (const s of PRIVATE) expect(text).not.toContain(s);
      const file = path.join(tmp, 'export.csv');
      fs.writeFileSync(file, text);
      const lines = await readStructuresFile('csv', file);
      expect(lines).toHaveLength(18);
      expect(lines.filter((l) => l.error)).toEqual([]);
      const expected = { total: 18, created: 0, updated: 0, unchanged: 18, rejected: [] };
      expect(await importStructures(db, lines, { dryRun: true })).toMatchObject(expected);
      expect(await importStructures(db, lines)).toMatchObject(expected);
      // The export has no private contact: the stored ones are kept.
      expect(await count(db, 'structure_private_contacts')).toBe(2);
      // The export carries the provenance: re-importing keeps it.
      const sources = await db.query<{ source: string; n: number }>('SELECT source, count(*)::int AS n FROM structures GROUP BY source ORDER BY source');
      expect(sources).toEqual([
        { source: 'csv', n: 8 },
        { source: 'data-inclusion', n: 3 },
        { source: 'emplois', n: 4 },
        { source: 'marche', n: 3 },
      ]);
    });
  });
});
