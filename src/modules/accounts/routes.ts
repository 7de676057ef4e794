// Accounts API (/api/v1, tag « Comptes »): who is calling, organisations and their members, the
// organisation's API tokens, and the person's own data (export, deletion).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';
import { kickJobs } from '../../core/jobs.ts';
import type { Platform } from '../../core/platform.ts';
import { ErrorSchema } from '../directory/schemas.ts';
import { ORGANISATION_TYPES, ROLES } from './model.ts';
import { clearSessionCookie } from './http.ts';
import { authorize, canSeeMembers, canSeeOrganisation, requirePerson } from './policy.ts';
import { PersonExportSchema, deleteAccount, exportMyData } from './privacy.ts';
import { getOrganisation, listMembers } from './service.ts';
import { TOKEN_LIFETIMES, TOKEN_NAME_MAX, TOKEN_SCOPES, createToken, listTokens, revokeToken } from './tokens.ts';

const TAGS = ['Comptes'];
const Iso = z.string().describe('date et heure, ISO 8601');

export const OrganisationSchema = z
  .object({
    id: z.string(),
    type: z.enum(ORGANISATION_TYPES),
    name: z.string(),
    category: z.string().nullable(),
    territoryKeys: z.array(z.string()).describe('territoires d’action : C<commune>, E<EPCI>, D<département>, R<région>'),
    networkSlug: z.string().nullable(),
    structureId: z.string().nullable().describe('pour une structure inclusive : sa fiche de l’annuaire'),
    verified: z.boolean().describe('les facilitateurs et les réseaux agissent pour d’autres une fois vérifiés'),
    createdAt: Iso,
  })
  .describe('Organisation');

const MeSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('person'),
      person: z.object({ id: z.string(), email: z.string(), name: z.string(), emailConfirmedAt: Iso.nullable() }),
      organisations: z.array(
        z.object({ id: z.string(), name: z.string(), type: z.enum(ORGANISATION_TYPES), role: z.enum(ROLES), structureId: z.string().nullable(), verified: z.boolean() }),
      ),
    })
    .describe('Appel fait avec une session'),
  z
    .object({
      kind: z.literal('token'),
      token: z.object({ id: z.string(), name: z.string(), prefix: z.string(), scopes: z.array(z.enum(TOKEN_SCOPES)), expiresAt: Iso }),
      organisation: OrganisationSchema,
    })
    .describe('Appel fait avec un jeton d’API : il agit pour son organisation, comme un membre'),
]);

const MemberSchema = z.object({
  personId: z.string(),
  name: z.string(),
  email: z.string().nullable().describe('visible des membres de l’organisation et de l’équipe de la plateforme seulement'),
  role: z.enum(ROLES),
  since: Iso,
});

const TokenSchema = z.object({
  id: z.string(),
  organisationId: z.string(),
  name: z.string(),
  prefix: z.string().describe('premiers caractères du jeton, pour le reconnaître'),
  scopes: z.array(z.enum(TOKEN_SCOPES)),
  createdBy: z.object({ id: z.string(), name: z.string() }).nullable(),
  createdAt: Iso,
  expiresAt: Iso,
  lastUsedAt: Iso.nullable(),
  revokedAt: Iso.nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
});

const OrgParams = z.object({ id: z.guid() });
const LIFETIME = z.union(TOKEN_LIFETIMES.map((d) => z.literal(d)) as [z.ZodLiteral<30>, z.ZodLiteral<90>, z.ZodLiteral<180>, z.ZodLiteral<365>]);

export async function accountRoutes(app: FastifyInstance, p: Platform): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };

  r.get(
    '/api/v1/me',
    {
      config: { access: 'api' },
      schema: {
        tags: TAGS,
        summary: 'Qui appelle : la personne connectée et ses organisations, ou le jeton d’API et son organisation',
        response: { 200: MeSchema, 401: ErrorSchema, 403: ErrorSchema },
      },
    },
    async (req) => {
      const actor = req.actor;
      if (actor.token) {
        const t = (await p.db.one<{ name: string; prefix: string; expires_at: Date }>('SELECT name, prefix, expires_at FROM api_tokens WHERE id = $1', [actor.token.id])) as { name: string; prefix: string; expires_at: Date };
        const organisation = await getOrganisation(p, actor.token.organisationId);
        if (!organisation) throw new AppError('INVALID_TOKEN', 'Jeton d’API invalide, expiré ou révoqué.', 401);
        return {
          kind: 'token' as const,
          token: { id: actor.token.id, name: t.name, prefix: t.prefix, scopes: actor.token.scopes, expiresAt: new Date(t.expires_at).toISOString() },
          organisation: { ...organisation, type: organisation.type as (typeof ORGANISATION_TYPES)[number] },
        };
      }
      const person = requirePerson(actor);
      return {
        kind: 'person' as const,
        person: { id: person.id, email: person.email, name: person.name, emailConfirmedAt: person.emailConfirmedAt },
        organisations: actor.memberships.map((m) => ({ id: m.organisationId, name: m.organisationName, type: m.type, role: m.role, structureId: m.structureId, verified: m.verified })),
      };
    },
  );

  r.get(
    '/api/v1/me/export',
    {
      config: { access: 'person' },
      schema: {
        tags: TAGS,
        summary: 'Mes données personnelles (export RGPD)',
        description: 'Tout ce que Passerelles conserve sur la personne connectée, sans aucun secret (mot de passe, jeton de session ou d’API). Demande une session : un jeton d’API ne suffit pas.',
        response: { 200: PersonExportSchema, ...errors },
      },
    },
    async (req, reply) => {
      reply.header('Cache-Control', 'no-store');
      return exportMyData(p, req.actor);
    },
  );

  r.delete(
    '/api/v1/me',
    {
      config: { access: 'person' },
      schema: {
        tags: TAGS,
        summary: 'Supprimer mon compte',
        description:
          'Confirmé par l’adresse électronique du compte. Refusé (409 `LAST_ADMIN_OF_ORGANISATION`) tant que la personne est le seul administrateur d’une organisation qui compte d’autres membres. Les organisations dont elle était le seul membre sont supprimées, sauf celle d’une structure (gardée sans membre, ses jetons révoqués) ; le journal garde les actions, sans lien avec elle. Demande une session et l’en-tête `X-CSRF-Token`.',
        body: z.object({ confirmEmail: z.string().max(320).describe('l’adresse électronique du compte, pour confirmer') }),
        response: { 204: z.null().describe('Compte supprimé'), 409: ErrorSchema, 422: ErrorSchema, ...errors },
      },
    },
    async (req, reply) => {
      await deleteAccount(p, req.actor, req.body.confirmEmail);
      kickJobs();
      clearSessionCookie(reply, p.config);
      return reply.status(204).send(null);
    },
  );

  r.get(
    '/api/v1/organisations/:id',
    {
      config: { access: 'api' },
      schema: {
        tags: TAGS,
        summary: 'Une organisation (visible de ses membres, de ses jetons et des facilitateurs)',
        params: OrgParams,
        response: { 200: OrganisationSchema, ...errors },
      },
    },
    async (req) => {
      const org = await getOrganisation(p, req.params.id);
      if (!org) throw new AppError('NOT_FOUND', 'Organisation introuvable.', 404);
      authorize(req.actor, canSeeOrganisation(req.actor, org.id), 'Cette organisation n’est visible que par ses membres.');
      return { ...org, type: org.type as (typeof ORGANISATION_TYPES)[number] };
    },
  );

  r.get(
    '/api/v1/organisations/:id/members',
    {
      config: { access: 'person' },
      schema: {
        tags: TAGS,
        summary: 'Membres d’une organisation',
        description: 'Pour ses membres et l’équipe de la plateforme. Les facilitateurs qui suivent l’organisation voient les noms et les rôles, sans les adresses électroniques.',
        params: OrgParams,
        response: { 200: z.object({ items: z.array(MemberSchema) }), ...errors },
      },
    },
    async (req) => {
      const org = await getOrganisation(p, req.params.id);
      if (!org) throw new AppError('NOT_FOUND', 'Organisation introuvable.', 404);
      // Who the members are is personal data: the organisation's own members and the platform team only.
      authorize(req.actor, canSeeMembers(req.actor, org.id), 'Les membres d’une organisation ne sont visibles que par ses membres.');
      const members = await listMembers(p, org.id);
      return { items: members };
    },
  );

  r.get(
    '/api/v1/organisations/:id/tokens',
    {
      config: { access: 'person' },
      schema: {
        tags: TAGS,
        summary: 'Jetons d’API de l’organisation',
        description: 'Pour les administrateurs de l’organisation et l’équipe de la plateforme, avec une session (un jeton ne gère pas les jetons).',
        params: OrgParams,
        response: { 200: z.object({ items: z.array(TokenSchema) }), ...errors },
      },
    },
    async (req) => ({ items: (await listTokens(p, req.actor, req.params.id)).tokens }),
  );

  r.post(
    '/api/v1/organisations/:id/tokens',
    {
      config: { access: 'person' },
      schema: {
        tags: TAGS,
        summary: 'Créer un jeton d’API pour l’organisation',
        description:
          'Le jeton est renvoyé une seule fois, dans cette réponse : Passerelles n’en garde qu’une empreinte. Il s’utilise dans l’en-tête `Authorization: Bearer <jeton>`, agit pour l’organisation comme un membre, avec la portée `read` pour lire et `write` pour modifier, et expire toujours.',
        params: OrgParams,
        body: z.object({
          name: z.string().max(TOKEN_NAME_MAX).describe('pour reconnaître le jeton, par exemple l’outil qui l’utilise'),
          scopes: z.array(z.enum(TOKEN_SCOPES)).min(1).max(2),
          expiresInDays: LIFETIME.optional().describe('durée de validité en jours : 30, 90 (par défaut), 180 ou 365'),
        }),
        response: { 201: z.object({ token: z.string().describe('le jeton, à conserver : il ne sera plus jamais affiché'), item: TokenSchema }), 422: ErrorSchema, ...errors },
      },
    },
    async (req, reply) => {
      const created = await createToken(p, req.actor, req.params.id, req.body);
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send(created);
    },
  );

  r.delete(
    '/api/v1/organisations/:id/tokens/:tokenId',
    {
      config: { access: 'person' },
      schema: {
        tags: TAGS,
        summary: 'Révoquer un jeton d’API de l’organisation',
        params: z.object({ id: z.guid(), tokenId: z.guid() }),
        response: { 204: z.null().describe('Jeton révoqué'), ...errors },
      },
    },
    async (req, reply) => {
      await revokeToken(p, req.actor, req.params.id, req.params.tokenId);
      return reply.status(204).send(null);
    },
  );
}
