// API of the tender watch (tag « Veille des marchés »): notices with filters, one notice with its
// classification and the structures that fit, a structure's won contracts, saved searches.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../../core/platform.ts';
import { ErrorSchema } from '../directory/schemas.ts';
import './fetch.ts';
import { NoticeFiltersSchema } from './filters.ts';
import { FINDING_KINDS, RESERVED_FAMILIES } from './model.ts';
import { awardsOfSiret, getNotice, getNoticeRaw, noticeMatches, searchNotices } from './service.ts';
import { createSearch, deleteSearch, listSearches, searchFor, updateSearch } from './watch.ts';

const TAGS = ['Veille des marchés'];
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema };

const FindingSchema = z.object({
  kind: z.enum(FINDING_KINDS),
  value: z.string(),
  lot: z.string().nullable(),
  origin: z.enum(['field', 'text']),
  path: z.string(),
  excerpt: z.string(),
  words: z.string().optional().describe('Pour un constat tiré du texte : les mots qui l’ont déclenché'),
});
const ClassificationSchema = z
  .object({
    source: z.string(),
    id: z.string(),
    reserved: z.array(z.enum(RESERVED_FAMILIES)),
    socialClause: z.boolean(),
    socialCriterion: z.boolean(),
    environmental: z.boolean(),
    insertionHours: z.number().nullable(),
    findings: z.array(FindingSchema),
    lots: z.array(
      z.object({ lot: z.string(), reserved: z.array(z.enum(RESERVED_FAMILIES)), socialClause: z.boolean(), socialCriterion: z.boolean(), environmental: z.boolean(), insertionHours: z.number().nullable() }),
    ),
  })
  .describe('Classification d’un avis, avec les preuves (champ structuré et sa valeur, ou phrase du texte)');

const SummarySchema = z.object({
  id: z.number(),
  source: z.enum(['boamp', 'eforms', 'decp']),
  sourceId: z.string(),
  url: z.string().nullable(),
  title: z.string(),
  buyerName: z.string().nullable(),
  nature: z.enum(['contract', 'award', 'modification', 'prior', 'other']),
  publishedOn: z.string().nullable(),
  deadline: z.string().nullable(),
  amount: z.number().nullable(),
  departements: z.array(z.string()),
  sectors: z.array(z.string()),
  cpv: z.array(z.string()),
  reserved: z.array(z.enum(RESERVED_FAMILIES)),
  socialClause: z.boolean(),
  socialCriterion: z.boolean(),
  environmental: z.boolean(),
  insertionHours: z.number().nullable(),
});
const PlacesSchema = z.object({ communes: z.array(z.string()), departements: z.array(z.string()), nuts: z.array(z.string()), postcodes: z.array(z.string()) });
const DetailSchema = SummarySchema.extend({
  buyerSiret: z.string().nullable(),
  description: z.string().nullable(),
  procedure: z.string().nullable(),
  communes: z.array(z.string()),
  places: PlacesSchema,
  lots: z.array(z.object({ number: z.string(), title: z.string().nullable(), description: z.string().nullable(), cpv: z.array(z.string()), amount: z.number().nullable(), places: PlacesSchema })),
  awards: z.array(z.object({ lot: z.string().nullable(), holders: z.array(z.object({ name: z.string().nullable(), siret: z.string().nullable() })), amount: z.number().nullable(), date: z.string().nullable() })),
  classification: ClassificationSchema,
  firstSeenAt: z.string(),
  updatedAt: z.string(),
});
const MatchSchema = z.object({ structureId: z.string(), slug: z.string(), name: z.string(), kind: z.string(), score: z.number(), distanceKm: z.number().nullable(), reasons: z.array(z.string()) });
const SavedSearchSchema = z.object({
  id: z.string(),
  name: z.string(),
  organisationId: z.string().nullable(),
  organisationName: z.string().nullable(),
  filters: z.record(z.string(), z.unknown()),
  digest: z.boolean(),
  lastDigestAt: z.string(),
  createdAt: z.string(),
});
const SearchBody = z.object({
  name: z.string().describe('Nom de la veille'),
  organisationId: z.string().nullable().optional().describe('Veille d’une de vos organisations (ses membres la voient), sinon personnelle'),
  digest: z.boolean().optional().describe('Courriel quotidien des nouveaux avis (par défaut : oui)'),
  filters: z.record(z.string(), z.unknown()).optional().describe('Mêmes critères que GET /api/v1/notices'),
});
const Params = z.object({ id: z.string().max(100) });
const viewSearch = (s: Awaited<ReturnType<typeof searchFor>>) => ({
  id: s.id,
  name: s.name,
  organisationId: s.organisationId,
  organisationName: s.organisationName,
  filters: s.filters as Record<string, unknown>,
  digest: s.digest,
  lastDigestAt: s.lastDigestAt,
  createdAt: s.createdAt,
});

export async function noticeRoutes(app: FastifyInstance, p: Platform): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const pub = { access: 'public' as const };
  const api = { access: 'api' as const };

  r.get(
    '/api/v1/notices',
    {
      config: pub,
      schema: {
        tags: TAGS,
        summary: 'Chercher des avis de marchés publics',
        description: 'Avis lus dans le BOAMP, les avis eForms et les données essentielles (DECP), classés : marchés réservés, clause sociale, critère social, environnement. Les plus récents d’abord.',
        querystring: NoticeFiltersSchema.extend({
          page: z.coerce.number().int().min(1).max(10000).default(1),
          perPage: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: { 200: z.object({ items: z.array(SummarySchema), total: z.number(), page: z.number(), perPage: z.number() }), ...errors },
      },
    },
    async (req) => {
      const { page, perPage, ...filters } = req.query;
      return searchNotices(p.db, filters, { page, perPage });
    },
  );

  r.get(
    '/api/v1/notices/:id',
    { config: pub, schema: { tags: TAGS, summary: 'Lire un avis', description: 'L’avis normalisé, ses lots, ses attributions et sa classification avec les preuves.', params: Params, response: { 200: DetailSchema, ...errors } } },
    async (req) => getNotice(p.db, Number(req.params.id)),
  );

  r.get(
    '/api/v1/notices/:id/classification',
    {
      config: pub,
      schema: {
        tags: TAGS,
        summary: 'Classification d’un avis',
        description: 'Le même objet que `passerelles classify notices --json` imprime pour cet avis.',
        params: Params,
        response: { 200: ClassificationSchema, ...errors },
      },
    },
    async (req) => (await getNotice(p.db, Number(req.params.id))).classification,
  );

  r.get(
    '/api/v1/notices/:id/raw',
    { config: pub, schema: { tags: TAGS, summary: 'Enregistrement source d’un avis', description: 'L’enregistrement tel qu’il a été lu (données publiques), pour vérifier une classification.', params: Params } },
    async (req) => ({ raw: await getNoticeRaw(p.db, Number(req.params.id)) }),
  );

  r.get(
    '/api/v1/notices/:id/matches',
    {
      config: pub,
      schema: {
        tags: TAGS,
        summary: 'Structures qui correspondent à un avis',
        description: 'Par le module de mise en relation : lieu d’exécution, secteurs tirés des codes CPV, réservation et clause. Chaque structure avec ses raisons en français.',
        params: Params,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
        response: { 200: z.object({ total: z.number(), items: z.array(MatchSchema) }), ...errors },
      },
    },
    async (req) => {
      const m = await noticeMatches(p, await getNotice(p.db, Number(req.params.id)), req.query.limit);
      return { total: m.total, items: m.items.map((x) => ({ structureId: x.structureId, slug: x.slug, name: x.name, kind: x.kind, score: x.score, distanceKm: x.distanceKm, reasons: x.reasons })) };
    },
  );

  r.get(
    '/api/v1/awards',
    {
      config: pub,
      schema: {
        tags: TAGS,
        summary: 'Marchés remportés par un SIRET',
        description: 'Les contrats publics dont ce SIRET est titulaire, d’après les données essentielles (DECP) et les avis d’attribution importés. Les plus récents d’abord.',
        querystring: z.object({ siret: z.string().regex(/^\d{14}$/, 'Le SIRET a 14 chiffres.'), limit: z.coerce.number().int().min(1).max(100).default(20) }),
        response: {
          200: z.object({
            total: z.number(),
            items: z.array(z.object({ noticeId: z.number(), title: z.string(), buyerName: z.string().nullable(), amount: z.number().nullable(), awardedOn: z.string().nullable(), lot: z.string().nullable(), source: z.string() })),
          }),
          ...errors,
        },
      },
    },
    async (req) => awardsOfSiret(p.db, req.query.siret, req.query.limit),
  );

  r.get(
    '/api/v1/notice-searches',
    { config: api, schema: { tags: TAGS, summary: 'Mes veilles', description: 'Vos veilles et celles de vos organisations (session).', response: { 200: z.object({ items: z.array(SavedSearchSchema) }), ...errors } } },
    async (req) => ({ items: (await listSearches(p.db, req.actor)).map(viewSearch) }),
  );

  r.post(
    '/api/v1/notice-searches',
    {
      config: api,
      schema: {
        tags: TAGS,
        summary: 'Créer une veille',
        description: 'Enregistre des critères ; avec `digest`, un courriel quotidien liste les nouveaux avis (rien n’est envoyé quand rien n’est nouveau). 422 `VALIDATION_FAILED` avec un message par critère.',
        body: SearchBody,
        response: { 201: SavedSearchSchema, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(viewSearch(await createSearch(p.db, req.actor, req.body as Record<string, unknown>))),
  );

  r.get(
    '/api/v1/notice-searches/:id',
    { config: api, schema: { tags: TAGS, summary: 'Lire une veille', params: Params, response: { 200: SavedSearchSchema, ...errors } } },
    async (req) => viewSearch(await searchFor(p.db, req.actor, req.params.id)),
  );

  r.patch(
    '/api/v1/notice-searches/:id',
    { config: api, schema: { tags: TAGS, summary: 'Modifier une veille', description: 'Par la personne qui l’a créée ou un administrateur de son organisation.', params: Params, body: SearchBody.partial(), response: { 200: SavedSearchSchema, ...errors } } },
    async (req) => viewSearch(await updateSearch(p.db, req.actor, req.params.id, req.body as Record<string, unknown>)),
  );

  r.delete(
    '/api/v1/notice-searches/:id',
    { config: api, schema: { tags: TAGS, summary: 'Supprimer une veille', params: Params, response: { 204: z.null(), ...errors } } },
    async (req, reply) => {
      await deleteSearch(p.db, req.actor, req.params.id);
      return reply.status(204).send(null);
    },
  );
}
