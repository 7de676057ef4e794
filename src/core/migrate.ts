// Plain, ordered SQL migrations (migrations/NNNN_name.sql), applied once each, on both drivers.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from './config.ts';
import type { Db } from './db.ts';

export const MIGRATIONS_DIR = path.join(ROOT_DIR, 'migrations');

export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  // Several processes may start together on an empty server: the same lock guards the first table.
  await db.transaction(async (tx) => {
    if (db.driver === 'pg') await tx.query('SELECT pg_advisory_xact_lock(727274)');
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  });
  const done = new Set((await db.query<{ name: string }>('SELECT name FROM schema_migrations')).map((r) => r.name));
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort();
  const applied: string[] = [];
  for (const file of files) {
    if (done.has(file)) continue;
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    await db.transaction(async (tx) => {
      // A server shared by several processes: serialise migrations with an advisory lock.
      if (db.driver === 'pg') await tx.query('SELECT pg_advisory_xact_lock(727274)');
      const again = await tx.one('SELECT 1 FROM schema_migrations WHERE name = $1', [file]);
      if (again) return;
      await tx.exec(text);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
    });
    applied.push(file);
  }
  return applied;
}
