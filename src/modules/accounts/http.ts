// HTTP side of accounts: session and API-token authentication, CSRF protection, and the access rule
// that every route must declare (a route without one refuses to start).
import { AsyncLocalStorage } from 'node:async_hooks';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../core/config.ts';
import { AppError } from '../../core/errors.ts';
import type { Platform } from '../../core/platform.ts';
import { randomToken, safeEqual, sha256 } from '../../core/tokens.ts';
import { ANONYMOUS, type Actor } from './model.ts';
import { canUseBackOffice, forbidden, isPlatformAdmin, unauthenticated } from './policy.ts';
import { actorOfSession } from './sessions.ts';

/**
 * Who may call a route, checked before its handler (services check the resource itself):
 * - public: anyone;
 * - person: a signed-in person (a session);
 * - api: a signed-in person or an API token (read scope for reading, write scope for changes);
 * - backOffice: a verified facilitator or a platform administrator;
 * - platformAdmin: a platform administrator;
 * - dev: only where config.devMails allows it (never in production), from this machine unless DEV_MAILS=on.
 */
export type Access = 'public' | 'person' | 'api' | 'backOffice' | 'platformAdmin' | 'dev';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyInstance {
    /** Every route with its access rule, as registered (the authorisation matrix test reads it). */
    routeAccess: { method: string; url: string; access: Access }[];
  }
  interface FastifyRequest {
    actor: Actor;
    sessionToken: string | null;
  }
}

export const SESSION_COOKIE = 'pa_session';
export const CSRF_COOKIE = 'pa_csrf';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

// Routes served by plugins (assets, API documentation) are public by nature.
const PLUGIN_PREFIXES = ['/static/', '/api/docs'];

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

const secure = (config: Config) => config.publicUrl.startsWith('https://');

function cookieOptions(config: Config, maxAgeSeconds: number) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: secure(config), maxAge: maxAgeSeconds };
}

export function setSessionCookie(reply: FastifyReply, config: Config, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, cookieOptions(config, 30 * 24 * 3600));
  // A new session gets a new CSRF token too.
  reply.setCookie(CSRF_COOKIE, randomToken(), cookieOptions(config, 30 * 24 * 3600));
}

export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', secure: secure(config) });
}

/** The CSRF token to put in a form (hidden field) or a header; creates the cookie when missing. */
export function csrfToken(req: FastifyRequest, reply: FastifyReply, config: Config): string {
  const existing = (reply.getHeader('set-cookie') as string[] | string | undefined)?.toString().match(new RegExp(`${CSRF_COOKIE}=([^;]+)`))?.[1];
  if (existing) return existing;
  const current = req.cookies[CSRF_COOKIE];
  if (current && /^[A-Za-z0-9_-]{20,100}$/.test(current)) return current;
  const token = randomToken();
  reply.setCookie(CSRF_COOKIE, token, cookieOptions(config, 30 * 24 * 3600));
  return token;
}

async function actorOfToken(p: Platform, bearer: string): Promise<Actor | null> {
  const r = await p.db.one<{ id: string; organisation_id: string; scopes: ('read' | 'write')[]; name: string; type: string; structure_id: string | null; territory_keys: string[]; verified_at: Date | null }>(
    `SELECT t.id, t.organisation_id, t.scopes, o.name, o.type, o.structure_id, o.territory_keys, o.verified_at
     FROM api_tokens t JOIN organisations o ON o.id = t.organisation_id
     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()`,
    [sha256(bearer)],
  );
  if (!r) return null;
  await p.db.query(`UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [r.id]);
  return {
    person: null,
    // A token acts for its organisation as a member: it never manages the organisation itself.
    memberships: [
      {
        organisationId: r.organisation_id,
        organisationName: r.name,
        type: r.type as Actor['memberships'][number]['type'],
        role: 'member',
        structureId: r.structure_id,
        territoryKeys: r.territory_keys,
        verified: r.type === 'buyer' || r.type === 'structure' || r.verified_at !== null,
      },
    ],
    token: { id: r.id, organisationId: r.organisation_id, scopes: r.scopes },
  };
}

function sameOrigin(req: FastifyRequest, config: Config): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  if (origin === new URL(config.publicUrl).origin) return true;
  const host = req.headers.host;
  return !!host && (origin === `http://${host}` || origin === `https://${host}`);
}

export async function accountsHttp(app: FastifyInstance, p: Platform): Promise<void> {
  await app.register(fastifyCookie);
  app.decorateRequest('actor', null as unknown as Actor);
  app.decorateRequest('sessionToken', null);

  // Every route declares who may call it.
  const routeAccess: { method: string; url: string; access: Access }[] = [];
  app.decorate('routeAccess', routeAccess);
  app.addHook('onRoute', (route) => {
    if (route.config?.access) {
      for (const method of [route.method].flat()) if (method !== 'HEAD') routeAccess.push({ method, url: route.url, access: route.config.access });
      return;
    }
    if (PLUGIN_PREFIXES.some((prefix) => route.url.startsWith(prefix))) return;
    if (route.url === '/api/v1/openapi.json' || route.url === '*') return;
    throw new Error(`La route ${route.method} ${route.url} ne déclare pas qui peut l’appeler (config.access).`);
  });

  // The actor of the request, readable by page layouts without passing it through every function.
  app.addHook('onRequest', (req, _reply, done) => {
    req.actor = ANONYMOUS;
    requestActor.run({ req }, done);
  });

  app.addHook('onRequest', async (req) => {
    req.actor = ANONYMOUS;
    if (req.url.startsWith('/static/')) return;
    // Only Bearer tokens are ours: other schemes (a proxy's Basic authentication) are left alone.
    const auth = req.headers.authorization;
    if (auth && /^Bearer\s/i.test(auth)) {
      const m = /^Bearer\s+(\S{20,200})$/i.exec(auth);
      const actor = m ? await actorOfToken(p, m[1]) : null;
      if (!actor) throw new AppError('INVALID_TOKEN', 'Jeton d’API invalide, expiré ou révoqué.', 401);
      req.actor = actor;
      return;
    }
    const token = req.cookies[SESSION_COOKIE];
    if (token) {
      req.actor = await actorOfSession(p.db, token);
      req.sessionToken = req.actor.person ? token : null;
    }
  });

  app.addHook('preHandler', async (req) => {
    // Unknown addresses go to the not-found handler whatever the method.
    if (req.is404) return;
    const access = req.routeOptions.config?.access;
    const actor = req.actor;
    if (actor.token) {
      const needed = UNSAFE.has(req.method) ? 'write' : 'read';
      if (access !== 'api' && access !== 'public') throw forbidden('Cette action demande une session : un jeton d’API ne suffit pas.');
      if (!actor.token.scopes.includes(needed)) throw forbidden(`Ce jeton d’API n’a pas la portée « ${needed === 'write' ? 'écriture' : 'lecture'} ».`);
      // A token comes without cookies: nothing for a forged request to use, no CSRF check.
      return;
    }
    // Who may call the route first (401 for nobody, 403 for the wrong person), then CSRF.
    switch (access) {
      case 'dev':
        // Sign-in links are in there: from this machine only, unless DEV_MAILS=on says otherwise.
        if (!p.config.devMails || (p.config.devMailsFrom === 'local' && !LOOPBACK.has(req.socket.remoteAddress ?? ''))) {
          throw new AppError('NOT_FOUND', 'Page ou ressource introuvable.', 404);
        }
        break;
      case 'person':
      case 'api':
        if (!actor.person) throw unauthenticated();
        break;
      case 'backOffice':
        if (!actor.person) throw unauthenticated();
        if (!canUseBackOffice(actor)) throw forbidden('L’espace d’administration est réservé aux facilitateurs et à l’équipe de la plateforme.');
        break;
      case 'platformAdmin':
        if (!actor.person) throw unauthenticated();
        if (!isPlatformAdmin(actor)) throw forbidden('Cette page est réservée à l’équipe de la plateforme.');
        break;
      default:
        // public, and plugin routes (assets, docs) that carry no rule.
        break;
    }
    // CSRF: a change made with the browser's cookies must carry the token of the form (or header) and come from here.
    if (UNSAFE.has(req.method)) {
      const body = req.body as Record<string, unknown> | undefined;
      const sent = (typeof body?.[CSRF_FIELD] === 'string' ? (body[CSRF_FIELD] as string) : undefined) ?? (req.headers[CSRF_HEADER] as string | undefined);
      const expected = req.cookies[CSRF_COOKIE];
      if (!sent || !expected || !safeEqual(sent, expected) || !sameOrigin(req, p.config)) {
        throw new AppError('CSRF_REJECTED', 'Le formulaire a expiré ou ne vient pas de ce site. Rechargez la page et recommencez.', 403);
      }
    }
  });
}

const requestActor = new AsyncLocalStorage<{ req: FastifyRequest }>();

/** The actor of the request being served (anonymous outside a request). */
export const currentActor = (): Actor => requestActor.getStore()?.req.actor ?? ANONYMOUS;

/** The CSRF cookie of the request being served (set at sign-in), for forms in the page shell. */
export const currentCsrfCookie = (): string => requestActor.getStore()?.req.cookies[CSRF_COOKIE] ?? '';

/** Client address for rate limits. */
export const clientIp = (req: FastifyRequest) => req.ip || 'unknown';
