// Directory search on a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL): places of every kind,
// radius edges, sector × prestation type × place on one activity, kinds, words, SIRET/SIREN, facets,
// sorting, pagination and the French reasons of each match.
//
// Fixtures are small and named after the NATO alphabet; what each one should match is decided from the
// rules of the issue (located in the place, or an activity that serves it), not copied from the output.
import { commune } from './helpers/expect.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db.ts';
import { completeSiret } from '../src/core/siret.ts';
import { normalize } from '../src/core/text.ts';
import type { StructureInput } from '../src/modules/directory/model.ts';
import { SearchQuerySchema, type SearchResult, searchStructures } from '../src/modules/directory/search.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { getReferentials, type Referentials } from '../src/modules/referentials/service.ts';
import { distanceKm, loadTerritories, type Territory } from '../src/modules/territories/data.ts';
import { createTestDb } from './helpers/db.ts';
import { structure } from './helpers/fixtures.ts';

const T = loadTerritories();
const MEL = '200093201'; // Métropole Européenne de Lille
const CA_AMIENS = '248000531';
const LILLE = commune('59350');
const ROUBAIX = commune('59512');
const ARRAS = commune('62041');
const AMIENS = commune('80021');
const km = (a: { lat: number | null; lon: number | null }, b: { lat: number | null; lon: number | null }) =>
  distanceKm(a.lat as number, a.lon as number, b.lat as number, b.lon as number);

const NET = 'nettoyage-de-locaux-16';
const EV = 'creation-et-entretien-des-espaces-verts';
const CHANTIER = 'travaux-de-chantiers-74';
const LOGI = 'logistique-conditionnement';
const MENAGE = 'aide-menagere';
const RESTO = 'restaurants-cantines';

type Act = NonNullable<StructureInput['activities']>[number];
const radius = (sector: string, types: Act['serviceTypes'], radiusKm: number): Act => ({ sector, serviceTypes: types, area: { kind: 'radius', radiusKm } });
const listed = (sector: string, types: Act['serviceTypes'], ...territories: string[]): Act => ({ sector, serviceTypes: types, area: { kind: 'territories', territories } });
const country = (sector: string, types: Act['serviceTypes']): Act => ({ sector, serviceTypes: types, area: { kind: 'country' } });

const ALPHA_SIRET = completeSiret('4328293200007');
const QUEBEC_SIRET = completeSiret(`${ALPHA_SIRET.slice(0, 9)}0002`); // same SIREN, another establishment

const F = {
  alpha: structure({ siret: ALPHA_SIRET, name: 'Alpha Propreté', kind: 'EI', communeCode: '59350', description: 'Nettoyage de bureaux et vitrerie.', website: 'https://alpha.example', activities: [radius(NET, ['PREST'], 10)] }),
  bravo: structure({ name: 'Bravo Jardins', kind: 'ACI', communeCode: '59512', description: 'Élagage, tonte et taille de haies.', activities: [radius(EV, ['PREST'], 5)] }),
  charlie: structure({ name: 'Charlie Intérim', kind: 'ETTI', communeCode: '62041', activities: [radius(CHANTIER, ['DISP'], 30)] }),
  delta: structure({ name: 'Delta Services Adaptés', kind: 'EA', communeCode: '80021', activities: [listed(NET, ['PREST'], 'departement:59')] }),
  echo: structure({ name: 'Echo Conditionnement', kind: 'ESAT', communeCode: '75056', activities: [country(LOGI, ['BUILD'])] }),
  foxtrot: structure({ name: 'Foxtrot Nettoyage', kind: 'EI', communeCode: '75056', activities: [listed(NET, ['PREST'], 'commune:59512')] }),
  golf: structure({ name: 'Golf Chantiers', kind: 'GEIQ', communeCode: '75056', description: 'Menuiserie et charpente.', activities: [listed(CHANTIER, ['DISP'], 'region:32')] }),
  hotel: structure({ name: 'Hotel Entraide', kind: 'AI', communeCode: '75056', activities: [listed(MENAGE, ['DISP'], `epci:${MEL}`)] }),
  india: structure({ name: 'India Rayon', kind: 'EI', communeCode: '80021', lat: AMIENS.lat, lon: AMIENS.lon, activities: [radius(RESTO, ['PREST'], 30)] }),
  juliet: structure({ name: 'Juliet Localisée', kind: 'ACI', communeCode: '80021', lat: AMIENS.lat, lon: AMIENS.lon, activities: [listed(RESTO, ['BUILD'], 'commune:75056')] }),
  kilo: structure({ name: 'Kilo Artois', kind: 'EI', communeCode: '75056', activities: [listed(NET, ['PREST'], 'departement:62')] }),
  lima: structure({ name: 'Lima Fermée', kind: 'EI', communeCode: '59350', active: false, description: 'Nettoyage.', activities: [country(NET, ['PREST'])] }),
  mike: structure({ name: 'Mike Masquée', kind: 'EA', communeCode: '59350', hidden: true, description: 'Nettoyage.', activities: [country(NET, ['PREST'])] }),
  november: structure({ name: 'November Multi', kind: 'EI', communeCode: '75056', activities: [radius(NET, ['PREST'], 5), listed(EV, ['PREST'], 'departement:59')] }),
  oscar: structure({ name: 'Oscar Double', kind: 'ACI', communeCode: '75056', activities: [country(NET, ['DISP']), country(EV, ['PREST'])] }),
  papa: structure({ name: 'Papa Locale', kind: 'EI', communeCode: '59350', activities: [listed(NET, ['PREST'], 'departement:62')] }),
  quebec: structure({ siret: QUEBEC_SIRET, name: 'Quebec Secondaire', kind: 'EI', communeCode: '59599', activities: [radius(RESTO, ['PREST'], 2)] }),
  // An accented initial, for the alphabetical order; serves Paris only.
  emeraude: structure({ name: 'Émeraude Services', kind: 'EI', communeCode: '75056', activities: [listed(RESTO, ['PREST'], 'commune:75056')] }),
};
type Name = keyof typeof F;
const ALL = Object.keys(F) as Name[];
const NAME_OF = new Map(ALL.map((k) => [F[k].name, k]));
const visible = (k: Name) => F[k].active !== false && F[k].hidden !== true;
const VISIBLE = ALL.filter(visible);
const withSector = (...sectors: string[]) => VISIBLE.filter((k) => (F[k].activities ?? []).some((a) => sectors.includes(a.sector)));

let db: Db;
let refs: Referentials;

async function search(params: Record<string, unknown>): Promise<SearchResult> {
  const r = await searchStructures(db, SearchQuerySchema.parse({ perPage: 100, ...params }));
  // Inactive or hidden structures never appear, whatever the query.
  const keys = r.items.map((i) => NAME_OF.get(i.name));
  expect(keys).not.toContain('lima');
  expect(keys).not.toContain('mike');
  return r;
}
const keysOf = (r: SearchResult): Name[] =>
  r.items.map((i) => {
    const k = NAME_OF.get(i.name);
    if (!k) throw new Error(`unexpected structure ${i.name}`);
    return k;
  });
const found = async (params: Record<string, unknown>) => keysOf(await search(params)).sort();
const itemOf = (r: SearchResult, k: Name) => r.items.find((i) => i.name === F[k].name);

beforeAll(async () => {
  db = await createTestDb();
  refs = await getReferentials(db);
  const report = await importStructures(db, Object.values(F).map((input, i) => ({ line: i + 1, input })));
  expect(report.rejected).toEqual([]);
  expect(report.created).toBe(ALL.length);
});

afterAll(async () => {
  await db?.close();
});

describe('places: located there, or an activity serves it', () => {
  const dLR = km(LILLE, ROUBAIX);
  // Charlie (Arras, 30 km) reaches the MEL when one of its communes has its centre within 30 km of Arras.
  const charlieReachesMel = T.communesOf(T.get('epci', MEL) as Territory).some((c) => km(ARRAS, c) <= 30);

  const cases: { label: string; params: Record<string, unknown>; yes: Name[]; no: Name[] }[] = [
    {
      label: 'around Lille, 5 km',
      params: { commune: '59350', radiusKm: 5 },
      // alpha, papa: located in Lille. delta, november: list the Nord; golf: the région; hotel: the MEL;
      // echo, oscar: whole country.
      yes: ['alpha', 'papa', 'delta', 'november', 'golf', 'hotel', 'echo', 'oscar'],
      // bravo: Roubaix 11.6 km > 5 + 5; charlie: 42.8 km > 30 + 5; foxtrot: Roubaix is outside the disc;
      // kilo: Pas-de-Calais not in the disc; quebec: Tourcoing 12.7 km > 2 + 5.
      no: ['bravo', 'charlie', 'foxtrot', 'india', 'juliet', 'kilo', 'quebec'],
    },
    {
      label: 'in Roubaix (radius 0)',
      params: { commune: '59512' },
      yes: ['bravo', 'foxtrot', 'hotel', 'delta', 'november', 'golf', 'echo', 'oscar'],
      // alpha: 11.6 km from Lille > 10 km; papa lists the Pas-de-Calais.
      no: ['alpha', 'papa', 'charlie', 'india', 'juliet', 'kilo'],
    },
    {
      label: 'département du Nord',
      params: { department: '59' },
      // charlie: its 30 km circle reaches the Nord (Douai); foxtrot: lists Roubaix, inside; hotel: the MEL, inside.
      yes: ['alpha', 'bravo', 'papa', 'quebec', 'charlie', 'delta', 'foxtrot', 'golf', 'hotel', 'november', 'echo', 'oscar'],
      no: ['india', 'juliet', 'kilo'],
    },
    {
      label: 'département du Pas-de-Calais',
      params: { department: '62' },
      yes: ['charlie', 'kilo', 'papa', 'golf', 'echo', 'oscar'],
      no: ['bravo', 'delta', 'foxtrot', 'hotel', 'november', 'juliet', 'quebec'],
    },
    {
      label: 'région Hauts-de-France',
      params: { region: '32' },
      yes: ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'november', 'oscar', 'papa', 'quebec'],
      no: [],
    },
    {
      label: 'région Île-de-France',
      params: { region: '11' },
      // juliet (Amiens) lists the commune of Paris, inside the région.
      yes: ['echo', 'foxtrot', 'golf', 'hotel', 'juliet', 'kilo', 'november', 'oscar'],
      no: ['alpha', 'bravo', 'charlie', 'delta', 'india', 'papa', 'quebec'],
    },
    {
      label: 'EPCI Métropole Européenne de Lille',
      params: { epci: MEL },
      yes: ['alpha', 'bravo', 'papa', 'quebec', 'delta', 'foxtrot', 'golf', 'hotel', 'november', 'echo', 'oscar', ...(charlieReachesMel ? (['charlie'] as Name[]) : [])],
      no: ['india', 'juliet', 'kilo', ...(charlieReachesMel ? [] : (['charlie'] as Name[]))],
    },
    {
      label: 'EPCI Amiens Métropole',
      params: { epci: CA_AMIENS },
      yes: ['delta', 'india', 'juliet', 'golf', 'echo', 'oscar'],
      no: ['alpha', 'bravo', 'foxtrot', 'hotel', 'kilo', 'november', 'papa', 'quebec'],
    },
    {
      label: 'a point (Lille centre) and 5 km',
      params: { lat: LILLE.lat, lon: LILLE.lon, radiusKm: 5 },
      yes: ['alpha', 'papa', 'delta', 'november', 'golf', 'hotel', 'echo', 'oscar'],
      no: ['bravo', 'charlie', 'foxtrot', 'india', 'juliet', 'kilo', 'quebec'],
    },
    {
      label: 'around Lille, bravo just outside: 11.6 km > 5 km radius + search radius',
      params: { commune: '59350', radiusKm: dLR - 5 - 0.01 },
      yes: ['alpha'],
      no: ['bravo'],
    },
    {
      label: 'around Lille, bravo just inside',
      params: { commune: '59350', radiusKm: dLR - 5 + 0.01 },
      yes: ['alpha', 'bravo'],
      no: [],
    },
    {
      label: 'around Lille, Roubaix (listed by foxtrot) just outside the disc',
      params: { commune: '59350', radiusKm: dLR - 0.01 },
      yes: ['bravo'],
      no: ['foxtrot'],
    },
    {
      label: 'around Lille, Roubaix just inside the disc',
      params: { commune: '59350', radiusKm: dLR + 0.01 },
      yes: ['bravo', 'foxtrot'],
      no: [],
    },
  ];

  it.each(cases)('$label', async ({ params, yes, no }) => {
    const r = await search(params);
    const got = keysOf(r);
    for (const k of yes) expect(got, `${k} should match`).toContain(k);
    for (const k of no) expect(got, `${k} should not match`).not.toContain(k);
    expect(r.total).toBe(r.items.length);
    expect(r.place).not.toBeNull();
    for (const item of r.items) {
      // Every item says why it matched the place, in French.
      expect(item.matchReasons.length, `${item.name} has no reason`).toBeGreaterThan(0);
      if (r.place?.kind === 'disc') expect(typeof item.distanceKm, item.name).toBe('number');
      else expect(item.distanceKm, item.name).toBeUndefined();
    }
  });

  describe('radius edges around a point 50 km south of Amiens', () => {
    // Exactly 50 km along the meridian from india and juliet (both at the centre of Amiens).
    const P = { lat: (AMIENS.lat as number) - 50 / ((6371.0088 * Math.PI) / 180), lon: AMIENS.lon as number };
    it('the point is 50 km away (sanity)', () => {
      expect(km(P, AMIENS)).toBeCloseTo(50, 6);
    });
    it('india (radius 30 km) is out at 19.99 km, in at 20.01 km', async () => {
      expect(await found({ ...P, radiusKm: 19.99 })).not.toContain('india');
      const r = await search({ ...P, radiusKm: 20.01 });
      expect(keysOf(r)).toContain('india');
      const item = itemOf(r, 'india');
      expect(item?.distanceKm).toBe(50);
      expect(item?.matchReasons.join(' | ')).toContain('Restaurants, Cantines : intervient dans un rayon de 30 km, le lieu est à 50 km');
    });
    it('juliet (serves only Paris) is out at 49.99 km, in at 50.01 km because it is located in the disc', async () => {
      expect(await found({ ...P, radiusKm: 49.99 })).not.toContain('juliet');
      const r = await search({ ...P, radiusKm: 50.01 });
      expect(keysOf(r)).toContain('juliet');
      expect(itemOf(r, 'juliet')?.matchReasons).toEqual([expect.stringMatching(/^Située à Amiens, à 50 km de /)]);
    });
  });

  describe('reasons say which rule matched', () => {
    it('located in the searched commune', async () => {
      const r = await search({ commune: '59350', radiusKm: 5 });
      expect(itemOf(r, 'alpha')?.matchReasons).toContain('Située à Lille');
      expect(itemOf(r, 'alpha')?.distanceKm).toBe(0);
    });
    it('listed territories, whole country, radius', async () => {
      const r = await search({ commune: '59350', radiusKm: 5 });
      expect(itemOf(r, 'delta')?.matchReasons).toContain('Nettoyage de locaux : intervient sur Nord (59)');
      expect(itemOf(r, 'golf')?.matchReasons).toContain('Travaux de chantiers : intervient sur Hauts-de-France');
      expect(itemOf(r, 'echo')?.matchReasons).toContain('Logistique, conditionnement : intervient dans toute la France');
    });
    it('in a territory search', async () => {
      const r = await search({ department: '59' });
      expect(itemOf(r, 'charlie')?.matchReasons).toContain('Travaux de chantiers : son rayon d’intervention de 30 km atteint Nord (59)');
      expect(itemOf(r, 'alpha')?.matchReasons).toContain('Adresse dans le territoire : Nord (59)');
      expect(itemOf(r, 'foxtrot')?.matchReasons).toContain('Nettoyage de locaux : intervient sur Roubaix (59)');
      const idf = await search({ region: '11' });
      expect(itemOf(idf, 'juliet')?.matchReasons).toContain('Restaurants, Cantines : intervient sur Paris (75)');
    });
    it('no place, no reason about places', async () => {
      const r = await search({});
      expect(r.place).toBeNull();
      expect(r.items.every((i) => i.distanceKm === undefined)).toBe(true);
      expect(r.items.flatMap((i) => i.matchReasons)).toEqual([]);
    });
  });
});

describe('sector, prestation type and place on ONE activity', () => {
  it('sector + place: an activity of another sector serving the place is not enough', async () => {
    // november: nettoyage within 5 km of Paris, espaces verts in the Nord.
    const net = await found({ commune: '59350', radiusKm: 5, sector: NET });
    expect(net).toEqual(['alpha', 'delta', 'oscar', 'papa']);
    expect(net).not.toContain('november');
    expect(await found({ commune: '59350', radiusKm: 5, sector: EV })).toEqual(['november', 'oscar']);
  });

  it('sector + prestation type: split across two activities does not match', async () => {
    // oscar: nettoyage as DISP, espaces verts as PREST.
    expect(await found({ sector: NET, serviceType: 'PREST' })).toEqual(['alpha', 'delta', 'foxtrot', 'kilo', 'november', 'papa']);
    expect(await found({ sector: NET, serviceType: 'DISP' })).toEqual(['oscar']);
    expect(await found({ commune: '59350', radiusKm: 5, sector: NET, serviceType: 'PREST' })).toEqual(['alpha', 'delta', 'papa']);
    expect(await found({ commune: '59350', radiusKm: 5, sector: NET, serviceType: 'DISP' })).toEqual(['oscar']);
  });

  it('located in the place and an activity of that sector (served elsewhere) matches', async () => {
    // papa: in Lille, its nettoyage activity serves the Pas-de-Calais only.
    expect(await found({ department: '59', sector: NET })).toContain('papa');
    expect(await found({ department: '62', sector: NET })).toEqual(['kilo', 'oscar', 'papa']);
    expect(await found({ department: '80', sector: NET })).toEqual(['delta', 'oscar']);
  });

  it('a sector group stands for its sectors; several sectors add up', async () => {
    const group = await found({ department: '59', sectorGroup: 'hygiene-et-proprete-64' });
    expect(group).toEqual(await found({ department: '59', sector: NET }));
    const both = await found({ department: '59', sector: [NET, EV] });
    expect(both).toEqual([...new Set([...(await found({ department: '59', sector: NET })), ...(await found({ department: '59', sector: EV }))])].sort());
    expect(await found({ department: '59', sector: `${NET},${EV}` })).toEqual(both);
  });

  it('prestation type alone, repeatable', async () => {
    const expected = (types: string[]) =>
      VISIBLE.filter((k) => (F[k].activities ?? []).some((a) => a.serviceTypes.some((t) => types.includes(t)))).sort();
    expect(await found({ serviceType: 'BUILD' })).toEqual(expected(['BUILD']));
    expect(await found({ serviceType: ['BUILD', 'DISP'] })).toEqual(expected(['BUILD', 'DISP']));
  });

  it('reasons name the activity that matched', async () => {
    const r = await search({ sector: NET, serviceType: 'DISP' });
    expect(itemOf(r, 'oscar')?.matchReasons).toEqual(['Activité Nettoyage de locaux (mise à disposition / intérim)']);
    const p = await search({ commune: '59350', radiusKm: 5, sector: EV });
    // Only the espaces verts activity of november is given as a reason.
    expect(itemOf(p, 'november')?.matchReasons).toEqual(['Création et entretien des espaces verts : intervient sur Nord (59)']);
  });
});

describe('kinds and families', () => {
  const ofKinds = (...kinds: string[]) => VISIBLE.filter((k) => kinds.includes(F[k].kind as string)).sort();
  it('one kind', async () => {
    expect(await found({ kind: 'EA' })).toEqual(ofKinds('EA'));
    expect(await found({ kind: 'EA' })).toEqual(['delta']); // mike (EA) is hidden
  });
  it('several kinds, repeated or comma-separated', async () => {
    expect(await found({ kind: ['EA', 'ESAT'] })).toEqual(ofKinds('EA', 'ESAT'));
    expect(await found({ kind: 'EA,ESAT' })).toEqual(ofKinds('EA', 'ESAT'));
    expect(await found({ kind: ['ACI', 'ETTI', 'GEIQ'] })).toEqual(ofKinds('ACI', 'ETTI', 'GEIQ'));
  });
  it('a family stands for its kinds', async () => {
    expect(await found({ family: 'handicap' })).toEqual(ofKinds('EA', 'EATT', 'ESAT'));
    expect(await found({ family: 'insertion' })).toEqual(ofKinds('EI', 'AI', 'ACI', 'ETTI', 'EITI', 'GEIQ', 'SEP'));
    expect(await found({ family: ['insertion', 'handicap'] })).toEqual([...VISIBLE].sort());
  });
  it('items carry their kind and family', async () => {
    const r = await search({ family: 'handicap' });
    for (const i of r.items) expect(i.family).toBe('handicap');
    expect(itemOf(r, 'echo')).toMatchObject({ kind: 'ESAT', family: 'handicap' });
  });
});

describe('words', () => {
  /** What a person reads on the profile: name, description, commune, sectors and their groups. */
  const textOf = (k: Name) => {
    const f = F[k];
    const sectors = (f.activities ?? []).map((a) => {
      const s = refs.sectorBySlug.get(a.sector);
      return `${s?.name} ${s?.groupName}`;
    });
    return normalize([f.name, f.description ?? '', T.commune(f.communeCode as string)?.name ?? '', ...sectors].join(' '));
  };
  const containing = (...words: string[]) => VISIBLE.filter((k) => words.every((w) => textOf(k).includes(w))).sort();

  it('a word of the sectors', async () => {
    expect(containing('nettoyage')).toEqual(['alpha', 'delta', 'foxtrot', 'kilo', 'november', 'oscar', 'papa']);
    expect(await found({ q: 'nettoyage' })).toEqual(containing('nettoyage'));
  });

  it('accents and case do not matter', async () => {
    expect(await found({ q: 'proprete' })).toEqual(containing('proprete'));
    expect(await found({ q: 'PROPRETÉ' })).toEqual(containing('proprete'));
    expect(await found({ q: 'elagage' })).toEqual(['bravo']);
    expect(await found({ q: 'ÉLAGAGE' })).toEqual(['bravo']);
    expect(await found({ q: 'interim' })).toEqual(['charlie']);
    expect(await found({ q: 'Intérim' })).toEqual(['charlie']);
    expect(await found({ q: 'emeraude' })).toEqual(['emeraude']);
    expect(await found({ q: 'ÉMERAUDE' })).toEqual(['emeraude']);
  });

  it('French stemming: singular and plural', async () => {
    expect(await found({ q: 'jardin' })).toEqual(['bravo']);
    expect(await found({ q: 'menuiseries' })).toEqual(['golf']);
    expect(await found({ q: 'espace vert' })).toEqual(withSector(EV).sort());
    expect(await found({ q: 'espaces verts' })).toEqual(withSector(EV).sort());
  });

  // French Snowball stems "nettoyer" to « nettoi » and "nettoyage" to « nettoyag »: not the same lexeme, nor a
  // prefix. What a person expects is still the cleaning structures; today it works through the typo
  // correction against the lexicon (trigram similarity 0.45), which is fine as long as the result is right.
  it('the verb finds the noun a person means: "nettoyer" finds the cleaning structures', async () => {
    expect(await found({ q: 'nettoyer' })).toEqual(containing('nettoyage'));
  });

  it('small typos are forgiven and the correction is given', async () => {
    const r = await search({ q: 'netoyage' });
    expect(keysOf(r).sort()).toEqual(containing('nettoyage'));
    expect(r.correctedQuery).not.toBeNull();
    expect(await found({ q: 'menuserie' })).toEqual(['golf']);
  });

  // Regression: the correction is given in words of the directory, never in stems (« nettoyag »).
  it('the correction is shown in words, not stems', async () => {
    const r = await search({ q: 'netoyage' });
    expect(r.correctedQuery).toBe('nettoyage');
    expect(r.items[0].matchReasons[0]).toBe('Correspond à « nettoyage »');
  });

  it('a typo in a name is forgiven', async () => {
    expect(await found({ q: 'Bravo Jardnis' })).toContain('bravo');
    expect(await found({ q: 'Charly Interim' })).toContain('charlie');
  });

  it('every word counts: "nettoyage lille" is the cleaning structures of Lille', async () => {
    expect(await found({ q: 'nettoyage lille' })).toEqual(['alpha', 'papa']);
  });

  it('words and place together', async () => {
    expect(await found({ q: 'nettoyage', department: '62' })).toEqual(['kilo', 'oscar', 'papa']);
  });

  it('the best textual match comes first', async () => {
    const r = await search({ q: 'alpha proprete' });
    expect(keysOf(r)[0]).toBe('alpha');
  });

  it('a word found nowhere gives nothing, and punctuation does not break the query', async () => {
    expect((await search({ q: 'xylophone' })).total).toBe(0);
    const r = await search({ q: "nettoyage & (bureaux) | l'« vitrerie » : *" });
    expect(keysOf(r)).toContain('alpha');
  });

  it('reasons quote the words', async () => {
    const r = await search({ q: 'elagage' });
    expect(itemOf(r, 'bravo')?.matchReasons).toEqual(['Correspond à « elagage »']);
  });
});

describe('SIRET and SIREN', () => {
  it('an exact SIRET gives that establishment only', async () => {
    const r = await search({ q: ALPHA_SIRET });
    expect(keysOf(r)).toEqual(['alpha']);
    expect(r.items[0].siret).toBe(ALPHA_SIRET);
    expect(r.items[0].matchReasons).toContain('SIRET identique');
  });
  it('a SIRET typed with spaces', async () => {
    const spaced = `${ALPHA_SIRET.slice(0, 3)} ${ALPHA_SIRET.slice(3, 6)} ${ALPHA_SIRET.slice(6, 9)} ${ALPHA_SIRET.slice(9)}`;
    expect(await found({ q: spaced })).toEqual(['alpha']);
  });
  it('a SIREN gives every establishment of the company', async () => {
    const r = await search({ q: ALPHA_SIRET.slice(0, 9) });
    expect(keysOf(r).sort()).toEqual(['alpha', 'quebec']);
    for (const i of r.items) expect(i.matchReasons).toContain('SIREN identique');
  });
  it('no partial or fuzzy match on numbers', async () => {
    expect((await search({ q: QUEBEC_SIRET.replace(/.$/, (d) => String((Number(d) + 1) % 10)) })).total).toBe(0);
    expect((await search({ q: ALPHA_SIRET.slice(0, 8) + '9' })).items.map((i) => i.name)).not.toContain(F.alpha.name);
  });
  it('never a hidden or inactive structure, even by its SIRET', async () => {
    expect((await search({ q: F.mike.siret })).total).toBe(0);
    expect((await search({ q: F.lima.siret })).total).toBe(0);
  });
});

describe('facets: each multi-select facet is counted without its own filter', () => {
  const bases: Record<string, unknown>[] = [
    {},
    { commune: '59350', radiusKm: 5 },
    { department: '59', serviceType: 'PREST' },
    { region: '32', kind: 'EI', sector: NET },
    { q: 'nettoyage', family: 'insertion' },
  ];
  const without = (p: Record<string, unknown>, ...keys: string[]) => Object.fromEntries(Object.entries(p).filter(([k]) => !keys.includes(k)));
  const usedKinds = [...new Set(VISIBLE.map((k) => F[k].kind as string)), 'EATT'];
  const usedSectors = [...new Set(ALL.flatMap((k) => (F[k].activities ?? []).map((a) => a.sector))), 'plomberie'];
  const usedGroups = () => [...new Set(usedSectors.map((s) => refs.sectorBySlug.get(s)?.groupSlug as string)), 'restauration', 'medico-social'];

  it.each(bases)('%j', async (base) => {
    const r = await search(base);
    const f = r.facets;
    const count = (list: { value: string; count: number }[], v: string) => list.find((x) => x.value === v)?.count ?? 0;

    for (const kind of usedKinds) {
      expect(count(f.kinds, kind), `kind ${kind}`).toBe((await search({ ...without(base, 'kind', 'family'), kind })).total);
    }
    for (const family of ['insertion', 'handicap']) {
      expect(count(f.families, family), `family ${family}`).toBe((await search({ ...without(base, 'kind', 'family'), family })).total);
    }
    for (const sector of usedSectors) {
      expect(count(f.sectors, sector), `sector ${sector}`).toBe((await search({ ...without(base, 'sector', 'sectorGroup'), sector })).total);
    }
    for (const sectorGroup of usedGroups()) {
      expect(count(f.sectorGroups, sectorGroup), `group ${sectorGroup}`).toBe((await search({ ...without(base, 'sector', 'sectorGroup'), sectorGroup })).total);
    }
    for (const serviceType of ['DISP', 'PREST', 'BUILD']) {
      expect(count(f.serviceTypes, serviceType), `type ${serviceType}`).toBe((await search({ ...without(base, 'serviceType'), serviceType })).total);
    }
    // Départements: counted with every filter, so they add up to the total.
    const byDep = new Map<string, number>();
    for (const i of r.items) byDep.set(i.departmentCode as string, (byDep.get(i.departmentCode as string) ?? 0) + 1);
    expect(Object.fromEntries(f.departments.map((d) => [d.value, d.count]))).toEqual(Object.fromEntries(byDep));
    expect(f.departments.reduce((n, d) => n + d.count, 0)).toBe(r.total);
    // Every kind, family, group and prestation type is listed (with zeros), labelled in French.
    expect(f.kinds.map((k) => k.value)).toEqual(refs.kinds.map((k) => k.code));
    expect(f.families.map((k) => k.value)).toEqual(['insertion', 'handicap']);
    expect(f.serviceTypes.map((k) => k.value)).toEqual(['DISP', 'PREST', 'BUILD']);
    expect(f.sectorGroups).toHaveLength(refs.groups.length);
    for (const x of [...f.kinds, ...f.sectors, ...f.sectorGroups, ...f.serviceTypes, ...f.departments]) expect(x.label.length).toBeGreaterThan(0);
  });

  it('with a kind selected, the other kinds keep their counts', async () => {
    const all = await search({ department: '59' });
    const ea = await search({ department: '59', kind: 'EA' });
    expect(ea.facets.kinds).toEqual(all.facets.kinds);
    expect(ea.total).toBe(all.facets.kinds.find((k) => k.value === 'EA')?.count);
    expect(ea.facets.kinds.find((k) => k.value === 'EI')?.count).toBeGreaterThan(0);
  });

  it('inactive and hidden structures are never counted', async () => {
    const r = await search({});
    expect(r.total).toBe(VISIBLE.length);
    expect(r.facets.kinds.reduce((n, k) => n + k.count, 0)).toBe(VISIBLE.length);
    expect(r.facets.kinds.find((k) => k.value === 'EA')?.count).toBe(1);
  });
});

describe('sorting', () => {
  it('by name', async () => {
    const names = (await search({ region: '32', sort: 'name' })).items.map((i) => i.name.toLowerCase());
    expect(names).toEqual([...names].sort());
    expect(names).toHaveLength(15);
  });

  // Regression: a French list by name puts É with E.
  it('by name, in French alphabetical order: É sorts with E', async () => {
    const names = (await search({ sort: 'name' })).items.map((i) => i.name);
    expect(names).toContain('Émeraude Services');
    expect(names).toEqual([...names].sort(new Intl.Collator('fr').compare));
  });

  it('by distance, nearest first, with the distance of each item', async () => {
    const r = await search({ commune: '59350', radiusKm: 300, sort: 'distance' });
    const d = r.items.map((i) => i.distanceKm as number);
    expect(d.every((x) => typeof x === 'number')).toBe(true);
    expect(d).toEqual([...d].sort((a, b) => a - b));
    for (const i of r.items) expect(i.distanceKm).toBeCloseTo(km(i, LILLE), 1);
    expect(itemOf(r, 'bravo')?.distanceKm).toBe(Math.round(km(LILLE, ROUBAIX) * 10) / 10);
  });

  it('by relevance around a place: located first, then served locally, then the whole country', async () => {
    const order = keysOf(await search({ commune: '59350', radiusKm: 5 }));
    expect(order.slice(0, 2).sort()).toEqual(['alpha', 'papa']);
    const countryOnly: Name[] = ['echo', 'oscar'];
    const local = order.filter((k) => !countryOnly.includes(k));
    for (const c of countryOnly) for (const l of local) expect(order.indexOf(l), `${l} before ${c}`).toBeLessThan(order.indexOf(c));
  });

  it('sorting does not change what is found', async () => {
    const a = await found({ commune: '59350', radiusKm: 50 });
    expect(await found({ commune: '59350', radiusKm: 50, sort: 'name' })).toEqual(a);
    expect(await found({ commune: '59350', radiusKm: 50, sort: 'distance' })).toEqual(a);
  });
});

describe('pagination', () => {
  it.each(['relevance', 'name'])('pages of 4 cover every result once (sort %s)', async (sort) => {
    const all = await search({ region: '32', sort });
    expect(all.total).toBe(15);
    const seen: string[] = [];
    for (let page = 1; page <= 4; page++) {
      const r = await searchStructures(db, SearchQuerySchema.parse({ region: '32', sort, page, perPage: 4 }));
      expect(r.total).toBe(15);
      expect(r.page).toBe(page);
      expect(r.perPage).toBe(4);
      expect(r.items).toHaveLength(page < 4 ? 4 : 3);
      seen.push(...r.items.map((i) => i.id));
    }
    expect(new Set(seen).size).toBe(15);
    expect(seen).toEqual(all.items.map((i) => i.id));
  });

  it('a page after the end is empty but keeps the total', async () => {
    const r = await searchStructures(db, SearchQuerySchema.parse({ region: '32', page: 5, perPage: 4 }));
    expect(r.items).toEqual([]);
    expect(r.total).toBe(15);
  });

  it('defaults to page 1 of 20', async () => {
    const r = await searchStructures(db, SearchQuerySchema.parse({}));
    expect(r.page).toBe(1);
    expect(r.perPage).toBe(20);
    expect(r.total).toBe(VISIBLE.length);
  });
});

describe('items', () => {
  it('carry id, slug, SIRET, name, kind, commune and sectors', async () => {
    const r = await search({ q: ALPHA_SIRET });
    expect(r.items[0]).toMatchObject({
      siret: ALPHA_SIRET,
      name: 'Alpha Propreté',
      kind: 'EI',
      kindName: 'Entreprise d\'insertion',
      family: 'insertion',
      commune: { code: '59350', name: 'Lille' },
      departmentCode: '59',
      sectors: ['Nettoyage de locaux'],
    });
    expect(r.items[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.items[0].slug).toBe('alpha-proprete-lille');
  });
});

describe('changes are seen by the next search', () => {
  // Kept last: it adds a structure to the directory.
  it('a new structure appears; hidden or inactive, it disappears from results, facets and words', async () => {
    const romeo = structure({ name: 'Romeo Temporaire', kind: 'ETTI', communeCode: '59350', description: 'Vannerie artisanale.', activities: [country(NET, ['PREST'])] });
    const names = async (params: Record<string, unknown>) => (await searchStructures(db, SearchQuerySchema.parse({ perPage: 100, ...params }))).items.map((i) => i.name);
    const ettiCount = async () => (await searchStructures(db, SearchQuerySchema.parse({}))).facets.kinds.find((k) => k.value === 'ETTI')?.count;
    const before = { total: (await search({})).total, etti: await ettiCount() };

    expect((await importStructures(db, [{ line: 1, input: romeo }])).created).toBe(1);
    expect(await names({ q: 'vannerie' })).toEqual(['Romeo Temporaire']);
    expect(await names({ commune: '59350', radiusKm: 1 })).toContain('Romeo Temporaire');
    expect(await ettiCount()).toBe((before.etti ?? 0) + 1);

    expect((await importStructures(db, [{ line: 1, input: { ...romeo, hidden: true } }])).updated).toBe(1);
    expect(await names({ q: 'vannerie' })).toEqual([]);
    expect(await names({ commune: '59350', radiusKm: 1 })).not.toContain('Romeo Temporaire');
    expect(await ettiCount()).toBe(before.etti);
    expect((await searchStructures(db, SearchQuerySchema.parse({}))).total).toBe(before.total);

    expect((await importStructures(db, [{ line: 1, input: { ...romeo, active: false } }])).updated).toBe(1);
    expect(await names({ q: 'vannerie' })).toEqual([]);
    expect(await names({ sector: NET })).not.toContain('Romeo Temporaire');

    // Active again, but an import that does not say "hidden" keeps the moderation decision.
    expect((await importStructures(db, [{ line: 1, input: romeo }])).updated).toBe(1);
    expect(await names({ q: 'vannerie' })).toEqual([]);
    expect((await importStructures(db, [{ line: 1, input: { ...romeo, hidden: false } }])).updated).toBe(1);
    expect(await names({ q: 'vannerie' })).toEqual(['Romeo Temporaire']);
    expect((await importStructures(db, [{ line: 1, input: { ...romeo, hidden: true } }])).updated).toBe(1);
    expect(await names({ q: 'vannerie' })).toEqual([]);
  });
});
