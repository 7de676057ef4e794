// Qualifying needs: the queue and the need's page of a facilitator of the territory (with the matches, score
// and reasons), validation (the 'needs.send' job queued in the same transaction), asking for changes (mail,
// the buyer edits and sends again), closing after 10 days without answer, rejection with its reason; the API
// with a buyer organisation's token; and who may call each route.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db.ts';
import { runHousekeeping } from '../src/core/jobs.ts';
import type { Platform } from '../src/core/platform.ts';
import { resetSigningKey } from '../src/core/signing.ts';
import { randomToken, sha256 } from '../src/core/tokens.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { todayParis } from '../src/modules/needs/service.ts';
import { addMember, anonymous, createOrganisation, createPerson, deliveredMails, linkIn, postForm, type Session, signIn } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';
import { structure } from './helpers/fixtures.ts';

let app: FastifyInstance;
let db: Db;
let platform: Platform;
let close: () => Promise<void>;
let buyer: Session;
let outsider: Session;
let member: Session;
let facilitator: Session;
let farFacilitator: Session;
let platformAdmin: Session;
let buyerOrg: string;
let buyerEmail: string;
let facilitatorEmail: string;
let writeToken: string;
let readToken: string;
let structureId: string;

const day = (offset: number) => new Date(Date.parse(`${todayParis()}T12:00:00Z`) + offset * 86400_000).toISOString().slice(0, 10);
const NET = 'nettoyage-de-locaux-16';

const COMPLETE = () => ({
  kind: 'QUOTE',
  title: 'Nettoyage des locaux de la mairie annexe',
  description: 'Nettoyage quotidien de 800 m² de bureaux et sanitaires, du lundi au vendredi.',
  placeKind: 'commune',
  placeCommune: '59350',
  answerDeadline: day(20),
  startDate: day(30),
  amountMin: 10000,
  amountMax: 14999,
  serviceTypes: ['PREST'],
  sectors: [NET],
  socialClause: true,
  insertionHours: 300,
  questions: [{ id: 'q1', text: 'Quelles sont vos références ?' }],
  contactName: 'Dominique Acheteuse',
  contactEmail: 'dominique@ville-lille.example',
  contactPhone: '03 20 00 00 00',
  buyerName: 'Ville de Lille',
});

async function token(org: string, scopes: string[]): Promise<string> {
  const t = `pas_${randomToken()}`;
  await db.query(`INSERT INTO api_tokens (organisation_id, name, token_hash, prefix, scopes, expires_at) VALUES ($1, 'Test', $2, $3, $4, now() + interval '30 days')`, [org, sha256(t), t.slice(0, 8), scopes]);
  return t;
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const need = (id: string) => db.one<Record<string, any>>('SELECT * FROM needs WHERE id = $1', [id]) as Promise<Record<string, any>>;
const lastMailId = async () => (await db.one<{ n: number }>('SELECT coalesce(max(id), 0)::int AS n FROM mail_outbox'))!.n;

/** A submitted need, posted through the API with the buyer organisation's write token. */
async function submitted(over: Record<string, unknown> = {}): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/needs', headers: bearer(writeToken), payload: { ...COMPLETE(), ...over } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

beforeAll(async () => {
  ({ app, db, platform, close } = await createTestApp());
  resetSigningKey();
  buyerOrg = await createOrganisation(db, { type: 'buyer', name: 'Ville de Lille', category: 'public_collectivite' });
  const b = await createPerson(db, { name: 'Dominique Acheteuse', email: 'dominique@ville-lille.example' });
  buyerEmail = b.email;
  await addMember(db, buyerOrg, b.id, 'admin');
  buyer = await signIn(db, b.id);
  const otherBuyer = await createOrganisation(db, { type: 'buyer', name: 'Autre acheteur' });
  const o = await createPerson(db);
  await addMember(db, otherBuyer, o.id);
  outsider = await signIn(db, o.id);
  const fac = await createOrganisation(db, { type: 'facilitator', name: 'Facilitateur Nord', territoryKeys: ['D59'], category: 'clauses_sociales' });
  const f = await createPerson(db, { email: 'facilitatrice@nord.example' });
  facilitatorEmail = f.email;
  await addMember(db, fac, f.id);
  facilitator = await signIn(db, f.id);
  const far = await createOrganisation(db, { type: 'facilitator', name: 'Facilitateur Paris', territoryKeys: ['D75'], category: 'clauses_sociales' });
  const ff = await createPerson(db);
  await addMember(db, far, ff.id);
  farFacilitator = await signIn(db, ff.id);
  const plat = await createOrganisation(db, { type: 'platform', name: 'Administration de la plateforme' });
  const pa = await createPerson(db);
  await addMember(db, plat, pa.id, 'admin');
  platformAdmin = await signIn(db, pa.id);
  writeToken = await token(buyerOrg, ['read', 'write']);
  readToken = await token(buyerOrg, ['read']);
  // Structures whose activity clearly matches (cleaning, service, 30 km around Lille), and one that does not.
  const report = await importStructures(db, [
    { line: 1, input: structure({ name: 'Propreté Lilloise', kind: 'EI', communeCode: '59350', publicEmail: 'contact@proprete-lilloise.example', activities: [{ sector: NET, serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 30 } }] } as never) },
    { line: 2, input: structure({ name: 'Net Roubaix', kind: 'ACI', communeCode: '59512', publicEmail: 'contact@net-roubaix.example', activities: [{ sector: NET, serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 30 } }] } as never) },
    { line: 3, input: structure({ name: 'Jardins de Marseille', kind: 'EI', communeCode: '13055', publicEmail: 'contact@jardins.example', activities: [{ sector: 'creation-et-entretien-des-espaces-verts', serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 30 } }] } as never) },
  ]);
  expect(report.created ?? 3).toBeGreaterThan(0);
  structureId = (await db.one<{ id: string }>(`SELECT id FROM structures WHERE name = 'Propreté Lilloise'`))!.id;
  const so = await createOrganisation(db, { type: 'structure', name: 'Propreté Lilloise', structureId });
  const sm = await createPerson(db);
  await addMember(db, so, sm.id);
  member = await signIn(db, sm.id);
});

afterAll(async () => {
  await close?.();
});

describe('the API with a buyer organisation’s token', () => {
  it('creates and submits a complete need at once, and tells every field in error otherwise', async () => {
    const before = await lastMailId();
    const id = await submitted();
    const row = await need(id);
    expect(row).toMatchObject({ status: 'submitted', source: 'api', buyer_organisation_id: buyerOrg, author_id: null, place_commune: '59350' });
    const mails = await deliveredMails(platform, before);
    expect(mails.some((m) => m.to_address === facilitatorEmail && m.subject.includes('à qualifier'))).toBe(true);

    const bad = await app.inject({ method: 'POST', url: '/api/v1/needs', headers: bearer(writeToken), payload: { kind: 'QUOTE', title: 'abc', answerDeadline: day(-2), sectors: ['inconnu'], amountMin: -3 } });
    expect(bad.statusCode).toBe(422);
    const fields = bad.json().error.details.fields;
    expect(Object.keys(fields).sort()).toEqual(['amountMin', 'answerDeadline', 'contactEmail', 'contactName', 'contactPhone', 'description', 'placeKind', 'sectors', 'title'].sort());
    expect(fields.answerDeadline).toContain('est passée');
    expect(fields.sectors).toBe('Secteur inconnu : inconnu.');
    // The organisation's name is the default buyer name.
    expect(fields.buyerName).toBeUndefined();
    expect((await db.one<{ n: number }>('SELECT count(*)::int AS n FROM needs'))!.n).toBe(1);

    // Read scope cannot post; it reads.
    expect((await app.inject({ method: 'POST', url: '/api/v1/needs', headers: bearer(readToken), payload: COMPLETE() })).statusCode).toBe(403);
    const list = await app.inject({ method: 'GET', url: '/api/v1/needs', headers: bearer(readToken) });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((n: { id: string }) => n.id)).toContain(id);
    expect((await app.inject({ method: 'GET', url: `/api/v1/needs/${id}`, headers: bearer(readToken) })).json().reference).toBe(row.reference);
    // Matches: the buyer sees them once validated; the facilitator before.
    expect((await app.inject({ method: 'GET', url: `/api/v1/needs/${id}/matches`, headers: bearer(readToken) })).statusCode).toBe(409);
    const m = await app.inject({ method: 'GET', url: `/api/v1/needs/${id}/matches`, headers: { cookie: facilitator.cookie } });
    expect(m.statusCode).toBe(200);
    expect(m.json().items.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining(['Propreté Lilloise', 'Net Roubaix']));
    expect(m.json().items.map((x: { name: string }) => x.name)).not.toContain('Jardins de Marseille');
    // A token cannot qualify (a session is required), another organisation cannot read.
    expect((await app.inject({ method: 'POST', url: `/api/v1/needs/${id}/qualification`, headers: bearer(writeToken), payload: { decision: 'validate' } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/api/v1/needs/${id}`, headers: { cookie: outsider.cookie } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/api/v1/needs/${id}` })).statusCode).toBe(401);
  });

  it('patches a draft field by field and submits it', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/needs', headers: bearer(writeToken), payload: { ...COMPLETE(), title: '' } });
    expect(created.statusCode).toBe(422);
    // A draft made through the form by a signed-in buyer, then completed through the API.
    const res = await postForm(app, '/besoins/deposer', buyer, { kind: 'TENDER', title: 'Entretien des locaux', description: 'Entretien hebdomadaire des locaux du centre social.' });
    const id = /besoins\/([0-9a-f-]{36})\//.exec(String(res.headers.location))![1];
    const { kind: _k, title: _t, description: _d, ...rest } = COMPLETE();
    const patchBad = await app.inject({ method: 'PATCH', url: `/api/v1/needs/${id}`, headers: bearer(writeToken), payload: { answerDeadline: day(-1) } });
    expect(patchBad.statusCode).toBe(422);
    expect(patchBad.json().error.details.fields.answerDeadline).toContain('est passée');
    const patched = await app.inject({ method: 'PATCH', url: `/api/v1/needs/${id}`, headers: bearer(writeToken), payload: rest });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().status).toBe('draft');
    const sent = await app.inject({ method: 'POST', url: `/api/v1/needs/${id}/submit`, headers: bearer(writeToken) });
    expect(sent.statusCode).toBe(200);
    expect(sent.json().status).toBe('submitted');
    expect((await app.inject({ method: 'PATCH', url: `/api/v1/needs/${id}`, headers: bearer(writeToken), payload: { title: 'Autre titre du besoin' } })).statusCode).toBe(409);
  });
});

describe('qualification', () => {
  it('lets a facilitator of the territory see the queue and the matches, and validate: the first batch is queued in the same transaction', async () => {
    const id = await submitted();
    const queue = await app.inject({ method: 'GET', url: '/admin/besoins', headers: { cookie: facilitator.cookie } });
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain(`/admin/besoins/${id}`);
    expect(queue.body).toContain('<caption>');
    const filtered = await app.inject({ method: 'GET', url: '/admin/besoins?statut=rejected', headers: { cookie: facilitator.cookie } });
    expect(filtered.body).not.toContain(`/admin/besoins/${id}`);
    expect((await app.inject({ method: 'GET', url: '/admin/besoins?statut=nimporte', headers: { cookie: facilitator.cookie } })).statusCode).toBe(400);
    const far = await app.inject({ method: 'GET', url: '/admin/besoins', headers: { cookie: farFacilitator.cookie } });
    expect(far.body).not.toContain(`/admin/besoins/${id}`);
    const all = await app.inject({ method: 'GET', url: '/admin/besoins', headers: { cookie: platformAdmin.cookie } });
    expect(all.body).toContain(`/admin/besoins/${id}`);

    const page = await app.inject({ method: 'GET', url: `/admin/besoins/${id}`, headers: { cookie: facilitator.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Structures correspondantes');
    expect(page.body).toContain('Propreté Lilloise');
    expect(page.body).toContain('/ 100');
    expect(page.body).toContain('dominique@ville-lille.example');
    expect((await app.inject({ method: 'GET', url: `/admin/besoins/${id}`, headers: { cookie: farFacilitator.cookie } })).statusCode).toBe(403);
    expect((await postForm(app, `/admin/besoins/${id}/decision`, farFacilitator, { decision: 'validate' })).statusCode).toBe(403);
    expect((await need(id)).status).toBe('submitted');

    const before = await lastMailId();
    const res = await postForm(app, `/admin/besoins/${id}/decision`, facilitator, { decision: 'validate' });
    expect(res.statusCode).toBe(303);
    const row = await need(id);
    expect(row.status).toBe('validated');
    expect(row.validated_at).not.toBeNull();
    const jobs = await db.query<{ kind: string; payload: { needId: string } }>(`SELECT kind, payload FROM jobs WHERE kind = 'needs.send' AND payload->>'needId' = $1`, [id]);
    expect(jobs).toHaveLength(1);
    const audit = await db.one<{ actor_id: string; before: unknown; after: unknown }>(`SELECT actor_id, before, after FROM audit_log WHERE target_type = 'need' AND target_id = $1 AND action = 'need.validated'`, [id]);
    expect(audit?.after).toEqual({ status: 'validated' });
    const mails = await deliveredMails(platform, before);
    expect(mails.some((m) => m.to_address === buyerEmail && m.subject.includes('est validé'))).toBe(true);
    // Decided once.
    const again = await postForm(app, `/admin/besoins/${id}/decision`, facilitator, { decision: 'reject', message: 'Trop tard pour refuser' });
    expect(again.statusCode).toBe(409);
    // Now the buyer sees the matches.
    const m = await app.inject({ method: 'GET', url: `/api/v1/needs/${id}/matches`, headers: bearer(readToken) });
    expect(m.statusCode).toBe(200);
    expect(m.json().total).toBeGreaterThanOrEqual(2);
    const buyerPage = await app.inject({ method: 'GET', url: `/besoins/${id}`, headers: { cookie: buyer.cookie } });
    expect(buyerPage.body).toContain('Structures correspondantes');
    expect(buyerPage.body).toContain(`/besoins/${id}/reponses`);
  });

  it('asks for changes: mail with a link, the buyer edits and sends again', async () => {
    const id = await submitted();
    const missing = await postForm(app, `/admin/besoins/${id}/decision`, facilitator, { decision: 'request_changes', message: '' });
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toContain('Indiquez les modifications attendues');
    const before = await lastMailId();
    const res = await app.inject({ method: 'POST', url: `/api/v1/needs/${id}/qualification`, headers: facilitator.headers, payload: { decision: 'request_changes', message: 'Précisez la surface à nettoyer et les horaires.' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe('changes_requested');
    const mail = (await deliveredMails(platform, before)).find((m) => m.to_address === 'dominique@ville-lille.example' && m.subject.includes('précisions'));
    expect(mail?.text_body).toContain('Précisez la surface à nettoyer et les horaires.');
    const link = linkIn(mail!.text_body, `/besoins/${id}/etape/1`);
    const form = await app.inject({ method: 'GET', url: link, headers: { cookie: buyer.cookie } });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Modifications demandées par le facilitateur');
    expect((await postForm(app, `/besoins/${id}/etape/1`, buyer, { kind: 'QUOTE', title: 'Nettoyage des locaux de la mairie annexe (1 200 m²)', description: 'Nettoyage quotidien de 1 200 m² de bureaux, de 6 h à 9 h.' })).statusCode).toBe(303);
    const before2 = await lastMailId();
    const sent = await postForm(app, `/besoins/${id}/etape/6`, buyer, { contactName: 'Dominique Acheteuse', contactEmail: 'dominique@ville-lille.example', contactPhone: '03 20 00 00 00', buyerName: 'Ville de Lille', action: 'envoyer' });
    expect(sent.statusCode).toBe(303);
    expect((await need(id)).status).toBe('submitted');
    const mails = await deliveredMails(platform, before2);
    expect(mails.some((m) => m.to_address === facilitatorEmail && m.subject.includes('Besoin d’achat modifié'))).toBe(true);
    const actions = (await db.query<{ action: string }>(`SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id`, [id])).map((r) => r.action);
    expect(actions).toEqual(['need.submitted', 'need.changes_requested', 'need.resubmitted']);
  });

  it('lets the facilitator edit while qualifying, with the change audited', async () => {
    const id = await submitted();
    const res = await postForm(app, `/besoins/${id}/etape/3`, facilitator, { amountRange: '15-20K', serviceTypes: 'PREST', sectors: NET, sectorsPosted: '1' });
    expect(res.statusCode).toBe(303);
    const row = await need(id);
    expect([row.amount_min, row.amount_max, row.status]).toEqual([15000, 19999, 'submitted']);
    const audit = await db.one<{ before: any; after: any }>(`SELECT before, after FROM audit_log WHERE target_id = $1 AND action = 'need.edited'`, [id]);
    expect(audit?.before).toEqual({ amountMin: 10000, amountMax: 14999 });
    expect(audit?.after).toEqual({ amountMin: 15000, amountMax: 19999 });
    expect((await postForm(app, `/besoins/${id}/etape/3`, farFacilitator, { amountRange: '0-1K', sectors: NET })).statusCode).toBe(403);
  });

  it('closes a need left 10 days without answer to asked changes, with a mail', async () => {
    const late = await submitted();
    const recent = await submitted();
    for (const id of [late, recent]) {
      expect((await postForm(app, `/admin/besoins/${id}/decision`, facilitator, { decision: 'request_changes', message: 'Merci de préciser le besoin.' })).statusCode).toBe(303);
    }
    await db.query(`UPDATE needs SET changes_requested_at = now() - interval '10 days 1 hour' WHERE id = $1`, [late]);
    await db.query(`UPDATE needs SET changes_requested_at = now() - interval '9 days' WHERE id = $1`, [recent]);
    const before = await lastMailId();
    await runHousekeeping(platform);
    expect(await need(late)).toMatchObject({ status: 'closed', closed_reason: 'no_answer_to_changes' });
    expect((await need(recent)).status).toBe('changes_requested');
    const mails = await deliveredMails(platform, before);
    expect(mails.filter((m) => m.subject.includes('est clôturé'))).toHaveLength(1);
    const audit = await db.one<{ actor_kind: string }>(`SELECT actor_kind FROM audit_log WHERE target_id = $1 AND action = 'need.closed'`, [late]);
    expect(audit?.actor_kind).toBe('system');
    // Run again: nothing more.
    await runHousekeeping(platform);
    expect((await deliveredMails(platform, before)).filter((m) => m.subject.includes('est clôturé'))).toHaveLength(1);
  });

  it('rejects with a reason mailed to the buyer', async () => {
    const id = await submitted();
    const missing = await postForm(app, `/admin/besoins/${id}/decision`, platformAdmin, { decision: 'reject', message: ' ' });
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toContain('Indiquez le motif du refus');
    const before = await lastMailId();
    expect((await postForm(app, `/admin/besoins/${id}/decision`, platformAdmin, { decision: 'reject', message: 'Ce besoin relève d’un marché déjà attribué.' })).statusCode).toBe(303);
    expect(await need(id)).toMatchObject({ status: 'rejected', rejection_reason: 'Ce besoin relève d’un marché déjà attribué.' });
    const mail = (await deliveredMails(platform, before)).find((m) => m.to_address === 'dominique@ville-lille.example' && m.subject.includes('n’a pas été retenu'));
    expect(mail?.text_body).toContain('Ce besoin relève d’un marché déjà attribué.');
    expect((await db.one(`SELECT 1 FROM audit_log WHERE target_id = $1 AND action = 'need.rejected' AND reason IS NOT NULL`, [id]))).toBeTruthy();
  });

  it('lets the buyer close the need', async () => {
    const id = await submitted();
    expect((await postForm(app, `/besoins/${id}/cloture`, outsider, {})).statusCode).toBe(403);
    expect((await postForm(app, `/besoins/${id}/cloture`, buyer, {})).statusCode).toBe(303);
    expect(await need(id)).toMatchObject({ status: 'closed', closed_reason: 'closed_by_buyer' });
  });
});

describe('who may call each route', () => {
  it('answers each profile as the access rules say', async () => {
    const id = await submitted();
    const anon = anonymous();
    const get = (url: string, s?: Session) => app.inject({ method: 'GET', url, headers: s ? { cookie: s.cookie } : {} });
    // Public pages.
    expect((await get('/besoins')).statusCode).toBe(200);
    expect((await get('/besoins/deposer')).statusCode).toBe(200);
    // The buyer's need page: buyer and qualifiers of the territory.
    expect((await get(`/besoins/${id}`)).statusCode).toBe(303);
    for (const [s, code] of [[buyer, 200], [facilitator, 200], [platformAdmin, 200], [farFacilitator, 403], [outsider, 403], [member, 403]] as const) {
      expect((await get(`/besoins/${id}`, s)).statusCode, `need page`).toBe(code);
    }
    // Back office.
    for (const [s, code] of [[facilitator, 200], [platformAdmin, 200], [farFacilitator, 200], [buyer, 403], [member, 403]] as const) {
      expect((await get('/admin/besoins', s)).statusCode).toBe(code);
    }
    expect((await get('/admin/besoins')).statusCode).toBe(303);
    for (const [s, code] of [[facilitator, 200], [platformAdmin, 200], [farFacilitator, 403], [buyer, 403], [outsider, 403]] as const) {
      expect((await get(`/admin/besoins/${id}`, s)).statusCode).toBe(code);
    }
    // The step pages of a submitted need: nobody on the buyer side edits, qualifiers do.
    expect((await get(`/besoins/${id}/etape/1`, buyer)).statusCode).toBe(409);
    expect((await get(`/besoins/${id}/etape/1`, facilitator)).statusCode).toBe(200);
    expect((await get(`/besoins/${id}/etape/1`, member)).statusCode).toBe(403);
    expect((await get(`/besoins/${id}/etape/9`, facilitator)).statusCode).toBe(404);
    // Confirmation and resume links need a valid signature.
    expect((await get(`/besoins/confirmation?besoin=${id}&jeton=x`)).statusCode).toBe(400);
    expect((await get(`/besoins/${id}/reprendre?jeton=x`)).statusCode).toBe(400);
    expect((await postForm(app, '/besoins/confirmation', anon, { besoin: id, jeton: 'x' })).statusCode).toBe(400);
    // API.
    expect((await app.inject({ method: 'GET', url: '/api/v1/needs' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/v1/needs?scope=toQualify', headers: { cookie: facilitator.cookie } })).json().items.map((n: { id: string }) => n.id)).toContain(id);
    expect((await app.inject({ method: 'GET', url: '/api/v1/needs?scope=toQualify', headers: { cookie: farFacilitator.cookie } })).json().items.map((n: { id: string }) => n.id)).not.toContain(id);
    expect((await app.inject({ method: 'GET', url: '/api/v1/needs?scope=toQualify', headers: bearer(readToken) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/needs?scope=toQualify', headers: { cookie: buyer.cookie } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/api/v1/needs/${id}/matches`, headers: { cookie: farFacilitator.cookie } })).statusCode).toBe(403);
    // Another buyer organisation posts for itself, never for this one.
    expect((await app.inject({ method: 'POST', url: '/api/v1/needs', headers: outsider.headers, payload: { ...COMPLETE(), organisationId: buyerOrg } })).statusCode).toBe(422);
    expect((await app.inject({ method: 'POST', url: '/api/v1/needs', headers: member.headers, payload: COMPLETE() })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/v1/needs', payload: COMPLETE() })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: `/api/v1/needs/${id}/qualification`, headers: farFacilitator.headers, payload: { decision: 'validate' } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: `/api/v1/needs/${id}/qualification`, headers: buyer.headers, payload: { decision: 'validate' } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: `/api/v1/needs/${id}/submit`, headers: outsider.headers })).statusCode).toBe(403);
    expect((await app.inject({ method: 'PATCH', url: `/api/v1/needs/${id}`, headers: outsider.headers, payload: { title: 'Pas à moi de changer' } })).statusCode).toBe(403);
    // The OpenAPI document lists the routes under their tag.
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(doc.paths['/api/v1/needs'].post.tags).toEqual(['Besoins d’achat']);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/needs/{id}', '/api/v1/needs/{id}/submit', '/api/v1/needs/{id}/qualification', '/api/v1/needs/{id}/matches']));
  });
});
