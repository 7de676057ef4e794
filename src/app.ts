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
import type { Platform } from './core/platform.ts';
import { directoryRoutes } from './modules/directory/routes.ts';
import { referentialRoutes } from './modules/referentials/routes.ts';
import { territoryRoutes } from './modules/territories/routes.ts';
import { contentSecurityPolicy } from './web/csp.ts';
import { errorPage, webRoutes } from './web/routes.ts';

export async function buildApp(platform: Platform): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: platform.config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'] },
    // Request lines are logged only when debugging: URLs may carry what people typed.
    logController: new LogController({ disableRequestLogging: platform.config.logLevel !== 'debug' }),
    frameworkErrors: frameworkErrors(errorPage(platform)),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app, errorPage(platform));
  await app.register(fastifyFormbody);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'API Passerelles',
        description: 'La plateforme territoriale de l’inclusion dans l’emploi : annuaire des structures inclusives, référentiels, territoires.',
        version: '1.0.0',
      },
      servers: [{ url: platform.config.publicUrl }],
    },
    transform: jsonSchemaTransform,
    // Only the JSON API is documented: its routes carry tags, web pages do not.
    hideUntagged: true,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list' } });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Security headers on every answer.
  app.addHook('onSend', async (req, reply) => {
    reply.header('Content-Security-Policy', contentSecurityPolicy(platform.config, req.url));
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'strict-origin-when-cross-origin');
    reply.header('X-Frame-Options', 'DENY');
  });

  await app.register(fastifyStatic, { root: path.join(ROOT_DIR, 'node_modules/@gouvfr/dsfr/dist'), prefix: '/static/dsfr/', decorateReply: false, maxAge: '7d' });
  await app.register(fastifyStatic, { root: path.join(ROOT_DIR, 'node_modules/leaflet/dist'), prefix: '/static/leaflet/', decorateReply: false, maxAge: '7d' });
  await app.register(fastifyStatic, { root: path.join(ROOT_DIR, 'src/web/assets'), prefix: '/static/app/', decorateReply: false, maxAge: '1h' });

  app.withTypeProvider().get(
    '/api/v1/health',
    {
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
  return app;
}
