// The outcome of a need, asked to the buyer after the answer deadline (hourly job, signed link of 90 days):
// awarded or not, to which structure or groupement, for how much. It feeds the impact figures.
import { z } from 'zod';
import { audit } from '../../core/audit.ts';
import type { Queryable } from '../../core/db.ts';
import { AppError, notFound } from '../../core/errors.ts';
import { kickJobs, registerHousekeeping } from '../../core/jobs.ts';
import { queueMail } from '../../core/mail.ts';
import type { Platform } from '../../core/platform.ts';
import { sign, signingKey, verify } from '../../core/signing.ts';
import type { Actor } from '../accounts/model.ts';
import { authorize } from '../accounts/policy.ts';
import { OUTCOME_LINK_DAYS, outcomeMail, outcomePath } from './follow-mails.ts';
import { isNeedBuyer } from './policy.ts';
import { findNeed, type Need, toNeed } from './repository.ts';

const DAY_MS = 24 * 3600 * 1000;

export const OUTCOME_AWARDED = ['yes', 'no', 'not_yet'] as const;
export type OutcomeAwarded = (typeof OUTCOME_AWARDED)[number];
export const OUTCOME_AWARDED_LABEL: Record<OutcomeAwarded, string> = { yes: 'Oui', no: 'Non', not_yet: 'Pas encore' };

export const OutcomeInputSchema = z.object({
  awarded: z.enum(OUTCOME_AWARDED).describe('Le marché a-t-il été attribué ? yes, no, not_yet (pas encore)'),
  structureId: z.uuid().nullish().describe('Structure attributaire, parmi celles qui se sont dites intéressées (ou ont cherché des partenaires)'),
  consortiumId: z.uuid().nullish().describe('Groupement attributaire, parmi ceux formés pour ce besoin'),
  amount: z.number().nonnegative().max(1e12).nullish().describe('Montant attribué, en euros hors taxes'),
});
export type OutcomeInput = z.infer<typeof OutcomeInputSchema>;

export interface OutcomeChoices {
  structures: { id: string; name: string }[];
  consortia: { id: string; name: string }[];
}

/** Who may be named as the awardee: the structures that said interested or looked for partners, and the groupements. */
export async function outcomeChoices(q: Queryable, needId: string): Promise<OutcomeChoices> {
  const structures = await q.query<{ id: string; name: string }>(
    `SELECT s.id, s.name FROM need_recipients r JOIN structures s ON s.id = r.structure_id
     WHERE r.need_id = $1 AND (r.interested_at IS NOT NULL OR r.partners_at IS NOT NULL) ORDER BY s.name, s.id`,
    [needId],
  );
  const consortia = await q.query<{ id: string; lead: string; members: number }>(
    `SELECT c.id, s.name AS lead,
       (SELECT count(*)::int FROM consortium_members m WHERE m.consortium_id = c.id AND m.status = 'accepted' AND m.structure_id <> c.lead_structure_id) AS members
     FROM consortia c JOIN structures s ON s.id = c.lead_structure_id WHERE c.need_id = $1 ORDER BY s.name, c.id`,
    [needId],
  );
  return {
    structures,
    consortia: consortia.map((c) => ({ id: c.id, name: `Groupement mené par ${c.lead}${c.members ? ` (${c.members} co-traitant${c.members > 1 ? 's' : ''})` : ''}` })),
  };
}

// ---------------------------------------------------------------------------------------------------
// The signed link

export function outcomeToken(key: Buffer, needId: string, now = new Date()): string {
  return sign(key, 'need-outcome', needId, new Date(now.getTime() + OUTCOME_LINK_DAYS * DAY_MS));
}

/** Refuses an altered or foreign link (403) and an expired one (410), in French. */
export async function checkOutcomeToken(q: Queryable, needId: string, token: string, now = new Date()): Promise<void> {
  const r = verify(await signingKey(q), 'need-outcome', needId, token, now);
  if (r.ok) return;
  if (r.reason === 'expired') throw new AppError('LINK_EXPIRED', 'Ce lien a expiré. Connectez-vous pour indiquer le résultat de votre besoin.', 410);
  throw new AppError('LINK_INVALID', 'Ce lien n’est pas valide : il a peut-être été mal copié. Connectez-vous pour indiquer le résultat de votre besoin.', 403);
}

/** Who answers: the buyer signed in (or its API token), or whoever holds the signed link of the mail. */
export type OutcomeAuthor = { actor: Actor; token?: string | null };

/** The need whose outcome may be given by this author (throws 401/403/404/410). */
export async function needForOutcome(q: Queryable, author: OutcomeAuthor, needId: string, now = new Date()): Promise<Need> {
  const need = await findNeed(q, needId);
  if (author.token) {
    await checkOutcomeToken(q, needId, author.token, now);
    if (!need) throw notFound('Ce besoin d’achat n’existe pas.');
    return need;
  }
  if (!need) throw notFound('Ce besoin d’achat n’existe pas.');
  authorize(author.actor, isNeedBuyer(author.actor, need), 'Seul l’acheteur du besoin indique son résultat.');
  return need;
}

/** Records (or updates) the outcome; audited. */
export async function recordOutcome(p: Platform, author: OutcomeAuthor, needId: string, raw: unknown, now = new Date()): Promise<Need> {
  const parsed = OutcomeInputSchema.safeParse(raw);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? 'awarded');
    const message = field === 'amount' ? 'Le montant doit être un nombre positif, en euros.' : field === 'awarded' ? 'Dites si le marché a été attribué.' : 'Choix d’attributaire invalide.';
    throw new AppError('VALIDATION_FAILED', message, 422, { field, fields: { [field]: message } });
  }
  const input = parsed.data;
  await needForOutcome(p.db, author, needId, now);
  return p.db.transaction(async (tx) => {
    const need = (await findNeed(tx, needId, { lock: true })) as Need;
    if (!need.firstSentAt) throw new AppError('NEED_NOT_SENT', 'Ce besoin n’a encore été envoyé à aucune structure : il n’a pas de résultat à indiquer.', 409);
    const awarded = input.awarded === 'yes';
    if (awarded && input.structureId && input.consortiumId) {
      throw new AppError('VALIDATION_FAILED', 'Choisissez une structure ou un groupement, pas les deux.', 422, { field: 'awardee' });
    }
    const choices = await outcomeChoices(tx, needId);
    if (awarded && input.structureId && !choices.structures.some((s) => s.id === input.structureId)) {
      throw new AppError('VALIDATION_FAILED', 'Cette structure ne s’est pas dite intéressée par ce besoin : choisissez « une autre structure ».', 422, { field: 'structureId' });
    }
    if (awarded && input.consortiumId && !choices.consortia.some((c) => c.id === input.consortiumId)) {
      throw new AppError('VALIDATION_FAILED', 'Ce groupement n’a pas été formé pour ce besoin.', 422, { field: 'consortiumId' });
    }
    const after = {
      awarded: input.awarded,
      structureId: awarded ? (input.structureId ?? null) : null,
      consortiumId: awarded ? (input.consortiumId ?? null) : null,
      amount: awarded ? (input.amount ?? null) : null,
    };
    const row = await tx.one<Record<string, unknown>>(
      `UPDATE needs SET outcome_awarded = $2, outcome_structure_id = $3, outcome_consortium_id = $4, outcome_amount = $5,
         outcome_answered_at = $6::timestamptz, updated_at = $6::timestamptz
       WHERE id = $1 RETURNING *`,
      [needId, after.awarded, after.structureId, after.consortiumId, after.amount, now.toISOString()],
    );
    const actor = author.actor;
    await audit(tx, {
      actorId: actor.person?.id ?? null,
      actorKind: actor.person ? 'person' : actor.token ? 'api_token' : 'signed_link',
      action: need.outcomeAnsweredAt ? 'need.outcome_updated' : 'need.outcome_given',
      targetType: 'need',
      targetId: needId,
      organisationId: need.buyerOrganisationId,
      before: need.outcomeAnsweredAt
        ? { awarded: need.outcomeAwarded, structureId: need.outcomeStructureId, consortiumId: need.outcomeConsortiumId, amount: need.outcomeAmount }
        : undefined,
      after,
    });
    return toNeed(row as Record<string, unknown>);
  });
}

// ---------------------------------------------------------------------------------------------------
// The hourly question

function parisDay(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/**
 * Mails the outcome question to the buyers of the needs whose answer deadline passed at least a day ago
 * (the deadline day ended, then one more day), that were sent to structures and not asked yet. Once per
 * need: `outcome_asked_at` is set in the transaction that queues the mail. Returns how many were asked.
 */
export async function askOutcomes(p: Platform, now = new Date()): Promise<number> {
  const due = await p.db.query<{ id: string }>(
    `SELECT id FROM needs
     WHERE outcome_asked_at IS NULL AND first_sent_at IS NOT NULL AND NOT is_demo
       AND answer_deadline IS NOT NULL AND answer_deadline <= $1::date - 2
       AND status IN ('sending', 'closed')
     ORDER BY answer_deadline, id LIMIT 500`,
    [parisDay(now)],
  );
  if (!due.length) return 0;
  const key = await signingKey(p.db);
  let asked = 0;
  for (const { id } of due) {
    const done = await p.db.transaction(async (tx) => {
      const row = await tx.one<Record<string, unknown>>(
        `UPDATE needs SET outcome_asked_at = $2::timestamptz WHERE id = $1 AND outcome_asked_at IS NULL RETURNING *`,
        [id, now.toISOString()],
      );
      if (!row) return false;
      const need = toNeed(row);
      const author = need.authorId ? await tx.one<{ email: string }>('SELECT email FROM people WHERE id = $1', [need.authorId]) : undefined;
      const to = need.contactEmail || author?.email;
      if (to) await queueMail(tx, outcomeMail(p.config, need, outcomePath(outcomeToken(key, need.id, now), need.id), to));
      return true;
    });
    if (done) asked++;
  }
  kickJobs();
  return asked;
}

registerHousekeeping('needs.outcome', async (platform) => {
  await askOutcomes(platform);
});
