// Scheduled fetch of notices: when NOTICES_FETCH_URL is set, every NOTICES_FETCH_HOURS the file it
// serves is streamed to disk, then read and imported like `passerelles import notices`. Nothing is
// fetched by default. One process fetches at a time (the run row is claimed in a transaction).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../core/errors.ts';
import { registerHousekeeping } from '../../core/jobs.ts';
import type { Platform } from '../../core/platform.ts';
import { sql } from '../../core/sql.ts';
import { readNotices } from './formats/read.ts';
import { NOTICE_FORMATS, type NoticeFormat } from './model.ts';
import { type ImportReport, importNotices } from './service.ts';

/** The address without user name or password (what is stored and logged). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(adresse invalide)';
  }
}

/**
 * Fetches and imports when a fetch is due at `now` (or when forced). Returns the report, or null when
 * nothing was due or no address is configured.
 */
export async function fetchNoticesIfDue(p: Platform, opts: { now?: Date; force?: boolean } = {}): Promise<ImportReport | null> {
  const url = p.config.noticesFetchUrl;
  if (!url) return null;
  const format = p.config.noticesFetchFormat as NoticeFormat;
  if (!NOTICE_FORMATS.includes(format)) throw new AppError('UNKNOWN_FORMAT', `NOTICES_FETCH_FORMAT doit valoir ${NOTICE_FORMATS.join(', ')}.`);
  const now = opts.now ?? new Date();
  const since = new Date(now.getTime() - p.config.noticesFetchHours * 3600_000);
  // Claim the run: a row is written only when no run started within the period.
  const run = await p.db.transaction(async (tx) => {
    await tx.query(sql`SELECT pg_advisory_xact_lock(hashtext('notice-fetch'))`);
    if (!opts.force) {
      const recent = await tx.one(sql`SELECT id FROM notice_fetches WHERE started_at > ${since.toISOString()}::timestamptz LIMIT 1`);
      if (recent) return null;
    }
    return tx.one<{ id: number }>(sql`INSERT INTO notice_fetches (url, format, started_at) VALUES (${safeUrl(url)}, ${format}, ${now.toISOString()}) RETURNING id`);
  });
  if (!run) return null;
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'passerelles-avis-'));
  try {
    // Credentials in the address become a Basic authorization header (fetch refuses them in URLs).
    const target = new URL(url);
    const headers: Record<string, string> = {};
    if (target.username || target.password) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
    }
    const res = await fetch(safeUrl(url), { headers, signal: AbortSignal.timeout(30 * 60_000) });
    if (!res.ok || !res.body) throw new Error(`réponse HTTP ${res.status}`);
    const file = path.join(dir, format === 'boamp-xml' || format === 'eforms' ? 'avis.xml' : 'avis.json');
    await pipeline(Readable.fromWeb(res.body as never), fs.createWriteStream(file));
    const report = await importNotices(p.db, readNotices(format, file));
    await p.db.query(sql`UPDATE notice_fetches SET finished_at = now(), report = ${JSON.stringify({ ...report, rejected: report.rejected.slice(0, 1000) })}::text::jsonb WHERE id = ${run.id}`);
    return report;
  } catch (error) {
    await p.db.query(sql`UPDATE notice_fetches SET finished_at = now(), error = ${(error as Error).message.slice(0, 500)} WHERE id = ${run.id}`);
    throw error;
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

// Not awaited: a large file must not hold up the mail of the job runner. A failure is kept in its
// notice_fetches row (error), and the next period tries again.
registerHousekeeping('notice-fetch', async (platform) => {
  void fetchNoticesIfDue(platform).catch(() => {});
});
