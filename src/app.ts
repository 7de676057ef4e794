// The HTTP application: JSON API, OpenAPI document and docs, DSFR pages and their assets.
import path from 'node:path';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROOT_DIR } from './core/config.ts';
import { frameworkErrors, installErrorHandling } from './core/http.ts';
import { kickJobs } from './core/jobs.ts';
import { uploadRoutes } from './core/uploads.ts';
import type { Platform } from './core/platform.ts';
import { accountsHttp } from './modules/accounts/http.ts';
import { accountPages } from './modules/accounts/pages.ts';
import { claimPages } from './modules/accounts/claim-pages.ts';
import { privacyPages } from './modules/accounts/privacy-pages.ts';
import { accountRoutes } from './modules/accounts/routes.ts';
import { tokenPages } from './modules/accounts/token-pages.ts';
import { backOfficePages } from './modules/backoffice/pages.ts';
import { backOfficeRoutes } from './modules/backoffice/routes.ts';
import { editingPages } from './modules/directory/editing-pages.ts';
import { editingRoutes } from './modules/directory/editing-routes.ts';
import { needAnswerPages } from './modules/needs/answer-pages.ts';
import { needAnswerRoutes } from './modules/needs/answer-routes.ts';
import { needFollowPages } from './modules/needs/follow-pages.ts';
import { needFollowRoutes } from './modules/needs/follow-routes.ts';
import { needPostPages } from './modules/needs/post-pages.ts';
import { needQualifyPages } from './modules/needs/qualify-pages.ts';
import { needRoutes } from './modules/needs/routes.ts';
import { noticePages } from './modules/notices/pages.ts';
import { noticeRoutes } from './modules/notices/routes.ts';
import { directoryRoutes } from './modules/directory/routes.ts';
import { referentialRoutes } from './modules/referentials/routes.ts';
import { territoryRoutes } from './modules/territories/routes.ts';
import { contentSecurityPolicy } from './web/csp.ts';
import { devMailRoutes } from './web/dev-mails.ts';
import { errorPage, webRoutes } from './web/routes.ts';

/** A number of proxies becomes "trust that many hops"; addresses go as they are. */
function trustProxyOption(v: false | number | string): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof v === 'number' ? (_address: string, hop: number) => hop < v : v;
}

export async function buildApp(platform: Platform): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: platform.config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      // Addresses are logged without their query: links sent by mail carry their token there.
      serializers: { req: (req: { method: string; url: string; hostname?: string }) => ({ method: req.method, url: req.url.split('?')[0], hostname: req.hostname }) },
    },
    // Request lines are logged only when debugging: URLs may carry what people typed.
    logController: new LogController({ disableRequestLogging: platform.config.logLevel !== 'debug' }),
    frameworkErrors: frameworkErrors(errorPage(platform)),
    trustProxy: trustProxyOption(platform.config.trustProxy),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app, errorPage(platform));
  await app.register(fastifyFormbody);
  // Sessions, API tokens, CSRF and the access rule every route declares: before any route.
  await accountsHttp(app, platform);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'API Passerelles',
        description: 'La plateforme territoriale de l’inclusion dans l’emploi : annuaire des structures inclusives, besoins d’achat, veille des marchés publics, référentiels, territoires.',
        version: '1.0.0',
      },
      servers: [{ url: platform.config.publicUrl }],
    },
    transform: jsonSchemaTransform,
    // Only the JSON API is documented: its routes carry tags, web pages do not.
    hideUntagged: true,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list' } });
  app.get('/api/v1/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());

  // A change may have queued mail: the runner of this process looks at once instead of at its next poll.
  app.addHook('onResponse', async (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') kickJobs();
  });

  // Security headers on every answer.
  app.addHook('onSend', async (req, reply) => {
    reply.header('Content-Security-Policy', contentSecurityPolicy(platform.config, req.url));
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'strict-origin-when-cross-origin');
    reply.header('X-Frame-Options', 'DENY');
    if (platform.config.publicUrl.startsWith('https://')) reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  });

  await app.register(fastifyStatic, { root: path.join(ROOT_DIR, 'node_modules/@gouvfr/dsfr/dist'), prefix: '/static/dsfr/', decorateReply: false, maxAge: '7d' });
  await app.register(fastifyStatic, { root: path.join(ROOT_DIR, 'node_modules/leaflet/dist'), prefix: '/static/leaflet/', decorateReply: false, maxAge: '7d' });
  await app.register(fastifyStatic, { root: path.join(ROOT_DIR, 'src/web/assets'), prefix: '/static/app/', decorateReply: false, maxAge: '1h' });

  app.withTypeProvider().get(
    '/api/v1/health',
    {
      config: { access: 'public' },
      schema: {
        tags: ['Plateforme'],
        summary: 'État du service',
        response: { 200: z.object({ status: z.literal('ok'), database: z.enum(['pglite', 'pg']), structures: z.number() }) },
      },
    },
    async () => {
      const r = await platform.db.one<{ n: number }>('SELECT count(*)::int AS n FROM structures');
      return { status: 'ok' as const, database: platform.db.driver, structures: r?.n ?? 0 };
    },
  );
  await directoryRoutes(app, platform);
  await referentialRoutes(app, platform);
  await territoryRoutes(app);
  await webRoutes(app, platform);
  await accountPages(app, platform);
  await accountRoutes(app, platform);
  await tokenPages(app, platform);
  await privacyPages(app, platform);
  await claimPages(app, platform);
  await editingPages(app, platform);
  await editingRoutes(app, platform);
  await backOfficePages(app, platform);
  await backOfficeRoutes(app, platform);
  await needPostPages(app, platform);
  await needQualifyPages(app, platform);
  await needRoutes(app, platform);
  await needAnswerPages(app, platform);
  await needAnswerRoutes(app, platform);
  await needFollowPages(app, platform);
  await needFollowRoutes(app, platform);
  await noticePages(app, platform);
  await noticeRoutes(app, platform);
  await uploadRoutes(app, platform);
  await devMailRoutes(app, platform);
  return app;
}
