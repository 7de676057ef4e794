// One SQL dialect, two drivers: embedded PGlite (default) or a PostgreSQL server (DATABASE_URL).
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from './errors.ts';
import { Sql } from './sql.ts';

export type Row = Record<string, unknown>;
export type Query = Sql | string;

export interface Queryable {
  query<T = Row>(q: Query, values?: unknown[]): Promise<T[]>;
  one<T = Row>(q: Query, values?: unknown[]): Promise<T | undefined>;
  exec(text: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly driver: 'pglite' | 'pg';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** PGlite only: a snapshot of the whole database (tests start from it). */
  dump?: () => Promise<Blob>;
}

function compile(q: Query, values?: unknown[]): { text: string; values: unknown[] } {
  if (typeof q === 'string') return { text: q, values: values ?? [] };
  return q.compile();
}

// Same JS types from both drivers: int8 and numeric as numbers, dates as 'YYYY-MM-DD' strings.
const parseNumber = (v: string) => (v === null ? null : Number(v));
const keepString = (v: string) => v;

function wrap(run: (text: string, values: unknown[]) => Promise<Row[]>, execText: (t: string) => Promise<void>): Queryable {
  return {
    async query<T>(q: Query, values?: unknown[]) {
      const c = compile(q, values);
      return (await run(c.text, c.values)) as T[];
    },
    async one<T>(q: Query, values?: unknown[]) {
      const c = compile(q, values);
      return (await run(c.text, c.values))[0] as T | undefined;
    },
    exec: execText,
  };
}

export async function openPglite(dataDir: string | null, opts: { loadDataDir?: Blob } = {}): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const { unaccent } = await import('@electric-sql/pglite/contrib/unaccent');
  const unlock = dataDir ? lockDataDir(dataDir) : () => {};
  const pg = await PGlite.create({
    dataDir: dataDir ? path.join(dataDir, 'pglite') : undefined,
    extensions: { pg_trgm, unaccent },
    parsers: { 20: parseNumber, 1700: parseNumber, 1082: keepString },
    loadDataDir: opts.loadDataDir,
  });
  const run = async (text: string, values: unknown[]) => (await pg.query<Row>(text, values)).rows;
  const base = wrap(run, async (t) => {
    await pg.exec(t);
  });
  return {
    ...base,
    driver: 'pglite',
    transaction: (fn) =>
      pg.transaction(async (tx) =>
        fn(
          wrap(
            async (text, values) => (await tx.query<Row>(text, values)).rows,
            async (t) => {
              await tx.exec(t);
            },
          ),
        ),
      ),
    close: async () => {
      await pg.close();
      unlock();
    },
    dump: async () => (await pg.dumpDataDir('none')) as Blob,
  } as Db;
}

/**
 * The embedded database belongs to one process at a time: a second one (a CLI import while the server
 * runs) would corrupt it. A lock file with the owner's pid says so clearly.
 */
function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'pglite.lock');
  const inUse = (pid: number) =>
    new AppError(
      'DATABASE_IN_USE',
      `La base embarquée (${dataDir}) est utilisée par un autre processus (pid ${pid}). Arrêtez-le, ou utilisez un serveur PostgreSQL avec DATABASE_URL.`,
      409,
    );
  for (let attempt = 0; ; attempt++) {
    try {
      // 'wx' creates the file only if it does not exist: two processes cannot both take the lock.
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(file, 'utf8'));
      if (pid === process.pid) break; // this process already holds it
      if (pid && isAlive(pid)) throw inUse(pid);
      if (attempt > 0) throw inUse(pid);
      fs.rmSync(file, { force: true }); // left by a process that died: take it over, once
    }
  }
  const release = () => {
    try {
      if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.unlinkSync(file);
    } catch {}
  };
  process.once('exit', release);
  return release;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function openPg(url: string, max = 10): Promise<Db> {
  const pgmod = (await import('pg')).default;
  const types = pgmod.types;
  const pool = new pgmod.Pool({
    connectionString: url,
    max,
    types: {
      getTypeParser: (oid: number, format?: string) => {
        if (oid === 20 || oid === 1700) return parseNumber;
        if (oid === 1082) return keepString;
        return types.getTypeParser(oid, format as 'text');
      },
    } as never,
  });
  // An idle connection the server closes (restart, administrator, database dropped) is an 'error' event
  // of the pool: without a listener it would crash the process. The pool opens a new one when needed;
  // a query that was running gets its own error.
  pool.on('error', () => {});
  const run = async (text: string, values: unknown[]) => (await pool.query(text, values)).rows as Row[];
  const base = wrap(run, async (t) => {
    await pool.query(t);
  });
  return {
    ...base,
    driver: 'pg',
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(
          wrap(
            async (text, values) => (await client.query(text, values)).rows as Row[],
            async (t) => {
              await client.query(t);
            },
          ),
        );
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

export async function openDb(opts: { databaseUrl: string | null; dataDir: string | null }): Promise<Db> {
  return opts.databaseUrl ? openPg(opts.databaseUrl) : openPglite(opts.dataDir);
}
