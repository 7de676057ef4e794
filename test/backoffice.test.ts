// Back office: who may open which page or API (anonymous, buyer, unverified and verified facilitator,
// platform administrator), the facilitator's territorial scope (claims, structures, audit log), search
// (case and accents ignored), filters, pagination, the audit log's French labels and the API's same answers.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../src/core/audit.ts';
import type { Db } from '../src/core/db.ts';
import type { Platform } from '../src/core/platform.ts';
import * as accounts from '../src/modules/accounts/service.ts';
import { actorOfPerson } from '../src/modules/accounts/sessions.ts';
import { changes } from '../src/modules/backoffice/pages.ts';
import { actionLabel } from '../src/modules/backoffice/service.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { addMember, anonymous, createOrganisation, createPerson, type Session, signIn } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';
import { structure } from './helpers/fixtures.ts';

let app: FastifyInstance;
let db: Db;
let platform: Platform;
let close: () => Promise<void>;

const S: Record<'admin' | 'buyer' | 'unverified' | 'facilitator', Session> = {} as never;
const ids = {} as { admin: string; buyer: string; elodie: string; nord: string; somme: string; claimNord: string; lens: string; lea: string; unverifiedOrg: string; facilitatorOrg: string };

const PAGES = ['/admin', '/admin/personnes', '/admin/organisations', '/admin/journal'];
const APIS = ['/api/v1/admin/people', '/api/v1/admin/organisations', '/api/v1/admin/audit'];

const get = (url: string, s?: Session) => app.inject({ method: 'GET', url, headers: s ? { cookie: s.cookie } : {} });
const json = async <T = { items: Record<string, unknown>[]; total: number; page: number; perPage: number }>(url: string, s: Session) => {
  const r = await get(url, s);
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as T;
};
const page = async (url: string, s: Session) => {
  const r = await get(url, s);
  expect(r.statusCode, r.body.slice(0, 2000)).toBe(200);
  return r.body;
};
const idsIn = (body: string, path: string) => [...body.matchAll(new RegExp(`href="${path}/([0-9a-f-]{36})"`, 'g'))].map((m) => m[1]);
/** Today in Paris, as YYYY-MM-DD. */
const parisDay = (offsetDays = 0) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date(Date.now() + offsetDays * 86_400_000));

beforeAll(async () => {
  ({ app, db, platform, close } = await createTestApp());

  const report = await importStructures(db, [
    { line: 1, input: structure({ name: 'Atelier du Nord', communeCode: '59350' }) },
    { line: 2, input: structure({ name: 'Jardins de la Somme', communeCode: '80021' }) },
  ]);
  expect(report.rejected).toEqual([]);
  const structures = await db.query<{ id: string; name: string }>('SELECT id, name FROM structures');
  ids.nord = structures.find((s) => s.name === 'Atelier du Nord')?.id as string;
  ids.somme = structures.find((s) => s.name === 'Jardins de la Somme')?.id as string;

  const admin = await createPerson(db, { email: 'admin@plateforme.fr', name: 'Ada Admin' });
  await addMember(db, await createOrganisation(db, { type: 'platform', name: 'Administration de la plateforme' }), admin.id, 'admin');
  const buyer = await createPerson(db, { email: 'achats@ville.fr', name: 'Bérénice Acheteuse' });
  await addMember(db, await createOrganisation(db, { type: 'buyer', name: 'Ville de Lille', category: 'public_collectivite' }), buyer.id, 'admin');
  const unverified = await createPerson(db, { email: 'nouveau@clauses.fr', name: 'Ulysse Attente' });
  ids.unverifiedOrg = await createOrganisation(db, { type: 'facilitator', name: 'Clauses en attente', territoryKeys: ['D59'], verified: false, category: 'clauses_sociales' });
  await addMember(db, ids.unverifiedOrg, unverified.id, 'admin');
  const facilitator = await createPerson(db, { email: 'facilitatrice@clauses-nord.fr', name: 'Fanny Facilitatrice' });
  ids.facilitatorOrg = await createOrganisation(db, { type: 'facilitator', name: 'Clauses sociales du Nord', territoryKeys: ['D59'], category: 'clauses_sociales' });
  await addMember(db, ids.facilitatorOrg, facilitator.id, 'admin');
  ids.admin = admin.id;
  ids.buyer = buyer.id;

  // The Nord structure has a team (claimed); both structures have a pending claim.
  const team = await createPerson(db, { email: 'equipe@atelier-nord.fr', name: 'Théo Équipe' });
  await addMember(db, await createOrganisation(db, { type: 'structure', name: 'Atelier du Nord', structureId: ids.nord }), team.id, 'admin');
  const claimant = await createPerson(db, { email: 'claire@jardins.fr', name: 'Claire Demande' });
  ids.claimNord = (await db.one<{ id: string }>(`INSERT INTO claims (structure_id, person_id, status) VALUES ($1, $2, 'pending') RETURNING id`, [ids.nord, claimant.id]))?.id as string;
  await db.query(`INSERT INTO claims (structure_id, person_id, status) VALUES ($1, $2, 'pending')`, [ids.somme, claimant.id]);

  // People to search and paginate: 60 namesakes, and one accented name.
  for (let i = 1; i <= 60; i++) await createPerson(db, { email: `p${String(i).padStart(3, '0')}@exemple.fr`, name: `Personne ${String(i).padStart(3, '0')}` });
  ids.elodie = (await createPerson(db, { email: 'e.lefevre@exemple.fr', name: 'Élodie Lefèvre', confirmed: false })).id;

  // Audit entries: structure edits in the Nord and in the Somme, a claim on the Nord structure.
  await audit(db, { actorId: team.id, action: 'structure.updated', targetType: 'structure', targetId: ids.nord, before: { description: 'Avant' }, after: { description: 'Après' } });
  await audit(db, { actorId: claimant.id, action: 'structure.updated', targetType: 'structure', targetId: ids.somme, before: { phone: '01' }, after: { phone: '02' } });
  await audit(db, { actorId: claimant.id, action: 'claim.created', targetType: 'claim', targetId: ids.claimNord, after: { message: 'Je suis la directrice' } });

  // An organisation created and verified through the service, as people do through the pages.
  const lea = await createPerson(db, { email: 'lea@clauses-lens.fr', name: 'Léa Lens' });
  ids.lea = lea.id;
  const lens = await accounts.createOrganisation(platform, await actorOfPerson(db, lea.id), { type: 'facilitator', name: 'Clauses sociales de Lens', category: 'clauses_sociales', territoryKeys: ['D62'] }, { ip: '10.1.1.1' });
  ids.lens = lens.id;
  await accounts.verifyOrganisation(platform, await actorOfPerson(db, admin.id), lens.id);

  S.admin = await signIn(db, admin.id);
  S.buyer = await signIn(db, buyer.id);
  S.unverified = await signIn(db, unverified.id);
  S.facilitator = await signIn(db, facilitator.id);
});

afterAll(async () => {
  await close?.();
});

describe('access', () => {
  it('sends anonymous visitors to sign in, and answers 401 on the API', async () => {
    for (const url of [...PAGES, `/admin/personnes/${ids.admin}`, `/admin/organisations/${ids.lens}`]) {
      const r = await get(url, anonymous());
      expect(r.statusCode, url).toBe(303);
      expect(r.headers.location).toBe(`/connexion?retour=${encodeURIComponent(url)}`);
    }
    for (const url of APIS) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(401);
      expect(r.json().error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses a buyer and an unverified facilitator (403)', async () => {
    for (const s of [S.buyer, S.unverified]) {
      for (const url of [...PAGES, ...APIS, `/admin/organisations/${ids.lens}`]) {
        const r = await get(url, s);
        expect(r.statusCode, url).toBe(403);
        if (url.startsWith('/api/')) expect(r.json().error.code).toBe('FORBIDDEN');
        else expect(r.body).toContain('réservé');
      }
    }
  });

  it('opens the dashboard, organisations and journal to a verified facilitator, not the people', async () => {
    for (const url of ['/admin', '/admin/organisations', `/admin/organisations/${ids.lens}`, '/admin/journal']) expect((await get(url, S.facilitator)).statusCode, url).toBe(200);
    for (const url of ['/admin/personnes', `/admin/personnes/${ids.admin}`]) {
      const r = await get(url, S.facilitator);
      expect(r.statusCode, url).toBe(403);
      expect(r.body).toContain('réservée à l’équipe de la plateforme');
    }
    expect((await get('/api/v1/admin/people', S.facilitator)).statusCode).toBe(403);
    expect((await get('/api/v1/admin/organisations', S.facilitator)).statusCode).toBe(200);
    expect((await get('/api/v1/admin/audit', S.facilitator)).statusCode).toBe(200);
  });

  it('opens everything to a platform administrator', async () => {
    for (const url of [...PAGES, ...APIS, `/admin/personnes/${ids.elodie}`, `/admin/organisations/${ids.lens}`]) expect((await get(url, S.admin)).statusCode, url).toBe(200);
    expect((await get('/admin/personnes/00000000-0000-0000-0000-000000000000', S.admin)).statusCode).toBe(404);
    expect((await get('/admin/organisations/pas-un-identifiant', S.admin)).statusCode).toBe(404);
  });
});

describe('dashboard', () => {
  it('counts for a platform administrator: everything', async () => {
    const body = await page('/admin', S.admin);
    expect(body).toContain('class="fr-sidemenu"');
    expect(body).toContain('href="/admin/rattachements"');
    expect(body).toMatch(/<span class="pl-figure">2<\/span> demandes de rattachement en attente/);
    expect(body).toMatch(/<span class="pl-figure">1<\/span> organisation à vérifier/);
    expect(body).toMatch(/<span class="pl-figure">1 \/ 2<\/span> structures de l’annuaire rattachées/);
    const people = (await db.one<{ n: number }>('SELECT count(*)::int AS n FROM people'))?.n as number;
    expect(body).toContain(`<span class="pl-figure">${people}</span> personnes inscrites`);
    expect(body).toMatch(/<th scope="row">Facilitateur<\/th><td>3<\/td>/);
    expect(body).toContain('href="/admin/personnes"');
  });

  it('counts the claims and structures of the facilitator’s territory only', async () => {
    const body = await page('/admin', S.facilitator);
    expect(body).toMatch(/<span class="pl-figure">1<\/span> demande de rattachement en attente/);
    expect(body).toMatch(/<span class="pl-figure">1 \/ 1<\/span> structures de votre territoire/);
    expect(body).toContain('Nord (59)');
    // No link to the people for a facilitator, in the page nor in the side menu.
    expect(body).not.toContain('href="/admin/personnes"');
  });
});

describe('people', () => {
  it('lists 50 per page with the DSFR pagination; page 2 holds the rest', async () => {
    const p1 = await page('/admin/personnes?q=personne', S.admin);
    expect(p1).toContain('60 personnes');
    expect(p1).toContain('<caption>Personnes (page 1 sur 2)</caption>');
    expect(idsIn(p1, '/admin/personnes')).toHaveLength(50);
    expect(p1).toContain('<nav class="fr-pagination');
    expect(p1).toContain('href="/admin/personnes?q=personne&amp;page=2"');
    expect(p1).toContain('<th scope="col">Adresse électronique</th>');

    const p2 = await page('/admin/personnes?q=personne&page=2', S.admin);
    expect(idsIn(p2, '/admin/personnes')).toHaveLength(10);
    expect(p2).toContain('Personne 051');
    expect(p2).toContain('p060@exemple.fr');
    expect(p2).not.toContain('Personne 050');

    const api = await json('/api/v1/admin/people?q=personne&page=2', S.admin);
    expect(api.total).toBe(60);
    expect(api.page).toBe(2);
    expect(api.perPage).toBe(50);
    expect(api.items.map((i) => i.id)).toEqual(idsIn(p2, '/admin/personnes'));
    expect(api.items[0]).toMatchObject({ name: 'Personne 051', email: 'p051@exemple.fr', emailConfirmed: true, organisations: [] });
  });

  it('finds a name whatever its case and accents, and by email', async () => {
    for (const q of ['elodie lefevre', 'ÉLODIE', 'lefèvre', 'e.lefevre@']) {
      const body = await page(`/admin/personnes?q=${encodeURIComponent(q)}`, S.admin);
      expect(idsIn(body, '/admin/personnes'), q).toEqual([ids.elodie]);
      expect(body).toContain('Élodie Lefèvre');
    }
    const body = await page('/admin/personnes?q=elodie', S.admin);
    expect(body).toMatch(/e\.lefevre@exemple\.fr<\/td>\s*<td>Non<\/td>/);
    // Wildcards are literal.
    expect((await json('/api/v1/admin/people?q=%25', S.admin)).total).toBe(0);
  });

  it('filters by organisation type and shows organisations with roles', async () => {
    const body = await page('/admin/personnes?type=facilitator', S.admin);
    expect(body).toContain('Fanny Facilitatrice');
    expect(body).toContain('Ulysse Attente');
    expect(body).toContain('Léa Lens'); // admin of « Clauses sociales de Lens »
    expect(body).not.toContain('Bérénice Acheteuse');
    expect(body).not.toContain('Ada Admin</a>');
    expect(body).toContain('Clauses sociales du Nord</a> (Facilitateur) — Administrateur');
    const none = await json('/api/v1/admin/people?type=none&perPage=100', S.admin);
    expect(none.total).toBe(62); // 60 namesakes, Élodie, the claimant
    expect(none.items.map((i) => i.email)).not.toContain('achats@ville.fr');
    const buyers = await json('/api/v1/admin/people?type=buyer', S.admin);
    expect(buyers.items.map((i) => i.email)).toEqual(['achats@ville.fr']);
    expect(buyers.items[0].organisations).toEqual([{ id: expect.any(String), name: 'Ville de Lille', type: 'buyer', role: 'admin' }]);
  });

  it('shows a person’s memberships and recent actions', async () => {
    const body = await page(`/admin/personnes/${ids.lea}`, S.admin);
    expect(body).toContain('<h1>Léa Lens</h1>');
    expect(body).toContain('lea@clauses-lens.fr (confirmée)');
    expect(body).toContain('href="/admin/organisations/' + ids.lens + '"');
    expect(body).toContain('Organisation créée');
  });
});

describe('organisations', () => {
  it('searches by name (accents ignored) and filters by type and status', async () => {
    const lens = await page('/admin/organisations?q=clauses%20LENS', S.facilitator);
    expect(idsIn(lens, '/admin/organisations')).toEqual([ids.lens]);
    const toVerify = await page('/admin/organisations?statut=a-verifier', S.facilitator);
    expect(idsIn(toVerify, '/admin/organisations')).toEqual([ids.unverifiedOrg]);
    expect(toVerify).toContain('À vérifier');
    const api = await json('/api/v1/admin/organisations?status=to_verify', S.admin);
    expect(api.items.map((i) => i.id)).toEqual([ids.unverifiedOrg]);
    expect(api.total).toBe(1);
    const facilitators = await json('/api/v1/admin/organisations?type=facilitator', S.facilitator);
    expect(facilitators.items.map((i) => i.name)).toEqual(['Clauses en attente', 'Clauses sociales de Lens', 'Clauses sociales du Nord']);
    expect(facilitators.items[1]).toMatchObject({ type: 'facilitator', verified: true, memberCount: 1, territoryKeys: ['D62'] });
    expect(await page('/admin/organisations?q=%C3%A9quipe%20inexistante', S.admin)).toContain('Aucune organisation ne correspond');
  });

  it('shows members and the « Vérifier » button to platform administrators only', async () => {
    const forAdmin = await page(`/admin/organisations/${ids.unverifiedOrg}`, S.admin);
    expect(forAdmin).toContain(`action="/organisations/${ids.unverifiedOrg}/verification"`);
    expect(forAdmin).toContain('name="_csrf"');
    expect(forAdmin).toContain('nouveau@clauses.fr');
    const forFacilitator = await page(`/admin/organisations/${ids.unverifiedOrg}`, S.facilitator);
    expect(forFacilitator).toContain('Clauses en attente');
    expect(forFacilitator).not.toContain('nouveau@clauses.fr');
    expect(forFacilitator).not.toContain('/verification');
    expect(forFacilitator).toContain('réservée à l’équipe de la plateforme');
    // A verified organisation has no button.
    expect(await page(`/admin/organisations/${ids.lens}`, S.admin)).not.toContain('/verification"');
  });
});

describe('audit log', () => {
  it('shows an action made through the service with its French label, actor and target', async () => {
    const body = await page('/admin/journal?action=organisation.verified', S.admin);
    expect(body).toContain('1 action');
    expect(body).toContain('Organisation vérifiée');
    expect(body).toContain('Ada Admin');
    expect(body).toContain('admin@plateforme.fr');
    expect(body).toContain(`href="/admin/organisations/${ids.lens}">Clauses sociales de Lens</a>`);
    expect(body).toContain('verified : false → true');
    expect(body).toContain('<details>');
    expect(body).toContain('<th scope="col">Date (heure de Paris)</th>');

    const all = await page('/admin/journal', S.admin);
    expect(all).toContain('Organisation créée');
    expect(all).toContain('Fiche de structure : modifiée');
    expect(all).toContain('Rattachement demandé');
    expect(all).toContain('description : Avant → Après');

    const api = await json('/api/v1/admin/audit?action=organisation.verified', S.admin);
    expect(api.total).toBe(1);
    expect(api.items[0]).toMatchObject({
      action: 'organisation.verified',
      actionLabel: 'Organisation vérifiée',
      actor: { kind: 'person', personId: ids.admin, name: 'Ada Admin', email: 'admin@plateforme.fr' },
      target: { type: 'organisation', id: ids.lens, label: 'Clauses sociales de Lens' },
      before: { verified: false },
      after: { verified: true },
    });
  });

  it('filters by family of actions, target, actor email and Paris days', async () => {
    const orgs = await json('/api/v1/admin/audit?action=organisation.*', S.admin);
    expect(orgs.items.map((i) => i.action).sort()).toEqual(['organisation.created', 'organisation.verified']);
    const target = await json(`/api/v1/admin/audit?targetType=organisation&targetId=${ids.lens}`, S.admin);
    expect(target.items.map((i) => i.action).sort()).toEqual(['organisation.created', 'organisation.verified']);
    const byActor = await json('/api/v1/admin/audit?actor=LEA@clauses', S.admin);
    expect(byActor.items.map((i) => i.action)).toEqual(['organisation.created']);
    expect((await json(`/api/v1/admin/audit?from=${parisDay()}&to=${parisDay()}`, S.admin)).total).toBe((await json('/api/v1/admin/audit', S.admin)).total);
    expect((await json(`/api/v1/admin/audit?from=${parisDay(1)}`, S.admin)).total).toBe(0);
    expect((await json(`/api/v1/admin/audit?to=${parisDay(-1)}`, S.admin)).total).toBe(0);
    const body = await page(`/admin/journal?cible=organisation&identifiant=${ids.lens}&du=${parisDay()}`, S.admin);
    expect(body).toContain('2 actions');
  });

  it('paginates 50 entries per page', async () => {
    for (let i = 0; i < 55; i++) await audit(db, { actorId: null, action: 'person.signed_in', targetType: 'person', targetId: ids.elodie });
    const total = (await json('/api/v1/admin/audit', S.admin)).total;
    const p2 = await json('/api/v1/admin/audit?page=2', S.admin);
    expect(p2.items).toHaveLength(total - 50);
    const body = await page('/admin/journal?page=2', S.admin);
    expect(body).toContain(`page 2 sur ${Math.ceil(total / 50)}`);
    expect(body).toContain('<em>Système</em>');
    expect(body).toContain('Connexion');
  });

  it('shows a facilitator the entries about the structures of its territory only, without emails', async () => {
    const api = await json('/api/v1/admin/audit', S.facilitator);
    expect(api.items.map((i) => `${i.action} ${(i.target as { id: string }).id}`).sort()).toEqual([`claim.created ${ids.claimNord}`, `structure.updated ${ids.nord}`]);
    expect(api.items.every((i) => (i.actor as { email: string | null }).email === null)).toBe(true);
    const body = await page('/admin/journal', S.facilitator);
    expect(body).toContain('Atelier du Nord');
    expect(body).toContain('Théo Équipe');
    expect(body).not.toContain('equipe@atelier-nord.fr');
    expect(body).not.toContain('Jardins de la Somme');
    expect(body).not.toContain('Clauses sociales de Lens');
    expect(body).not.toContain('<td>Organisation vérifiée');
    expect(body).toContain('2 actions');
    expect(body).not.toContain('name="auteur"');
    const r = await get('/api/v1/admin/audit?actor=admin', S.facilitator);
    expect(r.statusCode).toBe(403);
  });
});

describe('bad parameters', () => {
  it('answers 400 with the standard error body on the API, and an error page on the pages', async () => {
    for (const url of ['/api/v1/admin/people?page=0', '/api/v1/admin/people?type=martien', '/api/v1/admin/organisations?status=peut-etre', '/api/v1/admin/audit?from=2026-13', '/api/v1/admin/audit?perPage=1000', '/api/v1/admin/audit?targetId=abc']) {
      const r = await get(url, S.admin);
      expect(r.statusCode, url).toBe(400);
      expect(r.json().error).toMatchObject({ code: 'INVALID_PARAMETERS', message: expect.any(String) });
    }
    const r = await get('/admin/journal?du=hier', S.admin);
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('date de début');
  });
});

describe('OpenAPI', () => {
  it('documents the three routes under « Administration », with their parameters', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    for (const path of APIS) expect(doc.paths[path]?.get?.tags, path).toEqual(['Administration']);
    const params = doc.paths['/api/v1/admin/audit'].get.parameters.map((x: { name: string }) => x.name);
    expect(params).toEqual(expect.arrayContaining(['action', 'targetType', 'targetId', 'actor', 'from', 'to', 'page', 'perPage']));
  });
});

describe('helpers', () => {
  it('labels known actions in French and leaves unknown ones raw', () => {
    expect(actionLabel('membership.role_changed')).toBe('Rôle modifié');
    expect(actionLabel('claim.accepted')).toBe('Rattachement accepté');
    expect(actionLabel('structure.frobnicated')).toBe('structure.frobnicated');
    expect(actionLabel('mystery')).toBe('mystery');
  });
  it('summarises before and after field by field', () => {
    expect(changes({ role: 'member', a: 1 }, { role: 'admin', a: 1 })).toEqual(['role : member → admin']);
    expect(changes(null, { method: 'password' })).toEqual(['method : password']);
    expect(changes({ role: 'admin' }, null)).toEqual(['role : admin']);
    expect(changes(null, null)).toEqual([]);
  });
});
