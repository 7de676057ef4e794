// npm run bench:import — importing 10,000 structures (~23,000 activities) from a CSV file of our template:
// in process (read + validate + write) on PGlite and PostgreSQL, and through the CLI on PostgreSQL.
// Figures go to bench/results/import.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT_DIR } from '../src/core/config.ts';
import { generateDemo } from '../src/modules/directory/demo.ts';
import { exportStructures } from '../src/modules/directory/exports.ts';
import { readStructuresFile } from '../src/modules/directory/imports/index.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { freshDb, percentile, pgAvailable, writeResults } from './lib.ts';

const COUNT = Number(process.env.BENCH_STRUCTURES ?? 10000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

// The file: demo structures written by our own CSV export.
const { db: source } = await freshDb('pglite');
// Demo structures are never exported (fictitious data stays out of open data): take them as real ones.
const inputs = (await generateDemo(source, COUNT, 11)).map((input) => ({ ...input, isDemo: false, source: 'csv' }));
await importStructures(source, inputs.map((input, i) => ({ line: i + 1, input })));
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'passerelles-import-')), 'structures.csv');
const out = fs.createWriteStream(file);
const written = await exportStructures(source, 'csv', out);
await new Promise<void>((resolve) => out.end(resolve));
await source.close();
console.log(`file: ${written} structures, ${(fs.statSync(file).size / 1e6).toFixed(1)} MB (${file})`);

const engines: ('pglite' | 'pg')[] = ['pglite'];
if (await pgAvailable()) engines.push('pg');
const results: Record<string, unknown>[] = [];
for (const engine of engines) {
  const times: number[] = [];
  const second: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const { db } = await freshDb(engine, 'passerelles_bench_import');
    const t0 = performance.now();
    const lines = await readStructuresFile('csv', file);
    const report = await importStructures(db, lines);
    const t1 = performance.now();
    if (report.created !== COUNT || report.rejected.length) throw new Error(`unexpected report ${JSON.stringify({ ...report, rejected: report.rejected.slice(0, 3) })}`);
    // The same file again: everything unchanged.
    const again = await importStructures(db, await readStructuresFile('csv', file));
    const t2 = performance.now();
    if (again.unchanged !== COUNT) throw new Error('second import changed something');
    times.push((t1 - t0) / 1000);
    second.push((t2 - t1) / 1000);
    await db.close();
  }
  const r = { engine, runs: RUNS, firstImportMedianSeconds: percentile(times, 50), secondImportMedianSeconds: percentile(second, 50), firstImportSeconds: times };
  console.log(`${engine}: first import median ${r.firstImportMedianSeconds.toFixed(1)} s, same file again ${r.secondImportMedianSeconds.toFixed(1)} s`);
  results.push(r);
}

let cli: Record<string, unknown> | null = null;
if (engines.includes('pg')) {
  const { db, url } = await freshDb('pg', 'passerelles_bench_cli');
  await db.close();
  const t0 = performance.now();
  const r = spawnSync('node', [path.join(ROOT_DIR, 'bin/passerelles.js'), 'import', 'structures', '--format', 'csv', file], {
    env: { ...process.env, DATABASE_URL: url },
    encoding: 'utf8',
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`CLI failed: ${r.stderr}`);
  cli = { engine: 'pg', seconds, command: 'passerelles import structures --format csv FILE' };
  console.log(`CLI on PostgreSQL (whole command, start-up included): ${seconds.toFixed(1)} s`);
}
console.log(`written ${writeResults('import', { structures: COUNT, results, cli })}`);
