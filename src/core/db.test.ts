// The embedded database belongs to one process: a live owner is refused, a dead one's lock is taken over.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPg, openPglite } from './db.ts';
import { AppError } from './errors.ts';

describe('embedded database lock', () => {
  it('refuses a data folder locked by a live process, takes over a stale lock, and releases it on close', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelles-lock-'));
    const lock = path.join(dir, 'pglite.lock');
    fs.writeFileSync(lock, String(process.ppid)); // the test runner's parent: alive
    const err = await openPglite(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('DATABASE_IN_USE');
    expect((err as AppError).message).toContain('DATABASE_URL');

    fs.writeFileSync(lock, '999999'); // no such process
    const db = await openPglite(dir);
    expect(fs.readFileSync(lock, 'utf8')).toBe(String(process.pid));
    expect((await db.one<{ one: number }>('SELECT 1 AS one'))?.one).toBe(1);
    await db.close();
    expect(fs.existsSync(lock)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('PostgreSQL server', () => {
  it('survives the server closing an idle connection, and opens a new one', async () => {
    const db = await openPg(process.env.TEST_DATABASE_URL!, 2);
    const admin = await openPg(process.env.TEST_DATABASE_URL!, 1);
    try {
      const pid = (await db.one<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!.pid;
      const crashes: unknown[] = [];
      const onUncaught = (e: unknown) => crashes.push(e);
      process.on('uncaughtException', onUncaught);
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      process.off('uncaughtException', onUncaught);
      expect(crashes).toEqual([]);
      expect((await db.one<{ one: number }>('SELECT 1 AS one'))?.one).toBe(1);
    } finally {
      await db.close();
      await admin.close();
    }
  });
});
