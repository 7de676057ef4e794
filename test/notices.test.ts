// The tender watch past the readers: idempotent import, filters (service, API, page), one notice with
// its evidence and the structures that fit, won contracts on a structure's profile, saved searches and
// who may touch them, the daily digest with a controlled clock (and its silence), the unsubscribe link,
// the scheduled fetch from a local HTTP server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../src/core/sql.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { fetchNoticesIfDue, safeUrl } from '../src/modules/notices/fetch.ts';
import { type Notice, type ReadItem, emptyPlaces } from '../src/modules/notices/model.ts';
import { importNotices, searchNotices } from '../src/modules/notices/service.ts';
import { DIGEST_EVERY_MS, runDigests } from '../src/modules/notices/watch.ts';
import { addMember, anonymous, createOrganisation, createPerson, deliveredMails, linkIn, postForm, type Session, signIn } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';
import { siret, structure } from './helpers/fixtures.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
let t: TestApp;

const DAY = 24 * 3600_000;
const FUTURE = new Date(Date.now() + 30 * DAY).toISOString();
const PAST = new Date(Date.now() - 30 * DAY).toISOString();

function notice(over: Partial<Notice> & { sourceId: string }): Notice {
  return {
    source: 'boamp',
    url: `https://www.boamp.fr/pages/avis/?q=idweb:${over.sourceId}`,
    buyer: { name: 'Ville de Roubaix', siret: '21590512800016' },
    title: 'Nettoyage des locaux de la mairie',
    description: 'Prestations de nettoyage des bureaux et des vitres.',
    procedure: 'Procédure adaptée',
    nature: 'contract',
    cpv: ['90919200'],
    places: { ...emptyPlaces(), departements: ['59'] },
    publishedAt: '2026-11-20',
    deadline: FUTURE,
    amount: 120000,
    lots: [],
    awards: [],
    fieldFindings: [],
    texts: [],
    raw: { idweb: over.sourceId },
    ...over,
  };
}

async function* items(list: (Notice | { error: string })[]): AsyncGenerator<ReadItem> {
  let i = 0;
  for (const x of list) {
    i++;
    if ('error' in x) yield { ok: false, position: `enregistrement ${i}`, code: 'NOTICE_JSON_INVALID', message: x.error };
    else yield { ok: true, position: `enregistrement ${i}`, notice: x };
  }
}

const RESERVED_EA = notice({
  sourceId: '26-00001',
  title: 'Entretien ménager des écoles, marché réservé',
  fieldFindings: [{ kind: 'reserved', value: 'handicap', lot: null, origin: 'field', path: 'CONDITION_PARTICIPATION.MARCHE_RESERVE_OUI.ATELIERS_PROTEGES', excerpt: '' }],
  texts: [{ path: 'OBJET.OBJET_COMPLET', lot: null, text: 'Le marché est réservé aux entreprises adaptées et aux ESAT en application de l’article L2113-12 du code de la commande publique.' }],
});
const CLAUSE = notice({
  sourceId: '26-00002',
  title: 'Travaux de voirie avec clause d’insertion',
  cpv: ['45233140'],
  places: { ...emptyPlaces(), departements: ['62'] },
  texts: [{ path: 'CONDITION_PARTICIPATION.CONDITION_PARTICULIERE_EXECUTION', lot: null, text: 'Une clause sociale d’insertion de 350 heures d’insertion est une condition d’exécution du marché.' }],
});
const ENV_CLOSED = notice({
  sourceId: '26-00003',
  title: 'Fourniture de papier recyclé',
  cpv: ['30197630'],
  deadline: PAST,
  publishedAt: '2026-10-01',
  fieldFindings: [{ kind: 'environmentalClause', value: 'environnementaux', lot: null, origin: 'field', path: 'GESTION.INDEXATION.CRITERES_SOCIAUX_ENV.ENVIRONNEMENTAUX', excerpt: '' }],
});

const EA = structure({ name: 'Atelier Adapté Roubaisien', kind: 'EA', communeCode: '59512', siret: siret(9001) });
const EI = structure({ name: 'Insertion Propreté Nord', kind: 'EI', communeCode: '59512', siret: siret(9002) });

let member: Session;
let colleague: Session;
let admin: Session;
let stranger: Session;
let structureOrg = '';

beforeAll(async () => {
  t = await createTestApp();
  const report = await importStructures(t.db, [EA, EI].map((input, i) => ({ line: i + 1, input })));
  expect(report.rejected).toEqual([]);
  structureOrg = await createOrganisation(t.db, { type: 'structure', name: EA.name, structureId: ((await t.db.one<{ id: string }>('SELECT id FROM structures WHERE siret = $1', [EA.siret])) as { id: string }).id });
  const m = await createPerson(t.db, { email: 'direction@atelier-adapte.example' });
  const c = await createPerson(t.db, { email: 'collegue@atelier-adapte.example' });
  const a = await createPerson(t.db, { email: 'admin@atelier-adapte.example' });
  const s = await createPerson(t.db, { email: 'quelquun@ailleurs.example' });
  await addMember(t.db, structureOrg, m.id, 'member');
  await addMember(t.db, structureOrg, c.id, 'member');
  await addMember(t.db, structureOrg, a.id, 'admin');
  member = await signIn(t.db, m.id);
  colleague = await signIn(t.db, c.id);
  admin = await signIn(t.db, a.id);
  stranger = await signIn(t.db, s.id);
});

afterAll(async () => {
  await t?.close();
});

describe('import', () => {
  it('writes each notice once, reports every unreadable record, and leaves an unchanged notice alone', async () => {
    const first = await importNotices(t.db, items([RESERVED_EA, { error: 'JSON invalide' }, CLAUSE, ENV_CLOSED]));
    expect(first).toMatchObject({ read: 4, inserted: 3, updated: 0, unchanged: 0 });
    expect(first.rejected).toEqual([{ position: 'enregistrement 2', code: 'NOTICE_JSON_INVALID', message: 'JSON invalide' }]);
    const again = await importNotices(t.db, items([RESERVED_EA, CLAUSE, ENV_CLOSED]));
    expect(again).toMatchObject({ read: 3, inserted: 0, updated: 0, unchanged: 3, rejected: [] });
    const changed = await importNotices(t.db, items([{ ...CLAUSE, title: 'Travaux de voirie (rectificatif)' }]));
    expect(changed).toMatchObject({ inserted: 0, updated: 1 });
    const rows = await t.db.query<{ source_id: string; title: string }>(sql`SELECT source_id, title FROM notices ORDER BY source_id`);
    expect(rows.map((r) => r.source_id)).toEqual(['26-00001', '26-00002', '26-00003']);
    expect(rows[1].title).toBe('Travaux de voirie (rectificatif)');
  });

  it('keeps the later of two copies of a notice in one file', async () => {
    const r = await importNotices(t.db, items([notice({ sourceId: '26-00009', title: 'Première version' }), notice({ sourceId: '26-00009', title: 'Seconde version' })]));
    expect(r.inserted).toBe(1);
    const row = await t.db.one<{ title: string; n: number }>(sql`SELECT min(title) AS title, count(*)::int AS n FROM notices WHERE source_id = '26-00009'`);
    expect(row).toEqual({ title: 'Seconde version', n: 1 });
    await t.db.query(sql`DELETE FROM notices WHERE source_id = '26-00009'`);
  });

  it('stores the classification with its evidence and the sectors of the CPV codes', async () => {
    const row = await t.db.one<{ reserved: string[]; social_clause: boolean; insertion_hours: number; sectors: string[]; classification: { findings: { origin: string; path: string }[] } }>(
      sql`SELECT reserved, social_clause, insertion_hours, sectors, classification FROM notices WHERE source_id = '26-00002'`,
    );
    expect(row?.social_clause).toBe(true);
    expect(Number(row?.insertion_hours)).toBe(350);
    expect(row?.classification.findings.some((f) => f.origin === 'text' && f.path === 'CONDITION_PARTICIPATION.CONDITION_PARTICULIERE_EXECUTION')).toBe(true);
    const ea = await t.db.one<{ reserved: string[]; sectors: string[] }>(sql`SELECT reserved, sectors FROM notices WHERE source_id = '26-00001'`);
    expect(ea?.reserved).toEqual(['handicap']);
    expect(ea?.sectors).toContain('nettoyage-de-locaux-16');
  });
});

describe('search', () => {
  const ids = async (f: Parameters<typeof searchNotices>[1]) => (await searchNotices(t.db, f)).items.map((n) => n.sourceId).sort();

  it('filters by family, clause, environment, département, sector, words, open and date', async () => {
    expect(await ids({ reserved: ['handicap'] })).toEqual(['26-00001']);
    expect(await ids({ reserved: ['any'] })).toEqual(['26-00001']);
    expect(await ids({ reserved: ['insertion'] })).toEqual([]);
    expect(await ids({ socialClause: true })).toEqual(['26-00002']);
    expect(await ids({ environmental: true })).toEqual(['26-00003']);
    expect(await ids({ departement: ['62'] })).toEqual(['26-00002']);
    expect(await ids({ sector: ['nettoyage-de-locaux-16'] })).toEqual(['26-00001']);
    expect(await ids({ q: 'écoles ménager' })).toEqual(['26-00001']);
    expect(await ids({ q: 'voirie' })).toEqual(['26-00002']);
    expect(await ids({ open: true })).toEqual(['26-00001', '26-00002']);
    expect(await ids({ since: '2026-11-01' })).toEqual(['26-00001', '26-00002']);
    expect(await ids({})).toEqual(['26-00001', '26-00002', '26-00003']);
  });

  it('answers the API with the same filters, and a 400 in French for a bad value', async () => {
    const res = await t.app.inject({ url: '/api/v1/notices?reserved=handicap&departement=59' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { total: number; items: { sourceId: string; reserved: string[] }[] };
    expect(body.total).toBe(1);
    expect(body.items[0]).toMatchObject({ sourceId: '26-00001', reserved: ['handicap'] });
    const bad = await t.app.inject({ url: '/api/v1/notices?departement=999' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_PARAMETERS');
    expect(bad.json().error.message).toMatch(/departement/);
  });

  it('shows the notices page with the filters and a 400 page for a bad date', async () => {
    const res = await t.app.inject({ url: '/appels-d-offres?reserve=handicap' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Entretien ménager des écoles');
    expect(res.body).not.toContain('Travaux de voirie');
    expect(res.body).toContain('1 avis');
    const bad = await t.app.inject({ url: '/appels-d-offres?depuis=hier' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('AAAA-MM-JJ');
  });
});

describe('one notice', () => {
  const idOf = async (sourceId: string) => Number((await t.db.one<{ id: number }>(sql`SELECT id FROM notices WHERE source_id = ${sourceId}`))!.id);

  it('gives its classification (the object of the classify command) and its raw record', async () => {
    const id = await idOf('26-00001');
    const c = (await t.app.inject({ url: `/api/v1/notices/${id}/classification` })).json();
    expect(c).toMatchObject({ source: 'boamp', id: '26-00001', reserved: ['handicap'], socialClause: false });
    expect(c.findings.some((f: { origin: string }) => f.origin === 'field')).toBe(true);
    expect((await t.app.inject({ url: `/api/v1/notices/${id}/raw` })).json()).toEqual({ raw: { idweb: '26-00001' } });
    expect((await t.app.inject({ url: '/api/v1/notices/999999' })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/v1/notices/abc' })).statusCode).toBe(404);
  });

  it('lists the structures that fit, with the reasons: the EA for a market reserved to handicap, not the EI', async () => {
    const id = await idOf('26-00001');
    const m = (await t.app.inject({ url: `/api/v1/notices/${id}/matches` })).json() as { items: { name: string; reasons: string[] }[] };
    const names = m.items.map((x) => x.name);
    expect(names).toContain(EA.name);
    expect(names).not.toContain(EI.name);
    expect(m.items.find((x) => x.name === EA.name)!.reasons.join(' ')).toMatch(/L2113-12/);
    const open = (await t.app.inject({ url: `/api/v1/notices/${await idOf('26-00002')}/matches` })).json() as { items: unknown[] };
    // Road works in the Pas-de-Calais: no cleaning structure of Roubaix for that.
    expect(open.items).toEqual([]);
  });

  it('shows the evidence on the page, the words that triggered it marked, and the structures that fit', async () => {
    const res = await t.app.inject({ url: `/appels-d-offres/${await idOf('26-00001')}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('CONDITION_PARTICIPATION.MARCHE_RESERVE_OUI.ATELIERS_PROTEGES');
    expect(res.body).toMatch(/<mark>/);
    expect(res.body).toContain(EA.name);
    expect((await t.app.inject({ url: '/appels-d-offres/424242' })).statusCode).toBe(404);
  });
});

describe('contracts won', () => {
  it('shows on the profile of the structure that holds them (by SIRET), and in the API', async () => {
    const award = notice({
      source: 'decp',
      sourceId: '21590512800016-2026-77',
      nature: 'award',
      title: 'Entretien des espaces verts du parc',
      deadline: null,
      awards: [{ lot: null, holders: [{ name: null, siret: EA.siret }], amount: 48000, date: '2026-09-15' }],
    });
    expect((await importNotices(t.db, items([award]))).inserted).toBe(1);
    const slug = (await t.db.one<{ slug: string }>(sql`SELECT slug FROM structures WHERE siret = ${EA.siret}`))!.slug;
    const page = await t.app.inject({ url: `/structures/${slug}` });
    expect(page.body).toContain('Marchés publics remportés');
    expect(page.body).toContain('Entretien des espaces verts du parc');
    const other = await t.app.inject({ url: `/structures/${(await t.db.one<{ slug: string }>(sql`SELECT slug FROM structures WHERE siret = ${EI.siret}`))!.slug}` });
    expect(other.body).not.toContain('Marchés publics remportés');
    const api = (await t.app.inject({ url: `/api/v1/awards?siret=${EA.siret}` })).json();
    expect(api).toMatchObject({ total: 1, items: [{ title: 'Entretien des espaces verts du parc', amount: 48000, awardedOn: '2026-09-15' }] });
    expect((await t.app.inject({ url: '/api/v1/awards?siret=123' })).statusCode).toBe(400);
  });
});

describe('saved searches', () => {
  const api = (s: Session, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: { ...s.headers, ...(payload ? { 'content-type': 'application/json' } : {}) }, payload: payload ? JSON.stringify(payload) : undefined });

  it('are created by a signed-in person, never anonymously nor with a token, with a message per bad criterion', async () => {
    expect((await api(anonymous(), 'POST', '/api/v1/notice-searches', { name: 'x', filters: {} })).statusCode).toBe(401);
    const bad = await api(member, 'POST', '/api/v1/notice-searches', { name: 'Nord', filters: { departement: ['Nord'] } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    expect(Object.keys(bad.json().error.details.fields)).toEqual(['departement.0']);
    const ok = await api(member, 'POST', '/api/v1/notice-searches', { name: 'Réservés handicap du Nord', filters: { reserved: ['handicap'], departement: ['59'] } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ name: 'Réservés handicap du Nord', organisationId: null, digest: true, filters: { reserved: ['handicap'], departement: ['59'] } });
  });

  it('are seen by their author, by members of their organisation, changed by the author or its administrators only', async () => {
    const own = (await api(member, 'POST', '/api/v1/notice-searches', { name: 'Personnelle', filters: { socialClause: true } })).json();
    const shared = (await api(member, 'POST', '/api/v1/notice-searches', { name: 'De la structure', organisationId: structureOrg, filters: { environmental: true } })).json();
    // Someone else: not even told it exists.
    expect((await api(stranger, 'GET', `/api/v1/notice-searches/${own.id}`)).statusCode).toBe(404);
    expect((await api(stranger, 'DELETE', `/api/v1/notice-searches/${shared.id}`)).statusCode).toBe(404);
    // A colleague sees the structure's search, not the personal one, and may not change it.
    expect((await api(colleague, 'GET', `/api/v1/notice-searches/${own.id}`)).statusCode).toBe(404);
    expect((await api(colleague, 'GET', `/api/v1/notice-searches/${shared.id}`)).statusCode).toBe(200);
    expect((await api(colleague, 'PATCH', `/api/v1/notice-searches/${shared.id}`, { name: 'Renommée' })).statusCode).toBe(403);
    const listed = (await api(colleague, 'GET', '/api/v1/notice-searches')).json().items.map((s: { name: string }) => s.name);
    expect(listed).toContain('De la structure');
    expect(listed).not.toContain('Personnelle');
    // The structure's administrator may.
    const renamed = await api(admin, 'PATCH', `/api/v1/notice-searches/${shared.id}`, { name: 'Renommée par l’administrateur' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().name).toBe('Renommée par l’administrateur');
    expect((await api(admin, 'DELETE', `/api/v1/notice-searches/${shared.id}`)).statusCode).toBe(204);
    expect((await api(member, 'GET', `/api/v1/notice-searches/${shared.id}`)).statusCode).toBe(404);
    // Nobody saves a search for an organisation they are not in.
    expect((await api(stranger, 'POST', '/api/v1/notice-searches', { name: 'Pirate', organisationId: structureOrg, filters: {} })).statusCode).toBe(403);
  });

  it('are created from the notices page and from a structure’s activities', async () => {
    const page = await t.app.inject({ url: '/appels-d-offres?reserve=handicap', headers: { cookie: member.cookie } });
    expect(page.body).toContain('Créer une veille avec ces critères');
    const res = await postForm(t.app, '/veilles', member, { filtres: 'reserve=handicap&departement=59', name: 'Depuis la page' });
    expect(res.statusCode).toBe(303);
    const id = res.headers.location!.split('/')[2].split('?')[0];
    const saved = await t.db.one<{ filters: unknown }>(sql`SELECT filters FROM notice_searches WHERE id = ${id}`);
    expect(saved?.filters).toEqual({ reserved: ['handicap'], departement: ['59'] });
    const fromStructure = await postForm(t.app, '/veilles', member, { structure: structureOrg });
    expect(fromStructure.statusCode).toBe(303);
    const preset = await t.db.one<{ filters: { sector: string[]; departement: string[]; open: boolean }; organisation_id: string }>(
      sql`SELECT filters, organisation_id FROM notice_searches WHERE id = ${fromStructure.headers.location!.split('/')[2].split('?')[0]}`,
    );
    expect(preset?.organisation_id).toBe(structureOrg);
    expect(preset?.filters.sector).toEqual(['nettoyage-de-locaux-16']);
    expect(preset?.filters.departement).toContain('59');
    expect(preset?.filters.open).toBe(true);
    // Someone outside the structure cannot.
    expect((await postForm(t.app, '/veilles', stranger, { structure: structureOrg })).statusCode).toBe(403);
    const anonymousPage = await t.app.inject({ url: '/veilles' });
    expect(anonymousPage.statusCode).toBe(303);
    expect(anonymousPage.headers.location).toMatch(/^\/connexion/);
  });
});

describe('daily digest', () => {
  // A clock in the future: the real hourly housekeeping (run when mails are delivered) never finds these due.
  const T0 = new Date(Date.now() + 100 * DAY);
  const at = (hours: number) => new Date(T0.getTime() + hours * 3600_000);
  let searchId = '';

  async function newNotice(sourceId: string, seenAt: Date, over: Partial<Notice> = {}) {
    await importNotices(t.db, items([notice({ sourceId, title: `Nettoyage ${sourceId}`, fieldFindings: RESERVED_EA.fieldFindings, ...over })]));
    await t.db.query(sql`UPDATE notices SET first_seen_at = ${seenAt.toISOString()} WHERE source_id = ${sourceId}`);
  }

  beforeAll(async () => {
    await t.db.query(sql`UPDATE notice_searches SET digest = false`);
    const person = await createPerson(t.db, { email: 'veille@atelier-adapte.example' });
    const row = await t.db.one<{ id: string }>(sql`
      INSERT INTO notice_searches (person_id, name, filters, last_digest_at) VALUES (${person.id}, 'Réservés du Nord', ${JSON.stringify({ reserved: ['handicap'], departement: ['59'] })}::text::jsonb, ${T0.toISOString()}) RETURNING id`);
    searchId = row!.id;
  });

  const mailsTo = async (since: number) => (await deliveredMails(t.platform, since)).filter((m) => m.to_address === 'veille@atelier-adapte.example');
  const lastMailId = async () => Number((await t.db.one<{ id: number }>(sql`SELECT coalesce(max(id), 0) AS id FROM mail_outbox`))!.id);

  it('sends once a day the new notices that match, with an unsubscribe link, and nothing when nothing is new', async () => {
    await newNotice('26-10001', at(2));
    await newNotice('26-10002', at(3), { places: { ...emptyPlaces(), departements: ['75'] } }); // not in the Nord
    const before = await lastMailId();
    expect(await runDigests(t.platform, at(12))).toBe(0); // not a day yet
    expect(await runDigests(t.platform, at(24))).toBe(1);
    const mails = await mailsTo(before);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toBe('Veille « Réservés du Nord » : 1 nouvel avis');
    expect(mails[0].text_body).toContain('Nettoyage 26-10001');
    expect(mails[0].text_body).not.toContain('Nettoyage 26-10002');
    expect(mails[0].text_body).toContain(`/veilles/${searchId}/desabonnement?jeton=`);
    // The next day, nothing new: nothing is sent, but the window moves on.
    const quiet = await lastMailId();
    expect(await runDigests(t.platform, at(48))).toBe(0);
    expect(await mailsTo(quiet)).toEqual([]);
    const last = await t.db.one<{ last_digest_at: Date }>(sql`SELECT last_digest_at FROM notice_searches WHERE id = ${searchId}`);
    expect(new Date(last!.last_digest_at).toISOString()).toBe(at(48).toISOString());
  });

  it('never sends the same digest twice when two processes run it at once', async () => {
    await newNotice('26-10003', at(50));
    const results = await Promise.all([runDigests(t.platform, at(72)), runDigests(t.platform, at(72))]);
    expect(results[0] + results[1]).toBe(1);
  });

  it('unsubscribes through the link without signing in, after a click (opening the link changes nothing)', async () => {
    await newNotice('26-10004', at(80));
    const before = await lastMailId();
    expect(await runDigests(t.platform, at(96))).toBe(1);
    const [mail] = await mailsTo(before);
    const link = linkIn(mail.text_body, `/veilles/${searchId}/desabonnement`);
    const opened = await t.app.inject({ url: link });
    expect(opened.statusCode).toBe(200);
    expect(opened.body).toContain('Me désabonner');
    expect((await t.db.one<{ digest: boolean }>(sql`SELECT digest FROM notice_searches WHERE id = ${searchId}`))?.digest).toBe(true);
    const token = new URL(link, 'http://x').searchParams.get('jeton')!;
    const visitor = anonymous();
    const tampered = await postForm(t.app, `/veilles/${searchId}/desabonnement`, visitor, { jeton: `${token}x` });
    expect(tampered.statusCode).toBe(400);
    const done = await postForm(t.app, `/veilles/${searchId}/desabonnement`, visitor, { jeton: token });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Vous êtes désabonné');
    expect((await t.db.one<{ digest: boolean }>(sql`SELECT digest FROM notice_searches WHERE id = ${searchId}`))?.digest).toBe(false);
    // Another search's link does not work for this one.
    expect((await t.app.inject({ url: `/veilles/00000000-0000-4000-8000-000000000000/desabonnement?jeton=${token}` })).statusCode).toBe(400);
    // And no more digest.
    await newNotice('26-10005', at(100));
    expect(await runDigests(t.platform, at(130))).toBe(0);
  });

  it('is due only a day after the last one', () => {
    expect(DIGEST_EVERY_MS).toBe(DAY);
  });
});

describe('scheduled fetch', () => {
  it('keeps the error of a failed fetch, and tries again after the period', async () => {
    const server = http.createServer((_req, res) => {
      res.statusCode = 503;
      res.end('indisponible');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const p = { ...t.platform, config: { ...t.platform.config, noticesFetchUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/avis.json`, noticesFetchFormat: 'boamp', noticesFetchHours: 24 } };
      const now = new Date(Date.now() - 400 * DAY);
      await expect(fetchNoticesIfDue(p, { now })).rejects.toThrow('réponse HTTP 503');
      const run = await t.db.one<{ error: string; finished_at: Date | null }>(sql`SELECT error, finished_at FROM notice_fetches ORDER BY id DESC LIMIT 1`);
      expect(run?.error).toBe('réponse HTTP 503');
      expect(run?.finished_at).not.toBeNull();
      // Within the period nothing is tried again; after it, it is.
      expect(await fetchNoticesIfDue(p, { now: new Date(now.getTime() + 3600_000) })).toBeNull();
      await expect(fetchNoticesIfDue(p, { now: new Date(now.getTime() + 25 * 3600_000) })).rejects.toThrow('réponse HTTP 503');
    } finally {
      server.close();
    }
  });

  it('fetches nothing without an address, then imports what the address serves once per period', async () => {
    expect(await fetchNoticesIfDue(t.platform)).toBeNull();
    const decp = { marches: { marche: [{ id: '2026F001', acheteur: { id: '21590512800016' }, nature: 'Marché', objet: 'Collecte et recyclage de papier de bureau', codeCPV: '90500000', procedure: 'Procédure adaptée', lieuExecution: { code: '59', typeCode: 'Code département' }, dureeMois: 12, dateNotification: '2026-10-01', datePublicationDonnees: '2026-10-05', montant: 30000, titulaires: [{ titulaire: { typeIdentifiant: 'SIRET', id: EI.siret } }], considerationsSociales: { considerationSociale: ['Marché réservé'] }, considerationsEnvironnementales: { considerationEnvironnementale: ['Pas de considération environnementale'] } }] } };
    let served = 0;
    let authorization = '';
    const server = http.createServer((req, res) => {
      served++;
      authorization = req.headers.authorization ?? '';
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(decp));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://robot:secret@127.0.0.1:${(server.address() as AddressInfo).port}/decp.json`;
      const p = { ...t.platform, config: { ...t.platform.config, noticesFetchUrl: url, noticesFetchFormat: 'decp', noticesFetchHours: 24 } };
      const now = new Date();
      const report = await fetchNoticesIfDue(p, { now });
      expect(report).toMatchObject({ read: 1, inserted: 1, rejected: [] });
      expect(await fetchNoticesIfDue(p, { now: new Date(now.getTime() + 3600_000) })).toBeNull();
      expect(served).toBe(1);
      expect(authorization).toBe(`Basic ${Buffer.from('robot:secret').toString('base64')}`);
      const run = await t.db.one<{ url: string; report: { inserted: number } }>(sql`SELECT url, report FROM notice_fetches ORDER BY id DESC LIMIT 1`);
      expect(run?.url).not.toContain('secret');
      expect(run?.report.inserted).toBe(1);
      expect(safeUrl(url)).toBe(`http://127.0.0.1:${(server.address() as AddressInfo).port}/decp.json`);
      const row = await t.db.one<{ reserved: string[] }>(sql`SELECT reserved FROM notices WHERE source = 'decp' AND title = 'Collecte et recyclage de papier de bureau'`);
      expect(row?.reserved).toEqual(['unspecified']);
    } finally {
      server.close();
    }
  });
});
