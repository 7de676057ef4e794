// The tender watch's journey in Chromium: the notices page → filter on a reserved family → one notice with
// its evidence and the structure that fits, with its reasons; then, signed in, save the filters as a
// saved search, see it among the searches, receive its daily digest and unsubscribe through the mail's
// link. axe-core on every page of the way.
// Skipped when no Chromium is available (scripts/test.js sets CHROMIUM_PATH when it finds one).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/sql.ts';
import { importStructures } from '../../src/modules/directory/service.ts';
import { readNotices } from '../../src/modules/notices/formats/read.ts';
import { importNotices } from '../../src/modules/notices/service.ts';
import { runDigests } from '../../src/modules/notices/watch.ts';
import { addMember, createOrganisation, createPerson, deliveredMails, signIn } from '../helpers/accounts.ts';
import { createTestApp } from '../helpers/app.ts';
import { expectNoAxeViolations, launchChromium, watchPage } from '../helpers/browser.ts';
import { siret, structure } from '../helpers/fixtures.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;

const DAY = 24 * 3600_000;
// The fixture's notice reserved to protected workshops (L2113-12), for green spaces in the Nord and the
// Pas-de-Calais, with structured fields and sentences as evidence.
const RESERVED_TITLE = 'Entretien des espaces verts communaux';
const STRUCTURE_NAME = 'Les Jardins Adaptés de Lille';
const EMAIL = 'direction@jardins-adaptes.example';

describe.skipIf(!process.env.CHROMIUM_PATH)('browser journey of the tender watch', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let cookie = '';
  const problems: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    // Notices through the real readers: the BOAMP open-data fixtures and the DECP samples (not reserved).
    const boamp = await importNotices(t.db, readNotices('boamp', 'test/fixtures/notices/boamp.jsonl'));
    expect(boamp.rejected).toEqual([]);
    await importNotices(t.db, readNotices('decp', 'data/procurement/decp'));
    const report = await importStructures(t.db, [
      {
        line: 1,
        input: structure({
          siret: siret(601),
          name: STRUCTURE_NAME,
          kind: 'EA',
          communeCode: '59350',
          publicEmail: 'contact@jardins-adaptes.example',
          activities: [{ sector: 'creation-et-entretien-des-espaces-verts', serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 30 } }],
        }),
      },
    ]);
    expect(report.rejected).toEqual([]);
    const s = (await t.db.one<{ id: string }>(sql`SELECT id FROM structures WHERE siret = ${siret(601)}`)) as { id: string };
    const org = await createOrganisation(t.db, { type: 'structure', structureId: s.id, name: STRUCTURE_NAME });
    const person = await createPerson(t.db, { email: EMAIL, name: 'Dana Jardin' });
    await addMember(t.db, org, person.id, 'admin');
    cookie = (await signIn(t.db, person.id)).cookie;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no server address');
    base = `http://127.0.0.1:${address.port}`;
    t.platform.config.publicUrl = base;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function pageAs(signedIn: boolean): Promise<Page> {
    const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
    if (signedIn) await context.addCookies(cookie.split('; ').map((c) => ({ name: c.split('=')[0], value: c.split('=')[1], url: base })));
    return watchPage(await context.newPage(), base, problems);
  }

  const mainText = async (page: Page) => (await page.locator('main').textContent()) ?? '';
  const cardTitles = (page: Page) => page.locator('main .fr-card__title').allTextContents();

  it('filters on a reserved family and shows a notice with its evidence and the structure that fits', async () => {
    const page = await pageAs(false);
    await page.goto(`${base}/appels-d-offres`);
    await expectNoAxeViolations(page, 'notices list');
    const everything = await cardTitles(page);
    expect(everything).toContain(RESERVED_TITLE);
    expect(everything).toContain('Restauration scolaire : fourniture de repas en liaison froide');

    // Reserved to handicap only.
    await page.getByLabel('Réservé handicap (L2113-12)', { exact: true }).check({ force: true });
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.waitForURL(/reserve=handicap/);
    await expect(page.getByLabel('Réservé handicap (L2113-12)', { exact: true }).isChecked()).resolves.toBe(true);
    const reserved = await cardTitles(page);
    expect(reserved.map((x) => x.trim())).toEqual([RESERVED_TITLE]);
    // Every card shown carries the family's badge.
    const cards = page.locator('main .fr-card');
    await expect(cards.count()).resolves.toBe(1);
    await expect(cards.first().textContent()).resolves.toContain('Réservé handicap (L2113-12)');
    await expect(page.getByRole('heading', { name: '1 avis', level: 2 }).count()).resolves.toBe(1);
    // A visitor is asked to sign in to save the search.
    expect(await mainText(page)).toContain('Connectez-vous');
    await expectNoAxeViolations(page, 'notices reserved to handicap');

    // The notice.
    await page.getByRole('link', { name: RESERVED_TITLE }).click();
    await page.waitForURL(/\/appels-d-offres\/\d+$/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(RESERVED_TITLE);
    const main = await mainText(page);
    // Evidence: a structured field with its value, and a sentence with the triggering words marked.
    expect(main).toContain('Ce que l’avis dit, et où');
    expect(main).toContain('CONDITION_PARTICIPATION.MARCHE_RESERVE_OUI.ATELIERS_PROTEGES');
    expect(main).toContain('Réservé handicap (L2113-12)');
    const marks = (await page.locator('main blockquote mark').allTextContents()).map((m) => m.toLowerCase());
    expect(marks).toContain("clause sociale d'insertion");
    // Its lots, and the structure that fits with the reasons of the matching module.
    expect(main).toContain('Tonte et désherbage des parcs');
    const matches = page.locator('main ol.pa-matches > li');
    await expect(matches.count()).resolves.toBe(1);
    await expect(matches.first().getByRole('link').textContent()).resolves.toBe(STRUCTURE_NAME);
    const reasons = (await matches.first().locator('ul li').allTextContents()).join(' | ');
    expect(reasons).toMatch(/éligible au marché réservé L2113-12/);
    await expectNoAxeViolations(page, 'reserved notice');
    await page.context().close();
    expect(problems).toEqual([]);
  });

  it('saves the filters as a search, lists it, mails its digest and unsubscribes through the link', async () => {
    const page = await pageAs(true);
    await page.goto(`${base}/appels-d-offres`);
    await page.getByLabel('Réservé handicap (L2113-12)', { exact: true }).check({ force: true });
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.waitForURL(/reserve=handicap/);
    await expectNoAxeViolations(page, 'filtered notices, signed in');

    // Save the filters.
    await page.getByRole('button', { name: 'Créer une veille avec ces critères' }).click();
    await page.waitForURL(/\/veilles\/[0-9a-f-]{36}\?enregistree=1$/);
    const searchId = /\/veilles\/([0-9a-f-]{36})/.exec(page.url())?.[1] as string;
    expect(await mainText(page)).toContain('Veille enregistrée');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Veille « Réservé handicap (L2113-12) »');
    await expect(page.locator('#digest').isChecked()).resolves.toBe(true);
    await expectNoAxeViolations(page, 'saved search');
    const saved = await t.db.one<{ filters: unknown; digest: boolean }>(sql`SELECT filters, digest FROM notice_searches WHERE id = ${searchId}`);
    expect(saved).toEqual({ filters: { reserved: ['handicap'] }, digest: true });

    // Rename it.
    await page.getByLabel('Nom de la veille').fill('Espaces verts réservés');
    await page.getByRole('button', { name: 'Enregistrer', exact: true }).click();
    await page.waitForURL(/enregistree=1$/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Veille « Espaces verts réservés »');
    await expectNoAxeViolations(page, 'saved search renamed');

    // Among the person's searches, with the button for the structure's own search.
    await page.getByRole('link', { name: 'Mes veilles' }).first().click();
    await page.waitForURL(/\/veilles$/);
    await expect(page.getByRole('link', { name: 'Espaces verts réservés' }).count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: `Créer la veille de ${STRUCTURE_NAME}` }).count()).resolves.toBe(1);
    await expectNoAxeViolations(page, 'saved searches');

    // A day later, the digest of the notices first seen since the last one (a clock in the future, so
    // that the real housekeeping never finds this search due).
    const t0 = new Date(Date.now() + 100 * DAY);
    await t.db.query(sql`UPDATE notice_searches SET last_digest_at = ${t0.toISOString()} WHERE id = ${searchId}`);
    await t.db.query(sql`UPDATE notices SET first_seen_at = ${new Date(t0.getTime() + 3600_000).toISOString()} WHERE title = ${RESERVED_TITLE}`);
    const before = Number((await t.db.one<{ id: number }>(sql`SELECT coalesce(max(id), 0) AS id FROM mail_outbox`))?.id ?? 0);
    expect(await runDigests(t.platform, new Date(t0.getTime() + DAY + 3600_000))).toBe(1);
    const mails = (await deliveredMails(t.platform, before)).filter((m) => m.to_address === EMAIL);
    expect(mails.map((m) => m.subject)).toEqual(['Veille « Espaces verts réservés » : 1 nouvel avis']);
    expect(mails[0].text_body).toContain(RESERVED_TITLE);
    const link = new RegExp(`${base.replace(/[.:/]/g, '\\$&')}/veilles/${searchId}/desabonnement\\?jeton=[^\\s]+`).exec(mails[0].text_body)?.[0];
    expect(link, 'unsubscribe link in the mail').toBeTruthy();
    await page.context().close();

    // The link, opened without signing in: a button, then the confirmation.
    const visitor = await pageAs(false);
    await visitor.goto(link as string);
    await expect(visitor.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Se désabonner d’une veille');
    await expectNoAxeViolations(visitor, 'unsubscribe page');
    // Opening the link changed nothing.
    expect((await t.db.one<{ digest: boolean }>(sql`SELECT digest FROM notice_searches WHERE id = ${searchId}`))?.digest).toBe(true);
    await visitor.getByRole('button', { name: 'Me désabonner' }).click();
    await expect(visitor.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Vous êtes désabonné');
    expect(await mainText(visitor)).toContain('Vous ne recevrez plus le courriel quotidien de cette veille.');
    await expectNoAxeViolations(visitor, 'unsubscribed');
    expect((await t.db.one<{ digest: boolean }>(sql`SELECT digest FROM notice_searches WHERE id = ${searchId}`))?.digest).toBe(false);
    await visitor.context().close();

    expect(problems).toEqual([]);
  });
});
