// Groupements: a structure creates one for a need (it leads it), invites structures that are interested or
// look for partners on the same need, or any from the directory (name, SIRET); each invited structure gets
// its own signed link to accept or refuse; a structure is in at most one groupement per need; the lead
// removes members; the buyer's list shows each groupement as one answer with its members.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db.ts';
import type { Platform } from '../src/core/platform.ts';
import { resetSigningKey, sign, signingKey } from '../src/core/signing.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { forgetMatchingFacts } from '../src/modules/matching/engine.ts';
import { listConsortia } from '../src/modules/needs/consortia.ts';
import { runSending } from '../src/modules/needs/sending.ts';
import { addMember, createOrganisation, createPerson, deliveredMails, linkIn, postForm, type Session, signIn } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';
import { structure } from './helpers/fixtures.ts';
import { expectNoAxeViolations, launchChromium } from './helpers/browser.ts';
import type { Browser } from 'playwright-core';

const NET = 'nettoyage-de-locaux-16';
const EV = 'creation-et-entretien-des-espaces-verts';

let app: FastifyInstance;
let db: Db;
let platform: Platform;
let close: () => Promise<void>;
const ids: Record<string, string> = {};
const sirets: Record<string, string> = {};
let need: string;
/** Each structure's personal link to the need, and a browser holding the CSRF cookie of its page. */
const links: Record<string, { url: string; jeton: string; session: Session }> = {};
let seq = 0;

async function makeNeed(over: Record<string, unknown> = {}): Promise<string> {
  const v: Record<string, unknown> = {
    reference: `B-TEST-C${++seq}`, status: 'validated', kind: 'TENDER', title: `Propreté des écoles ${seq}`, description: 'Trois lots.',
    place_kind: 'commune', place_commune: '59350', sectors: [NET], service_types: ['PREST'], answer_deadline: '2099-12-31',
    contact_name: 'Dominique', contact_email: 'achats@ville.example', contact_phone: '0320000000', buyer_name: 'Ville', batch_size: 10, ...over,
  };
  const cols = Object.keys(v);
  const r = await db.one<{ id: string }>(`INSERT INTO needs (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`, Object.values(v));
  return (r as { id: string }).id;
}

async function openAnonymously(url: string): Promise<{ status: number; body: string; session: Session }> {
  const res = await app.inject({ method: 'GET', url });
  const csrf = /pa_csrf=([^;]+)/.exec(String(res.headers['set-cookie']))?.[1] ?? '';
  return { status: res.statusCode, body: res.body, session: { cookie: `pa_csrf=${csrf}`, csrf, headers: { cookie: `pa_csrf=${csrf}`, 'x-csrf-token': csrf } } };
}

const jetonOf = (url: string) => new URL(url, 'http://x').searchParams.get('jeton') as string;
const groupementUrl = (sid: string) => `/besoins/${need}/structure/${sid}/groupement`;
const act = (name: string, fields: Record<string, string>) => postForm(app, groupementUrl(ids[name]), links[name].session, { jeton: links[name].jeton, ...fields });
const members = async (cid: string) =>
  Object.fromEntries((await db.query<{ name: string; status: string; role: string }>(`SELECT s.name, m.status, m.role FROM consortium_members m JOIN structures s ON s.id = m.structure_id WHERE m.consortium_id = $1`, [cid])).map((r) => [r.name.split(' ')[0], `${r.role}:${r.status}`]));

/** The invitation link a structure received by mail (the latest). */
async function invitationLink(structureName: string, consortiumId = alphaGroup): Promise<string> {
  const path = `/groupements/${consortiumId}/`;
  const mails = (await deliveredMails(platform)).filter((m) => m.to_address === `contact@${structureName.toLowerCase()}.example` && m.text_body.includes(path));
  expect(mails.length).toBeGreaterThan(0);
  return linkIn(mails[mails.length - 1].text_body, path);
}

beforeAll(async () => {
  ({ app, db, platform, close } = await createTestApp());
  resetSigningKey();
  const netAct = [{ sector: NET, serviceTypes: ['PREST' as const], area: { kind: 'radius' as const, radiusKm: 30 } }];
  const evAct = [{ sector: EV, serviceTypes: ['PREST' as const], area: { kind: 'radius' as const, radiusKm: 30 } }];
  const inputs = [
    structure({ name: 'Alpha Propreté', publicEmail: 'contact@alpha.example', activities: netAct }),
    structure({ name: 'Bravo Services', publicEmail: 'contact@bravo.example', activities: netAct }),
    structure({ name: 'Charlie Nettoyage', publicEmail: 'contact@charlie.example', activities: netAct }),
    structure({ name: 'Delta Vitrerie', publicEmail: 'contact@delta.example', activities: evAct }),
    structure({ name: 'Golf Entretien', publicEmail: 'contact@golf.example', activities: evAct }),
    structure({ name: 'Echo Muette', activities: evAct }),
  ];
  const report = await importStructures(db, inputs.map((input, i) => ({ line: i + 1, input })));
  expect(report.rejected).toEqual([]);
  for (const r of await db.query<{ id: string; name: string; siret: string }>(`SELECT id, name, siret FROM structures`)) {
    ids[r.name.split(' ')[0]] = r.id;
    sirets[r.name.split(' ')[0]] = r.siret;
  }
  forgetMatchingFacts(db);
  need = await makeNeed();
  expect(await runSending(platform, need)).toMatchObject({ outcome: 'sent', sent: 3 });
  for (const m of await deliveredMails(platform)) {
    const url = linkIn(m.text_body, `/besoins/${need}/structure/`);
    const name = Object.keys(ids).find((k) => url.includes(ids[k])) as string;
    const page = await openAnonymously(url);
    links[name] = { url, jeton: jetonOf(url), session: page.session };
  }
  expect(Object.keys(links).sort()).toEqual(['Alpha', 'Bravo', 'Charlie']);
  await db.query(`UPDATE need_recipients SET interested_at = now() WHERE need_id = $1 AND structure_id = $2`, [need, ids.Bravo]);
  await db.query(`UPDATE need_recipients SET partners_at = now() WHERE need_id = $1 AND structure_id = $2`, [need, ids.Charlie]);
});

afterAll(async () => {
  await close?.();
});

let alphaGroup: string;
let charlieGroup: string;

describe('creating a groupement and inviting', () => {
  it('the structure creates a groupement through its link and leads it', async () => {
    const page = await app.inject({ method: 'GET', url: `${groupementUrl(ids.Alpha)}?jeton=${encodeURIComponent(links.Alpha.jeton)}`, headers: { cookie: links.Alpha.session.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Constituer le groupement');
    const res = await act('Alpha', { action: 'creer', note: 'Nous cherchons une structure pour la vitrerie.' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain('message=groupement-cree');
    const c = await db.one<{ id: string; lead_structure_id: string }>(`SELECT id, lead_structure_id FROM consortia WHERE need_id = $1`, [need]);
    alphaGroup = c?.id as string;
    expect(c?.lead_structure_id).toBe(ids.Alpha);
    expect(await members(alphaGroup)).toEqual({ Alpha: 'lead:accepted' });
    const audit = await db.one<{ actor_kind: string; actor_id: string | null }>(`SELECT actor_kind, actor_id FROM audit_log WHERE action = 'need.consortium.created' AND target_id = $1`, [need]);
    expect(audit).toEqual({ actor_kind: `need-link:${ids.Alpha}`, actor_id: null });
    // Twice: refused.
    expect((await act('Alpha', { action: 'creer' })).statusCode).toBe(409);
  });

  it('suggests the structures interested or looking for partners, and finds others in the directory by name or SIRET', async () => {
    const page = await app.inject({ method: 'GET', url: `${groupementUrl(ids.Alpha)}?jeton=${encodeURIComponent(links.Alpha.jeton)}`, headers: { cookie: links.Alpha.session.cookie } });
    expect(page.body).toContain('Bravo Services');
    expect(page.body).toContain('Charlie Nettoyage');
    expect(page.body).not.toContain('Delta Vitrerie');
    const byName = await app.inject({ method: 'GET', url: `${groupementUrl(ids.Alpha)}?jeton=${encodeURIComponent(links.Alpha.jeton)}&q=vitrer`, headers: { cookie: links.Alpha.session.cookie } });
    expect(byName.body).toContain('Delta Vitrerie');
    const bySiret = await app.inject({ method: 'GET', url: `${groupementUrl(ids.Alpha)}?jeton=${encodeURIComponent(links.Alpha.jeton)}&q=${sirets.Golf}`, headers: { cookie: links.Alpha.session.cookie } });
    expect(bySiret.body).toContain('Golf Entretien');
    expect(bySiret.body).not.toContain('Delta Vitrerie');
  });

  it('invites: a mail with the invited structure’s own link; not twice; not a structure the platform cannot reach', async () => {
    expect((await act('Alpha', { action: 'inviter', structure: ids.Bravo })).statusCode).toBe(303);
    expect((await act('Alpha', { action: 'inviter', structure: ids.Delta })).statusCode).toBe(303);
    expect(await members(alphaGroup)).toEqual({ Alpha: 'lead:accepted', Bravo: 'member:invited', Delta: 'member:invited' });
    const link = await invitationLink('Bravo');
    expect(link).toMatch(new RegExp(`^/groupements/${alphaGroup}/invitation/${ids.Bravo}\\?jeton=`));
    const again = await act('Alpha', { action: 'inviter', structure: ids.Bravo });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('déjà invitée');
    const mute = await act('Alpha', { action: 'inviter', structure: ids.Echo });
    expect(mute.statusCode).toBe(422);
    expect(mute.body).toContain('aucune adresse');
    // Only the lead invites.
    expect((await act('Bravo', { action: 'inviter', structure: ids.Golf })).statusCode).toBe(404);
  });
});

describe('invitations: signed links, accept, refuse', () => {
  it('checks the invitation link (tampered, expired, another structure)', async () => {
    const link = await invitationLink('Delta');
    const jeton = jetonOf(link);
    expect((await openAnonymously(link)).status).toBe(200);
    const tampered = await openAnonymously(link.replace(jeton, `${jeton.slice(0, -1)}${jeton.endsWith('A') ? 'B' : 'A'}`));
    expect(tampered.status).toBe(403);
    const key = await signingKey(db);
    const expired = sign(key, 'consortium-invite', `${alphaGroup}:${ids.Delta}`, new Date(Date.now() - 1000));
    expect((await openAnonymously(`/groupements/${alphaGroup}/invitation/${ids.Delta}?jeton=${encodeURIComponent(expired)}`)).status).toBe(410);
    expect((await openAnonymously(`/groupements/${alphaGroup}/invitation/${ids.Bravo}?jeton=${encodeURIComponent(jeton)}`)).status).toBe(403);
    // The need's link is not an invitation link.
    expect((await openAnonymously(`/groupements/${alphaGroup}/invitation/${ids.Bravo}?jeton=${encodeURIComponent(links.Bravo.jeton)}`)).status).toBe(403);
    // Without a link: sign in; another person is refused.
    expect((await app.inject({ method: 'GET', url: `/groupements/${alphaGroup}/invitation/${ids.Delta}` })).statusCode).toBe(303);
    const stranger = await createPerson(db);
    await addMember(db, await createOrganisation(db, { type: 'structure', structureId: ids.Golf }), stranger.id);
    const s = await signIn(db, stranger.id);
    expect((await app.inject({ method: 'GET', url: `/groupements/${alphaGroup}/invitation/${ids.Delta}`, headers: { cookie: s.cookie } })).statusCode).toBe(403);
  });

  it('accepting makes the structure a member (and a recipient of the need, with its own link)', async () => {
    const link = await invitationLink('Delta');
    const page = await openAnonymously(link);
    expect(page.body).toContain('Alpha Propreté');
    expect(page.body).toContain('Rejoindre le groupement');
    const res = await postForm(app, `/groupements/${alphaGroup}/invitation/${ids.Delta}`, page.session, { jeton: jetonOf(link), action: 'accepter' });
    expect(res.statusCode).toBe(303);
    const target = res.headers.location as string;
    expect(target).toMatch(new RegExp(`^/besoins/${need}/structure/${ids.Delta}\\?jeton=.*message=invitation-acceptee`));
    links.Delta = { url: target, jeton: jetonOf(target), session: page.session };
    const needPage = await app.inject({ method: 'GET', url: target, headers: { cookie: page.session.cookie } });
    expect(needPage.statusCode).toBe(200);
    expect(needPage.body).toContain('Votre structure fait partie du groupement mené par');
    expect(await members(alphaGroup)).toMatchObject({ Delta: 'member:accepted' });
    const r = await db.one<{ source: string }>(`SELECT source FROM need_recipients WHERE need_id = $1 AND structure_id = $2`, [need, ids.Delta]);
    expect(r?.source).toBe('consortium');
    const audit = await db.one<{ actor_kind: string }>(`SELECT actor_kind FROM audit_log WHERE action = 'need.consortium.accepted' AND target_id = $1`, [need]);
    expect(audit?.actor_kind).toBe(`consortium-link:${ids.Delta}`);
    // Answered: no second answer.
    expect((await postForm(app, `/groupements/${alphaGroup}/invitation/${ids.Delta}`, page.session, { jeton: jetonOf(link), action: 'refuser' })).statusCode).toBe(409);
  });

  it('refusing is recorded; the lead may invite again', async () => {
    const link = await invitationLink('Bravo');
    const page = await openAnonymously(link);
    const res = await postForm(app, `/groupements/${alphaGroup}/invitation/${ids.Bravo}`, page.session, { jeton: jetonOf(link), action: 'refuser' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain('message=invitation-refusee');
    expect(await members(alphaGroup)).toMatchObject({ Bravo: 'member:refused' });
    expect((await act('Alpha', { action: 'inviter', structure: ids.Bravo })).statusCode).toBe(303);
    expect(await members(alphaGroup)).toMatchObject({ Bravo: 'member:invited' });
  });
});

describe('one groupement per structure and need', () => {
  it('a member or lead cannot create or join another; an invitation to a second one cannot be accepted', async () => {
    // Delta (member of Alpha's) and Alpha (lead) cannot be invited by Charlie's groupement.
    expect((await act('Charlie', { action: 'creer' })).statusCode).toBe(303);
    charlieGroup = (await db.one<{ id: string }>(`SELECT id FROM consortia WHERE need_id = $1 AND lead_structure_id = $2`, [need, ids.Charlie]))?.id as string;
    const toDelta = await act('Charlie', { action: 'inviter', structure: ids.Delta });
    expect(toDelta.statusCode).toBe(409);
    expect(toDelta.body).toContain('déjà partie d’un autre groupement');
    expect((await act('Charlie', { action: 'inviter', structure: ids.Alpha })).statusCode).toBe(409);
    // Bravo is invited by both; accepts Charlie's, then cannot accept Alpha's.
    expect((await act('Charlie', { action: 'inviter', structure: ids.Bravo })).statusCode).toBe(303);
    const fromCharlie = await invitationLink('Bravo', charlieGroup);
    const p1 = await openAnonymously(fromCharlie);
    expect((await postForm(app, `/groupements/${charlieGroup}/invitation/${ids.Bravo}`, p1.session, { jeton: jetonOf(fromCharlie), action: 'accepter' })).statusCode).toBe(303);
    const fromAlpha = await invitationLink('Bravo');
    const p2 = await openAnonymously(fromAlpha);
    const second = await postForm(app, `/groupements/${alphaGroup}/invitation/${ids.Bravo}`, p2.session, { jeton: jetonOf(fromAlpha), action: 'accepter' });
    expect(second.statusCode).toBe(409);
    expect(second.body).toContain('une structure ne peut être que dans un groupement par besoin');
    // Bravo cannot create its own either.
    expect((await act('Bravo', { action: 'creer' })).statusCode).toBe(409);
    // The database says it too.
    await expect(db.query(`UPDATE consortium_members SET status = 'accepted' WHERE consortium_id = $1 AND structure_id = $2`, [alphaGroup, ids.Bravo])).rejects.toThrow();
  });
});

describe.skipIf(!process.env.CHROMIUM_PATH)('accessibility (Chromium + axe-core)', () => {
  let browser: Browser;
  let base = '';
  beforeAll(async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no server address');
    base = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('has no violation on the need, groupement, invitation, space and link-error pages', async () => {
    const person = await createPerson(db, { name: 'Camille Alpha' });
    const org = (await db.one<{ id: string }>(`SELECT id FROM organisations WHERE structure_id = $1`, [ids.Alpha]))?.id ?? (await createOrganisation(db, { type: 'structure', structureId: ids.Alpha }));
    await addMember(db, org, person.id, 'admin');
    const session = await signIn(db, person.id);
    const invite = await invitationLink('Bravo');
    const pages: [string, string, string | null][] = [
      ['need page (lead, link)', links.Alpha.url, null],
      ['need page (invited, link)', links.Bravo.url, null],
      ['groupement page with search', `${groupementUrl(ids.Alpha)}?jeton=${encodeURIComponent(links.Alpha.jeton)}&q=entretien`, null],
      ['invitation page', invite, null],
      ['space', '/espace/besoins', session.cookie],
      ['tampered link', links.Alpha.url.slice(0, -2), null],
    ];
    for (const [what, url, cookie] of pages) {
      const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
      if (cookie) await context.addCookies(cookie.split('; ').map((c) => ({ name: c.split('=')[0], value: c.split('=')[1], url: base })));
      const page = await context.newPage();
      await page.goto(`${base}${url}`);
      await expectNoAxeViolations(page, what);
      await context.close();
    }
  });
});

describe('members, removal and the buyer’s list', () => {
  it('the lead removes a member; others cannot', async () => {
    expect((await act('Delta', { action: 'retirer', structure: ids.Alpha })).statusCode).toBe(403);
    expect((await act('Alpha', { action: 'retirer', structure: ids.Alpha })).statusCode).toBe(422);
    const res = await act('Alpha', { action: 'retirer', structure: ids.Delta });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain('message=membre-retire');
    expect(await members(alphaGroup)).not.toHaveProperty('Delta');
    const audit = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'need.consortium.member_removed' AND target_id = $1`, [need]);
    expect(audit?.n).toBe(1);
  });

  it('listConsortia gives each groupement with its lead first and its members', async () => {
    const list = await listConsortia(db, need);
    expect(list.map((c) => c.leadName)).toEqual(['Alpha Propreté', 'Charlie Nettoyage']);
    const alpha = list[0];
    expect(alpha.note).toBe('Nous cherchons une structure pour la vitrerie.');
    expect(alpha.members.map((m) => [m.name, m.role, m.status])).toEqual([
      ['Alpha Propreté', 'lead', 'accepted'],
      ['Bravo Services', 'member', 'invited'],
    ]);
    expect(list[1].members.map((m) => [m.name, m.role, m.status])).toEqual([
      ['Charlie Nettoyage', 'lead', 'accepted'],
      ['Bravo Services', 'member', 'accepted'],
    ]);
  });

  it('a signed-in member of the lead structure manages the groupement without the link', async () => {
    const person = await createPerson(db);
    const org = (await db.one<{ id: string }>(`SELECT id FROM organisations WHERE structure_id = $1`, [ids.Alpha]))?.id ?? (await createOrganisation(db, { type: 'structure', structureId: ids.Alpha }));
    await addMember(db, org, person.id, 'admin');
    const s = await signIn(db, person.id);
    const page = await app.inject({ method: 'GET', url: groupementUrl(ids.Alpha), headers: { cookie: s.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Votre structure est le mandataire de ce groupement.');
    expect((await postForm(app, groupementUrl(ids.Alpha), s, { action: 'inviter', structure: ids.Golf })).statusCode).toBe(303);
    const audit = await db.one<{ actor_id: string }>(`SELECT actor_id FROM audit_log WHERE action = 'need.consortium.invited' ORDER BY id DESC LIMIT 1`);
    expect(audit?.actor_id).toBe(person.id);
    // Anonymous without the link: sign in first.
    expect((await app.inject({ method: 'GET', url: groupementUrl(ids.Alpha) })).statusCode).toBe(303);
  });

  it('no groupement once the buyer closed the need', async () => {
    await db.query(`UPDATE needs SET status = 'closed', closed_reason = 'closed_by_buyer' WHERE id = $1`, [need]);
    await db.query(`DELETE FROM consortium_members WHERE structure_id = $1`, [ids.Bravo]);
    const res = await act('Bravo', { action: 'creer' });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('L’acheteur a clôturé ce besoin');
  });
});
