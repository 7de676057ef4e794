// Structures answer a need: the personal signed link (tampered, expired, wrong structure, other need),
// the funnel timestamps set once, interested (the buyer's contact, not before), not interested with a
// reason, answers to the questions, looking for partners, attachments with the same link, the space of
// structures and networks, the API, and who may call each route.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db.ts';
import type { Platform } from '../src/core/platform.ts';
import { resetSigningKey, sign, signingKey } from '../src/core/signing.ts';
import { randomToken, sha256 } from '../src/core/tokens.ts';
import { saveUpload } from '../src/core/uploads.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { forgetMatchingFacts } from '../src/modules/matching/engine.ts';
import { runSending } from '../src/modules/needs/sending.ts';
import { addMember, anonymous, createOrganisation, createPerson, deliveredMails, linkIn, postForm, type Session, signIn } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';
import { structure } from './helpers/fixtures.ts';

const NET = 'nettoyage-de-locaux-16';
const CONTACT_EMAIL = 'dominique.acheteuse@ville.example';
const CONTACT_PHONE = '03 20 11 22 33';

let app: FastifyInstance;
let db: Db;
let platform: Platform;
let close: () => Promise<void>;
let uploadDir: string;
let buyerOrg: string;
let seq = 0;
const ids: Record<string, string> = {};
let networkSlug: string;

async function makeNeed(over: Record<string, unknown> = {}): Promise<string> {
  const v: Record<string, unknown> = {
    reference: `B-TEST-A${++seq}`,
    status: 'validated',
    kind: 'QUOTE',
    title: `Entretien des locaux de la mairie ${seq}`,
    description: 'Nettoyage quotidien.\n\nAccès par la cour.',
    place_kind: 'commune',
    place_commune: '59350',
    sectors: [NET],
    service_types: ['PREST'],
    answer_deadline: '2099-12-31',
    contact_name: 'Dominique Acheteuse',
    contact_email: CONTACT_EMAIL,
    contact_phone: CONTACT_PHONE,
    buyer_name: 'Ville de Lille',
    buyer_organisation_id: buyerOrg,
    questions: JSON.stringify([{ id: 'q1', text: 'Quels moyens humains prévoyez-vous ?' }, { id: 'q2', text: 'Quelles références avez-vous ?' }]),
    batch_size: 10,
    ...over,
  };
  const cols = Object.keys(v);
  const r = await db.one<{ id: string }>(`INSERT INTO needs (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`, Object.values(v));
  return (r as { id: string }).id;
}

const rec = (needId: string, structureId: string) => db.one<Record<string, any>>(`SELECT * FROM need_recipients WHERE need_id = $1 AND structure_id = $2`, [needId, structureId]);

/** The personal link each structure received for a need (from the mails). */
async function linksOf(needId: string): Promise<Record<string, string>> {
  const mails = await deliveredMails(platform);
  const out: Record<string, string> = {};
  for (const m of mails) {
    if (!m.text_body.includes(`/besoins/${needId}/structure/`)) continue;
    const link = linkIn(m.text_body, `/besoins/${needId}/structure/`);
    const sid = /structure\/([0-9a-f-]{36})/.exec(link)?.[1] as string;
    out[sid] = link;
  }
  return out;
}

/** GET as an anonymous browser, keeping the CSRF cookie the page sets (forms work without an account). */
async function openAnonymously(url: string): Promise<{ status: number; body: string; session: Session }> {
  const res = await app.inject({ method: 'GET', url });
  const csrf = /pa_csrf=([^;]+)/.exec(String(res.headers['set-cookie']))?.[1] ?? '';
  return { status: res.statusCode, body: res.body, session: { cookie: `pa_csrf=${csrf}`, csrf, headers: { cookie: `pa_csrf=${csrf}`, 'x-csrf-token': csrf } } };
}

async function apiToken(orgId: string, scopes: string[]): Promise<string> {
  const token = `pa_${randomToken()}`;
  await db.query(`INSERT INTO api_tokens (organisation_id, name, token_hash, prefix, scopes, expires_at) VALUES ($1, 'test', $2, $3, $4, now() + interval '1 day')`, [orgId, sha256(token), token.slice(0, 8), scopes]);
  return token;
}

let need: string;
let links: Record<string, string>;
let alphaAdmin: { id: string };
let alphaOrg: string;
let networkMember: { id: string };
let stranger: { id: string };

beforeAll(async () => {
  uploadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelles-answers-'));
  ({ app, db, platform, close } = await createTestApp({ UPLOAD_DIR: uploadDir }));
  resetSigningKey();
  networkSlug = (await db.one<{ slug: string }>(`SELECT slug FROM networks ORDER BY slug LIMIT 1`))?.slug as string;
  buyerOrg = await createOrganisation(db, { type: 'buyer', name: 'Mairie de Lille (organisation)' });
  const act = [{ sector: NET, serviceTypes: ['PREST' as const], area: { kind: 'radius' as const, radiusKm: 30 } }];
  const inputs = [
    structure({ name: 'Alpha Propreté', communeCode: '59350', publicEmail: 'contact@alpha.example', activities: act, networks: [networkSlug] }),
    structure({ name: 'Bravo Services', communeCode: '59350', publicEmail: 'contact@bravo.example', activities: act }),
    structure({ name: 'Charlie Jardins', communeCode: '59350', publicEmail: 'contact@charlie.example', activities: [{ sector: 'creation-et-entretien-des-espaces-verts', serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 30 } }] }),
  ];
  const report = await importStructures(db, inputs.map((input, i) => ({ line: i + 1, input })));
  expect(report.rejected).toEqual([]);
  for (const r of await db.query<{ id: string; name: string }>(`SELECT id, name FROM structures`)) ids[r.name.split(' ')[0]] = r.id;
  alphaAdmin = await createPerson(db, { email: 'admin@alpha.example' });
  alphaOrg = await createOrganisation(db, { type: 'structure', structureId: ids.Alpha, name: 'Alpha Propreté' });
  await addMember(db, alphaOrg, alphaAdmin.id, 'admin');
  const networkOrg = await createOrganisation(db, { type: 'network', name: 'Réseau test', verified: true });
  await db.query(`UPDATE organisations SET network_slug = $2 WHERE id = $1`, [networkOrg, networkSlug]);
  networkMember = await createPerson(db, { email: 'animatrice@reseau.example' });
  await addMember(db, networkOrg, networkMember.id);
  stranger = await createPerson(db, { email: 'autre@ailleurs.example' });
  await addMember(db, await createOrganisation(db, { type: 'buyer', name: 'Autre acheteur' }), stranger.id);
  forgetMatchingFacts(db);

  need = await makeNeed();
  const rel = await saveUpload(platform.config, 'needs', Buffer.from('%PDF-1.4\n% cahier des charges\n'), 'pdf');
  await db.query(`INSERT INTO need_attachments (need_id, file_path, original_name, content_type, size_bytes) VALUES ($1, $2, 'Cahier des charges.pdf', 'application/pdf', 30)`, [need, rel]);
  const sent = await runSending(platform, need);
  expect(sent).toMatchObject({ outcome: 'sent', sent: 2 });
  links = await linksOf(need);
  expect(Object.keys(links).sort()).toEqual([ids.Alpha, ids.Bravo].sort());
});

afterAll(async () => {
  await close?.();
  fs.rmSync(uploadDir, { recursive: true, force: true });
});

describe('signed links', () => {
  it('opens the need without an account; opened and viewed are set the first time only', async () => {
    const before = await rec(need, ids.Bravo);
    expect(before?.opened_at).toBeNull();
    const page = await openAnonymously(links[ids.Bravo]);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Entretien des locaux de la mairie');
    expect(page.body).toContain('Pourquoi votre structure a reçu ce besoin');
    expect(page.body).toContain('Cahier des charges.pdf');
    // Not interested yet: no contact of the buyer.
    expect(page.body).not.toContain(CONTACT_EMAIL);
    expect(page.body).not.toContain(CONTACT_PHONE);
    const first = await rec(need, ids.Bravo);
    expect(first?.opened_at).not.toBeNull();
    expect(first?.viewed_at).not.toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    await openAnonymously(links[ids.Bravo]);
    const again = await rec(need, ids.Bravo);
    expect(new Date(again?.opened_at).getTime()).toBe(new Date(first?.opened_at).getTime());
    expect(new Date(again?.viewed_at).getTime()).toBe(new Date(first?.viewed_at).getTime());
  });

  it('refuses a tampered link (403), an expired one (410), another structure or another need (403)', async () => {
    const url = links[ids.Bravo];
    const jeton = new URL(url, 'http://x').searchParams.get('jeton') as string;
    const tampered = url.replace(jeton, `${jeton.slice(0, -1)}${jeton.endsWith('A') ? 'B' : 'A'}`);
    const t = await openAnonymously(tampered);
    expect(t.status).toBe(403);
    expect(t.body).toContain('Ce lien n’est pas valable');

    const key = await signingKey(db);
    const expired = sign(key, 'need-recipient', `${need}:${ids.Bravo}`, new Date(Date.now() - 1000));
    const e = await openAnonymously(`/besoins/${need}/structure/${ids.Bravo}?jeton=${encodeURIComponent(expired)}`);
    expect(e.status).toBe(410);
    expect(e.body).toContain('Ce lien a expiré');

    // Bravo's token on Alpha's page.
    expect((await openAnonymously(`/besoins/${need}/structure/${ids.Alpha}?jeton=${encodeURIComponent(jeton)}`)).status).toBe(403);
    // Bravo's token on another need.
    const other = await makeNeed();
    await runSending(platform, other);
    expect((await openAnonymously(`/besoins/${other}/structure/${ids.Bravo}?jeton=${encodeURIComponent(jeton)}`)).status).toBe(403);
    // A valid token for a structure the need was not sent to.
    const forCharlie = sign(key, 'need-recipient', `${need}:${ids.Charlie}`, new Date(Date.now() + 3600_000));
    expect((await openAnonymously(`/besoins/${need}/structure/${ids.Charlie}?jeton=${encodeURIComponent(forCharlie)}`)).status).toBe(403);
    // Another purpose, same subject.
    const outcome = sign(key, 'need-outcome', `${need}:${ids.Bravo}`, new Date(Date.now() + 3600_000));
    expect((await openAnonymously(`/besoins/${need}/structure/${ids.Bravo}?jeton=${encodeURIComponent(outcome)}`)).status).toBe(403);
  });

  it('without a link: sign in first; members of the structure only', async () => {
    const anon = await app.inject({ method: 'GET', url: `/besoins/${need}/structure/${ids.Alpha}` });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toMatch(/^\/connexion\?retour=/);
    const other = await signIn(db, stranger.id);
    expect((await app.inject({ method: 'GET', url: `/besoins/${need}/structure/${ids.Alpha}`, headers: { cookie: other.cookie } })).statusCode).toBe(403);
    const member = await signIn(db, alphaAdmin.id);
    const res = await app.inject({ method: 'GET', url: `/besoins/${need}/structure/${ids.Alpha}`, headers: { cookie: member.cookie } });
    expect(res.statusCode).toBe(200);
    // Viewed from the space: viewed, but the mail's link was not opened.
    const r = await rec(need, ids.Alpha);
    expect(r?.viewed_at).not.toBeNull();
    expect(r?.opened_at).toBeNull();
    // A member of Alpha cannot open Bravo's page.
    expect((await app.inject({ method: 'GET', url: `/besoins/${need}/structure/${ids.Bravo}`, headers: { cookie: member.cookie } })).statusCode).toBe(403);
  });
});

describe('answers through the link', () => {
  it('interested: the buyer’s contact appears (and not before); audited as the link', async () => {
    const page = await openAnonymously(links[ids.Bravo]);
    const jeton = new URL(links[ids.Bravo], 'http://x').searchParams.get('jeton') as string;
    // Without the CSRF token: refused.
    const noCsrf = await app.inject({ method: 'POST', url: `/besoins/${need}/structure/${ids.Bravo}/reponse`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `jeton=${encodeURIComponent(jeton)}&action=interessee` });
    expect(noCsrf.statusCode).toBe(403);
    // Without the link's token, an anonymous browser is not the structure.
    expect((await postForm(app, `/besoins/${need}/structure/${ids.Bravo}/reponse`, page.session, { action: 'interessee' })).statusCode).toBe(401);
    const mailsBefore = (await db.one<{ n: number }>('SELECT coalesce(max(id), 0)::int AS n FROM mail_outbox'))?.n ?? 0;
    const res = await postForm(app, `/besoins/${need}/structure/${ids.Bravo}/reponse`, page.session, { jeton, action: 'interessee' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain('message=interessee');
    // The buyer is told, once.
    const toBuyer = (await deliveredMails(platform, mailsBefore)).filter((m) => m.to_address === CONTACT_EMAIL);
    expect(toBuyer.map((m) => m.subject)).toEqual([expect.stringContaining('Une structure est intéressée')]);
    expect(toBuyer[0].text_body).toContain(`/besoins/${need}/reponses`);
    const after = await app.inject({ method: 'GET', url: res.headers.location as string, headers: { cookie: page.session.cookie } });
    expect(after.body).toContain(CONTACT_EMAIL);
    expect(after.body).toContain(CONTACT_PHONE);
    expect(after.body).toContain('Dominique Acheteuse');
    expect(after.body).toContain('Ville de Lille');
    const r = await rec(need, ids.Bravo);
    expect(r?.interested_at).not.toBeNull();
    const a = await db.one<{ actor_id: string | null; actor_kind: string; target_type: string }>(`SELECT actor_id, actor_kind, target_type FROM audit_log WHERE action = 'need.answer.interested' AND target_id = $1`, [need]);
    expect(a).toEqual({ actor_id: null, actor_kind: `need-link:${ids.Bravo}`, target_type: 'need' });
    // Saying it again keeps the first time.
    const mailsBetween = (await db.one<{ n: number }>('SELECT coalesce(max(id), 0)::int AS n FROM mail_outbox'))?.n ?? 0;
    await postForm(app, `/besoins/${need}/structure/${ids.Bravo}/reponse`, page.session, { jeton, action: 'interessee' });
    expect(new Date((await rec(need, ids.Bravo))?.interested_at).getTime()).toBe(new Date(r?.interested_at).getTime());
    expect((await deliveredMails(platform, mailsBetween)).filter((m) => m.to_address === CONTACT_EMAIL)).toEqual([]);
  });

  it('answers the buyer’s questions, looks for partners', async () => {
    const page = await openAnonymously(links[ids.Bravo]);
    const jeton = new URL(links[ids.Bravo], 'http://x').searchParams.get('jeton') as string;
    const url = `/besoins/${need}/structure/${ids.Bravo}/reponse`;
    expect((await postForm(app, url, page.session, { jeton, action: 'reponses', 'reponse-q1': '  Trois agents, du lundi au vendredi.  ', 'reponse-q2': '', 'reponse-zzz': 'ignorée' })).statusCode).toBe(303);
    expect((await rec(need, ids.Bravo))?.answers).toEqual({ q1: 'Trois agents, du lundi au vendredi.' });
    expect((await postForm(app, url, page.session, { jeton, action: 'partenaires' })).statusCode).toBe(303);
    const r = await rec(need, ids.Bravo);
    expect(r?.partners_at).not.toBeNull();
    expect(r?.interested_at).not.toBeNull();
    const shown = await app.inject({ method: 'GET', url: links[ids.Bravo], headers: { cookie: page.session.cookie } });
    expect(shown.body).toContain('Trois agents, du lundi au vendredi.');
    expect(shown.body).toContain('Cherche des partenaires');
  });

  it('not interested needs a reason; it replaces interested (and the contact is no longer shown)', async () => {
    const page = await openAnonymously(links[ids.Alpha]);
    const jeton = new URL(links[ids.Alpha], 'http://x').searchParams.get('jeton') as string;
    const url = `/besoins/${need}/structure/${ids.Alpha}/reponse`;
    const noReason = await postForm(app, url, page.session, { jeton, action: 'pas-interessee', motif: '' });
    expect(noReason.statusCode).toBe(422);
    expect(noReason.body).toContain('Choisissez un motif.');
    const other = await postForm(app, url, page.session, { jeton, action: 'pas-interessee', motif: 'autre', precision: '' });
    expect(other.statusCode).toBe(422);
    expect(other.body).toContain('Précisez la raison.');
    await postForm(app, url, page.session, { jeton, action: 'interessee' });
    expect((await postForm(app, url, page.session, { jeton, action: 'pas-interessee', motif: 'capacite', precision: 'Équipes complètes jusqu’en juin.' })).statusCode).toBe(303);
    const r = await rec(need, ids.Alpha);
    expect(r?.not_interested_at).not.toBeNull();
    expect(r?.not_interested_reason).toBe('Nous n’avons pas la capacité en ce moment — Équipes complètes jusqu’en juin.');
    expect(r?.interested_at).toBeNull();
    const shown = await app.inject({ method: 'GET', url: links[ids.Alpha], headers: { cookie: page.session.cookie } });
    expect(shown.body).toContain('Pas intéressée');
    expect(shown.body).not.toContain(CONTACT_EMAIL);
  });

  it('downloads attachments with the same link, not without it', async () => {
    const att = await db.one<{ id: string }>(`SELECT id FROM need_attachments WHERE need_id = $1`, [need]);
    const jeton = new URL(links[ids.Bravo], 'http://x').searchParams.get('jeton') as string;
    const ok = await app.inject({ method: 'GET', url: `/besoins/${need}/structure/${ids.Bravo}/pieces/${att?.id}?jeton=${encodeURIComponent(jeton)}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('application/pdf');
    expect(String(ok.headers['content-disposition'])).toContain('attachment');
    expect(ok.body).toContain('cahier des charges');
    expect((await app.inject({ method: 'GET', url: `/besoins/${need}/structure/${ids.Bravo}/pieces/${att?.id}` })).statusCode).toBe(303);
    expect((await app.inject({ method: 'GET', url: `/besoins/${need}/structure/${ids.Bravo}/pieces/00000000-0000-0000-0000-000000000000?jeton=${encodeURIComponent(jeton)}` })).statusCode).toBe(404);
  });

  it('no more answers once the buyer closed the need or after the deadline; the page stays readable', async () => {
    const closed = await makeNeed({ batch_size: 1 });
    await runSending(platform, closed);
    const l = await linksOf(closed);
    const [sid, link] = Object.entries(l)[0];
    await db.query(`UPDATE needs SET status = 'closed', closed_reason = 'closed_by_buyer', closed_at = now() WHERE id = $1`, [closed]);
    const page = await openAnonymously(link);
    expect(page.status).toBe(200);
    expect(page.body).toContain('L’acheteur a clôturé ce besoin');
    const jeton = new URL(link, 'http://x').searchParams.get('jeton') as string;
    const res = await postForm(app, `/besoins/${closed}/structure/${sid}/reponse`, page.session, { jeton, action: 'interessee' });
    expect(res.statusCode).toBe(409);
    expect((await rec(closed, sid))?.interested_at).toBeNull();
    await db.query(`UPDATE needs SET status = 'sending', closed_reason = NULL, answer_deadline = '2020-01-01' WHERE id = $1`, [closed]);
    expect((await postForm(app, `/besoins/${closed}/structure/${sid}/reponse`, page.session, { jeton, action: 'interessee' })).statusCode).toBe(409);
  });
});

describe('the space of structures and networks', () => {
  it('lists the needs sent to the person’s structures, with statuses and links', async () => {
    const s = await signIn(db, alphaAdmin.id);
    const res = await app.inject({ method: 'GET', url: '/espace/besoins', headers: { cookie: s.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Besoins reçus par Alpha Propreté');
    expect(res.body).toContain(`href="/besoins/${need}/structure/${ids.Alpha}"`);
    expect(res.body).toContain('Pas intéressée');
    expect(res.body).not.toContain('Bravo Services');
  });

  it('shows a network the needs sent to its structures (read only)', async () => {
    const s = await signIn(db, networkMember.id);
    const res = await app.inject({ method: 'GET', url: '/espace/besoins', headers: { cookie: s.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Besoins envoyés aux structures du réseau Réseau test');
    expect(res.body).toContain('Alpha Propreté');
    expect(res.body).not.toContain('Bravo Services');
    expect(res.body).not.toContain(`href="/besoins/${need}/structure/`);
  });

  it('needs a session; says so when the person has no structure', async () => {
    expect((await app.inject({ method: 'GET', url: '/espace/besoins' })).statusCode).toBe(303);
    const s = await signIn(db, stranger.id);
    const res = await app.inject({ method: 'GET', url: '/espace/besoins', headers: { cookie: s.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('aucune structure');
  });
});

describe('API', () => {
  it('GET /api/v1/structures/{id}/needs: the structure’s team or token only', async () => {
    const member = await signIn(db, alphaAdmin.id);
    const res = await app.inject({ method: 'GET', url: `/api/v1/structures/${ids.Alpha}/needs`, headers: { cookie: member.cookie } });
    expect(res.statusCode).toBe(200);
    const items = res.json().items;
    expect(items.map((i: { needId: string }) => i.needId)).toContain(need);
    expect(items.find((i: { needId: string }) => i.needId === need)).toMatchObject({ status: 'not_interested', place: 'Lille (59)' });
    const read = await apiToken(alphaOrg, ['read']);
    expect((await app.inject({ method: 'GET', url: `/api/v1/structures/${ids.Alpha}/needs`, headers: { authorization: `Bearer ${read}` } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/api/v1/structures/${ids.Bravo}/needs`, headers: { authorization: `Bearer ${read}` } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/api/v1/structures/${ids.Alpha}/needs` })).statusCode).toBe(401);
    const other = await signIn(db, stranger.id);
    expect((await app.inject({ method: 'GET', url: `/api/v1/structures/${ids.Alpha}/needs`, headers: { cookie: other.cookie } })).statusCode).toBe(403);
  });

  it('POST /api/v1/needs/{needId}/answers/{structureId}: answers with a write token, gives the contact once interested', async () => {
    const write = await apiToken(alphaOrg, ['read', 'write']);
    const url = `/api/v1/needs/${need}/answers/${ids.Alpha}`;
    const bad = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${write}` }, payload: { status: 'not_interested' } });
    expect(bad.statusCode).toBe(422);
    const res = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${write}` }, payload: { status: 'interested', answers: { q2: 'Le collège Jean Macé.' } } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'interested', buyerContact: { email: CONTACT_EMAIL, phone: CONTACT_PHONE, organisation: 'Ville de Lille' }, answers: { q2: 'Le collège Jean Macé.' } });
    const audit = await db.one<{ actor_kind: string }>(`SELECT actor_kind FROM audit_log WHERE action = 'need.answer.interested' AND target_id = $1 ORDER BY id DESC LIMIT 1`, [need]);
    expect(audit?.actor_kind).toMatch(/^api_token:/);
    const unknown = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${write}` }, payload: { answers: { nope: 'x' } } });
    expect(unknown.statusCode).toBe(422);
    const read = await apiToken(alphaOrg, ['read']);
    expect((await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${read}` }, payload: { status: 'partners' } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: `/api/v1/needs/${need}/answers/${ids.Bravo}`, headers: { authorization: `Bearer ${write}` }, payload: { status: 'partners' } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url, payload: { status: 'partners' } })).statusCode).toBe(401);
    // A session needs the CSRF header.
    const member = await signIn(db, alphaAdmin.id);
    expect((await app.inject({ method: 'POST', url, headers: { cookie: member.cookie }, payload: { status: 'partners' } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url, headers: member.headers, payload: { status: 'partners' } })).statusCode).toBe(200);
    // Not sent to Charlie.
    const charlieOrg = await createOrganisation(db, { type: 'structure', structureId: ids.Charlie });
    const charlie = await apiToken(charlieOrg, ['read', 'write']);
    expect((await app.inject({ method: 'POST', url: `/api/v1/needs/${need}/answers/${ids.Charlie}`, headers: { authorization: `Bearer ${charlie}` }, payload: { status: 'interested' } })).statusCode).toBe(403);
  });
});

describe('pages are anonymous-friendly', () => {
  it('sets the CSRF cookie on the link page', async () => {
    const res = await app.inject({ method: 'GET', url: links[ids.Bravo] });
    expect(String(res.headers['set-cookie'])).toMatch(/pa_csrf=/);
    expect(res.body).toContain('name="jeton"');
    expect(res.headers['cache-control']).toBe('no-store');
  });
  it('shows anonymous() sessions cannot use another structure’s token', async () => {
    const s = anonymous();
    const jeton = new URL(links[ids.Bravo], 'http://x').searchParams.get('jeton') as string;
    expect((await postForm(app, `/besoins/${need}/structure/${ids.Alpha}/reponse`, s, { jeton, action: 'interessee' })).statusCode).toBe(403);
  });
});
