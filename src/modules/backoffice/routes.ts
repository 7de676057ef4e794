// Back-office API: people (platform administrators), organisations and the audit log (back office), paginated.
// Same rules as the pages; a session is needed (API tokens act for one organisation, never for the back office).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Platform } from '../../core/platform.ts';
import { ErrorSchema } from '../directory/schemas.ts';
import {
  AuditPageSchema,
  AuditQuerySchema,
  listAudit,
  listOrganisations,
  listPeople,
  OrganisationsPageSchema,
  OrganisationsQuerySchema,
  PeoplePageSchema,
  PeopleQuerySchema,
} from './service.ts';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema };

export async function backOfficeRoutes(app: FastifyInstance, p: Platform): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/v1/admin/people',
    {
      config: { access: 'platformAdmin' },
      schema: {
        tags: ['Administration'],
        summary: 'Personnes inscrites (équipe de la plateforme)',
        description: 'Recherche par nom ou adresse électronique (casse et accents ignorés), filtre par type d’organisation ; 50 par page par défaut. Réservé à l’équipe de la plateforme, avec une session.',
        querystring: PeopleQuerySchema,
        response: { 200: PeoplePageSchema, ...errors },
      },
    },
    async (req) => listPeople(p.db, req.actor, req.query),
  );
  r.get(
    '/api/v1/admin/organisations',
    {
      config: { access: 'backOffice' },
      schema: {
        tags: ['Administration'],
        summary: 'Organisations (facilitateurs et équipe de la plateforme)',
        description: 'Recherche par nom, filtres par type et par statut (`to_verify` : facilitateurs et réseaux à vérifier). Ni membres ni adresses : noms, types et statut seulement.',
        querystring: OrganisationsQuerySchema,
        response: { 200: OrganisationsPageSchema, ...errors },
      },
    },
    async (req) => listOrganisations(p.db, req.actor, req.query),
  );
  r.get(
    '/api/v1/admin/audit',
    {
      config: { access: 'backOffice' },
      schema: {
        tags: ['Administration'],
        summary: 'Journal des actions sensibles',
        description:
          'Du plus récent au plus ancien. L’équipe de la plateforme voit tout ; un facilitateur vérifié voit les actions sur les fiches et les rattachements des structures de son territoire, sans les adresses électroniques (et ne peut pas filtrer par auteur).',
        querystring: AuditQuerySchema,
        response: { 200: AuditPageSchema, ...errors },
      },
    },
    async (req) => listAudit(p.db, req.actor, req.query),
  );
}
