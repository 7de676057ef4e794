// Posting a need: the six steps and their drafts (resume later), French errors per field, dates, the guest
// path (professional address, signed cookie, confirmation link tampered or expired, rate limit), and
// attachments checked by their content, stored privately and downloaded only by those who may see the need.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db.ts';
import type { Platform } from '../src/core/platform.ts';
import { resetSigningKey, sign, signingKey } from '../src/core/signing.ts';
import { detectAttachment } from '../src/modules/needs/attachments.ts';
import { getReferentials } from '../src/modules/referentials/service.ts';
import { GUEST_COOKIE, suggestSectors, todayParis } from '../src/modules/needs/service.ts';
import { addMember, anonymous, createOrganisation, createPerson, deliveredMails, linkIn, postForm, type Session, signIn } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';

let app: FastifyInstance;
let db: Db;
let platform: Platform;
let close: () => Promise<void>;
let uploadDir: string;
let buyer: Session;
let colleague: Session;
let outsider: Session;
let facilitator: Session;
let farFacilitator: Session;
let noOrg: Session;
let buyerOrg: string;
let facilitatorEmail: string;

const day = (offset: number) => new Date(Date.parse(`${todayParis()}T12:00:00Z`) + offset * 86400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  uploadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelles-needs-'));
  ({ app, db, platform, close } = await createTestApp({ UPLOAD_DIR: uploadDir }));
  resetSigningKey();
  buyerOrg = await createOrganisation(db, { type: 'buyer', name: 'Ville de Lille', category: 'public_collectivite' });
  const b = await createPerson(db, { name: 'Dominique Acheteuse', email: 'dominique@ville-lille.example' });
  const c = await createPerson(db, { name: 'Claude Collègue' });
  await addMember(db, buyerOrg, b.id, 'admin');
  await addMember(db, buyerOrg, c.id);
  buyer = await signIn(db, b.id);
  colleague = await signIn(db, c.id);
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
  noOrg = await signIn(db, (await createPerson(db)).id);
});

afterAll(async () => {
  await close?.();
  fs.rmSync(uploadDir, { recursive: true, force: true });
});

const idFrom = (res: LightMyRequestResponse) => {
  const m = /^\/besoins\/([0-9a-f-]{36})\/etape\/2$/.exec(String(res.headers.location));
  if (!m) throw new Error(`unexpected redirect ${res.statusCode} ${res.headers.location} ${res.body.slice(0, 500)}`);
  return m[1];
};

const STEP1 = { kind: 'QUOTE', title: 'Nettoyage des locaux de la mairie annexe', description: 'Nettoyage quotidien de 800 m² de bureaux et sanitaires, du lundi au vendredi.' };
const STEP2 = () => ({ placeKind: 'commune', commune: '59350', lieu: 'Lille (59)', answerDeadline: day(20), startDate: day(40) });
const STEP3 = { amountRange: '10-15K', serviceTypes: 'PREST', sectors: 'nettoyage-de-locaux-16' };
const STEP4 = { reservation: 'L2113-13', socialClause: 'oui', insertionHours: '350', environmentalRequirements: 'Produits écolabellisés.' };
const STEP6 = { contactName: 'Dominique Acheteuse', contactEmail: 'dominique@ville-lille.example', contactPhone: '03 20 00 00 00', buyerName: 'Ville de Lille' };

/** Posts a form with repeated keys when a value is an array. */
function post(url: string, s: Session, fields: Record<string, string | string[]>, remoteAddress?: string) {
  const body = new URLSearchParams({ _csrf: s.csrf });
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  return app.inject({ method: 'POST', url, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString(), ...(remoteAddress ? { remoteAddress } : {}) });
}

function multipart(s: Session, url: string, fields: [string, string][], files: { filename: string; data: Buffer; type?: string }[]) {
  const boundary = `----passerelles${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of [['_csrf', s.csrf], ...fields]) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="${f.filename}"\r\nContent-Type: ${f.type ?? 'application/pdf'}\r\n\r\n`), f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return app.inject({ method: 'POST', url, headers: { cookie: s.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: Buffer.concat(parts) });
}

const need = (id: string) => db.one<Record<string, any>>('SELECT * FROM needs WHERE id = $1', [id]) as Promise<Record<string, any>>;

/** A signed-in buyer's need through steps 1 to 5 (a draft ready to send). */
async function draftThroughStep5(s: Session = buyer): Promise<string> {
  const id = idFrom(await post('/besoins/deposer', s, STEP1));
  for (const [step, fields] of [[2, STEP2()], [3, STEP3], [4, STEP4], [5, { questions: ['Quelles sont vos références ?'] }]] as const) {
    const res = await post(`/besoins/${id}/etape/${step}`, s, fields as Record<string, string | string[]>);
    expect(res.statusCode, res.body.slice(0, 2000)).toBe(303);
    expect(res.headers.location).toBe(`/besoins/${id}/etape/${step + 1}`);
  }
  return id;
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

describe('the needs home page', () => {
  it('explains the service to everyone and offers to post', async () => {
    const res = await app.inject({ method: 'GET', url: '/besoins' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Déposer un besoin');
    expect(res.body).toContain('href="/besoins/deposer"');
    expect(res.body).not.toContain('Les besoins de votre organisation');
  });

  it('offers a person without a buyer organisation to create one', async () => {
    const res = await app.inject({ method: 'GET', url: '/besoins/deposer', headers: { cookie: noOrg.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('href="/organisations/nouvelle"');
    expect((await post('/besoins/deposer', noOrg, STEP1)).statusCode).toBe(403);
  });
});

describe('posting as a member of a buyer organisation', () => {
  it('goes through the six steps, each saving the draft, and submits straight to qualification', async () => {
    const form = await app.inject({ method: 'GET', url: '/besoins/deposer', headers: { cookie: buyer.cookie } });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('fr-stepper');
    expect(form.body).toContain('Étape 1 sur 6');

    const id = idFrom(await post('/besoins/deposer', buyer, STEP1));
    let row = await need(id);
    expect(row).toMatchObject({ status: 'draft', kind: 'QUOTE', title: STEP1.title, buyer_organisation_id: buyerOrg, contact_name: 'Dominique Acheteuse', buyer_name: 'Ville de Lille' });
    expect(row.reference).toMatch(/^B-\d{4}-\d{5}$/);

    expect((await post(`/besoins/${id}/etape/2`, buyer, STEP2())).headers.location).toBe(`/besoins/${id}/etape/3`);
    row = await need(id);
    expect(row).toMatchObject({ place_kind: 'commune', place_commune: '59350', answer_deadline: day(20) });

    // Step 3 suggests sectors from the text, ticked on the first visit.
    const step3 = await app.inject({ method: 'GET', url: `/besoins/${id}/etape/3`, headers: { cookie: buyer.cookie } });
    expect(step3.body).toContain('Secteurs suggérés d’après votre description');
    expect(step3.body).toMatch(/value="nettoyage-de-locaux-16" checked/);
    expect((await post(`/besoins/${id}/etape/3`, buyer, STEP3)).headers.location).toBe(`/besoins/${id}/etape/4`);
    row = await need(id);
    expect(row).toMatchObject({ amount_min: 10000, amount_max: 14999, sectors: ['nettoyage-de-locaux-16'], service_types: ['PREST'] });

    // Back saves too.
    const back = await post(`/besoins/${id}/etape/4`, buyer, { ...STEP4, action: 'precedent' });
    expect(back.headers.location).toBe(`/besoins/${id}/etape/3`);
    row = await need(id);
    expect(row).toMatchObject({ reservation: 'L2113-13', social_clause: true, insertion_hours: 350 });

    expect((await post(`/besoins/${id}/etape/5`, buyer, { questions: ['Quelles sont vos références ?', '', 'Quel délai ?'] })).headers.location).toBe(`/besoins/${id}/etape/6`);
    row = await need(id);
    expect(row.questions).toEqual([{ id: 'q1', text: 'Quelles sont vos références ?' }, { id: 'q2', text: 'Quel délai ?' }]);

    const review = await app.inject({ method: 'GET', url: `/besoins/${id}/etape/6`, headers: { cookie: buyer.cookie } });
    expect(review.body).toContain('Nettoyage de locaux');
    expect(review.body).toContain('Lille (59)');
    expect(review.body).toContain('Envoyer mon besoin');

    const before = (await db.one<{ n: number }>('SELECT coalesce(max(id), 0)::int AS n FROM mail_outbox'))!.n;
    const sent = await post(`/besoins/${id}/etape/6`, buyer, { ...STEP6, action: 'envoyer' });
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toBe(`/besoins/${id}?message=envoye`);
    row = await need(id);
    expect(row.status).toBe('submitted');
    expect(row.submitted_at).not.toBeNull();
    const mails = await deliveredMails(platform, before);
    const toFacilitator = mails.find((m) => m.to_address === facilitatorEmail);
    expect(toFacilitator?.subject).toContain('Nouveau besoin d’achat à qualifier');
    expect(linkIn(toFacilitator!.text_body, `/admin/besoins/${id}`)).toBe(`/admin/besoins/${id}`);
    expect(mails.some((m) => m.to_address === STEP6.contactEmail && m.subject.includes('est déposé'))).toBe(true);
    const audit = await db.one<{ action: string }>(`SELECT action FROM audit_log WHERE target_type = 'need' AND target_id = $1`, [id]);
    expect(audit?.action).toBe('need.submitted');

    // The buyer's page: status, what is next; a colleague of the organisation sees it too, others not.
    const page = await app.inject({ method: 'GET', url: `/besoins/${id}`, headers: { cookie: colleague.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Déposé, en cours de qualification');
    expect(page.body).toContain('Un facilitateur de votre territoire relit votre besoin');
    expect((await app.inject({ method: 'GET', url: `/besoins/${id}`, headers: { cookie: outsider.cookie } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/besoins/${id}` })).statusCode).toBe(303);
    // Submitted: the buyer no longer edits.
    expect((await app.inject({ method: 'GET', url: `/besoins/${id}/etape/1`, headers: { cookie: buyer.cookie } })).statusCode).toBe(409);
  });

  it('keeps a draft to resume later, listed on the needs page of the organisation', async () => {
    const id = idFrom(await post('/besoins/deposer', buyer, { ...STEP1, title: 'Entretien des espaces verts du parc' }));
    const list = await app.inject({ method: 'GET', url: '/besoins', headers: { cookie: colleague.cookie } });
    expect(list.body).toContain('Les besoins de votre organisation');
    expect(list.body).toContain('Entretien des espaces verts du parc');
    expect(list.body).toContain('Brouillon');
    // Later, the colleague resumes it at step 2: what was saved is there.
    const step1 = await app.inject({ method: 'GET', url: `/besoins/${id}/etape/1`, headers: { cookie: colleague.cookie } });
    expect(step1.statusCode).toBe(200);
    expect(step1.body).toContain('value="Entretien des espaces verts du parc"');
    expect((await app.inject({ method: 'GET', url: `/besoins/${id}/etape/2`, headers: { cookie: outsider.cookie } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/besoins/${id}/etape/2` })).statusCode).toBe(303);
    // Sending an incomplete draft names the missing fields and their steps.
    const res = await post(`/besoins/${id}/etape/6`, buyer, { ...STEP6, action: 'envoyer' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Étape 2 : Lieu et dates');
    expect(res.body).toContain('Indiquez la date limite de réponse des structures.');
    expect((await need(id)).status).toBe('draft');
  });

  it('refuses each invalid field with its French message, and saves nothing', async () => {
    const res = await post('/besoins/deposer', buyer, { kind: 'AUTRE', title: 'ab', description: 'court' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('3 champs sont à corriger : Type de besoin, Titre, Description.');
    expect(res.body).toContain('Choisissez le type de besoin');
    expect(res.body).toContain('Indiquez un titre d’au moins 5 caractères.');
    expect(res.body).toContain('Décrivez votre besoin en 20 caractères au moins');
    expect(res.body).toContain('aria-invalid="true"');

    const id = idFrom(await post('/besoins/deposer', buyer, STEP1));
    const step2 = await post(`/besoins/${id}/etape/2`, buyer, { placeKind: 'commune', lieu: 'Villeimaginaire', answerDeadline: day(-1), startDate: '' });
    expect(step2.statusCode).toBe(422);
    expect(step2.body).toContain('Commune introuvable');
    expect(step2.body).toContain('La date limite de réponse est passée');
    expect((await need(id)).answer_deadline).toBeNull();

    const start = await post(`/besoins/${id}/etape/2`, buyer, { ...STEP2(), startDate: day(10) });
    expect(start.statusCode).toBe(422);
    expect(start.body).toContain('La prestation ne peut pas commencer avant la date limite de réponse.');
    // Today is accepted; territories by département numbers.
    const ok = await post(`/besoins/${id}/etape/2`, buyer, { placeKind: 'territories', departements: '59, 62', answerDeadline: day(0) });
    expect(ok.statusCode).toBe(303);
    expect((await need(id)).place_keys).toEqual(['D59', 'D62']);
    const unknown = await post(`/besoins/${id}/etape/2`, buyer, { placeKind: 'territories', departements: '59, 999', answerDeadline: day(0) });
    expect(unknown.body).toContain('Département inconnu : 999');

    const step3 = await post(`/besoins/${id}/etape/3`, buyer, { amountMin: '5 000', amountMax: '1 000', sectorsPosted: '1' });
    expect(step3.statusCode).toBe(422);
    expect(step3.body).toContain('Le montant maximum doit être supérieur ou égal au montant minimum.');
    expect(step3.body).toContain('Choisissez au moins un secteur d’activité');

    const step4 = await post(`/besoins/${id}/etape/4`, buyer, { reservation: 'L2113-12', socialClause: 'oui', insertionHours: 'beaucoup' });
    expect(step4.statusCode).toBe(422);
    expect(step4.body).toContain('Indiquez un nombre entier d’heures');
    // Kinds outside the reservation are refused.
    await post(`/besoins/${id}/etape/3`, buyer, { ...STEP3, structureKinds: ['EI', 'ESAT'] });
    const res4 = await post(`/besoins/${id}/etape/4`, buyer, { reservation: 'L2113-12' });
    expect(res4.statusCode).toBe(303);
    const send = await post(`/besoins/${id}/etape/6`, buyer, { ...STEP6, contactPhone: '12', action: 'envoyer' });
    expect(send.statusCode).toBe(422);
    expect(send.body).toContain('Indiquez un numéro de téléphone valide');
    const send2 = await post(`/besoins/${id}/etape/6`, buyer, { ...STEP6, action: 'envoyer' });
    expect(send2.statusCode).toBe(422);
    expect(send2.body).toContain('Étape 3 : Montant, prestation et secteurs</a>');
    expect(send2.body).toContain('Ces types de structure ne peuvent pas répondre à un marché réservé au titre de l’article L2113-12 : EI.');
  });
});

describe('posting as a guest', () => {
  const guestCookie = (res: LightMyRequestResponse) => {
    const c = [res.headers['set-cookie']].flat().find((x) => String(x).startsWith(`${GUEST_COOKIE}=`));
    if (!c) throw new Error('no guest cookie');
    return String(c).split(';')[0];
  };

  async function guestDraft(remoteAddress = '10.0.0.1'): Promise<{ id: string; s: Session }> {
    const anon = anonymous();
    const res = await post('/besoins/deposer', anon, STEP1, remoteAddress);
    const id = idFrom(res);
    const cookie = `${anon.cookie}; ${guestCookie(res)}`;
    const s = { ...anon, cookie, headers: { ...anon.headers, cookie } };
    for (const [step, fields] of [[2, STEP2()], [3, STEP3], [4, STEP4], [5, {}]] as const) {
      expect((await post(`/besoins/${id}/etape/${step}`, s, fields as Record<string, string>)).statusCode).toBe(303);
    }
    return { id, s };
  }

  it('ties the draft to the browser by a signed cookie: another browser or an altered cookie gets nothing', async () => {
    const { id, s } = await guestDraft();
    const row = await need(id);
    expect(row.buyer_organisation_id).toBeNull();
    expect(row.author_id).toBeNull();
    expect((await app.inject({ method: 'GET', url: `/besoins/${id}/etape/3`, headers: { cookie: s.cookie } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/besoins/${id}/etape/3`, headers: { cookie: anonymous().cookie } })).headers.location).toMatch(/^\/connexion/);
    const altered = s.cookie.replace(/(pa_besoin=[^;]+)/, (c) => `${c.slice(0, -2)}xx`);
    expect((await app.inject({ method: 'GET', url: `/besoins/${id}/etape/3`, headers: { cookie: altered } })).headers.location).toMatch(/^\/connexion/);
    // The home page offers to resume it.
    const home = await app.inject({ method: 'GET', url: '/besoins', headers: { cookie: s.cookie } });
    expect(home.body).toContain('Reprendre ce besoin');
  });

  it('refuses a free mailbox with a clear message, then sends a confirmation link', async () => {
    const { id, s } = await guestDraft();
    const webmail = await post(`/besoins/${id}/etape/6`, s, { ...STEP6, contactEmail: 'dominique.acheteuse@gmail.com', action: 'envoyer' });
    expect(webmail.statusCode).toBe(422);
    expect(webmail.body).toContain('Indiquez votre adresse professionnelle : les messageries grand public');
    expect((await need(id)).status).toBe('draft');

    const before = (await db.one<{ n: number }>('SELECT coalesce(max(id), 0)::int AS n FROM mail_outbox'))!.n;
    const res = await post(`/besoins/${id}/etape/6`, s, { ...STEP6, contactEmail: 'achats@hopital-lille.example', action: 'envoyer' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Consultez votre messagerie');
    expect((await need(id)).status).toBe('awaiting_confirmation');
    const mails = await deliveredMails(platform, before);
    expect(mails.map((m) => m.to_address)).toEqual(['achats@hopital-lille.example']);
    const link = linkIn(mails[0].text_body, '/besoins/confirmation');

    // Tampered, foreign or expired links are refused.
    const tampered = link.replace(/jeton=([^&]+)/, (_, t: string) => `jeton=${t.slice(0, -3)}abc`);
    expect((await app.inject({ method: 'GET', url: tampered })).statusCode).toBe(400);
    const other = await guestDraft('10.0.0.2');
    expect((await app.inject({ method: 'GET', url: link.replace(id, other.id) })).statusCode).toBe(400);
    const expired = sign(await signingKey(db), 'need-confirm', id, new Date(Date.now() - 1000));
    const old = await app.inject({ method: 'GET', url: `/besoins/confirmation?besoin=${id}&jeton=${encodeURIComponent(expired)}` });
    expect(old.statusCode).toBe(410);
    expect(old.body).toContain('a expiré');
    const badPost = await postForm(app, '/besoins/confirmation', s, { besoin: id, jeton: expired });
    expect(badPost.statusCode).toBe(410);
    expect((await need(id)).status).toBe('awaiting_confirmation');

    // The link opens a page with a button; only the button confirms.
    const page = await app.inject({ method: 'GET', url: link });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Confirmer mon besoin');
    expect((await need(id)).status).toBe('awaiting_confirmation');
    const token = new URLSearchParams(link.split('?')[1]).get('jeton') as string;
    const confirmed = await postForm(app, '/besoins/confirmation', anonymous(), { besoin: id, jeton: token });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain('votre besoin est déposé');
    expect((await need(id)).status).toBe('submitted');
    const after = await deliveredMails(platform, before);
    expect(after.some((m) => m.to_address === facilitatorEmail)).toBe(true);
    // A second click changes nothing.
    const again = await postForm(app, '/besoins/confirmation', anonymous(), { besoin: id, jeton: token });
    expect(again.body).toContain('déjà confirmé');
    const audit = await db.one<{ actor_kind: string }>(`SELECT actor_kind FROM audit_log WHERE target_id = $1 AND action = 'need.submitted'`, [id]);
    expect(audit?.actor_kind).toBe('guest');
  });

  it('limits how many needs one address posts (429 in French)', async () => {
    const anon = anonymous();
    let last: LightMyRequestResponse | null = null;
    for (let i = 0; i < 31; i++) last = await post('/besoins/deposer', anon, STEP1, '10.9.9.9');
    expect(last!.statusCode).toBe(429);
    expect(last!.body).toContain('Trop de tentatives');
    expect(last!.headers['retry-after']).toBeDefined();
  });
});

describe('attachments', () => {
  it('accepts a real PDF, refuses a renamed text file and a file over 10 MB, and shows them only to who may see the need', async () => {
    const id = await draftThroughStep5();
    const url = `/besoins/${id}/etape/5`;
    const ok = await multipart(buyer, url, [['questions', 'Vos références ?'], ['action', 'enregistrer']], [{ filename: 'cahier des charges.pdf', data: PDF }]);
    expect(ok.statusCode, ok.body.slice(0, 1000)).toBe(303);
    const rows = await db.query<{ id: string; file_path: string; original_name: string; content_type: string; size_bytes: number }>('SELECT * FROM need_attachments WHERE need_id = $1', [id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ original_name: 'cahier des charges.pdf', content_type: 'application/pdf', size_bytes: PDF.length });
    expect(rows[0].file_path).toMatch(/^needs\/[0-9a-f]{32}\.pdf$/);
    expect(fs.readFileSync(path.join(uploadDir, rows[0].file_path)).equals(PDF)).toBe(true);

    const renamed = await multipart(buyer, url, [['action', 'enregistrer']], [{ filename: 'faux.pdf', data: Buffer.from('Ceci est un simple texte, pas un PDF.\n') }]);
    expect(renamed.statusCode).toBe(415);
    expect(renamed.body).toContain('n’est pas un PDF ni un document de bureautique reconnu');
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x20);
    PDF.copy(big);
    const tooLarge = await multipart(buyer, url, [['action', 'enregistrer']], [{ filename: 'gros.pdf', data: big }]);
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.body).toContain('dépasse 10 Mo');
    const exact = Buffer.alloc(10 * 1024 * 1024, 0x20);
    PDF.copy(exact);
    expect((await multipart(buyer, url, [['action', 'enregistrer']], [{ filename: 'juste.pdf', data: exact }])).statusCode).toBe(303);
    expect((await db.query('SELECT 1 FROM need_attachments WHERE need_id = $1', [id])).length).toBe(2);

    // Download: the buyer side and the facilitators of the territory; nobody else, and never the public folder.
    const dl = `/besoins/${id}/pieces/${rows[0].id}`;
    const mine = await app.inject({ method: 'GET', url: dl, headers: { cookie: colleague.cookie } });
    expect(mine.statusCode).toBe(200);
    expect(mine.headers['content-type']).toBe('application/pdf');
    expect(String(mine.headers['content-disposition'])).toContain('attachment;');
    expect(mine.rawPayload.equals(PDF)).toBe(true);
    expect((await app.inject({ method: 'GET', url: dl, headers: { cookie: facilitator.cookie } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: dl, headers: { cookie: farFacilitator.cookie } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: dl, headers: { cookie: outsider.cookie } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: dl })).headers.location).toMatch(/^\/connexion/);
    expect((await app.inject({ method: 'GET', url: `/uploads/${rows[0].file_path}` })).statusCode).toBe(404);

    // At most 3; removing one frees a place.
    const two = await multipart(buyer, url, [['action', 'enregistrer']], [{ filename: 'a.pdf', data: PDF }, { filename: 'b.pdf', data: PDF }]);
    expect(two.statusCode).toBe(422);
    expect(two.body).toContain('au plus 3 fichiers');
    const removed = await multipart(buyer, url, [['action', `retirer:${rows[0].id}`]], []);
    expect(removed.statusCode).toBe(303);
    expect(fs.existsSync(path.join(uploadDir, rows[0].file_path))).toBe(false);
    expect((await app.inject({ method: 'GET', url: dl, headers: { cookie: buyer.cookie } })).statusCode).toBe(404);
  });

  it('recognises office files by their content', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Prix').addRow(['Article', 'Prix']);
    const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
    expect(detectAttachment(xlsx, 'bordereau.xlsx')?.ext).toBe('xlsx');
    expect(detectAttachment(xlsx, 'renomme.pdf')?.ext).toBe('xlsx');
    // An OpenDocument text: first entry "mimetype", stored.
    const mime = Buffer.from('application/vnd.oasis.opendocument.text');
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(0, 8);
    header.writeUInt32LE(mime.length, 18);
    header.writeUInt32LE(mime.length, 22);
    header.writeUInt16LE(8, 26);
    const odt = Buffer.concat([header, Buffer.from('mimetype'), mime]);
    expect(detectAttachment(odt, 'note.odt')?.ext).toBe('odt');
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]);
    expect(detectAttachment(ole, 'ancien.doc')?.ext).toBe('doc');
    expect(detectAttachment(ole, 'ancien.xls')?.ext).toBe('xls');
    expect(detectAttachment(ole, 'programme.exe')).toBeNull();
    // A ZIP that is not an office document, an image renamed .docx.
    const zipOnly = Buffer.concat([header.subarray(0, 4), Buffer.alloc(60)]);
    expect(detectAttachment(zipOnly, 'archive.docx')).toBeNull();
    expect(detectAttachment(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'image.docx')).toBeNull();
  });
});

describe('sector suggestion', () => {
  it('finds the sectors whose words are in the text, with French normalisation', async () => {
    const refs = await getReferentials(db);
    expect(suggestSectors(refs, 'Nettoyage des locaux de la mairie').map((s) => s.slug)).toContain('nettoyage-de-locaux-16');
    expect(suggestSectors(refs, 'CRÉATION et entretien d’ESPACES VERTS').map((s) => s.slug)[0]).toBe('creation-et-entretien-des-espaces-verts');
    expect(suggestSectors(refs, 'Réparation de vélos de service').map((s) => s.slug)).toContain('reparation-de-velos-14');
    expect(suggestSectors(refs, 'zzz qqq')).toEqual([]);
    expect(suggestSectors(refs, 'Autre chose').every((s) => !s.name.startsWith('Autre'))).toBe(true);
  });
});
