// Two web processes and one worker on the same PostgreSQL server send every mail exactly once.
// Real processes (`node bin/passerelles.js start|worker`), a real SMTP server in the test; PostgreSQL only
// (the embedded database belongs to one process).
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/core/config.ts';
import type { Db } from '../src/core/db.ts';
import { queueMail, renderMail } from '../src/core/mail.ts';
import { createTestDb } from './helpers/db.ts';
import { startSmtp, type TestSmtp } from './helpers/smtp.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/passerelles.js');
const MAILS = 300;
const BATCH = 25;

describe.skipIf(!process.env.TEST_DATABASE_URL)('exactly once with several processes', () => {
  let db: Db & { url?: string };
  let smtp: TestSmtp;
  let smtpPort = 0;
  const children: { name: string; child: ChildProcess; output: string[] }[] = [];

  beforeAll(async () => {
    db = await createTestDb();
    // A little latency on each message, so that the processes overlap.
    smtp = await startSmtp({ latencyMs: 4 });
    smtpPort = smtp.port;
  });

  afterAll(async () => {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await smtp?.close();
    await db?.close();
  });

  function start(name: string, command: 'start' | 'worker', ready: RegExp): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      DEMO: 'off',
      PORT: '0',
      HOST: '127.0.0.1',
      WEB_CONCURRENCY: '1',
      PUBLIC_URL: 'https://passerelles.example.gouv.fr',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      RUN_JOBS: 'on',
      JOBS_POLL_MS: '100',
    };
    const child = spawn(process.execPath, [BIN, command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    children.push({ name, child, output });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} not ready:\n${output.join('')}`)), 30_000);
      const onData = (chunk: Buffer) => {
        output.push(chunk.toString());
        if (ready.test(output.join(''))) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
      child.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${output.join('')}`)));
    });
  }

  function stop(c: { child: ChildProcess }): Promise<number | null> {
    return new Promise((resolve) => {
      if (c.child.exitCode !== null) return resolve(c.child.exitCode);
      const kill = setTimeout(() => c.child.kill('SIGKILL'), 10_000);
      c.child.once('exit', (code) => {
        clearTimeout(kill);
        resolve(code);
      });
      c.child.kill('SIGTERM');
    });
  }

  it('two web processes and a worker send each of 300 mails once', async () => {
    await Promise.all([start('web 1', 'start', /Prête en/), start('web 2', 'start', /Prête en/), start('worker', 'worker', /Worker prêt/)]);

    const config = loadConfig({ NODE_ENV: 'test', PUBLIC_URL: 'https://passerelles.example.gouv.fr' });
    const recipients = Array.from({ length: MAILS }, (_, i) => `personne-${i}@example.org`);
    // Queued in batches while the processes poll.
    for (let b = 0; b < MAILS; b += BATCH) {
      await db.transaction(async (tx) => {
        for (const to of recipients.slice(b, b + BATCH)) {
          await queueMail(tx, renderMail(config, { to, subject: `Message pour ${to}`, paragraphs: ['Un message de test.'], action: { label: 'Ouvrir', path: '/' } }));
        }
      });
      await new Promise((r) => setTimeout(r, 20));
    }

    // Each SMTP connection waits 100 ms for the greeting (smtp-server): about 10 s for 300 mails on 3 processes.
    const deadline = Date.now() + 30_000;
    while (smtp.received.length < MAILS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // A duplicate would arrive late: give it the time of a few polls.
    await new Promise((r) => setTimeout(r, 500));

    const diagnostics = children.map((c) => `--- ${c.name}\n${c.output.join('')}`).join('\n');
    expect(smtp.received.length, diagnostics).toBe(MAILS);
    const perRecipient = new Map<string, number>();
    for (const r of smtp.received) for (const to of r.rcpt) perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
    expect([...perRecipient.keys()].sort()).toEqual([...recipients].sort());
    expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);

    const jobs = await db.query<{ id: number; status: string; locked_by: string }>(`SELECT id, status, locked_by FROM jobs WHERE kind = 'mail.send'`);
    expect(jobs).toHaveLength(MAILS);
    expect(jobs.every((j) => j.status === 'done')).toBe(true);
    // Message-IDs are those of the jobs, each once.
    expect(new Set(smtp.received.map((r) => /^Message-ID:\s*(\S+)/im.exec(r.raw)?.[1] ?? ''))).toEqual(new Set(jobs.map((j) => `<passerelles.job-${j.id}@passerelles.example.gouv.fr>`)));
    // The work was shared: more than one process sent mail.
    expect(new Set(jobs.map((j) => j.locked_by)).size, diagnostics).toBeGreaterThanOrEqual(2);

    // Every process stops cleanly on SIGTERM.
    const codes = await Promise.all(children.map(stop));
    expect(codes, diagnostics).toEqual([0, 0, 0]);
  }, 120_000);
});
