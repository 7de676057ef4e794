// Personal data (RGPD) through the HTTP app: the page that says what is kept, the JSON export (page and
// API) without any secret, the deletion of an account and its rules, personal data absent from logs and
// from the public exports of the directory.
// Logs: every Fastify instance of this file also writes its log lines to a stream the test reads (the
// level and redaction stay those of src/app.ts); jobs log through console, spied on.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { audit } from '../src/core/audit.ts';
import { randomToken, sha256 } from '../src/core/tokens.ts';
import { exportStructures } from '../src/modules/directory/exports.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { insertLink } from '../src/modules/accounts/repository.ts';
import { addMember, anonymous, createOrganisation, createPerson, deliveredMails, linkIn, postForm, signIn, TEST_PASSWORD } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';
import { siret, structure } from './helpers/fixtures.ts';

const logs = vi.hoisted(() => {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) } };
});

vi.mock('fastify', async (importOriginal) => {
  const mod = await importOriginal<typeof import('fastify')>();
  const original = mod.default;
  const withStream = (opts?: { logger?: unknown }) =>
    original({ ...opts, logger: opts?.logger && typeof opts.logger === 'object' ? { ...opts.logger, stream: logs.stream } : opts?.logger } as Parameters<typeof original>[0]);
  return { ...mod, default: withStream };
});

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function structureId(name: string, over: Parameters<typeof structure>[0] = {}): Promise<string> {
  const s = siret();
  const report = await importStructures(t.db, [{ line: 1, input: structure({ siret: s, name, ...over }) }]);
  expect(report.rejected).toEqual([]);
  return ((await t.db.one<{ id: string }>('SELECT id FROM structures WHERE siret = $1', [s])) as { id: string }).id;
}

async function insertToken(organisationId: string, createdBy: string, name: string): Promise<string> {
  const token = `pas_${randomToken()}`;
  await t.db.query(
    `INSERT INTO api_tokens (organisation_id, name, token_hash, prefix, scopes, expires_at, created_by) VALUES ($1, $2, $3, $4, ARRAY['read'], now() + interval '30 days', $5)`,
    [organisationId, name, sha256(token), token.slice(0, 8), createdBy],
  );
  return token;
}

/** Someone with a bit of everything: organisations of each fate, a claim, a token, sessions, audit entries. */
async function richPerson(label: string) {
  const db = t.db;
  const email = `${label}.privee@exemple.fr`;
  const person = await createPerson(db, { email, name: `${label} Privée` });
  const other = await createPerson(db, { name: 'Quentin Collègue' });
  const structureOrgStructure = await structureId(`Atelier ${label}`);
  const claimed = await structureId(`Chantier ${label}`);
  const structureOrg = await createOrganisation(db, { type: 'structure', name: `Atelier ${label}`, structureId: structureOrgStructure });
  const buyer = await createOrganisation(db, { type: 'buyer', name: `Acheteur ${label}`, category: 'prive_entreprise' });
  const network = await createOrganisation(db, { type: 'network', name: `Réseau ${label}` });
  await addMember(db, structureOrg, person.id, 'admin');
  await addMember(db, buyer, person.id, 'admin');
  await addMember(db, network, person.id, 'member');
  await addMember(db, network, other.id, 'admin');
  await db.query(`INSERT INTO claims (structure_id, person_id, status, message) VALUES ($1, $2, 'pending', 'Je dirige ce chantier.')`, [claimed, person.id]);
  const apiToken = await insertToken(structureOrg, person.id, 'Tableur de suivi');
  const networkToken = await insertToken(network, person.id, 'Outil du réseau');
  await audit(db, { actorId: person.id, action: 'person.signed_in', targetType: 'person', targetId: person.id, after: { method: 'password' } });
  await audit(db, { actorId: person.id, action: 'structure.edited', targetType: 'structure', targetId: structureOrgStructure, organisationId: structureOrg, after: { description: 'Nouvelle description' } });
  await audit(db, { actorId: other.id, action: 'membership.role_changed', targetType: 'person', targetId: person.id, organisationId: network, before: { role: 'admin' }, after: { role: 'member' } });
  // An invitation sent to the address (links to the address are deleted with the account).
  await insertLink(db, randomToken(), { purpose: 'invite', personId: null, email, data: { organisationId: network, role: 'member' } });
  const session = await signIn(db, person.id);
  const sessionToken = /pa_session=([^;]+)/.exec(session.cookie)?.[1] as string;
  return { person, other, session, sessionToken, structureOrg, structureOrgStructure, buyer, network, claimed, apiToken, networkToken };
}

describe('the personal data page', () => {
  it('needs a session', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/espace/donnees' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/connexion?retour=%2Fespace%2Fdonnees');
    expect((await t.app.inject({ method: 'GET', url: '/espace/donnees.json' })).statusCode).toBe(303);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me/export' })).statusCode).toBe(401);
  });

  it('says what is kept and why, offers the download, and what deleting the account would do', async () => {
    const r = await richPerson('Lina');
    const res = await t.app.inject({ method: 'GET', url: '/espace/donnees', headers: { cookie: r.session.cookie } });
    expect(res.statusCode).toBe(200);
    const body = res.body;
    expect(body).toContain('<h1>Mes données personnelles</h1>');
    expect(body).toContain('<caption>Données conservées, finalités et durées</caption>');
    for (const words of ['Votre compte', 'Vos organisations', 'demandes de rattachement', 'Vos sessions', 'jetons d’API', 'journal des actions sensibles']) expect(body).toContain(words);
    expect(body).toContain('href="/espace/donnees.json"');
    expect(body).toMatch(/<form method="post" action="\/espace\/suppression" novalidate class="fr-mb-6w">\s*<input type="hidden" name="_csrf" value="[^"]+">/);
    expect(body).toContain('name="confirmEmail"');
    expect(body).toMatch(/seul membre de ces organisations, qui seront supprimées : <a href="\/organisations\/[^"]+">Acheteur Lina<\/a>/);
    expect(body).toMatch(/restent dans l’annuaire[^<]*: <a href="\/organisations\/[^"]+">Atelier Lina<\/a>/);
    expect(body).toMatch(/Vous quittez ces organisations[^<]*: <a href="\/organisations\/[^"]+">Réseau Lina<\/a>/);
    expect(body).not.toContain('Nommez d’abord un autre administrateur');
  });
});

describe('the export of one’s data', () => {
  it('downloads as an attachment everything kept about the person, and no secret', async () => {
    const r = await richPerson('Nora');
    const res = await t.app.inject({ method: 'GET', url: '/espace/donnees.json', headers: { cookie: r.session.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="mes-donnees-passerelles.json"');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    const data = res.json();
    expect(data.person).toEqual({ id: r.person.id, email: r.person.email, name: 'Nora Privée', createdAt: expect.any(String), emailConfirmedAt: expect.any(String), lastSignInAt: expect.any(String) });
    expect(data.memberships.map((m: { organisationName: string; role: string }) => [m.organisationName, m.role]).sort()).toEqual([
      ['Acheteur Nora', 'admin'],
      ['Atelier Nora', 'admin'],
      ['Réseau Nora', 'member'],
    ]);
    expect(data.claims).toEqual([
      { id: expect.any(String), structureId: r.claimed, structureName: 'Chantier Nora', status: 'pending', message: 'Je dirige ce chantier.', decidedByRule: null, decisionReason: null, createdAt: expect.any(String), decidedAt: null },
    ]);
    expect(data.sessions).toHaveLength(1);
    expect(Object.keys(data.sessions[0]).sort()).toEqual(['createdAt', 'expiresAt', 'lastSeenAt']);
    expect(data.apiTokens.map((x: { name: string; prefix: string }) => [x.name, x.prefix]).sort()).toEqual([
      ['Outil du réseau', r.networkToken.slice(0, 8)],
      ['Tableur de suivi', r.apiToken.slice(0, 8)],
    ]);
    const actions = data.auditEntries.map((e: { action: string; byYou: boolean }) => [e.action, e.byYou]);
    expect(actions).toEqual(expect.arrayContaining([['person.signed_in', true], ['structure.edited', true], ['membership.role_changed', false]]));
    expect(JSON.stringify(data.auditEntries)).not.toContain(r.other.id);

    // No secret: session token or its hash, password hash, API tokens or their hashes.
    const hash = (await t.db.one<{ password_hash: string }>('SELECT password_hash FROM people WHERE id = $1', [r.person.id]))?.password_hash as string;
    for (const secret of [r.sessionToken, sha256(r.sessionToken), hash, r.apiToken, sha256(r.apiToken), r.networkToken.slice(8), sha256(r.networkToken), TEST_PASSWORD]) {
      expect(res.body).not.toContain(secret);
    }
    expect(res.body).not.toMatch(/"(password_?hash|token_?hash|session_?token)"/i);
    // The download is itself recorded.
    expect((await t.db.query(`SELECT 1 FROM audit_log WHERE action = 'person.data_exported' AND actor_id = $1`, [r.person.id])).length).toBe(1);
  });

  it('is the same through GET /api/v1/me/export, which a token cannot call', async () => {
    const r = await richPerson('Olga');
    const page = (await t.app.inject({ method: 'GET', url: '/espace/donnees.json', headers: { cookie: r.session.cookie } })).json();
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/me/export', headers: r.session.headers });
    expect(api.statusCode).toBe(200);
    const data = api.json();
    expect(data.format).toBe('passerelles.donnees-personnelles.v1');
    expect({ ...data, exportedAt: null, auditEntries: null }).toEqual({ ...page, exportedAt: null, auditEntries: null });
    const withToken = await t.app.inject({ method: 'GET', url: '/api/v1/me/export', headers: { authorization: `Bearer ${r.apiToken}` } });
    expect(withToken.statusCode).toBe(403);
  });
});

describe('deleting one’s account', () => {
  it('requires the CSRF field and the exact address', async () => {
    const r = await richPerson('Paula');
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: '/espace/suppression',
      headers: { cookie: r.session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ confirmEmail: r.person.email }).toString(),
    });
    expect(noCsrf.statusCode).toBe(403);
    const wrong = await postForm(t.app, '/espace/suppression', r.session, { confirmEmail: 'autre@exemple.fr' });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('Pour confirmer, saisissez exactement l’adresse électronique de votre compte.');
    expect(wrong.body).toContain('aria-invalid="true"');
    const api = await t.app.inject({ method: 'DELETE', url: '/api/v1/me', headers: r.session.headers, payload: { confirmEmail: '' } });
    expect(api.statusCode).toBe(422);
    expect(api.json().error.code).toBe('CONFIRMATION_MISMATCH');
    expect(await t.db.one('SELECT 1 FROM people WHERE id = $1', [r.person.id])).toBeDefined();
  });

  it('is refused to the only administrator of an organisation that has other members, until another is named', async () => {
    const db = t.db;
    const boss = await createPerson(db, { name: 'Bastien Seul Admin' });
    const colleague = await createPerson(db, { name: 'Chloé Collègue' });
    const org = await createOrganisation(db, { type: 'buyer', name: 'Conseil départemental', category: 'public_collectivite' });
    await addMember(db, org, boss.id, 'admin');
    await addMember(db, org, colleague.id, 'member');
    const session = await signIn(db, boss.id);

    const page = await t.app.inject({ method: 'GET', url: '/espace/donnees', headers: { cookie: session.cookie } });
    expect(page.body).toContain('Nommez d’abord un autre administrateur');
    expect(page.body).toContain(`<a href="/organisations/${org}">Conseil départemental</a>`);

    const refused = await postForm(t.app, '/espace/suppression', session, { confirmEmail: boss.email.toUpperCase() });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Vous êtes le seul administrateur de « Conseil départemental », qui compte d’autres membres.');
    const api = await t.app.inject({ method: 'DELETE', url: '/api/v1/me', headers: session.headers, payload: { confirmEmail: boss.email } });
    expect(api.statusCode).toBe(409);
    expect(api.json().error).toMatchObject({ code: 'LAST_ADMIN_OF_ORGANISATION', details: { organisations: [{ id: org, name: 'Conseil départemental' }] } });
    expect(await db.one('SELECT 1 FROM people WHERE id = $1', [boss.id])).toBeDefined();

    await db.query(`UPDATE memberships SET role = 'admin' WHERE person_id = $1`, [colleague.id]);
    const ok = await t.app.inject({ method: 'DELETE', url: '/api/v1/me', headers: session.headers, payload: { confirmEmail: boss.email } });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['set-cookie']).toMatch(/pa_session=;/);
    expect(await db.one('SELECT 1 FROM people WHERE id = $1', [boss.id])).toBeUndefined();
    expect(await db.query('SELECT person_id, role FROM memberships WHERE organisation_id = $1', [org])).toEqual([{ person_id: colleague.id, role: 'admin' }]);
  });

  it('deletes the person and what is only theirs, keeps structures and anonymised audit entries, and says so by mail', async () => {
    const db = t.db;
    const r = await richPerson('Rita');
    await deliveredMails(t.platform);
    const mailsBefore = ((await db.one<{ n: number }>('SELECT coalesce(max(id), 0)::int AS n FROM mail_outbox')) as { n: number }).n;
    const actedBefore = await db.query<{ id: string }>('SELECT id FROM audit_log WHERE actor_id = $1 ORDER BY id', [r.person.id]);
    expect(actedBefore.length).toBeGreaterThanOrEqual(2);

    const res = await postForm(t.app, '/espace/suppression', r.session, { confirmEmail: ` ${r.person.email} ` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/compte/supprime');
    expect(String(res.headers['set-cookie'])).toMatch(/pa_session=;/);

    // The person and what hangs on them.
    expect(await db.one('SELECT 1 FROM people WHERE id = $1', [r.person.id])).toBeUndefined();
    for (const table of ['memberships', 'sessions', 'claims', 'one_time_tokens']) {
      expect((await db.query(`SELECT 1 FROM ${table} WHERE person_id = $1`, [r.person.id])).length, table).toBe(0);
    }
    expect((await db.query('SELECT 1 FROM one_time_tokens WHERE email = $1', [r.person.email])).length).toBe(0);
    // Organisations: the sole-member buyer is deleted, the structure's stays without members (tokens revoked), the network goes on.
    expect(await db.one('SELECT 1 FROM organisations WHERE id = $1', [r.buyer])).toBeUndefined();
    expect(await db.one('SELECT 1 FROM organisations WHERE id = $1', [r.structureOrg])).toBeDefined();
    expect((await db.query('SELECT 1 FROM memberships WHERE organisation_id = $1', [r.structureOrg])).length).toBe(0);
    expect(await db.one('SELECT 1 FROM structures WHERE id = $1', [r.structureOrgStructure])).toBeDefined();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${r.apiToken}` } })).statusCode).toBe(401);
    expect(await db.query('SELECT person_id FROM memberships WHERE organisation_id = $1', [r.network])).toEqual([{ person_id: r.other.id }]);
    // The network's token stays the network's, without its creator.
    expect(await db.query('SELECT created_by, revoked_at FROM api_tokens WHERE token_hash = $1', [sha256(r.networkToken)])).toEqual([{ created_by: null, revoked_at: null }]);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${r.networkToken}` } })).statusCode).toBe(200);

    // Audit entries stay, pointing at nobody; the deletion is recorded without personal data.
    const kept = await db.query<{ id: string; actor_id: string | null }>(`SELECT id, actor_id FROM audit_log WHERE id = ANY($1) ORDER BY id`, [actedBefore.map((a) => a.id)]);
    expect(kept.map((k) => k.id)).toEqual(actedBefore.map((a) => a.id));
    expect(kept.every((k) => k.actor_id === null)).toBe(true);
    const deleted = await db.query<Record<string, unknown>>(`SELECT actor_id, actor_kind, target_type, target_id, organisation_id, before, after, reason FROM audit_log WHERE action = 'person.deleted' AND target_id = $1`, [r.person.id]);
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({ actor_id: null, actor_kind: 'person', target_type: 'person', organisation_id: null, before: null });
    expect(deleted[0].after).toEqual({ organisationsDeleted: 1, organisationsEmptied: 1, organisationsLeft: 1, tokensRevoked: 1 });
    const serialised = JSON.stringify(deleted[0]);
    expect(serialised).not.toContain(r.person.email);
    expect(serialised).not.toContain('Rita');
    expect((await db.query(`SELECT 1 FROM audit_log WHERE action = 'organisation.deleted' AND target_id = $1`, [r.buyer])).length).toBe(1);

    // A last mail, queued with the deletion.
    const mails = await deliveredMails(t.platform, mailsBefore);
    expect(mails.map((m) => [m.to_address, m.subject])).toEqual([[r.person.email, 'Votre compte Passerelles a été supprimé']]);
    expect(mails[0].text_body).toContain('Bonjour Rita Privée,');

    // The old session is gone; the confirmation page is public.
    const space = await t.app.inject({ method: 'GET', url: '/espace', headers: { cookie: r.session.cookie } });
    expect(space.statusCode).toBe(303);
    const done = await t.app.inject({ method: 'GET', url: '/compte/supprime' });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Votre compte a été supprimé.');
    expect(done.body).toContain('<a class="fr-btn" href="/">Page d’accueil</a>');
  });

  it('deletes a person without any organisation through the API', async () => {
    const p = await createPerson(t.db, { name: 'Solo' });
    const session = await signIn(t.db, p.id);
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/me', headers: session.headers, payload: { confirmEmail: p.email } });
    expect(res.statusCode).toBe(204);
    expect(await t.db.one('SELECT 1 FROM people WHERE id = $1', [p.id])).toBeUndefined();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: session.headers })).statusCode).toBe(401);
  });
});

describe('personal data stays out of the logs', () => {
  it('logs requests at debug level without the sign-up or sign-in body, cookies or authorization', async () => {
    const debug = await createTestApp({ LOG_LEVEL: 'debug' });
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      logs.lines.length = 0;
      const email = 'henriette.secrete@exemple.fr';
      const password = 'girafe violette sous la pluie';
      const visitor = anonymous();
      expect((await debug.app.inject({ method: 'GET', url: '/inscription', headers: { cookie: visitor.cookie } })).statusCode).toBe(200);
      const signUp = await postForm(debug.app, '/inscription', visitor, { name: 'Henriette Secrète', email, password });
      expect(signUp.statusCode).toBe(303);
      const [mail] = await deliveredMails(debug.platform);
      const confirmLink = linkIn(mail.text_body, '/compte/confirmer');
      const confirmToken = new URL(confirmLink, 'http://x').searchParams.get('jeton') as string;
      // Opening the link from the mail logs the address without its token.
      expect((await debug.app.inject({ method: 'GET', url: confirmLink })).statusCode).toBe(200);
      // The browser that signed up confirms: it holds the nonce that lets the chosen password be set.
      const nonce = /pa_signup=([^;]+)/.exec(String(signUp.headers['set-cookie']))?.[1] as string;
      const confirm = await postForm(debug.app, '/compte/confirmer', { ...visitor, cookie: `${visitor.cookie}; pa_signup=${nonce}` }, { jeton: confirmToken });
      expect(confirm.statusCode).toBe(303);
      const wrong = await postForm(debug.app, '/connexion', visitor, { email, password: 'mauvais mot de passe tapé' });
      expect(wrong.statusCode).toBe(401);
      const signInRes = await postForm(debug.app, '/connexion', visitor, { email, password });
      expect(signInRes.statusCode).toBe(303);
      const sessionToken = /pa_session=([^;]+)/.exec(String(signInRes.headers['set-cookie']))?.[1] as string;
      const csrf = /pa_csrf=([^;]+)/.exec(String(signInRes.headers['set-cookie']))?.[1] as string;
      expect(sessionToken).toBeTruthy();
      const cookie = `pa_session=${sessionToken}; pa_csrf=${csrf}`;
      expect((await debug.app.inject({ method: 'GET', url: '/espace', headers: { cookie } })).statusCode).toBe(200);
      expect((await debug.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).json().person.email).toBe(email);

      const person = (await debug.db.one<{ id: string }>('SELECT id FROM people WHERE email = $1', [email])) as { id: string };
      const org = await createOrganisation(debug.db, { type: 'buyer', name: 'Acheteur des journaux', category: 'public_autre' });
      await addMember(debug.db, org, person.id, 'admin');
      const bearer = await insertTokenIn(debug, org, person.id);
      expect((await debug.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${bearer}` } })).statusCode).toBe(200);
      expect((await debug.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: 'Bearer pas_un_jeton_faux_mais_assez_long' } })).statusCode).toBe(401);
      await deliveredMails(debug.platform);

      const written = [...logs.lines, ...out.mock.calls.map((c) => c.join(' ')), ...err.mock.calls.map((c) => c.join(' '))].join('\n');
      // Request logging was on (otherwise this test would prove nothing)…
      expect(written).toContain('incoming request');
      expect(written).toContain('/inscription');
      // …and no personal data or secret reached it.
      for (const secret of [confirmToken, nonce, email, 'henriette', 'Henriette', password, 'mauvais mot de passe', sessionToken, csrf, bearer, 'pas_un_jeton_faux']) {
        expect(written, secret).not.toContain(secret);
      }
      expect(written).not.toMatch(/"cookie"\s*:\s*"(?!\[Redacted\])/);
      expect(written).not.toMatch(/"authorization"\s*:\s*"(?!\[Redacted\])/);
    } finally {
      out.mockRestore();
      err.mockRestore();
      await debug.close();
    }
  });
});

async function insertTokenIn(app: TestApp, organisationId: string, createdBy: string): Promise<string> {
  const token = `pas_${randomToken()}`;
  await app.db.query(
    `INSERT INTO api_tokens (organisation_id, name, token_hash, prefix, scopes, expires_at, created_by) VALUES ($1, 'Journaux', $2, $3, ARRAY['read'], now() + interval '30 days', $4)`,
    [organisationId, sha256(token), token.slice(0, 8), createdBy],
  );
  return token;
}

describe('public exports of the directory', () => {
  it('never contain the addresses of people (accounts, claims) nor private contacts', async () => {
    const db = t.db;
    const id = await structureId('Structure Publique Export', { publicEmail: 'contact@structure-publique.example', privateContact: { name: 'Directrice', email: 'directrice.privee@structure-publique.example', phone: '0600000000' } } as never);
    const org = await createOrganisation(db, { type: 'structure', name: 'Structure Publique Export', structureId: id });
    const teamMember = await createPerson(db, { email: 'membre.equipe@structure-publique.example' });
    const claimant = await createPerson(db, { email: 'demandeur.rattachement@exemple.fr' });
    await addMember(db, org, teamMember.id, 'admin');
    await db.query(`INSERT INTO claims (structure_id, person_id, status, message) VALUES ($1, $2, 'pending', 'Bonjour')`, [id, claimant.id]);
    await db.query(`UPDATE structures SET edited_at = now(), edited_fields = ARRAY['description'] WHERE id = $1`, [id]);
    const people = (await db.query<{ email: string }>('SELECT email FROM people')).map((p) => p.email);
    expect(people.length).toBeGreaterThan(2);

    for (const format of ['data-inclusion', 'csv'] as const) {
      let text = '';
      const sink = new Writable({
        write(chunk, _enc, done) {
          text += chunk.toString();
          done();
        },
      });
      const n = await exportStructures(db, format, sink);
      expect(n, format).toBeGreaterThan(0);
      expect(text, format).toContain('Structure Publique Export');
      expect(text, format).toContain('contact@structure-publique.example');
      for (const email of [...people, 'directrice.privee@structure-publique.example']) expect(text, `${format}: ${email}`).not.toContain(email);
    }
  });
});
