// Public web pages (DSFR), rendered on the server and readable without JavaScript.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../core/errors.ts';
import type { ErrorBody } from '../core/http.ts';
import type { Platform } from '../core/platform.ts';
import { getStructure } from '../modules/directory/service.ts';
import { getReferentials } from '../modules/referentials/service.ts';
import { homePage } from './home.ts';
import { profilePage } from './profile.ts';
import { awardsOfSiret } from '../modules/notices/service.ts';
import { resultsPage } from './results.ts';
import { accessibilityPage, errorHtml, legalPage } from './static-pages.ts';
import { sendHtml } from './reply.ts';

export function errorPage(p: Platform) {
  return (status: number, body: ErrorBody, _req: FastifyRequest) => errorHtml(p.config, status, body.error.message);
}


export async function webRoutes(app: FastifyInstance, p: Platform) {
  const pub = { config: { access: 'public' as const } };
  app.get('/', pub, async (_req, reply) => sendHtml(reply, await homePage(p)));
  app.get('/structures', pub, async (req, reply) => resultsPage(p, req, reply));
  app.get<{ Params: { slug: string } }>('/structures/:slug', pub, async (req, reply) => {
    const slug = req.params.slug;
    const s = slug.length <= 200 ? await getStructure(p.db, { slug }) : null;
    if (!s) throw notFound('Aucune structure ne correspond à cette adresse. Elle a peut-être été retirée de l’annuaire.');
    const awards = await awardsOfSiret(p.db, s.siret, 10);
    return sendHtml(reply, profilePage(p.config, { ...s, awards }, await getReferentials(p.db)));
  });
  app.get('/accessibilite', pub, async (_req, reply) => sendHtml(reply, accessibilityPage(p.config)));
  app.get('/mentions-legales', pub, async (_req, reply) => sendHtml(reply, legalPage(p.config)));
}
