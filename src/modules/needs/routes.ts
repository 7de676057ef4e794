// API of purchasing needs (tag « Besoins d’achat »): a buyer's information system posts needs with its
// organisation's API token (write scope) or a session; qualifiers list and decide; matches with reasons.
// Bodies are validated by the service, which answers 422 with one French message per field.
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { type ZodTypeProvider, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../core/config.ts';
import type { Platform } from '../../core/platform.ts';
import { clientIp } from '../accounts/http.ts';
import { ErrorSchema } from '../directory/schemas.ts';
import type { Attachment } from './attachments.ts';
import { CLOSED_REASON_LABEL, NEED_STATUS_LABEL, NEED_STATUSES, NeedInputSchema } from './model.ts';
import type { Need } from './repository.ts';
import { createAndSubmit, DECISIONS, listAttachments, listNeeds, needFor, needMatches, parseInput, qualifyNeed, saveNeed, submitNeed, type Field, validationError } from './service.ts';

const TAGS = ['Besoins d’achat'];

const AttachmentSchema = z.object({ id: z.string(), name: z.string(), contentType: z.string(), sizeBytes: z.number(), url: z.string() });

const NeedSchema = z
  .object({
    id: z.string(),
    reference: z.string(),
    status: z.enum(NEED_STATUSES),
    statusLabel: z.string(),
    kind: z.enum(['QUOTE', 'TENDER', 'SOURCING']),
    title: z.string(),
    description: z.string(),
    placeKind: z.enum(['commune', 'territories', 'country']).nullable(),
    placeCommune: z.string().nullable(),
    placeKeys: z.array(z.string()),
    answerDeadline: z.string().nullable(),
    startDate: z.string().nullable(),
    amountMin: z.number().nullable(),
    amountMax: z.number().nullable(),
    serviceTypes: z.array(z.string()),
    sectors: z.array(z.string()),
    structureKinds: z.array(z.string()),
    reservation: z.string().nullable(),
    socialClause: z.boolean(),
    insertionHours: z.number().nullable(),
    socialCriterion: z.boolean(),
    environmentalRequirements: z.string(),
    questions: z.array(z.object({ id: z.string(), text: z.string() })),
    buyerOrganisationId: z.string().nullable(),
    buyerName: z.string(),
    contactName: z.string(),
    contactEmail: z.string(),
    contactPhone: z.string(),
    source: z.enum(['form', 'api']),
    submittedAt: z.string().nullable(),
    validatedAt: z.string().nullable(),
    changesRequestedAt: z.string().nullable(),
    changesMessage: z.string().nullable(),
    rejectedAt: z.string().nullable(),
    rejectionReason: z.string().nullable(),
    closedAt: z.string().nullable(),
    closedReason: z.string().nullable(),
    closedReasonLabel: z.string().nullable(),
    attachments: z.array(AttachmentSchema),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .describe('Un besoin d’achat');

const MatchSchema = z.object({
  structureId: z.string(),
  slug: z.string(),
  name: z.string(),
  kind: z.string(),
  score: z.number(),
  components: z.object({ distance: z.number(), specificity: z.number(), completeness: z.number(), responsiveness: z.number() }),
  distanceKm: z.number().nullable(),
  activityId: z.string(),
  reasons: z.array(z.string()),
});

function view(config: Config, n: Need, attachments: Attachment[]) {
  return {
    id: n.id,
    reference: n.reference,
    status: n.status,
    statusLabel: NEED_STATUS_LABEL[n.status],
    kind: n.kind,
    title: n.title,
    description: n.description,
    placeKind: n.placeKind,
    placeCommune: n.placeCommune,
    placeKeys: n.placeKeys,
    answerDeadline: n.answerDeadline,
    startDate: n.startDate,
    amountMin: n.amountMin,
    amountMax: n.amountMax,
    serviceTypes: n.serviceTypes,
    sectors: n.sectors,
    structureKinds: n.structureKinds,
    reservation: n.reservation,
    socialClause: n.socialClause,
    insertionHours: n.insertionHours,
    socialCriterion: n.socialCriterion,
    environmentalRequirements: n.environmentalRequirements,
    questions: n.questions,
    buyerOrganisationId: n.buyerOrganisationId,
    buyerName: n.buyerName,
    contactName: n.contactName,
    contactEmail: n.contactEmail,
    contactPhone: n.contactPhone,
    source: n.source,
    submittedAt: n.submittedAt,
    validatedAt: n.validatedAt,
    changesRequestedAt: n.changesRequestedAt,
    changesMessage: n.changesMessage,
    rejectedAt: n.rejectedAt,
    rejectionReason: n.rejectionReason,
    closedAt: n.closedAt,
    closedReason: n.closedReason,
    closedReasonLabel: n.closedReason ? CLOSED_REASON_LABEL[n.closedReason] : null,
    attachments: attachments.map((a) => ({ id: a.id, name: a.originalName, contentType: a.contentType, sizeBytes: a.sizeBytes, url: `${config.publicUrl}/besoins/${n.id}/pieces/${a.id}` })),
    createdAt: n.createdAt,
    updatedAt: n.updatedAt,
  };
}

// One compiler for routes whose body the service validates (French messages per field).
const bodyByService: FastifySchemaCompiler<any> = (route) =>
  route.httpPart === 'body' ? (data: unknown) => ({ value: data }) : (validatorCompiler(route as never) as never);

const Params = z.object({ id: z.string().max(100) });
const InputBody = NeedInputSchema.partial().extend({ organisationId: z.string().optional().describe('Organisation d’acheteur, quand la personne en a plusieurs') });
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema };

export async function needRoutes(app: FastifyInstance, p: Platform): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const api = { access: 'api' as const };
  const withAttachments = async (n: Need) => view(p.config, n, await listAttachments(p.db, n.id));

  r.post(
    '/api/v1/needs',
    {
      config: api,
      validatorCompiler: bodyByService,
      schema: {
        tags: TAGS,
        summary: 'Déposer un besoin d’achat',
        description:
          'Pour un membre d’une organisation d’acheteur (session) ou un jeton d’API de cette organisation avec la portée écriture. Le besoin complet est créé et déposé ' +
          '(statut `submitted`) : un facilitateur de son territoire le qualifie. Obligatoires : `kind`, `title` (5 caractères au moins), `description` (20 au moins), ' +
          '`placeKind` (+ `placeCommune` ou `placeKeys`), `answerDeadline` (aujourd’hui ou après), `sectors` (au moins un), `contactName`, `contactEmail`, `contactPhone`, `buyerName`. ' +
          'Sinon 422 `VALIDATION_FAILED` : `details.fields` donne un message par champ, et rien n’est créé.',
        body: InputBody,
        response: { 201: NeedSchema, ...errors },
      },
    },
    async (req, reply) => {
      const n = await createAndSubmit(p, req.actor, (req.body ?? {}) as Record<string, unknown>, { ip: clientIp(req) });
      return reply.status(201).send(await withAttachments(n));
    },
  );

  r.get(
    '/api/v1/needs',
    {
      config: api,
      schema: {
        tags: TAGS,
        summary: 'Lister des besoins d’achat',
        description: 'Par défaut, les besoins de vos organisations d’acheteur (et ceux que vous avez déposés). `scope=toQualify` : les besoins que vous qualifiez (facilitateurs vérifiés de leur territoire, équipe de la plateforme ; session seulement).',
        querystring: z.object({
          scope: z.enum(['mine', 'toQualify']).default('mine'),
          status: z.enum(NEED_STATUSES).optional(),
          page: z.coerce.number().int().min(1).max(10000).default(1),
          perPage: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: { 200: z.object({ items: z.array(NeedSchema), total: z.number(), page: z.number(), perPage: z.number() }), ...errors },
      },
    },
    async (req) => {
      const list = await listNeeds(p, req.actor, { scope: req.query.scope, status: req.query.status ?? null, page: req.query.page, perPage: req.query.perPage });
      return { items: await Promise.all(list.items.map(withAttachments)), total: list.total, page: list.page, perPage: list.perPage };
    },
  );

  r.get(
    '/api/v1/needs/:id',
    { config: api, schema: { tags: TAGS, summary: 'Lire un besoin d’achat', description: 'Pour l’acheteur (son organisation) et les personnes qui le qualifient.', params: Params, response: { 200: NeedSchema, ...errors } } },
    async (req) => withAttachments(await needFor(p, req.actor, req.params.id)),
  );

  r.patch(
    '/api/v1/needs/:id',
    {
      config: api,
      validatorCompiler: bodyByService,
      schema: {
        tags: TAGS,
        summary: 'Modifier un besoin d’achat',
        description:
          'Un brouillon ou un besoin dont des modifications sont demandées (l’acheteur), ou un besoin en qualification (facilitateur du territoire, équipe de la plateforme ; modification journalisée). ' +
          'Seuls les champs envoyés changent, vérifiés avec les règles d’un besoin complet ; 422 `VALIDATION_FAILED` avec un message par champ.',
        params: Params,
        body: NeedInputSchema.partial(),
        response: { 200: NeedSchema, ...errors },
      },
    },
    async (req) => {
      const { values, errors: parseErrors } = parseInput(req.body);
      const fields = Object.keys(req.body ?? {}).filter((k) => k in NeedInputSchema.shape) as Field[];
      if (!fields.length) throw validationError({ body: 'Envoyez au moins un champ à modifier.' });
      return withAttachments(await saveNeed(p, { actor: req.actor, guest: false }, req.params.id, values, fields, { parseErrors }));
    },
  );

  r.post(
    '/api/v1/needs/:id/submit',
    {
      config: api,
      schema: {
        tags: TAGS,
        summary: 'Envoyer un besoin d’achat',
        description: 'Envoie un brouillon, ou renvoie un besoin après les modifications demandées : il passe en qualification. 422 si un champ manque (message par champ).',
        params: Params,
        response: { 200: NeedSchema, ...errors },
      },
    },
    async (req) => withAttachments((await submitNeed(p, { actor: req.actor, guest: false }, req.params.id, { ip: clientIp(req) })).need),
  );

  r.post(
    '/api/v1/needs/:id/qualification',
    {
      config: { access: 'person' },
      validatorCompiler: bodyByService,
      schema: {
        tags: TAGS,
        summary: 'Qualifier un besoin d’achat',
        description:
          'Facilitateur vérifié du territoire du besoin ou équipe de la plateforme, avec une session (un jeton d’API ne suffit pas). `validate` : le besoin sera envoyé par lots ; ' +
          '`request_changes` : l’acheteur reçoit `message` et un lien pour modifier (sans réponse en 10 jours, le besoin est clôturé) ; `reject` : l’acheteur reçoit `message` comme motif. ' +
          'Le besoin doit être en qualification (`submitted`), sinon 409.',
        params: Params,
        body: z.object({ decision: z.enum(DECISIONS), message: z.string().max(3000).optional() }),
        response: { 200: NeedSchema, ...errors },
      },
    },
    async (req) => {
      const body = (req.body ?? {}) as { decision?: unknown; message?: unknown };
      return withAttachments(await qualifyNeed(p, req.actor, req.params.id, body));
    },
  );

  r.get(
    '/api/v1/needs/:id/matches',
    {
      config: api,
      schema: {
        tags: TAGS,
        summary: 'Structures qui correspondent à un besoin',
        description: 'Les structures éligibles avec leur score (0 à 100) et les raisons en français, par score décroissant. Pour les personnes qui qualifient le besoin à tout moment, pour l’acheteur une fois le besoin validé (409 avant).',
        params: Params,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
        response: { 200: z.object({ total: z.number(), items: z.array(MatchSchema) }), ...errors },
      },
    },
    async (req) => {
      const r2 = await needMatches(p, req.actor, req.params.id, req.query.limit);
      return { total: r2.total, items: r2.items };
    },
  );
}
