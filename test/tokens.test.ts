// API tokens of an organisation through the HTTP app: created by its administrators, shown once, stored
// hashed; what a Bearer token may do (scopes, 'api' routes only), expiry and revocation, and the audit log.
// The app gets two extra 'api' routes (a read and a write) to check the scope rule on a route that changes something.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/core/config.ts';
import type { Db } from '../src/core/db.ts';
import { sha256 } from '../src/core/tokens.ts';
import { addMember, createOrganisation, createPerson, postForm, type Session, signIn } from './helpers/accounts.ts';
import { createTestDb } from './helpers/db.ts';

let app: FastifyInstance;
let db: Db;
let org: string;
let otherOrg: string;
let admin: Session;
let member: Session;
let outsider: Session;
let platformAdmin: Session;
let adminId: string;

beforeAll(async () => {
  db = await createTestDb();
  app = await buildApp({ db, config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DEMO: 'off' }) });
  // Stand-ins for the API routes of later work: one that reads, one that changes something.
  app.get('/api/v1/essai/lecture', { config: { access: 'api' } }, async (req) => ({ organisation: req.actor.token?.organisationId ?? null }));
  app.post('/api/v1/essai/ecriture', { config: { access: 'api' } }, async (req) => ({ organisation: req.actor.token?.organisationId ?? null }));
  await app.ready();

  org = await createOrganisation(db, { type: 'buyer', name: 'Métropole Solidaire', category: 'public_collectivite' });
  otherOrg = await createOrganisation(db, { type: 'buyer', name: 'Autre Acheteur', category: 'public_autre' });
  const a = await createPerson(db, { name: 'Alice Admin' });
  adminId = a.id;
  const m = await createPerson(db, { name: 'Marc Membre' });
  const o = await createPerson(db, { name: 'Olga Extérieure' });
  const pa = await createPerson(db, { name: 'Paul Plateforme' });
  await addMember(db, org, a.id, 'admin');
  await addMember(db, org, m.id, 'member');
  await addMember(db, otherOrg, o.id, 'admin');
  const platform = await createOrganisation(db, { type: 'platform', name: 'Administration de la plateforme' });
  await addMember(db, platform, pa.id, 'admin');
  admin = await signIn(db, a.id);
  member = await signIn(db, m.id);
  outsider = await signIn(db, o.id);
  platformAdmin = await signIn(db, pa.id);
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

const bearer = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });

/** Creates a token through the page and returns it as shown (once). */
async function createThroughPage(fields: Record<string, string | string[]>, session = admin): Promise<string> {
  const body = new URLSearchParams({ _csrf: session.csrf });
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  const res = await app.inject({ method: 'POST', url: `/organisations/${org}/jetons`, headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
  expect(res.statusCode).toBe(201);
  const token = /id="nouveau-jeton" value="(pas_[A-Za-z0-9_-]+)"/.exec(res.body)?.[1];
  if (!token) throw new Error('token not shown');
  return token;
}

describe('tokens page', () => {
  it('sends anonymous visitors to sign in, and refuses members who are not administrators', async () => {
    const res = await app.inject({ method: 'GET', url: `/organisations/${org}/jetons` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/connexion?retour=${encodeURIComponent(`/organisations/${org}/jetons`)}`);
    for (const s of [member, outsider]) {
      const page = await app.inject({ method: 'GET', url: `/organisations/${org}/jetons`, headers: { cookie: s.cookie } });
      expect(page.statusCode).toBe(403);
      expect(page.body).toContain('Seuls les administrateurs de l’organisation gèrent ses jetons d’API.');
      const post = await postForm(app, `/organisations/${org}/jetons`, s, { name: 'Essai', scopes: 'read', expiresInDays: '90' });
      expect(post.statusCode).toBe(403);
    }
    expect((await db.query('SELECT 1 FROM api_tokens')).length).toBe(0);
    const missing = await app.inject({ method: 'GET', url: '/organisations/00000000-0000-4000-8000-000000000000/jetons', headers: { cookie: admin.cookie } });
    expect(missing.statusCode).toBe(404);
  });

  it('shows the administrator an empty list and the form: name, scopes (checkboxes), lifetime (90 days by default)', async () => {
    const res = await app.inject({ method: 'GET', url: `/organisations/${org}/jetons`, headers: { cookie: admin.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Jetons d’API de « Métropole Solidaire »</h1>');
    expect(res.body).toContain('Aucun jeton n’a encore été créé');
    expect(res.body).toMatch(/<input type="checkbox" id="portee-read" name="scopes" value="read" checked>/);
    expect(res.body).toMatch(/<input type="checkbox" id="portee-write" name="scopes" value="write">/);
    expect(res.body).toContain('<option value="90" selected>90 jours</option>');
    for (const d of ['30', '180', '365']) expect(res.body).toContain(`<option value="${d}">${d} jours</option>`);
    expect(res.body).not.toContain('<option value="0"');
  });

  it('requires the CSRF field to create a token', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/organisations/${org}/jetons`,
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ name: 'Sans CSRF', scopes: 'read' }).toString(),
    });
    expect(res.statusCode).toBe(403);
    expect((await db.query('SELECT 1 FROM api_tokens')).length).toBe(0);
  });

  it('explains what to correct: a name, at least one scope, an offered lifetime', async () => {
    const noScope = await postForm(app, `/organisations/${org}/jetons`, admin, { name: 'Logiciel RH', expiresInDays: '90' });
    expect(noScope.statusCode).toBe(422);
    expect(noScope.body).toContain('Choisissez au moins une portée');
    expect(noScope.body).toContain('fr-fieldset--error');
    expect(noScope.body).toContain('value="Logiciel RH"');
    const noName = await postForm(app, `/organisations/${org}/jetons`, admin, { name: '   ', scopes: 'read' });
    expect(noName.statusCode).toBe(422);
    expect(noName.body).toContain('Donnez un nom au jeton');
    expect(noName.body).toContain('aria-invalid="true"');
    const forever = await postForm(app, `/organisations/${org}/jetons`, admin, { name: 'Éternel', scopes: 'read', expiresInDays: '0' });
    expect(forever.statusCode).toBe(422);
    expect(forever.body).toContain('Choisissez une durée de validité : 30, 90, 180, 365 jours.');
    const unknownScope = await postForm(app, `/organisations/${org}/jetons`, admin, { name: 'Admin', scopes: 'admin' });
    expect(unknownScope.statusCode).toBe(422);
    expect((await db.query('SELECT 1 FROM api_tokens')).length).toBe(0);
  });

  it('shows the token once, stores only its SHA-256 and prefix, and audits the creation without the token', async () => {
    const token = await createThroughPage({ name: 'Logiciel RH', scopes: 'read', expiresInDays: '30' });
    expect(token).toMatch(/^pas_[A-Za-z0-9_-]{43}$/);

    const rows = await db.query<Record<string, unknown>>('SELECT * FROM api_tokens WHERE organisation_id = $1', [org]);
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row.token_hash).toBe(sha256(token));
    expect(row.prefix).toBe(token.slice(0, 8));
    expect(row.scopes).toEqual(['read']);
    expect(row.created_by).toBe(adminId);
    const days = (new Date(row.expires_at as string).getTime() - new Date(row.created_at as string).getTime()) / 86_400_000;
    expect(Math.round(days)).toBe(30);
    // The token in clear is nowhere in the database.
    expect(JSON.stringify(row)).not.toContain(token);
    expect(JSON.stringify(row)).not.toContain(token.slice(8));

    const entries = await db.query<{ actor_id: string; organisation_id: string; target_id: string; after: unknown }>(`SELECT actor_id, organisation_id, target_id, after FROM audit_log WHERE action = 'api_token.created'`);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor_id: adminId, organisation_id: org, target_id: row.id });
    expect(entries[0].after).toMatchObject({ name: 'Logiciel RH', prefix: token.slice(0, 8), scopes: ['read'] });
    expect(JSON.stringify(entries[0])).not.toContain(token.slice(8));

    // Listed afterwards by name and prefix, never the token again.
    const page = await app.inject({ method: 'GET', url: `/organisations/${org}/jetons`, headers: { cookie: admin.cookie } });
    expect(page.body).not.toContain(token);
    expect(page.body).toContain(`<code>${token.slice(0, 8)}…</code>`);
    expect(page.body).toContain('<th scope="row">Logiciel RH</th>');
    expect(page.body).toContain('Alice Admin');
    expect(page.body).toContain('Actif');
    expect(page.body).toContain('Jamais');
  });

  it('lets a platform administrator create a token for any organisation', async () => {
    const token = await createThroughPage({ name: 'Par la plateforme', scopes: ['read', 'write'], expiresInDays: '365' }, platformAdmin);
    const res = await app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ kind: 'token', organisation: { id: org }, token: { scopes: ['read', 'write'] } });
  });
});

describe('Bearer tokens', () => {
  let readToken: string;
  let writeOnly: string;
  let readWrite: string;

  beforeAll(async () => {
    readToken = await createThroughPage({ name: 'Lecture seule', scopes: 'read' });
    writeOnly = await createThroughPage({ name: 'Écriture seule', scopes: 'write' });
    readWrite = await createThroughPage({ name: 'Lecture et écriture', scopes: ['read', 'write'] });
  });

  it('reads with the read scope: GET /api/v1/me names the organisation and the scopes, and the use is recorded', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(readToken) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ kind: 'token', token: { name: 'Lecture seule', prefix: readToken.slice(0, 8), scopes: ['read'] }, organisation: { id: org, name: 'Métropole Solidaire', type: 'buyer' } });
    expect(JSON.stringify(body)).not.toContain(readToken.slice(8));
    const used = await db.one<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_tokens WHERE token_hash = $1', [sha256(readToken)]);
    expect(used?.last_used_at).not.toBeNull();
    const page = await app.inject({ method: 'GET', url: `/organisations/${org}/jetons`, headers: { cookie: admin.cookie } });
    const line = /<th scope="row">Lecture seule<\/th>(?:(?!<\/tr>)[\s\S])*<\/tr>/.exec(page.body)?.[0] ?? '';
    expect(line).toContain('Actif');
    expect(line).not.toContain('Jamais');
  });

  it('needs the write scope to change something, and the read scope to read (403, French message)', async () => {
    const denied = await app.inject({ method: 'POST', url: '/api/v1/essai/ecriture', headers: bearer(readToken) });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error).toEqual({ code: 'FORBIDDEN', message: 'Ce jeton d’API n’a pas la portée « écriture ».' });
    const notRead = await app.inject({ method: 'GET', url: '/api/v1/essai/lecture', headers: bearer(writeOnly) });
    expect(notRead.statusCode).toBe(403);
    expect(notRead.json().error.message).toBe('Ce jeton d’API n’a pas la portée « lecture ».');
    // A token carries no cookie: no CSRF token is needed.
    for (const t of [writeOnly, readWrite]) {
      const ok = await app.inject({ method: 'POST', url: '/api/v1/essai/ecriture', headers: bearer(t) });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ organisation: org });
    }
    expect((await app.inject({ method: 'GET', url: '/api/v1/essai/lecture', headers: bearer(readWrite) })).statusCode).toBe(200);
  });

  it('acts for its organisation only on api and public routes: never on person routes or pages', async () => {
    for (const url of [`/api/v1/organisations/${org}/tokens`, '/api/v1/me/export', `/api/v1/organisations/${org}/members`]) {
      const res = await app.inject({ method: 'GET', url, headers: bearer(readWrite) });
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error.message).toBe('Cette action demande une session : un jeton d’API ne suffit pas.');
    }
    const create = await app.inject({ method: 'POST', url: `/api/v1/organisations/${org}/tokens`, headers: bearer(readWrite), payload: { name: 'Par un jeton', scopes: ['read'] } });
    expect(create.statusCode).toBe(403);
    const page = await app.inject({ method: 'GET', url: `/organisations/${org}/jetons`, headers: bearer(readWrite) });
    expect(page.statusCode).toBe(403);
    const del = await app.inject({ method: 'DELETE', url: '/api/v1/me', headers: bearer(readWrite), payload: { confirmEmail: 'x@exemple.fr' } });
    expect(del.statusCode).toBe(403);
    // Its own organisation is visible, another one is not; public routes work.
    expect((await app.inject({ method: 'GET', url: `/api/v1/organisations/${org}`, headers: bearer(readToken) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/api/v1/organisations/${otherOrg}`, headers: bearer(readToken) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/health', headers: bearer(readToken) })).statusCode).toBe(200);
  });

  it('refuses an unknown or malformed token with 401 INVALID_TOKEN', async () => {
    for (const authorization of ['Bearer pas_inconnuinconnuinconnuinconnu', 'Bearer court']) {
      const res = await app.inject({ method: 'GET', url: '/api/v1/health', headers: { authorization } });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('INVALID_TOKEN');
    }
    // Another scheme is not ours (a proxy's basic authentication): the request is anonymous, the token unused.
    const basic = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Basic ${readToken}` } });
    expect(basic.statusCode).toBe(401);
    expect(basic.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired token with 401 INVALID_TOKEN; the list says it expired', async () => {
    const token = await createThroughPage({ name: 'Bientôt expiré', scopes: 'read' });
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) })).statusCode).toBe(200);
    await db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [sha256(token)]);
    const res = await app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toEqual({ code: 'INVALID_TOKEN', message: 'Jeton d’API invalide, expiré ou révoqué.' });
    const page = await app.inject({ method: 'GET', url: `/organisations/${org}/jetons`, headers: { cookie: admin.cookie } });
    expect(page.body).toMatch(/<th scope="row">Bientôt expiré<\/th>[\s\S]*?Expiré/);
  });

  it('revokes a token from the page (CSRF required): 401 afterwards, audited, listed as revoked', async () => {
    const token = await createThroughPage({ name: 'À révoquer', scopes: 'read' });
    const row = (await db.one<{ id: string }>('SELECT id FROM api_tokens WHERE token_hash = $1', [sha256(token)])) as { id: string };
    const url = `/organisations/${org}/jetons/${row.id}/revocation`;
    expect((await app.inject({ method: 'POST', url, headers: { cookie: admin.cookie } })).statusCode).toBe(403);
    expect((await postForm(app, url, member, {})).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) })).statusCode).toBe(200);

    const res = await postForm(app, url, admin, {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/organisations/${org}/jetons?message=revoque`);
    const after = await app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('INVALID_TOKEN');
    const audit = await db.query<{ actor_id: string; before: unknown }>(`SELECT actor_id, before FROM audit_log WHERE action = 'api_token.revoked' AND target_id = $1`, [row.id]);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: adminId, before: { name: 'À révoquer', prefix: token.slice(0, 8) } });
    const page = await app.inject({ method: 'GET', url: `/organisations/${org}/jetons?message=revoque`, headers: { cookie: admin.cookie } });
    expect(page.body).toContain('Jeton révoqué.');
    expect(page.body).toMatch(/<th scope="row">À révoquer<\/th>[\s\S]*?Révoqué/);
    expect(page.body).not.toContain(`/jetons/${row.id}/revocation`);
    // Revoking again changes nothing; through another organisation the token is not found.
    expect((await postForm(app, url, admin, {})).statusCode).toBe(303);
    expect((await db.query(`SELECT 1 FROM audit_log WHERE action = 'api_token.revoked' AND target_id = $1`, [row.id])).length).toBe(1);
    expect((await postForm(app, `/organisations/${otherOrg}/jetons/${row.id}/revocation`, outsider, {})).statusCode).toBe(404);
  });

  it('a request with both a token and a cookie is the token’s', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { ...bearer(readToken), cookie: admin.cookie } });
    expect(res.json().kind).toBe('token');
  });
});
