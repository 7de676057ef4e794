// Web pages (placeholder until the DSFR pages land).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { escapeHtml } from '../core/html.ts';
import type { ErrorBody } from '../core/http.ts';
import type { Platform } from '../core/platform.ts';

export function errorPage(_p: Platform) {
  return (status: number, body: ErrorBody, _req: FastifyRequest) =>
    `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Erreur ${status}</title></head><body><main><h1>Erreur ${status}</h1><p>${escapeHtml(body.error.message)}</p></main></body></html>`;
}

export async function webRoutes(app: FastifyInstance, _p: Platform) {
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send('<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Passerelles</title></head><body><main><h1>Passerelles</h1></main></body></html>'));
}
