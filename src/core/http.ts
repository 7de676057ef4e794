// HTTP plumbing: errors as {"error": {code, message, details}}, never a 500 for bad input.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from './errors.ts';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/** French names of request parameters, for messages people read. */
export const FIELD_LABEL: Record<string, string> = {
  q: 'mots', kind: 'type de structure', family: 'famille', sector: 'secteur', sectorGroup: 'groupe de secteurs', serviceType: 'type de prestation',
  department: 'département', region: 'région', epci: 'intercommunalité', commune: 'commune', lat: 'latitude', lon: 'longitude',
  radiusKm: 'rayon', sort: 'tri', page: 'page', perPage: 'nombre par page', limit: 'nombre de suggestions',
  type: 'niveau de territoire', siret: 'SIRET', id: 'identifiant',
  name: 'nom', scopes: 'portées', expiresInDays: 'durée de validité', confirmEmail: 'adresse de confirmation', email: 'adresse électronique',
  status: 'statut', action: 'action', targetType: 'type de cible', targetId: 'identifiant de la cible', actor: 'auteur', from: 'date de début', to: 'date de fin',
};

/** Turns an error into a status and body; pages render the same information as HTML. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof AppError) return { status: err.status, body: errorBody(err.code, err.message, err.details) };
  const e = err as FastifyError;
  if (hasZodFastifySchemaValidationErrors(e)) {
    const details = e.validation.map((v) => {
      const field = String((v.params as { issue?: { path?: unknown[] } })?.issue?.path?.[0] ?? v.instancePath.replace(/^\//, '').split('/')[0] ?? '');
      return { field, message: v.message };
    });
    const fields = [...new Set(details.map((d) => FIELD_LABEL[d.field] ?? d.field).filter(Boolean))];
    return {
      status: 400,
      body: errorBody('INVALID_PARAMETERS', `Paramètre${fields.length > 1 ? 's' : ''} invalide${fields.length > 1 ? 's' : ''} : ${fields.join(', ') || 'requête'}.`, details),
    };
  }
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    const known: Record<number, [string, string]> = {
      413: ['PAYLOAD_TOO_LARGE', 'La requête est trop volumineuse.'],
      414: ['URI_TOO_LONG', 'L’adresse demandée est trop longue.'],
      415: ['UNSUPPORTED_MEDIA_TYPE', 'Type de contenu non pris en charge.'],
    };
    const [code, message] = known[e.statusCode] ?? (e.code === 'FST_ERR_BAD_URL' ? ['BAD_URL', 'L’adresse demandée est mal formée.'] : ['BAD_REQUEST', 'Requête invalide.']);
    return { status: e.statusCode, body: errorBody(code, message) };
  }
  return { status: 500, body: errorBody('INTERNAL_ERROR', 'Une erreur inattendue est survenue. Réessayez plus tard.') };
}

/** Errors Fastify raises before routing (malformed URL, overlong parameter): same shape as the others. */
export function frameworkErrors(renderHtml: (status: number, body: ErrorBody, req: FastifyRequest) => string) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = toErrorResponse(err);
    if (req.url.startsWith('/api/')) reply.status(status).send(body);
    else reply.status(status).type('text/html; charset=utf-8').send(renderHtml(status, body, req));
  };
}

export function installErrorHandling(app: FastifyInstance, renderHtml: (status: number, body: ErrorBody, req: FastifyRequest) => string): void {
  const wantsHtml = (req: FastifyRequest) => !req.url.startsWith('/api/');
  app.setErrorHandler((err, req, reply: FastifyReply) => {
    const { status, body } = toErrorResponse(err);
    if (status >= 500) req.log.error({ err }, 'unexpected error');
    if (status === 429 && (body.error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds) {
      reply.header('Retry-After', String((body.error.details as { retryAfterSeconds: number }).retryAfterSeconds));
    }
    // A page that needs a session sends the visitor to sign in, then back.
    if (wantsHtml(req) && status === 401 && req.method === 'GET') return reply.redirect(`/connexion?retour=${encodeURIComponent(req.url)}`, 303);
    if (wantsHtml(req)) return reply.status(status).type('text/html; charset=utf-8').send(renderHtml(status, body, req));
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const body = errorBody('NOT_FOUND', 'Page ou ressource introuvable.');
    if (wantsHtml(req)) return reply.status(404).type('text/html; charset=utf-8').send(renderHtml(404, body, req));
    return reply.status(404).send(body);
  });
}
