// Reading needs: one row as the Need the rest of the module works with, and its matching criteria.
import type { Queryable } from '../../core/db.ts';
import type { KindCode, ServiceTypeCode } from '../directory/model.ts';
import type { MatchCriteria, Reservation } from '../matching/model.ts';
import { loadTerritories } from '../territories/data.ts';
import type { ClosedReason, NeedKind, NeedStatus } from './model.ts';

export interface Need {
  id: string;
  reference: string;
  status: NeedStatus;
  kind: NeedKind;
  title: string;
  description: string;
  placeKind: 'commune' | 'territories' | 'country' | null;
  placeCommune: string | null;
  placeKeys: string[];
  answerDeadline: string | null;
  startDate: string | null;
  amountMin: number | null;
  amountMax: number | null;
  serviceTypes: ServiceTypeCode[];
  sectors: string[];
  structureKinds: KindCode[];
  reservation: Reservation | null;
  socialClause: boolean;
  insertionHours: number | null;
  socialCriterion: boolean;
  environmentalRequirements: string;
  questions: { id: string; text: string }[];
  buyerOrganisationId: string | null;
  authorId: string | null;
  contactName: string;
  contactEmail: string;
  contactPhone: string;
  buyerName: string;
  source: 'form' | 'api';
  submittedAt: string | null;
  validatedAt: string | null;
  changesRequestedAt: string | null;
  changesMessage: string | null;
  rejectedAt: string | null;
  rejectionReason: string | null;
  batchSize: number;
  dailyLimit: number;
  enoughInterested: number;
  firstSentAt: string | null;
  lastSentAt: string | null;
  closedAt: string | null;
  closedReason: ClosedReason | null;
  remindersSent: number;
  lastReminderAt: string | null;
  outcomeAskedAt: string | null;
  outcomeAnsweredAt: string | null;
  outcomeAwarded: 'yes' | 'no' | 'not_yet' | null;
  outcomeAmount: number | null;
  outcomeStructureId: string | null;
  outcomeConsortiumId: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);

/** snake_case row → Need (dates as ISO strings, days as YYYY-MM-DD). */
export function toNeed(r: Record<string, unknown>): Need {
  return {
    id: r.id as string,
    reference: r.reference as string,
    status: r.status as NeedStatus,
    kind: r.kind as NeedKind,
    title: r.title as string,
    description: r.description as string,
    placeKind: (r.place_kind as Need['placeKind']) ?? null,
    placeCommune: (r.place_commune as string) ?? null,
    placeKeys: (r.place_keys as string[]) ?? [],
    answerDeadline: (r.answer_deadline as string) ?? null,
    startDate: (r.start_date as string) ?? null,
    amountMin: (r.amount_min as number) ?? null,
    amountMax: (r.amount_max as number) ?? null,
    serviceTypes: (r.service_types as ServiceTypeCode[]) ?? [],
    sectors: (r.sectors as string[]) ?? [],
    structureKinds: (r.structure_kinds as KindCode[]) ?? [],
    reservation: (r.reservation as Reservation) ?? null,
    socialClause: r.social_clause as boolean,
    insertionHours: (r.insertion_hours as number) ?? null,
    socialCriterion: r.social_criterion as boolean,
    environmentalRequirements: r.environmental_requirements as string,
    questions: (r.questions as Need['questions']) ?? [],
    buyerOrganisationId: (r.buyer_organisation_id as string) ?? null,
    authorId: (r.author_id as string) ?? null,
    contactName: r.contact_name as string,
    contactEmail: r.contact_email as string,
    contactPhone: r.contact_phone as string,
    buyerName: r.buyer_name as string,
    source: r.source as Need['source'],
    submittedAt: iso(r.submitted_at),
    validatedAt: iso(r.validated_at),
    changesRequestedAt: iso(r.changes_requested_at),
    changesMessage: (r.changes_message as string) ?? null,
    rejectedAt: iso(r.rejected_at),
    rejectionReason: (r.rejection_reason as string) ?? null,
    batchSize: r.batch_size as number,
    dailyLimit: r.daily_limit as number,
    enoughInterested: r.enough_interested as number,
    firstSentAt: iso(r.first_sent_at),
    lastSentAt: iso(r.last_sent_at),
    closedAt: iso(r.closed_at),
    closedReason: (r.closed_reason as ClosedReason) ?? null,
    remindersSent: r.reminders_sent as number,
    lastReminderAt: iso(r.last_reminder_at),
    outcomeAskedAt: iso(r.outcome_asked_at),
    outcomeAnsweredAt: iso(r.outcome_answered_at),
    outcomeAwarded: (r.outcome_awarded as Need['outcomeAwarded']) ?? null,
    outcomeAmount: (r.outcome_amount as number) ?? null,
    outcomeStructureId: (r.outcome_structure_id as string) ?? null,
    outcomeConsortiumId: (r.outcome_consortium_id as string) ?? null,
    createdAt: iso(r.created_at) as string,
    updatedAt: iso(r.updated_at) as string,
  };
}

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

export async function findNeed(q: Queryable, id: string, opts: { lock?: boolean } = {}): Promise<Need | null> {
  if (!isUuid(id)) return null;
  const r = await q.one<Record<string, unknown>>(`SELECT * FROM needs WHERE id = $1${opts.lock ? ' FOR UPDATE' : ''}`, [id]);
  return r ? toNeed(r) : null;
}

/** A new reference, "B-<year>-<number>". */
export async function nextReference(q: Queryable, now = new Date()): Promise<string> {
  const r = await q.one<{ n: number }>(`SELECT nextval('needs_reference_seq')::int AS n`);
  return `B-${now.getFullYear()}-${String(r?.n ?? 0).padStart(5, '0')}`;
}

/** What the matching engine needs from a need. */
export function criteriaOf(n: Need): MatchCriteria {
  const place: MatchCriteria['place'] =
    n.placeKind === 'commune' && n.placeCommune
      ? { kind: 'commune', code: n.placeCommune }
      : n.placeKind === 'territories' && n.placeKeys.length
        ? { kind: 'territories', keys: n.placeKeys }
        : { kind: 'country' };
  return { place, sectors: n.sectors, serviceTypes: n.serviceTypes, kinds: n.structureKinds, reservation: n.reservation, socialClause: n.socialClause };
}

/**
 * Where a need is, as typed territory keys with every territory that contains them (for the facilitators
 * of a territory); null for the whole country.
 */
export function needPlaceKeys(n: Pick<Need, 'placeKind' | 'placeCommune' | 'placeKeys'>): string[] | null {
  const territories = loadTerritories();
  if (n.placeKind === 'commune' && n.placeCommune) {
    const c = territories.commune(n.placeCommune);
    return c ? [c.key, ...territories.parentKeys(c)] : [];
  }
  if (n.placeKind === 'territories') {
    const keys = new Set<string>();
    for (const k of n.placeKeys) {
      keys.add(k);
      const t = territories.byKey.get(k);
      if (t) for (const parent of territories.parentKeys(t)) keys.add(parent);
    }
    return [...keys];
  }
  return null;
}
