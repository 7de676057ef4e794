// Mail: the French layout, delivery to the outbox (no SMTP_URL) exactly once per job, delivery to a real
// local SMTP server, and the /dev/mails pages (404 in production).
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../src/core/config.ts';
import type { Db } from '../src/core/db.ts';
import { installErrorHandling } from '../src/core/http.ts';
import { runReadyJobs } from '../src/core/jobs.ts';
import { queueMail, renderMail } from '../src/core/mail.ts';
import type { Platform } from '../src/core/platform.ts';
import { sql } from '../src/core/sql.ts';
import { devMailRoutes } from '../src/web/dev-mails.ts';
import { errorPage } from '../src/web/routes.ts';
import { createTestDb } from './helpers/db.ts';
import { startSmtp } from './helpers/smtp.ts';

const PUBLIC_URL = 'https://passerelles.example.gouv.fr/annuaire';
const configOf = (env: Record<string, string> = {}): Config =>
  loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DEMO: 'off', PUBLIC_URL, OPERATOR_NAME: 'DREETS Hauts-de-France', ...env });

let db: Db;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  await db.query('DELETE FROM jobs');
  await db.query('DELETE FROM mail_outbox');
});

const welcome = (to = 'marie.curie@example.org') =>
  renderMail(configOf(), {
    to,
    subject: 'Confirmez votre adresse <électronique> & "la suite"',
    greeting: 'Bonjour Marie,',
    paragraphs: ['Votre compte sur <Passerelles> est presque prêt.', 'Ce lien est valable 24 heures & ne sert qu’une fois.'],
    action: { label: 'Confirmer mon adresse', path: '/compte/confirmer?jeton=abc123&suite=/tableau-de-bord' },
    after: ['Si vous n’êtes pas à l’origine de cette demande, ignorez ce message.'],
  });

describe('renderMail', () => {
  it('gives a French text and HTML version in the layout, every value escaped, absolute links behind PUBLIC_URL', () => {
    const m = welcome();
    const link = `${PUBLIC_URL}/compte/confirmer?jeton=abc123&suite=/tableau-de-bord`;
    expect(m.to).toBe('marie.curie@example.org');
    expect(m.subject).toBe('Confirmez votre adresse <électronique> & "la suite"');

    expect(m.text).toContain('Bonjour Marie,\n\nVotre compte sur <Passerelles> est presque prêt.\n\n');
    expect(m.text).toContain(`Confirmer mon adresse :\n${link}\n`);
    expect(m.text).toContain('Passerelles — la plateforme territoriale de l’inclusion dans l’emploi');
    expect(m.text).toContain('Service opéré par DREETS Hauts-de-France.');
    expect(m.text).toContain('Vous recevez ce message parce que');
    expect(m.text).toContain('envoyé automatiquement');
    expect(m.text.split('\n').every((l) => l.length <= 76 || /^https?:\/\//.test(l))).toBe(true);

    expect(m.html).toMatch(/^<!doctype html>\n<html lang="fr">/);
    expect(m.html).toContain('<title>Confirmez votre adresse &lt;électronique&gt; &amp; &quot;la suite&quot;</title>');
    expect(m.html).toContain('Votre compte sur &lt;Passerelles&gt; est presque prêt.');
    expect(m.html).toContain('24 heures &amp; ne sert');
    expect(m.html).not.toContain('<Passerelles>');
    expect(m.html).toContain(`href="${link.replace(/&/g, '&amp;')}"`);
    expect(m.html).toContain('>Confirmer mon adresse</a>');
    expect(m.html).toContain(`href="${PUBLIC_URL}/"`);
    expect(m.html).toContain('DREETS Hauts-de-France');
    expect(m.html).toContain('envoyé automatiquement');
  });

  it('refuses a link that is not a path of the platform', () => {
    const attempt = (path: string) => () => renderMail(configOf(), { to: 'a@example.org', subject: 'x', paragraphs: [], action: { label: 'x', path } });
    expect(attempt('https://ailleurs.example.com/')).toThrow();
    expect(attempt('//ailleurs.example.com/')).toThrow();
    expect(attempt('compte')).toThrow();
  });

  it('keeps the layout without an operator nor an action', () => {
    const m = renderMail(configOf({ OPERATOR_NAME: '' }), { to: 'a@example.org', subject: 'Bienvenue', paragraphs: ['Texte.'] });
    expect(m.text.startsWith('Bonjour,\n\nTexte.\n\n-- \n')).toBe(true);
    expect(m.text).not.toContain('Service opéré');
  });
});

describe('delivery without SMTP_URL: the outbox', () => {
  it('keeps a queued mail in mail_outbox once, even when its job runs twice', async () => {
    const platform: Platform = { db, config: configOf() };
    // Queued in a transaction that rolls back: nothing.
    await expect(
      db.transaction(async (tx) => {
        await queueMail(tx, welcome('annule@example.org'));
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    const jobId = await db.transaction((tx) => queueMail(tx, welcome()));
    const queued = await db.one<{ payload: unknown }>(sql`SELECT payload FROM jobs WHERE id = ${jobId}`);

    expect(await runReadyJobs(platform)).toBe(1);
    // A crash between delivery and marking the job done: the job runs again with the same payload.
    await db.query(sql`UPDATE jobs SET status = 'pending', run_at = now() - interval '1 second', payload = ${JSON.stringify(queued!.payload)}::text::jsonb WHERE id = ${jobId}`);
    expect(await runReadyJobs(platform)).toBe(1);

    const rows = await db.query<{ job_id: number; to_address: string; subject: string; text_body: string; html_body: string }>('SELECT * FROM mail_outbox');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ job_id: jobId, to_address: 'marie.curie@example.org', subject: welcome().subject, text_body: welcome().text, html_body: welcome().html });
    // Once sent, the job no longer holds the message (address, link).
    expect(await db.one(sql`SELECT status, payload FROM jobs WHERE id = ${jobId}`)).toEqual({ status: 'done', payload: {} });
  });
});

// A minimal MIME reader: enough for nodemailer's multipart/alternative in UTF-8.
function unfoldHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return headers;
}
const qpBytes = (s: string) => Buffer.from(s.replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
      enc.toLowerCase() === 'b' ? Buffer.from(text, 'base64').toString('utf8') : qpBytes(text.replace(/_/g, ' ')),
    );
}
function decodeBody(body: string, encoding = '7bit'): string {
  const e = encoding.toLowerCase();
  if (e === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (e === 'quoted-printable') return qpBytes(body.replace(/=\r\n/g, '')).replace(/\r\n/g, '\n');
  return body.replace(/\r\n/g, '\n');
}
function parseMail(raw: string): { headers: Record<string, string>; subject: string; parts: Record<string, string> } {
  const split = raw.indexOf('\r\n\r\n');
  const headers = unfoldHeaders(raw.slice(0, split));
  const body = raw.slice(split + 4);
  const boundary = /boundary="?([^";]+)"?/.exec(headers['content-type'] ?? '')?.[1];
  const parts: Record<string, string> = {};
  const chunks = boundary ? body.split(`--${boundary}`).slice(1, -1) : [raw.slice(0, split) + '\r\n\r\n' + body];
  for (const chunk of chunks) {
    const c = chunk.replace(/^\r\n/, '');
    const at = c.indexOf('\r\n\r\n');
    const h = unfoldHeaders(c.slice(0, at));
    const type = (h['content-type'] ?? 'text/plain').split(';')[0].trim();
    parts[type] = decodeBody(c.slice(at + 4).replace(/\r\n$/, ''), h['content-transfer-encoding']);
  }
  return { headers, subject: decodeWords(headers.subject ?? ''), parts };
}

describe('delivery with SMTP_URL', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp.close();
  });

  it('sends a queued mail with nodemailer: To, Subject, text and HTML, a Message-ID from the job', async () => {
    const platform: Platform = { db, config: configOf({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'Passerelles <ne-pas-repondre@passerelles.example.gouv.fr>' }) };
    const message = welcome('jean.moulin@example.org');
    const jobId = await db.transaction((tx) => queueMail(tx, message));
    expect(await runReadyJobs(platform)).toBe(1);
    expect(await db.one(sql`SELECT status, attempts FROM jobs WHERE id = ${jobId}`)).toEqual({ status: 'done', attempts: 1 });
    // Nothing in the outbox: the SMTP server got it.
    expect((await db.query('SELECT 1 FROM mail_outbox')).length).toBe(0);

    expect(smtp.received).toHaveLength(1);
    const got = smtp.received[0];
    expect(got.rcpt).toEqual(['jean.moulin@example.org']);
    const mail = parseMail(got.raw);
    expect(mail.headers.to).toBe('jean.moulin@example.org');
    expect(mail.headers.from).toBe('Passerelles <ne-pas-repondre@passerelles.example.gouv.fr>');
    expect(mail.headers['message-id']).toBe(`<passerelles.job-${jobId}@passerelles.example.gouv.fr>`);
    expect(mail.headers['auto-submitted']).toBe('auto-generated');
    expect(mail.subject).toBe(message.subject);
    expect(mail.parts['text/plain']).toBe(message.text);
    expect(mail.parts['text/html']).toBe(message.html);
    expect(mail.parts['text/html']).toContain(`href="${PUBLIC_URL}/compte/confirmer?jeton=abc123&amp;suite=/tableau-de-bord"`);
  });

  it('retries when the SMTP server refuses the message, without the address in the error', async () => {
    const refusing = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      onRcptTo(address, _session, callback) {
        const err = Object.assign(new Error(`Boîte <${address.address}> pleine`), { responseCode: 452 });
        callback(err);
      },
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const port = (refusing.server.address() as AddressInfo).port;
      const platform: Platform = { db, config: configOf({ SMTP_URL: `smtp://127.0.0.1:${port}` }) };
      const jobId = await db.transaction((tx) => queueMail(tx, welcome('pleine@example.org')));
      expect(await runReadyJobs(platform)).toBe(1);
      const row = await db.one<{ status: string; attempts: number; last_error: string }>(sql`SELECT status, attempts, last_error FROM jobs WHERE id = ${jobId}`);
      expect(row).toMatchObject({ status: 'pending', attempts: 1 });
      expect(row!.last_error).not.toContain('pleine@example.org');
      expect(row!.last_error).toContain('[adresse masquée]');
    } finally {
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// /dev/mails

async function devApp(config: Config): Promise<FastifyInstance> {
  const platform: Platform = { db, config };
  const app = Fastify({ logger: false });
  installErrorHandling(app, errorPage(platform));
  await devMailRoutes(app, platform);
  await app.ready();
  return app;
}

describe('/dev/mails', () => {
  it('lists the outbox, newest first, and shows a message with its links', async () => {
    const platform: Platform = { db, config: configOf() };
    await db.transaction(async (tx) => {
      await queueMail(tx, renderMail(platform.config, { to: 'ancien@example.org', subject: 'Premier message', paragraphs: ['Bonjour.'] }));
    });
    await runReadyJobs(platform);
    await db.transaction((tx) => queueMail(tx, welcome('recent@example.org')));
    await runReadyJobs(platform);
    await db.query(`UPDATE mail_outbox SET created_at = created_at - interval '1 hour' WHERE subject = 'Premier message'`);

    const app = await devApp({ ...platform.config, devMails: true });
    try {
      const list = await app.inject('/dev/mails');
      expect(list.statusCode).toBe(200);
      expect(list.headers['content-type']).toContain('text/html');
      expect(list.body).toContain('<h1>Messages envoyés</h1>');
      expect(list.body).toContain('<caption>Messages, du plus récent au plus ancien</caption>');
      expect(list.body).toContain('<th scope="col">Destinataire</th>');
      expect(list.body).toContain('2 messages dans la boîte d’envoi.');
      const recent = list.body.indexOf('recent@example.org');
      const old = list.body.indexOf('ancien@example.org');
      expect(recent).toBeGreaterThan(0);
      expect(old).toBeGreaterThan(recent);
      expect(list.body).toContain('Confirmez votre adresse &lt;électronique&gt; &amp; &quot;la suite&quot;</a>');

      const id = (await db.one<{ id: number }>(`SELECT id FROM mail_outbox WHERE to_address = 'recent@example.org'`))!.id;
      expect(list.body).toContain(`href="/dev/mails/${id}"`);
      const page = await app.inject(`/dev/mails/${id}`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<h1>Confirmez votre adresse &lt;électronique&gt; &amp; &quot;la suite&quot;</h1>');
      expect(page.body).toContain('recent@example.org');
      const link = `${PUBLIC_URL}/compte/confirmer?jeton=abc123&amp;suite=/tableau-de-bord`;
      expect(page.body).toContain(`<li><a href="${link}">${link}</a></li>`);
      expect(page.body).toContain(`<li><a href="${PUBLIC_URL}/">${PUBLIC_URL}/</a></li>`);
      expect(page.body).toContain('<pre class="pl-mail-text fr-mb-3w">Bonjour Marie,\n\nVotre compte sur &lt;Passerelles&gt; est presque prêt.');

      expect((await app.inject('/dev/mails/999999')).statusCode).toBe(404);
      expect((await app.inject('/dev/mails/abc')).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('pages the list by 50', async () => {
    await db.query(`INSERT INTO mail_outbox (to_address, subject, text_body, html_body, created_at)
      SELECT 'p' || i || '@example.org', 'Message ' || i, 'texte', '<p>html</p>', now() - i * interval '1 minute' FROM generate_series(1, 55) AS i`);
    const app = await devApp(configOf({ DEV_MAILS: 'on' }));
    try {
      const first = await app.inject('/dev/mails');
      expect(first.body).toContain('55 messages');
      expect(first.body).toContain('>Message 1</a>');
      expect(first.body).toContain('>Message 50</a>');
      expect(first.body).not.toContain('>Message 51</a>');
      expect(first.body).toContain('href="/dev/mails?page=2"');
      const second = await app.inject('/dev/mails?page=2');
      expect(second.statusCode).toBe(200);
      expect(second.body).toContain('(page 2 sur 2)');
      expect(second.body).toContain('>Message 55</a>');
      expect(second.body).not.toContain('>Message 50</a>');
      expect((await app.inject('/dev/mails?page=abc')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('does not exist on a public address unless DEV_MAILS=on, nor with an SMTP server', async () => {
    await db.query(`INSERT INTO mail_outbox (to_address, subject, text_body, html_body) VALUES ('y@example.org', 'Lien', 't', 'h')`);
    for (const env of [{}, { DEV_MAILS: 'on', SMTP_URL: 'smtp://127.0.0.1:2525' }] as Record<string, string>[]) {
      const app = await devApp(configOf(env));
      try {
        const res = await app.inject('/dev/mails');
        expect(res.statusCode).toBe(404);
        expect(res.body).not.toContain('y@example.org');
      } finally {
        await app.close();
      }
    }
    expect(configOf({ PUBLIC_URL: 'http://localhost:3000' }).devMails).toBe(true);
    expect(configOf({ PUBLIC_URL: 'http://localhost:3000', NODE_ENV: 'production', DEV_MAILS: 'on' }).devMails).toBe(false);
  });

  it('does not exist in production', async () => {
    await db.query(`INSERT INTO mail_outbox (to_address, subject, text_body, html_body) VALUES ('x@example.org', 'Secret', 't', 'h')`);
    const id = (await db.one<{ id: number }>('SELECT id FROM mail_outbox'))!.id;
    const app = await devApp(configOf({ NODE_ENV: 'production' }));
    try {
      for (const url of ['/dev/mails', `/dev/mails/${id}`]) {
        const res = await app.inject(url);
        expect(res.statusCode).toBe(404);
        expect(res.body).toContain('Page non trouvée');
        expect(res.body).not.toContain('x@example.org');
      }
    } finally {
      await app.close();
    }
  });
});
