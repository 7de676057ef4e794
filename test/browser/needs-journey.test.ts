// A need's journey in Chromium: a buyer posts a need → a facilitator of the Nord validates it → the sending
// job mails the structure through a real local SMTP server → the structure opens its personal link and says
// it is interested → the buyer sees the answer with the match reasons. axe-core on every page of the way.
// Skipped when no Chromium is available (scripts/test.js sets CHROMIUM_PATH when it finds one).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReadyJobs } from '../../src/core/jobs.ts';
import { importStructures } from '../../src/modules/directory/service.ts';
import { addMember, createOrganisation, createPerson, signIn } from '../helpers/accounts.ts';
import { createTestApp } from '../helpers/app.ts';
import { expectNoAxeViolations, launchChromium, watchPage } from '../helpers/browser.ts';
import { siret, structure } from '../helpers/fixtures.ts';
import { startSmtp, type TestSmtp } from '../helpers/smtp.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;

describe.skipIf(!process.env.CHROMIUM_PATH)('browser journey of a purchasing need', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let browser: Browser;
  let base = '';
  const problems: string[] = [];
  const cookies: Record<'buyer' | 'facilitator', string> = { buyer: '', facilitator: '' };

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await createTestApp({ SMTP_URL: smtp.url });
    const report = await importStructures(t.db, [
      {
        line: 1,
        input: structure({
          siret: siret(501),
          name: 'Propreté Solidaire du Nord',
          kind: 'EI',
          communeCode: '59350',
          publicEmail: 'contact@proprete-solidaire.example',
          activities: [{ sector: 'nettoyage-de-locaux-16', serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 30 } }],
        }),
      },
    ]);
    expect(report.rejected).toEqual([]);
    const buyerOrg = await createOrganisation(t.db, { type: 'buyer', name: 'Ville de Lille', category: 'public_collectivite' });
    const buyer = await createPerson(t.db, { email: 'acheteuse@ville-lille.example', name: 'Alix Acheteuse' });
    await addMember(t.db, buyerOrg, buyer.id, 'admin');
    const facilitatorOrg = await createOrganisation(t.db, { type: 'facilitator', name: 'Clauses sociales du Nord', territoryKeys: ['D59'], category: 'clauses_sociales' });
    const facilitator = await createPerson(t.db, { email: 'facilitateur@clauses-nord.example', name: 'Félix Facilitateur' });
    await addMember(t.db, facilitatorOrg, facilitator.id, 'admin');
    cookies.buyer = (await signIn(t.db, buyer.id)).cookie;
    cookies.facilitator = (await signIn(t.db, facilitator.id)).cookie;
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
    await smtp?.close();
  });

  async function pageAs(cookie: string | null): Promise<Page> {
    const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
    if (cookie) await context.addCookies(cookie.split('; ').map((c) => ({ name: c.split('=')[0], value: c.split('=')[1], url: base })));
    return watchPage(await context.newPage(), base, problems);
  }

  const next = (page: Page) => page.getByRole('button', { name: 'Enregistrer et continuer' }).click();

  it('posts, validates, sends by mail, answers through the link and shows the answer to the buyer', async () => {
    // The buyer posts the need, step by step.
    const buyer = await pageAs(cookies.buyer);
    await buyer.goto(`${base}/besoins`);
    await expectNoAxeViolations(buyer, 'needs home');
    await buyer.getByRole('link', { name: 'Déposer un besoin' }).first().click();
    await expectNoAxeViolations(buyer, 'step 1');
    await buyer.getByLabel(/Demande de devis/).check({ force: true });
    await buyer.getByLabel('Titre du besoin').fill('Nettoyage des locaux de la mairie annexe');
    await buyer.getByLabel('Description').fill('Nettoyage quotidien de 800 m² de bureaux et des sanitaires, du lundi au vendredi.');
    await next(buyer);
    await expectNoAxeViolations(buyer, 'step 2');
    await buyer.locator('input[name="placeKind"][value="commune"]').check({ force: true });
    await buyer.locator('#champ-commune').fill('59350');
    const deadline = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    await buyer.locator('#champ-answerDeadline').fill(deadline);
    await next(buyer);
    await expectNoAxeViolations(buyer, 'step 3');
    // Sectors are suggested from the text: cleaning is among them, already ticked.
    await expect(buyer.locator('input[name="sectors"][value="nettoyage-de-locaux-16"]').first().isChecked()).resolves.toBe(true);
    await next(buyer);
    await expectNoAxeViolations(buyer, 'step 4');
    await next(buyer);
    await expectNoAxeViolations(buyer, 'step 5');
    await next(buyer);
    await expectNoAxeViolations(buyer, 'step 6');
    await buyer.locator('#champ-contactPhone').fill('03 20 00 00 00');
    await buyer.getByRole('button', { name: 'Envoyer mon besoin' }).click();
    await expectNoAxeViolations(buyer, 'need submitted');
    const needId = /\/besoins\/([0-9a-f-]{36})/.exec(buyer.url())?.[1] as string;
    expect(needId).toBeTruthy();

    // The facilitator of the Nord validates it, after seeing the matches.
    const facilitator = await pageAs(cookies.facilitator);
    await facilitator.goto(`${base}/admin/besoins`);
    await expectNoAxeViolations(facilitator, 'qualification queue');
    await facilitator.goto(`${base}/admin/besoins/${needId}`);
    await expect(facilitator.locator('main').textContent()).resolves.toContain('Propreté Solidaire du Nord');
    await expectNoAxeViolations(facilitator, 'qualification page');
    await facilitator.getByLabel(/Valider le besoin/).check({ force: true });
    await facilitator.getByRole('button', { name: 'Enregistrer la décision' }).click();
    await expectNoAxeViolations(facilitator, 'qualification done');

    // The sending job mails the structure through the SMTP server, with its personal link.
    for (let i = 0; i < 5 && !smtp.received.some((m) => m.rcpt.includes('contact@proprete-solidaire.example')); i++) await runReadyJobs(t.platform);
    const mail = smtp.received.find((m) => m.rcpt.includes('contact@proprete-solidaire.example'));
    expect(mail, 'mail to the structure').toBeTruthy();
    const body = (mail?.raw ?? '').replace(/=\r\n/g, '').replace(/=3D/g, '=');
    const link = new RegExp(`${base.replace(/[.:/]/g, '\\$&')}/besoins/${needId}/structure/[0-9a-f-]{36}\\?jeton=[A-Za-z0-9._-]+`).exec(body)?.[0];
    expect(link, 'personal link in the mail').toBeTruthy();

    // The structure opens it without an account and says it is interested.
    const structurePage = await pageAs(null);
    await structurePage.goto(link as string);
    await expect(structurePage.locator('main').textContent()).resolves.toContain('Nettoyage des locaux de la mairie annexe');
    await expect(structurePage.locator('main').textContent()).resolves.not.toContain('acheteuse@ville-lille.example');
    await expectNoAxeViolations(structurePage, 'structure link');
    await structurePage.getByRole('button', { name: 'Nous sommes intéressés' }).click();
    await expect(structurePage.locator('main').textContent()).resolves.toContain('acheteuse@ville-lille.example');
    await expectNoAxeViolations(structurePage, 'structure interested');

    // The buyer sees the answer with the reasons of the match.
    await buyer.goto(`${base}/besoins/${needId}/reponses`);
    const main = (await buyer.locator('main').textContent()) ?? '';
    expect(main).toContain('Propreté Solidaire du Nord');
    expect(main).toContain('Intéressée');
    expect(main).toMatch(/rayon de 30 km/);
    await expectNoAxeViolations(buyer, 'answers');
    expect(problems).toEqual([]);
  });
});
