// Territories in memory: geocoding an address to a commune, autocompletion, and the keys a circle,
// a disc or a territory touch. Real data (COG 2026 and La Poste coordinates).
import { describe, expect, it } from 'vitest';
import { departmentFromPostal, distanceKm, loadTerritories, type Territory } from './data.ts';

const T = loadTerritories();
const MEL = '200093201';
const must = <X>(x: X | undefined, what: string): X => {
  if (x === undefined) throw new Error(`test data: ${what} missing`);
  return x;
};
const commune = (code: string) => must(T.commune(code), `commune ${code}`);
const LILLE = commune('59350');
const ROUBAIX = commune('59512');
const ARRAS = commune('62041');
const keysOf = (list: Territory[]) => list.map((t) => t.key);
const km = (a: Territory, b: Territory) => distanceKm(a.lat as number, a.lon as number, b.lat as number, b.lon as number);

describe('resolveCommune', () => {
  const resolve = (input: Parameters<typeof T.resolveCommune>[0]) => T.resolveCommune(input)?.key;

  it('finds a commune by its INSEE code, Corsica included, in any case', () => {
    expect(resolve({ code: '59350' })).toBe('C59350');
    expect(resolve({ code: '2a004' })).toBe('C2A004');
    expect(resolve({ code: ' 2B033 ' })).toBe('C2B033');
  });

  it('falls back on the postal code and the name when the INSEE code is unknown', () => {
    expect(resolve({ code: '99999', postalCode: '59100', city: 'Roubaix' })).toBe('C59512');
    expect(resolve({ code: '99999' })).toBeUndefined();
  });

  it('finds a commune by a postal code that is its own, with or without the name', () => {
    expect(resolve({ postalCode: '59100' })).toBe('C59512');
    expect(resolve({ postalCode: '59100', city: 'ROUBAIX' })).toBe('C59512');
    expect(resolve({ postalCode: ' 62000 ', city: 'Arras' })).toBe('C62041');
  });

  describe('postal code shared by several communes', () => {
    it('59160 (Capinghem, Lille): the name decides', () => {
      expect(resolve({ postalCode: '59160', city: 'Capinghem' })).toBe('C59128');
      expect(resolve({ postalCode: '59160', city: 'LILLE' })).toBe('C59350');
    });
    it('59160 without a name is ambiguous: no guess', () => {
      expect(resolve({ postalCode: '59160' })).toBeUndefined();
    });
    it.each(['Saint-Omer', 'saint omer', 'St Omer', 'ST-OMER', 'St-Omer CEDEX 2', 'Saint Omer Cedex', 'SAINT-OMER cedex'])(
      '62500 (nine communes) with %j gives Saint-Omer (62)',
      (city) => {
        expect(resolve({ postalCode: '62500', city })).toBe('C62765');
      },
    );
    it.each(['Saint-Martin-lez-Tatinghem', 'St Martin lez Tatinghem', 'ST-MARTIN-LEZ-TATINGHEM'])('62500 with %j gives Saint-Martin-lez-Tatinghem', (city) => {
      expect(resolve({ postalCode: '62500', city })).toBe('C62757');
    });
    it('62500 with Tilques gives Tilques', () => {
      expect(resolve({ postalCode: '62500', city: 'Tilques' })).toBe('C62819');
    });
    // Regression: a misspelt name in a shared postal code is rejected, not guessed from its first word.
    it('62500 with an unknown "Saint-…" name is not guessed', () => {
      expect(resolve({ postalCode: '62500', city: 'Saint-Machin' })).toBeUndefined();
    });
    it('59570 with a misspelt "La Longeville" is not geocoded to L’Orée de Mormal', () => {
      // "l oree de mormal" → first word "l", and "la longeville" starts with "l".
      expect(resolve({ postalCode: '59570', city: 'La Longeville' })).toBeUndefined();
    });
    it('59570 with the right spelling gives La Longueville', () => {
      expect(T.resolveCommune({ postalCode: '59570', city: 'La Longueville' })?.name).toBe('La Longueville');
    });
  });

  describe('CEDEX postal codes (not in the list of the commune)', () => {
    it('uses the département of the postal code and the name', () => {
      expect(resolve({ postalCode: '59043', city: 'LILLE CEDEX' })).toBe('C59350');
      expect(resolve({ postalCode: '62505', city: 'St-Omer Cedex' })).toBe('C62765'); // not Saint-Omer (14)
      expect(resolve({ postalCode: '14221', city: 'Saint-Omer CEDEX' })).toBe('C14635');
    });
    it('an unknown name in a CEDEX code is not guessed', () => {
      expect(resolve({ postalCode: '59043', city: 'Nulle-Part CEDEX' })).toBeUndefined();
    });
  });

  describe('name only', () => {
    it('a name borne by one commune in France is enough', () => {
      expect(resolve({ city: "Villeneuve-d'Ascq" })).toBe('C59009');
      expect(resolve({ city: 'villeneuve d ascq' })).toBe('C59009');
    });
    it('a name borne by two communes needs the département', () => {
      expect(resolve({ city: 'Saint-Omer' })).toBeUndefined();
      expect(resolve({ city: 'St Omer', department: '14' })).toBe('C14635');
      expect(resolve({ city: 'Saint Omer', department: '62' })).toBe('C62765');
    });
    it('an unknown name gives nothing', () => {
      expect(resolve({ city: 'Nulle-Part-sur-Mer' })).toBeUndefined();
      expect(resolve({})).toBeUndefined();
    });
  });

  it('Paris, Lyon, Marseille: an arrondissement postal code gives the commune', () => {
    expect(resolve({ postalCode: '75011', city: 'Paris 11e' })).toBe('C75056');
    expect(resolve({ postalCode: '13013', city: 'Marseille 13e arrondissement' })).toBe('C13055');
    expect(resolve({ postalCode: '69009', city: 'LYON 9EME' })).toBe('C69123');
  });

  it('Corsica: postal codes 20xxx split between 2A and 2B', () => {
    expect(departmentFromPostal('20000')).toBe('2A');
    expect(departmentFromPostal('20200')).toBe('2B');
    expect(departmentFromPostal('97100')).toBe('971');
    expect(departmentFromPostal('59000')).toBe('59');
    expect(resolve({ postalCode: '20090', city: 'Ajaccio CEDEX' })).toBe('C2A004');
    expect(resolve({ postalCode: '20200', city: 'Bastia' })).toBe('C2B033');
  });
});

describe('suggest', () => {
  it('a postal code gives its communes', () => {
    // The postal code first (Roubaix); 59100 is also an INSEE code, of another commune, listed after.
    expect(keysOf(T.suggest('59100'))[0]).toBe('C59512');
    const cp = T.suggest('62500', 20);
    const withCode = T.communes.filter((c) => c.postalCodes.includes('62500')).map((c) => c.key);
    expect(withCode).toHaveLength(9);
    expect(keysOf(cp).slice(0, 9).sort()).toEqual(withCode.sort());
  });

  it('five digits are read as a postal code and as an INSEE code', () => {
    // 59350 is the postal code of Saint-André-lez-Lille and the INSEE code of Lille.
    const keys = keysOf(T.suggest('59350'));
    expect(keys).toContain('C59527');
    expect(keys).toContain('C59350');
    // 62500 is also the INSEE code of Lespesses.
    expect(keysOf(T.suggest('62500', 20))).toContain('C62500');
  });

  it('two digits give the département (and the région with that code), then communes by postal code, biggest first', () => {
    const s = T.suggest('59');
    expect(s[0].key).toBe('D59');
    expect(s[1].key).toBe('C59350');
    const communes = s.filter((t) => t.type === 'commune');
    expect(communes.every((c) => c.postalCodes.some((p) => p.startsWith('59')))).toBe(true);
    const pops = communes.map((c) => c.population ?? 0);
    expect(pops).toEqual([...pops].sort((a, b) => b - a));
    expect(keysOf(T.suggest('32')).slice(0, 2).sort()).toEqual(['D32', 'R32']);
  });

  it('a prefix of a postal code gives the communes whose code starts with it', () => {
    const s = T.suggest('5935');
    expect(s.length).toBeGreaterThan(0);
    expect(s.every((c) => c.type === 'commune' && c.postalCodes.some((p) => p.startsWith('5935')))).toBe(true);
  });

  it('Corsican départements by code', () => {
    expect(keysOf(T.suggest('2A'))).toEqual(['D2A']);
    expect(keysOf(T.suggest('2b'))).toEqual(['D2B']);
  });

  // Regression: Corsican INSEE codes (2A/2B) are INSEE codes, not postal-code prefixes.
  it('a Corsican INSEE code gives the commune', () => {
    expect(keysOf(T.suggest('2A004'))).toContain('C2A004');
  });

  it('a name, ignoring case and accents: exact names first, then the EPCI and communes that contain it', () => {
    const s = T.suggest('lille');
    expect(s[0].key).toBe('C59350');
    expect(keysOf(s)).toContain(`E${MEL}`);
    expect(keysOf(T.suggest('LILLÉ'))).toEqual(keysOf(s));
    expect(keysOf(T.suggest('villeneuve d ascq'))[0]).toBe('C59009');
    expect(keysOf(T.suggest('marcq en baroeul'))[0]).toBe('C59378'); // Marcq-en-Barœul
  });

  it('départements and régions by name, before communes that merely contain the word', () => {
    expect(T.suggest('nord')[0].key).toBe('D59');
    expect(T.suggest('hauts de france')[0].key).toBe('R32');
    expect(T.suggest('pas-de-calais')[0].key).toBe('D62');
  });

  it('two communes with the same name: both, the most populated first', () => {
    const keys = keysOf(T.suggest('saint-omer'));
    expect(keys.slice(0, 2)).toEqual(['C62765', 'C14635']);
  });

  // Regression: "St" is how people write "Saint", in autocompletion as in imports.
  it('"st omer" suggests Saint-Omer', () => {
    expect(keysOf(T.suggest('st omer'))).toContain('C62765');
  });

  it('filters by type and respects the limit', () => {
    expect(T.suggest('59', 10, ['commune']).every((t) => t.type === 'commune')).toBe(true);
    expect(keysOf(T.suggest('lille', 10, ['epci']))).toEqual([`E${MEL}`]);
    expect(T.suggest('nord', 5, ['departement', 'region']).every((t) => t.type === 'departement' || t.type === 'region')).toBe(true);
    expect(T.suggest('saint', 3)).toHaveLength(3);
    expect(T.suggest('59', 50).length).toBe(50);
  });

  it('nothing for blank input or unknown words', () => {
    expect(T.suggest('')).toEqual([]);
    expect(T.suggest('   ')).toEqual([]);
    expect(T.suggest('zzzzqqq')).toEqual([]);
  });
});

describe('reachKeys (what a circle around a structure reaches)', () => {
  const reaches = (at: Territory, r: number, t: Territory) =>
    T.communesOf(t).some((c) => c.lat != null && c.lon != null && distanceKm(at.lat as number, at.lon as number, c.lat, c.lon) <= r);

  it('a 1 km circle in Lille reaches its EPCI, département and région, never commune keys', () => {
    expect(T.reachKeys(LILLE.lat as number, LILLE.lon as number, 1)).toEqual(['D59', `E${MEL}`, 'R32']);
  });

  it('a 30 km circle around Arras reaches exactly the départements that have a commune centre within 30 km', () => {
    const keys = T.reachKeys(ARRAS.lat as number, ARRAS.lon as number, 30);
    expect(keys).toEqual([...keys].sort());
    expect(keys.some((k) => k.startsWith('C'))).toBe(false);
    for (const d of T.all('departement')) expect(keys.includes(d.key), d.key).toBe(reaches(ARRAS, 30, d) || d.key === 'D62');
    expect(keys).toContain('D59');
    expect(keys).toContain(`E${MEL}`);
  });

  it('a 5 km circle around Arras stays in the Pas-de-Calais', () => {
    const keys = T.reachKeys(ARRAS.lat as number, ARRAS.lon as number, 5);
    expect(keys.filter((k) => k.startsWith('D') || k.startsWith('R'))).toEqual(['D62', 'R32']);
  });

  it('a point at sea, far from any commune, reaches nothing', () => {
    expect(T.reachKeys(45, -20, 10)).toEqual([]);
  });
});

describe('discKeys (what a searched disc overlaps)', () => {
  const dLR = km(LILLE, ROUBAIX);

  it('radius 0 around Lille: Lille and what contains it', () => {
    expect(T.discKeys(LILLE.lat as number, LILLE.lon as number, 0).sort()).toEqual(['C59350', 'D59', `E${MEL}`, 'R32'].sort());
  });

  it('contains Roubaix exactly when the radius reaches its centre', () => {
    expect(T.discKeys(LILLE.lat as number, LILLE.lon as number, dLR - 0.01)).not.toContain('C59512');
    expect(T.discKeys(LILLE.lat as number, LILLE.lon as number, dLR + 0.01)).toContain('C59512');
  });

  it('is every commune within the radius plus its parents', () => {
    const keys = new Set(T.discKeys(LILLE.lat as number, LILLE.lon as number, 8));
    const within = T.communes.filter((c) => c.lat != null && c.lon != null && distanceKm(LILLE.lat as number, LILLE.lon as number, c.lat, c.lon) <= 8);
    expect(within.length).toBeGreaterThan(3);
    const expected = new Set<string>();
    for (const c of within) for (const k of [c.key, ...T.parentKeys(c)]) expected.add(k);
    expect([...keys].sort()).toEqual([...expected].sort());
  });

  it('a point at sea overlaps nothing', () => {
    expect(T.discKeys(45, -20, 10)).toEqual([]);
  });
});

describe('overlappingKeys', () => {
  it('a commune: itself and what contains it', () => {
    expect(T.overlappingKeys(LILLE).sort()).toEqual(['C59350', 'D59', `E${MEL}`, 'R32'].sort());
  });

  it('a département: itself, its région, its communes and their EPCI; not its neighbours', () => {
    const d59 = must(T.get('departement', '59'), 'D59');
    const keys = new Set(T.overlappingKeys(d59));
    for (const k of ['D59', 'R32', 'C59350', 'C59512', `E${MEL}`]) expect(keys.has(k), k).toBe(true);
    for (const k of ['D62', 'C62041', 'R11']) expect(keys.has(k), k).toBe(false);
    expect([...keys].filter((k) => k.startsWith('C')).length).toBe(T.communesOf(d59).length);
  });

  it('an EPCI: itself, its département and région, its communes', () => {
    const mel = must(T.get('epci', MEL), 'MEL');
    const keys = new Set(T.overlappingKeys(mel));
    for (const k of [`E${MEL}`, 'D59', 'R32', 'C59350', 'C59512', 'C59599']) expect(keys.has(k), k).toBe(true);
    expect(keys.has('C62041')).toBe(false);
    expect(keys.has('D62')).toBe(false);
  });

  it('a région: itself, its five départements, never another région’s', () => {
    const keys = T.overlappingKeys(must(T.get('region', '32'), 'R32'));
    expect(keys.filter((k) => k.startsWith('D')).sort()).toEqual(['D02', 'D59', 'D60', 'D62', 'D80']);
    expect(keys.filter((k) => k.startsWith('R'))).toEqual(['R32']);
  });
});

describe('labels and distances', () => {
  it('labels a commune and a département with the département code', () => {
    expect(T.label(LILLE)).toBe('Lille (59)');
    expect(T.label(must(T.get('departement', '59'), 'D59'))).toBe('Nord (59)');
    expect(T.label(must(T.get('region', '32'), 'R32'))).toBe('Hauts-de-France');
  });
  it('measures Lille–Roubaix at about 11.6 km and is symmetric', () => {
    expect(km(LILLE, ROUBAIX)).toBeCloseTo(11.6, 1);
    expect(km(ROUBAIX, LILLE)).toBe(km(LILLE, ROUBAIX));
    expect(km(LILLE, LILLE)).toBe(0);
  });
  it('lists communes within a radius, nearest first', () => {
    const list = T.communesWithin(LILLE.lat as number, LILLE.lon as number, 12);
    expect(list[0].commune.key).toBe('C59350');
    expect(list.map((x) => x.commune.key)).toContain('C59512');
    const d = list.map((x) => x.km);
    expect(d).toEqual([...d].sort((a, b) => a - b));
    expect(d.every((x) => x <= 12)).toBe(true);
  });
});
