// Le Marché de l'inclusion, API GET /api/siae/ (SiaeDetailSerializer, gip-inclusion/le-marche,
// lemarche/api/siaes/serializers.py; see docs/reference/le-marche.md §1.6): a JSON array of siae
// objects, or a LimitOffset page {count, next, previous, results}.
//
// Decisions (documented in docs/csv-template.md, « Imports depuis les autres sources ») :
// - activities: one per known sector (sectors[].slug), with the structure's presta_types; when it
//   has none, DISP for the kinds that place people (ETTI, AI, EATT) and PREST otherwise. Le Marché's API
//   does not say where each activity is carried out, so the area is the structure's département
//   ({kind: 'territories', territories: ['departement:59']}): a cautious default that the structure
//   can widen on its profile. Sector slugs unknown to our taxonomy are dropped, the line is kept.
//   Without a `sectors` key (the list endpoint omits it) activities stay undefined: stored ones are kept.
// - networks: only the slugs of data/sectors/le-marche_reseaux.csv; labels_old names that match one of
//   our labels (data/sectors/le-marche_labels.csv) become labels, others are ignored.
// - contact_email / contact_phone (older API versions) are not imported: Le Marché removed personal
//   contact data from its API; the public contact we keep is contact_website.
import { normalize } from '../../../core/text.ts';
import { departmentFromPostal } from '../../territories/data.ts';
import type { ImportLine } from '../service.ts';
import { type ActivityInput, KIND_CODES, type KindCode, SERVICE_TYPE_CODES, type ServiceTypeCode, type StructureInput } from '../model.ts';
import { boolean, FieldError, invalidField, isoDate, type JsonRecord, loadVocabulary, objects, text, type Vocabulary } from './fields.ts';
import { readJsonStructures } from './json.ts';

const KINDS = new Set<string>(KIND_CODES);
const PRESTA = new Set<string>(SERVICE_TYPE_CODES);
/** Kinds whose default prestation is to place people (mise à disposition, intérim). */
const PLACEMENT_KINDS = new Set<KindCode>(['ETTI', 'AI', 'EATT']);

function marcheKind(value: string | null): KindCode {
  const kind = value?.toUpperCase() ?? null;
  if (kind && KINDS.has(kind)) return kind as KindCode;
  throw new FieldError('UNKNOWN_KIND', kind ? `type de structure inconnu : « ${value} »` : 'type de structure manquant');
}

/** "id" is an integer on Le Marché; a string is accepted too. */
function sourceId(r: JsonRecord): string | null {
  const v = r.id;
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'string') return v.trim() || null;
  throw invalidField('id', 'identifiant attendu', v);
}

function slugsOf(list: JsonRecord[] | null, field: string): string[] {
  return (list ?? []).map((o) => text(o, 'slug')).filter((s): s is string => {
    if (s === null) throw invalidField(`${field}[].slug`, 'texte attendu', null);
    return true;
  });
}

function prestaTypes(r: JsonRecord, kind: KindCode): ServiceTypeCode[] {
  const v = r.presta_types;
  if (v !== undefined && v !== null && (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))) {
    throw invalidField('presta_types', 'liste de textes attendue', v);
  }
  const types = ((v as string[] | null | undefined) ?? []).map((x) => x.trim().toUpperCase()).filter((x) => PRESTA.has(x));
  if (types.length) return [...new Set(types)].sort() as ServiceTypeCode[];
  return [PLACEMENT_KINDS.has(kind) ? 'DISP' : 'PREST'];
}

export function marcheToInput(r: JsonRecord, vocab: Vocabulary): StructureInput {
  const kind = marcheKind(text(r, 'kind'));
  const postalCode = text(r, 'post_code');
  const declared = text(r, 'department')?.toUpperCase() ?? null;
  const department =
    declared && /^(\d{2}|2A|2B|97\d)$/.test(declared)
      ? declared
      : postalCode && /^\d{5}$/.test(postalCode)
        ? departmentFromPostal(postalCode)
        : null;
  let activities: ActivityInput[] | undefined;
  if (r.sectors !== undefined && department) {
    const sectors = [...new Set(slugsOf(objects(r, 'sectors'), 'sectors'))].filter((s) => vocab.sectors.has(s));
    const serviceTypes = prestaTypes(r, kind);
    activities = sectors.map((sector) => ({
      sector,
      serviceTypes,
      area: { kind: 'territories', territories: [`departement:${department}`] },
    }));
  }
  const networks = slugsOf(objects(r, 'networks'), 'networks').filter((s) => vocab.networks.has(s));
  const labels = (objects(r, 'labels_old') ?? [])
    .map((l) => text(l, 'name'))
    .map((name) => (name ? vocab.labelByName.get(normalize(name)) : undefined))
    .filter((s): s is string => Boolean(s));
  const clientReferences = (objects(r, 'client_references') ?? []).map((c) => text(c, 'name')).filter((s): s is string => Boolean(s));
  return {
    siret: text(r, 'siret') ?? '',
    name: text(r, 'name') ?? '',
    brand: text(r, 'brand'),
    kind,
    address: text(r, 'address'),
    postalCode,
    communeName: text(r, 'city'),
    department,
    website: text(r, 'contact_website'),
    networks,
    labels,
    clientReferences,
    activities,
    source: 'marche',
    sourceId: sourceId(r),
    sourceUpdatedAt: isoDate(r, 'updated_at'),
    active: boolean(r, 'is_active') ?? true,
  };
}

export async function readMarcheFile(file: string): Promise<ImportLine[]> {
  const vocab = loadVocabulary();
  const shape = {
    label: 'Le Marché de l’inclusion (/api/siae/)',
    envelopeKeys: ['results'],
    looksLikeRecord: (o: JsonRecord) => 'siret' in o && ('name' in o || 'kind' in o),
  };
  return readJsonStructures(file, shape, (r) => marcheToInput(r, vocab));
}
