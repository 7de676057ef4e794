// A structure's journey in Chromium: sign up → confirm by mail (/dev/mails) → claim its structure →
// edit an activity → the change shows in search; axe-core on every page of the way.
// Skipped when no Chromium is available (scripts/test.js sets CHROMIUM_PATH when it finds one).
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobRunner, type JobRunner } from '../../src/core/jobs.ts';
import { importStructures } from '../../src/modules/directory/service.ts';
import { createTestApp } from '../helpers/app.ts';
import { expectNoAxeViolations, launchChromium, watchPage } from '../helpers/browser.ts';
import { siret, structure } from '../helpers/fixtures.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;

describe.skipIf(!process.env.CHROMIUM_PATH)('browser journey of a structure', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let runner: JobRunner;
  let base = '';
  const problems: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    const report = await importStructures(t.db, [
      {
        line: 1,
        input: structure({
          siret: siret(301),
          name: 'Recyclerie du Val',
          kind: 'ACI',
          communeCode: '59350',
          website: 'https://www.recyclerie-du-val.fr',
          activities: [{ sector: 'nettoyage-de-locaux-16', serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 10 } }],
        }),
      },
    ]);
    expect(report.rejected).toEqual([]);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no server address');
    base = `http://127.0.0.1:${address.port}`;
    t.platform.config.publicUrl = base;
    runner = startJobRunner(t.platform, { pollMs: 100 });
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await runner?.stop();
    await browser?.close();
    await t?.close();
  });

  const open = async (page: Page) => watchPage(page, base, problems);

  /** Opens the newest message to the address in /dev/mails and follows its first link to the path. */
  async function followMailLink(page: Page, to: string, path: string) {
    for (let i = 0; i < 50; i++) {
      await page.goto(`${base}/dev/mails`);
      const row = page.locator('tr', { hasText: to }).first();
      if ((await row.count()) > 0) break;
      await page.waitForTimeout(100);
    }
    await expectNoAxeViolations(page, '/dev/mails');
    await page.locator('tr', { hasText: to }).first().locator('a').first().click();
    await expectNoAxeViolations(page, '/dev/mails/:id');
    await page.locator(`a[href*="${path}"]`).first().click();
  }

  it('signs up, confirms by mail, claims its structure, edits an activity and finds it in search', async () => {
    const page = await open(await context.newPage());
    const email = 'direction@recyclerie-du-val.fr';

    // Sign up.
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'Se connecter' }).first().click();
    await expectNoAxeViolations(page, 'sign-in');
    await page.getByRole('link', { name: 'Créer un compte' }).click();
    await expectNoAxeViolations(page, 'sign-up');
    await page.getByLabel('Prénom et nom').fill('Dominique Val');
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe').fill('trop court');
    await page.getByRole('button', { name: 'Créer mon compte' }).click();
    await expect(page.locator('.fr-error-text').first().textContent()).resolves.toContain('au moins 12 caractères');
    await expectNoAxeViolations(page, 'sign-up with an error');
    await page.getByLabel('Mot de passe').fill('les bocaux du jardin partagé');
    await page.getByRole('button', { name: 'Créer mon compte' }).click();
    await expect(page.locator('h1').textContent()).resolves.toContain('Consultez votre messagerie');
    await expectNoAxeViolations(page, 'sign-up sent');

    // Confirm by mail.
    await followMailLink(page, email, '/compte/confirmer');
    await expectNoAxeViolations(page, 'confirm');
    await page.getByRole('button', { name: 'Confirmer mon adresse' }).click();
    await expect(page.locator('h1').textContent()).resolves.toBe('Mon espace');
    await expectNoAxeViolations(page, 'space');

    // Claim the structure: the address's domain is the structure's website domain, so it is accepted at once.
    await page.getByRole('link', { name: 'Rattacher ma structure' }).click();
    await expectNoAxeViolations(page, 'claim search');
    await claimStructure(page, 'Recyclerie du Val');

    // Before the edit, Douai (about 32 km from Lille) is out of the activity's 10 km.
    const douai = `${base}/structures?commune=59178`;
    await page.goto(douai);
    await expect(page.locator('main').textContent()).resolves.not.toContain('Recyclerie du Val');

    // Edit an activity: the radius grows from 10 to 40 km.
    await page.goto(`${base}/espace/rattachements`);
    await page.getByRole('link', { name: /Modifier la fiche/ }).first().click();
    await expect(page.locator('h1').textContent()).resolves.toContain('Recyclerie du Val');
    await expectNoAxeViolations(page, 'edit profile');
    await page.locator('#champ-activities-0-radiusKm').fill('4000');
    await page.getByRole('button', { name: 'Enregistrer la fiche' }).click();
    await expect(page.locator('.fr-error-text').first().isVisible()).resolves.toBe(true);
    await expectNoAxeViolations(page, 'edit profile with an error');
    await page.locator('#champ-activities-0-radiusKm').fill('40');
    await page.getByRole('button', { name: 'Enregistrer la fiche' }).click();
    await expect(page.locator('.fr-alert--success').first().textContent()).resolves.toContain('Fiche enregistrée');
    await expectNoAxeViolations(page, 'edit profile saved');

    // The change shows in search at once, with the reason.
    await page.goto(douai);
    const card = page.locator('main li', { hasText: 'Recyclerie du Val' }).first();
    await expect(card.textContent()).resolves.toContain('40 km');
    await expectNoAxeViolations(page, 'search after the edit');
    expect(problems).toEqual([]);
  });

  async function claimStructure(page: Page, name: string) {
    await page.getByLabel('Nom ou SIRET de la structure').fill('recyclerie val');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await expectNoAxeViolations(page, 'claim search results');
    await page.getByRole('link', { name: `Rattacher cette structure : ${name}` }).click();
    await expectNoAxeViolations(page, 'claim form');
    await expect(page.locator('main').textContent()).resolves.toContain('sera acceptée immédiatement');
    await page.getByLabel('Votre lien avec la structure').fill('Je suis la directrice de la recyclerie.');
    await page.getByRole('button', { name: 'Envoyer la demande' }).click();
    await expect(page.locator('main').textContent()).resolves.toContain('vous gérez maintenant la structure');
    await expectNoAxeViolations(page, 'my claims');
  }
});
