// Area served, unit level: the keys stored on an activity, the French explanation of a match,
// and the parsing of territory references. Geography comes from the real territories of France.
import { commune } from '../../../test/helpers/expect.ts';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.ts';
import { distanceKm, loadTerritories, type Territory } from '../territories/data.ts';
import { discPlace, explainServes, type Place, storedKeys, type StructurePoint, territoryPlace, territoryRefToKey } from './area.ts';
import type { Area } from './model.ts';

const T = loadTerritories();
const MEL = '200093201'; // Métropole Européenne de Lille
const LILLE = commune('59350');
const ROUBAIX = commune('59512');
const ARRAS = commune('62041');
const AMIENS = commune('80021');
const PARIS = commune('75056');
const km = (a: Territory, b: Territory) => distanceKm(a.lat as number, a.lon as number, b.lat as number, b.lon as number);

const pointOf = (c: Territory): StructurePoint => ({
  lat: c.lat,
  lon: c.lon,
  communeCode: c.code,
  communeName: c.name,
  departmentCode: c.departmentCode,
  regionCode: c.regionCode,
  epciCode: c.epciCode,
});

/** An activity as the repository stores it: keys computed by storedKeys at the structure's place. */
function activity(area: Area, at: Territory, sectorName = 'Nettoyage de locaux') {
  return { area, sectorName, ...storedKeys(area, { lat: at.lat, lon: at.lon }, T) };
}
const around = (c: Territory, radiusKm: number): Place => discPlace(T, c.lat as number, c.lon as number, radiusKm, c);
const inTerritory = (type: 'epci' | 'departement' | 'region', code: string): Place => {
  const t = T.get(type, code);
  if (!t) throw new Error(`test data: ${type} ${code} missing`);
  return territoryPlace(T, t);
};

/** Does a circle reach a territory? Independent oracle: a commune of the territory has its centre inside. */
function circleReaches(at: Territory, radiusKm: number, target: Territory): boolean {
  return T.communesOf(target).some((c) => c.lat != null && c.lon != null && distanceKm(at.lat as number, at.lon as number, c.lat, c.lon) <= radiusKm);
}

describe('territoryRefToKey', () => {
  it('turns typed references into typed keys, with or without accents and spaces', () => {
    expect(territoryRefToKey('commune:59350', T)).toBe('C59350');
    expect(territoryRefToKey('departement:59', T)).toBe('D59');
    expect(territoryRefToKey('département:59', T)).toBe('D59');
    expect(territoryRefToKey('region:32', T)).toBe('R32');
    expect(territoryRefToKey('région:32', T)).toBe('R32');
    expect(territoryRefToKey(`epci:${MEL}`, T)).toBe(`E${MEL}`);
    expect(territoryRefToKey('  DEPARTEMENT: 59 ', T)).toBe('D59');
  });

  it('accepts Corsican codes in any case', () => {
    expect(territoryRefToKey('departement:2a', T)).toBe('D2A');
    expect(territoryRefToKey('commune:2a004', T)).toBe('C2A004');
  });

  it('accepts keys already typed (D59, C59350), in any case', () => {
    expect(territoryRefToKey('D59', T)).toBe('D59');
    expect(territoryRefToKey('c59350', T)).toBe('C59350');
    expect(territoryRefToKey(`E${MEL}`, T)).toBe(`E${MEL}`);
  });

  it.each([
    ['departement:999'],
    ['commune:00000'],
    ['region:99'],
    ['epci:123456789'],
    ['pays:FR'],
    ['59'], // a bare code is ambiguous (département 59? commune?) and must be typed
    ['Lille'],
    ['X59'],
    [''],
    ['departement:'],
  ])('refuses %j with UNKNOWN_TERRITORY and a French message quoting the reference', (ref) => {
    let caught: unknown;
    try {
      territoryRefToKey(ref, T);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    const e = caught as AppError;
    expect(e.code).toBe('UNKNOWN_TERRITORY');
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/^Territoire inconnu/);
    expect(e.message).toContain(`« ${ref} »`);
  });
});

describe('storedKeys', () => {
  it('stores nothing for the whole country', () => {
    expect(storedKeys({ kind: 'country' }, { lat: LILLE.lat, lon: LILLE.lon }, T)).toEqual({ territoryKeys: [], coverKeys: [] });
  });

  it('stores nothing for a radius when the structure has no coordinates', () => {
    expect(storedKeys({ kind: 'radius', radiusKm: 50 }, { lat: null, lon: null }, T)).toEqual({ territoryKeys: [], coverKeys: [] });
  });

  it('stores, for a small radius, the EPCI, département and région of the structure (no commune keys)', () => {
    const k = storedKeys({ kind: 'radius', radiusKm: 1 }, { lat: LILLE.lat, lon: LILLE.lon }, T);
    expect(k.territoryKeys).toEqual([]);
    expect(k.coverKeys).toEqual([`D59`, `E${MEL}`, 'R32'].sort());
  });

  it('stores, for a radius, every département the circle reaches and only those', () => {
    const k = storedKeys({ kind: 'radius', radiusKm: 30 }, { lat: ARRAS.lat, lon: ARRAS.lon }, T);
    expect(k.coverKeys.some((x) => x.startsWith('C'))).toBe(false);
    for (const dep of ['59', '62', '80', '02', '60', '75']) {
      const d = T.get('departement', dep) as Territory;
      expect(k.coverKeys.includes(`D${dep}`), `département ${dep}`).toBe(circleReaches(ARRAS, 30, d));
    }
    // Douai (59) is about 26 km from Arras: the 30 km circle reaches the Nord.
    expect(k.coverKeys).toContain('D59');
    expect(k.coverKeys).toContain(`E${MEL}`);
    expect(k.coverKeys).not.toContain('D02');
    // Sorted and without duplicates.
    expect(k.coverKeys).toEqual([...new Set(k.coverKeys)].sort());
  });

  it('stores listed territories (deduplicated, sorted) and covers them with what contains them', () => {
    const k = storedKeys({ kind: 'territories', territories: ['departement:59', 'commune:59512', 'D59', 'département:59'] }, { lat: null, lon: null }, T);
    expect(k.territoryKeys).toEqual(['C59512', 'D59']);
    expect(k.coverKeys).toEqual(['C59512', 'D59', `E${MEL}`, 'R32'].sort());
  });

  it('covers a listed EPCI with its département and région, a listed département with its région', () => {
    expect(storedKeys({ kind: 'territories', territories: [`epci:${MEL}`] }, { lat: null, lon: null }, T).coverKeys).toEqual(['D59', `E${MEL}`, 'R32']);
    expect(storedKeys({ kind: 'territories', territories: ['departement:80'] }, { lat: null, lon: null }, T).coverKeys).toEqual(['D80', 'R32']);
    expect(storedKeys({ kind: 'territories', territories: ['region:11'] }, { lat: null, lon: null }, T)).toEqual({ territoryKeys: ['R11'], coverKeys: ['R11'] });
  });

  it('throws on an unknown listed territory', () => {
    expect(() => storedKeys({ kind: 'territories', territories: ['commune:59350', 'departement:00'] }, { lat: null, lon: null }, T)).toThrow(AppError);
  });
});

describe('explainServes', () => {
  const dLR = km(LILLE, ROUBAIX); // ≈ 11.6 km
  const dLA = km(LILLE, ARRAS); // ≈ 42.8 km

  it('serves every place from a whole-country activity', () => {
    const a = activity({ kind: 'country' }, PARIS);
    for (const place of [around(LILLE, 0), around(AMIENS, 5), inTerritory('departement', '59'), inTerritory('region', '32'), inTerritory('epci', MEL)]) {
      expect(explainServes(a, pointOf(PARIS), place, T)).toBe('Nettoyage de locaux : intervient dans toute la France');
    }
  });

  describe('radius around the structure, disc search: distance ≤ activity radius + search radius', () => {
    const a = activity({ kind: 'radius', radiusKm: 30 }, ARRAS);
    it('just outside', () => {
      expect(explainServes(a, pointOf(ARRAS), around(LILLE, dLA - 30 - 0.01), T)).toBeNull();
    });
    it('just inside, saying the radius and the distance', () => {
      const why = explainServes(a, pointOf(ARRAS), around(LILLE, dLA - 30 + 0.01), T);
      expect(why).toBe(`Nettoyage de locaux : intervient dans un rayon de 30 km, le lieu est à ${Math.round(dLA)} km`);
    });
    it('short distances are written with a decimal comma', () => {
      const b = activity({ kind: 'radius', radiusKm: 10 }, ROUBAIX);
      expect(explainServes(b, pointOf(ROUBAIX), around(ROUBAIX, 0), T)).toBe('Nettoyage de locaux : intervient dans un rayon de 10 km, le lieu est à 0,0 km');
    });
    it('never from a structure without coordinates', () => {
      const p = { ...pointOf(ARRAS), lat: null, lon: null };
      expect(explainServes(a, p, around(ARRAS, 100), T)).toBeNull();
    });
  });

  describe('radius around the structure, territory search: the circle reaches the territory', () => {
    const a = activity({ kind: 'radius', radiusKm: 30 }, ARRAS);
    it.each([
      ['departement', '59'],
      ['departement', '62'],
      ['departement', '80'],
      ['departement', '02'],
      ['departement', '75'],
      ['region', '32'],
      ['region', '11'],
      ['epci', MEL],
    ] as const)('%s %s', (type, code) => {
      const place = inTerritory(type, code);
      const target = place.kind === 'territory' ? place.territory : (undefined as never);
      const why = explainServes(a, pointOf(ARRAS), place, T);
      if (circleReaches(ARRAS, 30, target)) expect(why).toBe(`Nettoyage de locaux : son rayon d’intervention de 30 km atteint ${T.label(target)}`);
      else expect(why).toBeNull();
    });
    it('reaches the Nord and the MEL, not the Aisne nor Paris (sanity of the oracle)', () => {
      expect(explainServes(a, pointOf(ARRAS), inTerritory('departement', '59'), T)).not.toBeNull();
      expect(explainServes(a, pointOf(ARRAS), inTerritory('epci', MEL), T)).not.toBeNull();
      expect(explainServes(a, pointOf(ARRAS), inTerritory('departement', '02'), T)).toBeNull();
      expect(explainServes(a, pointOf(ARRAS), inTerritory('region', '11'), T)).toBeNull();
    });
  });

  describe('listed commune', () => {
    const a = activity({ kind: 'territories', territories: ['commune:59512'] }, PARIS);
    it('disc that does not contain it: not served', () => {
      expect(explainServes(a, pointOf(PARIS), around(LILLE, dLR - 0.01), T)).toBeNull();
    });
    it('disc that contains it: served, naming the commune', () => {
      expect(explainServes(a, pointOf(PARIS), around(LILLE, dLR + 0.01), T)).toBe('Nettoyage de locaux : intervient sur Roubaix (59)');
    });
    it('disc centred on it, radius 0: served', () => {
      expect(explainServes(a, pointOf(PARIS), around(ROUBAIX, 0), T)).toBe('Nettoyage de locaux : intervient sur Roubaix (59)');
    });
    it.each([
      ['departement', '59', true],
      ['region', '32', true],
      ['epci', MEL, true],
      ['departement', '62', false],
      ['region', '11', false],
      ['epci', '248000531', false], // CA Amiens Métropole
    ] as const)('inside %s %s: %s', (type, code, served) => {
      const why = explainServes(a, pointOf(PARIS), inTerritory(type, code), T);
      if (served) expect(why).toBe('Nettoyage de locaux : intervient sur Roubaix (59)');
      else expect(why).toBeNull();
    });
  });

  describe('listed département', () => {
    const a = activity({ kind: 'territories', territories: ['departement:59'] }, AMIENS);
    it.each([
      ['a disc in it', around(LILLE, 0), true],
      ['a disc far from it', around(PARIS, 20), false],
      ['an EPCI inside it', inTerritory('epci', MEL), true],
      ['itself', inTerritory('departement', '59'), true],
      ['its région (the département is inside)', inTerritory('region', '32'), true],
      ['a neighbour département', inTerritory('departement', '62'), false],
      ['another région', inTerritory('region', '11'), false],
    ])('%s', (_label, place, served) => {
      const why = explainServes(a, pointOf(AMIENS), place, T);
      if (served) expect(why).toBe('Nettoyage de locaux : intervient sur Nord (59)');
      else expect(why).toBeNull();
    });
    it('is not served because the structure is located in the searched place (that is another rule)', () => {
      // Amiens is in the Somme: the listed Nord does not serve the Somme.
      expect(explainServes(a, pointOf(AMIENS), inTerritory('departement', '80'), T)).toBeNull();
    });
  });

  describe('listed région', () => {
    const a = activity({ kind: 'territories', territories: ['region:32'] }, PARIS);
    it.each([
      ['a commune disc in it', around(AMIENS, 0), true],
      ['a département in it', inTerritory('departement', '80'), true],
      ['an EPCI in it', inTerritory('epci', MEL), true],
      ['itself', inTerritory('region', '32'), true],
      ['a disc in Paris', around(PARIS, 5), false],
      ['Paris département', inTerritory('departement', '75'), false],
    ])('%s', (_label, place, served) => {
      const why = explainServes(a, pointOf(PARIS), place, T);
      if (served) expect(why).toBe('Nettoyage de locaux : intervient sur Hauts-de-France');
      else expect(why).toBeNull();
    });
  });

  describe('listed EPCI', () => {
    const a = activity({ kind: 'territories', territories: [`epci:${MEL}`] }, PARIS);
    const name = (T.get('epci', MEL) as Territory).name;
    it.each([
      ['a disc around one of its communes', around(ROUBAIX, 0), true],
      ['its département (the EPCI is inside)', inTerritory('departement', '59'), true],
      ['its région', inTerritory('region', '32'), true],
      ['itself', inTerritory('epci', MEL), true],
      ['another EPCI of the same département', inTerritory('epci', '245900428'), false], // CU de Dunkerque
      ['another département', inTerritory('departement', '62'), false],
      ['a disc around Amiens', around(AMIENS, 10), false],
    ])('%s', (_label, place, served) => {
      const why = explainServes(a, pointOf(PARIS), place, T);
      if (served) expect(why).toBe(`Nettoyage de locaux : intervient sur ${name}`);
      else expect(why).toBeNull();
    });
  });

  it('names at most three listed communes inside a searched département', () => {
    const a = activity({ kind: 'territories', territories: ['commune:59350', 'commune:59512', 'commune:59599', 'commune:59009', 'commune:62041'] }, PARIS);
    const why = explainServes(a, pointOf(PARIS), inTerritory('departement', '59'), T) as string;
    expect(why).toMatch(/^Nettoyage de locaux : intervient sur /);
    const names = why.replace(/^Nettoyage de locaux : intervient sur /, '').split(', ');
    expect(names).toHaveLength(3);
    for (const n of names) expect(n).toMatch(/\(59\)$/);
    // Arras (62) is listed too but is not inside the Nord.
    expect(why).not.toContain('Arras');
  });

  it('a point without commune: a listed commune is served only when its centre is in the disc', () => {
    const a = activity({ kind: 'territories', territories: ['commune:59512'] }, PARIS);
    const near = discPlace(T, LILLE.lat as number, LILLE.lon as number, dLR + 0.01, null);
    const far = discPlace(T, LILLE.lat as number, LILLE.lon as number, dLR - 0.01, null);
    expect(explainServes(a, pointOf(PARIS), near, T)).toBe('Nettoyage de locaux : intervient sur Roubaix (59)');
    expect(explainServes(a, pointOf(PARIS), far, T)).toBeNull();
  });
});
