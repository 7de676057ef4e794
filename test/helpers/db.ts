// Test databases: a fresh one per test file, on PGlite (default) or on the server of TEST_DATABASE_URL.
// Both start from a template prepared once per run by test/global-setup.ts (migrations + reference data).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { type Db, openPg, openPglite } from '../../src/core/db.ts';

export const TEMPLATE_DIR = path.resolve(import.meta.dirname, '../../node_modules/.cache/passerelles-test');
export const PGLITE_TEMPLATE = path.join(TEMPLATE_DIR, 'pglite-template.tar');
// One template per checkout: test runs of two checkouts on one server do not drop each other's template.
export const PG_TEMPLATE_DB = `passerelles_template_${crypto.createHash('sha256').update(path.resolve(import.meta.dirname, '../..')).digest('hex').slice(0, 8)}`;

export const serverUrl = () => process.env.TEST_DATABASE_URL || null;

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

let counter = 0;

/** A fresh, migrated database with reference data; close() also drops it on a server. */
export async function createTestDb(): Promise<Db & { url?: string }> {
  const url = serverUrl();
  if (!url) {
    const blob = new Blob([fs.readFileSync(PGLITE_TEMPLATE)]);
    return openPglite(null, { loadDataDir: blob });
  }
  const name = `passerelles_t_${process.pid}_${Date.now()}_${counter++}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${PG_TEMPLATE_DB}`);
  await admin.end();
  const dbUrl = withDatabase(url, name);
  const db = await openPg(dbUrl);
  const close = db.close;
  return Object.assign(db, {
    url: dbUrl,
    close: async () => {
      await close();
      const a = new pg.Client({ connectionString: url });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  });
}
