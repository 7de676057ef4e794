// Past responsiveness of every structure in ONE aggregate query over need_recipients: how many needs were
// sent to it in the last months, and how many got an answer (interested, not interested, or looking for
// partners). The engine keeps the figures with its other per-process facts (see engine.ts).
import type { Queryable } from '../../core/db.ts';
import { MATCHING } from './weights.ts';

export interface Responsiveness {
  sent: number;
  answered: number;
}

const ANSWERED = 'interested_at IS NOT NULL OR not_interested_at IS NOT NULL OR partners_at IS NOT NULL';

/** structure id → {sent, answered}; structures never contacted are absent. */
export async function loadResponsiveness(db: Queryable, now = new Date()): Promise<Map<string, Responsiveness>> {
  const { months, graceDays } = MATCHING.responsiveness;
  const since = new Date(now);
  since.setMonth(since.getMonth() - months);
  const grace = new Date(now.getTime() - graceDays * 86_400_000);
  const rows = await db.query<{ structure_id: string; sent: number; answered: number }>(
    `SELECT structure_id, count(*)::int AS sent, count(*) FILTER (WHERE ${ANSWERED})::int AS answered
       FROM need_recipients
      WHERE sent_at >= $1 AND (sent_at < $2 OR ${ANSWERED})
      GROUP BY structure_id`,
    [since.toISOString(), grace.toISOString()],
  );
  return new Map(rows.map((r) => [r.structure_id, { sent: r.sent, answered: r.answered }]));
}

/** 0–1, smoothed: (answered + prior) / (sent + 2·prior); 0.5 for a structure never contacted. */
export function responsivenessScore(r: Responsiveness | undefined): number {
  const k = MATCHING.responsiveness.prior;
  const sent = r?.sent ?? 0;
  const answered = r?.answered ?? 0;
  return (answered + k) / (sent + 2 * k);
}

/** « A répondu à 3 des 4 besoins reçus ces 12 derniers mois », or the neutral case. */
export function responsivenessReason(r: Responsiveness | undefined): string {
  const m = MATCHING.responsiveness.months;
  if (!r || r.sent === 0) return `Aucun besoin reçu ces ${m} derniers mois : réactivité neutre`;
  const besoins = r.sent > 1 ? 'besoins reçus' : 'besoin reçu';
  return `A répondu à ${r.answered} ${r.sent > 1 ? 'des' : 'sur'} ${r.sent} ${besoins} ces ${m} derniers mois`;
}
