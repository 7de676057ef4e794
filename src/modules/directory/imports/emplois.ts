// Les emplois de l'inclusion, public API GET /api/v1/siaes/ (SiaeSerializer, gip-inclusion/les-emplois
// @ 543eae8d, itou/api/siae_api/serializers.py; see docs/reference/referentials.md §2.1):
// {count, next, previous, results: [...]}, a plain array of results, or several pages in one file.
// The contacts this API publishes (courriel, telephone, site_web) are the structure's public contacts.
// It has no activities: they are left undefined, so those already stored are kept.
import type { ImportLine } from '../service.ts';
import { KIND_CODES, type KindCode, type StructureInput } from '../model.ts';
import { FieldError, isoDate, joinAddress, type JsonRecord, text } from './fields.ts';
import { readJsonStructures } from './json.ts';

const KINDS = new Set<string>(KIND_CODES);

export function emploisKind(value: string | null): KindCode {
  const kind = value?.toUpperCase() ?? null;
  if (kind && KINDS.has(kind)) return kind as KindCode;
  if (kind === 'OPCS') {
    throw new FieldError('UNKNOWN_KIND', 'type « OPCS » (organisation porteuse de la clause sociale) : hors du champ de l’annuaire');
  }
  throw new FieldError('UNKNOWN_KIND', kind ? `type de structure inconnu : « ${value} »` : 'type de structure manquant');
}

export function emploisToInput(r: JsonRecord): StructureInput {
  return {
    siret: text(r, 'siret') ?? '',
    name: text(r, 'raison_sociale') ?? '',
    brand: text(r, 'enseigne'),
    kind: emploisKind(text(r, 'type')),
    description: text(r, 'description'),
    // "addresse" (two d) is the real key of the API.
    address: joinAddress(text(r, 'addresse_ligne_1'), text(r, 'addresse_ligne_2')),
    postalCode: text(r, 'code_postal'),
    communeName: text(r, 'ville'),
    department: text(r, 'departement'),
    website: text(r, 'site_web'),
    publicEmail: text(r, 'courriel'),
    publicPhone: text(r, 'telephone'),
    source: 'emplois',
    sourceId: text(r, 'id'),
    sourceUpdatedAt: isoDate(r, 'mis_a_jour_le'),
    active: true,
  };
}

export async function readEmploisFile(file: string): Promise<ImportLine[]> {
  const shape = {
    label: 'les emplois de l’inclusion (/api/v1/siaes/)',
    envelopeKeys: ['results'],
    looksLikeRecord: (o: JsonRecord) => 'siret' in o && ('raison_sociale' in o || 'type' in o),
  };
  return readJsonStructures(file, shape, (r) => emploisToInput(r));
}
