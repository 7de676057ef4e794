// Benchmark helpers: fresh databases on both engines, percentiles, results files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ROOT_DIR } from '../src/core/config.ts';
import { type Db, openPg, openPglite } from '../src/core/db.ts';
import { migrate } from '../src/core/migrate.ts';
import { seedReferentials } from '../src/modules/referentials/service.ts';

export const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function pgAvailable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** A fresh, migrated database with reference data. */
export async function freshDb(engine: 'pglite' | 'pg', name = 'passerelles_bench'): Promise<{ db: Db; url?: string; dataDir?: string }> {
  if (engine === 'pglite') {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelles-bench-'));
    const db = await openPglite(dataDir);
    await migrate(db);
    await seedReferentials(db);
    return { db, dataDir };
  }
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = await openPg(url, 10);
  await migrate(db);
  await seedReferentials(db);
  return { db, url };
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

export const ms = (x: number) => `${x.toFixed(1)} ms`;

export function writeResults(name: string, data: unknown): string {
  const dir = path.join(ROOT_DIR, 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, ...(data as object) }, null, 2)}\n`);
  return file;
}
