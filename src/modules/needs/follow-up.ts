// The buyer follows a need: the answers by status (a groupement is one answer with its members), with
// filters and pagination, and up to two reminders to the structures that have not answered.
import { z } from 'zod';
import type { Queryable } from '../../core/db.ts';
import { AppError, notFound } from '../../core/errors.ts';
import { kickJobs } from '../../core/jobs.ts';
import { queueMail } from '../../core/mail.ts';
import type { Platform } from '../../core/platform.ts';
import { signingKey } from '../../core/signing.ts';
import { audit } from '../../core/audit.ts';
import type { Actor } from '../accounts/model.ts';
import { authorize } from '../accounts/policy.ts';
import { KIND_CODES, type KindCode } from '../directory/model.ts';
import { distanceKm, loadTerritories } from '../territories/data.ts';
import { recipientStatus } from './answers.ts';
import { listConsortia } from './consortia.ts';
import { reminderMail } from './follow-mails.ts';
import { recipientPath, structureAddresses } from './sending.ts';
import type { RecipientStatus } from './model.ts';
import { canSeeNeed, isNeedBuyer } from './policy.ts';
import { findNeed, type Need } from './repository.ts';

// ---------------------------------------------------------------------------------------------------
// Tabs and filters

/** The tabs of the answers: each a condition on the funnel (see `inTab`). */
export const ANSWER_TABS = ['all', 'interested', 'not_interested', 'partners', 'viewed', 'no_answer'] as const;
export type AnswerTab = (typeof ANSWER_TABS)[number];
export const ANSWER_TAB_LABEL: Record<AnswerTab, string> = {
  all: 'Toutes',
  interested: 'Intéressées',
  not_interested: 'Pas intéressées',
  partners: 'Cherchent des partenaires',
  viewed: 'Ont consulté, sans réponse',
  no_answer: 'Contactées, sans réponse',
};

export const AnswersQuerySchema = z.object({
  status: z.enum(ANSWER_TABS).default('all').describe('Onglet : all, interested, not_interested, partners, viewed (consulté sans réponse), no_answer (contactée, ni intéressée ni pas intéressée)'),
  kind: z.enum(KIND_CODES).optional().describe('Type de structure'),
  department: z
    .string()
    .regex(/^(\d{2,3}|2[AB])$/)
    .optional()
    .describe('Code du département de la structure'),
  page: z.coerce.number().int().min(1).max(10000).default(1),
  perPage: z.coerce.number().int().min(1).max(200).default(20),
});
export type AnswersQuery = z.infer<typeof AnswersQuerySchema>;

// ---------------------------------------------------------------------------------------------------
// Answers

export interface PublicContact {
  email: string | null;
  phone: string | null;
  website: string | null;
}

export interface StructureRef {
  structureId: string;
  slug: string;
  name: string;
  siret: string;
  kind: KindCode;
  kindName: string;
  communeName: string | null;
  departmentCode: string | null;
  /** The structure's public contact (what its profile shows): never a private contact. */
  contact: PublicContact;
}

export interface StructureAnswer extends StructureRef {
  type: 'structure';
  status: RecipientStatus;
  score: number | null;
  reasons: string[];
  distanceKm: number | null;
  sentAt: string | null;
  openedAt: string | null;
  viewedAt: string | null;
  interestedAt: string | null;
  notInterestedAt: string | null;
  notInterestedReason: string | null;
  partnersAt: string | null;
  reminderCount: number;
  answers: { questionId: string; question: string; answer: string }[];
}

export interface ConsortiumMember extends StructureRef {
  role: 'lead' | 'member';
  status: 'invited' | 'accepted' | 'refused';
}

export interface ConsortiumAnswer {
  type: 'consortium';
  consortiumId: string;
  lead: StructureRef;
  members: ConsortiumMember[];
  note: string;
  createdAt: string;
  distanceKm: number | null;
  answers: { questionId: string; question: string; answer: string }[];
}

export type Answer = StructureAnswer | ConsortiumAnswer;

export interface AnswersPage {
  items: Answer[];
  total: number;
  page: number;
  perPage: number;
  /** How many answers each tab holds (with the kind and département filters). */
  counts: Record<AnswerTab, number>;
  /** Kinds and départements found among all the answers (for the filters). */
  facets: { kinds: KindCode[]; departments: string[] };
}

const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);

/** Reasons as stored by the sending (strings; objects with a `text` are read too). */
function reasonsOf(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((r) => (typeof r === 'string' ? r : r && typeof r === 'object' && 'text' in r ? String((r as { text: unknown }).text) : '')).filter(Boolean);
}

/** Whether an answer belongs to a tab. A groupement counts as an interested answer. */
export function inTab(a: Answer, tab: AnswerTab): boolean {
  if (tab === 'all') return true;
  if (a.type === 'consortium') return tab === 'interested';
  const answered = !!(a.interestedAt || a.notInterestedAt || a.partnersAt);
  switch (tab) {
    case 'interested':
      return !!a.interestedAt && !a.notInterestedAt;
    case 'not_interested':
      return !!a.notInterestedAt;
    case 'partners':
      return !!a.partnersAt && !a.notInterestedAt;
    case 'viewed':
      return !answered && !!(a.viewedAt || a.openedAt);
    case 'no_answer':
      // The reminders' target: contacted, and neither interested nor not interested.
      return !!a.sentAt && !a.interestedAt && !a.notInterestedAt;
  }
}

const STATUS_RANK: Record<RecipientStatus, number> = { interested: 0, partners: 1, viewed: 2, opened: 3, sent: 4, matched: 5, not_interested: 6 };

interface StructureRow {
  id: string;
  slug: string;
  name: string;
  siret: string;
  kind: KindCode;
  kind_name: string;
  commune_name: string | null;
  department_code: string | null;
  lat: number | null;
  lon: number | null;
  public_email: string | null;
  public_phone: string | null;
  website: string | null;
}

const STRUCTURE_COLUMNS = `s.id, s.slug, s.name, s.siret, s.kind, k.name AS kind_name, s.commune_name, s.department_code, s.lat, s.lon,
  s.public_email, s.public_phone, s.website`;

function structureRef(s: StructureRow): StructureRef {
  return {
    structureId: s.id,
    slug: s.slug,
    name: s.name,
    siret: s.siret,
    kind: s.kind,
    kindName: s.kind_name,
    communeName: s.commune_name,
    departmentCode: s.department_code,
    contact: { email: s.public_email || null, phone: s.public_phone || null, website: s.website || null },
  };
}

/** Distance from the structure to the place of execution, when the need is in one commune. */
function distanceTo(need: Need, s: { lat: number | null; lon: number | null }): number | null {
  if (need.placeKind !== 'commune' || !need.placeCommune || s.lat == null || s.lon == null) return null;
  const c = loadTerritories().commune(need.placeCommune);
  if (!c || c.lat == null || c.lon == null) return null;
  return Math.round(distanceKm(c.lat, c.lon, s.lat, s.lon) * 10) / 10;
}

function answersOf(need: Need, raw: unknown): { questionId: string; question: string; answer: string }[] {
  const given = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  return need.questions
    .map((q) => ({ questionId: q.id, question: q.text, answer: typeof given[q.id] === 'string' ? (given[q.id] as string).trim() : '' }))
    .filter((a) => a.answer);
}

/**
 * Every answer of a need, in the order the buyer reads them: groupements first, then interested,
 * looking for partners, consulted, contacted, selected, not interested; by score, then name.
 */
export async function allAnswers(q: Queryable, need: Need): Promise<Answer[]> {
  const recipients = await q.query<StructureRow & Record<string, unknown>>(
    `SELECT ${STRUCTURE_COLUMNS}, r.score, r.reasons, r.sent_at, r.opened_at, r.viewed_at, r.interested_at, r.not_interested_at,
       r.not_interested_reason, r.partners_at, r.reminder_count, r.answers
     FROM need_recipients r JOIN structures s ON s.id = r.structure_id JOIN structure_kinds k ON k.code = s.kind
     WHERE r.need_id = $1`,
    [need.id],
  );
  const consortia = await listConsortia(q, need.id);
  const memberIds = [...new Set(consortia.flatMap((c) => [c.leadStructureId, ...c.members.map((m) => m.structureId)]))];
  const details = new Map(
    (memberIds.length
      ? await q.query<StructureRow>(
          `SELECT ${STRUCTURE_COLUMNS} FROM structures s JOIN structure_kinds k ON k.code = s.kind WHERE s.id = ANY($1::uuid[])`,
          [memberIds],
        )
      : []
    ).map((s) => [s.id, s]),
  );

  // A lead and the members who accepted answer through their groupement.
  const inConsortium = new Set<string>();
  const answersByStructure = new Map(recipients.map((r) => [r.id, r.answers]));
  const out: Answer[] = [];
  for (const c of consortia) {
    const lead = details.get(c.leadStructureId);
    if (!lead) continue;
    inConsortium.add(lead.id);
    const list: ConsortiumMember[] = [];
    for (const m of c.members) {
      const s = details.get(m.structureId);
      if (!s || m.structureId === c.leadStructureId) continue;
      if (m.status === 'accepted') inConsortium.add(m.structureId);
      list.push({ ...structureRef(s), role: m.role, status: m.status });
    }
    out.push({
      type: 'consortium',
      consortiumId: c.id,
      lead: structureRef(lead),
      members: list,
      note: c.note,
      createdAt: c.createdAt,
      distanceKm: distanceTo(need, lead),
      answers: answersOf(need, answersByStructure.get(lead.id)),
    });
  }
  const singles: StructureAnswer[] = recipients
    .filter((r) => !inConsortium.has(r.id))
    .map((r) => {
      const funnel = {
        sentAt: iso(r.sent_at),
        openedAt: iso(r.opened_at),
        viewedAt: iso(r.viewed_at),
        interestedAt: iso(r.interested_at),
        notInterestedAt: iso(r.not_interested_at),
        partnersAt: iso(r.partners_at),
      };
      return {
        type: 'structure' as const,
        ...structureRef(r),
        status: recipientStatus(funnel),
        score: (r.score as number | null) ?? null,
        reasons: reasonsOf(r.reasons),
        distanceKm: distanceTo(need, r),
        ...funnel,
        notInterestedReason: (r.not_interested_reason as string | null) ?? null,
        reminderCount: Number(r.reminder_count ?? 0),
        answers: answersOf(need, r.answers),
      };
    });
  singles.sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status] || (b.score ?? -1) - (a.score ?? -1) || a.name.localeCompare(b.name, 'fr'));
  return [...out, ...singles];
}

const structureOf = (a: Answer): StructureRef => (a.type === 'consortium' ? a.lead : a);

/** The answers of a tab, filtered by the structure's kind and département (a groupement's lead), one page. */
export async function listAnswers(q: Queryable, need: Need, query: AnswersQuery, opts: { all?: boolean } = {}): Promise<AnswersPage> {
  const every = await allAnswers(q, need);
  const facets = {
    kinds: [...new Set(every.map((a) => structureOf(a).kind))].sort(),
    departments: [...new Set(every.map((a) => structureOf(a).departmentCode).filter((d): d is string => !!d))].sort(),
  };
  const filtered = every.filter((a) => {
    const s = structureOf(a);
    return (!query.kind || s.kind === query.kind) && (!query.department || s.departmentCode === query.department);
  });
  const counts = Object.fromEntries(ANSWER_TABS.map((t) => [t, filtered.filter((a) => inTab(a, t)).length])) as Record<AnswerTab, number>;
  const tab = filtered.filter((a) => inTab(a, query.status));
  const items = opts.all ? tab : tab.slice((query.page - 1) * query.perPage, query.page * query.perPage);
  return { items, total: tab.length, page: query.page, perPage: query.perPage, counts, facets };
}

/** The need, when the actor may follow it (its buyer, a facilitator of its place, the platform team). */
export async function needToFollow(q: Queryable, actor: Actor, id: string): Promise<Need> {
  const need = await findNeed(q, id);
  if (!need) throw notFound('Ce besoin d’achat n’existe pas.');
  authorize(actor, canSeeNeed(actor, need), 'Seuls l’acheteur, les facilitateurs du territoire et l’équipe de la plateforme suivent les réponses à ce besoin.');
  return need;
}

// ---------------------------------------------------------------------------------------------------
// Reminders

export const MAX_REMINDERS = 2;
/** A reminder waits this long after the structure was contacted, and after the previous reminder. */
export const REMINDER_DELAY_DAYS = 2;
const DAY_MS = 24 * 3600 * 1000;

export interface ReminderState {
  allowed: boolean;
  /** Why not, in French (null when allowed). */
  reason: string | null;
  remindersSent: number;
  /** Structures a reminder would reach now. */
  eligible: number;
  /** When the next reminder becomes possible, if it is only a matter of time. */
  notBefore: string | null;
}

const FR_DATE_TIME = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' });

function todayInParis(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** Recipients a reminder reaches: contacted at least 2 days ago, neither interested nor not interested, not reminded in the last 2 days. */
const ELIGIBLE = `r.need_id = $1 AND r.sent_at IS NOT NULL AND r.sent_at <= $2::timestamptz - interval '${REMINDER_DELAY_DAYS} days'
  AND r.interested_at IS NULL AND r.not_interested_at IS NULL
  AND (r.last_reminded_at IS NULL OR r.last_reminded_at <= $2::timestamptz - interval '${REMINDER_DELAY_DAYS} days')`;

/** Whether the buyer may send a reminder now, and why not. */
export async function reminderState(q: Queryable, need: Need, now = new Date()): Promise<ReminderState> {
  const eligible = (await q.one<{ n: number }>(`SELECT count(*)::int AS n FROM need_recipients r WHERE ${ELIGIBLE}`, [need.id, now.toISOString()]))?.n ?? 0;
  const base = { remindersSent: need.remindersSent, eligible, notBefore: null as string | null };
  const no = (reason: string, notBefore: Date | null = null) => ({ ...base, allowed: false, reason, notBefore: notBefore ? notBefore.toISOString() : null });
  if (!need.firstSentAt) return no('Le besoin n’a encore été envoyé à aucune structure.');
  const open = need.status === 'sending' || (need.status === 'closed' && need.closedReason === 'nobody_left');
  if (!open) return no('Le besoin n’est plus en cours : les structures ne peuvent plus y répondre.');
  if (need.answerDeadline && need.answerDeadline < todayInParis(now)) return no('La date limite de réponse est passée.');
  if (need.remindersSent >= MAX_REMINDERS) return no(`Les ${MAX_REMINDERS} relances possibles ont déjà été envoyées.`);
  if (need.lastReminderAt) {
    const next = new Date(new Date(need.lastReminderAt).getTime() + REMINDER_DELAY_DAYS * DAY_MS);
    if (next > now) return no(`Une relance a été envoyée récemment : la prochaine est possible à partir du ${FR_DATE_TIME.format(next)}.`, next);
  }
  if (!eligible) {
    const first = await q.one<{ at: Date | null }>(
      `SELECT min(r.sent_at) AS at FROM need_recipients r WHERE r.need_id = $1 AND r.sent_at IS NOT NULL AND r.interested_at IS NULL AND r.not_interested_at IS NULL`,
      [need.id],
    );
    if (first?.at) {
      const next = new Date(new Date(first.at).getTime() + REMINDER_DELAY_DAYS * DAY_MS);
      if (next > now) return no(`Les structures contactées ont ${REMINDER_DELAY_DAYS} jours pour répondre avant une relance : elle est possible à partir du ${FR_DATE_TIME.format(next)}.`, next);
    }
    return no('Aucune structure à relancer : toutes celles qui ont été contactées ont répondu ou viennent d’être relancées.');
  }
  return { ...base, allowed: true, reason: null };
}

/**
 * Sends a reminder (buyer only): at most two per need, 2 days after the sending and after the previous
 * reminder, to the structures contacted that said neither interested nor not interested. The count is
 * taken in SQL (a conditional update) so that two clicks at once send one reminder.
 */
export async function sendReminder(p: Platform, actor: Actor, needId: string, now = new Date()): Promise<{ reminded: number; remindersSent: number }> {
  const need = await findNeed(p.db, needId);
  if (!need) throw notFound('Ce besoin d’achat n’existe pas.');
  authorize(actor, isNeedBuyer(actor, need), 'Seul l’acheteur du besoin peut relancer les structures.');
  const key = await signingKey(p.db);
  const result = await p.db.transaction(async (tx) => {
    const locked = (await findNeed(tx, needId, { lock: true })) as Need;
    const state = await reminderState(tx, locked, now);
    if (!state.allowed) throw new AppError('REMINDER_NOT_ALLOWED', state.reason as string, 409, state.notBefore ? { notBefore: state.notBefore } : undefined);
    const updated = await tx.one<{ reminders_sent: number }>(
      `UPDATE needs SET reminders_sent = reminders_sent + 1, last_reminder_at = $2::timestamptz, updated_at = $2::timestamptz
       WHERE id = $1 AND reminders_sent < ${MAX_REMINDERS}
         AND (last_reminder_at IS NULL OR last_reminder_at <= $2::timestamptz - interval '${REMINDER_DELAY_DAYS} days')
       RETURNING reminders_sent`,
      [needId, now.toISOString()],
    );
    if (!updated) throw new AppError('REMINDER_NOT_ALLOWED', `Les ${MAX_REMINDERS} relances possibles ont déjà été envoyées.`, 409);
    const recipients = await tx.query<{ structure_id: string; name: string }>(
      `UPDATE need_recipients r SET reminder_count = r.reminder_count + 1, last_reminded_at = $2::timestamptz
       FROM structures s WHERE s.id = r.structure_id AND ${ELIGIBLE}
       RETURNING r.structure_id, s.name`,
      [needId, now.toISOString()],
    );
    const addresses = await structureAddresses(tx, recipients.map((r) => r.structure_id));
    for (const r of recipients) {
      const link = recipientPath(key, locked, r.structure_id, now);
      for (const to of addresses.get(r.structure_id) ?? []) {
        await queueMail(tx, reminderMail(p.config, locked, { name: r.name, link, reminder: updated.reminders_sent }, to));
      }
    }
    await audit(tx, {
      actorId: actor.person?.id ?? null,
      actorKind: actor.person ? 'person' : 'api_token',
      action: 'need.reminded',
      targetType: 'need',
      targetId: needId,
      organisationId: locked.buyerOrganisationId,
      after: { reminder: updated.reminders_sent, structures: recipients.length },
    });
    return { reminded: recipients.length, remindersSent: updated.reminders_sent };
  });
  kickJobs();
  return result;
}
