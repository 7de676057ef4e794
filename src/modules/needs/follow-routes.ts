// API of the buyer's follow-up (tag « Besoins d’achat »): answers by status, reminders, outcome, impact.
// Access 'api': a signed-in person (CSRF header for changes) or an API token of the buyer's organisation
// (read scope to read, write scope to change); the services check the need itself.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../../core/platform.ts';
import { ErrorSchema } from '../directory/schemas.ts';
import { KIND_CODES } from '../directory/model.ts';
import { FUNNEL_FIELDS } from './answer-routes.ts';
import { ANSWER_TABS, AnswersQuerySchema, listAnswers, needToFollow, sendReminder } from './follow-up.ts';
import { impactFigures } from './impact.ts';
import { RECIPIENT_STATUSES } from './model.ts';
import { OUTCOME_AWARDED, OutcomeInputSchema, recordOutcome } from './outcome.ts';

const TAGS = ['Besoins d’achat'];
const Params = z.object({ id: z.string().max(200) });

const ContactSchema = z
  .object({ email: z.string().nullable(), phone: z.string().nullable(), website: z.string().nullable() })
  .describe('Contact public de la structure (celui de sa fiche) ; jamais ses contacts privés');

const StructureRefSchema = z.object({
  structureId: z.string(),
  slug: z.string(),
  name: z.string(),
  siret: z.string(),
  kind: z.enum(KIND_CODES),
  kindName: z.string(),
  communeName: z.string().nullable(),
  departmentCode: z.string().nullable(),
  contact: ContactSchema,
});

const QuestionAnswerSchema = z.object({ questionId: z.string(), question: z.string(), answer: z.string() });

const StructureAnswerSchema = StructureRefSchema.extend({
  type: z.literal('structure'),
  status: z.enum(RECIPIENT_STATUSES),
  score: z.number().nullable(),
  reasons: z.array(z.string()).describe('Pourquoi la structure a été sélectionnée, en français'),
  distanceKm: z.number().nullable(),
  ...FUNNEL_FIELDS,
  reminderCount: z.number(),
  answers: z.array(QuestionAnswerSchema),
});

const ConsortiumAnswerSchema = z.object({
  type: z.literal('consortium'),
  consortiumId: z.string(),
  lead: StructureRefSchema.describe('Mandataire'),
  members: z.array(StructureRefSchema.extend({ role: z.enum(['lead', 'member']), status: z.enum(['invited', 'accepted', 'refused']) })).describe('Co-traitants'),
  note: z.string(),
  createdAt: z.string(),
  distanceKm: z.number().nullable(),
  answers: z.array(QuestionAnswerSchema),
});

const AnswersResponseSchema = z.object({
  items: z.array(z.discriminatedUnion('type', [StructureAnswerSchema, ConsortiumAnswerSchema])).describe('Un groupement est une seule réponse, avec ses membres'),
  total: z.number(),
  page: z.number(),
  perPage: z.number(),
  counts: z.record(z.enum(ANSWER_TABS), z.number()).describe('Nombre de réponses par onglet (avec les filtres de type et de département)'),
});

const ImpactFiguresSchema = z.object({
  posted: z.number().describe('Besoins déposés'),
  sent: z.number().describe('Besoins envoyés à des structures'),
  withInterest: z.number().describe('Besoins avec au moins une structure intéressée (ou un groupement)'),
  contracts: z.number().describe('Besoins ayant abouti à un contrat'),
  amountAwarded: z.number().describe('Montant attribué à des structures inclusives ou groupements de l’annuaire (€ HT)'),
});
const ImpactRowSchema = ImpactFiguresSchema.extend({ key: z.string(), code: z.string(), name: z.string() });

const OutcomeResponseSchema = z.object({
  awarded: z.enum(OUTCOME_AWARDED),
  structureId: z.string().nullable(),
  consortiumId: z.string().nullable(),
  amount: z.number().nullable(),
  answeredAt: z.string().nullable(),
});

export async function needFollowRoutes(app: FastifyInstance, p: Platform): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/needs/impact',
    {
      config: { access: 'public' },
      schema: {
        tags: TAGS,
        summary: 'Chiffres d’impact des besoins d’achat',
        description:
          'Par région (les régions où des besoins ont été déposés, et celle de l’opérateur) puis par département de la région de l’opérateur : besoins déposés, envoyés, ' +
          'avec au moins une structure intéressée, ayant abouti à un contrat, et montant attribué aux structures inclusives. Un besoin compte dans chaque territoire de son lieu ' +
          'd’exécution ; un besoin pour toute la France ne compte que dans `national`. Sans aucune donnée personnelle ; les besoins de démonstration sont exclus.',
        response: {
          200: z.object({
            national: ImpactFiguresSchema,
            regions: z.array(ImpactRowSchema),
            region: z.object({ code: z.string(), name: z.string() }).nullable(),
            departments: z.array(ImpactRowSchema),
          }),
        },
      },
    },
    async () => impactFigures(p.db, p.config),
  );

  r.get(
    '/api/v1/needs/:id/answers',
    {
      config: { access: 'api' },
      schema: {
        tags: TAGS,
        summary: 'Réponses des structures à un besoin',
        description:
          'Pour l’acheteur (session, ou jeton d’API de son organisation), les facilitateurs du territoire et l’équipe de la plateforme. ' +
          'Par onglet (`status`) et filtres (`kind`, `department`), paginé. Chaque réponse donne les raisons de la sélection, les dates du parcours, ' +
          'les réponses aux questions et le contact public de la structure. Un groupement est une seule réponse (`type: consortium`) avec ses membres.',
        params: Params,
        querystring: AnswersQuerySchema,
        response: { 200: AnswersResponseSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (req) => {
      const need = await needToFollow(p.db, req.actor, req.params.id);
      const { items, total, page, perPage, counts } = await listAnswers(p.db, need, req.query);
      return { items, total, page, perPage, counts };
    },
  );

  r.post(
    '/api/v1/needs/:id/reminders',
    {
      config: { access: 'api' },
      schema: {
        tags: TAGS,
        summary: 'Relancer les structures sans réponse',
        description:
          'Pour l’acheteur seulement (session avec l’en-tête CSRF, ou jeton d’API de son organisation avec la portée écriture). Deux relances au plus par besoin, ' +
          'à 2 jours au moins de l’envoi et de la relance précédente ; elles partent aux structures contactées qui ne se sont dites ni intéressées ni pas intéressées, ' +
          'avec leur lien personnel vers le besoin. Sinon 409 `REMINDER_NOT_ALLOWED` avec la raison en français (et `details.notBefore` quand il suffit d’attendre).',
        params: Params,
        response: {
          200: z.object({ reminded: z.number().describe('Structures relancées'), remindersSent: z.number().describe('Relances envoyées pour ce besoin (2 au plus)') }),
          401: ErrorSchema,
          403: ErrorSchema,
          404: ErrorSchema,
          409: ErrorSchema,
        },
      },
    },
    async (req) => sendReminder(p, req.actor, req.params.id),
  );

  r.post(
    '/api/v1/needs/:id/outcome',
    {
      config: { access: 'api' },
      schema: {
        tags: TAGS,
        summary: 'Indiquer le résultat d’un besoin',
        description:
          'Pour l’acheteur (session, ou jeton d’API de son organisation avec la portée écriture), une fois le besoin envoyé. `awarded` : yes, no, not_yet. ' +
          'Attribué (`yes`) : `structureId` (une structure qui s’est dite intéressée ou a cherché des partenaires) ou `consortiumId` (un groupement formé pour ce besoin), ' +
          'ou aucun des deux pour une autre structure ; `amount` en euros HT. Peut être modifié ; chaque réponse est journalisée.',
        params: Params,
        body: OutcomeInputSchema,
        response: { 200: OutcomeResponseSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema },
      },
    },
    async (req) => {
      const need = await recordOutcome(p, { actor: req.actor }, req.params.id, req.body);
      return {
        awarded: need.outcomeAwarded ?? 'not_yet',
        structureId: need.outcomeStructureId,
        consortiumId: need.outcomeConsortiumId,
        amount: need.outcomeAmount,
        answeredAt: need.outcomeAnsweredAt,
      };
    },
  );
}
