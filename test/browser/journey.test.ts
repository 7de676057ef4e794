// A visitor's journey in Chromium: home → search with filters → map → profile, with axe-core on every page.
// Skipped when no Chromium is available (scripts/test.js sets CHROMIUM_PATH when it finds one).
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importStructures } from '../../src/modules/directory/service.ts';
import { createTestApp } from '../helpers/app.ts';
import { axeViolations, expectNoAxeViolations, launchChromium, watchPage } from '../helpers/browser.ts';
import { siret, structure } from '../helpers/fixtures.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;

describe.skipIf(!process.env.CHROMIUM_PATH)('browser journey', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let base = '';
  const problems: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    const lines = [
      structure({ siret: siret(201), name: 'Nettoyage Solidaire Lille', brand: 'NetSol', kind: 'EI', communeCode: '59350', publicEmail: 'contact@netsol.example.org', etp: 14 }),
      structure({ siret: siret(202), name: 'Propreté Insertion Roubaix', kind: 'EI', communeCode: '59512' }),
      structure({ siret: siret(203), name: 'Atelier Vert Villeneuve', kind: 'ACI', communeCode: '59009', activities: [{ sector: 'creation-et-entretien-des-espaces-verts', serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 15 } }] }),
      structure({ siret: siret(204), name: 'Entreprise Adaptée Tourcoing', kind: 'EA', communeCode: '59599' }),
      structure({ siret: siret(205), name: 'ESAT du Littoral', kind: 'ESAT', communeCode: '59183', activities: [{ sector: 'nettoyage-de-locaux-16', serviceTypes: ['PREST'], area: { kind: 'country' } }] }),
      structure({ siret: siret(206), name: 'Relais Emploi Amiens', kind: 'AI', communeCode: '80021', activities: [{ sector: 'nettoyage-de-locaux-16', serviceTypes: ['DISP'], area: { kind: 'radius', radiusKm: 10 } }] }),
    ].map((input, i) => ({ line: i + 1, input }));
    const report = await importStructures(t.db, lines);
    expect(report.rejected).toEqual([]);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no server address');
    base = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const open = async (page: Page) => watchPage(page, base, problems);

  it('home → search with filters → map → profile, accessible at every step', async () => {
    const page = await open(await context.newPage());

    // Home.
    await page.goto(`${base}/`);
    await expect(page.title()).resolves.toBe('Accueil – Passerelles');
    await expect(page.locator('h1').textContent()).resolves.toContain('Trouver une structure inclusive');
    await expectNoAxeViolations(page, 'home');

    // Commune autocompletion: the visible field shows the label, a hidden "commune" carries the INSEE code.
    const commune = page.locator('#accueil-commune');
    await expect(commune.getAttribute('role')).resolves.toBe('combobox');
    await commune.pressSequentially('Lill', { delay: 20 });
    const option = page.locator('#accueil-commune-suggestions [role="option"]', { hasText: 'Lille (59)' }).first();
    await option.waitFor({ state: 'visible' });
    await expect(commune.getAttribute('aria-expanded')).resolves.toBe('true');
    await expectNoAxeViolations(page, 'home with suggestions open');
    const options = await page.locator('#accueil-commune-suggestions [role="option"]').allTextContents();
    const index = options.findIndex((o) => o.startsWith('Lille (59)'));
    expect(index).toBeGreaterThanOrEqual(0);
    for (let i = 0; i <= index; i++) await commune.press('ArrowDown');
    await commune.press('Enter');
    await expect(commune.inputValue()).resolves.toBe('Lille (59)');
    await expect(page.locator('form.pl-home-search input[type="hidden"][name="commune"]').inputValue()).resolves.toBe('59350');
    // The visible field sends what is typed ("lieu"); the chosen commune goes as its INSEE code.
    await expect(commune.getAttribute('name')).resolves.toBe('lieu');
    await page.fill('#accueil-q', 'nettoyage');
    await Promise.all([page.waitForURL(/\/structures\?/), page.click('form.pl-home-search button[type="submit"]')]);
    const url = new URL(page.url());
    expect(url.searchParams.get('commune')).toBe('59350');
    expect(url.searchParams.get('lieu')).toBeNull(); // the label is not sent along with the code
    expect(url.searchParams.get('q')).toBe('nettoyage');

    // Results: add filters (kind and radius) with the filter form.
    await page.fill('#f-q', '');
    // DSFR draws the checkbox on its label.
    await page.click('label[for="f-kind-EI"]');
    await expect(page.isChecked('#f-kind-EI')).resolves.toBe(true);
    await page.selectOption('#f-radiusKm', '20');
    await Promise.all([page.waitForURL(/kind=EI/), page.click('#filtres button[type="submit"]')]);
    const filtered = new URL(page.url());
    expect(filtered.searchParams.get('radiusKm')).toBe('20');
    expect(filtered.searchParams.get('commune')).toBe('59350');
    const names = await page.locator('.fr-card__title a').allTextContents();
    expect(names.sort()).toEqual(['Nettoyage Solidaire Lille', 'Propreté Insertion Roubaix']);
    await expect(page.locator('#resultats-titre').textContent()).resolves.toBe('2 structures');
    await expect(page.locator('.pl-reasons').first().textContent()).resolves.toMatch(/Située à|intervient dans un rayon de/);
    await expect(page.locator('#f-commune').inputValue()).resolves.toBe('Lille (59)');
    await expectNoAxeViolations(page, 'results (list)');

    // Map view: one marker per located structure of the page, no tiles.
    await Promise.all([page.waitForURL(/view=map/), page.click('.pl-view-toggle a:has-text("Carte")')]);
    await page.locator('#carte-resultats[data-map-ready="true"]').waitFor();
    await expect(page.locator('#carte-resultats .leaflet-marker-icon').count()).resolves.toBe(2);
    await expect(page.locator('#carte-resultats .leaflet-tile').count()).resolves.toBe(0);
    await expectNoAxeViolations(page, 'results (map)');

    // A marker opens a popup with a link to the profile.
    await page.locator('#carte-resultats .leaflet-marker-icon[alt="Nettoyage Solidaire Lille"]').click();
    const link = page.locator('.leaflet-popup-content a', { hasText: 'Voir la fiche' });
    await link.waitFor({ state: 'visible' });
    // Leaflet fades the popup in: contrast is measured once it is fully opaque.
    await page.waitForFunction(() => getComputedStyle(document.querySelector('.leaflet-popup') as Element).opacity === '1');
    await expectNoAxeViolations(page, 'results (map, popup open)');
    await Promise.all([page.waitForURL(/\/structures\/[a-z0-9-]+$/), link.click()]);

    // Profile.
    await expect(page.locator('h1').textContent()).resolves.toBe('Nettoyage Solidaire Lille');
    await expect(page.locator('main').textContent()).resolves.toContain('Nom commercial : NetSol');
    await page.locator('#carte-structure[data-map-ready="true"]').waitFor();
    await expect(page.locator('#carte-structure .leaflet-marker-icon').count()).resolves.toBe(1);
    await expectNoAxeViolations(page, 'profile');

    expect(problems).toEqual([]);
    await page.close();
  }, 240_000);

  it('works without JavaScript: typed commune, results and the map view as a list', async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await noJs.newPage();
    await page.goto(`${base}/`);
    await page.fill('#accueil-commune', 'Amiens');
    await Promise.all([page.waitForURL(/\/structures\?/), page.click('form.pl-home-search button[type="submit"]')]);
    expect(new URL(page.url()).searchParams.get('lieu')).toBe('Amiens');
    const names = await page.locator('.fr-card__title a').allTextContents();
    expect(names).toContain('Relais Emploi Amiens');
    expect(names).toContain('ESAT du Littoral');
    await Promise.all([page.waitForURL(/view=map/), page.click('.pl-view-toggle a:has-text("Carte")')]);
    await expect(page.locator('#carte-resultats').isVisible()).resolves.toBe(false);
    await expect(page.locator('.fr-card__title a').count()).resolves.toBe(names.length);
    await expect(page.locator('main').textContent()).resolves.toContain('La carte demande JavaScript');
    await noJs.close();
  }, 120_000);

  it('shows a 400 page with the message, and a DSFR 404 page, both accessible', async () => {
    const page = await open(await context.newPage());
    const bad = await page.goto(`${base}/structures?sort=distance`);
    expect(bad?.status()).toBe(400);
    await expect(page.locator('.fr-alert--error').textContent()).resolves.toContain('Le tri par distance demande une commune');
    await expectNoAxeViolations(page, '400 results page');
    const missing = await page.goto(`${base}/structures/inconnue-0000`);
    expect(missing?.status()).toBe(404);
    await expect(page.locator('h1').textContent()).resolves.toBe('Page non trouvée');
    await expectNoAxeViolations(page, '404 page');
    // axe does find problems when there are some.
    await page.evaluate(() => document.querySelector('main')?.insertAdjacentHTML('beforeend', '<img src="/static/dsfr/favicon/favicon.svg">'));
    expect((await axeViolations(page)).some((v) => v.startsWith('image-alt'))).toBe(true);
    // Console errors for the 400/404 answers themselves are expected; nothing else.
    expect(problems.filter((p) => !/status of 40[04]/.test(p))).toEqual([]);
    await page.close();
  }, 120_000);
});
