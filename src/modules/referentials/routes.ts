// Reference lists: kinds, sectors, prestation types.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../../core/platform.ts';
import { getReferentials } from './service.ts';

export async function referentialRoutes(app: FastifyInstance, { db }: Platform) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/v1/referentials/kinds',
    {
      config: { access: 'public' },
      schema: {
        tags: ['Référentiels'],
        summary: 'Types de structures',
        response: { 200: z.object({ items: z.array(z.object({ code: z.string(), name: z.string(), family: z.enum(['insertion', 'handicap']), description: z.string() })) }) },
      },
    },
    async () => ({ items: (await getReferentials(db)).kinds }),
  );
  r.get(
    '/api/v1/referentials/sectors',
    {
      config: { access: 'public' },
      schema: {
        tags: ['Référentiels'],
        summary: 'Secteurs d’activité, par groupe (20 groupes, 154 secteurs)',
        response: {
          200: z.object({
            items: z.array(z.object({ slug: z.string(), name: z.string(), sectors: z.array(z.object({ slug: z.string(), name: z.string() })) })),
          }),
        },
      },
    },
    async () => ({
      items: (await getReferentials(db)).groups.map((g) => ({ slug: g.slug, name: g.name, sectors: g.sectors.map((s) => ({ slug: s.slug, name: s.name })) })),
    }),
  );
  r.get(
    '/api/v1/referentials/service-types',
    {
      config: { access: 'public' },
      schema: {
        tags: ['Référentiels'],
        summary: 'Types de prestation',
        response: { 200: z.object({ items: z.array(z.object({ code: z.string(), name: z.string(), description: z.string() })) }) },
      },
    },
    async () => ({ items: (await getReferentials(db)).serviceTypes }),
  );
}
