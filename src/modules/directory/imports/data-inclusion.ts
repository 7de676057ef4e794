// data·inclusion, schéma de l'offre d'insertion v1 (gip-inclusion/data-inclusion-schema v1.0.8,
// data/data-inclusion/v1/structure.json; see docs/reference/referentials.md §1.2 and §1.7):
// `structure` records as a JSON array, JSON lines, or the API envelope {items, total, page, size, pages}.
// The kind comes from reseaux_porteurs (the first value that is one of our kinds); courriel and
// telephone are the structure's public contact. Empty strings are read as null.
import type { ImportLine } from '../service.ts';
import { KIND_CODES, type KindCode, type StructureInput } from '../model.ts';
import { FieldError, isoDate, joinAddress, type JsonRecord, number, strings, text } from './fields.ts';
import { readJsonStructures } from './json.ts';

/** reseaux_porteurs value → our kind (v1 lower-case slugs). SEP has no data·inclusion value. */
export const KIND_BY_RESEAU: Record<string, KindCode> = {
  aci: 'ACI', ai: 'AI', ei: 'EI', etti: 'ETTI', eiti: 'EITI', geiq: 'GEIQ', ea: 'EA', eatt: 'EATT', esat: 'ESAT',
};

/** reseaux_porteurs value ↔ our network slug (data/sectors/le-marche_reseaux.csv), both ways. */
export const NETWORK_BY_RESEAU: Record<string, string> = {
  unea: 'union-nationale-des-entreprises-adaptees',
  coorace: 'coorace',
  'chantier-ecole': 'chantier-ecole',
  'federation-des-acteurs-de-la-solidarite': 'federation-des-acteurs-de-la-solidarite',
};

const KINDS = new Set<string>(KIND_CODES);

function kindOf(r: JsonRecord): KindCode {
  const reseaux = strings(r, 'reseaux_porteurs') ?? [];
  for (const x of reseaux) {
    const kind = KIND_BY_RESEAU[x.toLowerCase()];
    if (kind) return kind;
  }
  // v0 files carried the kind in "typologie" (upper-case codes).
  const typologie = text(r, 'typologie')?.toUpperCase();
  if (typologie && KINDS.has(typologie)) return typologie as KindCode;
  throw new FieldError(
    'UNKNOWN_KIND',
    reseaux.length
      ? `aucun réseau porteur ne correspond à un type de structure de l’annuaire (reçu : ${reseaux.join(', ')})`
      : 'type de structure manquant (reseaux_porteurs vide)',
  );
}

export function dataInclusionToInput(r: JsonRecord): StructureInput {
  const kind = kindOf(r);
  const networks = [...new Set((strings(r, 'reseaux_porteurs') ?? []).map((x) => NETWORK_BY_RESEAU[x.toLowerCase()]).filter(Boolean))];
  let lat = number(r, 'latitude');
  let lon = number(r, 'longitude');
  // 0, 0 ("null island") is how some producers say "unknown".
  if (lat === 0 && lon === 0) lat = lon = null;
  if (lat === null || lon === null) lat = lon = null;
  return {
    siret: text(r, 'siret') ?? '',
    name: text(r, 'nom') ?? '',
    kind,
    description: text(r, 'description'),
    address: joinAddress(text(r, 'adresse'), text(r, 'complement_adresse')),
    communeCode: text(r, 'code_insee'),
    postalCode: text(r, 'code_postal'),
    communeName: text(r, 'commune'),
    lat,
    lon,
    website: text(r, 'site_web'),
    publicEmail: text(r, 'courriel'),
    publicPhone: text(r, 'telephone'),
    networks,
    source: 'data-inclusion',
    sourceId: text(r, 'id'),
    sourceUpdatedAt: isoDate(r, 'date_maj'),
    active: true,
  };
}

export async function readDataInclusionFile(file: string): Promise<ImportLine[]> {
  const shape = {
    label: 'data·inclusion (structures v1)',
    envelopeKeys: ['items', 'results'],
    looksLikeRecord: (o: JsonRecord) => 'nom' in o || ('id' in o && 'source' in o),
  };
  return readJsonStructures(file, shape, (r) => dataInclusionToInput(r));
}
