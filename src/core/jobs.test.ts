// The job queue on a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL): outbox semantics,
// retries with backoff, final failure, leases of crashed processes, concurrent runners.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb } from '../../test/helpers/db.ts';
import { loadConfig } from './config.ts';
import type { Db } from './db.ts';
import { backoffMs, enqueue, errorText, kickJobs, registerJobHandler, runReadyJobs, startJobRunner } from './jobs.ts';
import type { Platform } from './platform.ts';
import { sql } from './sql.ts';

let db: Db;
let platform: Platform;

interface JobRow {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: Date;
  locked_until: Date | null;
  locked_by: string | null;
  last_error: string | null;
  finished_at: Date | null;
}

const job = async (id: number) => (await db.one<JobRow>(sql`SELECT * FROM jobs WHERE id = ${id}`))!;
/** Makes a job ready now, as if its backoff delay had passed (no sleeping in tests). */
const makeReady = (id: number) => db.query(sql`UPDATE jobs SET run_at = now() - interval '1 second' WHERE id = ${id}`);

beforeAll(async () => {
  db = await createTestDb();
  platform = { db, config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DEMO: 'off' }) };
});

afterAll(async () => {
  await db.close();
});

// Each test starts from an empty queue.
beforeEach(async () => {
  await db.query('DELETE FROM jobs');
});

describe('enqueue', () => {
  it('writes the job in the caller’s transaction: nothing is queued when it rolls back', async () => {
    registerJobHandler('test.noop', async () => {});
    await expect(
      db.transaction(async (tx) => {
        await enqueue(tx, 'test.noop', { n: 1 });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect((await db.query('SELECT id FROM jobs')).length).toBe(0);

    const id = await db.transaction((tx) => enqueue(tx, 'test.noop', { n: 2, nested: { é: 'à' } }, { maxAttempts: 3 }));
    const row = await job(id);
    expect(row).toMatchObject({ kind: 'test.noop', payload: { n: 2, nested: { é: 'à' } }, status: 'pending', attempts: 0, max_attempts: 3 });
    expect(await runReadyJobs(platform)).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'done', attempts: 1, locked_until: null });
    expect((await job(id)).finished_at).toBeInstanceOf(Date);
  });

  it('keeps a job for later with runAt', async () => {
    const id = await enqueue(db, 'test.noop', {}, { runAt: new Date(Date.now() + 3_600_000) });
    expect(await runReadyJobs(platform)).toBe(0);
    await makeReady(id);
    expect(await runReadyJobs(platform)).toBe(1);
  });
});

describe('runReadyJobs', () => {
  it('retries a failing job with exponential backoff, then succeeds', async () => {
    const seen: number[] = [];
    registerJobHandler('test.flaky', async (payload: { failures: number }, ctx) => {
      seen.push(ctx.attempt);
      if (ctx.attempt <= payload.failures) throw new Error(`panne n° ${ctx.attempt} pour jeanne.dupont@example.org`);
    });
    const id = await enqueue(db, 'test.flaky', { failures: 2 });

    const before = Date.now();
    expect(await runReadyJobs(platform)).toBe(1);
    let row = await job(id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, locked_until: null });
    // No address in the stored error.
    expect(row.last_error).toBe('panne n° 1 pour [adresse masquée]');
    const firstDelay = row.run_at.getTime() - before;
    expect(firstDelay).toBeGreaterThan(backoffMs(1) - 5_000);
    expect(firstDelay).toBeLessThan(backoffMs(1) + 5_000);
    // Not ready yet: nothing runs.
    expect(await runReadyJobs(platform)).toBe(0);

    await makeReady(id);
    const second = Date.now();
    expect(await runReadyJobs(platform)).toBe(1);
    row = await job(id);
    expect(row).toMatchObject({ status: 'pending', attempts: 2 });
    // The delay doubled.
    expect(row.run_at.getTime() - second).toBeGreaterThan(backoffMs(2) - 5_000);
    expect(backoffMs(2)).toBe(2 * backoffMs(1));

    await makeReady(id);
    expect(await runReadyJobs(platform)).toBe(1);
    row = await job(id);
    expect(row).toMatchObject({ status: 'done', attempts: 3 });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('backoff grows and is capped', () => {
    expect([1, 2, 3, 4].map(backoffMs)).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(backoffMs(30)).toBe(3_600_000);
  });

  it('fails a job for good after max attempts, keeping the last error', async () => {
    registerJobHandler('test.broken', async () => {
      throw new Error('toujours en panne');
    });
    const id = await enqueue(db, 'test.broken', {}, { maxAttempts: 2 });
    await runReadyJobs(platform);
    await makeReady(id);
    await runReadyJobs(platform);
    const row = await job(id);
    expect(row).toMatchObject({ status: 'failed', attempts: 2, last_error: 'toujours en panne', locked_until: null });
    expect(row.finished_at).toBeInstanceOf(Date);
    await makeReady(id);
    expect(await runReadyJobs(platform)).toBe(0);
  });

  it('fails a job of an unknown kind with a clear error', async () => {
    const id = await enqueue(db, 'test.nobody-knows', {}, { maxAttempts: 1 });
    expect(await runReadyJobs(platform)).toBe(1);
    expect(await job(id)).toMatchObject({
      status: 'failed',
      last_error: 'Aucun traitement n’est enregistré pour les tâches « test.nobody-knows » dans ce processus.',
    });
  });

  it('takes over a job whose process crashed once its lease expired', async () => {
    let runs = 0;
    registerJobHandler('test.counted', async () => {
      runs++;
    });
    const id = await enqueue(db, 'test.counted', {});
    // A process claimed it and died: running, with a lease still valid…
    await db.query(sql`UPDATE jobs SET status = 'running', attempts = 1, locked_by = 'mort:1', locked_until = now() + interval '1 minute' WHERE id = ${id}`);
    expect(await runReadyJobs(platform)).toBe(0);
    // …then expired.
    await db.query(sql`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = ${id}`);
    expect(await runReadyJobs(platform, { workerId: 'vivant:2' })).toBe(1);
    expect(runs).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'done', attempts: 2, locked_by: 'vivant:2' });
  });

  it('fails a crashed job that had no attempt left instead of running it again', async () => {
    let runs = 0;
    registerJobHandler('test.last-chance', async () => {
      runs++;
    });
    const id = await enqueue(db, 'test.last-chance', {}, { maxAttempts: 1 });
    await db.query(sql`UPDATE jobs SET status = 'running', attempts = 1, locked_by = 'mort:1', locked_until = now() - interval '1 second' WHERE id = ${id}`);
    expect(await runReadyJobs(platform)).toBe(0);
    expect(runs).toBe(0);
    expect(await job(id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await job(id)).last_error).toContain('interrompue');
  });

  it('does not record the outcome of a run whose job was taken over', async () => {
    const id = await enqueue(db, 'test.slow', {});
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    registerJobHandler('test.slow', async (_p, ctx) => {
      if (ctx.attempt === 1) {
        started();
        await gate;
      }
    });
    const slow = runReadyJobs(platform, { workerId: 'lent:1' });
    await running;
    // Its lease expires while it still runs; another process takes the job over and finishes it.
    await db.query(sql`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = ${id}`);
    expect(await runReadyJobs(platform, { workerId: 'rapide:2' })).toBe(1);
    release();
    await slow;
    expect(await job(id)).toMatchObject({ status: 'done', attempts: 2, locked_by: 'rapide:2' });
  });

  it('honours limit', async () => {
    for (let i = 0; i < 3; i++) await enqueue(db, 'test.noop', { i });
    expect(await runReadyJobs(platform, { limit: 2 })).toBe(2);
    expect(await runReadyJobs(platform)).toBe(1);
  });

  it('runs every job exactly once with two runners in parallel', async () => {
    const runs = new Map<number, string[]>();
    registerJobHandler('test.parallel', async (_p, ctx) => {
      // Let the other runner interleave.
      await new Promise((r) => setTimeout(r, 2));
      runs.set(ctx.jobId, [...(runs.get(ctx.jobId) ?? []), 'x']);
    });
    await db.transaction(async (tx) => {
      for (let i = 0; i < 50; i++) await enqueue(tx, 'test.parallel', { i });
    });
    const [a, b] = await Promise.all([runReadyJobs(platform, { workerId: 'a' }), runReadyJobs(platform, { workerId: 'b' })]);
    expect(a + b).toBe(50);
    expect(runs.size).toBe(50);
    expect([...runs.values()].every((r) => r.length === 1)).toBe(true);
    const rows = await db.query<{ status: string; locked_by: string; n: number }>('SELECT status, locked_by, count(*)::int AS n FROM jobs GROUP BY 1, 2');
    expect(rows.every((r) => r.status === 'done')).toBe(true);
    // On PostgreSQL both runners took jobs (two connections); PGlite serialises them.
    if (db.driver === 'pg') expect(new Set(rows.map((r) => r.locked_by)).size).toBe(2);
  });

  it('clears the payload of a done job when the handler asks for it', async () => {
    registerJobHandler('test.secret', async () => {}, { clearPayloadWhenDone: true });
    const id = await enqueue(db, 'test.secret', { link: 'https://exemple/jeton' });
    await runReadyJobs(platform);
    expect(await job(id)).toMatchObject({ status: 'done', payload: {} });
  });
});

describe('errorText', () => {
  it('keeps the message only, addresses masked', () => {
    expect(errorText(new Error('550 <marie@example.fr>: Recipient address rejected'))).toBe('550 <[adresse masquée]>: Recipient address rejected');
    expect(errorText('texte')).toBe('texte');
  });
});

describe('startJobRunner', () => {
  it('polls, runs when kicked, survives a failing poll and stops after the job in progress', async () => {
    const done: number[] = [];
    registerJobHandler('test.runner', async (p: { i: number }) => {
      await new Promise((r) => setTimeout(r, 20));
      done.push(p.i);
    });
    const runner = startJobRunner(platform, { pollMs: 60_000, workerId: 'runner' });
    try {
      // The first pass runs at once on an empty queue; later jobs wait for the next poll (a minute) unless kicked.
      await new Promise((r) => setTimeout(r, 50));
      await enqueue(db, 'test.runner', { i: 1 });
      kickJobs();
      kickJobs(); // a second kick during the pass does not start a second loop
      await waitFor(() => done.length === 1);
      expect(done).toEqual([1]);

      // A failing poll (the table is briefly unreadable) is logged and the runner keeps going.
      const failing: Platform = { ...platform, db: { ...db, query: async () => Promise.reject(new Error('base indisponible')), one: db.one } as Db };
      const broken = startJobRunner(failing, { pollMs: 20, workerId: 'broken' });
      await new Promise((r) => setTimeout(r, 80));
      await broken.stop();

      await enqueue(db, 'test.runner', { i: 2 });
      runner.kick();
      await waitFor(() => done.length === 2);
    } finally {
      await runner.stop();
    }
    // Stopped: a new job is left for the next process.
    const id = await enqueue(db, 'test.runner', { i: 3 });
    kickJobs();
    await new Promise((r) => setTimeout(r, 100));
    expect((await job(id)).status).toBe('pending');
  });

  it('stop() waits for the job in progress', async () => {
    let finished = false;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    registerJobHandler('test.long', async () => {
      started();
      await new Promise((r) => setTimeout(r, 150));
      finished = true;
    });
    const id = await enqueue(db, 'test.long', {});
    await enqueue(db, 'test.long', {});
    const runner = startJobRunner(platform, { pollMs: 60_000 });
    await running;
    await runner.stop();
    expect(finished).toBe(true);
    expect((await job(id)).status).toBe('done');
    // The second job was not started after stop().
    expect((await db.query(`SELECT 1 FROM jobs WHERE status = 'pending'`)).length).toBe(1);
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
}
