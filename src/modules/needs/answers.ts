// How a structure answers a need sent to it: who may act for it (its signed link, its team, its API
// token), the funnel timestamps (opened and viewed set once), interested (then the buyer's contact),
// not interested with a reason, answers to the buyer's questions, looking for partners. Each answer is
// audited; link users are recorded as "need-link:<structure id>".
import { z } from 'zod';
import { audit } from '../../core/audit.ts';
import type { Queryable } from '../../core/db.ts';
import { AppError } from '../../core/errors.ts';
import { queueMail } from '../../core/mail.ts';
import type { Platform } from '../../core/platform.ts';
import { signingKey, verify } from '../../core/signing.ts';
import type { Actor } from '../accounts/model.ts';
import { isPlatformAdmin, membershipOfStructure, unauthenticated } from '../accounts/policy.ts';
import { type RecipientStatus } from './model.ts';
import { findNeed, type Need } from './repository.ts';
import { interestedMail } from './answer-mails.ts';
import { deadlinePassed, RECIPIENT_PURPOSE } from './sending.ts';

export interface Recipient {
  id: string;
  needId: string;
  structureId: string;
  source: 'matching' | 'consortium' | 'facilitator';
  score: number | null;
  reasons: string[];
  batch: number | null;
  sentAt: string | null;
  openedAt: string | null;
  viewedAt: string | null;
  interestedAt: string | null;
  notInterestedAt: string | null;
  notInterestedReason: string | null;
  partnersAt: string | null;
  answers: Record<string, string>;
}

const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);

export function toRecipient(r: Record<string, unknown>): Recipient {
  return {
    id: r.id as string,
    needId: r.need_id as string,
    structureId: r.structure_id as string,
    source: r.source as Recipient['source'],
    score: (r.score as number) ?? null,
    reasons: (r.reasons as string[]) ?? [],
    batch: (r.batch as number) ?? null,
    sentAt: iso(r.sent_at),
    openedAt: iso(r.opened_at),
    viewedAt: iso(r.viewed_at),
    interestedAt: iso(r.interested_at),
    notInterestedAt: iso(r.not_interested_at),
    notInterestedReason: (r.not_interested_reason as string) ?? null,
    partnersAt: iso(r.partners_at),
    answers: (r.answers as Record<string, string>) ?? {},
  };
}

/**
 * The status of a recipient: the latest step of the funnel that is set, in the order of
 * RECIPIENT_STATUSES. Interested and not interested exclude each other (answering one clears the other),
 * as do looking for partners and not interested.
 */
export function recipientStatus(r: Pick<Recipient, 'sentAt' | 'openedAt' | 'viewedAt' | 'interestedAt' | 'notInterestedAt' | 'partnersAt'>): RecipientStatus {
  if (r.partnersAt) return 'partners';
  if (r.notInterestedAt) return 'not_interested';
  if (r.interestedAt) return 'interested';
  if (r.viewedAt) return 'viewed';
  if (r.openedAt) return 'opened';
  if (r.sentAt) return 'sent';
  return 'matched';
}

export async function findRecipient(q: Queryable, needId: string, structureId: string): Promise<Recipient | null> {
  const r = await q.one<Record<string, unknown>>(`SELECT * FROM need_recipients WHERE need_id = $1 AND structure_id = $2`, [needId, structureId]);
  return r ? toRecipient(r) : null;
}

export interface StructureRef {
  id: string;
  name: string;
  slug: string;
  kind: string;
  organisationId: string | null;
}

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

export async function findStructureRef(q: Queryable, id: string): Promise<StructureRef | null> {
  if (!isUuid(id)) return null;
  const r = await q.one<{ id: string; name: string; slug: string; kind: string; organisation_id: string | null }>(
    `SELECT s.id, s.name, s.slug, s.kind, o.id AS organisation_id FROM structures s LEFT JOIN organisations o ON o.structure_id = s.id WHERE s.id = $1`,
    [id],
  );
  return r ? { id: r.id, name: r.name, slug: r.slug, kind: r.kind, organisationId: r.organisation_id } : null;
}

/** Who acts for a structure on a need, and how they proved it. */
export interface AnswerContext {
  actor: Actor;
  /** link: the signed link of the mail; member: a signed-in member of the structure's organisation; token: its API token. */
  via: 'link' | 'member' | 'token';
  need: Need;
  structure: StructureRef;
  recipient: Recipient;
  /** The token that opened the page, kept in forms and links (null for members). */
  jeton: string | null;
}

export const linkInvalid = () =>
  new AppError('LINK_INVALID', 'Ce lien n’est pas valable : il a été modifié, ou il concerne un autre besoin ou une autre structure. Utilisez le lien exact reçu par courriel, ou connectez-vous à votre espace.', 403);
export const linkExpired = () =>
  new AppError('LINK_EXPIRED', 'Ce lien a expiré. Connectez-vous à votre espace pour retrouver les besoins reçus par votre structure.', 410);
const notARecipient = () => new AppError('FORBIDDEN', 'Ce besoin n’a pas été envoyé à cette structure.', 403);

/** How an actor relates to a structure without a link: its team (session), its API token, or nobody. */
export function memberVia(actor: Actor, structureId: string): 'member' | 'token' | null {
  const m = membershipOfStructure(actor, structureId);
  if (!m) return null;
  return actor.token ? 'token' : 'member';
}

/** The token of a signed link as sent in a query or a form (empty means none). */
export const signedToken = (jeton: string | null | undefined): string | null => (typeof jeton === 'string' && jeton.length ? jeton : null);

/**
 * Who acts for a structure on a page reached by a signed link: the link, checked for its purpose and
 * subject (tampered or foreign → 403, expired → 410; a member opening it still counts as a member), or
 * without a link the structure's team (nobody → 401, someone else → 403 with `forbidden`).
 */
export async function linkOrTeam(
  p: Platform,
  actor: Actor,
  link: { purpose: string; subject: string; structureId: string; token: string | null; now: Date },
  forbidden: string,
): Promise<AnswerContext['via']> {
  if (link.token) {
    const v = verify(await signingKey(p.db), link.purpose, link.subject, link.token, link.now);
    if (!v.ok) throw v.reason === 'expired' ? linkExpired() : linkInvalid();
    return memberVia(actor, link.structureId) ?? 'link';
  }
  const via = memberVia(actor, link.structureId);
  if (via) return via;
  if (!actor.person && !actor.token) throw unauthenticated();
  throw new AppError('FORBIDDEN', forbidden, 403);
}

/**
 * Checks who acts for `structureId` on `needId`: a valid signed link (tampered or foreign → 403,
 * expired → 410), or a member or token of the structure's organisation. The structure must be a recipient.
 */
export async function answerAccess(p: Platform, actor: Actor, needId: string, structureId: string, jeton: string | null | undefined, now = new Date()): Promise<AnswerContext> {
  const token = signedToken(jeton);
  const via = await linkOrTeam(p, actor, { purpose: RECIPIENT_PURPOSE, subject: `${needId}:${structureId}`, structureId, token, now }, 'Seule l’équipe de la structure peut répondre à ce besoin.');
  const [need, structure, recipient] = [await findNeed(p.db, needId), await findStructureRef(p.db, structureId), await findRecipient(p.db, needId, structureId)];
  if (!need || !structure) throw token ? linkInvalid() : notARecipient();
  if (!recipient) throw notARecipient();
  return { actor, via, need, structure, recipient, jeton: token };
}

/** Whom the audit log names: the person, the API token, or the signed link of the structure. */
export function auditActor(ctx: { actor: Actor; via: AnswerContext['via'] }, structureId: string, linkKind = 'need-link'): { actorId: string | null; actorKind: string } {
  if (ctx.via === 'member' && ctx.actor.person) return { actorId: ctx.actor.person.id, actorKind: 'person' };
  if (ctx.via === 'token' && ctx.actor.token) return { actorId: null, actorKind: `api_token:${ctx.actor.token.id}` };
  return { actorId: null, actorKind: `${linkKind}:${structureId}` };
}

/** A structure may still answer while the need is sent or closed for another reason than the buyer, until its deadline. */
export function answerable(n: Need, now = new Date()): { ok: true } | { ok: false; message: string } {
  if (n.status !== 'sending' && n.status !== 'closed' && n.status !== 'validated') return { ok: false, message: 'Ce besoin n’est pas ouvert aux réponses.' };
  if (n.status === 'closed' && n.closedReason === 'closed_by_buyer') return { ok: false, message: 'L’acheteur a clôturé ce besoin : il ne reçoit plus de réponses.' };
  if (deadlinePassed(n, now)) return { ok: false, message: 'La date limite de réponse est passée.' };
  return { ok: true };
}

function requireAnswerable(n: Need, now: Date): void {
  const a = answerable(n, now);
  if (!a.ok) throw new AppError('NEED_CLOSED', a.message, 409);
}

/** Opening the mail's link sets opened_at, showing the need sets viewed_at: the first time only. */
export async function markSeen(q: Queryable, ctx: AnswerContext, now = new Date()): Promise<Recipient> {
  const r = await q.one<Record<string, unknown>>(
    `UPDATE need_recipients SET opened_at = CASE WHEN $3 THEN coalesce(opened_at, $4) ELSE opened_at END, viewed_at = coalesce(viewed_at, $4)
     WHERE need_id = $1 AND structure_id = $2 RETURNING *`,
    [ctx.need.id, ctx.structure.id, ctx.via === 'link' || ctx.jeton !== null, now.toISOString()],
  );
  ctx.recipient = toRecipient(r as Record<string, unknown>);
  return ctx.recipient;
}

export const NOT_INTERESTED_REASONS = {
  activite: 'Ce n’est pas notre activité',
  zone: 'Le lieu est hors de notre zone d’intervention',
  capacite: 'Nous n’avons pas la capacité en ce moment',
  delai: 'Le délai est trop court',
  montant: 'Le montant ne convient pas',
  autre: 'Autre raison',
} as const;
export type NotInterestedCode = keyof typeof NOT_INTERESTED_REASONS;

export const AnswerInputSchema = z.object({
  status: z.enum(['interested', 'not_interested', 'partners']).optional().describe('interested : intéressée (les coordonnées de l’acheteur sont alors données) ; not_interested : pas intéressée (motif obligatoire) ; partners : cherche des partenaires'),
  reasonCode: z.enum(Object.keys(NOT_INTERESTED_REASONS) as [NotInterestedCode, ...NotInterestedCode[]]).optional().describe('Motif de refus dans la liste (pas intéressée)'),
  reason: z.string().trim().max(1000).optional().describe('Motif de refus en texte libre (obligatoire avec « autre » ou sans reasonCode)'),
  answers: z.record(z.string().max(40), z.string().max(3000)).optional().describe('Réponses aux questions de l’acheteur : { identifiant de la question : texte }'),
});
export type AnswerInput = z.infer<typeof AnswerInputSchema>;

const ACTIONS = { interested: 'need.answer.interested', not_interested: 'need.answer.not_interested', partners: 'need.answer.partners' } as const;

/** Records an answer (status and/or answers to questions) for the structure of the context. */
export async function answerNeed(p: Platform, ctx: AnswerContext, input: AnswerInput, now = new Date()): Promise<Recipient> {
  requireAnswerable(ctx.need, now);
  if (!input.status && !input.answers) throw new AppError('VALIDATION_FAILED', 'Indiquez une réponse.', 422, { field: 'status' });
  let reasonText: string | null = null;
  if (input.status === 'not_interested') {
    const free = input.reason?.trim() ?? '';
    if (!input.reasonCode && free.length < 3) throw new AppError('VALIDATION_FAILED', 'Indiquez pourquoi ce besoin ne vous intéresse pas.', 422, { field: 'reason' });
    if (input.reasonCode === 'autre' && free.length < 3) throw new AppError('VALIDATION_FAILED', 'Précisez la raison.', 422, { field: 'reason' });
    reasonText = input.reasonCode && input.reasonCode !== 'autre' ? `${NOT_INTERESTED_REASONS[input.reasonCode]}${free ? ` — ${free}` : ''}` : free;
  }
  let answers: Record<string, string> | null = null;
  if (input.answers) {
    const known = new Set(ctx.need.questions.map((q) => q.id));
    const unknown = Object.keys(input.answers).filter((k) => !known.has(k));
    if (unknown.length) throw new AppError('VALIDATION_FAILED', 'Réponse à une question inconnue.', 422, { field: 'answers', unknown });
    answers = { ...ctx.recipient.answers };
    for (const [k, v] of Object.entries(input.answers)) {
      const t = v.trim();
      if (t) answers[k] = t;
      else delete answers[k];
    }
  }
  const who = auditActor(ctx, ctx.structure.id);
  const t = now.toISOString();
  return p.db.transaction(async (tx) => {
    const before = await findRecipient(tx, ctx.need.id, ctx.structure.id);
    if (!before) throw notARecipient();
    let row: Record<string, unknown> | undefined;
    const set = (sql: string, values: unknown[]) =>
      tx.one<Record<string, unknown>>(`UPDATE need_recipients SET ${sql}, viewed_at = coalesce(viewed_at, $3) WHERE need_id = $1 AND structure_id = $2 RETURNING *`, [ctx.need.id, ctx.structure.id, t, ...values]);
    if (input.status === 'interested') row = await set(`interested_at = coalesce(interested_at, $3), not_interested_at = NULL, not_interested_reason = NULL`, []);
    else if (input.status === 'not_interested') row = await set(`not_interested_at = $3, not_interested_reason = $4, interested_at = NULL, partners_at = NULL`, [reasonText]);
    else if (input.status === 'partners') row = await set(`partners_at = coalesce(partners_at, $3), not_interested_at = NULL, not_interested_reason = NULL`, []);
    // The buyer hears of each new interested structure (the first time it says so).
    if (input.status === 'interested' && !before.interestedAt && ctx.need.contactEmail) {
      await queueMail(tx, interestedMail(p.config, { to: ctx.need.contactEmail, need: ctx.need, structureName: ctx.structure.name }));
    }
    if (input.status) {
      await audit(tx, { ...who, action: ACTIONS[input.status], targetType: 'need', targetId: ctx.need.id, organisationId: ctx.structure.organisationId, before: { structureId: ctx.structure.id, status: recipientStatus(before) }, after: { structureId: ctx.structure.id, status: input.status, ...(reasonText ? { reason: reasonText } : {}) } });
    }
    if (answers) {
      row = await set(`answers = $4::text::jsonb`, [JSON.stringify(answers)]);
      await audit(tx, { ...who, action: 'need.answer.questions', targetType: 'need', targetId: ctx.need.id, organisationId: ctx.structure.organisationId, after: { structureId: ctx.structure.id, answered: Object.keys(answers) } });
    }
    ctx.recipient = toRecipient(row as Record<string, unknown>);
    return ctx.recipient;
  });
}

/** The buyer's contact, shown to a structure once it said it is interested. */
export async function buyerContact(q: Queryable, n: Need): Promise<{ name: string; email: string; phone: string; organisation: string }> {
  let organisation = n.buyerName;
  if (!organisation && n.buyerOrganisationId) organisation = (await q.one<{ name: string }>(`SELECT name FROM organisations WHERE id = $1`, [n.buyerOrganisationId]))?.name ?? '';
  return { name: n.contactName, email: n.contactEmail, phone: n.contactPhone, organisation };
}

// ---------------------------------------------------------------------------------------------------
// Needs sent to structures (their space, networks, API)

export interface ReceivedNeed {
  need: Pick<Need, 'id' | 'reference' | 'title' | 'kind' | 'status' | 'answerDeadline' | 'placeKind' | 'placeCommune' | 'placeKeys' | 'closedReason'>;
  structure: { id: string; name: string; slug: string };
  recipient: Recipient;
  status: RecipientStatus;
}

/** Needs sent to these structures (or reached through a groupement), newest first. */
export async function receivedNeeds(q: Queryable, where: { structureIds?: string[]; networkSlugs?: string[] }, limit = 200): Promise<ReceivedNeed[]> {
  const rows = await q.query<Record<string, unknown>>(
    `SELECT r.*, n.reference, n.title, n.kind, n.status AS need_status, n.answer_deadline, n.place_kind, n.place_commune, n.place_keys, n.closed_reason,
            s.name AS structure_name, s.slug AS structure_slug
       FROM need_recipients r JOIN needs n ON n.id = r.need_id JOIN structures s ON s.id = r.structure_id
      WHERE (r.structure_id = ANY($1::uuid[]) OR s.networks && $2::text[])
      ORDER BY coalesce(r.sent_at, r.created_at) DESC, n.reference DESC
      LIMIT $3`,
    [where.structureIds ?? [], where.networkSlugs ?? [], limit],
  );
  return rows.map((r) => {
    const recipient = toRecipient(r);
    return {
      need: {
        id: r.need_id as string,
        reference: r.reference as string,
        title: r.title as string,
        kind: r.kind as Need['kind'],
        status: r.need_status as Need['status'],
        answerDeadline: (r.answer_deadline as string) ?? null,
        placeKind: (r.place_kind as Need['placeKind']) ?? null,
        placeCommune: (r.place_commune as string) ?? null,
        placeKeys: (r.place_keys as string[]) ?? [],
        closedReason: (r.closed_reason as Need['closedReason']) ?? null,
      },
      structure: { id: r.structure_id as string, name: r.structure_name as string, slug: r.structure_slug as string },
      recipient,
      status: recipientStatus(recipient),
    };
  });
}

/** The network slugs an actor follows: verified network organisations it belongs to. */
export async function networkSlugsOf(q: Queryable, actor: Actor): Promise<{ organisationId: string; name: string; slug: string }[]> {
  const ids = actor.memberships.filter((m) => m.type === 'network' && m.verified).map((m) => m.organisationId);
  if (!ids.length) return [];
  return q.query(`SELECT id AS "organisationId", name, network_slug AS slug FROM organisations WHERE id = ANY($1::uuid[]) AND network_slug IS NOT NULL ORDER BY name`, [ids]);
}

/** API: who may read a structure's received needs: its organisation (member or token), the platform team. */
export const canReadStructureNeeds = (actor: Actor, structureId: string) => !!membershipOfStructure(actor, structureId) || isPlatformAdmin(actor);
