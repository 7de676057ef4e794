// The passerelles command as a person runs it: `node bin/passerelles.js import|export structures …`,
// on its own database (a PGlite directory in DATA_DIR, or a database of TEST_DATABASE_URL).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../src/core/db.ts';
import { createTestDb, PGLITE_TEMPLATE, serverUrl } from './helpers/db.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/passerelles.js');
const fixture = (p: string) => path.join(ROOT, 'test/fixtures/structures', p);
const MODELE = path.join(ROOT, 'docs/modele-structures.csv');
const TIMEOUT = 180_000;

let dataDir: string;
let env: NodeJS.ProcessEnv;
let closeDb: (() => Promise<void>) | null = null;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelles-cli-'));
  env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', PUBLIC_URL: 'https://passerelles.example.gouv.fr', NODE_ENV: 'test' };
  if (serverUrl()) {
    const db = await createTestDb();
    env.DATABASE_URL = db.url;
    closeDb = () => db.close();
  } else {
    // Start from the migrated template rather than migrating in the first command.
    const db = await openPglite(dataDir, { loadDataDir: new Blob([fs.readFileSync(PGLITE_TEMPLATE)]) });
    await db.close();
  }
}, TIMEOUT);

afterAll(async () => {
  await closeDb?.();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// The commands share one database and run in order.
describe('passerelles import / export structures', () => {
  it('refuses a file with rejected lines: exit code 1, nothing written, a French report', async () => {
    const r = await run('import', 'structures', '--format', 'csv', fixture('csv/lignes-invalides.csv'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Import refusé : rien n’a été écrit');
    expect(r.stdout).toContain('  rejetées      : 16');
    expect(r.stdout).toContain('    ligne 3 (SIRET 70000140700019) : colonne « etp » : nombre attendu (reçu : « abc ») [INVALID_FIELD]');
    expect(r.stdout).toContain('    ligne 4 (SIRET 70000137000019) : SIRET en double dans le fichier (déjà ligne 2) [DUPLICATE_SIRET]');
  }, TIMEOUT);

  it('--dry-run tells what would be created and writes nothing', async () => {
    const r = await run('import', 'structures', '--format', 'csv', '--dry-run', MODELE);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Simulation (--dry-run) : rien n’a été écrit.');
    expect(r.stdout).toContain('  créées        : 3');
  }, TIMEOUT);

  it('imports, then a second import changes nothing (--json report)', async () => {
    const first = await run('import', 'structures', '--format', 'csv', MODELE);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Import appliqué.');
    expect(first.stdout).toContain('  créées        : 3');
    const second = await run('import', 'structures', '--format', 'csv', '--json', MODELE);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ total: 3, created: 0, updated: 0, unchanged: 3, rejected: [], applied: true, dryRun: false });
  }, TIMEOUT);

  it('--accept-partial writes the valid lines and exits 0', async () => {
    const r = await run('import', 'structures', '--format', 'csv', '--accept-partial', fixture('csv/lignes-invalides.csv'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Import appliqué.');
    expect(r.stdout).toContain('  créées        : 1');
    expect(r.stdout).toContain('  rejetées      : 16');
  }, TIMEOUT);

  it('refuses unusable files with exit code 2 and a French message', async () => {
    const encoding = await run('import', 'structures', '--format', 'csv', fixture('csv/windows-1252.csv'));
    expect(encoding.code).toBe(2);
    expect(encoding.stderr).toMatch(/^Erreur : Le fichier n’est pas encodé en UTF-8 \(octet 0xE9 invalide à la position \d+, ligne 3\).*\[BAD_ENCODING\]/);
    const columns = await run('import', 'structures', '--format', 'csv', fixture('csv/colonnes-manquantes.csv'));
    expect(columns.code).toBe(2);
    expect(columns.stderr).toContain('Colonnes obligatoires absentes : type, commune (ou code_insee)');
    expect(columns.stderr).toContain('[MISSING_COLUMNS]');
  }, TIMEOUT);

  it('imports the other formats', async () => {
    const emplois = await run('import', 'structures', '--format', 'emplois', fixture('emplois/siaes-pages.json'));
    expect(emplois.code).toBe(0);
    expect(emplois.stdout).toContain('  créées        : 3');
    const di = await run('import', 'structures', '--format', 'data-inclusion', fixture('data-inclusion/structures.json'));
    expect(di.code).toBe(1);
    expect(di.stdout).toContain('    ligne 4 (SIRET 90020589400018) : aucun réseau porteur ne correspond à un type de structure de l’annuaire (reçu : mission-locale) [UNKNOWN_KIND]');
  }, TIMEOUT);

  it('exports CSV to a file and data·inclusion to stdout, without private contacts', async () => {
    const out = path.join(dataDir, 'annuaire.csv');
    const csv = await run('export', 'structures', '--format', 'csv', '--out', out);
    expect(csv.code).toBe(0);
    expect(csv.stderr).toContain(`7 structures exportées dans ${out}.`);
    const text = fs.readFileSync(out, 'utf8');
    expect(text.startsWith('\uFEFFsiret;nom;enseigne;type;')).toBe(true);
    expect(text).not.toContain('c.martin@tremplin-proprete.example.org');
    const di = await run('export', 'structures', '--format', 'data-inclusion');
    expect(di.code).toBe(0);
    const records = JSON.parse(di.stdout) as { id: string; lien_source: string; courriel: string | null }[];
    expect(records).toHaveLength(7);
    expect(records.every((r) => r.lien_source.startsWith('https://passerelles.example.gouv.fr/structures/'))).toBe(true);
    expect(di.stdout).not.toContain('Camille Martin');
    expect(di.stdout).not.toContain('06 00 00 00 01');
  }, TIMEOUT);
});

describe('passerelles classify / import notices', () => {
  const notices = (p: string) => path.join(ROOT, 'test/fixtures/notices', p);

  it('classify prints one JSON object per notice, without a database', async () => {
    const r = await run('classify', 'notices', '--format', 'boamp', notices('boamp.jsonl'), '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(['24-101234', '24-102345', '24-103456', '24-105678', '24-106789']);
    for (const l of lines) expect(Object.keys(l)).toEqual(['source', 'id', 'reserved', 'socialClause', 'socialCriterion', 'environmental', 'insertionHours', 'findings', 'lots']);
    expect(lines[4]).toMatchObject({ source: 'boamp', reserved: ['unspecified'] });
  }, TIMEOUT);

  it('import reports a broken line once, with its position and code, keeps the others, and a day that does not exist does not stop it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelles-cli-notices-'));
    const bad = JSON.stringify({ idweb: '26-00777', objet: 'Nettoyage', dateparution: '2017-02-30', donnees: JSON.stringify({ OBJET: { OBJET_COMPLET: 'Nettoyage des locaux.' } }) });
    fs.writeFileSync(path.join(dir, 'a.jsonl'), fs.readFileSync(notices('broken/bad-line.jsonl'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'b.jsonl'), `${bad}\n`);
    const r = await run('import', 'notices', '--format', 'boamp', dir);
    expect(r.code).toBe(0);
    const report = r.stdout.split('\n');
    expect(report).toContain('  créés               : 3');
    const rejected = report.filter((l) => l.includes('[NOTICE_JSON_INVALID]'));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatch(/^ {4}a\.jsonl, ligne 2 : JSON illisible/);
    const again = await run('import', 'notices', '--format', 'boamp', dir);
    expect(again.stdout).toContain('  inchangés           : 3');
    fs.rmSync(dir, { recursive: true, force: true });
  }, TIMEOUT);
});
