// Purchasing needs: kinds, statuses, the social and environmental frame, the answer funnel.
import { z } from 'zod';
import { KIND_CODES, SERVICE_TYPE_CODES } from '../directory/model.ts';
import { RESERVATIONS } from '../matching/model.ts';

export const NEED_KINDS = ['QUOTE', 'TENDER', 'SOURCING'] as const;
export type NeedKind = (typeof NEED_KINDS)[number];
export const NEED_KIND_LABEL: Record<NeedKind, string> = { QUOTE: 'Demande de devis', TENDER: 'Appel d’offres', SOURCING: 'Sourcing' };

export const NEED_STATUSES = ['draft', 'awaiting_confirmation', 'submitted', 'changes_requested', 'validated', 'sending', 'closed', 'rejected'] as const;
export type NeedStatus = (typeof NEED_STATUSES)[number];
export const NEED_STATUS_LABEL: Record<NeedStatus, string> = {
  draft: 'Brouillon',
  awaiting_confirmation: 'En attente de confirmation de l’adresse',
  submitted: 'Déposé, en cours de qualification',
  changes_requested: 'Modifications demandées',
  validated: 'Validé',
  sending: 'En cours d’envoi',
  closed: 'Clôturé',
  rejected: 'Refusé',
};

export const CLOSED_REASON_LABEL = {
  enough_interested: 'assez de structures intéressées',
  deadline: 'date limite de réponse passée',
  closed_by_buyer: 'clôturé par l’acheteur',
  no_answer_to_changes: 'sans réponse aux modifications demandées (10 jours)',
  nobody_left: 'toutes les structures correspondantes ont été contactées',
} as const;
export type ClosedReason = keyof typeof CLOSED_REASON_LABEL;

/** Amount ranges offered to buyers (as the national marketplace), in euros excluding VAT. */
export const AMOUNT_RANGES = [
  { value: '0-1K', label: 'Moins de 1 000 €', min: 0, max: 999 },
  { value: '1-5K', label: '1 000 à 5 000 €', min: 1000, max: 4999 },
  { value: '5-10K', label: '5 000 à 10 000 €', min: 5000, max: 9999 },
  { value: '10-15K', label: '10 000 à 15 000 €', min: 10000, max: 14999 },
  { value: '15-20K', label: '15 000 à 20 000 €', min: 15000, max: 19999 },
  { value: '20-30K', label: '20 000 à 30 000 €', min: 20000, max: 29999 },
  { value: '30-50K', label: '30 000 à 50 000 €', min: 30000, max: 49999 },
  { value: '50-100K', label: '50 000 à 100 000 €', min: 50000, max: 99999 },
  { value: '100-150K', label: '100 000 à 150 000 €', min: 100000, max: 149999 },
  { value: '150-250K', label: '150 000 à 250 000 €', min: 150000, max: 249999 },
  { value: '250-500K', label: '250 000 à 500 000 €', min: 250000, max: 499999 },
  { value: '500-750K', label: '500 000 à 750 000 €', min: 500000, max: 749999 },
  { value: '750K-1M', label: '750 000 à 1 000 000 €', min: 750000, max: 999999 },
  { value: '>1M', label: 'Plus de 1 000 000 €', min: 1000000, max: null },
] as const;

/** The answer funnel of a structure to a need: the latest step wins (PRODUCT.md §3). */
export const RECIPIENT_STATUSES = ['matched', 'sent', 'opened', 'viewed', 'interested', 'not_interested', 'partners'] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];
export const RECIPIENT_STATUS_LABEL: Record<RecipientStatus, string> = {
  matched: 'Sélectionnée, pas encore contactée',
  sent: 'Contactée',
  opened: 'Lien ouvert',
  viewed: 'Besoin consulté',
  interested: 'Intéressée',
  not_interested: 'Pas intéressée',
  partners: 'Cherche des partenaires',
};

export const QuestionSchema = z.object({ id: z.string().min(1).max(40), text: z.string().trim().min(3).max(500) });

/** What a buyer writes; every field optional in a draft, checked in full at submission (see service). */
export const NeedInputSchema = z.object({
  kind: z.enum(NEED_KINDS),
  title: z.string().trim().max(200),
  description: z.string().trim().max(10000),
  placeKind: z.enum(['commune', 'territories', 'country']),
  placeCommune: z.string().trim().max(10).nullable(),
  placeKeys: z.array(z.string().regex(/^[CEDR][0-9AB]{2,9}$/)).max(50),
  answerDeadline: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable(),
  startDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable(),
  amountMin: z.number().nonnegative().nullable(),
  amountMax: z.number().nonnegative().nullable(),
  serviceTypes: z.array(z.enum(SERVICE_TYPE_CODES)).max(3),
  sectors: z.array(z.string().max(100)).max(20),
  structureKinds: z.array(z.enum(KIND_CODES)).max(10),
  reservation: z.enum(RESERVATIONS).nullable(),
  socialClause: z.boolean(),
  insertionHours: z.number().int().nonnegative().nullable(),
  socialCriterion: z.boolean(),
  environmentalRequirements: z.string().trim().max(5000),
  questions: z.array(QuestionSchema).max(10),
  contactName: z.string().trim().max(120),
  contactEmail: z.string().trim().toLowerCase().max(254),
  contactPhone: z.string().trim().max(30),
  buyerName: z.string().trim().max(200),
});
export type NeedInput = z.infer<typeof NeedInputSchema>;
