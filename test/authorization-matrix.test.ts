// The authorisation matrix: every route of the application, called by each kind of actor, is allowed or
// refused as the rules say. A route added without a line here makes this test fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../src/core/tokens.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { addMember, createOrganisation, createPerson, type Session, signIn, TEST_PASSWORD } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';
import { siret, structure } from './helpers/fixtures.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;

const ROLES = ['anonymous', 'otherOrgMember', 'member', 'admin', 'facilitator', 'platformAdmin'] as const;
type Role = (typeof ROLES)[number];
const SIGNED_IN: Role[] = ['otherOrgMember', 'member', 'admin', 'facilitator', 'platformAdmin'];
const EVERYONE: Role[] = [...ROLES];
const STRUCTURE_TEAM: Role[] = ['member', 'admin', 'facilitator', 'platformAdmin'];
const DECIDERS: Role[] = ['admin', 'facilitator', 'platformAdmin'];
const MANAGERS: Role[] = ['admin', 'platformAdmin'];
const BACK_OFFICE: Role[] = ['facilitator', 'platformAdmin'];
const PLATFORM: Role[] = ['platformAdmin'];
const NOBODY: Role[] = [];

/** What each test call acts on: a structure of the Nord with its team, a pending claim, a token, other organisations. */
interface Fixture {
  structureId: string;
  structureSlug: string;
  structureOrg: string;
  colleagueId: string;
  claimId: string;
  tokenId: string;
  unverifiedOrg: string;
  /** A person who can sign in with TEST_PASSWORD. */
  knownEmail: string;
  sessions: Record<Exclude<Role, 'anonymous'>, Session>;
}

interface Call {
  url: string;
  /** A form (page) or JSON (API) body. */
  form?: Record<string, string>;
  json?: unknown;
  /** Called from this machine (127.0.0.1) rather than from a network address. */
  local?: boolean;
}

interface Rule {
  call: (f: Fixture) => Call;
  allowed: Role[];
}

// One line per route: how to call it, and who may.
const MATRIX: Record<string, Rule> = {
  'GET /api/v1/health': { call: () => ({ url: '/api/v1/health' }), allowed: EVERYONE },
  'GET /api/v1/structures': { call: () => ({ url: '/api/v1/structures' }), allowed: EVERYONE },
  'GET /api/v1/structures/by-siret/:siret': { call: () => ({ url: `/api/v1/structures/by-siret/${siret(9001)}` }), allowed: EVERYONE },
  'GET /api/v1/structures/:id': { call: (f) => ({ url: `/api/v1/structures/${f.structureId}` }), allowed: EVERYONE },
  'GET /api/v1/referentials/kinds': { call: () => ({ url: '/api/v1/referentials/kinds' }), allowed: EVERYONE },
  'GET /api/v1/referentials/sectors': { call: () => ({ url: '/api/v1/referentials/sectors' }), allowed: EVERYONE },
  'GET /api/v1/referentials/service-types': { call: () => ({ url: '/api/v1/referentials/service-types' }), allowed: EVERYONE },
  'GET /api/v1/territories': { call: () => ({ url: '/api/v1/territories?q=lille' }), allowed: EVERYONE },
  'GET /api/v1/openapi.json': { call: () => ({ url: '/api/v1/openapi.json' }), allowed: EVERYONE },
  'GET /': { call: () => ({ url: '/' }), allowed: EVERYONE },
  'GET /structures': { call: () => ({ url: '/structures' }), allowed: EVERYONE },
  'GET /structures/:slug': { call: (f) => ({ url: `/structures/${f.structureSlug}` }), allowed: EVERYONE },
  'GET /accessibilite': { call: () => ({ url: '/accessibilite' }), allowed: EVERYONE },
  'GET /mentions-legales': { call: () => ({ url: '/mentions-legales' }), allowed: EVERYONE },
  'GET /uploads/:folder/:file': { call: () => ({ url: `/uploads/logos/${'0'.repeat(32)}.webp` }), allowed: EVERYONE },
  // From this machine only (see the security tests for other addresses).
  'GET /dev/mails': { call: () => ({ url: '/dev/mails', local: true }), allowed: EVERYONE },
  'GET /dev/mails/:id': { call: () => ({ url: '/dev/mails/1', local: true }), allowed: EVERYONE },

  // Accounts: public forms, then the person's own space.
  'GET /inscription': { call: () => ({ url: '/inscription' }), allowed: EVERYONE },
  'POST /inscription': { call: () => ({ url: '/inscription', form: { email: 'x', password: 'x' } }), allowed: EVERYONE },
  'GET /inscription/envoyee': { call: () => ({ url: '/inscription/envoyee' }), allowed: EVERYONE },
  'GET /compte/confirmer': { call: () => ({ url: '/compte/confirmer?jeton=abc' }), allowed: EVERYONE },
  'POST /compte/confirmer': { call: () => ({ url: '/compte/confirmer', form: { jeton: 'abc' } }), allowed: EVERYONE },
  'GET /connexion': { call: () => ({ url: '/connexion' }), allowed: EVERYONE },
  'POST /connexion': { call: (f) => ({ url: '/connexion', form: { email: f.knownEmail, password: TEST_PASSWORD } }), allowed: EVERYONE },
  'POST /connexion/demande-de-lien': { call: () => ({ url: '/connexion/demande-de-lien', form: { email: 'personne@exemple.fr' } }), allowed: EVERYONE },
  'GET /connexion/lien': { call: () => ({ url: '/connexion/lien?jeton=abc' }), allowed: EVERYONE },
  'POST /connexion/lien': { call: () => ({ url: '/connexion/lien', form: { jeton: 'abc' } }), allowed: EVERYONE },
  'GET /mot-de-passe/oublie': { call: () => ({ url: '/mot-de-passe/oublie' }), allowed: EVERYONE },
  'POST /mot-de-passe/oublie': { call: () => ({ url: '/mot-de-passe/oublie', form: { email: 'personne@exemple.fr' } }), allowed: EVERYONE },
  'GET /mot-de-passe/nouveau': { call: () => ({ url: '/mot-de-passe/nouveau?jeton=abc' }), allowed: EVERYONE },
  'POST /mot-de-passe/nouveau': { call: () => ({ url: '/mot-de-passe/nouveau', form: { jeton: 'abc', password: 'x' } }), allowed: EVERYONE },
  'POST /deconnexion': { call: () => ({ url: '/deconnexion', form: {} }), allowed: EVERYONE },
  'GET /compte/supprime': { call: () => ({ url: '/compte/supprime' }), allowed: EVERYONE },
  'GET /invitation': { call: () => ({ url: '/invitation?jeton=abc' }), allowed: EVERYONE },
  'POST /invitation': { call: () => ({ url: '/invitation', form: { jeton: 'abc' } }), allowed: SIGNED_IN },
  'POST /espace/deconnexion-partout': { call: () => ({ url: '/espace/deconnexion-partout', form: {} }), allowed: SIGNED_IN },
  'GET /espace': { call: () => ({ url: '/espace' }), allowed: SIGNED_IN },
  'POST /espace/nom': { call: () => ({ url: '/espace/nom', form: { name: 'Nom' } }), allowed: SIGNED_IN },
  'GET /espace/donnees': { call: () => ({ url: '/espace/donnees' }), allowed: SIGNED_IN },
  'GET /espace/donnees.json': { call: () => ({ url: '/espace/donnees.json' }), allowed: SIGNED_IN },
  'POST /espace/suppression': { call: () => ({ url: '/espace/suppression', form: { confirmEmail: 'pas-la-bonne@exemple.fr' } }), allowed: SIGNED_IN },
  'GET /api/v1/me': { call: () => ({ url: '/api/v1/me' }), allowed: SIGNED_IN },
  'GET /api/v1/me/export': { call: () => ({ url: '/api/v1/me/export' }), allowed: SIGNED_IN },
  'DELETE /api/v1/me': { call: () => ({ url: '/api/v1/me', json: { confirmEmail: 'pas-la-bonne@exemple.fr' } }), allowed: SIGNED_IN },

  // Organisations: the structure's organisation.
  'GET /organisations/nouvelle': { call: () => ({ url: '/organisations/nouvelle' }), allowed: SIGNED_IN },
  'POST /organisations/nouvelle': { call: () => ({ url: '/organisations/nouvelle', form: { type: 'buyer', name: 'Acheteur', buyerCategory: 'public_etat' } }), allowed: SIGNED_IN },
  'GET /organisations/:id': { call: (f) => ({ url: `/organisations/${f.structureOrg}` }), allowed: STRUCTURE_TEAM },
  'POST /organisations/:id/invitations': { call: (f) => ({ url: `/organisations/${f.structureOrg}/invitations`, form: { email: 'invite@exemple.fr', role: 'member' } }), allowed: MANAGERS },
  'POST /organisations/:id/membres/:personId/role': { call: (f) => ({ url: `/organisations/${f.structureOrg}/membres/${f.colleagueId}/role`, form: { role: 'admin' } }), allowed: MANAGERS },
  'POST /organisations/:id/membres/:personId/retrait': { call: (f) => ({ url: `/organisations/${f.structureOrg}/membres/${f.colleagueId}/retrait`, form: {} }), allowed: MANAGERS },
  'POST /organisations/:id/verification': { call: (f) => ({ url: `/organisations/${f.unverifiedOrg}/verification`, form: {} }), allowed: PLATFORM },
  'GET /organisations/:id/jetons': { call: (f) => ({ url: `/organisations/${f.structureOrg}/jetons` }), allowed: MANAGERS },
  'POST /organisations/:id/jetons': { call: (f) => ({ url: `/organisations/${f.structureOrg}/jetons`, form: { name: 'ERP', scopes: 'read', expiresInDays: '90' } }), allowed: MANAGERS },
  'POST /organisations/:id/jetons/:tokenId/revocation': { call: (f) => ({ url: `/organisations/${f.structureOrg}/jetons/${f.tokenId}/revocation`, form: {} }), allowed: MANAGERS },
  'GET /api/v1/organisations/:id': { call: (f) => ({ url: `/api/v1/organisations/${f.structureOrg}` }), allowed: STRUCTURE_TEAM },
  'GET /api/v1/organisations/:id/members': { call: (f) => ({ url: `/api/v1/organisations/${f.structureOrg}/members` }), allowed: ['member', 'admin', 'platformAdmin'] },
  'GET /api/v1/organisations/:id/tokens': { call: (f) => ({ url: `/api/v1/organisations/${f.structureOrg}/tokens` }), allowed: MANAGERS },
  'POST /api/v1/organisations/:id/tokens': { call: (f) => ({ url: `/api/v1/organisations/${f.structureOrg}/tokens`, json: { name: 'ERP', scopes: ['read'], expiresInDays: 90 } }), allowed: MANAGERS },
  'DELETE /api/v1/organisations/:id/tokens/:tokenId': { call: (f) => ({ url: `/api/v1/organisations/${f.structureOrg}/tokens/${f.tokenId}` }), allowed: MANAGERS },

  // Claims: anyone signed in may claim; the structure's administrators, facilitators of its territory and
  // the platform decide; only the claimant (nobody here) cancels.
  'GET /structures/rattachement': { call: () => ({ url: '/structures/rattachement?q=recyclerie' }), allowed: EVERYONE },
  'GET /structures/rattachement/:id': { call: (f) => ({ url: `/structures/rattachement/${f.structureId}` }), allowed: SIGNED_IN },
  'POST /structures/rattachement/:id': { call: (f) => ({ url: `/structures/rattachement/${f.structureId}`, form: { message: 'Je dirige la structure.' } }), allowed: SIGNED_IN },
  'GET /espace/rattachements': { call: () => ({ url: '/espace/rattachements' }), allowed: SIGNED_IN },
  'POST /espace/rattachements/:id/annulation': { call: (f) => ({ url: `/espace/rattachements/${f.claimId}/annulation`, form: {} }), allowed: NOBODY },
  'GET /admin/rattachements': { call: () => ({ url: '/admin/rattachements' }), allowed: BACK_OFFICE },
  'GET /rattachements/:id': { call: (f) => ({ url: `/rattachements/${f.claimId}` }), allowed: DECIDERS },
  'POST /rattachements/:id/decision': { call: (f) => ({ url: `/rattachements/${f.claimId}/decision`, form: { decision: 'refuse', reason: 'Inconnu de la structure.' } }), allowed: DECIDERS },
  'GET /api/v1/claims': { call: () => ({ url: '/api/v1/claims' }), allowed: SIGNED_IN },
  'POST /api/v1/claims': { call: (f) => ({ url: '/api/v1/claims', json: { structureId: f.structureId, message: 'Je dirige la structure.' } }), allowed: SIGNED_IN },
  'GET /api/v1/claims/:id': { call: (f) => ({ url: `/api/v1/claims/${f.claimId}` }), allowed: DECIDERS },
  'POST /api/v1/claims/:id/decision': { call: (f) => ({ url: `/api/v1/claims/${f.claimId}/decision`, json: { decision: 'refuse', reason: 'Inconnu de la structure.' } }), allowed: DECIDERS },
  'POST /api/v1/claims/:id/cancel': { call: (f) => ({ url: `/api/v1/claims/${f.claimId}/cancel`, json: {} }), allowed: NOBODY },

  // Editing the structure's profile.
  'GET /structures/modifier/:id': { call: (f) => ({ url: `/structures/modifier/${f.structureId}` }), allowed: STRUCTURE_TEAM },
  'POST /structures/modifier/:id': { call: (f) => ({ url: `/structures/modifier/${f.structureId}`, form: { description: 'Nouvelle description.' } }), allowed: STRUCTURE_TEAM },
  'POST /structures/modifier/:id/logo': { call: (f) => ({ url: `/structures/modifier/${f.structureId}/logo`, form: {} }), allowed: STRUCTURE_TEAM },
  'POST /structures/modifier/:id/logo/suppression': { call: (f) => ({ url: `/structures/modifier/${f.structureId}/logo/suppression`, form: {} }), allowed: STRUCTURE_TEAM },
  'PATCH /api/v1/structures/:id': { call: (f) => ({ url: `/api/v1/structures/${f.structureId}`, json: { description: 'Nouvelle description.' } }), allowed: STRUCTURE_TEAM },
  'PUT /api/v1/structures/:id/logo': { call: (f) => ({ url: `/api/v1/structures/${f.structureId}/logo`, json: {} }), allowed: STRUCTURE_TEAM },
  'DELETE /api/v1/structures/:id/logo': { call: (f) => ({ url: `/api/v1/structures/${f.structureId}/logo` }), allowed: STRUCTURE_TEAM },

  // Back office.
  'GET /admin': { call: () => ({ url: '/admin' }), allowed: BACK_OFFICE },
  'GET /admin/organisations': { call: () => ({ url: '/admin/organisations' }), allowed: BACK_OFFICE },
  'GET /admin/organisations/:id': { call: (f) => ({ url: `/admin/organisations/${f.structureOrg}` }), allowed: BACK_OFFICE },
  'GET /admin/journal': { call: () => ({ url: '/admin/journal' }), allowed: BACK_OFFICE },
  'GET /admin/personnes': { call: () => ({ url: '/admin/personnes' }), allowed: PLATFORM },
  'GET /admin/personnes/:id': { call: (f) => ({ url: `/admin/personnes/${f.colleagueId}` }), allowed: PLATFORM },
  'GET /api/v1/admin/organisations': { call: () => ({ url: '/api/v1/admin/organisations' }), allowed: BACK_OFFICE },
  'GET /api/v1/admin/audit': { call: () => ({ url: '/api/v1/admin/audit' }), allowed: BACK_OFFICE },
  'GET /api/v1/admin/people': { call: () => ({ url: '/api/v1/admin/people' }), allowed: PLATFORM },
};

let t: TestApp;
let seq = 0;

/** A fresh world for one call, so that a change made by one call never decides the next one. */
async function fixture(): Promise<Fixture> {
  const db = t.db;
  const n = ++seq;
  const report = await importStructures(db, [
    { line: 1, input: structure({ siret: siret(5000 + n), name: `Recyclerie matrice ${n}`, kind: 'ACI', communeCode: '59350', website: 'https://www.recyclerie-matrice.fr' }) },
  ]);
  expect(report.rejected).toEqual([]);
  const s = (await db.one<{ id: string; slug: string }>('SELECT id, slug FROM structures WHERE siret = $1', [siret(5000 + n)])) as { id: string; slug: string };
  const structureOrg = await createOrganisation(db, { type: 'structure', structureId: s.id, name: `Recyclerie matrice ${n}` });
  const admin = await createPerson(db);
  const member = await createPerson(db);
  const colleague = await createPerson(db);
  await addMember(db, structureOrg, admin.id, 'admin');
  await addMember(db, structureOrg, member.id, 'member');
  await addMember(db, structureOrg, colleague.id, 'member');
  const buyerOrg = await createOrganisation(db, { type: 'buyer', category: 'public_etat' });
  const other = await createPerson(db);
  await addMember(db, buyerOrg, other.id, 'admin');
  const facilitatorOrg = await createOrganisation(db, { type: 'facilitator', territoryKeys: ['D59'], category: 'clauses_sociales' });
  const facilitator = await createPerson(db);
  await addMember(db, facilitatorOrg, facilitator.id, 'admin');
  const platformOrg = await createOrganisation(db, { type: 'platform' });
  const boss = await createPerson(db);
  await addMember(db, platformOrg, boss.id, 'admin');
  const unverifiedOrg = await createOrganisation(db, { type: 'facilitator', territoryKeys: ['D62'], verified: false });
  const claimant = await createPerson(db);
  const claim = (await db.one<{ id: string }>(`INSERT INTO claims (structure_id, person_id, status, message) VALUES ($1, $2, 'pending', 'Bonjour') RETURNING id`, [s.id, claimant.id])) as { id: string };
  const token = (await db.one<{ id: string }>(
    `INSERT INTO api_tokens (organisation_id, name, token_hash, prefix, scopes, expires_at) VALUES ($1, 'ERP', $2, 'pas_abcd', '{read,write}', now() + interval '30 days') RETURNING id`,
    [structureOrg, sha256(`pas_matrix_${n}`)],
  )) as { id: string };
  return {
    structureId: s.id,
    structureSlug: s.slug,
    structureOrg,
    colleagueId: colleague.id,
    claimId: claim.id,
    tokenId: token.id,
    unverifiedOrg,
    knownEmail: other.email,
    sessions: {
      otherOrgMember: await signIn(db, other.id),
      member: await signIn(db, member.id),
      admin: await signIn(db, admin.id),
      facilitator: await signIn(db, facilitator.id),
      platformAdmin: await signIn(db, boss.id),
    },
  };
}

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe('authorisation matrix', () => {
  it('knows every route of the application', () => {
    const registered = t.app.routeAccess.map((r) => `${r.method} ${r.url}`).sort();
    expect(registered.filter((r) => !(r in MATRIX)), 'routes missing from the matrix').toEqual([]);
    expect(Object.keys(MATRIX).filter((k) => !registered.includes(k)), 'matrix lines without a route').toEqual([]);
  });

  for (const [route, rule] of Object.entries(MATRIX)) {
    it(`${route}: allowed to ${rule.allowed.length ? rule.allowed.join(', ') : 'nobody here'}`, async () => {
      const method = route.split(' ')[0] as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      for (const role of ROLES) {
        const f = await fixture();
        const call = rule.call(f);
        const session = role === 'anonymous' ? null : f.sessions[role];
        // Anonymous visitors of a form hold a CSRF cookie too: refusals are about rights, not CSRF.
        const csrf = session?.csrf ?? 'jeton-csrf-anonyme-de-test-0123456789';
        const cookie = session?.cookie ?? `pa_csrf=${csrf}`;
        const headers: Record<string, string> = { cookie };
        let payload: string | undefined;
        if (method !== 'GET') {
          headers['x-csrf-token'] = csrf;
          if (call.form) {
            headers['content-type'] = 'application/x-www-form-urlencoded';
            payload = new URLSearchParams({ _csrf: csrf, ...call.form }).toString();
          } else if (call.json !== undefined) {
            headers['content-type'] = 'application/json';
            payload = JSON.stringify(call.json);
          }
        }
        const res = await t.app.inject({ method, url: call.url, headers, payload, remoteAddress: call.local ? '127.0.0.1' : `10.8.${seq % 250}.${(seq * 7) % 250}` });
        const toSignIn = res.statusCode === 303 && String(res.headers.location).startsWith('/connexion?retour=');
        const refused = res.statusCode === 401 || res.statusCode === 403 || toSignIn || (!rule.allowed.includes(role) && res.statusCode === 404);
        const what = `${route} as ${role}: ${res.statusCode} ${res.statusCode >= 400 ? res.body.slice(0, 300) : ''}`;
        expect(res.statusCode, what).toBeLessThan(500);
        expect(refused, what).toBe(!rule.allowed.includes(role));
        if (role === 'anonymous' && refused && method === 'GET' && !route.includes('/api/')) expect(toSignIn, what).toBe(true);
      }
    });
  }
});
