// The buyer follows a need: answers by status with filters and pagination, a groupement as one answer,
// public contacts only, CSV and XLSX exports, reminders (only those without answer, two at most, not too
// early, enforced in SQL) and who may do each of it.
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKey, verify } from '../src/core/signing.ts';
import { randomToken, sha256 } from '../src/core/tokens.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { sendReminder } from '../src/modules/needs/follow-up.ts';
import { addMember, anonymous, createOrganisation, createPerson, deliveredMails, linkIn, postForm, type Session, signIn } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';
import { structure } from './helpers/fixtures.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
let t: TestApp;

const NET = 'nettoyage-de-locaux-16';
const act = [{ sector: NET, serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 30 } }] as never;
const S = {
  alpha: structure({ name: 'Alpha Propreté', kind: 'EI', communeCode: '59350', publicEmail: 'contact@alpha.example', privateContact: { email: 'secret@alpha.example', name: 'Privé', phone: '0600000000' }, activities: act }),
  bravo: structure({ name: 'Bravo Adapté', kind: 'EA', communeCode: '59350', publicEmail: 'contact@bravo.example', activities: act }),
  charlie: structure({ name: 'Charlie Chantier', kind: 'ACI', communeCode: '59350', publicEmail: 'contact@charlie.example', activities: act }),
  delta: structure({ name: 'Delta Services', kind: 'ESAT', communeCode: '80021', publicEmail: 'contact@delta.example', activities: act }),
  echo: structure({ name: 'Echo Mandataire', kind: 'EI', communeCode: '59350', publicEmail: 'contact@echo.example', activities: act }),
  foxtrot: structure({ name: 'Foxtrot Co-traitant', kind: 'EA', communeCode: '59350', publicEmail: 'contact@foxtrot.example', activities: act }),
  golf: structure({ name: 'Golf Invitée', kind: 'AI', communeCode: '59350', activities: act }),
  hotel: structure({ name: 'Hotel Pas Encore', kind: 'EI', communeCode: '59350', activities: act }),
};
const id = {} as Record<keyof typeof S, string>;
let needId = '';
let buyerOrg = '';
let buyerPersonId = '';
let buyer: Session;
let otherBuyer: Session;
let structureMember: Session;
let facilitatorNord: Session;
let facilitatorSomme: Session;
let platformAdmin: Session;
let consortiumId = '';

const DAY = 24 * 3600 * 1000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

async function createNeed(o: { status?: string; sentDaysAgo?: number | null; deadline?: string | null; title?: string; org?: string } = {}): Promise<string> {
  const r = await t.db.one<{ id: string }>(
    `INSERT INTO needs (reference, status, kind, title, description, place_kind, place_commune, answer_deadline, buyer_organisation_id,
       contact_name, contact_email, buyer_name, questions, submitted_at, validated_at, first_sent_at, last_sent_at, sectors, service_types)
     VALUES ('B-2026-' || lpad(nextval('needs_reference_seq')::text, 5, '0'), $1, 'QUOTE', $2, 'Nettoyage de bureaux', 'commune', '59350', $3, $4,
       'Claude Acheteuse', 'claude@acheteur.example', 'Ville de Lille', $5::jsonb, now() - interval '10 days', now() - interval '9 days', $6, $6,
       ARRAY['${NET}'], ARRAY['PREST'])
     RETURNING id`,
    [o.status ?? 'sending', o.title ?? 'Nettoyage des écoles', o.deadline === undefined ? inDays(20) : o.deadline, o.org ?? buyerOrg, JSON.stringify([{ id: 'q1', text: 'Combien de personnes pouvez-vous mobiliser ?' }]), o.sentDaysAgo == null ? null : ago(o.sentDaysAgo)],
  );
  return (r as { id: string }).id;
}

async function recipient(need: string, s: keyof typeof S, f: Record<string, string | number | null | object> = {}) {
  await t.db.query(
    `INSERT INTO need_recipients (need_id, structure_id, score, reasons, sent_at, opened_at, viewed_at, interested_at, not_interested_at, not_interested_reason, partners_at, answers)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12::jsonb)`,
    [
      need, id[s], f.score ?? 70, JSON.stringify(f.reasons ?? ['Activité Nettoyage de locaux, prestation de service, intervient dans un rayon de 30 km : le lieu est à 0 km']),
      f.sent === undefined ? ago(5) : f.sent, f.opened ?? null, f.viewed ?? null, f.interested ?? null, f.notInterested ?? null, f.reason ?? null, f.partners ?? null, JSON.stringify(f.answers ?? {}),
    ],
  );
}

beforeAll(async () => {
  t = await createTestApp();
  const report = await importStructures(t.db, Object.values(S).map((input, i) => ({ line: i + 1, input })));
  expect(report.rejected).toEqual([]);
  for (const k of Object.keys(S) as (keyof typeof S)[]) id[k] = ((await t.db.one<{ id: string }>('SELECT id FROM structures WHERE name = $1', [S[k].name])) as { id: string }).id;

  buyerOrg = await createOrganisation(t.db, { type: 'buyer', name: 'Ville de Lille', category: 'public_collectivite' });
  const b = await createPerson(t.db, { email: 'acheteuse@lille.example' });
  await addMember(t.db, buyerOrg, b.id, 'member');
  buyer = await signIn(t.db, b.id);
  buyerPersonId = b.id;
  const otherOrg = await createOrganisation(t.db, { type: 'buyer', name: 'Autre acheteur', category: 'public_autre' });
  const o = await createPerson(t.db, { email: 'autre@acheteur.example' });
  await addMember(t.db, otherOrg, o.id, 'admin');
  otherBuyer = await signIn(t.db, o.id);
  const alphaOrg = await createOrganisation(t.db, { type: 'structure', structureId: id.alpha });
  const m = await createPerson(t.db, { email: 'membre@alpha.example' });
  await addMember(t.db, alphaOrg, m.id, 'admin');
  structureMember = await signIn(t.db, m.id);
  for (const [dep, set] of [
    ['D59', (s: Session) => (facilitatorNord = s)],
    ['D80', (s: Session) => (facilitatorSomme = s)],
  ] as const) {
    const org = await createOrganisation(t.db, { type: 'facilitator', territoryKeys: [dep], verified: true, category: 'clauses_sociales' });
    const f = await createPerson(t.db, { email: `facilitateur.${dep.toLowerCase()}@clauses.example` });
    await addMember(t.db, org, f.id, 'admin');
    set(await signIn(t.db, f.id));
  }
  const platformOrg = await createOrganisation(t.db, { type: 'platform', name: 'Plateforme' });
  const a = await createPerson(t.db, { email: 'admin@plateforme.example' });
  await addMember(t.db, platformOrg, a.id, 'admin');
  platformAdmin = await signIn(t.db, a.id);

  needId = await createNeed({ sentDaysAgo: 5 });
  await recipient(needId, 'alpha', { interested: ago(3), viewed: ago(4), answers: { q1: 'Dix personnes' }, score: 90 });
  await recipient(needId, 'bravo', { notInterested: ago(3), reason: 'Pas disponible à ces dates', score: 80 });
  await recipient(needId, 'charlie', { viewed: ago(2), opened: ago(2), score: 60 });
  await recipient(needId, 'delta', { score: 40 });
  await recipient(needId, 'echo', { interested: ago(2), answers: { q1: 'Quinze avec nos co-traitants' }, score: 85 });
  await recipient(needId, 'foxtrot', { partners: ago(2), score: 75 });
  await recipient(needId, 'hotel', { sent: null, score: 30 });
  const c = await t.db.one<{ id: string }>(`INSERT INTO consortia (need_id, lead_structure_id, note) VALUES ($1, $2, 'Groupement pour le lot 1') RETURNING id`, [needId, id.echo]);
  consortiumId = (c as { id: string }).id;
  for (const [s, role, status] of [
    ['echo', 'lead', 'accepted'],
    ['foxtrot', 'member', 'accepted'],
    ['golf', 'member', 'invited'],
  ] as const) {
    await t.db.query(`INSERT INTO consortium_members (consortium_id, need_id, structure_id, role, status) VALUES ($1, $2, $3, $4, $5)`, [consortiumId, needId, id[s], role, status]);
  }
});
afterAll(async () => {
  await t?.close();
});

const get = (s: Session | null, url: string) => t.app.inject({ url, headers: s ? { cookie: s.cookie } : {} });
const api = async (s: Session | null, url: string) => {
  const r = await t.app.inject({ url, headers: s?.headers ?? {} });
  return { status: r.statusCode, body: r.json() };
};
const namesOf = (items: { type: string; name?: string; lead?: { name: string } }[]) => items.map((a) => (a.type === 'consortium' ? `G:${a.lead?.name}` : a.name));

describe('answers by status', () => {
  it('lists every answer, the groupement first and as one answer with its members', async () => {
    const { status, body } = await api(buyer, `/api/v1/needs/${needId}/answers`);
    expect(status).toBe(200);
    expect(body.total).toBe(6);
    // Echo (lead) and Foxtrot (accepted) answer through the groupement; Golf is only invited.
    expect(namesOf(body.items)).toEqual(['G:Echo Mandataire', 'Alpha Propreté', 'Charlie Chantier', 'Delta Services', 'Hotel Pas Encore', 'Bravo Adapté']);
    const g = body.items[0];
    expect(g.members.map((m: { name: string; status: string }) => `${m.name}:${m.status}`)).toEqual(['Foxtrot Co-traitant:accepted', 'Golf Invitée:invited']);
    expect(g.answers).toEqual([{ questionId: 'q1', question: 'Combien de personnes pouvez-vous mobiliser ?', answer: 'Quinze avec nos co-traitants' }]);
    const alpha = body.items[1];
    expect(alpha.status).toBe('interested');
    expect(alpha.reasons[0]).toMatch(/rayon de 30 km/);
    expect(alpha.distanceKm).toBe(0);
    expect(alpha.answers[0].answer).toBe('Dix personnes');
    expect(alpha.sentAt).not.toBeNull();
    expect(body.counts).toEqual({ all: 6, interested: 2, not_interested: 1, partners: 0, viewed: 1, no_answer: 2 });
  });

  it('filters by tab, kind and département, and paginates', async () => {
    const tab = async (q: string) => namesOf((await api(buyer, `/api/v1/needs/${needId}/answers?${q}`)).body.items);
    expect(await tab('status=interested')).toEqual(['G:Echo Mandataire', 'Alpha Propreté']);
    expect(await tab('status=not_interested')).toEqual(['Bravo Adapté']);
    expect(await tab('status=viewed')).toEqual(['Charlie Chantier']);
    expect(await tab('status=no_answer')).toEqual(['Charlie Chantier', 'Delta Services']);
    expect(await tab('kind=EA')).toEqual(['Bravo Adapté']);
    expect(await tab('kind=EI')).toEqual(['G:Echo Mandataire', 'Alpha Propreté', 'Hotel Pas Encore']);
    expect(await tab('department=80')).toEqual(['Delta Services']);
    const p2 = (await api(buyer, `/api/v1/needs/${needId}/answers?perPage=2&page=2`)).body;
    expect(p2).toMatchObject({ total: 6, page: 2, perPage: 2 });
    expect(namesOf(p2.items)).toEqual(['Charlie Chantier', 'Delta Services']);
    expect((await api(buyer, `/api/v1/needs/${needId}/answers?status=nope`)).status).toBe(400);
  });

  it('shows the page with tabs, reasons, the groupement, public contacts only', async () => {
    const r = await get(buyer, `/besoins/${needId}/reponses`);
    expect(r.statusCode).toBe(200);
    const body = r.body;
    expect(body).toContain('Groupement mené par');
    expect(body).toContain('Foxtrot Co-traitant');
    expect(body).toContain('href="/structures/');
    expect(body).toContain('rayon de 30 km');
    expect(body).toContain('Pas disponible à ces dates');
    expect(body).toContain('contact@alpha.example');
    expect(body).not.toContain('secret@alpha.example');
    expect(body).toContain('<caption>');
    expect(body).toContain('Intéressées (2)');
    const filtered = await get(buyer, `/besoins/${needId}/reponses?statut=not_interested`);
    expect(filtered.body).toContain('Bravo Adapté');
    expect(filtered.body).not.toContain('Alpha Propreté</a>');
    expect((await get(buyer, `/besoins/${needId}/reponses?departement=zz`)).statusCode).toBe(400);
  });
});

describe('exports', () => {
  it('CSV: UTF-8 with BOM, ";" separator, French header, same filters, no private contact', async () => {
    const r = await get(buyer, `/besoins/${needId}/reponses.csv`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/csv/);
    const ref = (await t.db.one<{ reference: string }>('SELECT reference FROM needs WHERE id = $1', [needId]))?.reference;
    expect(r.headers['content-disposition']).toContain(`reponses-${ref}.csv`);
    expect(r.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows: string[][] = parse(r.rawPayload, { delimiter: ';', bom: true });
    expect(rows[0].slice(0, 7)).toEqual(['Réponse', 'Structure', 'SIRET', 'Type', 'Commune', 'Département', 'Statut']);
    expect(rows[0].at(-1)).toBe('Question 1 : Combien de personnes pouvez-vous mobiliser ?');
    expect(rows.length).toBe(7);
    const alpha = rows.find((x) => x[1] === 'Alpha Propreté') as string[];
    const col = (name: string) => rows[0].indexOf(name);
    expect(alpha[col('SIRET')]).toBe(S.alpha.siret);
    expect(alpha[col('Statut')]).toBe('Intéressée');
    expect(alpha[col('Courriel public')]).toBe('contact@alpha.example');
    expect(alpha[col('Score')]).toBe('90');
    expect(alpha.at(-1)).toBe('Dix personnes');
    const group = rows.find((x) => x[0] === 'Groupement') as string[];
    expect(group[1]).toBe('Echo Mandataire');
    expect(group[col('Membres du groupement')]).toContain('Foxtrot Co-traitant');
    expect(rows.find((x) => x[1] === 'Bravo Adapté')?.[col('Motif')]).toBe('Pas disponible à ces dates');
    expect(r.body).not.toContain('secret@alpha.example');
    const only: string[][] = parse((await get(buyer, `/besoins/${needId}/reponses.csv?statut=interested`)).rawPayload, { delimiter: ';', bom: true });
    expect(only.slice(1).map((x) => x[1])).toEqual(['Echo Mandataire', 'Alpha Propreté']);
  });

  it('XLSX opens with exceljs and holds the same rows', async () => {
    const r = await get(buyer, `/besoins/${needId}/reponses.xlsx?type=EA`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('spreadsheetml');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(r.rawPayload as never);
    const sheet = book.getWorksheet('Réponses');
    expect(sheet?.rowCount).toBe(2);
    expect(sheet?.getRow(1).getCell(2).value).toBe('Structure');
    expect(sheet?.getRow(2).getCell(2).value).toBe('Bravo Adapté');
    expect(sheet?.getRow(2).getCell(16).value).toBe(80);
  });
});

describe('authorisation of the follow-up', () => {
  it('buyer, facilitator of the territory and platform read; others are refused', async () => {
    for (const url of [`/besoins/${needId}/reponses`, `/besoins/${needId}/reponses.csv`, `/besoins/${needId}/reponses.xlsx`]) {
      expect((await get(buyer, url)).statusCode).toBe(200);
      expect((await get(facilitatorNord, url)).statusCode).toBe(200);
      expect((await get(platformAdmin, url)).statusCode).toBe(200);
      expect((await get(facilitatorSomme, url)).statusCode).toBe(403);
      expect((await get(otherBuyer, url)).statusCode).toBe(403);
      expect((await get(structureMember, url)).statusCode).toBe(403);
      const anon = await get(null, url);
      expect(anon.statusCode).toBe(303);
      expect(anon.headers.location).toMatch(/^\/connexion\?retour=/);
    }
    expect((await api(null, `/api/v1/needs/${needId}/answers`)).status).toBe(401);
    expect((await api(otherBuyer, `/api/v1/needs/${needId}/answers`)).status).toBe(403);
    expect((await api(facilitatorNord, `/api/v1/needs/${needId}/answers`)).status).toBe(200);
    expect((await api(buyer, `/api/v1/needs/00000000-0000-4000-8000-000000000000/answers`)).status).toBe(404);
  });

  it('facilitators read only: no reminder button, reminder refused', async () => {
    const page = await get(facilitatorNord, `/besoins/${needId}/reponses`);
    expect(page.body).toContain('Consultation seule');
    expect(page.body).not.toContain(`action="/besoins/${needId}/relance"`);
    const r = await t.app.inject({ method: 'POST', url: `/api/v1/needs/${needId}/reminders`, headers: facilitatorNord.headers });
    expect(r.statusCode).toBe(403);
    expect((await postForm(t.app, `/besoins/${needId}/relance`, platformAdmin, {})).statusCode).toBe(403);
    expect((await postForm(t.app, `/besoins/${needId}/relance`, otherBuyer, {})).statusCode).toBe(403);
    expect((await postForm(t.app, `/besoins/${needId}/relance`, anonymous(), {})).statusCode).toBe(401);
  });
});

describe('reminders', () => {
  it('reminds only the contacted structures without answer, with their signed link, at most twice, not too early', async () => {
    const since = (await t.db.one<{ n: number }>('SELECT coalesce(max(id), 0)::int AS n FROM mail_outbox'))?.n ?? 0;
    const r = await postForm(t.app, `/besoins/${needId}/relance`, buyer, {});
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe(`/besoins/${needId}/reponses?message=relance`);
    const mails = await deliveredMails(t.platform, since);
    // Charlie (viewed), Delta (sent) and Foxtrot (looking for partners) said neither yes nor no; Hotel was never sent.
    expect(mails.map((m) => m.to_address).sort()).toEqual(['contact@charlie.example', 'contact@delta.example', 'contact@foxtrot.example']);
    const charlie = mails.find((m) => m.to_address === 'contact@charlie.example');
    expect(charlie?.subject).toMatch(/^Relance/);
    const link = linkIn(charlie?.text_body as string, `/besoins/${needId}/structure/${id.charlie}`);
    const jeton = new URL(link, 'http://x').searchParams.get('jeton') as string;
    expect(verify(await signingKey(t.db), 'need-recipient', `${needId}:${id.charlie}`, jeton).ok).toBe(true);
    const counts = await t.db.query<{ name: string; reminder_count: number }>(
      'SELECT s.name, r.reminder_count FROM need_recipients r JOIN structures s ON s.id = r.structure_id WHERE r.need_id = $1 ORDER BY s.name',
      [needId],
    );
    expect(Object.fromEntries(counts.map((c) => [c.name, c.reminder_count]))).toEqual({
      'Alpha Propreté': 0, 'Bravo Adapté': 0, 'Charlie Chantier': 1, 'Delta Services': 1, 'Echo Mandataire': 0, 'Foxtrot Co-traitant': 1, 'Hotel Pas Encore': 0,
    });

    // Too early for the second one: 409 with a French message (page and API).
    const again = await postForm(t.app, `/besoins/${needId}/relance`, buyer, {});
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('Une relance a été envoyée récemment');
    const apiAgain = await t.app.inject({ method: 'POST', url: `/api/v1/needs/${needId}/reminders`, headers: buyer.headers });
    expect(apiAgain.statusCode).toBe(409);
    expect(apiAgain.json().error.code).toBe('REMINDER_NOT_ALLOWED');
    expect(apiAgain.json().error.details.notBefore).toBeTruthy();

    // Three days later: the second one goes, through the API.
    await t.db.query(`UPDATE needs SET last_reminder_at = last_reminder_at - interval '3 days' WHERE id = $1`, [needId]);
    await t.db.query(`UPDATE need_recipients SET last_reminded_at = last_reminded_at - interval '3 days' WHERE need_id = $1`, [needId]);
    const second = await t.app.inject({ method: 'POST', url: `/api/v1/needs/${needId}/reminders`, headers: buyer.headers });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ reminded: 3, remindersSent: 2 });

    // A third one never, even later.
    await t.db.query(`UPDATE needs SET last_reminder_at = last_reminder_at - interval '3 days' WHERE id = $1`, [needId]);
    const third = await postForm(t.app, `/besoins/${needId}/relance`, buyer, {});
    expect(third.statusCode).toBe(409);
    expect(third.body).toContain('Les 2 relances possibles ont déjà été envoyées');
    // The database refuses a third one too.
    await expect(t.db.query('UPDATE needs SET reminders_sent = 3 WHERE id = $1', [needId])).rejects.toThrow();
    const audited = await t.db.query(`SELECT action FROM audit_log WHERE target_id = $1 AND action = 'need.reminded'`, [needId]);
    expect(audited.length).toBe(2);
  });

  it('refuses a reminder before the structures had 2 days to answer, and on a need not sent', async () => {
    const fresh = await createNeed({ sentDaysAgo: 1, title: 'Envoyé hier' });
    await recipient(fresh, 'delta', { sent: ago(1) });
    const r = await postForm(t.app, `/besoins/${fresh}/relance`, buyer, {});
    expect(r.statusCode).toBe(409);
    expect(r.body).toContain('2 jours pour répondre');
    // With a controlled clock, three days later it goes.
    const later = await sendReminder(t.platform, { person: { id: buyerPersonId, email: '', name: '', emailConfirmedAt: null }, memberships: [{ organisationId: buyerOrg, organisationName: '', type: 'buyer', role: 'member', structureId: null, territoryKeys: [], verified: true }], token: null }, fresh, new Date(Date.now() + 3 * DAY));
    expect(later).toEqual({ reminded: 1, remindersSent: 1 });
    const draft = await createNeed({ status: 'validated', sentDaysAgo: null, title: 'Pas envoyé' });
    const d = await t.app.inject({ method: 'POST', url: `/api/v1/needs/${draft}/reminders`, headers: buyer.headers });
    expect(d.statusCode).toBe(409);
    expect(d.json().error.message).toContain('n’a encore été envoyé');
  });

  it('works with an API token of the buyer organisation (write scope), not a read one', async () => {
    const n = await createNeed({ sentDaysAgo: 5, title: 'Par l’API' });
    await recipient(n, 'charlie', {});
    const token = async (scopes: string[]) => {
      const v = `pas_${randomToken()}`;
      await t.db.query(`INSERT INTO api_tokens (organisation_id, name, token_hash, prefix, scopes, expires_at) VALUES ($1, 'SI achats', $2, $3, $4, now() + interval '30 days')`, [buyerOrg, sha256(v), v.slice(0, 8), scopes]);
      return { authorization: `Bearer ${v}` };
    };
    const read = await token(['read']);
    expect((await t.app.inject({ url: `/api/v1/needs/${n}/answers`, headers: read })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/needs/${n}/reminders`, headers: read })).statusCode).toBe(403);
    const write = await token(['read', 'write']);
    const r = await t.app.inject({ method: 'POST', url: `/api/v1/needs/${n}/reminders`, headers: write });
    expect(r.statusCode).toBe(200);
    expect(r.json().reminded).toBe(1);
  });
});

describe('API documentation', () => {
  it('documents the follow-up routes under « Besoins d’achat »', async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    for (const [path, method] of [
      ['/api/v1/needs/{id}/answers', 'get'],
      ['/api/v1/needs/{id}/reminders', 'post'],
      ['/api/v1/needs/{id}/outcome', 'post'],
      ['/api/v1/needs/impact', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method]?.tags, `${method} ${path}`).toEqual(['Besoins d’achat']);
    }
  });
});
