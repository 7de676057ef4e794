// Matching a need with the directory, on a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL):
// hard rules (active, not hidden, reachable, demo), kinds per reservation and social clause, every area
// kind with its edges, sector × prestation × place on ONE activity, ranking and its determinism, the French
// reasons, past responsiveness, the exclude and limit options.
//
// What each fixture should match is decided from the rules of the issue and docs/adr/0009-matching.md,
// not copied from the output. Fixtures are named after what they test; each sector is used by one group of
// fixtures so that the groups do not interfere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/core/config.ts';
import type { Db, Queryable } from '../src/core/db.ts';
import type { Platform } from '../src/core/platform.ts';
import { formatKm } from '../src/modules/directory/area.ts';
import type { KindCode, StructureInput } from '../src/modules/directory/model.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { forgetMatchingFacts, match } from '../src/modules/matching/engine.ts';
import type { Match, MatchCriteria } from '../src/modules/matching/model.ts';
import { matchNeed } from '../src/modules/matching/service.ts';
import { MATCHING } from '../src/modules/matching/weights.ts';
import { distanceKm, loadTerritories, type Territory } from '../src/modules/territories/data.ts';
import { addMember, createOrganisation, createPerson } from './helpers/accounts.ts';
import { createTestDb } from './helpers/db.ts';
import { commune } from './helpers/expect.ts';
import { structure } from './helpers/fixtures.ts';

const T = loadTerritories();
const LILLE = commune('59350');
const MEL = 'E200093201'; // Métropole Européenne de Lille

// One sector per group of fixtures.
const NET = 'nettoyage-de-locaux-16'; // hard rules, exclude, limit
const MENAGE = 'aide-menagere'; // kinds
const EV = 'creation-et-entretien-des-espaces-verts'; // areas
const RESTO = 'restaurants-cantines'; // same activity
const LOGI = 'logistique-conditionnement'; // ranking
const BLANCH = 'blanchisserie'; // responsiveness

type Act = NonNullable<StructureInput['activities']>[number];
type Types = Act['serviceTypes'];
const radius = (sector: string, radiusKm: number, types: Types = ['PREST']): Act => ({ sector, serviceTypes: types, area: { kind: 'radius', radiusKm } });
const listed = (sector: string, territories: string[], types: Types = ['PREST']): Act => ({ sector, serviceTypes: types, area: { kind: 'territories', territories } });
const country = (sector: string, types: Types = ['PREST']): Act => ({ sector, serviceTypes: types, area: { kind: 'country' } });
const km = (a: { lat: number | null; lon: number | null }, b: { lat: number | null; lon: number | null }) => distanceKm(a.lat as number, a.lon as number, b.lat as number, b.lon as number);
const EMAIL = { publicEmail: 'contact@structure.example' };

/** A point due south of Lille's centre at `km` (haversine, the directory's distance), and its commune. */
function southOfLille(km: number, atMost = false): { lat: number; lon: number; communeCode: string } {
  const lon = LILLE.lon as number;
  let lat = (LILLE.lat as number) - (km / 6371.0088) * (180 / Math.PI);
  // Floating point: "exactly at the radius" must not be a hair beyond it.
  while (atMost && distanceKm(lat, lon, LILLE.lat as number, LILLE.lon as number) > km) lat += 1e-12;
  const c = T.nearestCommune(lat, lon);
  if (!c) throw new Error('no commune');
  return { lat, lon, communeCode: c.code };
}
const EDGE = southOfLille(20, true);
const BEYOND = southOfLille(20.1);

const COMPLETE = {
  ...EMAIL,
  description: 'Une structure qui décrit son activité, ses équipes, ses clients, ses engagements et ses moyens, en plus de cent caractères.',
  website: 'https://structure.example',
  etp: 12,
  labels: ['esus'],
  clientReferences: ['Ville de Lille'],
};

const KINDS: KindCode[] = ['EI', 'AI', 'ACI', 'ETTI', 'EITI', 'GEIQ', 'SEP', 'EA', 'EATT', 'ESAT'];
const kindFixtures = Object.fromEntries(
  KINDS.map((k) => [`kind${k}`, structure({ name: `Type ${k}`, kind: k, ...EMAIL, activities: [radius(MENAGE, 30, ['PREST', 'DISP'])] })]),
) as Record<`kind${KindCode}`, StructureInput>;

const F = {
  // Hard rules (sector NET, around Lille).
  alpha: structure({ name: 'Alpha Propreté', kind: 'EI', ...EMAIL, activities: [radius(NET, 30)] }),
  inactive: structure({ name: 'Inactive Propreté', ...EMAIL, active: false, activities: [radius(NET, 30)] }),
  hidden: structure({ name: 'Masquée Propreté', ...EMAIL, hidden: true, activities: [radius(NET, 30)] }),
  unreachable: structure({ name: 'Injoignable Propreté', activities: [radius(NET, 30)] }),
  phoneOnly: structure({ name: 'Téléphone Propreté', publicPhone: '03 20 00 00 00', activities: [radius(NET, 30)] }),
  privateOnly: structure({ name: 'Contact Privé Propreté', privateContact: { name: 'Direction', email: 'direction@structure.example' }, activities: [radius(NET, 30)] }),
  team: structure({ name: 'Équipe Propreté', activities: [radius(NET, 30)] }),
  emptyTeam: structure({ name: 'Équipe Vide Propreté', activities: [radius(NET, 30)] }),
  unconfirmedTeam: structure({ name: 'Équipe Non Confirmée Propreté', activities: [radius(NET, 30)] }),
  demo: structure({ name: 'Démo Propreté', ...EMAIL, isDemo: true, activities: [radius(NET, 30)] }),
  ea: structure({ name: 'Bêta Adaptée', kind: 'EA', ...EMAIL, activities: [radius(NET, 30)] }),

  // Kinds (sector MENAGE, around Lille).
  ...kindFixtures,

  // Areas (sector EV): need at Lille unless said otherwise.
  evCountry: structure({ name: 'EV France', communeCode: '75056', ...EMAIL, activities: [country(EV)] }),
  evEdge: structure({ name: 'EV Rayon Limite', ...EDGE, ...EMAIL, activities: [radius(EV, 20)] }),
  evBeyond: structure({ name: 'EV Rayon Dépassé', ...BEYOND, ...EMAIL, activities: [radius(EV, 20)] }),
  evCommune: structure({ name: 'EV Commune', communeCode: '75056', ...EMAIL, activities: [listed(EV, ['commune:59350'])] }),
  evEpci: structure({ name: 'EV Métropole', communeCode: '75056', ...EMAIL, activities: [listed(EV, [`epci:${MEL.slice(1)}`])] }),
  evDep: structure({ name: 'EV Nord', communeCode: '75056', ...EMAIL, activities: [listed(EV, ['departement:59'])] }),
  evRegion: structure({ name: 'EV Hauts-de-France', communeCode: '75056', ...EMAIL, activities: [listed(EV, ['region:32'])] }),
  evOtherDep: structure({ name: 'EV Pas-de-Calais', communeCode: '75056', ...EMAIL, activities: [listed(EV, ['departement:62'])] }),
  evOtherCommune: structure({ name: 'EV Roubaix', communeCode: '75056', ...EMAIL, activities: [listed(EV, ['commune:59512'])] }),
  evAmiens: structure({ name: 'EV Amiens', communeCode: '80021', ...EMAIL, activities: [radius(EV, 10)] }),
  // Located in Lille, but its activity lists the Bouches-du-Rhône only.
  evLocatedElsewhere: structure({ name: 'EV Lilloise Marseille', communeCode: '59350', ...EMAIL, activities: [listed(EV, ['departement:13'])] }),
  // In Lille, 3 km from its centre, with a 1 km radius: its own commune is always served.
  evLocatedRadius: structure({ name: 'EV Lilloise Rayon', communeCode: '59350', lat: (LILLE.lat as number) + 0.027, lon: LILLE.lon, ...EMAIL, activities: [radius(EV, 1)] }),

  // Sector, prestation and place on the same activity (sector RESTO).
  split: structure({ name: 'Resto Éclatée', communeCode: '80021', ...EMAIL, activities: [listed(EV, ['commune:59350']), listed(RESTO, ['departement:13'])] }),
  splitType: structure({ name: 'Resto Types', communeCode: '59350', ...EMAIL, activities: [radius(RESTO, 30, ['DISP']), country(LOGI, ['BUILD'])] }),
  restoOk: structure({ name: 'Resto Lille', communeCode: '59350', ...EMAIL, activities: [radius(RESTO, 30, ['PREST'])] }),

  // Ranking (sector LOGI, need at Lille).
  rankNear: structure({ name: 'Logi Proche', communeCode: '59350', ...COMPLETE, activities: [radius(LOGI, 10)] }),
  rankFar: structure({ name: 'Logi Arras', communeCode: '62041', ...COMPLETE, activities: [radius(LOGI, 80)] }),
  rankCatchAll: structure({
    name: 'Logi Généraliste',
    communeCode: '59350',
    ...COMPLETE,
    activities: [country(LOGI), country('travaux-de-chantiers-74', ['BUILD']), country('recyclage-textiles', ['BUILD']), country('genie-ecologique', ['BUILD']), country('pressing-et-nettoyage-a-sec', ['BUILD'])],
  }),
  rankSparse: structure({ name: 'Logi Incomplète', communeCode: '59350', ...EMAIL, activities: [radius(LOGI, 10)] }),
  twinB: structure({ name: 'Logi Jumelle B', communeCode: '59512', ...EMAIL, activities: [radius(LOGI, 40)] }),
  twinA: structure({ name: 'Logi Jumelle A', communeCode: '59512', ...EMAIL, activities: [radius(LOGI, 40)] }),

  // Responsiveness (sector BLANCH): identical but for their past answers.
  respGood: structure({ name: 'Blanchisserie Réactive', communeCode: '59350', ...EMAIL, activities: [radius(BLANCH, 30)] }),
  respBad: structure({ name: 'Blanchisserie Silencieuse', communeCode: '59350', ...EMAIL, activities: [radius(BLANCH, 30)] }),
  respNew: structure({ name: 'Blanchisserie Nouvelle', communeCode: '59350', ...EMAIL, activities: [radius(BLANCH, 30)] }),
  respOld: structure({ name: 'Blanchisserie Ancienne', communeCode: '59350', ...EMAIL, activities: [radius(BLANCH, 30)] }),
  respRecent: structure({ name: 'Blanchisserie Récente', communeCode: '59350', ...EMAIL, activities: [radius(BLANCH, 30)] }),
};
type Name = keyof typeof F;
const ALL = Object.keys(F) as Name[];
const NAME_OF = new Map(ALL.map((k) => [F[k].name, k]));
const ids = new Map<Name, string>();

let db: Db;
let platform: Platform;

const criteria = (over: Partial<MatchCriteria> = {}): MatchCriteria => ({
  place: { kind: 'commune', code: '59350' },
  sectors: [],
  serviceTypes: [],
  kinds: [],
  reservation: null,
  socialClause: false,
  ...over,
});
const keysOf = (items: Match[]): Name[] =>
  items.map((i) => {
    const k = NAME_OF.get(i.name);
    if (!k) throw new Error(`unexpected structure ${i.name}`);
    return k;
  });
async function found(c: MatchCriteria): Promise<Name[]> {
  const r = await matchNeed(platform, c);
  expect(r.total).toBe(r.items.length);
  return keysOf(r.items);
}

beforeAll(async () => {
  db = await createTestDb();
  platform = { db, config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DEMO: 'off' }) };
  const report = await importStructures(db, Object.values(F).map((input, i) => ({ line: i + 1, input })));
  expect(report.rejected).toEqual([]);
  const rows = await db.query<{ id: string; name: string }>('SELECT id, name FROM structures');
  for (const r of rows) ids.set(NAME_OF.get(r.name) as Name, r.id);
  // A team: a structure organisation with one member; an organisation without members is no team.
  const person = await createPerson(db, {});
  await addMember(db, await createOrganisation(db, { type: 'structure', name: 'Équipe', structureId: ids.get('team') }), person.id, 'admin');
  await createOrganisation(db, { type: 'structure', name: 'Équipe vide', structureId: ids.get('emptyTeam') });
  const unconfirmed = await createPerson(db, { confirmed: false });
  await addMember(db, await createOrganisation(db, { type: 'structure', name: 'Équipe non confirmée', structureId: ids.get('unconfirmedTeam') }), unconfirmed.id, 'admin');
  // Past sends: 3 answered for respGood, 3 unanswered for respBad, 40 days ago; respOld's 3 unanswered
  // sends are 13 months old (out of the window), respRecent's 3 are 2 days old (still within the grace).
  const need = async () => (await db.one<{ id: string }>(`INSERT INTO needs (reference, kind) VALUES ('T-' || gen_random_uuid(), 'QUOTE') RETURNING id`))?.id;
  const send = async (who: Name, daysAgo: number, answered: 'interested' | 'not_interested' | 'partners' | null) => {
    const col = answered ? `, ${answered}_at` : '';
    await db.query(
      `INSERT INTO need_recipients (need_id, structure_id, sent_at${col}) VALUES ($1, $2, now() - make_interval(days => $3)${answered ? ', now()' : ''})`,
      [await need(), ids.get(who), daysAgo],
    );
  };
  for (const a of ['interested', 'not_interested', 'partners'] as const) await send('respGood', 40, a);
  for (let i = 0; i < 3; i++) await send('respBad', 40, null);
  for (let i = 0; i < 3; i++) await send('respOld', 400, null);
  for (let i = 0; i < 3; i++) await send('respRecent', 2, null);
  forgetMatchingFacts(db);
});

afterAll(async () => {
  await db?.close();
});

describe('hard rules: active, not hidden, reachable, demo', () => {
  it.each<{ label: string; yes: Name[]; no: Name[] }>([
    { label: 'active and with a public email', yes: ['alpha', 'ea'], no: [] },
    { label: 'inactive or hidden', yes: [], no: ['inactive', 'hidden'] },
    { label: 'no email and no team (a public phone does not receive a need)', yes: [], no: ['unreachable', 'phoneOnly'] },
    { label: 'a private email known to the platform, or a team with a confirmed member', yes: ['privateOnly', 'team'], no: [] },
    { label: 'an organisation without members, or whose members have no confirmed address, is no team', yes: [], no: ['emptyTeam', 'unconfirmedTeam'] },
    { label: 'demo structures while the platform runs without DEMO', yes: [], no: ['demo'] },
  ])('$label', async ({ yes, no }) => {
    const got = await found(criteria({ sectors: [NET] }));
    for (const k of yes) expect(got).toContain(k);
    for (const k of no) expect(got).not.toContain(k);
  });

  it('includes demo structures when the platform runs with DEMO on', async () => {
    const demoOn: Platform = { db, config: { ...platform.config, demo: true } };
    expect(keysOf((await matchNeed(demoOn, criteria({ sectors: [NET] }))).items)).toContain('demo');
  });

  it('says how the structure is reached', async () => {
    const { items } = await matchNeed(platform, criteria({ sectors: [NET] }));
    const reasonsOf = (k: Name) => items.find((i) => i.name === F[k].name)?.reasons ?? [];
    expect(reasonsOf('alpha')).toContain('Joignable : adresse électronique publique');
    expect(reasonsOf('team')).toContain('Joignable : équipe inscrite sur la plateforme');
    expect(reasonsOf('privateOnly')).toContain('Joignable : adresse électronique connue de la plateforme');
  });
});

describe('kinds: reservations, social clause, kinds filter', () => {
  const all = KINDS.map((k) => `kind${k}` as Name);
  const only = (...kinds: KindCode[]) => kinds.map((k) => `kind${k}` as Name).sort();
  it.each<{ label: string; c: Partial<MatchCriteria>; expected: Name[] }>([
    { label: 'no frame: every kind', c: {}, expected: [...all].sort() },
    { label: 'L2113-12 (handicap): EA, EATT, ESAT', c: { reservation: 'L2113-12' }, expected: only('EA', 'EATT', 'ESAT') },
    { label: 'L2113-13 (insertion): EI, AI, ACI, ETTI, EITI', c: { reservation: 'L2113-13' }, expected: only('EI', 'AI', 'ACI', 'ETTI', 'EITI') },
    { label: 'L2113-14 (both): the two families, not GEIQ nor SEP', c: { reservation: 'L2113-14' }, expected: only('EI', 'AI', 'ACI', 'ETTI', 'EITI', 'EA', 'EATT', 'ESAT') },
    { label: 'social clause: GEIQ yes, EITI and SEP no', c: { socialClause: true }, expected: only('EI', 'AI', 'ACI', 'ETTI', 'GEIQ', 'EA', 'EATT', 'ESAT') },
    { label: 'L2113-13 with a social clause: EITI drops out', c: { reservation: 'L2113-13', socialClause: true }, expected: only('EI', 'AI', 'ACI', 'ETTI') },
    { label: 'kinds filter alone', c: { kinds: ['EA', 'SEP'] }, expected: only('EA', 'SEP') },
    { label: 'kinds filter within a reservation', c: { reservation: 'L2113-12', kinds: ['EA', 'EI'] }, expected: only('EA') },
    { label: 'kinds filter outside the reservation: nobody', c: { reservation: 'L2113-12', kinds: ['GEIQ'] }, expected: [] },
  ])('$label', async ({ c, expected }) => {
    expect((await found(criteria({ sectors: [MENAGE], ...c }))).sort()).toEqual(expected);
  });
});

describe('areas: country, radius edges, listed territories', () => {
  const dEdge = distanceKm(EDGE.lat, EDGE.lon, LILLE.lat as number, LILLE.lon as number);
  const dBeyond = distanceKm(BEYOND.lat, BEYOND.lon, LILLE.lat as number, LILLE.lon as number);
  it('fixtures sit exactly at the radius and 0.1 km beyond it, outside Lille', () => {
    expect(dEdge).toBeLessThanOrEqual(20);
    expect(dEdge).toBeGreaterThan(20 - 1e-9);
    expect(dBeyond).toBeCloseTo(20.1, 6);
    expect(EDGE.communeCode).not.toBe('59350');
    expect(BEYOND.communeCode).not.toBe('59350');
  });

  const ev = ALL.filter((k) => k.startsWith('ev'));
  /** Radius fixtures whose circle reaches one of the keys (the directory's cover keys, ADR 0002). */
  const radii = (...keys: string[]): Name[] => (['evEdge', 'evBeyond', 'evAmiens', 'evLocatedRadius'] as Name[]).filter((k) => keys.some((key) => radiusReaches(k, key)));
  it.each<{ label: string; place: MatchCriteria['place']; yes: Name[] }>([
    {
      label: 'commune Lille',
      place: { kind: 'commune', code: '59350' },
      // evBeyond: 20.1 km > 20; evOtherDep, evOtherCommune: elsewhere; evAmiens: 100 km; evLocatedElsewhere:
      // its only activity lists the Bouches-du-Rhône; evLocatedRadius: 3 km > 1 km, but in Lille.
      yes: ['evCountry', 'evEdge', 'evCommune', 'evEpci', 'evDep', 'evRegion', 'evLocatedRadius'],
    },
    {
      label: 'commune Lille given as a territory key',
      place: { kind: 'territories', keys: ['C59350'] },
      yes: ['evCountry', 'evEdge', 'evCommune', 'evEpci', 'evDep', 'evRegion', 'evLocatedRadius'],
    },
    {
      label: 'commune Marseille',
      place: { kind: 'commune', code: '13055' },
      yes: ['evCountry', 'evLocatedElsewhere'],
    },
    {
      label: 'département du Nord',
      place: { kind: 'territories', keys: ['D59'] },
      // Listed territories containing it (région) or inside it (Lille, MEL, Roubaix); radii reaching it.
      yes: ['evCountry', 'evCommune', 'evEpci', 'evDep', 'evRegion', 'evOtherCommune', ...radii('D59')],
    },
    {
      label: 'Pas-de-Calais or Somme',
      place: { kind: 'territories', keys: ['D62', 'D80'] },
      yes: ['evCountry', 'evRegion', 'evOtherDep', ...radii('D62', 'D80')],
    },
    {
      label: 'EPCI Métropole Européenne de Lille',
      place: { kind: 'territories', keys: [MEL] },
      yes: ['evCountry', 'evCommune', 'evEpci', 'evDep', 'evRegion', 'evOtherCommune', ...radii(MEL)],
    },
    {
      label: 'région Hauts-de-France',
      place: { kind: 'territories', keys: ['R32'] },
      yes: ['evCountry', 'evCommune', 'evEpci', 'evDep', 'evRegion', 'evOtherDep', 'evOtherCommune', ...radii('R32')],
    },
    {
      label: 'whole country: every activity of the sector',
      place: { kind: 'country' },
      yes: ev,
    },
  ])('$label', async ({ place, yes }) => {
    const got = (await found(criteria({ sectors: [EV], place }))).filter((k) => k.startsWith('ev')).sort();
    expect(got).toEqual([...new Set(yes)].sort());
  });

  it.each<MatchCriteria['place']>([
    { kind: 'commune', code: '59350' },
    { kind: 'territories', keys: ['D59'] },
    { kind: 'territories', keys: ['D62', 'C59350'] },
    { kind: 'territories', keys: [MEL] },
  ])('a need without sectors (whole-snapshot evaluation) finds the same places: %j', async (place) => {
    const evOnly = (keys: Name[]) => keys.filter((k) => k.startsWith('ev')).sort();
    expect(evOnly(await found(criteria({ place })))).toEqual(evOnly(await found(criteria({ place, sectors: [EV] }))));
  });

  it('radius fixtures reach what the expectations say', () => {
    expect(radiusReaches('evEdge', 'D59')).toBe(true);
    expect(radiusReaches('evAmiens', 'D80')).toBe(true);
    expect(radiusReaches('evAmiens', 'D59')).toBe(false);
    expect(radii('R32')).toEqual(['evEdge', 'evBeyond', 'evAmiens', 'evLocatedRadius']);
  });

  it('whole country: a country-wide activity ranks above an otherwise equal local one', async () => {
    const { items } = await matchNeed(platform, criteria({ sectors: [EV], place: { kind: 'country' } }));
    const byKey = (k: Name) => items.find((i) => i.name === F[k].name) as Match;
    expect(byKey('evCountry').components.distance).toBe(MATCHING.distance.countryActivity);
    expect(byKey('evDep').components.distance).toBe(MATCHING.distance.localActivityForCountry);
    expect(byKey('evDep').reasons).toContain('Activité Création et entretien des espaces verts, prestation de service, intervient sur Nord (59) : une partie du territoire national seulement');
  });

  it('unknown places match nobody', async () => {
    expect((await matchNeed(platform, criteria({ sectors: [EV], place: { kind: 'commune', code: '00000' } }))).total).toBe(0);
    expect((await matchNeed(platform, criteria({ sectors: [EV], place: { kind: 'territories', keys: ['D00'] } }))).total).toBe(0);
  });
});

/** Whether a radius fixture's circle reaches a territory, by the directory's cover keys (ADR 0002). */
function radiusReaches(k: Name, key: string): boolean {
  const s = F[k];
  const a = s.activities?.[0];
  if (!a || a.area.kind !== 'radius') return false;
  const at = s.lat != null ? { lat: s.lat, lon: s.lon as number } : (commune(s.communeCode as string) as { lat: number; lon: number });
  return T.reachKeys(at.lat, at.lon, a.area.radiusKm).includes(key);
}
describe('sector, prestation and place on the same activity', () => {
  it.each<{ label: string; c: Partial<MatchCriteria>; yes: Name[]; no: Name[] }>([
    // split: EV near Lille, RESTO in the Bouches-du-Rhône only.
    { label: 'sector B far does not match a need for B near', c: { sectors: [RESTO] }, yes: ['restoOk'], no: ['split'] },
    { label: 'sector A near matches a need for A near', c: { sectors: [EV] }, yes: ['split'], no: [] },
    { label: 'sector B matches where B is done', c: { sectors: [RESTO], place: { kind: 'commune', code: '13055' } }, yes: ['split'], no: ['restoOk'] },
    // splitType: RESTO by DISP near, LOGI by BUILD everywhere.
    { label: 'prestation of another activity does not count', c: { sectors: [RESTO], serviceTypes: ['PREST'] }, yes: ['restoOk'], no: ['splitType'] },
    { label: 'the right prestation on the right activity', c: { sectors: [RESTO], serviceTypes: ['DISP'] }, yes: ['splitType'], no: ['restoOk'] },
    { label: 'several sectors or prestations: one of them', c: { sectors: [RESTO, EV], serviceTypes: ['DISP', 'PREST'] }, yes: ['splitType', 'restoOk', 'split'], no: [] },
  ])('$label', async ({ c, yes, no }) => {
    const got = await found(criteria(c));
    for (const k of yes) expect(got).toContain(k);
    for (const k of no) expect(got).not.toContain(k);
  });

  it('the matched activity is named by its id', async () => {
    const { items } = await matchNeed(platform, criteria({ sectors: [RESTO], serviceTypes: ['DISP'] }));
    const m = items.find((i) => i.name === F.splitType.name) as Match;
    const a = await db.one<{ sector_slug: string; structure_id: string }>('SELECT sector_slug, structure_id FROM activities WHERE id = $1', [m.activityId]);
    expect(a).toEqual({ sector_slug: RESTO, structure_id: ids.get('splitType') });
  });
});

describe('ranking', () => {
  const c = criteria({ sectors: [LOGI] });
  it('orders by score, then distance, then name', async () => {
    const { items } = await matchNeed(platform, c);
    for (let i = 1; i < items.length; i++) {
      const [x, y] = [items[i - 1], items[i]];
      expect(x.score).toBeGreaterThanOrEqual(y.score);
      if (x.score === y.score && x.distanceKm != null && y.distanceKm != null) expect(x.distanceKm).toBeLessThanOrEqual(y.distanceKm);
    }
    for (const m of items) {
      expect(Number.isInteger(m.score)).toBe(true);
      expect(m.score).toBeGreaterThanOrEqual(0);
      expect(m.score).toBeLessThanOrEqual(100);
    }
  });

  it.each<{ label: string; better: Name; worse: Name; component: keyof Match['components'] }>([
    { label: 'closer is better', better: 'rankNear', worse: 'rankFar', component: 'distance' },
    { label: 'one sector in a small area beats a national catch-all', better: 'rankNear', worse: 'rankCatchAll', component: 'specificity' },
    { label: 'a complete profile beats an incomplete one', better: 'rankNear', worse: 'rankSparse', component: 'completeness' },
  ])('$label', async ({ better, worse, component }) => {
    const keys = keysOf((await matchNeed(platform, c)).items);
    const { items } = await matchNeed(platform, c);
    const get = (k: Name) => items.find((i) => i.name === F[k].name) as Match;
    expect(get(better).components[component]).toBeGreaterThan(get(worse).components[component]);
    expect(keys.indexOf(better)).toBeLessThan(keys.indexOf(worse));
  });

  it('equal scores and distances: by name (French order)', async () => {
    const keys = keysOf((await matchNeed(platform, c)).items);
    expect(keys.indexOf('twinA')).toBe(keys.indexOf('twinB') - 1);
  });

  it('is deterministic', async () => {
    const a = await matchNeed(platform, c);
    forgetMatchingFacts(db);
    const b = await matchNeed(platform, c);
    expect(b).toEqual(a);
  });

  it('distance is the haversine from the structure to the commune of the need', async () => {
    const { items } = await matchNeed(platform, c);
    const far = items.find((i) => i.name === F.rankFar.name) as Match;
    const arras = commune('62041');
    expect(far.distanceKm).toBe(Math.round(distanceKm(arras.lat as number, arras.lon as number, LILLE.lat as number, LILLE.lon as number) * 10) / 10);
    expect(far.components.distance).toBeCloseTo(1 / (1 + (far.distanceKm as number) / MATCHING.distance.halfKm), 2);
  });
});

describe('reasons in French', () => {
  it('reservation, activity with its distance, reach, profile, responsiveness', async () => {
    const { items } = await matchNeed(platform, criteria({ sectors: [NET], serviceTypes: ['PREST'], reservation: 'L2113-13' }));
    const alpha = items.find((i) => i.name === F.alpha.name) as Match;
    const d = km(LILLE, LILLE);
    expect(alpha.reasons).toEqual([
      "Entreprise d'insertion : éligible au marché réservé L2113-13",
      `Activité Nettoyage de locaux, prestation de service, intervient dans un rayon de 30 km : le lieu est à ${formatKm(d)}`,
      'Joignable : adresse électronique publique',
      'Profil complété à 30 %',
      'Aucun besoin reçu ces 12 derniers mois : réactivité neutre',
    ]);
  });

  it('reasons are part of the serialised match', async () => {
    const { items } = await matchNeed(platform, criteria({ sectors: [NET], reservation: 'L2113-13' }), { limit: 1 });
    const json = JSON.parse(JSON.stringify(items[0])) as Match;
    expect(json.reasons).toEqual(items[0].reasons);
    expect(json.reasons[0]).toMatch(/éligible au marché réservé L2113-13$/);
    expect({ ...items[0] }.reasons).toEqual(items[0].reasons);
  });

  it.each<{ label: string; who: Name; c: Partial<MatchCriteria>; reason: string }>([
    { label: 'handicap reservation', who: 'ea', c: { sectors: [NET], reservation: 'L2113-12' }, reason: 'Entreprise adaptée : éligible au marché réservé L2113-12' },
    { label: 'social clause', who: 'kindGEIQ', c: { sectors: [MENAGE], socialClause: true }, reason: "Groupement d'employeurs pour l'insertion et la qualification : peut porter la clause sociale d’insertion" },
    { label: 'kinds filter', who: 'kindSEP', c: { sectors: [MENAGE], kinds: ['SEP'] }, reason: 'Produits et services réalisés en prison : type de structure demandé' },
    { label: 'radius at the edge', who: 'evEdge', c: { sectors: [EV] }, reason: 'Activité Création et entretien des espaces verts, prestation de service, intervient dans un rayon de 20 km : le lieu est à 20 km' },
    { label: 'listed EPCI, with the distance', who: 'evEpci', c: { sectors: [EV] }, reason: `Activité Création et entretien des espaces verts, prestation de service, intervient sur ${T.label(T.byKey.get(MEL) as Territory)} : le lieu est à ${formatKm(km(commune('75056'), LILLE))}` },
    { label: 'whole country', who: 'evCountry', c: { sectors: [EV] }, reason: 'Activité Création et entretien des espaces verts, prestation de service, intervient dans toute la France' },
    { label: 'own commune beyond a small radius', who: 'evLocatedRadius', c: { sectors: [EV] }, reason: 'Activité Création et entretien des espaces verts, prestation de service, intervient dans un rayon de 1 km autour de son adresse, dans la commune du lieu (Lille)' },
    { label: 'listed département, need in a département', who: 'evDep', c: { sectors: [EV], place: { kind: 'territories', keys: ['D59'] } }, reason: 'Activité Création et entretien des espaces verts, prestation de service, intervient sur Nord (59)' },
    { label: 'listed commune inside the need’s département', who: 'evOtherCommune', c: { sectors: [EV], place: { kind: 'territories', keys: ['D59'] } }, reason: 'Activité Création et entretien des espaces verts, prestation de service, intervient sur Roubaix (59)' },
    { label: 'address in the need’s territory', who: 'evLocatedRadius', c: { sectors: [EV], place: { kind: 'territories', keys: ['D59'] } }, reason: 'Adresse dans le lieu d’exécution : Nord (59)' },
  ])('$label', async ({ who, c, reason }) => {
    const { items } = await matchNeed(platform, criteria(c));
    const m = items.find((i) => i.name === F[who].name);
    expect(m, `${who} should match`).toBeTruthy();
    expect((m as Match).reasons.some((r) => r.startsWith(reason))).toBe(true);
  });
});

describe('past responsiveness', () => {
  const c = criteria({ sectors: [BLANCH] });
  it('answers raise the rank, silence lowers it, never contacted is neutral', async () => {
    const { items } = await matchNeed(platform, c);
    const get = (k: Name) => items.find((i) => i.name === F[k].name) as Match;
    expect(get('respGood').components.responsiveness).toBeCloseTo(4 / 5, 3);
    expect(get('respBad').components.responsiveness).toBeCloseTo(1 / 5, 3);
    expect(get('respNew').components.responsiveness).toBe(0.5);
    expect(get('respGood').score).toBeGreaterThan(get('respNew').score);
    expect(get('respNew').score).toBeGreaterThan(get('respBad').score);
    expect(get('respGood').reasons).toContain('A répondu à 3 des 3 besoins reçus ces 12 derniers mois');
    expect(get('respBad').reasons).toContain('A répondu à 0 des 3 besoins reçus ces 12 derniers mois');
    expect(get('respNew').reasons).toContain('Aucun besoin reçu ces 12 derniers mois : réactivité neutre');
  });

  it('sends older than 12 months, or too recent to expect an answer, do not count', async () => {
    const { items } = await matchNeed(platform, c);
    const get = (k: Name) => items.find((i) => i.name === F[k].name) as Match;
    expect(get('respOld').components.responsiveness).toBe(0.5);
    expect(get('respRecent').components.responsiveness).toBe(0.5);
  });

  it('costs one aggregate query, loaded once for many matches', async () => {
    await match(db, c); // the snapshot is loaded
    forgetMatchingFacts(db);
    const statements: string[] = [];
    const text = (q: unknown) => (typeof q === 'string' ? q : JSON.stringify(q));
    const counted = <Q extends Pick<Db, 'query' | 'one' | 'exec'>>(q: Q) => ({
      query: (a: Parameters<Db['query']>[0], v?: unknown[]) => (statements.push(text(a)), q.query(a, v)),
      one: (a: Parameters<Db['one']>[0], v?: unknown[]) => (statements.push(text(a)), q.one(a, v)),
      exec: (a: string) => (statements.push(a), q.exec(a)),
    });
    const probe = { ...db, ...counted(db), driver: db.driver, transaction: <T>(fn: (tx: Queryable) => Promise<T>) => db.transaction((tx) => fn(counted(tx) as unknown as Queryable)) } as Db;
    await match(probe, c);
    // A new handle also loads its snapshot: a fixed number of statements, whatever the directory's size.
    expect(statements.filter((s) => s.includes('need_recipients'))).toHaveLength(1);
    expect(statements.length).toBeLessThanOrEqual(16);
    statements.length = 0;
    await match(probe, c);
    await match(probe, criteria({ sectors: [LOGI] }));
    expect(statements.filter((s) => s.includes('need_recipients'))).toHaveLength(0);
  });
});

describe('options: exclude and limit', () => {
  const c = criteria({ sectors: [NET] });
  it('exclude removes structures from the list and the total', async () => {
    const all = await matchNeed(platform, c);
    const r = await matchNeed(platform, c, { exclude: [ids.get('alpha') as string, ids.get('team') as string] });
    expect(r.total).toBe(all.total - 2);
    expect(keysOf(r.items)).not.toContain('alpha');
    expect(keysOf(r.items)).not.toContain('team');
    expect(r.items.map((i) => i.structureId)).toEqual(all.items.map((i) => i.structureId).filter((id) => id !== ids.get('alpha') && id !== ids.get('team')));
  });

  it('limit cuts the list, not the total', async () => {
    const all = await matchNeed(platform, c);
    const r = await matchNeed(platform, c, { limit: 2 });
    expect(r.total).toBe(all.total);
    expect(r.items).toEqual(all.items.slice(0, 2));
  });
});
