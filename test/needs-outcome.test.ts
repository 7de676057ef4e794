// The outcome of a need: the hourly question after the deadline (controlled clock), the signed link
// (right, tampered, expired, another need's), the signed-in buyer, the API, the audit; and the public
// impact figures computed from a fixture (demo and draft needs left out, no personal data).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHousekeeping } from '../src/core/jobs.ts';
import { signingKey } from '../src/core/signing.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { askOutcomes, outcomeToken } from '../src/modules/needs/outcome.ts';
import { addMember, anonymous, createOrganisation, createPerson, deliveredMails, linkIn, postForm, type Session, signIn } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';
import { structure } from './helpers/fixtures.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
let t: TestApp;

const DAY = 24 * 3600 * 1000;
// The real clock: the jobs' hourly housekeeping (run by deliveredMails) asks with it too.
const NOW = new Date();
// Days are French calendar days.
const PARIS_TODAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(NOW);
const day = (offset: number) => new Date(Date.parse(`${PARIS_TODAY}T12:00:00Z`) + offset * DAY).toISOString().slice(0, 10);

const S = {
  alpha: structure({ name: 'Alpha Propreté', kind: 'EI', communeCode: '59350' }),
  bravo: structure({ name: 'Bravo Adapté', kind: 'EA', communeCode: '59350' }),
  charlie: structure({ name: 'Charlie Muet', kind: 'ACI', communeCode: '59350' }),
};
const id = {} as Record<keyof typeof S, string>;
let buyerOrg = '';
let buyer: Session;
let otherBuyer: Session;
let consortiumId = '';

async function createNeed(o: { deadline?: string | null; sent?: boolean; status?: string; place?: { kind: string; commune?: string | null; keys?: string[] }; demo?: boolean; awarded?: string | null; amount?: number | null; toStructure?: string | null; submitted?: boolean } = {}): Promise<string> {
  const place = o.place ?? { kind: 'commune', commune: '59350' };
  const r = await t.db.one<{ id: string }>(
    `INSERT INTO needs (reference, status, kind, title, place_kind, place_commune, place_keys, answer_deadline, buyer_organisation_id,
       contact_name, contact_email, buyer_name, submitted_at, first_sent_at, is_demo, outcome_awarded, outcome_amount, outcome_structure_id)
     VALUES ('B-2026-' || lpad(nextval('needs_reference_seq')::text, 5, '0'), $1, 'TENDER', 'Entretien des espaces', $2, $3, $4, $5, $6,
       'Claude Acheteuse', 'claude@acheteur.example', 'Ville de Lille', CASE WHEN $7 THEN $8::timestamptz END, CASE WHEN $9 THEN $8::timestamptz END, $10, $11, $12, $13)
     RETURNING id`,
    [
      o.status ?? 'sending', place.kind, place.commune ?? null, place.keys ?? [], o.deadline === undefined ? day(-3) : o.deadline, buyerOrg,
      o.submitted ?? true, new Date(NOW.getTime() - 20 * DAY).toISOString(), o.sent ?? true, o.demo ?? false, o.awarded ?? null, o.amount ?? null, o.toStructure ?? null,
    ],
  );
  return (r as { id: string }).id;
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
  const otherOrg = await createOrganisation(t.db, { type: 'buyer', name: 'Autre acheteur', category: 'public_autre' });
  const o = await createPerson(t.db, { email: 'autre@acheteur.example' });
  await addMember(t.db, otherOrg, o.id, 'admin');
  otherBuyer = await signIn(t.db, o.id);
});
afterAll(async () => {
  await t?.close();
});

async function withAnswers(needId: string) {
  await t.db.query(`INSERT INTO need_recipients (need_id, structure_id, sent_at, interested_at) VALUES ($1, $2, now(), now())`, [needId, id.alpha]);
  await t.db.query(`INSERT INTO need_recipients (need_id, structure_id, sent_at, interested_at) VALUES ($1, $2, now(), now())`, [needId, id.bravo]);
  await t.db.query(`INSERT INTO need_recipients (need_id, structure_id, sent_at) VALUES ($1, $2, now())`, [needId, id.charlie]);
  const c = await t.db.one<{ id: string }>(`INSERT INTO consortia (need_id, lead_structure_id) VALUES ($1, $2) RETURNING id`, [needId, id.bravo]);
  consortiumId = (c as { id: string }).id;
  await t.db.query(`INSERT INTO consortium_members (consortium_id, need_id, structure_id, role, status) VALUES ($1, $2, $3, 'lead', 'accepted')`, [consortiumId, needId, id.bravo]);
}

describe('the outcome question', () => {
  let due = '';
  let link = '';

  it('is mailed once, the second day after the deadline, for needs that were sent', async () => {
    due = await createNeed({ deadline: day(-2) });
    await withAnswers(due);
    const yesterday = await createNeed({ deadline: day(-1) });
    const notSent = await createNeed({ deadline: day(-5), sent: false, status: 'validated' });
    const demo = await createNeed({ deadline: day(-5), demo: true });
    const since = (await t.db.one<{ n: number }>('SELECT coalesce(max(id), 0)::int AS n FROM mail_outbox'))?.n ?? 0;
    expect(await askOutcomes(t.platform, NOW)).toBe(1);
    expect(await askOutcomes(t.platform, NOW)).toBe(0);
    const mails = await deliveredMails(t.platform, since);
    expect(mails.length).toBe(1);
    expect(mails[0].to_address).toBe('claude@acheteur.example');
    expect(mails[0].subject).toContain('a-t-il abouti');
    link = linkIn(mails[0].text_body, `/besoins/${due}/resultat`);
    const asked = await t.db.query<{ id: string; asked: boolean }>(`SELECT id, outcome_asked_at IS NOT NULL AS asked FROM needs WHERE id = ANY($1::uuid[])`, [[due, yesterday, notSent, demo]]);
    expect(Object.fromEntries(asked.map((r) => [r.id, r.asked]))).toEqual({ [due]: true, [yesterday]: false, [notSent]: false, [demo]: false });
    // A day later, yesterday's need is due.
    expect(await askOutcomes(t.platform, new Date(NOW.getTime() + DAY))).toBe(1);
    // The hourly housekeeping runs it (with the real clock: every need here is long past its deadline).
    await runHousekeeping(t.platform);
    expect((await t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM needs WHERE outcome_asked_at IS NULL AND first_sent_at IS NOT NULL AND NOT is_demo AND status IN ('sending', 'closed')`))?.n).toBe(0);
  });

  it('opens with the signed link, without signing in, and offers the interested structures and groupements', async () => {
    const r = await t.app.inject({ url: link });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('Le marché a-t-il été attribué ?');
    expect(r.body).toContain('Alpha Propreté');
    expect(r.body).toContain('Groupement mené par Bravo Adapté');
    expect(r.body).toContain('Une autre structure');
    expect(r.body).not.toContain('Charlie Muet');
    expect(r.body).toContain('<legend');
  });

  it('refuses a tampered link (403), another need’s link (403) and an expired one (410), in French', async () => {
    const jeton = new URL(link, 'http://x').searchParams.get('jeton') as string;
    const tampered = await t.app.inject({ url: `/besoins/${due}/resultat?jeton=${jeton.slice(0, -2)}xx` });
    expect(tampered.statusCode).toBe(403);
    expect(tampered.body).toContain('Ce lien n’est pas valide');
    const other = await createNeed({});
    expect((await t.app.inject({ url: `/besoins/${other}/resultat?jeton=${jeton}` })).statusCode).toBe(403);
    const key = await signingKey(t.db);
    const old = outcomeToken(key, due, new Date(Date.now() - 91 * DAY));
    const expired = await t.app.inject({ url: `/besoins/${due}/resultat?jeton=${old}` });
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('Ce lien a expiré');
    const s = anonymous();
    const post = await postForm(t.app, `/besoins/${due}/resultat`, s, { jeton: old, attribue: 'yes' });
    expect(post.statusCode).toBe(410);
    const forged = await postForm(t.app, `/besoins/${due}/resultat`, s, { jeton: 'abc.def', attribue: 'yes' });
    expect(forged.statusCode).toBe(403);
  });

  it('records the answer, checks it, can be answered again, and is audited', async () => {
    const jeton = new URL(link, 'http://x').searchParams.get('jeton') as string;
    const s = anonymous();
    const bad = await postForm(t.app, `/besoins/${due}/resultat`, s, { jeton, attribue: 'yes', attributaire: `s:${id.alpha}`, montant: 'beaucoup' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Le montant doit être un nombre positif');
    const notInterested = await postForm(t.app, `/besoins/${due}/resultat`, s, { jeton, attribue: 'yes', attributaire: `s:${id.charlie}` });
    expect(notInterested.statusCode).toBe(422);
    expect(notInterested.body).toContain('ne s’est pas dite intéressée');
    const ok = await postForm(t.app, `/besoins/${due}/resultat`, s, { jeton, attribue: 'yes', attributaire: `s:${id.alpha}`, montant: '12 500,50' });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('le résultat est enregistré');
    let row = await t.db.one<Record<string, unknown>>('SELECT outcome_awarded, outcome_structure_id, outcome_consortium_id, outcome_amount, outcome_answered_at FROM needs WHERE id = $1', [due]);
    expect(row).toMatchObject({ outcome_awarded: 'yes', outcome_structure_id: id.alpha, outcome_consortium_id: null, outcome_amount: 12500.5 });
    // Again: to the groupement.
    const again = await postForm(t.app, `/besoins/${due}/resultat`, s, { jeton, attribue: 'yes', attributaire: `c:${consortiumId}`, montant: '20000' });
    expect(again.statusCode).toBe(200);
    row = await t.db.one<Record<string, unknown>>('SELECT outcome_structure_id, outcome_consortium_id, outcome_amount FROM needs WHERE id = $1', [due]);
    expect(row).toMatchObject({ outcome_structure_id: null, outcome_consortium_id: consortiumId, outcome_amount: 20000 });
    const audit = await t.db.query<{ action: string; actor_kind: string; after: { consortiumId: string } }>(`SELECT action, actor_kind, after FROM audit_log WHERE target_id = $1 ORDER BY id`, [due]);
    expect(audit.map((a) => a.action)).toEqual(['need.outcome_given', 'need.outcome_updated']);
    expect(audit[1].actor_kind).toBe('signed_link');
    expect(audit[1].after.consortiumId).toBe(consortiumId);
    // The form shows the saved answer.
    const form = await t.app.inject({ url: link });
    expect(form.body).toContain('Vous avez déjà répondu');
    expect(form.body).toMatch(new RegExp(`value="c:${consortiumId}" checked`));
  });

  it('the signed-in buyer answers without the link; others cannot', async () => {
    const page = await t.app.inject({ url: `/besoins/${due}/resultat`, headers: { cookie: buyer.cookie } });
    expect(page.statusCode).toBe(200);
    expect((await t.app.inject({ url: `/besoins/${due}/resultat`, headers: { cookie: otherBuyer.cookie } })).statusCode).toBe(403);
    const anon = await t.app.inject({ url: `/besoins/${due}/resultat` });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toMatch(/^\/connexion/);
    expect((await postForm(t.app, `/besoins/${due}/resultat`, anonymous(), { attribue: 'no' })).statusCode).toBe(401);
    expect((await postForm(t.app, `/besoins/${due}/resultat`, otherBuyer, { attribue: 'no' })).statusCode).toBe(403);
    const r = await postForm(t.app, `/besoins/${due}/resultat`, buyer, { attribue: 'not_yet' });
    expect(r.statusCode).toBe(200);
    const row = await t.db.one<Record<string, unknown>>('SELECT outcome_awarded, outcome_consortium_id, outcome_amount FROM needs WHERE id = $1', [due]);
    expect(row).toMatchObject({ outcome_awarded: 'not_yet', outcome_consortium_id: null, outcome_amount: null });
  });

  it('through the API: the buyer, not another organisation nor anonymous', async () => {
    const url = `/api/v1/needs/${due}/outcome`;
    const ok = await t.app.inject({ method: 'POST', url, headers: buyer.headers, payload: { awarded: 'yes', structureId: id.alpha, amount: 8000 } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ awarded: 'yes', structureId: id.alpha, consortiumId: null, amount: 8000 });
    expect((await t.app.inject({ method: 'POST', url, headers: otherBuyer.headers, payload: { awarded: 'no' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url, payload: { awarded: 'no' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url, headers: buyer.headers, payload: { awarded: 'maybe' } })).statusCode).toBe(400);
    const notSent = await createNeed({ sent: false, status: 'validated' });
    const r = await t.app.inject({ method: 'POST', url: `/api/v1/needs/${notSent}/outcome`, headers: buyer.headers, payload: { awarded: 'no' } });
    expect(r.statusCode).toBe(409);
  });
});

describe('impact figures', () => {
  it('counts by région and by département of the operator’s région, without demo or draft needs, and without personal data', async () => {
    // Start from a clean slate for the figures.
    await t.db.query('DELETE FROM needs');
    const nord1 = await createNeed({ awarded: 'yes', amount: 10000, toStructure: id.alpha });
    await t.db.query(`INSERT INTO need_recipients (need_id, structure_id, sent_at, interested_at) VALUES ($1, $2, now(), now())`, [nord1, id.alpha]);
    await createNeed({ awarded: 'yes', amount: 5000 }); // awarded to another structure: a contract, no inclusive amount
    await createNeed({ sent: false, status: 'submitted' });
    const somme = await createNeed({ place: { kind: 'commune', commune: '80021' }, awarded: 'no' });
    await t.db.query(`INSERT INTO need_recipients (need_id, structure_id, sent_at, interested_at) VALUES ($1, $2, now(), now())`, [somme, id.bravo]);
    await createNeed({ place: { kind: 'territories', keys: ['D62', 'D75'] }, awarded: 'yes', amount: 3000, toStructure: id.bravo });
    await createNeed({ place: { kind: 'country' } });
    await createNeed({ demo: true, awarded: 'yes', amount: 99999, toStructure: id.alpha });
    await createNeed({ status: 'draft', submitted: false, sent: false });

    const r = await t.app.inject({ url: '/api/v1/needs/impact' });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.national).toEqual({ posted: 6, sent: 5, withInterest: 2, contracts: 3, amountAwarded: 13000 });
    const region = (code: string) => body.regions.find((x: { code: string }) => x.code === code);
    expect(region('32')).toMatchObject({ name: 'Hauts-de-France', posted: 5, sent: 4, withInterest: 2, contracts: 3, amountAwarded: 13000 });
    expect(region('11')).toMatchObject({ name: 'Île-de-France', posted: 1, contracts: 1, amountAwarded: 3000 });
    expect(body.region).toEqual({ code: '32', name: 'Hauts-de-France' });
    const dep = (code: string) => body.departments.find((x: { code: string }) => x.code === code);
    expect(body.departments.map((d: { code: string }) => d.code)).toEqual(['02', '59', '60', '62', '80']);
    expect(dep('59')).toMatchObject({ posted: 3, sent: 2, withInterest: 1, contracts: 2, amountAwarded: 10000 });
    expect(dep('80')).toMatchObject({ posted: 1, sent: 1, withInterest: 1, contracts: 0, amountAwarded: 0 });
    expect(dep('62')).toMatchObject({ posted: 1, contracts: 1, amountAwarded: 3000 });
    expect(dep('02')).toMatchObject({ posted: 0 });

    const page = await t.app.inject({ url: '/besoins/impact' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<caption>Besoins d’achat par région</caption>');
    expect(page.body).toContain('<caption>Besoins d’achat par département – Hauts-de-France</caption>');
    expect(page.body).toContain('<th scope="row">Nord (59)</th>');
    expect(page.body).not.toContain('claude@acheteur.example');
    expect(page.body).not.toContain('Ville de Lille');
    expect(page.body).not.toContain('Claude Acheteuse');
  });
});
