// The HTTP API through app.inject(): every route, every bad parameter we could think of (400 with a stable
// code and a French message, never a 500), unknown resources (404), the OpenAPI document, and private
// contacts that never leave the database.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db.ts';
import { completeSiret } from '../src/core/siret.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { createTestApp } from './helpers/app.ts';
import { siret, structure } from './helpers/fixtures.ts';

const SECRET = { name: 'Jeanne Confidentielle', email: 'jeanne.confidentielle@exemple.org', phone: '06 98 76 54 32' };
const ALPHA_SIRET = completeSiret('4328293200001');

const F = {
  alpha: structure({
    siret: ALPHA_SIRET,
    name: 'Alpha Propreté',
    kind: 'EI',
    communeCode: '59350',
    description: 'Nettoyage de bureaux.',
    publicEmail: 'contact@alpha.example',
    privateContact: SECRET,
    activities: [{ sector: 'nettoyage-de-locaux-16', serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 10 } }],
  }),
  bravo: structure({
    name: 'Bravo Adapté',
    kind: 'EA',
    communeCode: '80021',
    activities: [{ sector: 'creation-et-entretien-des-espaces-verts', serviceTypes: ['PREST'], area: { kind: 'territories', territories: ['departement:59'] } }],
  }),
  hidden: structure({ name: 'Charlie Masquée', kind: 'EI', communeCode: '59350', hidden: true, privateContact: { email: 'cache@exemple.org' } }),
  inactive: structure({ name: 'Delta Fermée', kind: 'EI', communeCode: '59350', active: false }),
};

let app: FastifyInstance;
let db: Db;
let close: () => Promise<void>;
const ids: Record<string, { id: string; slug: string; siret: string }> = {};

const get = (url: string) => app.inject({ method: 'GET', url });

/** A message people can read: French, not a stack trace nor a validator's English. */
function expectFrench(message: unknown) {
  expect(typeof message).toBe('string');
  const m = message as string;
  expect(m.length).toBeGreaterThan(5);
  expect(m).not.toMatch(/\b(invalid|expected|required|must|received|error|undefined|null|NaN)\b/i);
  expect(m).not.toMatch(/\bat .*\.ts:\d+/);
}

function expectError(res: Awaited<ReturnType<typeof get>>, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expectFrench(body.error.message);
  return body.error as { code: string; message: string; details?: unknown };
}

beforeAll(async () => {
  ({ app, db, close } = await createTestApp());
  const report = await importStructures(db, Object.values(F).map((input, i) => ({ line: i + 1, input })));
  expect(report.rejected).toEqual([]);
  const rows = await db.query<{ id: string; slug: string; siret: string; name: string }>('SELECT id, slug, siret, name FROM structures');
  for (const [k, f] of Object.entries(F)) {
    const row = rows.find((r) => r.name === f.name);
    if (!row) throw new Error(`fixture ${k} not written`);
    ids[k] = row;
  }
});

afterAll(async () => {
  await close?.();
});

describe('GET /api/v1/health', () => {
  it('says ok, the driver and the number of structures', async () => {
    const res = await get('/api/v1/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', database: db.driver, structures: Object.keys(F).length });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('GET /api/v1/structures', () => {
  it('lists visible structures with items, total, page, perPage and facets', async () => {
    const res = await get('/api/v1/structures');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ total: 2, page: 1, perPage: 20 });
    expect(Object.keys(body.facets).sort()).toEqual(['departments', 'families', 'kinds', 'sectorGroups', 'sectors', 'serviceTypes']);
    expect(body.items.map((i: { name: string }) => i.name).sort()).toEqual(['Alpha Propreté', 'Bravo Adapté']);
    const alpha = body.items.find((i: { name: string }) => i.name === 'Alpha Propreté');
    expect(alpha).toMatchObject({ id: ids.alpha.id, slug: ids.alpha.slug, siret: ALPHA_SIRET, kind: 'EI', commune: { code: '59350', name: 'Lille' }, matchReasons: [] });
    expect(alpha).not.toHaveProperty('distanceKm');
  });

  it('around a commune: distanceKm and reasons on every item', async () => {
    const res = await get('/api/v1/structures?commune=59350&radiusKm=5');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total).toBe(2);
    expect(body.place).toMatchObject({ kind: 'disc', radiusKm: 5, label: 'Lille (59)' });
    for (const item of body.items) {
      expect(typeof item.distanceKm).toBe('number');
      expect(item.matchReasons.length).toBeGreaterThan(0);
    }
  });

  it('repeatable parameters, repeated or comma-separated', async () => {
    for (const url of ['/api/v1/structures?kind=EA&kind=ESAT', '/api/v1/structures?kind=EA,ESAT', '/api/v1/structures?family=handicap']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.json().items.map((i: { name: string }) => i.name), url).toEqual(['Bravo Adapté']);
    }
  });

  it('blank parameters are ignored', async () => {
    const res = await get('/api/v1/structures?q=&kind=&department=&commune=&lat=&lon=&radiusKm=&sort=&page=&perPage=');
    expect(res.statusCode).toBe(200);
    expect(res.json().total).toBe(2);
  });

  it('a SIRET typed with spaces finds the structure', async () => {
    const res = await get(`/api/v1/structures?q=${encodeURIComponent(`${ALPHA_SIRET.slice(0, 3)} ${ALPHA_SIRET.slice(3, 6)} ${ALPHA_SIRET.slice(6, 9)} ${ALPHA_SIRET.slice(9)}`)}`);
    expect(res.json().items.map((i: { siret: string }) => i.siret)).toEqual([ALPHA_SIRET]);
  });

  it('Corsican codes are accepted', async () => {
    expect((await get('/api/v1/structures?commune=2A004&radiusKm=5')).statusCode).toBe(200);
    expect((await get('/api/v1/structures?department=2b')).statusCode).toBe(200);
  });

  it('perPage up to 100', async () => {
    const res = await get('/api/v1/structures?perPage=100&page=1');
    expect(res.statusCode).toBe(200);
    expect(res.json().perPage).toBe(100);
  });
});

describe('GET /api/v1/structures: bad parameters answer 400 with a stable code', () => {
  // [query, code, French label of the field named in the message (for INVALID_PARAMETERS)]
  const cases: [string, string, string?][] = [
    ['kind=ZZ', 'INVALID_PARAMETERS', 'type'],
    ['kind=ea', 'INVALID_PARAMETERS', 'type'],
    ['kind=EI,ZZ', 'INVALID_PARAMETERS', 'type'],
    ['family=autre', 'INVALID_PARAMETERS', 'famille'],
    ['serviceType=FOO', 'INVALID_PARAMETERS', 'type de prestation'],
    ['sector=secteur-inconnu', 'UNKNOWN_SECTOR'],
    ['sector=nettoyage-de-locaux-16,secteur-inconnu', 'UNKNOWN_SECTOR'],
    ['sectorGroup=groupe-inconnu', 'UNKNOWN_SECTOR_GROUP'],
    [`sector=${'x'.repeat(101)}`, 'INVALID_PARAMETERS', 'secteur'],
    ['department=ABC', 'INVALID_PARAMETERS', 'département'],
    ['department=1', 'INVALID_PARAMETERS', 'département'],
    ['department=99', 'UNKNOWN_TERRITORY'],
    ['department=20', 'UNKNOWN_TERRITORY'],
    ['department=59&department=62', 'INVALID_PARAMETERS', 'département'],
    ['region=3', 'INVALID_PARAMETERS', 'région'],
    ['region=99', 'UNKNOWN_TERRITORY'],
    ['epci=12345', 'INVALID_PARAMETERS', 'intercommunalité'],
    ['epci=123456789', 'UNKNOWN_TERRITORY'],
    ['commune=lille', 'INVALID_PARAMETERS', 'commune'],
    ['commune=593500', 'INVALID_PARAMETERS', 'commune'],
    ['commune=99999', 'UNKNOWN_COMMUNE'],
    ['commune=59350&department=59', 'TOO_MANY_PLACES'],
    ['commune=59350&lat=50&lon=3&radiusKm=5', 'TOO_MANY_PLACES'],
    ['epci=200093201&region=32', 'TOO_MANY_PLACES'],
    ['lat=50.6', 'INVALID_POINT'],
    ['lon=3', 'INVALID_POINT'],
    ['lat=50.6&lon=3', 'RADIUS_REQUIRED'],
    ['lat=50.6&lon=3&radiusKm=0', 'RADIUS_REQUIRED'],
    ['radiusKm=10', 'PLACE_REQUIRED'],
    ['department=59&radiusKm=10', 'PLACE_REQUIRED'],
    ['lat=91&lon=3&radiusKm=5', 'INVALID_PARAMETERS', 'latitude'],
    ['lat=abc&lon=3&radiusKm=5', 'INVALID_PARAMETERS', 'latitude'],
    ['lat=1e309&lon=3&radiusKm=5', 'INVALID_PARAMETERS', 'latitude'],
    ['lat=50&lon=181&radiusKm=5', 'INVALID_PARAMETERS', 'longitude'],
    ['lat=50&lon=-181&radiusKm=5', 'INVALID_PARAMETERS', 'longitude'],
    ['commune=59350&radiusKm=-1', 'INVALID_PARAMETERS', 'rayon'],
    ['commune=59350&radiusKm=301', 'INVALID_PARAMETERS', 'rayon'],
    ['commune=59350&radiusKm=dix', 'INVALID_PARAMETERS', 'rayon'],
    ['sort=random', 'INVALID_PARAMETERS', 'tri'],
    ['sort=distance', 'SORT_NEEDS_PLACE'],
    ['sort=distance&department=59', 'SORT_NEEDS_PLACE'],
    ['page=0', 'INVALID_PARAMETERS', 'page'],
    ['page=-1', 'INVALID_PARAMETERS', 'page'],
    ['page=1.5', 'INVALID_PARAMETERS', 'page'],
    ['page=abc', 'INVALID_PARAMETERS', 'page'],
    ['page=10001', 'INVALID_PARAMETERS', 'page'],
    ['perPage=0', 'INVALID_PARAMETERS', 'nombre par page'],
    ['perPage=101', 'INVALID_PARAMETERS', 'nombre par page'],
    ['perPage=1000', 'INVALID_PARAMETERS', 'nombre par page'],
    ['perPage=abc', 'INVALID_PARAMETERS', 'nombre par page'],
    [`q=${'a'.repeat(201)}`, 'INVALID_PARAMETERS', 'mots'],
    ['q=a&q=b', 'INVALID_PARAMETERS', 'mots'],
    ['sort=name&sort=name', 'INVALID_PARAMETERS', 'tri'],
  ];

  it.each(cases)('?%s → %s', async (query, code, label) => {
    const err = expectError(await get(`/api/v1/structures?${query}`), 400, code);
    if (code === 'INVALID_PARAMETERS') {
      expect(err.message).toMatch(/^Paramètres? invalides? : /);
      expect(err.message).toContain(label as string);
      expect(Array.isArray(err.details)).toBe(true);
      for (const d of err.details as { field: string; message: string }[]) {
        expect(typeof d.field).toBe('string');
        expect(typeof d.message).toBe('string');
      }
    }
  });

  it('several bad parameters are all named', async () => {
    const err = expectError(await get('/api/v1/structures?kind=ZZ&perPage=500'), 400, 'INVALID_PARAMETERS');
    expect(err.message).toBe('Paramètres invalides : type de structure, nombre par page.');
  });

  it('unknown sectors and territories say which value is wrong', async () => {
    const s = expectError(await get('/api/v1/structures?sector=secteur-inconnu'), 400, 'UNKNOWN_SECTOR');
    expect(s.message).toContain('secteur-inconnu');
    expect(s.details).toMatchObject({ field: 'sector', value: 'secteur-inconnu' });
    const d = expectError(await get('/api/v1/structures?department=99'), 400, 'UNKNOWN_TERRITORY');
    expect(d.message).toContain('99');
    expect(d.details).toMatchObject({ field: 'department' });
    const c = expectError(await get('/api/v1/structures?commune=99999'), 400, 'UNKNOWN_COMMUNE');
    expect(c.message).toContain('99999');
  });

  it('never a 500, whatever is sent in any parameter', async () => {
    const params = ['q', 'kind', 'family', 'sector', 'sectorGroup', 'serviceType', 'department', 'region', 'epci', 'commune', 'lat', 'lon', 'radiusKm', 'sort', 'page', 'perPage'];
    const garbage = ['%00', '-1', 'NaN', 'Infinity', "'; DROP TABLE structures; --", '%F0%9F%98%80', '((&|!:*))', '9'.repeat(40), 'a&x=1'];
    const failures: string[] = [];
    for (const p of params) {
      for (const g of garbage) {
        for (const extra of ['', '&commune=59350&radiusKm=5']) {
          const url = `/api/v1/structures?${p}=${g}${extra}`;
          const res = await get(url);
          if (res.statusCode !== 200 && res.statusCode !== 400) failures.push(`${url} → ${res.statusCode}`);
          else if (res.statusCode === 400) {
            const body = res.json();
            if (typeof body?.error?.code !== 'string' || typeof body?.error?.message !== 'string') failures.push(`${url} → ${res.body}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('words made only of operators or stop words do not break the text search', async () => {
    for (const q of ['&', '!', ':*', "l'", 'le la les', '« »', '-', "''", '\\', 'a:* & b']) {
      const res = await get(`/api/v1/structures?q=${encodeURIComponent(q)}`);
      expect(res.statusCode, q).toBe(200);
    }
  });
});

describe('GET /api/v1/structures/{id}', () => {
  it('by uuid, in any case, and by slug: the public profile', async () => {
    for (const key of [ids.alpha.id, ids.alpha.id.toUpperCase(), ids.alpha.slug]) {
      const res = await get(`/api/v1/structures/${key}`);
      expect(res.statusCode, key).toBe(200);
      const s = res.json();
      expect(s).toMatchObject({
        id: ids.alpha.id,
        slug: ids.alpha.slug,
        siret: ALPHA_SIRET,
        siren: ALPHA_SIRET.slice(0, 9),
        name: 'Alpha Propreté',
        kind: 'EI',
        family: 'insertion',
        commune: { code: '59350', name: 'Lille' },
        departmentCode: '59',
        regionCode: '32',
        epciCode: '200093201',
        publicEmail: 'contact@alpha.example',
      });
      expect(s.activities).toEqual([
        expect.objectContaining({
          sector: expect.objectContaining({ slug: 'nettoyage-de-locaux-16', name: 'Nettoyage de locaux' }),
          serviceTypes: ['PREST'],
          area: { kind: 'radius', radiusKm: 10 },
          areaLabel: 'Dans un rayon de 10 km autour de la structure',
        }),
      ]);
    }
  });

  it('listed territories come back as typed references with a French label', async () => {
    const s = (await get(`/api/v1/structures/${ids.bravo.slug}`)).json();
    expect(s.activities[0].area).toEqual({ kind: 'territories', territories: ['departement:59'] });
    expect(s.activities[0].areaLabel).toBe('Nord (59)');
  });

  it.each([
    ['an unknown uuid', '00000000-0000-4000-8000-000000000000'],
    ['an unknown slug', 'structure-qui-n-existe-pas'],
    ['a uuid-looking slug', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'],
    ['the by-siret prefix', 'by-siret'],
  ])('404 for %s', async (_label, key) => {
    expectError(await get(`/api/v1/structures/${key}`), 404, 'NOT_FOUND');
  });

  it('404 for a hidden structure, by id and by slug', async () => {
    expectError(await get(`/api/v1/structures/${ids.hidden.id}`), 404, 'NOT_FOUND');
    expectError(await get(`/api/v1/structures/${ids.hidden.slug}`), 404, 'NOT_FOUND');
  });

  // Regression: errors raised by Fastify's router before the route runs (invalid percent-encoding, a path
  // parameter longer than maxParamLength) keep the API's error shape.
  it('a malformed or overlong identifier answers in the API error shape', async () => {
    for (const url of ['/api/v1/structures/%E0%A4%A', `/api/v1/structures/${'a'.repeat(201)}`, `/api/v1/structures/by-siret/%E0%A4%A`]) {
      const res = await get(url);
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      const body = res.json();
      expect(Object.keys(body), url).toEqual(['error']);
      expect(typeof body.error.code, url).toBe('string');
      expectFrench(body.error.message);
    }
  });
});

describe('GET /api/v1/structures/by-siret/{siret}', () => {
  it('finds a structure by its SIRET, typed with or without spaces', async () => {
    for (const s of [ALPHA_SIRET, `${ALPHA_SIRET.slice(0, 3)} ${ALPHA_SIRET.slice(3, 6)} ${ALPHA_SIRET.slice(6, 9)} ${ALPHA_SIRET.slice(9)}`]) {
      const res = await get(`/api/v1/structures/by-siret/${encodeURIComponent(s)}`);
      expect(res.statusCode, s).toBe(200);
      expect(res.json()).toMatchObject({ id: ids.alpha.id, siret: ALPHA_SIRET });
    }
  });

  it.each(['123', 'abcdefghijklmn', '1234567890123', '123456789012345', ' '])('400 INVALID_SIRET for %j', async (s) => {
    const err = expectError(await get(`/api/v1/structures/by-siret/${encodeURIComponent(s)}`), 400, 'INVALID_SIRET');
    expect(err.details).toEqual({ field: 'siret' });
  });

  it('400 for a parameter longer than 30 characters', async () => {
    expectError(await get(`/api/v1/structures/by-siret/${'1'.repeat(31)}`), 400, 'INVALID_PARAMETERS');
  });

  it('404 for a well-formed SIRET that is not in the directory', async () => {
    expectError(await get(`/api/v1/structures/by-siret/${siret(99999)}`), 404, 'NOT_FOUND');
  });

  it('404 for a hidden structure', async () => {
    expectError(await get(`/api/v1/structures/by-siret/${ids.hidden.siret}`), 404, 'NOT_FOUND');
  });
});

describe('GET /api/v1/referentials/*', () => {
  it('kinds: ten, with their family', async () => {
    const res = await get('/api/v1/referentials/kinds');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { code: string; family: string; name: string; description: string }[];
    expect(items.map((k) => k.code)).toEqual(['EI', 'AI', 'ACI', 'ETTI', 'EITI', 'GEIQ', 'SEP', 'EA', 'EATT', 'ESAT']);
    expect(items.filter((k) => k.family === 'handicap').map((k) => k.code)).toEqual(['EA', 'EATT', 'ESAT']);
    for (const k of items) {
      expect(k.name.length).toBeGreaterThan(0);
      expect(k.description.length).toBeGreaterThan(0);
    }
  });

  it('sectors: 20 groups, 154 sectors, unique slugs', async () => {
    const res = await get('/api/v1/referentials/sectors');
    expect(res.statusCode).toBe(200);
    const groups = res.json().items as { slug: string; name: string; sectors: { slug: string; name: string }[] }[];
    expect(groups).toHaveLength(20);
    const slugs = groups.flatMap((g) => g.sectors.map((s) => s.slug));
    expect(slugs).toHaveLength(154);
    expect(new Set(slugs).size).toBe(154);
    expect(groups.find((g) => g.slug === 'hygiene-et-proprete-64')?.sectors.map((s) => s.slug)).toContain('nettoyage-de-locaux-16');
  });

  it('prestation types: DISP, PREST, BUILD', async () => {
    const res = await get('/api/v1/referentials/service-types');
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((t: { code: string }) => t.code)).toEqual(['DISP', 'PREST', 'BUILD']);
  });
});

describe('GET /api/v1/territories', () => {
  it('communes by name, with a label', async () => {
    const res = await get('/api/v1/territories?q=lille');
    expect(res.statusCode).toBe(200);
    const first = res.json().items[0];
    expect(first).toMatchObject({ type: 'commune', code: '59350', name: 'Lille', label: 'Lille (59)', typeLabel: 'Commune', departmentCode: '59', regionCode: '32' });
    expect(first.postalCodes).toContain('59000');
    expect(typeof first.lat).toBe('number');
  });

  it('communes by postal code', async () => {
    const res = await get('/api/v1/territories?q=59100');
    expect(res.json().items[0]).toMatchObject({ type: 'commune', name: 'Roubaix' });
  });

  it('EPCI, départements, régions, with a type filter (repeated or comma-separated)', async () => {
    expect((await get('/api/v1/territories?q=nord&type=departement')).json().items[0]).toMatchObject({ type: 'departement', code: '59', label: 'Nord (59)' });
    expect((await get('/api/v1/territories?q=hauts%20de%20france&type=region')).json().items).toEqual([expect.objectContaining({ type: 'region', code: '32', typeLabel: 'Région' })]);
    expect((await get('/api/v1/territories?q=lille&type=epci')).json().items).toEqual([expect.objectContaining({ type: 'epci', code: '200093201', typeLabel: 'Intercommunalité' })]);
    for (const url of ['/api/v1/territories?q=lille&type=epci,commune', '/api/v1/territories?q=lille&type=epci&type=commune']) {
      const types = new Set((await get(url)).json().items.map((t: { type: string }) => t.type));
      expect([...types].sort(), url).toEqual(['commune', 'epci']);
    }
  });

  it('a limit', async () => {
    expect((await get('/api/v1/territories?q=saint&limit=3')).json().items).toHaveLength(3);
    expect((await get('/api/v1/territories?q=saint')).json().items).toHaveLength(10);
  });

  it.each([
    ['', 'mots'],
    ['?q=', 'mots'],
    ['?q=%20%20', 'mots'],
    [`?q=${'a'.repeat(101)}`, 'mots'],
    ['?q=lille&limit=0', 'nombre de suggestions'],
    ['?q=lille&limit=51', 'nombre de suggestions'],
    ['?q=lille&limit=abc', 'nombre de suggestions'],
    ['?q=lille&type=pays', 'niveau de territoire'],
    ['?q=a&q=b', 'mots'],
  ])('400 INVALID_PARAMETERS for %j', async (query, field) => {
    const err = expectError(await get(`/api/v1/territories${query}`), 400, 'INVALID_PARAMETERS');
    expect(err.message).toContain(field);
  });
});

describe('unknown routes', () => {
  it('a NUL byte in an identifier is not found, never a 500', async () => {
    expectError(await get('/api/v1/structures/abc%00'), 404, 'NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: '/structures/abc%00' })).statusCode).toBe(404);
  });

  it('answer 404 in JSON under /api', async () => {
    expectError(await get('/api/v1/nothing-here'), 404, 'NOT_FOUND');
    expectError(await app.inject({ method: 'POST', url: '/api/v1/structures', payload: { name: 'x' } }), 404, 'NOT_FOUND');
  });
});

describe('OpenAPI', () => {
  const routes: [string, number[]][] = [
    ['/api/v1/health', [200]],
    ['/api/v1/structures', [200, 400]],
    ['/api/v1/structures/{id}', [200, 404]],
    ['/api/v1/structures/by-siret/{siret}', [200, 400, 404]],
    ['/api/v1/referentials/kinds', [200]],
    ['/api/v1/referentials/sectors', [200]],
    ['/api/v1/referentials/service-types', [200]],
    ['/api/v1/territories', [200]],
  ];
  let doc: {
    openapi: string;
    info: { title: string; version: string; description?: string };
    paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { name: string; in: string }[]; summary?: string }>>;
  };

  beforeAll(async () => {
    const res = await get('/api/v1/openapi.json');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.json();
  });

  it('is OpenAPI 3.1 with an info block', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toBe('API Passerelles');
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each(routes)('documents GET %s with its responses and a French summary', (path, statuses) => {
    const op = doc.paths[path]?.get;
    expect(op, path).toBeDefined();
    for (const s of statuses) expect(Object.keys(op.responses), `${path} ${s}`).toContain(String(s));
    expect(op.summary ?? '').not.toBe('');
  });

  it('lists every search parameter, and the path parameters', () => {
    const names = (doc.paths['/api/v1/structures'].get.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    expect(names.sort()).toEqual(['commune', 'department', 'epci', 'family', 'kind', 'lat', 'lon', 'page', 'perPage', 'q', 'radiusKm', 'region', 'sector', 'sectorGroup', 'serviceType', 'sort'].sort());
    expect(doc.paths['/api/v1/structures/{id}'].get.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'id' })]);
    expect(doc.paths['/api/v1/structures/by-siret/{siret}'].get.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'siret' })]);
    const t = (doc.paths['/api/v1/territories'].get.parameters ?? []).map((p) => p.name).sort();
    expect(t).toEqual(['limit', 'q', 'type']);
  });

  it('does not document itself nor private contacts', () => {
    expect(doc.paths['/api/v1/openapi.json']).toBeUndefined();
    expect(JSON.stringify(doc)).not.toMatch(/privateContact|private_contact|contact_name/i);
  });

  // Regression: HTML pages are not part of the JSON API document.
  it('documents only the JSON API', () => {
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/v1/'))).toEqual([]);
  });

  // Regression: clients generated from the document know the error shape of the territories route.
  it('documents the 400 answer of /api/v1/territories', () => {
    expect(Object.keys(doc.paths['/api/v1/territories'].get.responses)).toContain('400');
  });

  it('/api/docs serves the interactive documentation', async () => {
    const res = await get('/api/docs');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toMatch(/swagger/i);
  });
});

describe('private contacts never leave the database', () => {
  it('are stored (so the following checks mean something)', async () => {
    const rows = await db.query<{ email: string }>('SELECT email FROM structure_private_contacts ORDER BY email');
    expect(rows.map((r) => r.email)).toEqual(['cache@exemple.org', SECRET.email]);
  });

  it('appear in no answer of the API', async () => {
    const urls = [
      '/api/v1/structures',
      '/api/v1/structures?commune=59350&radiusKm=5',
      '/api/v1/structures?q=alpha',
      `/api/v1/structures?q=${ALPHA_SIRET}`,
      `/api/v1/structures/${ids.alpha.id}`,
      `/api/v1/structures/${ids.alpha.slug}`,
      `/api/v1/structures/by-siret/${ALPHA_SIRET}`,
      `/api/v1/structures/${ids.hidden.id}`,
      '/api/v1/openapi.json',
    ];
    for (const url of urls) {
      const body = (await get(url)).body;
      for (const secret of [SECRET.name, SECRET.email, SECRET.phone, 'Confidentielle', 'cache@exemple.org', '98 76 54 32']) {
        expect(body.includes(secret), `${url} leaks ${secret}`).toBe(false);
      }
      expect(body).not.toMatch(/privateContact|contact_name/);
    }
  });

  it('cannot be searched for', async () => {
    for (const q of [SECRET.email, 'Jeanne Confidentielle', SECRET.phone, 'cache@exemple.org']) {
      const res = await get(`/api/v1/structures?q=${encodeURIComponent(q)}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().total, q).toBe(0);
    }
  });
});
