// Claims (« rattacher ma structure »): the email-domain rule, free mailboxes, unconfirmed addresses, who decides
// (structure administrator, facilitator of the territory, platform team) and who may not, refusals with a reason
// mailed to the person, one pending claim per person and structure, cancelling, the audit log, the mails to those
// who decide, the pages (search, claim form, my claims, the back-office queue) and the API.
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReadyJobs } from '../src/core/jobs.ts';
import { sha256 } from '../src/core/tokens.ts';
import { claimDomainMatch, isWebmailDomain, registrableDomain } from '../src/modules/accounts/claims.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { addMember, anonymous, createOrganisation, createPerson, deliveredMails, postForm, type Session, signIn } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';
import { structure } from './helpers/fixtures.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
let t: TestApp;
let ip = 0;
// Each request comes from its own address: the per-address claim limit belongs to its own test.
const from = () => `10.1.${Math.floor(++ip / 250)}.${ip % 250}`;

const S = {
  // Lille (Nord, Hauts-de-France): a website and a public email at its own domain.
  alpha: structure({ name: 'Asso Exemple Insertion', communeCode: '59350', website: 'https://www.asso-exemple.fr/', publicEmail: 'contact@asso-exemple.fr' }),
  // Amiens (Somme): a public email at a free mailbox, no website.
  bravo: structure({ name: 'Bravo Jardins Solidaires', communeCode: '80021', publicEmail: 'bravo.jardins@orange.fr' }),
  // Arras (Pas-de-Calais): nothing public.
  charlie: structure({ name: 'Charlie Recyclerie', communeCode: '62041' }),
  // Lille too, used for the rate limit.
  delta: structure({ name: 'Delta Menuiserie', communeCode: '59350', website: 'delta-menuiserie.fr' }),
  // Paris: no facilitator there.
  echo: structure({ name: 'Echo Conciergerie', communeCode: '75056' }),
  // Abbeville (Somme): nobody manages it.
  foxtrot: structure({ name: 'Foxtrot Maraîchage', communeCode: '80001' }),
};
const id: Record<keyof typeof S, string> = { alpha: '', bravo: '', charlie: '', delta: '', echo: '', foxtrot: '' };

beforeAll(async () => {
  t = await createTestApp();
  const report = await importStructures(t.db, Object.values(S).map((input, i) => ({ line: i + 1, input })));
  expect(report.rejected).toEqual([]);
  for (const k of Object.keys(S) as (keyof typeof S)[]) {
    id[k] = ((await t.db.one<{ id: string }>('SELECT id FROM structures WHERE name = $1', [S[k].name])) as { id: string }).id;
  }
});
afterAll(async () => t?.close());

/** The last delivered mail, once every mail queued before is delivered. */
const lastMailId = async () => {
  await runReadyJobs(t.platform);
  return (await t.db.one<{ id: number }>('SELECT coalesce(max(id), 0)::int AS id FROM mail_outbox'))?.id ?? 0;
};
const api = (s: Session, method: InjectOptions['method'], url: string, payload?: object) =>
  t.app.inject({ method, url, headers: s.headers, remoteAddress: from(), ...(payload ? { payload } : {}) });
const claim = (s: Session, structureId: string, message = '') => api(s, 'POST', '/api/v1/claims', { structureId, message });
const decide = (s: Session, claimId: string, decision: 'accept' | 'refuse', reason?: string) => api(s, 'POST', `/api/v1/claims/${claimId}/decision`, { decision, ...(reason ? { reason } : {}) });
const auditOf = (claimId: string) =>
  t.db.query<{ action: string; actor_id: string | null; reason: string | null; before: unknown; after: { status?: string; rule?: string; role?: string } | null }>(
    `SELECT action, actor_id, reason, before, after FROM audit_log WHERE target_type = 'claim' AND target_id = $1 ORDER BY id`,
    [claimId],
  );
const organisationOf = (structureId: string) => t.db.one<{ id: string; type: string; name: string }>('SELECT id, type, name FROM organisations WHERE structure_id = $1', [structureId]);
const roleIn = async (structureId: string, personId: string) =>
  (await t.db.one<{ role: string }>('SELECT m.role FROM memberships m JOIN organisations o ON o.id = m.organisation_id WHERE o.structure_id = $1 AND m.person_id = $2', [structureId, personId]))?.role ?? null;

async function person(email: string, o: { confirmed?: boolean } = {}) {
  const p = await createPerson(t.db, { email, name: email.split('@')[0], confirmed: o.confirmed ?? true });
  return { ...p, session: await signIn(t.db, p.id) };
}

async function facilitator(territoryKeys: string[], verified = true) {
  const org = await createOrganisation(t.db, { type: 'facilitator', territoryKeys, verified, category: 'clauses_sociales' });
  const p = await person(`facilitateur.${territoryKeys.join('-').toLowerCase()}.${verified ? 'v' : 'nv'}.${Date.now()}@clauses-sociales.example`);
  await addMember(t.db, org, p.id, 'admin');
  return { ...p, session: await signIn(t.db, p.id) };
}

describe('email domains', () => {
  it('registrable domains: subdomains and www are the same domain, two-label public suffixes are kept', () => {
    expect(registrableDomain('www.asso-exemple.fr')).toBe('asso-exemple.fr');
    expect(registrableDomain('mail.asso-exemple.fr')).toBe('asso-exemple.fr');
    expect(registrableDomain('ASSO-EXEMPLE.FR.')).toBe('asso-exemple.fr');
    expect(registrableDomain('services.nord.gouv.fr')).toBe('nord.gouv.fr');
    expect(registrableDomain('amis.asso.fr')).toBe('amis.asso.fr');
    expect(registrableDomain('192.168.1.10')).toBeNull();
    expect(registrableDomain('localhost')).toBeNull();
  });

  it('free mailboxes are recognised, under any extension for the big providers', () => {
    for (const d of ['gmail.com', 'orange.fr', 'wanadoo.fr', 'free.fr', 'laposte.net', 'hotmail.fr', 'hotmail.com', 'outlook.fr', 'yahoo.co.uk', 'icloud.com', 'sfr.fr']) {
      expect(isWebmailDomain(d), d).toBe(true);
    }
    expect(isWebmailDomain('asso-exemple.fr')).toBe(false);
  });

  it('matches the website or the public email domain, never a free mailbox nor another domain', () => {
    const s = { website: 'https://www.asso-exemple.fr/', publicEmail: 'contact@asso-exemple.fr' };
    expect(claimDomainMatch('jeanne@asso-exemple.fr', s)).toBe('website');
    expect(claimDomainMatch('jeanne@lille.asso-exemple.fr', s)).toBe('website');
    expect(claimDomainMatch('jeanne@asso-exemple.fr', { website: 'asso-exemple.fr', publicEmail: null })).toBe('website');
    expect(claimDomainMatch('jeanne@asso-exemple.fr', { website: null, publicEmail: 'contact@asso-exemple.fr' })).toBe('email');
    expect(claimDomainMatch('jeanne@asso-exemple.com', s)).toBeNull();
    expect(claimDomainMatch('jeanne@exemple.fr', s)).toBeNull();
    expect(claimDomainMatch('bravo@orange.fr', { website: null, publicEmail: 'bravo.jardins@orange.fr' })).toBeNull();
    expect(claimDomainMatch('x@gmail.com', { website: 'https://sites.google.com/view/x', publicEmail: 'y@gmail.com' })).toBeNull();
    expect(claimDomainMatch('a@nord.gouv.fr', { website: 'https://www.pas-de-calais.gouv.fr', publicEmail: null })).toBeNull();
  });
});

describe('claiming a structure', () => {
  it('an address at the structure’s domain is accepted at once: organisation created, first person administrator, mailed, audited', async () => {
    const since = await lastMailId();
    const paul = await person('paul.martin@asso-exemple.fr');
    const res = await claim(paul.session, id.alpha, 'Je suis le directeur.');
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({ status: 'accepted', decidedByRule: 'email_domain', structure: { id: id.alpha, name: S.alpha.name }, claimant: { id: paul.id } });
    expect(await organisationOf(id.alpha)).toMatchObject({ type: 'structure', name: S.alpha.name });
    expect(await roleIn(id.alpha, paul.id)).toBe('admin');
    expect((await auditOf(c.id)).map((a) => a.action)).toEqual(['claim.created', 'claim.accepted']);
    const mails = (await deliveredMails(t.platform, since)).filter((m) => m.to_address === paul.email);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toContain(S.alpha.name);
    expect(mails[0].text_body).toContain(`/structures/modifier/${id.alpha}`);
  });

  it('a second person of the same domain becomes a member (the organisation already has an administrator)', async () => {
    const anne = await person('anne@asso-exemple.fr');
    const res = await claim(anne.session, id.alpha);
    expect(res.json().status).toBe('accepted');
    expect(await roleIn(id.alpha, anne.id)).toBe('member');
  });

  it('a free mailbox goes pending, and the structure’s administrators are asked to decide', async () => {
    const since = await lastMailId();
    const jean = await person('jean.dupont@gmail.com');
    const res = await claim(jean.session, id.alpha, 'Chargé d’insertion depuis 2021.');
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 'pending', decidedByRule: null });
    expect(await roleIn(id.alpha, jean.id)).toBeNull();
    const mails = await deliveredMails(t.platform, since);
    expect(mails.map((m) => m.to_address)).toEqual(['paul.martin@asso-exemple.fr']);
    expect(mails[0].text_body).toContain('Chargé d’insertion depuis 2021.');
    expect(mails[0].text_body).toContain(`/structures/modifier/${id.alpha}#rattachements`);
  });

  it('a structure whose public email is a free mailbox gives nothing automatically to people of that mailbox', async () => {
    const b = await person('bravo.jardins.directrice@orange.fr');
    const res = await claim(b.session, id.bravo);
    expect(res.json().status).toBe('pending');
  });

  it('a website or public email the team edited, or a mail domain several structures share, accepts nothing automatically', async () => {
    // A facilitator sets the structure's website to their own domain, then claims: it goes pending.
    const f = await facilitator(['D62']);
    const edit = await api(f.session, 'PATCH', `/api/v1/structures/${id.charlie}`, { website: 'https://www.clauses-sociales.example' });
    expect(edit.statusCode).toBe(200);
    const own = await claim(f.session, id.charlie, 'Je la connais bien.');
    expect(own.statusCode).toBe(201);
    expect(own.json().status).toBe('pending');
    // Two structures with public emails at one provider's domain: its customers are not the structures.
    const report = await importStructures(t.db, [
      { line: 1, input: structure({ name: 'Golf Emballages', communeCode: '80021', publicEmail: 'golf.emballages@fournisseur-local.fr' }) },
      { line: 2, input: structure({ name: 'Hotel Blanchisserie', communeCode: '80021', publicEmail: 'hotel.blanchisserie@fournisseur-local.fr' }) },
    ]);
    expect(report.rejected).toEqual([]);
    const golf = ((await t.db.one<{ id: string }>(`SELECT id FROM structures WHERE name = 'Golf Emballages'`)) as { id: string }).id;
    const customer = await person('quelquun@fournisseur-local.fr');
    const res = await claim(customer.session, golf);
    expect(res.json().status).toBe('pending');
  });

  it('an unconfirmed address cannot claim (even at the right domain), and nothing is written', async () => {
    const u = await person('pas.confirme@asso-exemple.fr', { confirmed: false });
    const res = await claim(u.session, id.alpha);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('EMAIL_NOT_CONFIRMED');
    expect(await t.db.one('SELECT 1 FROM claims WHERE person_id = $1', [u.id])).toBeUndefined();
  });

  it('one pending claim per person and structure (409); a structure one already manages is refused clearly (409)', async () => {
    const lea = await person('lea@laposte.net');
    expect((await claim(lea.session, id.charlie)).statusCode).toBe(201);
    const again = await claim(lea.session, id.charlie);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('CLAIM_ALREADY_PENDING');
    const paul = await t.db.one<{ id: string }>(`SELECT id FROM people WHERE email = 'paul.martin@asso-exemple.fr'`);
    const managed = await claim(await signIn(t.db, (paul as { id: string }).id), id.alpha);
    expect(managed.statusCode).toBe(409);
    expect(managed.json().error).toMatchObject({ code: 'ALREADY_MANAGED' });
    expect(managed.json().error.message).toMatch(/gérez déjà/);
  });

  it('unknown structures are 404; claims need a session: anonymous 401, an API token 403', async () => {
    const p = await person('qui@exemple-inconnu.fr');
    expect((await claim(p.session, '00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await claim(anonymous(), id.alpha)).statusCode).toBe(401);
    const org = await organisationOf(id.alpha);
    const token = 'jeton-de-test-ecriture-0123456789abcdef';
    await t.db.query(`INSERT INTO api_tokens (organisation_id, name, token_hash, prefix, scopes, expires_at) VALUES ($1, 'test', $2, 'jeton-de', '{read,write}', now() + interval '1 day')`, [org?.id, sha256(token)]);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/claims', headers: { authorization: `Bearer ${token}` }, payload: { structureId: id.alpha } });
    expect(res.statusCode).toBe(403);
  });
});

describe('deciding a claim', () => {
  it('a member who is not an administrator may not decide (403); the structure’s administrator accepts (member, mailed, audited)', async () => {
    const x = await person('x.candidat@hotmail.fr');
    const c = (await claim(x.session, id.alpha, 'Comptable')).json();
    const anne = await t.db.one<{ id: string }>(`SELECT id FROM people WHERE email = 'anne@asso-exemple.fr'`);
    const member = await decide(await signIn(t.db, (anne as { id: string }).id), c.id, 'accept');
    expect(member.statusCode).toBe(403);
    const since = await lastMailId();
    const paul = await t.db.one<{ id: string }>(`SELECT id FROM people WHERE email = 'paul.martin@asso-exemple.fr'`);
    const res = await decide(await signIn(t.db, (paul as { id: string }).id), c.id, 'accept');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'accepted', decidedByRule: 'structure_admin' });
    expect(await roleIn(id.alpha, x.id)).toBe('member');
    const audits = await auditOf(c.id);
    expect(audits.map((a) => a.action)).toEqual(['claim.created', 'claim.accepted']);
    expect(audits[1]).toMatchObject({ actor_id: (paul as { id: string }).id, after: { status: 'accepted', rule: 'structure_admin', role: 'member' } });
    const mails = await deliveredMails(t.platform, since);
    expect(mails.map((m) => m.to_address)).toEqual([x.email]);
    expect(mails[0].subject).toMatch(/Vous gérez maintenant/);
    // Decided once.
    const twice = await decide(await signIn(t.db, (paul as { id: string }).id), c.id, 'refuse', 'Trop tard');
    expect(twice.statusCode).toBe(409);
  });

  it('a verified facilitator of the territory decides; one of another territory, or not verified, may not (403)', async () => {
    const y = await person('y.candidat@yahoo.fr');
    const c = (await claim(y.session, id.charlie)).json(); // Arras, Pas-de-Calais (62)
    const nord = await facilitator(['D59']);
    const unverified = await facilitator(['D62'], false);
    expect((await decide(nord.session, c.id, 'accept')).statusCode).toBe(403);
    expect((await decide(unverified.session, c.id, 'accept')).statusCode).toBe(403);
    const region = await facilitator(['R32']);
    const res = await decide(region.session, c.id, 'accept');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'accepted', decidedByRule: 'facilitator' });
    // Nobody managed Charlie: the organisation is created and its first person is its administrator.
    expect(await organisationOf(id.charlie)).toMatchObject({ type: 'structure', name: S.charlie.name });
    expect(await roleIn(id.charlie, y.id)).toBe('admin');
  });

  it('the platform team refuses with a reason (required, 422 without), mailed to the person and kept in the audit log', async () => {
    const z = await person('z.candidate@free.fr');
    const c = (await claim(z.session, id.bravo)).json();
    const admin = await person('admin.plateforme@passerelles.example');
    const platform = await createOrganisation(t.db, { type: 'platform', name: 'Administration de la plateforme', verified: true });
    await addMember(t.db, platform, admin.id, 'admin');
    const session = await signIn(t.db, admin.id);
    const noReason = await decide(session, c.id, 'refuse');
    expect(noReason.statusCode).toBe(422);
    expect(noReason.json().error).toMatchObject({ code: 'REASON_REQUIRED', details: { field: 'reason' } });
    const since = await lastMailId();
    const res = await decide(session, c.id, 'refuse', 'Aucun lien avec la structure n’a pu être établi.');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'refused', decidedByRule: 'platform_admin', decisionReason: 'Aucun lien avec la structure n’a pu être établi.' });
    const mails = await deliveredMails(t.platform, since);
    expect(mails.map((m) => m.to_address)).toEqual([z.email]);
    expect(mails[0].text_body).toContain('Aucun lien avec la structure n’a pu être établi.');
    const audits = await auditOf(c.id);
    expect(audits.at(-1)).toMatchObject({ action: 'claim.refused', actor_id: admin.id, reason: 'Aucun lien avec la structure n’a pu être établi.' });
    expect(await roleIn(id.bravo, z.id)).toBeNull();
    // A new claim, with more to say: the platform team accepts it.
    const again = (await claim(z.session, id.bravo, 'Je suis la nouvelle directrice, voici mon contrat.')).json();
    const ok = await decide(session, again.id, 'accept');
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'accepted', decidedByRule: 'platform_admin' });
    expect(await roleIn(id.bravo, z.id)).toBe('admin');
  });

  it('nobody decides their own claim', async () => {
    const f = await facilitator(['D80']);
    const c = (await claim(f.session, id.bravo)).json();
    expect(c.status).toBe('pending');
    expect((await decide(f.session, c.id, 'accept')).statusCode).toBe(403);
  });

  it('who is asked: administrators; else facilitators of the territory; else the platform team', async () => {
    // Foxtrot (Somme) has no administrator: the verified facilitators of the Somme (D80) and of the région (R32).
    let since = await lastMailId();
    const a = await person('a.candidat@gmail.com');
    await claim(a.session, id.foxtrot);
    let to = (await deliveredMails(t.platform, since)).map((m) => m.to_address);
    expect(to.some((e) => /^facilitateur\.d80\.v\./.test(e))).toBe(true);
    expect(to.every((e) => /^facilitateur\.(d80|r32)\.v\./.test(e))).toBe(true);
    // Echo (Paris): no administrator, no facilitator: the platform team.
    since = await lastMailId();
    await claim(a.session, id.echo);
    to = (await deliveredMails(t.platform, since)).map((m) => m.to_address);
    expect(to).toEqual(['admin.plateforme@passerelles.example']);
    // Delta (Lille): no administrator, the D59 and R32 facilitators are asked (not the unverified one).
    since = await lastMailId();
    await claim(a.session, id.delta);
    to = (await deliveredMails(t.platform, since)).map((m) => m.to_address);
    expect(to.length).toBeGreaterThanOrEqual(2);
    expect(to.every((e) => /^facilitateur\.(d59|r32)\.v\./.test(e))).toBe(true);
  });

  it('the claimant cancels a pending claim; nobody else may; a cancelled claim cannot be decided', async () => {
    const b = await person('b.candidat@gmail.com');
    const c = (await claim(b.session, id.charlie)).json();
    const other = await person('intrus@gmail.com');
    expect((await api(other.session, 'POST', `/api/v1/claims/${c.id}/cancel`)).statusCode).toBe(403);
    const res = await api(b.session, 'POST', `/api/v1/claims/${c.id}/cancel`);
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('cancelled');
    expect((await api(b.session, 'POST', `/api/v1/claims/${c.id}/cancel`)).statusCode).toBe(409);
    expect((await auditOf(c.id)).map((a) => a.action)).toEqual(['claim.created', 'claim.cancelled']);
    // A new claim can be made after cancelling.
    expect((await claim(b.session, id.charlie)).statusCode).toBe(201);
  });

  it('every decision is in the audit log', async () => {
    const decided = await t.db.query<{ id: string; status: string }>(`SELECT id, status FROM claims WHERE status <> 'pending'`);
    expect(decided.length).toBeGreaterThan(5);
    for (const c of decided) {
      const actions = (await auditOf(c.id)).map((a) => a.action);
      expect(actions, c.id).toContain(`claim.${c.status}`);
    }
  });

  it('lists: my claims; the claims I decide (only my territory, never mine), filtered by status', async () => {
    const nord = await facilitator(['D59']);
    const res = await api(nord.session, 'GET', '/api/v1/claims?scope=toDecide&status=pending');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { structure: { id: string }; status: string }[];
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => (i.structure.id === id.alpha || i.structure.id === id.delta) && i.status === 'pending')).toBe(true);
    const mine = await api(nord.session, 'GET', '/api/v1/claims');
    expect(mine.json()).toMatchObject({ items: [], total: 0 });
    const lea = await t.db.one<{ id: string }>(`SELECT id FROM people WHERE email = 'lea@laposte.net'`);
    const leas = await api(await signIn(t.db, (lea as { id: string }).id), 'GET', '/api/v1/claims');
    expect(leas.json().items).toHaveLength(1);
  });

  it('claims are rate limited per person (10 a day)', async () => {
    const r = await person('rafale@gmail.com');
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await claim(r.session, id.delta);
      codes.push(c.statusCode);
      if (c.statusCode === 201) await api(r.session, 'POST', `/api/v1/claims/${c.json().id}/cancel`);
      const d = await claim(r.session, id.bravo);
      codes.push(d.statusCode);
      if (d.statusCode === 201) await api(r.session, 'POST', `/api/v1/claims/${d.json().id}/cancel`);
    }
    expect(codes.slice(0, 10).every((c) => c === 201)).toBe(true);
    expect(codes[10]).toBe(429);
  });
});

describe('claim pages', () => {
  it('search by name or SIRET, then the claim form of a structure (sign-in first)', async () => {
    const byName = await t.app.inject({ url: '/structures/rattachement?q=recyclerie' });
    expect(byName.statusCode).toBe(200);
    expect(byName.body).toContain(`/structures/rattachement/${id.charlie}`);
    const bySiret = await t.app.inject({ url: `/structures/rattachement?q=${S.delta.siret}` });
    expect(bySiret.body).toContain(`/structures/rattachement/${id.delta}`);
    expect(bySiret.body).not.toContain(`/structures/rattachement/${id.charlie}`);
    const anon = await t.app.inject({ url: `/structures/rattachement/${id.delta}` });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toBe(`/connexion?retour=${encodeURIComponent(`/structures/rattachement/${id.delta}`)}`);
  });

  it('the profile page links to the claim form', async () => {
    const slug = (await t.db.one<{ slug: string }>('SELECT slug FROM structures WHERE id = $1', [id.delta]))?.slug;
    const res = await t.app.inject({ url: `/structures/${slug}` });
    expect(res.body).toContain('Vous gérez cette structure ?');
    expect(res.body).toContain(`href="/structures/rattachement/${id.delta}"`);
  });

  it('claiming with the form: the page says the domain rule, the claim shows in my space, and I can cancel it', async () => {
    const m = await person('marie@delta-menuiserie.fr');
    const page = await t.app.inject({ url: `/structures/rattachement/${id.delta}`, headers: { cookie: m.session.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('acceptée immédiatement');
    const g = await person('gaston@gmail.com');
    const page2 = await t.app.inject({ url: `/structures/rattachement/${id.delta}`, headers: { cookie: g.session.cookie } });
    expect(page2.body).toContain('sera examinée');
    const noCsrf = await t.app.inject({ method: 'POST', url: `/structures/rattachement/${id.delta}`, headers: { cookie: g.session.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'message=x' });
    expect(noCsrf.statusCode).toBe(403);
    const res = await postForm(t.app, `/structures/rattachement/${id.delta}`, g.session, { message: 'Je suis le nouveau gérant.' }, { headers: {} });
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe('/espace/rattachements?message=envoyee');
    const mine = await t.app.inject({ url: '/espace/rattachements', headers: { cookie: g.session.cookie } });
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain(S.delta.name);
    expect(mine.body).toContain('En attente');
    const claimId = (await t.db.one<{ id: string }>(`SELECT id FROM claims WHERE person_id = $1`, [g.id]))?.id;
    const cancel = await postForm(t.app, `/espace/rattachements/${claimId}/annulation`, g.session, {});
    expect(cancel.statusCode).toBe(303);
    expect((await t.db.one<{ status: string }>('SELECT status FROM claims WHERE id = $1', [claimId]))?.status).toBe('cancelled');
    // At the right domain: accepted at once, then straight to the edit page.
    const ok = await postForm(t.app, `/structures/rattachement/${id.delta}`, m.session, { message: '' });
    expect(ok.headers.location).toBe(`/espace/rattachements?message=acceptee&structure=${id.delta}`);
  });

  it('the back-office queue: facilitators and platform team only, with search; decisions by form (reason required to refuse)', async () => {
    const h = await person('hector@gmail.com');
    await claim(h.session, id.charlie, 'Bénévole');
    const member = await person('simple.membre@gmail.com');
    expect((await t.app.inject({ url: '/admin/rattachements', headers: { cookie: member.session.cookie } })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/admin/rattachements' })).statusCode).toBe(303);
    const pdc = await facilitator(['D62']);
    const queue = await t.app.inject({ url: '/admin/rattachements?q=hector', headers: { cookie: pdc.session.cookie } });
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain('hector@gmail.com');
    expect(queue.body).toContain('Bénévole');
    const nothing = await t.app.inject({ url: '/admin/rattachements?q=personne-inconnue', headers: { cookie: pdc.session.cookie } });
    expect(nothing.body).toContain('Aucune demande');
    const claimId = (await t.db.one<{ id: string }>(`SELECT c.id FROM claims c JOIN people p ON p.id = c.person_id WHERE p.email = 'hector@gmail.com'`))?.id as string;
    const missing = await postForm(t.app, `/rattachements/${claimId}/decision`, pdc.session, { decision: 'refuse', reason: '', retour: '/admin/rattachements' });
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toContain('Indiquez le motif du refus');
    const res = await postForm(t.app, `/rattachements/${claimId}/decision`, pdc.session, { decision: 'refuse', reason: 'Inconnu de la structure', retour: '/admin/rattachements?message=decision' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/rattachements?message=decision');
    expect((await t.db.one<{ status: string; decision_reason: string }>('SELECT status, decision_reason FROM claims WHERE id = $1', [claimId]))).toMatchObject({ status: 'refused', decision_reason: 'Inconnu de la structure' });
    // A return address elsewhere is not followed.
    const h2 = await person('hector2@gmail.com');
    const c2 = (await claim(h2.session, id.charlie)).json();
    const away = await postForm(t.app, `/rattachements/${c2.id}/decision`, pdc.session, { decision: 'accept', retour: 'https://ailleurs.example/' });
    expect(away.headers.location).toBe('/espace');
  });

  it('structure administrators see and decide their structure’s pending claims on its edit page', async () => {
    const k = await person('karim@gmail.com');
    const c = (await claim(k.session, id.alpha, 'Responsable technique')).json();
    const paul = await t.db.one<{ id: string }>(`SELECT id FROM people WHERE email = 'paul.martin@asso-exemple.fr'`);
    const ps = await signIn(t.db, (paul as { id: string }).id);
    const page = await t.app.inject({ url: `/structures/modifier/${id.alpha}`, headers: { cookie: ps.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Demandes de rattachement en attente');
    expect(page.body).toContain('karim@gmail.com');
    expect(page.body).toContain(`action="/rattachements/${c.id}/decision"`);
    // A member (not administrator) sees the edit page but not the claims.
    const anne = await t.db.one<{ id: string }>(`SELECT id FROM people WHERE email = 'anne@asso-exemple.fr'`);
    const memberPage = await t.app.inject({ url: `/structures/modifier/${id.alpha}`, headers: { cookie: (await signIn(t.db, (anne as { id: string }).id)).cookie } });
    expect(memberPage.statusCode).toBe(200);
    expect(memberPage.body).not.toContain('karim@gmail.com');
    const res = await postForm(t.app, `/rattachements/${c.id}/decision`, ps, { decision: 'accept', retour: `/structures/modifier/${id.alpha}?message=decision#rattachements` });
    expect(res.statusCode).toBe(303);
    expect(await roleIn(id.alpha, k.id)).toBe('member');
  });
});
