// The accounts API (/api/v1, tag « Comptes ») through the HTTP app: who is calling, organisations and
// their members (emails only for members and the platform), the tokens API, and the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../src/core/tokens.ts';
import { addMember, createOrganisation, createPerson, type Session, signIn } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
let t: TestApp;
let org: string;
let facilitatorOrg: string;
let admin: { id: string; email: string };
let member: { id: string; email: string };
const s: Record<'admin' | 'member' | 'outsider' | 'facilitator' | 'platform', Session> = {} as never;

beforeAll(async () => {
  t = await createTestApp();
  const { db } = t;
  org = await createOrganisation(db, { type: 'buyer', name: 'Hôpital du Littoral', category: 'public_sante' });
  facilitatorOrg = await createOrganisation(db, { type: 'facilitator', name: 'Facilitateur du Nord', category: 'clauses_sociales', territoryKeys: ['D59'], verified: true });
  const other = await createOrganisation(db, { type: 'network', name: 'Réseau non vérifié', verified: false });
  admin = await createPerson(db, { name: 'Ada Admin', email: 'ada.admin@hopital.example' });
  member = await createPerson(db, { name: 'Max Membre', email: 'max.membre@hopital.example' });
  const outsider = await createPerson(db, { name: 'Olivia Autre' });
  const facilitator = await createPerson(db, { name: 'Félix Facilitateur' });
  const platformAdmin = await createPerson(db, { name: 'Pia Plateforme' });
  await addMember(db, org, admin.id, 'admin');
  await addMember(db, org, member.id, 'member');
  await addMember(db, other, outsider.id, 'admin');
  await addMember(db, facilitatorOrg, facilitator.id, 'member');
  const platform = await createOrganisation(db, { type: 'platform', name: 'Administration de la plateforme' });
  await addMember(db, platform, platformAdmin.id, 'admin');
  s.admin = await signIn(db, admin.id);
  s.member = await signIn(db, member.id);
  s.outsider = await signIn(db, outsider.id);
  s.facilitator = await signIn(db, facilitator.id);
  s.platform = await signIn(db, platformAdmin.id);
});

afterAll(async () => {
  await t?.close();
});

const get = (url: string, session?: Session, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers: { ...(session?.headers ?? {}), ...headers } });

describe('GET /api/v1/me', () => {
  it('answers 401 with the error shape when nobody is signed in', async () => {
    const res = await get('/api/v1/me');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.stringMatching(/^Connectez-vous/) } });
  });

  it('gives a signed-in person their identity and organisations with roles', async () => {
    const res = await get('/api/v1/me', s.admin);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      kind: 'person',
      person: { id: admin.id, email: admin.email, name: 'Ada Admin', emailConfirmedAt: expect.any(String) },
      organisations: [{ id: org, name: 'Hôpital du Littoral', type: 'buyer', role: 'admin', structureId: null, verified: true }],
    });
    const m = (await get('/api/v1/me', s.member)).json();
    expect(m.organisations).toEqual([expect.objectContaining({ id: org, role: 'member' })]);
  });
});

describe('GET /api/v1/organisations/{id}', () => {
  it('shows the organisation to its members, verified facilitators and the platform', async () => {
    for (const who of ['admin', 'member', 'facilitator', 'platform'] as const) {
      const res = await get(`/api/v1/organisations/${org}`, s[who]);
      expect(res.statusCode, who).toBe(200);
      expect(res.json()).toEqual({
        id: org,
        type: 'buyer',
        name: 'Hôpital du Littoral',
        category: 'public_sante',
        territoryKeys: [],
        networkSlug: null,
        structureId: null,
        verified: true,
        createdAt: expect.any(String),
      });
    }
  });

  it('refuses others (403), anonymous callers (401); unknown 404, malformed 400', async () => {
    expect((await get(`/api/v1/organisations/${org}`, s.outsider)).statusCode).toBe(403);
    expect((await get(`/api/v1/organisations/${org}`)).statusCode).toBe(401);
    expect((await get('/api/v1/organisations/00000000-0000-4000-8000-000000000000', s.admin)).statusCode).toBe(404);
    const bad = await get('/api/v1/organisations/pas-un-identifiant', s.admin);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_PARAMETERS');
  });
});

describe('GET /api/v1/organisations/{id}/members', () => {
  it('lists members with their emails for members and platform administrators', async () => {
    for (const who of ['admin', 'member', 'platform'] as const) {
      const res = await get(`/api/v1/organisations/${org}/members`, s[who]);
      expect(res.statusCode, who).toBe(200);
      const items = res.json().items as { personId: string; email: string | null; role: string; name: string }[];
      expect(items.map((i) => [i.name, i.email, i.role])).toEqual([
        ['Ada Admin', admin.email, 'admin'],
        ['Max Membre', member.email, 'member'],
      ]);
    }
  });

  it('never shows members to facilitators, nor to others', async () => {
    const res = await get(`/api/v1/organisations/${org}/members`, s.facilitator);
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('@');
    expect((await get(`/api/v1/organisations/${org}/members`, s.outsider)).statusCode).toBe(403);
    expect((await get(`/api/v1/organisations/${org}/members`)).statusCode).toBe(401);
  });
});

describe('tokens API', () => {
  const url = () => `/api/v1/organisations/${org}/tokens`;

  it('creates a token for an administrator (CSRF header needed with cookies) and returns it once', async () => {
    const noCsrf = await t.app.inject({ method: 'POST', url: url(), headers: { cookie: s.admin.cookie }, payload: { name: 'ERP', scopes: ['read'] } });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.code).toBe('CSRF_REJECTED');

    const res = await t.app.inject({ method: 'POST', url: url(), headers: s.admin.headers, payload: { name: 'ERP', scopes: ['read', 'write'] } });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const { token, item } = res.json();
    expect(token).toMatch(/^pas_/);
    expect(item).toMatchObject({ name: 'ERP', prefix: token.slice(0, 8), scopes: ['read', 'write'], status: 'active', createdBy: { id: admin.id, name: 'Ada Admin' }, lastUsedAt: null, revokedAt: null });
    expect(Math.round((Date.parse(item.expiresAt) - Date.parse(item.createdAt)) / 86_400_000)).toBe(90);

    const list = await get(url(), s.admin);
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toEqual([item]);
    expect(list.body).not.toContain(token);
    expect(list.body).not.toContain(sha256(token));

    // The token works on the API, then not after revocation.
    expect((await get('/api/v1/me', undefined, { authorization: `Bearer ${token}` })).statusCode).toBe(200);
    const del = await t.app.inject({ method: 'DELETE', url: `${url()}/${item.id}`, headers: s.admin.headers });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    expect((await get('/api/v1/me', undefined, { authorization: `Bearer ${token}` })).statusCode).toBe(401);
    expect((await get(url(), s.admin)).json().items[0]).toMatchObject({ id: item.id, status: 'revoked' });
  });

  it('refuses members who are not administrators, facilitators and anonymous callers', async () => {
    for (const who of ['member', 'facilitator', 'outsider'] as const) {
      expect((await get(url(), s[who])).statusCode, who).toBe(403);
      const post = await t.app.inject({ method: 'POST', url: url(), headers: s[who].headers, payload: { name: 'Essai', scopes: ['read'] } });
      expect(post.statusCode, who).toBe(403);
    }
    expect((await get(url())).statusCode).toBe(401);
    const platform = await t.app.inject({ method: 'POST', url: url(), headers: s.platform.headers, payload: { name: 'Plateforme', scopes: ['read'], expiresInDays: 30 } });
    expect(platform.statusCode).toBe(201);
  });

  it('validates the request: scopes and lifetimes from the lists (400), a name that is not blank (422)', async () => {
    const post = (payload: unknown) => t.app.inject({ method: 'POST', url: url(), headers: s.admin.headers, payload: payload as object });
    for (const payload of [{ name: 'x', scopes: [] }, { name: 'x', scopes: ['admin'] }, { name: 'x', scopes: ['read'], expiresInDays: 0 }, { name: 'x', scopes: ['read'], expiresInDays: 3650 }, { scopes: ['read'] }]) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.code).toBe('INVALID_PARAMETERS');
    }
    const blank = await post({ name: '   ', scopes: ['read'] });
    expect(blank.statusCode).toBe(422);
    expect(blank.json().error).toMatchObject({ code: 'INVALID_TOKEN_REQUEST', details: [{ field: 'name' }] });
  });
});

describe('OpenAPI', () => {
  it('documents every accounts route under the « Comptes » tag, and no page', async () => {
    const doc = (await get('/api/v1/openapi.json')).json();
    const expected: [string, string][] = [
      ['/api/v1/me', 'get'],
      ['/api/v1/me', 'delete'],
      ['/api/v1/me/export', 'get'],
      ['/api/v1/organisations/{id}', 'get'],
      ['/api/v1/organisations/{id}/members', 'get'],
      ['/api/v1/organisations/{id}/tokens', 'get'],
      ['/api/v1/organisations/{id}/tokens', 'post'],
      ['/api/v1/organisations/{id}/tokens/{tokenId}', 'delete'],
    ];
    for (const [path, method] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op.tags).toEqual(['Comptes']);
      expect(op.summary).toMatch(/[a-zé]/);
    }
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/'))).toEqual([]);
    expect(JSON.stringify(doc.paths['/api/v1/organisations/{id}/tokens'].post.requestBody)).toContain('expiresInDays');
  });
});
