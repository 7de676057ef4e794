// Sign-up, confirmation, sign-in by password and by link, reset, sessions, CSRF, rate limits, organisations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_COOKIE, SESSION_COOKIE } from '../src/modules/accounts/http.ts';
import { addMember, anonymous, createOrganisation, createPerson, deliveredMails, linkIn, postForm, type Session, signIn, TEST_PASSWORD } from './helpers/accounts.ts';
import { loadConfig } from '../src/core/config.ts';
import { runHousekeeping, runReadyJobs } from '../src/core/jobs.ts';
import { sha256 } from '../src/core/tokens.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { siret, structure } from './helpers/fixtures.ts';
import { createTestApp } from './helpers/app.ts';
import { startSmtp } from './helpers/smtp.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
let t: TestApp;
let ip = 0;
// Each test speaks from its own address, so that the rate limits of one test do not reach another.
const from = () => `10.0.${Math.floor(++ip / 250)}.${ip % 250}`;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const lastMailId = async () => (await t.db.one<{ id: number }>('SELECT coalesce(max(id), 0)::int AS id FROM mail_outbox'))?.id ?? 0;
const cookieValue = (setCookie: string | string[] | undefined, name: string) => {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const c = all.find((x) => x.startsWith(`${name}=`));
  return c ? c.slice(name.length + 1).split(';')[0] : undefined;
};
/** The session a sign-in answer sets, as a browser would keep it. */
function sessionFrom(res: { headers: Record<string, unknown> }): Session {
  const sc = res.headers['set-cookie'] as string[];
  const token = cookieValue(sc, SESSION_COOKIE) as string;
  const csrf = cookieValue(sc, CSRF_COOKIE) as string;
  const cookie = `${SESSION_COOKIE}=${token}; ${CSRF_COOKIE}=${csrf}`;
  return { cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } };
}

describe('sign-up and confirmation', () => {
  it('creates an unconfirmed account, mails a link, and signs the person in once confirmed', async () => {
    const since = await lastMailId();
    const a = anonymous();
    const res = await postForm(t.app, '/inscription', a, { email: 'Nouvelle.Personne@Asso-Exemple.fr', name: 'Nouvelle Personne', password: TEST_PASSWORD });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/inscription/envoyee');
    const person = await t.db.one<{ email: string; email_confirmed_at: Date | null; password_hash: string | null }>(`SELECT email, email_confirmed_at, password_hash FROM people WHERE email = 'nouvelle.personne@asso-exemple.fr'`);
    expect(person?.email_confirmed_at).toBeNull();
    // The password is only kept once the address is confirmed.
    expect(person?.password_hash).toBeNull();
    const mails = await deliveredMails(t.platform, since);
    expect(mails).toHaveLength(1);
    expect(mails[0].to_address).toBe('nouvelle.personne@asso-exemple.fr');
    expect(mails[0].subject).toMatch(/Confirmez/);
    const link = linkIn(mails[0].text_body, '/compte/confirmer');
    // Opening the link shows a button: it does not use the link up (mail scanners open links).
    const page = await t.app.inject({ url: link, headers: { cookie: a.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Confirmer mon adresse');
    const jeton = new URL(link, 'http://x').searchParams.get('jeton') as string;
    // The browser that signed up holds the nonce that lets the chosen password be set.
    const nonce = cookieValue(res.headers['set-cookie'] as string[], 'pa_signup') as string;
    expect(nonce).toBeTruthy();
    const browser = { ...a, cookie: `${a.cookie}; pa_signup=${nonce}` };
    const ok = await postForm(t.app, '/compte/confirmer', browser, { jeton });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/espace?message=bienvenue');
    const s = sessionFrom(ok);
    const space = await t.app.inject({ url: '/espace', headers: { cookie: s.cookie } });
    expect(space.statusCode).toBe(200);
    expect(space.body).toContain('nouvelle.personne@asso-exemple.fr');
    // Single use.
    const again = await postForm(t.app, '/compte/confirmer', a, { jeton });
    expect(again.statusCode).toBe(410);
    // The password chosen at sign-up now works.
    const signin = await postForm(t.app, '/connexion', anonymous(), { email: 'nouvelle.personne@asso-exemple.fr', password: TEST_PASSWORD }, { remoteAddress: from() });
    expect(signin.statusCode).toBe(303);
  });

  it('confirmed from another browser, sets no password and asks the owner to choose one', async () => {
    const since = await lastMailId();
    await postForm(t.app, '/inscription', anonymous(), { email: 'autre.navigateur@exemple.fr', password: TEST_PASSWORD }, { remoteAddress: from() });
    const [mail] = await deliveredMails(t.platform, since);
    const jeton = new URL(linkIn(mail.text_body, '/compte/confirmer'), 'http://x').searchParams.get('jeton') as string;
    const ok = await postForm(t.app, '/compte/confirmer', anonymous(), { jeton });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toMatch(/^\/mot-de-passe\/nouveau\?jeton=[A-Za-z0-9_-]+&confirme=1$/);
    const row = await t.db.one<{ password_hash: string | null; email_confirmed_at: Date | null }>(`SELECT password_hash, email_confirmed_at FROM people WHERE email = 'autre.navigateur@exemple.fr'`);
    expect(row?.password_hash).toBeNull();
    expect(row?.email_confirmed_at).not.toBeNull();
    const choose = await t.app.inject({ url: ok.headers.location as string });
    expect(choose.statusCode).toBe(200);
    expect(choose.body).toContain('choisissez votre mot de passe ici');
    // The password typed at sign-up does not work.
    const signin = await postForm(t.app, '/connexion', anonymous(), { email: 'autre.navigateur@exemple.fr', password: TEST_PASSWORD }, { remoteAddress: from() });
    expect(signin.statusCode).toBe(401);
  });

  it('cannot put a stranger’s password on an account: the owner signing in by link kills the stranger’s confirmation link', async () => {
    // The first administrator is created without a password and gets a sign-in link.
    const owner = await createPerson(t.db, { email: 'cheffe@operateur.gouv.fr', password: null, confirmed: false });
    const since = await lastMailId();
    // A stranger signs up with that address, from their own browser.
    const stranger = anonymous();
    const res = await postForm(t.app, '/inscription', stranger, { email: owner.email, password: 'le mot de passe de l’intrus' }, { remoteAddress: from() });
    const strangerBrowser = { ...stranger, cookie: `${stranger.cookie}; pa_signup=${cookieValue(res.headers['set-cookie'] as string[], 'pa_signup')}` };
    const [confirmMail] = await deliveredMails(t.platform, since);
    const jeton = new URL(linkIn(confirmMail.text_body, '/compte/confirmer'), 'http://x').searchParams.get('jeton') as string;
    // The owner signs in with a link of their own.
    const since2 = await lastMailId();
    await postForm(t.app, '/connexion/demande-de-lien', anonymous(), { email: owner.email }, { remoteAddress: from() });
    const [linkMail] = await deliveredMails(t.platform, since2);
    const signInToken = new URL(linkIn(linkMail.text_body, '/connexion/lien'), 'http://x').searchParams.get('jeton') as string;
    expect((await postForm(t.app, '/connexion/lien', anonymous(), { jeton: signInToken })).statusCode).toBe(303);
    // The confirmation link of the stranger's sign-up is dead now, even from the stranger's browser.
    expect((await postForm(t.app, '/compte/confirmer', strangerBrowser, { jeton })).statusCode).toBe(410);
    const row = await t.db.one<{ password_hash: string | null }>('SELECT password_hash FROM people WHERE id = $1', [owner.id]);
    expect(row?.password_hash).toBeNull();
  });

  it('answers the same for a known address, and mails its owner instead of creating anything', async () => {
    const known = await createPerson(t.db, { email: 'deja.inscrite@exemple.fr' });
    const since = await lastMailId();
    const res = await postForm(t.app, '/inscription', anonymous(), { email: known.email, password: 'une autre phrase de passe', name: 'X' }, { remoteAddress: from() });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/inscription/envoyee');
    const mails = await deliveredMails(t.platform, since);
    expect(mails.map((m) => m.subject)).toEqual(['Vous avez déjà un compte']);
    const count = await t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM people WHERE email = $1`, [known.email]);
    expect(count?.n).toBe(1);
  });

  it('refuses weak passwords and invalid addresses with French messages, keeping what was typed', async () => {
    const short = await postForm(t.app, '/inscription', anonymous(), { email: 'court@exemple.fr', password: 'trop court' }, { remoteAddress: from() });
    expect(short.statusCode).toBe(422);
    expect(short.body).toContain('au moins 12 caractères');
    expect(short.body).toContain('value="court@exemple.fr"');
    const common = await postForm(t.app, '/inscription', anonymous(), { email: 'commun@exemple.fr', password: 'motdepasse123' }, { remoteAddress: from() });
    expect(common.statusCode).toBe(422);
    expect(common.body).toContain('courants');
    const bad = await postForm(t.app, '/inscription', anonymous(), { email: 'pas-une-adresse', password: TEST_PASSWORD }, { remoteAddress: from() });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('adresse électronique valide');
  });
});

describe('sign-in', () => {
  it('rotates the session at sign-in and gives the same error for an unknown email and a wrong password', async () => {
    const p = await createPerson(t.db);
    const before = await signIn(t.db, p.id);
    const res = await postForm(t.app, '/connexion', before, { email: p.email, password: TEST_PASSWORD, retour: '/espace' }, { remoteAddress: from() });
    expect(res.statusCode).toBe(303);
    const after = sessionFrom(res);
    expect(after.cookie).not.toBe(before.cookie);
    // The old session is closed.
    const old = await t.app.inject({ url: '/espace', headers: { cookie: before.cookie } });
    expect(old.statusCode).toBe(303);
    expect(old.headers.location).toMatch(/^\/connexion\?retour=/);
    const now = await t.app.inject({ url: '/espace', headers: { cookie: after.cookie } });
    expect(now.statusCode).toBe(200);
    // Cookies: HttpOnly, SameSite=Lax.
    const sc = (res.headers['set-cookie'] as string[]).find((c) => c.startsWith(`${SESSION_COOKIE}=`)) as string;
    expect(sc).toMatch(/HttpOnly/);
    expect(sc).toMatch(/SameSite=Lax/);

    const wrong = await postForm(t.app, '/connexion', anonymous(), { email: p.email, password: 'pas le bon mot de passe' }, { remoteAddress: from() });
    const unknown = await postForm(t.app, '/connexion', anonymous(), { email: 'inconnu@exemple.fr', password: 'pas le bon mot de passe' }, { remoteAddress: from() });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.body).toContain('Adresse électronique ou mot de passe incorrect.');
    expect(unknown.body).toContain('Adresse électronique ou mot de passe incorrect.');
  });

  it('only follows local return addresses', async () => {
    const p = await createPerson(t.db);
    for (const retour of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      const res = await postForm(t.app, '/connexion', anonymous(), { email: p.email, password: TEST_PASSWORD, retour }, { remoteAddress: from() });
      expect(res.headers.location).toBe('/espace');
    }
  });

  it('signs in by a link that works once and expires', async () => {
    const p = await createPerson(t.db);
    const since = await lastMailId();
    const sent = await postForm(t.app, '/connexion/demande-de-lien', anonymous(), { email: p.email }, { remoteAddress: from() });
    expect(sent.statusCode).toBe(200);
    const unknown = await postForm(t.app, '/connexion/demande-de-lien', anonymous(), { email: 'personne.inconnue@exemple.fr' }, { remoteAddress: from() });
    expect(unknown.body).toBe(sent.body.replaceAll(p.email, 'personne.inconnue@exemple.fr'));
    const mails = await deliveredMails(t.platform, since);
    expect(mails).toHaveLength(1);
    const jeton = new URL(linkIn(mails[0].text_body, '/connexion/lien'), 'http://x').searchParams.get('jeton') as string;
    const a = anonymous();
    const ok = await postForm(t.app, '/connexion/lien', a, { jeton });
    expect(ok.statusCode).toBe(303);
    expect((await postForm(t.app, '/connexion/lien', a, { jeton })).statusCode).toBe(410);

    // An expired link is refused.
    const since2 = await lastMailId();
    await postForm(t.app, '/connexion/demande-de-lien', anonymous(), { email: p.email }, { remoteAddress: from() });
    const [m2] = await deliveredMails(t.platform, since2);
    const jeton2 = new URL(linkIn(m2.text_body, '/connexion/lien'), 'http://x').searchParams.get('jeton') as string;
    await t.db.query(`UPDATE one_time_tokens SET expires_at = now() - interval '1 second' WHERE purpose = 'sign_in' AND used_at IS NULL`);
    expect((await postForm(t.app, '/connexion/lien', anonymous(), { jeton: jeton2 })).statusCode).toBe(410);
  });
});

describe('password reset', () => {
  it('changes the password once, closes every session and refuses the old password', async () => {
    const p = await createPerson(t.db);
    const other = await signIn(t.db, p.id);
    const since = await lastMailId();
    await postForm(t.app, '/mot-de-passe/oublie', anonymous(), { email: p.email }, { remoteAddress: from() });
    const [mail] = await deliveredMails(t.platform, since);
    const link = linkIn(mail.text_body, '/mot-de-passe/nouveau');
    const jeton = new URL(link, 'http://x').searchParams.get('jeton') as string;
    expect((await t.app.inject({ url: link })).statusCode).toBe(200);
    const weak = await postForm(t.app, '/mot-de-passe/nouveau', anonymous(), { jeton, password: 'court' });
    expect(weak.statusCode).toBe(422);
    const res = await postForm(t.app, '/mot-de-passe/nouveau', anonymous(), { jeton, password: 'un tout nouveau secret de printemps' });
    expect(res.statusCode).toBe(303);
    expect((await t.app.inject({ url: '/espace', headers: { cookie: other.cookie } })).statusCode).toBe(303);
    expect((await postForm(t.app, '/mot-de-passe/nouveau', anonymous(), { jeton, password: 'encore un autre secret du soir' })).statusCode).toBe(410);
    expect((await t.app.inject({ url: link })).statusCode).toBe(410);
    const old = await postForm(t.app, '/connexion', anonymous(), { email: p.email, password: TEST_PASSWORD }, { remoteAddress: from() });
    expect(old.statusCode).toBe(401);
    const mails = await deliveredMails(t.platform, since);
    expect(mails.map((m) => m.subject)).toContain('Votre mot de passe a été changé');
  });

  it('expires reset links after their lifetime', async () => {
    const p = await createPerson(t.db);
    const since = await lastMailId();
    await postForm(t.app, '/mot-de-passe/oublie', anonymous(), { email: p.email }, { remoteAddress: from() });
    const [mail] = await deliveredMails(t.platform, since);
    const jeton = new URL(linkIn(mail.text_body, '/mot-de-passe/nouveau'), 'http://x').searchParams.get('jeton') as string;
    await t.db.query(`UPDATE one_time_tokens SET expires_at = now() - interval '1 second' WHERE purpose = 'reset' AND person_id = $1`, [p.id]);
    expect((await postForm(t.app, '/mot-de-passe/nouveau', anonymous(), { jeton, password: 'un tout nouveau secret de printemps' })).statusCode).toBe(410);
  });
});

describe('security baseline', () => {
  it('rejects a change without the CSRF token, with a wrong one, or from another origin', async () => {
    const p = await createPerson(t.db);
    const s = await signIn(t.db, p.id);
    const none = await t.app.inject({ method: 'POST', url: '/espace/nom', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=X' });
    expect(none.statusCode).toBe(403);
    expect(none.body).toContain('Le formulaire a expiré');
    const wrong = await t.app.inject({ method: 'POST', url: '/espace/nom', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=X&_csrf=autre-chose-de-long-123456' });
    expect(wrong.statusCode).toBe(403);
    const foreign = await postForm(t.app, '/espace/nom', s, { name: 'X' }, { headers: { origin: 'https://evil.example' } });
    expect(foreign.statusCode).toBe(403);
    const api = await t.app.inject({ method: 'POST', url: '/deconnexion', headers: { cookie: s.cookie } });
    expect(api.statusCode).toBe(403);
    const ok = await postForm(t.app, '/espace/nom', s, { name: 'Nom changé' });
    expect(ok.statusCode).toBe(303);
    expect((await t.db.one<{ name: string }>('SELECT name FROM people WHERE id = $1', [p.id]))?.name).toBe('Nom changé');
  });

  it('limits sign-in attempts per account with a 429 and a French message, without locking the owner out', async () => {
    const p = await createPerson(t.db);
    const attacker = from();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await postForm(t.app, '/connexion', anonymous(), { email: p.email, password: 'mauvais mot de passe' }, { remoteAddress: attacker });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(res.body).toContain('Trop de tentatives');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    // Even the right password waits, from that address…
    const right = await postForm(t.app, '/connexion', anonymous(), { email: p.email, password: TEST_PASSWORD }, { remoteAddress: attacker });
    expect(right.statusCode).toBe(429);
    // …but the owner, from their own address, still signs in.
    const owner = await postForm(t.app, '/connexion', anonymous(), { email: p.email, password: TEST_PASSWORD }, { remoteAddress: from() });
    expect(owner.statusCode).toBe(303);
  });

  it('limits attempts per address across accounts (password spraying)', async () => {
    const attacker = from();
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) {
      const res = await postForm(t.app, '/connexion', anonymous(), { email: `cible${i}@exemple.fr`, password: 'mauvais mot de passe' }, { remoteAddress: attacker });
      statuses.push(res.statusCode);
    }
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
  });

  it('ignores Authorization headers that are not Bearer tokens (a proxy’s basic authentication)', async () => {
    const res = await t.app.inject({ url: '/', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.statusCode).toBe(200);
    const bad = await t.app.inject({ url: '/api/v1/health', headers: { authorization: 'Bearer pas_faux_et_assez_long_0123' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error.code).toBe('INVALID_TOKEN');
  });

  it('gives an API token of the platform’s organisation no power over others', async () => {
    const report = await importStructures(t.db, [{ line: 1, input: structure({ siret: siret(7701), name: 'Structure à protéger', communeCode: '59350' }) }]);
    expect(report.rejected).toEqual([]);
    const sid = ((await t.db.one<{ id: string }>('SELECT id FROM structures WHERE siret = $1', [siret(7701)])) as { id: string }).id;
    const platformOrg = await createOrganisation(t.db, { type: 'platform' });
    await t.db.query(`INSERT INTO api_tokens (organisation_id, name, token_hash, prefix, scopes, expires_at) VALUES ($1, 'x', $2, 'pas_plat', '{read,write}', now() + interval '1 day')`, [platformOrg, sha256('pas_jeton_de_la_plateforme_0123456789')]);
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/structures/${sid}`, headers: { authorization: 'Bearer pas_jeton_de_la_plateforme_0123456789' }, payload: { name: 'Nom changé', reason: 'essai' } });
    expect(res.statusCode).toBe(403);
    expect((await t.db.one<{ name: string }>('SELECT name FROM structures WHERE id = $1', [sid]))?.name).toBe('Structure à protéger');
  });

  it('shows /dev/mails to this machine only', async () => {
    expect((await t.app.inject({ url: '/dev/mails', remoteAddress: '127.0.0.1' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/dev/mails', remoteAddress: '192.0.2.10' })).statusCode).toBe(404);
  });

  it('refuses overlong names with a French message, never a 500', async () => {
    const res = await postForm(t.app, '/inscription', anonymous(), { email: 'long@exemple.fr', password: TEST_PASSWORD, name: 'x'.repeat(121) }, { remoteAddress: from() });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('120 caractères');
    const p = await createPerson(t.db);
    const s = await signIn(t.db, p.id);
    expect((await postForm(t.app, '/espace/nom', s, { name: 'y'.repeat(200) })).statusCode).toBe(422);
  });

  it('deletes expired sessions and used or expired links every hour', async () => {
    const p = await createPerson(t.db);
    const s = await signIn(t.db, p.id);
    await t.db.query(`UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE person_id = $1`, [p.id]);
    await t.db.query(`INSERT INTO one_time_tokens (token_hash, purpose, person_id, email, expires_at) VALUES ('vieux-lien', 'reset', $1, $2, now() - interval '1 minute')`, [p.id, p.email]);
    await runHousekeeping(t.platform);
    expect((await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE person_id = $1', [p.id]))?.n).toBe(0);
    expect((await t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM one_time_tokens WHERE token_hash = 'vieux-lien'`))?.n).toBe(0);
    expect((await t.app.inject({ url: '/espace', headers: { cookie: s.cookie } })).statusCode).toBe(303);
  });

  it('signs out everywhere', async () => {
    const p = await createPerson(t.db);
    const a = await signIn(t.db, p.id);
    const b = await signIn(t.db, p.id);
    const res = await postForm(t.app, '/espace/deconnexion-partout', a, {});
    expect(res.statusCode).toBe(303);
    for (const s of [a, b]) expect((await t.app.inject({ url: '/espace', headers: { cookie: s.cookie } })).statusCode).toBe(303);
    const audit = await t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1 AND action = 'person.signed_out_everywhere'`, [p.id]);
    expect(audit?.n).toBe(1);
  });

  it('sends security headers', async () => {
    const res = await t.app.inject({ url: '/connexion' });
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
  });
});

describe('organisations and invitations', () => {
  it('lets a person create a buyer organisation, invite a colleague who joins, and keeps one administrator', async () => {
    const admin = await createPerson(t.db, { name: 'Alice Acheteuse' });
    const s = await signIn(t.db, admin.id);
    const created = await postForm(t.app, '/organisations/nouvelle', s, { type: 'buyer', name: 'Ville de Lille', buyerCategory: 'public_collectivite' });
    expect(created.statusCode).toBe(303);
    const orgId = (created.headers.location as string).split('/')[2].split('?')[0];
    const since = await lastMailId();
    const colleague = await createPerson(t.db, { email: 'bob.collegue@exemple.fr' });
    const invited = await postForm(t.app, `/organisations/${orgId}/invitations`, s, { email: colleague.email, role: 'member' }, { remoteAddress: from() });
    expect(invited.statusCode).toBe(303);
    const [mail] = await deliveredMails(t.platform, since);
    expect(mail.to_address).toBe(colleague.email);
    const jeton = new URL(linkIn(mail.text_body, '/invitation'), 'http://x').searchParams.get('jeton') as string;
    // Someone else cannot use it.
    const stranger = await signIn(t.db, (await createPerson(t.db)).id);
    expect((await postForm(t.app, '/invitation', stranger, { jeton })).statusCode).toBe(403);
    const cs = await signIn(t.db, colleague.id);
    expect((await postForm(t.app, '/invitation', cs, { jeton })).statusCode).toBe(303);
    const role = await t.db.one<{ role: string }>('SELECT role FROM memberships WHERE organisation_id = $1 AND person_id = $2', [orgId, colleague.id]);
    expect(role?.role).toBe('member');
    // A member cannot invite; the last administrator cannot step down.
    expect((await postForm(t.app, `/organisations/${orgId}/invitations`, cs, { email: 'x@exemple.fr', role: 'member' })).statusCode).toBe(403);
    const down = await postForm(t.app, `/organisations/${orgId}/membres/${admin.id}/role`, s, { role: 'member' });
    expect(down.statusCode).toBe(409);
    expect(down.body).toContain('au moins un administrateur');
    // Pages of the organisation: members only.
    expect((await t.app.inject({ url: `/organisations/${orgId}`, headers: { cookie: stranger.cookie } })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `/organisations/${orgId}`, headers: { cookie: cs.cookie } })).statusCode).toBe(200);
  });

  it('keeps a facilitator unverified until a platform administrator verifies it', async () => {
    const platformOrg = await createOrganisation(t.db, { type: 'platform' });
    const boss = await createPerson(t.db);
    await addMember(t.db, platformOrg, boss.id, 'admin');
    const f = await createPerson(t.db);
    const s = await signIn(t.db, f.id);
    const since = await lastMailId();
    const created = await postForm(t.app, '/organisations/nouvelle', s, { type: 'facilitator', name: 'Facilitateurs du Nord', facilitatorCategory: 'clauses_sociales', territories: 'D59' });
    expect(created.statusCode).toBe(303);
    const orgId = (created.headers.location as string).split('/')[2].split('?')[0];
    const mails = await deliveredMails(t.platform, since);
    expect(mails.some((m) => m.to_address === boss.email && m.subject.includes('Facilitateurs du Nord'))).toBe(true);
    expect((await t.app.inject({ url: '/admin', headers: { cookie: s.cookie } })).statusCode).toBe(403);
    expect((await postForm(t.app, `/organisations/${orgId}/verification`, s, {})).statusCode).toBe(403);
    const bs = await signIn(t.db, boss.id);
    expect((await postForm(t.app, `/organisations/${orgId}/verification`, bs, {})).statusCode).toBe(303);
    expect((await t.app.inject({ url: '/admin', headers: { cookie: s.cookie } })).statusCode).toBe(200);
  });
});

describe('mail through a real SMTP server', () => {
  it('sends the sign-up confirmation to a local SMTP server, with a link that works behind PUBLIC_URL', async () => {
    const smtp = await startSmtp();
    const s = await createTestApp({ SMTP_URL: smtp.url, PUBLIC_URL: 'https://passerelles.example.gouv.fr' });
    try {
      const res = await postForm(s.app, '/inscription', anonymous(), { email: 'smtp.personne@exemple.fr', password: TEST_PASSWORD });
      expect(res.statusCode).toBe(303);
      await runReadyJobs(s.platform);
      expect(smtp.received).toHaveLength(1);
      const raw = smtp.received[0].raw;
      expect(smtp.received[0].rcpt).toEqual(['smtp.personne@exemple.fr']);
      expect(raw).toMatch(/multipart\/alternative/);
      // The link is absolute, on the public address (quoted-printable may cut lines: join them first).
      const body = raw.replace(/=\r\n/g, '').replace(/=3D/g, '=');
      expect(body).toMatch(/https:\/\/passerelles\.example\.gouv\.fr\/compte\/confirmer\?jeton=[A-Za-z0-9_-]{40,}/);
      // Nothing stays in the outbox table when an SMTP server is configured.
      expect((await s.db.one<{ n: number }>('SELECT count(*)::int AS n FROM mail_outbox'))?.n).toBe(0);
    } finally {
      await s.close();
      await smtp.close();
    }
  });
});

describe('behind a reverse proxy', () => {
  it('takes the client address from the hops it trusts only: a client cannot escape the limits by writing X-Forwarded-For', async () => {
    const s = await createTestApp({ TRUST_PROXY: 'on' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 32; i++) {
        const res = await postForm(s.app, '/connexion', anonymous(), { email: `x${i}@exemple.fr`, password: 'mauvais mot de passe' }, { remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.9` } });
        statuses.push(res.statusCode);
      }
      expect(statuses.slice(30)).toEqual([429, 429]);
    } finally {
      await s.close();
    }
    expect(loadConfig({ TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy).toBe('10.0.0.0/8,127.0.0.1');
  });
});
