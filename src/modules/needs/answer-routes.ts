// API of the structures' side of needs: the needs sent to a structure, and its answer. Access 'api': a
// signed-in member of the structure's organisation (with the CSRF header) or an API token of that
// organisation (read scope to read, write scope to answer). The login-free signed link is for pages only.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';
import type { Platform } from '../../core/platform.ts';
import { authorize } from '../accounts/policy.ts';
import { ErrorSchema } from '../directory/schemas.ts';
import { placeLabel } from './answer-mails.ts';
import { answerAccess, answerNeed, AnswerInputSchema, buyerContact, canReadStructureNeeds, findStructureRef, type Recipient, receivedNeeds, recipientStatus } from './answers.ts';
import { consortiumOf } from './consortia.ts';
import { NEED_KINDS, NEED_STATUSES, RECIPIENT_STATUSES } from './model.ts';
import { findNeed } from './repository.ts';
import './sending.ts';

const TAGS = ['Besoins d’achat'];

const ContactSchema = z
  .object({ name: z.string(), email: z.string(), phone: z.string(), organisation: z.string() })
  .nullable()
  .describe('Coordonnées de l’acheteur, données une fois la structure intéressée (sinon null)');

/** The answer funnel of one (need, structure) row, as dates: the same fields wherever a row is shown. */
export const FUNNEL_FIELDS = {
  sentAt: z.string().nullable(),
  openedAt: z.string().nullable(),
  viewedAt: z.string().nullable(),
  interestedAt: z.string().nullable(),
  notInterestedAt: z.string().nullable(),
  notInterestedReason: z.string().nullable(),
  partnersAt: z.string().nullable(),
};

const ReceivedNeedSchema = z.object({
  needId: z.string(),
  reference: z.string(),
  title: z.string(),
  kind: z.enum(NEED_KINDS),
  needStatus: z.enum(NEED_STATUSES).describe('Statut du besoin'),
  answerDeadline: z.string().nullable(),
  place: z.string().describe('Lieu d’exécution, en clair'),
  structureId: z.string(),
  status: z.enum(RECIPIENT_STATUSES).describe('Statut de la réponse de la structure (dernière étape franchie)'),
  score: z.number().nullable(),
  reasons: z.array(z.string()).describe('Pourquoi la structure a reçu ce besoin'),
  ...FUNNEL_FIELDS,
  answers: z.record(z.string(), z.string()).describe('Réponses aux questions de l’acheteur'),
});

const AnswerResponseSchema = ReceivedNeedSchema.extend({
  questions: z.array(z.object({ id: z.string(), text: z.string() })),
  buyerContact: ContactSchema,
  consortiumId: z.string().nullable().describe('Groupement dont la structure fait partie pour ce besoin'),
});

function recipientFields(r: Recipient) {
  return {
    structureId: r.structureId,
    status: recipientStatus(r),
    score: r.score,
    reasons: r.reasons,
    sentAt: r.sentAt,
    openedAt: r.openedAt,
    viewedAt: r.viewedAt,
    interestedAt: r.interestedAt,
    notInterestedAt: r.notInterestedAt,
    notInterestedReason: r.notInterestedReason,
    partnersAt: r.partnersAt,
    answers: r.answers,
  };
}

export async function needAnswerRoutes(app: FastifyInstance, p: Platform): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/structures/:id/needs',
    {
      config: { access: 'api' },
      schema: {
        tags: TAGS,
        summary: 'Besoins d’achat reçus par une structure',
        description: 'Pour l’équipe de la structure (session, ou jeton d’API de son organisation avec la portée lecture). Les plus récents d’abord, avec le statut de la réponse.',
        params: z.object({ id: z.string().max(100) }),
        response: { 200: z.object({ items: z.array(ReceivedNeedSchema) }), 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (req) => {
      authorize(req.actor, canReadStructureNeeds(req.actor, req.params.id), 'Seule l’équipe de la structure voit les besoins qu’elle a reçus.');
      const s = await findStructureRef(p.db, req.params.id);
      if (!s) throw new AppError('NOT_FOUND', 'Structure introuvable.', 404);
      const rows = await receivedNeeds(p.db, { structureIds: [s.id] });
      return {
        items: rows.map((x) => ({
          needId: x.need.id,
          reference: x.need.reference,
          title: x.need.title,
          kind: x.need.kind,
          needStatus: x.need.status,
          answerDeadline: x.need.answerDeadline,
          place: placeLabel(x.need),
          ...recipientFields(x.recipient),
        })),
      };
    },
  );

  r.post(
    '/api/v1/needs/:needId/answers/:structureId',
    {
      config: { access: 'api' },
      schema: {
        tags: TAGS,
        summary: 'Répondre à un besoin d’achat au nom d’une structure',
        description:
          'Pour l’équipe de la structure (session avec l’en-tête CSRF, ou jeton d’API de son organisation avec la portée écriture), si le besoin lui a été envoyé. ' +
          '`status` : `interested` (les coordonnées de l’acheteur sont alors données), `not_interested` (motif `reasonCode` et/ou `reason` obligatoire), `partners` (cherche des partenaires). ' +
          '`answers` : réponses aux questions de l’acheteur, par identifiant de question (un texte vide efface la réponse). ' +
          'Erreurs : 409 `NEED_CLOSED` après la date limite ou si l’acheteur a clôturé le besoin ; 422 `VALIDATION_FAILED`.',
        params: z.object({ needId: z.string().max(100), structureId: z.string().max(100) }),
        body: AnswerInputSchema,
        response: { 200: AnswerResponseSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema },
      },
    },
    async (req) => {
      const ctx = await answerAccess(p, req.actor, req.params.needId, req.params.structureId, null);
      const rec = await answerNeed(p, ctx, req.body);
      const n = (await findNeed(p.db, ctx.need.id)) ?? ctx.need;
      const c = await consortiumOf(p.db, n.id, ctx.structure.id);
      return {
        needId: n.id,
        reference: n.reference,
        title: n.title,
        kind: n.kind,
        needStatus: n.status,
        answerDeadline: n.answerDeadline,
        place: placeLabel(n),
        ...recipientFields(rec),
        questions: n.questions,
        buyerContact: rec.interestedAt ? await buyerContact(p.db, n) : null,
        consortiumId: c?.id ?? null,
      };
    },
  );
}
