// Prepares, once per test run, a template database (migrations + reference data) for the selected driver.
import fs from 'node:fs';
import pg from 'pg';
import { openPg, openPglite } from '../src/core/db.ts';
import { migrate } from '../src/core/migrate.ts';
import { seedReferentials } from '../src/modules/referentials/service.ts';
import { PG_TEMPLATE_DB, PGLITE_TEMPLATE, serverUrl, TEMPLATE_DIR, withDatabase } from './helpers/db.ts';

export default async function setup() {
  const url = serverUrl();
  const t0 = Date.now();
  if (!url) {
    const db = await openPglite(null);
    await migrate(db);
    await seedReferentials(db);
    const blob = await db.dump?.();
    await db.close();
    fs.mkdirSync(TEMPLATE_DIR, { recursive: true });
    fs.writeFileSync(PGLITE_TEMPLATE, Buffer.from(await (blob as Blob).arrayBuffer()));
    console.log(`[tests] PGlite template ready in ${Date.now() - t0} ms`);
    return;
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${PG_TEMPLATE_DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${PG_TEMPLATE_DB}`);
  await admin.end();
  const db = await openPg(withDatabase(url, PG_TEMPLATE_DB), 2);
  await migrate(db);
  await seedReferentials(db);
  await db.close();
  console.log(`[tests] PostgreSQL template ready in ${Date.now() - t0} ms (${url.replace(/\/\/[^@]*@/, '//')})`);
}
