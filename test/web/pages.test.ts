// HTTP tests of the public pages: real app, real database, HTML as a browser without JavaScript gets it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStructure, importStructures } from '../../src/modules/directory/service.ts';
import { createTestApp } from '../helpers/app.ts';
import { siret, structure } from '../helpers/fixtures.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
let t: TestApp;

const SECRET = { name: 'Jeanne Confidentielle', email: 'direction-secrete@example.org', phone: '06 99 88 77 66' };
const S = {
  lille: siret(101),
  amiens: siret(102),
  dunkerque: siret(103),
  arras: siret(104),
  minimal: siret(105),
  demo: siret(106),
  closed: siret(107),
};

async function get(url: string) {
  const res = await t.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.body, headers: res.headers };
}

/** Text of the page without tags, with entities of the templates decoded (for sentences). */
function text(htmlBody: string): string {
  return htmlBody
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** Names of the result cards, in order. */
function cardNames(htmlBody: string): string[] {
  return [...htmlBody.matchAll(/<h3 class="fr-card__title"><a href="[^"]+">([^<]+)<\/a><\/h3>/g)].map((m) => m[1]);
}

/** The reasons listed under one card. */
function reasonsOf(htmlBody: string, name: string): string[] {
  const start = htmlBody.indexOf(`>${name}</a></h3>`);
  if (start < 0) return [];
  const card = htmlBody.slice(start, htmlBody.indexOf('<div class="fr-card__start">', start));
  const list = /<ul class="fr-text--sm fr-mb-0">([\s\S]*?)<\/ul>/.exec(card);
  return list ? [...list[1].matchAll(/<li>([^<]*)<\/li>/g)].map((m) => text(m[1]).trim()) : [];
}

beforeAll(async () => {
  t = await createTestApp();
  const report = await importStructures(t.db, [
    {
      line: 1,
      input: structure({
        siret: S.lille,
        name: 'Nettoyage Solidaire Lille',
        brand: 'NetSol',
        kind: 'EI',
        communeCode: '59350',
        address: '12 rue Nationale',
        postalCode: '59000',
        description: 'Entreprise d’insertion du nettoyage de bureaux.',
        website: 'https://netsol.example.org',
        publicEmail: 'contact@netsol.example.org',
        publicPhone: '03 20 00 00 01',
        privateContact: SECRET,
        etp: 12.5,
        employeesInsertion: 8,
        employeesPermanent: 3,
        labels: ['esus'],
        networks: ['unapei'],
        commitments: [
          { type: 'social', label: 'Accompagnement renforcé vers l’emploi durable' },
          { type: 'environmental', label: 'Produits écolabellisés' },
        ],
        clientReferences: ['Mairie de Lille'],
        sourceUpdatedAt: '2026-10-15',
        activities: [{ sector: 'nettoyage-de-locaux-16', serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 20 } }],
      }),
    },
    {
      line: 2,
      input: structure({
        siret: S.amiens,
        name: 'ESAT Les Jardins Amiénois',
        kind: 'ESAT',
        communeCode: '80021',
        privateContact: SECRET,
        activities: [{ sector: 'creation-et-entretien-des-espaces-verts', serviceTypes: ['PREST'], area: { kind: 'territories', territories: ['departement:80'] } }],
      }),
    },
    {
      line: 3,
      input: structure({
        siret: S.dunkerque,
        name: 'Adapté Propreté Dunkerque',
        kind: 'EA',
        communeCode: '59183',
        activities: [{ sector: 'nettoyage-de-locaux-16', serviceTypes: ['PREST', 'DISP'], area: { kind: 'country' } }],
      }),
    },
    {
      line: 4,
      input: structure({
        siret: S.arras,
        name: 'Relais Emploi Arras',
        kind: 'AI',
        communeCode: '62041',
        activities: [{ sector: 'nettoyage-de-locaux-16', serviceTypes: ['DISP'], area: { kind: 'radius', radiusKm: 10 } }],
      }),
    },
    {
      line: 5,
      input: { siret: S.minimal, name: 'Chantier Minimal <b>& Cie</b>', kind: 'ACI', communeCode: '02691', source: 'marche' },
    },
    {
      line: 6,
      input: structure({ siret: S.demo, name: 'Structure Fictive Démo', kind: 'GEIQ', communeCode: '60057', source: 'demo', isDemo: true, sourceUpdatedAt: '2026-11-01' }),
    },
    {
      line: 7,
      input: structure({ siret: S.closed, name: 'Atelier Fermé', kind: 'ESAT', nafCode: '88.10C', communeCode: '59350', active: false }),
    },
  ]);
  expect(report.rejected).toEqual([]);
  expect(report.created).toBe(7);
});

afterAll(async () => {
  await t?.close();
});

describe('layout', () => {
  it('renders a French DSFR page with title, skip links, header, navigation and footer', async () => {
    const { status, body, headers } = await get('/');
    expect(status).toBe(200);
    expect(headers['content-type']).toContain('text/html');
    expect(body).toMatch(/^<!doctype html>\n<html lang="fr">/);
    expect(body).toContain('<title>Accueil – Passerelles</title>');
    expect(body).toContain('/static/dsfr/dsfr.min.css');
    expect(body).toContain('<script type="module" src="/static/dsfr/dsfr.module.min.js"></script>');
    expect(body).toContain('<script nomodule src="/static/dsfr/dsfr.nomodule.min.js"></script>');
    expect(body).toContain('class="fr-skiplinks"');
    expect(body).toContain('<p class="fr-logo">République<br>Française</p>');
    expect(body).toContain('DREETS Hauts-de-France');
    expect(body).toContain('<p class="fr-header__service-title">Passerelles</p>');
    expect(body).toMatch(/<a class="fr-nav__link" href="\/structures">Annuaire<\/a>/);
    expect(body).toContain('href="/accessibilite">Accessibilité : non conforme</a>');
    expect(body).toContain('href="/mentions-legales">Mentions légales</a>');
    expect(body).toContain('href="/api/docs"');
  });

  it('sends a Content-Security-Policy without inline scripts, and pages have none', async () => {
    const { headers } = await get('/');
    const csp = String(headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("img-src 'self' data:");
    for (const url of ['/', '/structures', '/structures?view=map', `/structures/${(await slugOf(S.lille))}`, '/inconnue']) {
      const { body } = await get(url);
      const scripts = [...body.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const attrs of scripts) expect(attrs, `${url}: ${attrs}`).toMatch(/\ssrc="|type="application\/json"/);
      expect(body).not.toMatch(/\sstyle="/);
      expect(body).not.toMatch(/\son[a-z]+="/);
    }
  });

  it('hides the Marianne when state marks are off', async () => {
    const other = await createTestApp({ STATE_MARKS: 'off', OPERATOR_NAME: 'Maison de l’emploi', MAP_TILE_URL: 'https://{s}.tiles.example.org/{z}/{x}/{y}.png' });
    try {
      const res = await other.app.inject({ method: 'GET', url: '/' });
      expect(res.body).not.toContain('fr-logo');
      expect(res.body).toContain('Maison de l’emploi');
      expect(String(res.headers['content-security-policy'])).toContain("img-src 'self' data: https://*.tiles.example.org");
      const map = await other.app.inject({ method: 'GET', url: '/structures?view=map' });
      expect(map.body).toContain('"tileUrl":"https://{s}.tiles.example.org/{z}/{x}/{y}.png"');
    } finally {
      await other.close();
    }
  });
});

async function slugOf(s: string): Promise<string> {
  const found = await getStructure(t.db, { siret: s });
  if (!found) throw new Error(`no structure ${s}`);
  return found.slug;
}

describe('home', () => {
  it('has the search form, quick links and figures by kind family', async () => {
    const { body } = await get('/');
    expect(body).toContain('<form method="get" action="/structures"');
    expect(body).toContain('name="q"');
    expect(body).toMatch(/<input class="fr-input" type="text" id="accueil-commune" name="lieu"[^>]*data-autocomplete="commune"/);
    expect(body).toContain('href="/structures?family=insertion"');
    expect(body).toContain('href="/structures?family=handicap"');
    expect(body).toContain('href="/structures?sectorGroup=');
    const page = text(body);
    // 6 structures: EI, AI, ACI, GEIQ (insertion) and ESAT, EA (handicap).
    expect(page).toContain('6 structures inclusives');
    expect(page).toContain('4 structures de l’insertion par l’activité économique');
    expect(page).toContain('2 structures du secteur du handicap');
    expect(body).toContain('<script defer src="/static/app/autocomplete.js"></script>');
  });
});

describe('results page', () => {
  it('lists every structure without filters, with a count, in the HTML (no JavaScript needed)', async () => {
    const { status, body } = await get('/structures');
    expect(status).toBe(200);
    expect(text(body)).toContain('6 structures');
    expect(cardNames(body)).toHaveLength(6);
    expect(body).toContain('<title>6 structures – Annuaire – Passerelles</title>');
  });

  it('filters by kind and shows facet counts in grouped fieldsets', async () => {
    const { body } = await get('/structures?kind=ESAT');
    expect(cardNames(body)).toEqual(['ESAT Les Jardins Amiénois']);
    expect(text(body)).toContain('1 structure ');
    expect(body).toContain('Insertion par l’activité économique</legend>');
    expect(body).toContain('Handicap</legend>');
    expect(body).toMatch(/id="f-kind-ESAT" name="kind" value="ESAT" checked>/);
    // Kind counts ignore the kind filter itself: one EI exists.
    expect(body).toMatch(/for="f-kind-EI">Entreprise d&#39;insertion \(EI\)<span class="fr-hint-text">1 structure<\/span>/);
    expect(body).toContain('<abbr title="Établissement et service d&#39;accompagnement par le travail">ESAT</abbr>');
  });

  it('filters by family', async () => {
    const { body } = await get('/structures?family=handicap');
    expect(cardNames(body).sort()).toEqual(['Adapté Propreté Dunkerque', 'ESAT Les Jardins Amiénois']);
    expect(body).toMatch(/id="f-family-handicap" name="family" value="handicap" checked>/);
  });

  it('filters by sector and says why each structure matches', async () => {
    const { body } = await get('/structures?sector=creation-et-entretien-des-espaces-verts');
    expect(cardNames(body)).toEqual(['ESAT Les Jardins Amiénois']);
    expect(reasonsOf(body, 'ESAT Les Jardins Amiénois')).toEqual(['Activité Création et entretien des espaces verts (prestation de service)']);
    expect(body).toMatch(/<option value="creation-et-entretien-des-espaces-verts" selected>Création et entretien des espaces verts \(1\)<\/option>/);
  });

  it('filters by prestation type', async () => {
    const { body } = await get('/structures?serviceType=DISP');
    expect(cardNames(body).sort()).toEqual(['Adapté Propreté Dunkerque', 'Relais Emploi Arras']);
  });

  it('searches around a commune with a radius and explains the place of each match', async () => {
    const { body } = await get('/structures?commune=59350&radiusKm=20');
    const names = cardNames(body);
    expect(names.sort()).toEqual(['Adapté Propreté Dunkerque', 'Nettoyage Solidaire Lille']);
    expect(text(body)).toContain('Autour de Lille (59), dans un rayon de 20 km');
    const lille = reasonsOf(body, 'Nettoyage Solidaire Lille');
    expect(lille).toContain('Située à Lille');
    expect(lille.some((r) => r.startsWith('Nettoyage de locaux : intervient dans un rayon de 20 km'))).toBe(true);
    expect(reasonsOf(body, 'Adapté Propreté Dunkerque')).toContain('Nettoyage de locaux : intervient dans toute la France');
    // The distance is shown on the card; the distance sort is offered once a commune is chosen.
    expect(text(body)).toMatch(/Dunkerque \(59\), à 6\d km/);
    expect(body).toContain('<option value="distance">Distance</option>');
    expect(body).toMatch(/<option value="20" selected>20 km<\/option>/);
  });

  it('sorts by distance once a commune is chosen, and by name', async () => {
    const byDistance = await get('/structures?commune=59350&radiusKm=50&sort=distance');
    expect(byDistance.status).toBe(200);
    expect(cardNames(byDistance.body)).toEqual(['Nettoyage Solidaire Lille', 'Relais Emploi Arras', 'Adapté Propreté Dunkerque']);
    expect(byDistance.body).toContain('<option value="distance" selected>Distance</option>');
    const byName = await get('/structures?sort=name&kind=EI&kind=AI&kind=EA');
    expect(cardNames(byName.body)).toEqual(['Adapté Propreté Dunkerque', 'Nettoyage Solidaire Lille', 'Relais Emploi Arras']);
    // Without a commune, the distance sort is not offered.
    expect(byName.body).not.toContain('<option value="distance"');
  });

  it('accepts a commune name or a postal code typed without JavaScript, and keeps the INSEE code in links', async () => {
    const byName = await get('/structures?lieu=Lille&radiusKm=50');
    expect(byName.status).toBe(200);
    expect(cardNames(byName.body)).toContain('Relais Emploi Arras');
    expect(reasonsOf(byName.body, 'Relais Emploi Arras')[0]).toMatch(/^Située à Arras, à 4\d km de Lille \(59\)$/);
    expect(byName.body).toMatch(/id="f-commune" name="lieu" value="Lille \(59\)" data-autocomplete="commune" data-code="59350"/);
    expect(byName.body).toContain('href="/structures?commune=59350&amp;radiusKm=50&amp;view=map"');

    const byLabel = await get(`/structures?lieu=${encodeURIComponent('Arras (62)')}`);
    expect(cardNames(byLabel.body).sort()).toEqual(['Adapté Propreté Dunkerque', 'Relais Emploi Arras']);

    const byPostalCode = await get('/structures?lieu=62000');
    expect(cardNames(byPostalCode.body)).toContain('Relais Emploi Arras');
    expect(cardNames(byPostalCode.body)).not.toContain('Nettoyage Solidaire Lille');

    // Typed five digits are a postal code first: 62500 is Saint-Omer's, not the INSEE code of Lespesses.
    expect((await get('/structures?lieu=62500')).body).toMatch(/name="lieu" value="Saint-Omer \(62\)"/);
    // In "commune" (links of the app, autocompletion) five digits are an INSEE code.
    expect((await get('/structures?commune=62500')).body).toMatch(/name="lieu" value="Lespesses \(62\)"/);
    // A name is never guessed from letters found inside another name.
    for (const typed of ['zz', '<b>']) {
      const r = await get(`/structures?lieu=${encodeURIComponent(typed)}`);
      expect(r.status, typed).toBe(400);
      expect(text(r.body), typed).toContain('Commune introuvable');
    }
  });

  it('filters by département and région', async () => {
    const dep = await get('/structures?department=80');
    expect(cardNames(dep.body)).toContain('ESAT Les Jardins Amiénois');
    expect(cardNames(dep.body)).not.toContain('Nettoyage Solidaire Lille');
    expect(dep.body).toMatch(/<option value="80" selected>Somme \(80\) \(1\)<\/option>/);
    const region = await get('/structures?region=32&kind=EI');
    expect(cardNames(region.body)).toEqual(['Nettoyage Solidaire Lille']);
    expect(region.body).toMatch(/<option value="32" selected>Hauts-de-France<\/option>/);
    expect(region.body).toContain('<option value="84">Auvergne-Rhône-Alpes</option>');
  });

  it('shows the corrected query', async () => {
    const { body } = await get('/structures?q=netoyage');
    // The corrected words come from the search lexicon (stems).
    expect(text(body)).toMatch(/Résultats pour « nettoyag/);
    expect(cardNames(body)).toContain('Nettoyage Solidaire Lille');
  });

  it('paginates and keeps every other parameter in the links', async () => {
    const { body } = await get('/structures?family=insertion&q=&perPage=2');
    expect(cardNames(body)).toHaveLength(2);
    expect(body).toContain('<nav class="fr-pagination');
    expect(body).toContain('href="/structures?family=insertion&amp;perPage=2&amp;page=2" title="Page 2"');
    const page2 = await get('/structures?family=insertion&perPage=2&page=2');
    expect(cardNames(page2.body)).toHaveLength(2);
    expect(page2.body).toContain('<a class="fr-pagination__link" aria-current="page" title="Page 2">2</a>');
    expect(cardNames(page2.body)).not.toEqual(cardNames(body));
  });

  it('answers 400 with the French message on bad parameters, never a 500', async () => {
    const cases: [string, string][] = [
      ['/structures?kind=XYZ', 'Paramètre invalide : type de structure (« XYZ »).'],
      ['/structures?sort=distance', 'Le tri par distance demande une commune ou un point.'],
      ['/structures?lieu=Zzzzxq', 'Commune introuvable : « Zzzzxq »'],
      ['/structures?radiusKm=20', 'Un rayon demande une commune ou un point'],
      ['/structures?sector=pas-un-secteur', 'Secteur inconnu : « pas-un-secteur »'],
      ['/structures?department=59&region=32', 'Choisissez un seul lieu'],
      ['/structures?page=0', 'Paramètre invalide : page'],
    ];
    for (const [url, message] of cases) {
      const { status, body } = await get(url);
      expect(status, url).toBe(400);
      expect(body, url).toContain('fr-alert fr-alert--error');
      expect(text(body), url).toContain(message);
      // The form is still there to fix the search.
      expect(body, url).toContain('id="filtres"');
    }
  });

  it('escapes what it shows', async () => {
    const { body } = await get(`/structures?q=${encodeURIComponent('<img src=x onerror=alert(1)>')}`);
    expect(body).not.toContain('<img src=x');
    expect(body).toContain('value="&lt;img src=x onerror=alert(1)&gt;"');
    const all = await get('/structures');
    expect(all.body).toContain('Chantier Minimal &lt;b&gt;&amp; Cie&lt;/b&gt;');
  });

  it('map view: markers as JSON data, no tile layer by default, and the list for readers without JavaScript', async () => {
    const { status, body } = await get('/structures?view=map&commune=59350&radiusKm=20');
    expect(status).toBe(200);
    expect(body).toContain('<link rel="stylesheet" href="/static/leaflet/leaflet.css">');
    expect(body).toContain('<script defer src="/static/leaflet/leaflet.js"></script>');
    expect(body).toContain('<script defer src="/static/app/map.js"></script>');
    const json = /<script type="application\/json" id="carte-resultats-donnees">([\s\S]*?)<\/script>/.exec(body);
    expect(json).not.toBeNull();
    const data = JSON.parse((json as RegExpExecArray)[1]);
    expect(data.tileUrl).toBeNull();
    expect(data.markers).toHaveLength(2);
    expect(data.markers.map((m: { href: string }) => m.href).every((h: string) => h.startsWith('/structures/'))).toBe(true);
    expect(data.circle).toMatchObject({ radiusKm: 20 });
    expect(body).toContain('<noscript>');
    expect(cardNames(body)).toHaveLength(2);
    // The toggle keeps the state.
    expect(body).toContain('href="/structures?commune=59350&amp;radiusKm=20"');
    expect(body).toContain('<input type="hidden" name="view" value="map">');
  });
});

describe('profile page', () => {
  it('shows every known field', async () => {
    const { status, body } = await get(`/structures/${await slugOf(S.lille)}`);
    expect(status).toBe(200);
    const page = text(body);
    expect(body).toContain('<title>Nettoyage Solidaire Lille – Annuaire – Passerelles</title>');
    expect(body).toContain('<h1 class="fr-mb-1w">Nettoyage Solidaire Lille</h1>');
    for (const s of [
      'Nom commercial : NetSol',
      "Entreprise d'insertion (EI)",
      'Entreprise du secteur marchand qui embauche des personnes éloignées de l\'emploi',
      `SIRET ${S.lille}`,
      `SIREN ${S.lille.slice(0, 9)}`,
      '12 rue Nationale 59000 Lille',
      'Nettoyage de locaux',
      'Prestation de service',
      'Dans un rayon de 20 km autour de la structure',
      'Équivalents temps plein (ETP) 12,5',
      'Salariés en insertion 8',
      'Salariés permanents 3',
      'ESUS',
      'Engagements sociaux Accompagnement renforcé vers l’emploi durable',
      'Engagements environnementaux Produits écolabellisés',
      'Références clients Mairie de Lille',
      'Réseaux UNAPEI',
      'Source Import CSV',
      'Date des données 15 octobre 2026',
      'Entreprise d’insertion du nettoyage de bureaux.',
    ]) {
      expect(page).toContain(s);
    }
    expect(body).toContain('href="https://netsol.example.org/"');
    expect(body).toContain('href="mailto:contact@netsol.example.org"');
    expect(body).toContain('href="tel:0320000001"');
    expect(body).not.toContain('Données de démonstration</h2>');
    // A small map of the structure.
    expect(body).toMatch(/<script type="application\/json" id="carte-structure-donnees">\{"tileUrl":null/);
  });

  it('leaves out what is unknown instead of showing empty fields', async () => {
    const { status, body } = await get(`/structures/${await slugOf(S.minimal)}`);
    expect(status).toBe(200);
    const page = text(body);
    expect(page).toContain('Chantier Minimal <b>& Cie</b>');
    expect(page).toContain('Source Le Marché de l’inclusion');
    expect(page).toContain('Dernière mise à jour');
    expect(page).toContain('Cette structure n’a pas publié de contact.');
    for (const absent of ['Capacité', 'Labels et engagements', 'Références clients', 'Réseaux', 'Activités', 'Présentation', 'Nom commercial']) {
      expect(page, absent).not.toContain(absent);
    }
    expect(page).not.toMatch(/\b(undefined|null|NaN)\b/);
  });

  it('marks demonstration data', async () => {
    const { body } = await get(`/structures/${await slugOf(S.demo)}`);
    expect(body).toContain('<h2 class="fr-alert__title">Données de démonstration</h2>');
    expect(text(body)).toContain('Données de démonstration (fictives)');
  });

  it('names the NAF code and says plainly when a structure is inactive', async () => {
    const { status, body } = await get(`/structures/${await slugOf(S.closed)}`);
    expect(status).toBe(200);
    expect(text(body)).toContain('88.10C — Aide par le travail');
    expect(body).toContain('<h2 class="fr-alert__title">Structure inactive</h2>');
    expect((await get(`/structures/${await slugOf(S.lille)}`)).body).not.toContain('Structure inactive');
    // …and it is not in the results.
    expect(cardNames((await get('/structures?q=Atelier%20Ferm%C3%A9')).body)).not.toContain('Atelier Fermé');
  });

  it('answers a DSFR 404 page for an unknown slug', async () => {
    const { status, body } = await get('/structures/structure-qui-n-existe-pas');
    expect(status).toBe(404);
    expect(body).toContain('<h1>Page non trouvée</h1>');
    expect(text(body)).toContain('Aucune structure ne correspond à cette adresse.');
    expect(body).toContain('class="fr-header"');
    const other = await get('/pas-une-page');
    expect(other.status).toBe(404);
    expect(other.body).toContain('<h1>Page non trouvée</h1>');
  });
});

describe('privacy', () => {
  it('never shows the private contact, on any page', async () => {
    const urls = [
      '/',
      '/structures',
      '/structures?view=map',
      '/structures?q=Nettoyage',
      '/structures?kind=ESAT',
      `/structures/${await slugOf(S.lille)}`,
      `/structures/${await slugOf(S.amiens)}`,
    ];
    for (const url of urls) {
      const { body } = await get(url);
      for (const secret of [SECRET.name, SECRET.email, SECRET.phone, 'direction-secrete']) expect(body, `${url} shows ${secret}`).not.toContain(secret);
    }
  });
});

describe('other pages', () => {
  it('accessibility statement and legal notice', async () => {
    const a = await get('/accessibilite');
    expect(a.status).toBe(200);
    expect(a.body).toContain('<h1>Déclaration d’accessibilité</h1>');
    expect(text(a.body)).toContain('non conforme');
    const l = await get('/mentions-legales');
    expect(l.status).toBe(200);
    expect(l.body).toContain('<h1>Mentions légales</h1>');
  });

  it('serves the client scripts', async () => {
    for (const asset of ['/static/app/map.js', '/static/app/autocomplete.js', '/static/app/app.css', '/static/leaflet/leaflet.js']) {
      const res = await t.app.inject({ method: 'GET', url: asset });
      expect(res.statusCode, asset).toBe(200);
    }
  });
});
