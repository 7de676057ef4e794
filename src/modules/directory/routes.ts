// Directory API: /api/v1/structures.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../core/errors.ts';
import type { Platform } from '../../core/platform.ts';
import { cleanIdentifier } from '../../core/siret.ts';
import { SearchQuerySchema, searchStructures } from './search.ts';
import { getStructure, type StructureProfile } from './service.ts';
import { ErrorSchema, SearchResponseSchema, StructureProfileSchema } from './schemas.ts';

export async function directoryRoutes(app: FastifyInstance, { db, config }: Platform) {
  // A profile as the API gives it: the logo as an absolute address.
  const profile = (s: StructureProfile) => ({ ...s, logoUrl: s.logoPath ? `${config.publicUrl}/uploads/${s.logoPath}` : null });
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/v1/structures',
    {
      config: { access: 'public' },
      schema: {
        tags: ['Annuaire'],
        summary: 'Rechercher des structures inclusives',
        description:
          'Mêmes filtres que la page de recherche. Une structure correspond à un lieu quand elle y est située ou quand une de ses activités le dessert (toute la France, rayon autour de la structure, territoires listés) ; `matchReasons` dit pourquoi.',
        querystring: SearchQuerySchema,
        response: { 200: SearchResponseSchema, 400: ErrorSchema },
      },
    },
    async (req) => searchStructures(db, req.query),
  );
  r.get(
    '/api/v1/structures/by-siret/:siret',
    {
      config: { access: 'public' },
      schema: {
        tags: ['Annuaire'],
        summary: 'Une structure par son SIRET',
        params: z.object({ siret: z.string().max(30) }),
        response: { 200: StructureProfileSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (req) => {
      const siret = cleanIdentifier(req.params.siret);
      if (!/^\d{14}$/.test(siret)) throw new AppError('INVALID_SIRET', 'Un SIRET compte 14 chiffres.', 400, { field: 'siret' });
      const s = await getStructure(db, { siret });
      if (!s) throw notFound('Aucune structure avec ce SIRET.');
      return profile(s);
    },
  );
  r.get(
    '/api/v1/structures/:id',
    {
      config: { access: 'public' },
      schema: {
        tags: ['Annuaire'],
        summary: 'Une structure par son identifiant (ou son slug)',
        params: z.object({ id: z.string().max(200) }),
        response: { 200: StructureProfileSchema, 404: ErrorSchema },
      },
    },
    async (req) => {
      const { id } = req.params;
      const s = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)
        ? await getStructure(db, { id })
        : await getStructure(db, { slug: id });
      if (!s) throw notFound('Structure introuvable.');
      return profile(s);
    },
  );
}
