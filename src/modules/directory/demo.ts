// The demo territory: Hauts-de-France, generated deterministically (same seed, same structures).
// Every structure is fictitious and marked is_demo; SIRETs are valid by checksum but invented.
import { slugify } from '../../core/text.ts';
import type { Db } from '../../core/db.ts';
import { completeSiret } from '../../core/siret.ts';
import { getReferentials } from '../referentials/service.ts';
import { loadTerritories, type Territory } from '../territories/data.ts';
import type { ActivityInput, KindCode, StructureInput } from './model.ts';
import { importStructures, type ImportReport } from './service.ts';

export const DEMO_REGION = '32';

/** Small deterministic PRNG (mulberry32). */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)],
    chance: (p: number) => next() < p,
  };
}

// How many of each kind, roughly in the proportions of a real région.
const KIND_WEIGHTS: [KindCode, number][] = [
  ['ACI', 30], ['EI', 18], ['AI', 12], ['ETTI', 8], ['EITI', 2], ['GEIQ', 6], ['SEP', 2], ['EA', 12], ['EATT', 3], ['ESAT', 10],
];

// Sector groups each kind works in most.
const KIND_GROUPS: Record<KindCode, string[]> = {
  ACI: ['espaces-verts-exterieurs-2', 'recyclage-economie-circulaire', 'batiments-et-travaux-publics-65', 'agro-alimentaire', 'collecte-traitement-des-dechets', 'entretien-du-linge', 'restauration'],
  EI: ['hygiene-et-proprete-64', 'batiments-et-travaux-publics-65', 'recyclage-economie-circulaire', 'restauration', 'demenagements-livraisons-transports-79', 'collecte-traitement-des-dechets', 'espaces-verts-exterieurs-2'],
  AI: ['services-a-la-personne', 'hygiene-et-proprete-64', 'espaces-verts-exterieurs-2', 'assistance-generale-et-administrative-67'],
  ETTI: ['batiments-et-travaux-publics-65', 'demenagements-livraisons-transports-79', 'sous-traitance-industrielle', 'hygiene-et-proprete-64'],
  EITI: ['services-a-la-personne', 'reparations-depannages-8', 'communication-marketing'],
  GEIQ: ['batiments-et-travaux-publics-65', 'sous-traitance-industrielle', 'demenagements-livraisons-transports-79', 'medico-social', 'agro-alimentaire'],
  SEP: ['sous-traitance-industrielle', 'ameublement-deco-textile-artisanat-73', 'assistance-generale-et-administrative-67'],
  EA: ['hygiene-et-proprete-64', 'espaces-verts-exterieurs-2', 'sous-traitance-industrielle', 'prestations-informatiques', 'assistance-generale-et-administrative-67', 'entretien-du-linge'],
  EATT: ['assistance-generale-et-administrative-67', 'sous-traitance-industrielle', 'demenagements-livraisons-transports-79'],
  ESAT: ['espaces-verts-exterieurs-2', 'sous-traitance-industrielle', 'entretien-du-linge', 'restauration', 'ameublement-deco-textile-artisanat-73', 'hygiene-et-proprete-64', 'agro-alimentaire'],
};

const NAME_PARTS: Record<KindCode, { before: string[]; after: string[] }> = {
  ACI: { before: ['Chantier', 'Atelier', 'Les Jardins', 'Ressourcerie', 'Recyclerie', 'Chantier École'], after: ['Solidaire', 'du Littoral', 'des Deux Vallées', 'en Transition', 'Nature et Insertion', 'du Val'] },
  EI: { before: ['Nord Insertion', 'Terres d’Avenir', 'Tremplin', 'Horizon', 'Cap Emploi Services', 'Avenir'], after: ['Propreté', 'Services', 'Bâtiment', 'Logistique', 'Recyclage', 'Restauration'] },
  AI: { before: ['Association Intermédiaire', 'Relais Emploi', 'Entraide Services', 'Partage et Travail'], after: ['Services', 'Solidarité', 'Emploi', 'Proximité'] },
  ETTI: { before: ['Intérim Insertion', 'Tremplin Intérim', 'Passerelle Intérim', 'Alliance Intérim'], after: ['Emploi', 'Insertion', 'Services', 'Solidaire'] },
  EITI: { before: ['Coopérative', 'Entreprendre', 'Indépendants Solidaires'], after: ['Insertion', 'Autonomie', 'Avenir'] },
  GEIQ: { before: ['GEIQ'], after: ['BTP', 'Industrie', 'Transport Logistique', 'Propreté', 'Sanitaire et Social', 'Agroalimentaire'] },
  SEP: { before: ['Atelier pénitentiaire', 'Service de l’emploi pénitentiaire'], after: ['Confection', 'Industrie', 'Façonnage'] },
  EA: { before: ['Entreprise Adaptée', 'Cap Adapté', 'Handi Services', 'Atout Adapté', 'Trait d’Union'], after: ['Services', 'Industrie', 'Numérique', 'Espaces Verts', 'Conditionnement'] },
  EATT: { before: ['Intérim Adapté', 'Handi Intérim'], after: ['Emploi', 'Compétences', 'Missions'] },
  ESAT: { before: ['ESAT', 'ESAT Les Ateliers', 'ESAT Le Moulin', 'ESAT La Vallée', 'ESAT Les Tilleuls'], after: ['', 'Arc-en-Ciel', 'Les Peupliers', 'Pierre Rabhi', 'Le Phare'] },
};

const LEGAL_FORM: Record<KindCode, string> = {
  ACI: 'Association', EI: 'SAS', AI: 'Association', ETTI: 'SARL', EITI: 'SCOP', GEIQ: 'Association',
  SEP: 'Service de l’État', EA: 'SAS', EATT: 'SAS', ESAT: 'Association',
};

// APE code by kind, or by the group of the first activity (NAF rév. 2).
const NAF_BY_KIND: Partial<Record<KindCode, string>> = { ESAT: '88.10C', ETTI: '78.20Z', EATT: '78.20Z', AI: '78.30Z', GEIQ: '78.30Z', ACI: '88.99B' };
const NAF_BY_GROUP: Record<string, string> = {
  'hygiene-et-proprete-64': '81.21Z',
  'espaces-verts-exterieurs-2': '81.30Z',
  'batiments-et-travaux-publics-65': '43.39Z',
  'recyclage-economie-circulaire': '38.32Z',
  'collecte-traitement-des-dechets': '38.11Z',
  restauration: '56.29A',
  'entretien-du-linge': '96.01B',
  'assistance-generale-et-administrative-67': '82.19Z',
  'demenagements-livraisons-transports-79': '49.41B',
};

const STREETS = ['rue de la République', 'rue Jean Jaurès', 'avenue de la Gare', 'rue Victor Hugo', 'rue du Moulin', 'chemin des Prés', 'rue de l’Industrie', 'zone artisanale des Champs', 'rue Pasteur', 'boulevard de la Liberté'];
const COMMITMENTS = [
  { type: 'environmental' as const, label: 'Démarche RSE formalisée' },
  { type: 'environmental' as const, label: 'Évaluation ISO 26000' },
  { type: 'environmental' as const, label: 'Réemploi et recyclage des matériaux' },
  { type: 'environmental' as const, label: 'Produits d’entretien écolabellisés' },
  { type: 'environmental' as const, label: 'Flotte de véhicules électriques' },
  { type: 'social' as const, label: 'Accompagnement socioprofessionnel renforcé' },
  { type: 'social' as const, label: 'Formation qualifiante des salariés' },
  { type: 'social' as const, label: 'Partenariat avec les acteurs de la mobilité' },
];
const CLIENTS = ['Métropole Européenne de Lille', 'Région Hauts-de-France', 'CHU de Lille', 'Ville d’Amiens', 'Bailleur social Habitat', 'Communauté d’agglomération du Beauvaisis', 'Département du Pas-de-Calais', 'Université de Picardie'];

/** Generates the demo structures (deterministic for a given count and seed). */
export async function generateDemo(db: Db, count = 2400, seed = 59): Promise<StructureInput[]> {
  const refs = await getReferentials(db);
  const territories = loadTerritories();
  const r = prng(seed);
  const communes = territories.communes
    .filter((c) => c.regionCode === DEMO_REGION && c.lat != null)
    .sort((a, b) => a.code.localeCompare(b.code));
  // Weight communes by population: most structures sit in towns.
  const weighted: Territory[] = [];
  for (const c of communes) {
    const w = Math.max(1, Math.round(Math.sqrt((c.population ?? 0) / 500)));
    for (let i = 0; i < w; i++) weighted.push(c);
  }
  const kinds: KindCode[] = [];
  for (const [k, w] of KIND_WEIGHTS) for (let i = 0; i < w; i++) kinds.push(k);
  const departments = ['02', '59', '60', '62', '80'];
  const out: StructureInput[] = [];
  const usedSiren = new Set<string>();
  for (let i = 0; i < count; i++) {
    // Every kind at least a few times, then by weight.
    const kind = i < 30 ? KIND_WEIGHTS[i % KIND_WEIGHTS.length][0] : r.pick(kinds);
    const commune = i < 10 ? communes.find((c) => c.code === `${departments[i % 5]}${['408', '350', '057', '041', '021'][i % 5]}`) ?? r.pick(weighted) : r.pick(weighted);
    let siren = '';
    do siren = String(r.int(100000000, 999999999)).slice(0, 8);
    while (usedSiren.has(siren));
    usedSiren.add(siren);
    // 9th digit of the SIREN then NIC: complete the Luhn checksum on the full SIRET.
    const siret = completeSiret(`${siren}9${String(r.int(1, 9999)).padStart(4, '0')}`);
    const parts = NAME_PARTS[kind];
    const after = r.pick(parts.after);
    const name = `${r.pick(parts.before)}${after ? ` ${after}` : ''} ${commune.name}`.replace(/\s+/g, ' ').trim();
    const groups = KIND_GROUPS[kind];
    const nActivities = r.int(1, kind === 'GEIQ' || kind === 'ETTI' ? 2 : 4);
    const activities: ActivityInput[] = [];
    const usedSectors = new Set<string>();
    for (let a = 0; a < nActivities; a++) {
      const group = refs.groupBySlug.get(r.pick(groups));
      if (!group) continue;
      const sector = r.pick(group.sectors);
      if (usedSectors.has(sector.slug)) continue;
      usedSectors.add(sector.slug);
      const serviceTypes: ActivityInput['serviceTypes'] =
        kind === 'ETTI' || kind === 'AI' || kind === 'EATT' || kind === 'GEIQ' ? ['DISP'] : r.chance(0.25) ? ['PREST', 'BUILD'] : r.chance(0.2) ? ['BUILD'] : ['PREST'];
      const roll = r.next();
      const area: ActivityInput['area'] =
        roll < 0.08
          ? { kind: 'country' }
          : roll < 0.6
            ? { kind: 'radius', radiusKm: r.pick([10, 15, 20, 30, 40, 50, 80]) }
            : roll < 0.8
              ? { kind: 'territories', territories: [`departement:${commune.departmentCode}`] }
              : roll < 0.9
                ? { kind: 'territories', territories: [`region:${DEMO_REGION}`] }
                : { kind: 'territories', territories: [`departement:${commune.departmentCode}`, `departement:${r.pick(departments)}`] };
      activities.push({ sector: sector.slug, serviceTypes, area });
    }
    const etp = kind === 'SEP' ? null : r.int(3, 180);
    const web = slugify(name, 40);
    out.push({
      siret,
      name,
      brand: r.chance(0.3) ? `${after || parts.before[0]} ${commune.name}`.trim() : null,
      kind,
      legalForm: LEGAL_FORM[kind],
      nafCode: NAF_BY_KIND[kind] ?? NAF_BY_GROUP[refs.sectorBySlug.get(activities[0]?.sector ?? '')?.groupSlug ?? ''] ?? '88.99B',
      description: `${name} est une structure fictive du territoire de démonstration, installée à ${commune.name}. Elle intervient en ${activities
        .map((a) => refs.sectorBySlug.get(a.sector)?.name.toLowerCase())
        .join(', ')}.`,
      address: `${r.int(1, 180)} ${r.pick(STREETS)}`,
      postalCode: commune.postalCodes[0] ?? null,
      communeCode: commune.code,
      communeName: commune.name,
      lat: round((commune.lat as number) + (r.next() - 0.5) * 0.01),
      lon: round((commune.lon as number) + (r.next() - 0.5) * 0.014),
      website: r.chance(0.7) ? `https://${web}.example.org` : null,
      publicEmail: r.chance(0.6) ? `contact@${web}.example.org` : null,
      publicPhone: r.chance(0.5) ? `03 ${r.int(20, 29)} ${r.int(10, 99)} ${r.int(10, 99)} ${r.int(10, 99)}` : null,
      privateContact: { name: 'Direction (démo)', email: `direction@${web}.example.org`, phone: null },
      etp,
      employeesInsertion: etp && kind !== 'ESAT' && kind !== 'EA' && kind !== 'EATT' ? Math.round(etp * 0.7) : null,
      employeesPermanent: etp ? Math.max(1, Math.round(etp * 0.25)) : null,
      yearFounded: r.int(1975, 2024),
      labels: r.chance(0.15) ? [r.pick(['esus', 'rsei', 'rge'])] : [],
      networks: networksFor(kind, r),
      commitments: COMMITMENTS.filter(() => r.chance(0.2)),
      clientReferences: CLIENTS.filter(() => r.chance(0.12)),
      activities,
      source: 'demo',
      sourceId: `demo-${i + 1}`,
      sourceUpdatedAt: '2026-11-01',
      isDemo: true,
    });
  }
  return out;
}

function networksFor(kind: KindCode, r: ReturnType<typeof prng>): string[] {
  const byKind: Partial<Record<KindCode, string>> = {
    EA: 'union-nationale-des-entreprises-adaptees',
    EATT: 'union-nationale-des-entreprises-adaptees',
    EI: 'federation-des-entreprises-dinsertion',
    ETTI: 'federation-des-entreprises-dinsertion',
    ACI: 'chantier-ecole',
    AI: 'coorace',
    GEIQ: 'federation-francaise-des-geiq',
    ESAT: 'unapei',
  };
  const n = byKind[kind];
  return n && r.chance(0.5) ? [n] : [];
}

const round = (x: number) => Math.round(x * 1e5) / 1e5;

/** Loads the demo territory into an empty directory; does nothing when structures exist. */
export async function seedDemo(db: Db, opts: { force?: boolean; count?: number } = {}): Promise<ImportReport | null> {
  const existing = await db.one<{ n: number }>('SELECT count(*)::int AS n FROM structures');
  if ((existing?.n ?? 0) > 0 && !opts.force) return null;
  const inputs = await generateDemo(db, opts.count ?? 2400);
  return importStructures(db, inputs.map((input, i) => ({ line: i + 1, input })), { acceptPartial: false });
}
