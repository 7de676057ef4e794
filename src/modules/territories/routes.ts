// Territory autocompletion: communes (by name or postal code), EPCI, départements, régions.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorSchema } from '../directory/schemas.ts';
import { loadTerritories, TYPE_LABEL } from './data.ts';

const TYPES = ['commune', 'epci', 'departement', 'region'] as const;

export const TerritorySchema = z.object({
  type: z.enum(TYPES),
  code: z.string().describe('Code INSEE (SIREN pour une intercommunalité)'),
  name: z.string(),
  label: z.string().describe('Libellé à afficher, par exemple « Lille (59) »'),
  typeLabel: z.string(),
  departmentCode: z.string().nullable(),
  regionCode: z.string().nullable(),
  postalCodes: z.array(z.string()),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
});

export async function territoryRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/v1/territories',
    {
      config: { access: 'public' },
      schema: {
        tags: ['Territoires'],
        summary: 'Autocomplétion des territoires',
        description: 'Par nom (accents et casse indifférents), code postal ou code INSEE.',
        querystring: z.object({
          q: z.string().trim().min(1).max(100),
          type: z
            .preprocess((v) => (v === undefined || v === '' ? undefined : (Array.isArray(v) ? v : String(v).split(','))), z.array(z.enum(TYPES)).optional())
            .describe('Limiter à des niveaux : commune, epci, departement, region'),
          limit: z.coerce.number().int().min(1).max(50).default(10),
        }),
        response: { 200: z.object({ items: z.array(TerritorySchema) }), 400: ErrorSchema },
      },
    },
    async (req) => {
      const t = loadTerritories();
      return {
        items: t.suggest(req.query.q, req.query.limit, req.query.type).map((x) => ({
          type: x.type,
          code: x.code,
          name: x.name,
          label: t.label(x),
          typeLabel: TYPE_LABEL[x.type],
          departmentCode: x.departmentCode,
          regionCode: x.regionCode,
          postalCodes: x.postalCodes,
          lat: x.lat,
          lon: x.lon,
        })),
      };
    },
  );
}
