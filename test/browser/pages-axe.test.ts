// axe-core on every page of accounts, claims, editing, tokens, privacy, the back office and the tender watch,
// as the people who see them (a platform administrator sees the most), with forms shown in their error
// state too.
// Skipped when no Chromium is available (scripts/test.js sets CHROMIUM_PATH when it finds one).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../src/core/audit.ts';
import { sql } from '../../src/core/sql.ts';
import { importStructures } from '../../src/modules/directory/service.ts';
import { readNotices } from '../../src/modules/notices/formats/read.ts';
import { importNotices } from '../../src/modules/notices/service.ts';
import { addMember, createOrganisation, createPerson, signIn } from '../helpers/accounts.ts';
import { createTestApp } from '../helpers/app.ts';
import { axeViolations, launchChromium } from '../helpers/browser.ts';
import { siret, structure } from '../helpers/fixtures.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;

describe.skipIf(!process.env.CHROMIUM_PATH)('accessibility of the account and back-office pages', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp();
    await importStructures(t.db, [{ line: 1, input: structure({ siret: siret(401), name: 'Atelier du Port', kind: 'EA', communeCode: '59183' }) }]);
    const s = (await t.db.one<{ id: string; slug: string }>('SELECT id, slug FROM structures WHERE siret = $1', [siret(401)])) as { id: string; slug: string };
    ids.structure = s.id;
    ids.slug = s.slug;
    ids.org = await createOrganisation(t.db, { type: 'structure', structureId: s.id, name: 'Atelier du Port' });
    const boss = await createPerson(t.db, { name: 'Paule Plateforme' });
    ids.platformOrg = await createOrganisation(t.db, { type: 'platform', name: 'Administration de la plateforme' });
    await addMember(t.db, ids.platformOrg, boss.id, 'admin');
    await addMember(t.db, ids.org, boss.id, 'admin');
    const claimant = await createPerson(t.db, { name: 'Claude Demande' });
    ids.person = claimant.id;
    ids.claim = ((await t.db.one<{ id: string }>(`INSERT INTO claims (structure_id, person_id, status, message) VALUES ($1, $2, 'pending', 'Je travaille ici.') RETURNING id`, [s.id, claimant.id])) as { id: string }).id;
    await audit(t.db, { actorId: boss.id, action: 'structure.edited', targetType: 'structure', targetId: s.id, before: { description: 'a' }, after: { description: 'b' } });
    // Notices of every sample format: notices with lots, findings from fields and from sentences, awards.
    await importNotices(t.db, readNotices('boamp', 'test/fixtures/notices/boamp.jsonl'));
    await importNotices(t.db, readNotices('boamp-xml', 'data/procurement/boamp-xml'));
    await importNotices(t.db, readNotices('decp', 'data/procurement/decp'));
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no server address');
    base = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium();
    ids.bossCookie = (await signIn(t.db, boss.id)).cookie;
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function pageAs(cookie: string | null): Promise<Page> {
    const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
    if (cookie) {
      await context.addCookies(
        cookie.split('; ').map((c) => {
          const [name, value] = c.split('=');
          return { name, value, url: base };
        }),
      );
    }
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    return page;
  }

  it('has no violation on the pages a visitor sees', async () => {
    const page = await pageAs(null);
    const found: Record<string, string[]> = {};
    for (const url of ['/connexion', '/inscription', '/inscription/envoyee', '/mot-de-passe/oublie', '/mot-de-passe/nouveau?jeton=perime', '/connexion/lien?jeton=x', '/compte/confirmer?jeton=x', '/invitation?jeton=x', '/compte/supprime', '/besoins', '/besoins/deposer', '/besoins/impact', '/structures/rattachement', '/structures/rattachement?q=atelier', `/structures/${ids.slug}`]) {
      const res = await page.goto(`${base}${url}`);
      expect(res?.status(), url).toBeLessThan(500);
      found[url] = await axeViolations(page);
    }
    // Forms sent back with their errors.
    await page.goto(`${base}/mot-de-passe/oublie`);
    await page.getByRole('button', { name: 'Recevoir le lien' }).click();
    found['/mot-de-passe/oublie (erreur)'] = await axeViolations(page);
    await page.goto(`${base}/connexion`);
    await page.locator('#courriel').fill('personne@exemple.fr');
    await page.locator('#mot-de-passe').fill('pas le bon mot de passe');
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    found['/connexion (erreur)'] = await axeViolations(page);
    expect(Object.entries(found).filter(([, v]) => v.length)).toEqual([]);
  });

  it('has no violation on the pages of a signed-in person and of the back office', async () => {
    const page = await pageAs(ids.bossCookie);
    const found: Record<string, string[]> = {};
    const urls = [
      '/espace',
      '/espace/rattachements',
      '/espace/donnees',
      '/espace/besoins',
      '/organisations/nouvelle',
      `/organisations/${ids.org}`,
      `/organisations/${ids.org}/jetons`,
      `/structures/rattachement/${ids.structure}`,
      `/structures/modifier/${ids.structure}`,
      `/rattachements/${ids.claim}`,
      '/admin',
      '/admin/rattachements',
      '/admin/personnes',
      `/admin/personnes/${ids.person}`,
      '/admin/organisations',
      '/admin/organisations?statut=a-verifier',
      `/admin/organisations/${ids.org}`,
      '/admin/journal',
      '/dev/mails',
    ];
    for (const url of urls) {
      const res = await page.goto(`${base}${url}`);
      expect(res?.status(), url).toBe(200);
      found[url] = await axeViolations(page);
    }
    // A new API token shown once; a new organisation refused with its errors.
    await page.goto(`${base}/organisations/${ids.org}/jetons`);
    await page.getByLabel('Nom du jeton').fill('Logiciel de gestion');
    await page.getByRole('button', { name: /Créer le jeton/ }).click();
    found['jeton créé'] = await axeViolations(page);
    await page.goto(`${base}/organisations/nouvelle`);
    await page.getByRole('button', { name: 'Créer l’organisation' }).click();
    found['/organisations/nouvelle (erreur)'] = await axeViolations(page);
    expect(Object.entries(found).filter(([, v]) => v.length)).toEqual([]);
  });

  it('has no violation on the pages of the tender watch', async () => {
    const found: Record<string, string[]> = {};
    const visit = async (page: Page, url: string, status: number) => {
      const res = await page.goto(`${base}${url}`);
      expect(res?.status(), url).toBe(status);
      found[url] = await axeViolations(page);
    };
    // A visitor: the list (its pages, every filter, no result, a bad filter), every notice, a missing
    // notice, an unsubscribe link that is not valid.
    const visitor = await pageAs(null);
    expect(Number((await t.db.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM notices`))?.n)).toBeGreaterThan(20);
    // One notice of each shape: first and last of each source, with lots, with awards, with a sentence as
    // evidence, without any finding, without any sector.
    const notices = await t.db.query<{ id: number }>(sql`
      SELECT DISTINCT id FROM (
        (SELECT min(id) AS id FROM notices GROUP BY source)
        UNION ALL (SELECT id FROM notices WHERE jsonb_array_length(lots) > 1 ORDER BY id LIMIT 1)
        UNION ALL (SELECT id FROM notices WHERE jsonb_array_length(awards) > 0 ORDER BY id LIMIT 1)
        UNION ALL (SELECT id FROM notices WHERE classification->'findings' @> '[{"origin": "text"}]' ORDER BY id LIMIT 1)
        UNION ALL (SELECT id FROM notices WHERE jsonb_array_length(classification->'findings') = 0 ORDER BY id LIMIT 1)
        UNION ALL (SELECT id FROM notices WHERE sectors = '{}' ORDER BY id LIMIT 1)
        UNION ALL (SELECT max(id) FROM notices GROUP BY source)
      ) x ORDER BY id`);
    expect(notices.length).toBeGreaterThan(4);
    await visit(visitor, '/appels-d-offres', 200);
    await visit(visitor, '/appels-d-offres?page=2', 200);
    await visit(visitor, '/appels-d-offres?q=entretien&departement=59,62&depuis=2020-01-01&secteur=creation-et-entretien-des-espaces-verts&nature=contract&reserve=handicap&reserve=any&clause=on&critere=on&environnement=on', 200);
    await visit(visitor, '/appels-d-offres?ouverts=on&q=introuvable', 200);
    await visit(visitor, '/appels-d-offres?depuis=hier', 400);
    for (const n of notices) await visit(visitor, `/appels-d-offres/${n.id}`, 200);
    await visit(visitor, '/appels-d-offres/999999', 404);
    await visit(visitor, '/veilles/00000000-0000-4000-8000-000000000000/desabonnement?jeton=x', 400);

    // Signed in: no search yet, then one from the list, then one for the structure, a search refused.
    const page = await pageAs(ids.bossCookie);
    await visit(page, '/veilles', 200);
    found['/veilles (vide)'] = found['/veilles'];
    await visit(page, '/appels-d-offres?reserve=any', 200);
    await page.getByRole('button', { name: 'Créer une veille avec ces critères' }).click();
    await page.waitForURL(/\/veilles\/[0-9a-f-]{36}\?enregistree=1$/);
    found['veille enregistrée'] = await axeViolations(page);
    await page.getByLabel('Nom de la veille').fill('   ');
    await page.getByRole('button', { name: 'Enregistrer', exact: true }).click();
    await expect(page.locator('main').textContent()).resolves.toContain('Donnez un nom à cette veille');
    found['veille (erreur)'] = await axeViolations(page);
    await visit(page, '/veilles', 200);
    await page.getByRole('button', { name: 'Créer la veille de Atelier du Port' }).click();
    await page.waitForURL(/\/veilles\/[0-9a-f-]{36}\?enregistree=1$/);
    found['veille de la structure'] = await axeViolations(page);
    await visit(page, '/veilles', 200);
    expect(Object.entries(found).filter(([, v]) => v.length)).toEqual([]);
  }, 180_000);
});
