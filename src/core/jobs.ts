// Background jobs: a queue in the `jobs` table, written in the transaction of the change that causes it
// (outbox), claimed with FOR UPDATE SKIP LOCKED under a lease, retried with exponential backoff.
// Runs on PGlite (one connection: statements are serialised) and on PostgreSQL (many processes).
import os from 'node:os';
import type { Queryable } from './db.ts';
import type { Platform } from './platform.ts';
import { sql } from './sql.ts';

export interface JobContext {
  platform: Platform;
  jobId: number;
  /** 1 for the first run, 2 for the first retry… */
  attempt: number;
}

export type JobHandler = (payload: any, ctx: JobContext) => Promise<void>;

interface Registered {
  handler: JobHandler;
  /** Empties the payload once the job is done (it may hold addresses, links with tokens…). */
  clearPayloadWhenDone: boolean;
}

const handlers = new Map<string, Registered>();

/**
 * Registers what runs jobs of a kind, in this process. A handler runs outside any transaction: it uses
 * `ctx.platform.db` and may open its own transaction, but must not call `platform.db` from inside it
 * (on PGlite the single connection would wait for itself).
 */
export function registerJobHandler(kind: string, handler: JobHandler, opts: { clearPayloadWhenDone?: boolean } = {}): void {
  handlers.set(kind, { handler, clearPayloadWhenDone: opts.clearPayloadWhenDone ?? false });
}

/** Queues a job with the caller's connection or transaction: it exists only if that transaction commits. */
export async function enqueue(q: Queryable, kind: string, payload: Record<string, unknown>, opts: { runAt?: Date; maxAttempts?: number } = {}): Promise<number> {
  const maxAttempts = opts.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Error(`maxAttempts must be a positive integer (got ${maxAttempts})`);
  const runAt = opts.runAt ? opts.runAt.toISOString() : null;
  const row = await q.one<{ id: number }>(sql`
    INSERT INTO jobs (kind, payload, run_at, max_attempts)
    VALUES (${kind}, ${JSON.stringify(payload)}::text::jsonb, coalesce(${runAt}::timestamptz, now()), ${maxAttempts})
    RETURNING id`);
  return Number(row!.id);
}

// ---------------------------------------------------------------------------------------------------
// Running jobs

/** How long a claimed job belongs to its process; past it (a crashed process), another one takes it. */
export const LEASE_MS = 5 * 60_000;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_MAX_MS = 60 * 60_000;
/** Finished jobs are deleted after this long (their payload may hold personal data). */
const RETENTION_DAYS = 30;

/** Delay before the next try after the n-th failed attempt: 30 s, 1 min, 2 min, 4 min… at most 1 h. */
export function backoffMs(attempt: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1), BACKOFF_MAX_MS);
}

interface ClaimedJob {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
}

export const defaultWorkerId = () => `${os.hostname()}:${process.pid}`;

/** Error text kept in `last_error` and in logs: the message only, e-mail addresses masked, bounded. */
export function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/[^\s<>"'(),;:@]+@[^\s<>"'(),;:@]+/g, '[adresse masquée]').slice(0, 1000);
}

const LEVELS = ['debug', 'info', 'warn', 'error'];
function log(platform: Platform, level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
  const configured = LEVELS.indexOf(platform.config.logLevel);
  // 'silent' (tests) and unknown levels above 'error' print nothing; 'trace' prints everything.
  if (platform.config.logLevel !== 'trace' && (configured < 0 || LEVELS.indexOf(level) < configured)) return;
  (level === 'error' || level === 'warn' ? console.error : console.log)(`[passerelles] ${message}`);
}

let lastPurge = 0;

// Hourly clean-ups other modules register (expired sessions and links, old rate-limit windows…).
const housekeeping = new Map<string, (platform: Platform) => Promise<void>>();

export function registerHousekeeping(name: string, fn: (platform: Platform) => Promise<void>): void {
  housekeeping.set(name, fn);
}

/** Runs every registered clean-up (hourly from the runners; tests call it directly). */
export async function runHousekeeping(platform: Platform): Promise<void> {
  for (const [name, fn] of housekeeping) {
    try {
      await fn(platform);
    } catch (err) {
      log(platform, 'error', `Nettoyage « ${name} » en échec : ${errorText(err)}`);
    }
  }
}

/** Housekeeping before a pass: jobs whose last attempt crashed are failed, old finished jobs deleted. */
async function sweep(platform: Platform): Promise<void> {
  const failed = await platform.db.query<{ id: number; kind: string }>(sql`
    UPDATE jobs SET status = 'failed', finished_at = now(), locked_until = NULL,
      last_error = 'Dernière tentative interrompue (processus arrêté pendant la tâche ou délai dépassé).'
    WHERE status = 'running' AND locked_until < now() AND attempts >= max_attempts
    RETURNING id, kind`);
  for (const j of failed) log(platform, 'error', `Tâche ${j.id} (${j.kind}) abandonnée : dernière tentative interrompue.`);
  if (Date.now() - lastPurge > 60 * 60_000) {
    lastPurge = Date.now();
    await platform.db.query(sql`
      DELETE FROM jobs WHERE status IN ('done', 'failed') AND finished_at < now() - ${RETENTION_DAYS}::int * interval '1 day'`);
    await runHousekeeping(platform);
  }
}

/** Takes one ready job (or one whose lease expired), atomically: never the same one as another process. */
async function claim(platform: Platform, workerId: string): Promise<ClaimedJob | undefined> {
  return platform.db.one<ClaimedJob>(sql`
    UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = ${workerId},
      locked_until = now() + ${LEASE_MS}::int * interval '1 millisecond'
    WHERE id = (
      SELECT id FROM jobs
      WHERE status IN ('pending', 'running') AND run_at <= now()
        AND (status = 'pending' OR (locked_until < now() AND attempts < max_attempts))
      ORDER BY run_at, id
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id, kind, payload, attempts, max_attempts`);
}

async function runOne(platform: Platform, job: ClaimedJob, workerId: string): Promise<void> {
  const registered = handlers.get(job.kind);
  // The claim (worker and attempt number) fences the outcome: a job taken over after its lease expired
  // is recorded by the run that holds it now.
  const mine = sql`id = ${job.id} AND status = 'running' AND locked_by = ${workerId} AND attempts = ${job.attempts}`;
  try {
    if (!registered) throw new Error(`Aucun traitement n’est enregistré pour les tâches « ${job.kind} » dans ce processus.`);
    await registered.handler(job.payload, { platform, jobId: job.id, attempt: job.attempts });
  } catch (err) {
    const message = errorText(err);
    const final = job.attempts >= job.max_attempts;
    const delay = backoffMs(job.attempts);
    const updated = await platform.db.query(sql`
      UPDATE jobs SET locked_until = NULL, last_error = ${message},
        ${final ? sql`status = 'failed', finished_at = now()${registered?.clearPayloadWhenDone ? sql`, payload = '{}'::jsonb` : sql``}` : sql`status = 'pending', run_at = now() + ${delay}::int * interval '1 millisecond'`}
      WHERE ${mine}
      RETURNING id`);
    if (!updated.length) log(platform, 'warn', `Tâche ${job.id} (${job.kind}) : délai dépassé, une autre exécution l’a reprise.`);
    else if (final) log(platform, 'error', `Tâche ${job.id} (${job.kind}) abandonnée après ${job.attempts} tentative(s) : ${message}`);
    else log(platform, 'warn', `Tâche ${job.id} (${job.kind}) en échec (tentative ${job.attempts}/${job.max_attempts}), nouvel essai dans ${Math.round(delay / 1000)} s : ${message}`);
    return;
  }
  const updated = await platform.db.query(sql`
    UPDATE jobs SET status = 'done', finished_at = now(), locked_until = NULL
      ${registered.clearPayloadWhenDone ? sql`, payload = '{}'::jsonb` : sql``}
    WHERE ${mine}
    RETURNING id`);
  if (!updated.length) log(platform, 'warn', `Tâche ${job.id} (${job.kind}) terminée après son délai : une autre exécution a pu la reprendre.`);
  else log(platform, 'debug', `Tâche ${job.id} (${job.kind}) faite.`);
}

/**
 * Claims and runs ready jobs, one at a time, until none is ready (or `limit` ran, or `signal` aborts).
 * Returns how many ran (succeeded or failed). Safe with any number of processes on the same database.
 */
export async function runReadyJobs(platform: Platform, opts: { workerId?: string; limit?: number; signal?: AbortSignal } = {}): Promise<number> {
  const workerId = opts.workerId ?? defaultWorkerId();
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  await sweep(platform);
  let ran = 0;
  while (ran < limit && !opts.signal?.aborted) {
    const job = await claim(platform, workerId);
    if (!job) break;
    await runOne(platform, job, workerId);
    ran++;
  }
  return ran;
}

// ---------------------------------------------------------------------------------------------------
// The runner: polls the queue in the background of a process (web server or `passerelles worker`).

export interface JobRunner {
  /** Stops polling and waits for the job in progress. */
  stop(): Promise<void>;
  /** Looks for ready jobs now (after a request queued some). */
  kick(): void;
}

const runners = new Set<JobRunner>();

export function startJobRunner(platform: Platform, opts: { pollMs?: number; workerId?: string } = {}): JobRunner {
  const pollMs = opts.pollMs ?? platform.config.jobsPollMs;
  const workerId = opts.workerId ?? defaultWorkerId();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | null = null;
  let loop: Promise<void> | null = null;
  let again = false;
  let lastFailure = { message: '', at: 0 };

  const schedule = (ms: number) => {
    if (controller.signal.aborted) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(pass, ms);
  };

  // One loop at a time: a kick during a pass asks for another pass right after it.
  function pass() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (controller.signal.aborted) return;
    if (loop) {
      again = true;
      return;
    }
    loop = (async () => {
      do {
        again = false;
        try {
          await runReadyJobs(platform, { workerId, signal: controller.signal });
          lastFailure = { message: '', at: 0 };
        } catch (err) {
          // The database may be restarting: say it (once a minute for the same error) and keep polling.
          const message = errorText(err);
          if (message !== lastFailure.message || Date.now() - lastFailure.at > 60_000) {
            log(platform, 'error', `Tâches de fond : la recherche de tâches a échoué, nouvel essai dans ${pollMs} ms : ${message}`);
            lastFailure = { message, at: Date.now() };
          }
        }
      } while (again && !controller.signal.aborted);
    })().finally(() => {
      loop = null;
      schedule(pollMs);
    });
  }

  const runner: JobRunner = {
    kick: () => pass(),
    async stop() {
      controller.abort();
      if (timer) clearTimeout(timer);
      timer = null;
      runners.delete(runner);
      await loop;
    },
  };
  runners.add(runner);
  schedule(0);
  return runner;
}

/** Kicks the runners of this process (none: nothing happens). Call it after committing queued jobs. */
export function kickJobs(): void {
  for (const r of runners) r.kick();
}
