// Sending a validated need to the structures that match it, in batches: at most `batch_size` per run,
// at most `daily_limit` in any 24 hours, until enough structures are interested, the answer deadline
// passes, the buyer closes it or nobody is left. One row per (need, structure), inserted with
// ON CONFLICT DO NOTHING under a lock of the need: two runs at once never send twice.
// Every function takes `now` so that tests drive the clock.
import type { Queryable } from '../../core/db.ts';
import { audit } from '../../core/audit.ts';
import { enqueue, registerJobHandler } from '../../core/jobs.ts';
import { queueMail } from '../../core/mail.ts';
import type { Platform } from '../../core/platform.ts';
import { sign, signingKey } from '../../core/signing.ts';
import { matchNeed } from '../matching/service.ts';
import type { Match } from '../matching/model.ts';
import type { ClosedReason } from './model.ts';
import { criteriaOf, findNeed, type Need } from './repository.ts';
import { needSentMail } from './answer-mails.ts';

export const NEEDS_SEND_KIND = 'needs.send';
export const RECIPIENT_PURPOSE = 'need-recipient';
const DAY_MS = 24 * 3600_000;

/** Today's date in France (YYYY-MM-DD): an answer deadline is a French calendar day. */
export function frenchDay(now: Date): string {
  return new Intl.DateTimeFormat('fr-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** The answer deadline is over once its day has ended in France. */
export const deadlinePassed = (n: Pick<Need, 'answerDeadline'>, now: Date) => n.answerDeadline !== null && frenchDay(now) > n.answerDeadline;

/** Links of a need live until 30 days after its answer deadline (90 days from now without a deadline). */
export function linkExpiry(n: Pick<Need, 'answerDeadline'>, now: Date): Date {
  if (n.answerDeadline) return new Date(Date.parse(`${n.answerDeadline}T23:59:59Z`) + 30 * DAY_MS);
  return new Date(now.getTime() + 90 * DAY_MS);
}

/** The personal, login-free link of a structure to a need (path with its token). */
export function recipientPath(key: Buffer, n: Pick<Need, 'id' | 'answerDeadline'>, structureId: string, now: Date): string {
  const jeton = sign(key, RECIPIENT_PURPOSE, `${n.id}:${structureId}`, linkExpiry(n, now));
  return `/besoins/${n.id}/structure/${structureId}?jeton=${encodeURIComponent(jeton)}`;
}

/**
 * Where the platform writes to a structure: its team on the platform (the administrators of its
 * organisation, or its members when no administrator has a confirmed address) and its public address;
 * the private contact the platform knows only when there is neither.
 */
export async function structureAddresses(q: Queryable, structureIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!structureIds.length) return out;
  const rows = await q.query<{ structure_id: string; email: string; rank: number }>(
    `SELECT structure_id, lower(trim(email)) AS email, min(rank) AS rank FROM (
       SELECT o.structure_id, p.email, CASE WHEN m.role = 'admin' THEN 1 ELSE 2 END AS rank FROM organisations o
         JOIN memberships m ON m.organisation_id = o.id
         JOIN people p ON p.id = m.person_id AND p.email_confirmed_at IS NOT NULL
        WHERE o.structure_id = ANY($1::uuid[])
       UNION ALL
       SELECT id, public_email, 3 FROM structures WHERE id = ANY($1::uuid[]) AND coalesce(trim(public_email), '') <> ''
       UNION ALL
       SELECT structure_id, email, 4 FROM structure_private_contacts WHERE structure_id = ANY($1::uuid[]) AND coalesce(trim(email), '') <> ''
     ) x GROUP BY structure_id, lower(trim(email)) ORDER BY structure_id, min(rank), lower(trim(email))`,
    [structureIds],
  );
  const byStructure = new Map<string, { email: string; rank: number }[]>();
  for (const r of rows) {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(r.email)) continue;
    const list = byStructure.get(r.structure_id) ?? [];
    list.push({ email: r.email, rank: r.rank });
    byStructure.set(r.structure_id, list);
  }
  for (const [id, list] of byStructure) {
    // The team: its administrators, or its members when no administrator has a confirmed address.
    const admins = list.filter((x) => x.rank === 1);
    const team = admins.length ? admins : list.filter((x) => x.rank === 2);
    const direct = [...team, ...list.filter((x) => x.rank === 3 && !team.some((t) => t.email === x.email))];
    out.set(id, (direct.length ? direct : list.filter((x) => x.rank === 4)).map((x) => x.email));
  }
  return out;
}

export type SendResult =
  | { outcome: 'closed'; reason: ClosedReason }
  /** Nothing to do (not validated yet, rejected, already closed, unknown). */
  | { outcome: 'skipped'; status: string | null }
  | { outcome: 'sent'; sent: number; batch: number; nextRunAt: Date }
  /** The daily limit is reached: the next run is when it frees. */
  | { outcome: 'waiting'; nextRunAt: Date };

async function close(q: Queryable, n: Need, reason: ClosedReason, now: Date): Promise<SendResult> {
  await q.query(`UPDATE needs SET status = 'closed', closed_at = $2, closed_reason = $3, updated_at = $2 WHERE id = $1`, [n.id, now.toISOString(), reason]);
  await audit(q, { actorId: null, actorKind: 'system', action: 'need.closed', targetType: 'need', targetId: n.id, organisationId: n.buyerOrganisationId, before: { status: n.status }, after: { status: 'closed', closedReason: reason } });
  return { outcome: 'closed', reason };
}

/** Queues the next run unless one is already waiting (two runs at once leave one successor). */
async function scheduleNext(q: Queryable, needId: string, runAt: Date): Promise<void> {
  const pending = await q.one(`SELECT 1 FROM jobs WHERE kind = $1 AND status = 'pending' AND payload->>'needId' = $2`, [NEEDS_SEND_KIND, needId]);
  if (!pending) await enqueue(q, NEEDS_SEND_KIND, { needId }, { runAt });
}

/** Queues the first run of a need (the facilitator's validation calls `enqueue` the same way). */
export const queueSending = (q: Queryable, needId: string, runAt?: Date) => enqueue(q, NEEDS_SEND_KIND, { needId }, runAt ? { runAt } : {});

/** Time between two batches: as many batches a day as the daily limit holds, spread over the day. */
export const batchIntervalMs = (n: Pick<Need, 'batchSize' | 'dailyLimit'>) => Math.ceil(DAY_MS / Math.max(1, Math.floor(n.dailyLimit / Math.max(1, n.batchSize))));

/**
 * One run of the sending of a need: stop conditions, the pace, then the next batch and the next run.
 * `force` sends the next batch without waiting for the pace (a facilitator's "send now"); the daily
 * limit still holds.
 */
export async function runSending(p: Platform, needId: string, now = new Date(), opts: { force?: boolean } = {}): Promise<SendResult> {
  const before = await findNeed(p.db, needId);
  if (!before || (before.status !== 'validated' && before.status !== 'sending')) return { outcome: 'skipped', status: before?.status ?? null };

  // Matching reads the directory outside the transaction (on PGlite the transaction holds the only
  // connection); what it found is checked again under the lock.
  const known = await p.db.query<{ structure_id: string }>(`SELECT structure_id FROM need_recipients WHERE need_id = $1`, [needId]);
  const room = Math.max(before.batchSize, 1);
  const matches = deadlinePassed(before, now)
    ? { total: 0, items: [] as Match[] }
    : await matchNeed(p, criteriaOf(before), { exclude: known.map((r) => r.structure_id), limit: room * 3 + 20 });
  const addresses = await structureAddresses(p.db, matches.items.map((m) => m.structureId));
  const key = await signingKey(p.db);

  return p.db.transaction(async (tx) => {
    const n = await findNeed(tx, needId, { lock: true });
    if (!n || (n.status !== 'validated' && n.status !== 'sending')) return { outcome: 'skipped', status: n?.status ?? null } as SendResult;
    const counts = await tx.one<{ interested: number; sent_24h: number; oldest_24h: Date | string | null; batch: number | null }>(
      `SELECT count(*) FILTER (WHERE interested_at IS NOT NULL)::int AS interested,
              count(*) FILTER (WHERE source = 'matching' AND sent_at > $2::timestamptz - interval '24 hours' AND sent_at <= $2::timestamptz)::int AS sent_24h,
              min(sent_at) FILTER (WHERE source = 'matching' AND sent_at > $2::timestamptz - interval '24 hours' AND sent_at <= $2::timestamptz) AS oldest_24h,
              max(batch) AS batch
         FROM need_recipients WHERE need_id = $1`,
      [needId, now.toISOString()],
    );
    const c = counts as NonNullable<typeof counts>;
    if (c.interested >= n.enoughInterested) return close(tx, n, 'enough_interested', now);
    if (deadlinePassed(n, now)) return close(tx, n, 'deadline', now);

    // A run before its time (a duplicate job, two runs at once) waits for the pace.
    if (!opts.force && n.lastSentAt) {
      const due = new Date(new Date(n.lastSentAt).getTime() + batchIntervalMs(n));
      if (now < due) {
        await scheduleNext(tx, needId, due);
        return { outcome: 'waiting', nextRunAt: due } as SendResult;
      }
    }

    const already = new Set((await tx.query<{ structure_id: string }>(`SELECT structure_id FROM need_recipients WHERE need_id = $1`, [needId])).map((r) => r.structure_id));
    const candidates = matches.items.filter((m) => !already.has(m.structureId) && (addresses.get(m.structureId)?.length ?? 0) > 0);
    if (!candidates.length) {
      // Everybody was contacted: the need closes once the first batches went out (the answers stay open).
      return close(tx, n, 'nobody_left', now);
    }
    const allowed = Math.min(n.batchSize, n.dailyLimit - c.sent_24h);
    if (allowed <= 0) {
      const frees = new Date(new Date(c.oldest_24h as string).getTime() + DAY_MS);
      await scheduleNext(tx, needId, frees);
      return { outcome: 'waiting', nextRunAt: frees } as SendResult;
    }

    const batch = (c.batch ?? 0) + 1;
    let sent = 0;
    for (const m of candidates) {
      if (sent >= allowed) break;
      const inserted = await tx.one<{ id: string }>(
        `INSERT INTO need_recipients (need_id, structure_id, source, score, reasons, batch, sent_at)
         VALUES ($1, $2, 'matching', $3, $4::text::jsonb, $5, $6)
         ON CONFLICT (need_id, structure_id) DO NOTHING RETURNING id`,
        [needId, m.structureId, Math.round(m.score), JSON.stringify(m.reasons), batch, now.toISOString()],
      );
      if (!inserted) continue;
      sent++;
      const path = recipientPath(key, n, m.structureId, now);
      for (const to of addresses.get(m.structureId) ?? []) {
        await queueMail(tx, needSentMail(p.config, { to, need: n, structureName: m.name, reasons: m.reasons, path }));
      }
    }
    await tx.query(
      `UPDATE needs SET status = 'sending', first_sent_at = coalesce(first_sent_at, $2), last_sent_at = CASE WHEN $3 THEN $2 ELSE last_sent_at END, updated_at = $2 WHERE id = $1`,
      [needId, now.toISOString(), sent > 0],
    );
    if (n.status === 'validated') {
      await audit(tx, { actorId: null, actorKind: 'system', action: 'need.sending_started', targetType: 'need', targetId: n.id, organisationId: n.buyerOrganisationId, after: { batch, sent } });
    }
    // The pace, and never before the daily limit frees.
    let next = new Date(now.getTime() + batchIntervalMs(n));
    if (c.sent_24h + sent >= n.dailyLimit) {
      const oldest = c.oldest_24h ? new Date(c.oldest_24h as string) : now;
      const frees = new Date(oldest.getTime() + DAY_MS);
      if (frees > next) next = frees;
    }
    await scheduleNext(tx, needId, next);
    return { outcome: 'sent', sent, batch, nextRunAt: next } as SendResult;
  });
}

registerJobHandler(NEEDS_SEND_KIND, async (payload: { needId?: unknown }, ctx) => {
  if (typeof payload?.needId !== 'string') return;
  await runSending(ctx.platform, payload.needId);
});
