// Editing a structure's profile by its team (or a facilitator of its territory, or the platform team):
// validation with French messages per field, official fields kept for facilitators and the platform, the
// write through the directory's own path (search words, cover keys, lexicon, version), the audit, the logo,
// and the completion score that tells what is missing.
import { audit } from '../../core/audit.ts';
import type { Queryable } from '../../core/db.ts';
import { AppError, notFound } from '../../core/errors.ts';
import { processLogo } from '../../core/images.ts';
import type { Platform } from '../../core/platform.ts';
import { cleanIdentifier, isValidSiret } from '../../core/siret.ts';
import { sql } from '../../core/sql.ts';
import { normalize, placeKey } from '../../core/text.ts';
import { removeUpload, saveUpload } from '../../core/uploads.ts';
import type { Actor } from '../accounts/model.ts';
import { authorize, canCorrectOfficialFields, canEditStructure } from '../accounts/policy.ts';
import { getReferentials, type Referentials } from '../referentials/service.ts';
import { keyToRef, loadTerritories, type Territories, type Territory, TYPE_LABEL } from '../territories/data.ts';
import { z } from 'zod';
import { type Commitment, KIND_CODES, type KindCode, SERVICE_TYPE_CODES, type ServiceTypeCode, type StructureInput } from './model.ts';
import { activitiesOf, findStructure, lexiconText, type StructureRow, updateLexicon, writeStructures } from './repository.ts';
import { prepareStructure, type StructureProfile, toStructure } from './service.ts';
import { directoryChanged } from './snapshot.ts';

// What can be edited ----------------------------------------------------------------------------------

/** Fields from an official source: only a facilitator of the territory or the platform corrects them, with a reason. */
export const OFFICIAL_FIELDS = ['siret', 'kind', 'name'] as const;
export type OfficialField = (typeof OFFICIAL_FIELDS)[number];

/** Field of the edit → column name kept in structures.edited_fields (imports leave those alone). */
export const EDITED_COLUMN = {
  description: 'description',
  brand: 'brand',
  website: 'website',
  publicEmail: 'public_email',
  publicPhone: 'public_phone',
  etp: 'etp',
  employeesInsertion: 'employees_insertion',
  employeesPermanent: 'employees_permanent',
  labels: 'labels',
  commitments: 'commitments',
  clientReferences: 'client_references',
  activities: 'activities',
  siret: 'siret',
  kind: 'kind',
  name: 'name',
} as const;
export type EditField = keyof typeof EDITED_COLUMN;

/** French names of the fields, for messages. */
export const FIELD_LABEL: Record<EditField | 'reason' | 'logo', string> = {
  description: 'Présentation',
  brand: 'Nom commercial',
  website: 'Site internet',
  publicEmail: 'Adresse électronique publique',
  publicPhone: 'Téléphone public',
  etp: 'Équivalents temps plein (ETP)',
  employeesInsertion: 'Salariés en insertion',
  employeesPermanent: 'Salariés permanents',
  labels: 'Labels',
  commitments: 'Engagements',
  clientReferences: 'Références clients',
  activities: 'Activités',
  siret: 'SIRET',
  kind: 'Type de structure',
  name: 'Raison sociale',
  reason: 'Motif de la correction',
  logo: 'Logo',
};

/** Commitments offered on the form (the same wording as the directory's data); others can be written freely. */
export const SUGGESTED_COMMITMENTS: { type: Commitment['type']; label: string }[] = [
  { type: 'social', label: 'Accompagnement socioprofessionnel renforcé' },
  { type: 'social', label: 'Formation qualifiante des salariés' },
  { type: 'social', label: 'Partenariat avec les acteurs de la mobilité' },
  { type: 'environmental', label: 'Démarche RSE formalisée' },
  { type: 'environmental', label: 'Évaluation ISO 26000' },
  { type: 'environmental', label: 'Réemploi et recyclage des matériaux' },
  { type: 'environmental', label: 'Produits d’entretien écolabellisés' },
  { type: 'environmental', label: 'Flotte de véhicules électriques' },
];

const LIMITS = { description: 10000, brand: 255, website: 2000, publicEmail: 320, publicPhone: 40, name: 255, reason: 2000, activities: 30, territories: 100, labels: 20, commitments: 30, references: 50 };

const text = (max: number) => z.string().trim().max(max).nullable().optional();
const count = (max: number) => z.number().int().min(0).max(max).nullable().optional();

const AreaInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('country') }),
  z.object({ kind: z.literal('radius'), radiusKm: z.number().int().min(1).max(1000) }),
  z.object({ kind: z.literal('territories'), territories: z.array(z.string().trim().min(1).max(200)).min(1).max(LIMITS.territories) }),
]);

/** What an edit may give (PATCH /api/v1/structures/{id}): every field optional, an absent field is left as it is. */
export const EditInputSchema = z.strictObject({
  description: text(LIMITS.description).describe('Présentation de la structure (null pour l’effacer)'),
  brand: text(LIMITS.brand).describe('Nom commercial'),
  website: text(LIMITS.website).describe('Site internet (https://…)'),
  publicEmail: text(LIMITS.publicEmail).describe('Adresse électronique publique'),
  publicPhone: text(LIMITS.publicPhone).describe('Téléphone public'),
  etp: z.number().min(0).max(100000).nullable().optional().describe('Équivalents temps plein'),
  employeesInsertion: count(1000000).describe('Salariés en insertion'),
  employeesPermanent: count(1000000).describe('Salariés permanents'),
  labels: z.array(z.string().trim().max(100)).max(LIMITS.labels).optional().describe('Labels (slugs du référentiel, voir /api/v1/referentials)'),
  commitments: z
    .array(z.object({ type: z.enum(['social', 'environmental']), label: z.string().trim().min(1).max(200), detail: z.string().trim().max(1000).nullable().optional() }))
    .max(LIMITS.commitments)
    .optional()
    .describe('Engagements sociaux et environnementaux, avec un texte libre chacun'),
  clientReferences: z.array(z.string().trim().min(1).max(200)).max(LIMITS.references).optional().describe('Références clients'),
  activities: z
    .array(z.object({ sector: z.string().trim().min(1).max(100), serviceTypes: z.array(z.enum(SERVICE_TYPE_CODES)).min(1).max(3), area: AreaInputSchema }))
    .max(LIMITS.activities)
    .optional()
    .describe('Remplace toutes les activités. Territoires : « departement:59 », « commune:59350 », « epci:200093201 », « region:32 », un code ou un nom exact'),
  siret: z.string().trim().max(30).optional().describe('Champ officiel : facilitateur du territoire ou équipe de la plateforme, avec un motif'),
  kind: z.enum(KIND_CODES).optional().describe('Champ officiel'),
  name: z.string().trim().min(1).max(LIMITS.name).optional().describe('Champ officiel : raison sociale'),
  reason: z.string().trim().max(LIMITS.reason).optional().describe('Motif, obligatoire quand un champ officiel change'),
});
export type EditInput = z.input<typeof EditInputSchema>;

/** A French message for a validation issue of a field. */
function issueMessage(issue: z.core.$ZodIssue, label: string): string {
  const i = issue as z.core.$ZodIssue & { expected?: string; origin?: string; maximum?: number | bigint; minimum?: number | bigint; keys?: string[]; input?: unknown };
  switch (i.code) {
    case 'invalid_type':
      if ((i.input === undefined || i.input === null) && 'input' in i) return `${label} : obligatoire.`;
      if (i.expected === 'int') return `${label} : nombre entier attendu.`;
      if (i.expected === 'number') return `${label} : nombre attendu.`;
      if (i.expected === 'array') return `${label} : liste attendue.`;
      if (i.expected === 'object') return `${label} : objet attendu.`;
      return `${label} : texte attendu.`;
    case 'too_big':
      if (i.origin === 'string') return `${label} : ${Number(i.maximum).toLocaleString('fr-FR')} caractères au plus.`;
      if (i.origin === 'array') return `${label} : ${i.maximum} au plus.`;
      return `${label} : ${Number(i.maximum).toLocaleString('fr-FR')} au plus.`;
    case 'too_small':
      if (i.origin === 'string') return `${label} : obligatoire.`;
      if (i.origin === 'array') return `${label} : choisissez-en au moins ${i.minimum}.`;
      return `${label} : ${i.minimum} au moins.`;
    case 'invalid_union':
      if ((i.path as unknown[]).includes('area')) return `${label} : choisissez toute la France, un rayon ou des territoires.`;
      return `${label} : valeur inconnue.`;
    case 'invalid_value':
      return `${label} : valeur inconnue.`;
    case 'unrecognized_keys':
      return `Champ inconnu : ${(i.keys ?? []).join(', ')}.`;
    default:
      return `${label} : valeur invalide.`;
  }
}

/** The French label of a field path: "activities.0.area.radiusKm" → "Activité 1 : rayon". */
function pathLabel(path: (string | number)[]): string {
  const [head, index, sub, subsub] = path;
  if (head === 'activities' && typeof index === 'number') {
    const part =
      sub === 'sector' ? 'secteur' : sub === 'serviceTypes' ? 'types de prestation' : subsub === 'radiusKm' ? 'rayon' : subsub === 'territories' ? 'territoires' : 'zone d’intervention';
    return `Activité ${index + 1} : ${part}`;
  }
  if (head === 'commitments' && typeof index === 'number') return `Engagement ${index + 1}${sub === 'label' ? ' : intitulé' : sub === 'detail' ? ' : précision' : ''}`;
  if (head === 'clientReferences' && typeof index === 'number') return `Référence client ${index + 1}`;
  return FIELD_LABEL[head as EditField] ?? String(head ?? 'Requête');
}

/** Where an error goes: the field path with the positions inside a field's list dropped ("activities.0.serviceTypes"). */
function fieldKey(path: (string | number)[]): string {
  if (path[0] === 'activities' && typeof path[1] === 'number') {
    if (path[2] === 'area') return `activities.${path[1]}.area.${path[3] === 'radiusKm' ? 'radiusKm' : path[3] === 'territories' ? 'territories' : 'kind'}`;
    return `activities.${path[1]}.${String(path[2] ?? 'sector')}`;
  }
  if (path[0] === 'commitments' && typeof path[1] === 'number') return `commitments.${path[1]}.${String(path[2] ?? 'label')}`;
  if (path[0] === 'clientReferences' || path[0] === 'labels') return String(path[0]);
  return String(path[0] ?? '');
}

export type FieldErrors = Record<string, string>;

type ParsedEdit = z.output<typeof EditInputSchema>;

/**
 * Reads an edit field by field, so that every wrong field gets its message at once (a field whose type is
 * wrong, and one whose content is wrong). Returns the fields that are well formed and the errors.
 */
function parseEdit(raw: unknown): { input: ParsedEdit; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const input: Record<string, unknown> = {};
  if (raw === undefined || raw === null) return { input: {} as ParsedEdit, errors };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { input: {} as ParsedEdit, errors: { '': 'Objet JSON attendu.' } };
  const shape = EditInputSchema.shape as Record<string, z.ZodType>;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const schema = shape[key];
    if (!schema) {
      errors[key] = `Champ inconnu : ${key}.`;
      continue;
    }
    const r = schema.safeParse(value, { reportInput: true });
    if (r.success) {
      input[key] = r.data;
      continue;
    }
    for (const issue of r.error.issues) {
      const path = [key, ...(issue.path as (string | number)[])];
      errors[fieldKey(path)] ??= issueMessage(issue, pathLabel(path));
    }
  }
  return { input: input as ParsedEdit, errors };
}

/** 422 with a French message per field ({details: {fields: {path: message}}}). */
export function validationError(fields: FieldErrors): AppError {
  const n = Object.keys(fields).length;
  return new AppError('VALIDATION_FAILED', n > 1 ? `${n} champs sont à corriger.` : 'Un champ est à corriger.', 422, { fields });
}

// Territories by code or name --------------------------------------------------------------------------

let labelIndex: { territories: Territories; byLabel: Map<string, Territory[]>; byName: Map<string, Territory[]> } | null = null;

function indexes(territories: Territories) {
  if (labelIndex?.territories === territories) return labelIndex;
  const byLabel = new Map<string, Territory[]>();
  const byName = new Map<string, Territory[]>();
  const push = (m: Map<string, Territory[]>, k: string, t: Territory) => {
    const l = m.get(k);
    if (l) l.push(t);
    else m.set(k, [t]);
  };
  for (const t of territories.byKey.values()) {
    push(byLabel, normalize(territories.label(t)), t);
    push(byName, placeKey(t.name), t);
  }
  labelIndex = { territories, byLabel, byName };
  return labelIndex;
}

const LEVEL = { region: 4, departement: 3, epci: 2, commune: 1 } as const;
const TYPE_WORDS: Record<string, Territory['type']> = { commune: 'commune', epci: 'epci', intercommunalite: 'epci', departement: 'departement', region: 'region' };

/**
 * A territory from what people write: a typed reference ("departement:59", "D59", "région 32"), the label the
 * directory shows ("Lille (59)", "Nord (59)"), a code (INSEE commune code or a postal code of one commune, EPCI
 * SIREN, département or région code when it is not both) or an exact name. Returns its typed key, or a French error.
 */
export function resolveTerritory(territories: Territories, raw: string): { key: string } | { error: string } {
  const s = raw.trim();
  if (!s) return { error: 'Territoire vide.' };
  if (/^[CEDR][0-9AB]{2,9}$/i.test(s) && territories.byKey.has(s.toUpperCase())) return { key: s.toUpperCase() };
  const n = normalize(s);
  const typed = /^(commune|epci|intercommunalite|departement|region)\s+([0-9ab]{2,9})$/.exec(n);
  if (typed) {
    const t = territories.get(TYPE_WORDS[typed[1]], typed[2].toUpperCase());
    return t ? { key: t.key } : { error: `Territoire inconnu : « ${s} ».` };
  }
  const idx = indexes(territories);
  const labelled = idx.byLabel.get(n);
  if (labelled?.length === 1) return { key: labelled[0].key };
  const code = s.replace(/\s/g, '').toUpperCase();
  if (/^(\d{5}|2[AB]\d{3})$/.test(code)) {
    const c = territories.commune(code) ?? territories.resolveCommune({ postalCode: code });
    return c ? { key: c.key } : { error: `Aucune commune n’a le code « ${s} » (ou plusieurs communes partagent ce code postal : écrivez leur nom).` };
  }
  if (/^\d{9}$/.test(code)) {
    const e = territories.get('epci', code);
    return e ? { key: e.key } : { error: `Aucune intercommunalité n’a le SIREN « ${s} ».` };
  }
  if (/^(\d{2,3}|2[AB])$/.test(code)) {
    const d = territories.get('departement', code);
    const r = territories.get('region', code);
    if (d && r) return { error: `« ${s} » est à la fois un département et une région : écrivez « département ${s} » ou « région ${s} ».` };
    if (d || r) return { key: (d ?? r)!.key };
    return { error: `Aucun département ni aucune région n’a le code « ${s} ».` };
  }
  const named = idx.byName.get(placeKey(s)) ?? labelled ?? [];
  if (named.length) {
    const top = Math.max(...named.map((t) => LEVEL[t.type]));
    const best = named.filter((t) => LEVEL[t.type] === top);
    if (best.length === 1) return { key: best[0].key };
    const examples = best.slice(0, 2).map((t) => `« ${territories.label(t)} »`).join(' ou ');
    return { error: `Plusieurs territoires s’appellent « ${s} » (${TYPE_LABEL[best[0].type].toLowerCase()}s) : précisez, par exemple ${examples}.` };
  }
  return { error: `Territoire introuvable : « ${s} ». Écrivez un nom exact ou un code (département 59, commune 59350…).` };
}

// Reading a structure for editing ----------------------------------------------------------------------

export interface EditableStructure {
  profile: StructureProfile;
  row: StructureRow;
  editedFields: string[];
  editedAt: string | null;
  hidden: boolean;
}

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

async function readStructure(q: Queryable, id: string, refs: Referentials, lock = false): Promise<EditableStructure | null> {
  if (!isUuid(id)) return null;
  if (lock) await q.query(sql`SELECT 1 FROM structures WHERE id = ${id}::uuid FOR UPDATE`);
  const row = await findStructure(q, { id });
  if (!row) return null;
  const profile: StructureProfile = {
    ...toStructure(row, await activitiesOf(q, [row.id]), refs, loadTerritories()),
    logoPath: row.logo_path,
    editedAt: row.edited_at ? new Date(row.edited_at).toISOString() : null,
  };
  return { profile, row, editedFields: row.edited_fields, editedAt: profile.editedAt, hidden: row.hidden };
}

const located = (s: StructureRow) => ({ id: s.id, communeCode: s.commune_code, epciCode: s.epci_code, departmentCode: s.department_code, regionCode: s.region_code });

/** The structure as its editors see it (hidden ones included); 404 when unknown, 401/403 when the actor may not edit it. */
export async function structureForEdit(p: Platform, actor: Actor, id: string): Promise<EditableStructure & { canCorrectOfficial: boolean }> {
  const refs = await getReferentials(p.db);
  const s = await readStructure(p.db, id, refs);
  if (!s) throw notFound('Structure introuvable.');
  authorize(actor, canEditStructure(actor, located(s.row)), 'Seuls les membres de la structure, un facilitateur de son territoire ou l’équipe de la plateforme modifient cette fiche.');
  return { ...s, canCorrectOfficial: canCorrectOfficialFields(actor, located(s.row)) };
}

// Completion -------------------------------------------------------------------------------------------

export interface CompletionItem {
  key: string;
  label: string;
  /** The page and field to fill in. */
  href: string;
  points: number;
}
export interface Completion {
  score: number;
  missing: CompletionItem[];
}

/** Element ids of the edit page's fields (completion links point at them). */
export const FIELD_ID = {
  description: 'champ-description',
  activities: 'activites',
  publicEmail: 'champ-publicEmail',
  website: 'champ-website',
  etp: 'champ-etp',
  logo: 'champ-logo',
  labels: 'labels-engagements',
  clientReferences: 'champ-clientReferences',
} as const;

export const DESCRIPTION_MIN = 100;

const COMPLETION: { key: keyof typeof FIELD_ID; points: number; label: string; done: (s: StructureProfile) => boolean }[] = [
  { key: 'description', points: 25, label: `Une présentation de la structure (au moins ${DESCRIPTION_MIN} caractères)`, done: (s) => (s.description?.trim().length ?? 0) >= DESCRIPTION_MIN },
  { key: 'activities', points: 20, label: 'Au moins une activité : secteur, types de prestation, zone d’intervention', done: (s) => s.activities.length > 0 },
  { key: 'publicEmail', points: 10, label: 'Un contact public : adresse électronique ou téléphone', done: (s) => !!(s.publicEmail || s.publicPhone) },
  { key: 'website', points: 5, label: 'Le site internet', done: (s) => !!s.website },
  { key: 'etp', points: 10, label: 'La capacité : ETP, salariés en insertion ou permanents', done: (s) => s.etp != null || s.employeesInsertion != null || s.employeesPermanent != null },
  { key: 'logo', points: 10, label: 'Le logo', done: (s) => !!s.logoPath },
  { key: 'labels', points: 10, label: 'Des labels ou des engagements sociaux et environnementaux', done: (s) => s.labels.length > 0 || s.commitments.length > 0 },
  { key: 'clientReferences', points: 10, label: 'Des références clients', done: (s) => s.clientReferences.length > 0 },
];

/** How complete a profile is (0–100) and what is missing, with links to the fields of the edit page. */
export function completion(s: StructureProfile): Completion {
  let score = 0;
  const missing: CompletionItem[] = [];
  for (const c of COMPLETION) {
    if (c.done(s)) score += c.points;
    else missing.push({ key: c.key, label: c.label, href: `/structures/modifier/${s.id}#${FIELD_ID[c.key]}`, points: c.points });
  }
  return { score, missing };
}

// Editing ----------------------------------------------------------------------------------------------

interface Values {
  description: string | null;
  brand: string | null;
  website: string | null;
  publicEmail: string | null;
  publicPhone: string | null;
  etp: number | null;
  employeesInsertion: number | null;
  employeesPermanent: number | null;
  labels: string[];
  commitments: Commitment[];
  clientReferences: string[];
  activities: { sector: string; serviceTypes: ServiceTypeCode[]; area: { kind: 'country' } | { kind: 'radius'; radiusKm: number } | { kind: 'territories'; territories: string[] } }[];
  siret: string;
  kind: KindCode;
  name: string;
}

function currentValues(s: StructureProfile, row: StructureRow): Values {
  return {
    description: s.description,
    brand: s.brand,
    website: s.website,
    publicEmail: s.publicEmail,
    publicPhone: s.publicPhone,
    etp: s.etp == null ? null : Number(s.etp),
    employeesInsertion: s.employeesInsertion,
    employeesPermanent: s.employeesPermanent,
    labels: [...row.labels].sort(),
    commitments: s.commitments.map((c) => (c.detail ? { type: c.type, label: c.label, detail: c.detail } : { type: c.type, label: c.label })),
    clientReferences: s.clientReferences,
    activities: s.activities.map((a) => ({
      sector: a.sector.slug,
      serviceTypes: [...a.serviceTypes].sort(),
      area: a.area.kind === 'territories' ? { kind: 'territories' as const, territories: [...a.area.territories].sort() } : a.area,
    })),
    siret: s.siret,
    kind: s.kind,
    name: s.name,
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A website as stored: an http(s) address (https:// added when missing), or an error. */
function cleanWebsite(v: string): { value: string } | { error: string } {
  const w = /^[a-z][a-z0-9+.-]*:/i.test(v) ? v : `https://${v}`;
  try {
    const u = new URL(w);
    if ((u.protocol === 'http:' || u.protocol === 'https:') && /\.[a-z]{2,}$/i.test(u.hostname)) return { value: w };
  } catch {
    // falls through
  }
  return { error: 'Site internet : adresse invalide, par exemple https://www.exemple.fr.' };
}

export interface EditResult {
  structure: StructureProfile;
  completion: Completion;
  /** Names of the fields that changed (empty: nothing to save). */
  changed: EditField[];
}

const actorAudit = (actor: Actor) =>
  actor.person ? { actorId: actor.person.id } : { actorId: null, actorKind: actor.token ? `api_token:${actor.token.id}` : 'system' };

async function organisationOf(q: Queryable, structureId: string): Promise<string | null> {
  const r = await q.one<{ id: string }>(sql`SELECT id FROM organisations WHERE structure_id = ${structureId}::uuid`);
  return r?.id ?? null;
}

/**
 * Saves an edit of a structure's profile. Absent fields are left as they are. Official fields (SIRET, kind,
 * legal name) need canCorrectOfficialFields and a reason. Every save writes through writeStructures (search
 * columns, cover keys, version), is audited with the changed fields before and after, and marks the fields as
 * edited so that imports leave them alone.
 */
export async function editStructure(p: Platform, actor: Actor, id: string, raw: unknown): Promise<EditResult> {
  const refs = await getReferentials(p.db);
  const territories = loadTerritories();
  const first = await readStructure(p.db, id, refs);
  if (!first) throw notFound('Structure introuvable.');
  authorize(actor, canEditStructure(actor, located(first.row)), 'Seuls les membres de la structure, un facilitateur de son territoire ou l’équipe de la plateforme modifient cette fiche.');

  const { input, errors } = parseEdit(raw);
  // Checks the schema cannot make: contacts, reference data, territories, SIRET.
  const next: Partial<Values> = {};
  const blank = (v: string | null | undefined) => (v == null || v === '' ? null : v);
  if (input.description !== undefined) next.description = blank(input.description);
  if (input.brand !== undefined) next.brand = blank(input.brand);
  if (input.website !== undefined) {
    const w = blank(input.website);
    if (w === null) next.website = null;
    else {
      const c = cleanWebsite(w);
      if ('error' in c) errors.website = c.error;
      else next.website = c.value;
    }
  }
  if (input.publicEmail !== undefined) {
    const e = blank(input.publicEmail)?.toLowerCase() ?? null;
    if (e !== null && !EMAIL.test(e)) errors.publicEmail = 'Adresse électronique publique : format attendu nom@domaine.fr.';
    else next.publicEmail = e;
  }
  if (input.publicPhone !== undefined) {
    const ph = blank(input.publicPhone);
    const digits = ph?.replace(/\D/g, '') ?? '';
    if (ph !== null && (!/^[+\d][\d\s.()-]*$/.test(ph) || digits.length < 10 || digits.length > 15)) errors.publicPhone = 'Téléphone public : 10 chiffres, par exemple 03 20 12 34 56 ou +33 3 20 12 34 56.';
    else next.publicPhone = ph;
  }
  if (input.etp !== undefined) next.etp = input.etp;
  if (input.employeesInsertion !== undefined) next.employeesInsertion = input.employeesInsertion;
  if (input.employeesPermanent !== undefined) next.employeesPermanent = input.employeesPermanent;
  if (input.labels !== undefined) {
    const unknown = input.labels.filter((l) => !refs.labelBySlug.has(l));
    if (unknown.length) errors.labels = `Labels : inconnu${unknown.length > 1 ? 's' : ''} : ${unknown.join(', ')}.`;
    else next.labels = [...new Set(input.labels)].sort();
  }
  if (input.commitments !== undefined) {
    next.commitments = input.commitments.map((c) => (c.detail ? { type: c.type, label: c.label, detail: c.detail } : { type: c.type, label: c.label }));
  }
  if (input.clientReferences !== undefined) next.clientReferences = [...new Set(input.clientReferences)];
  if (input.activities !== undefined) {
    const acts: Values['activities'] = [];
    input.activities.forEach((a, i) => {
      if (!refs.sectorBySlug.has(a.sector)) errors[`activities.${i}.sector`] = `Activité ${i + 1} : secteur inconnu (« ${a.sector} »).`;
      let area: Values['activities'][number]['area'] = a.area.kind === 'territories' ? { kind: 'territories', territories: [] } : a.area;
      if (a.area.kind === 'territories') {
        const keys = new Set<string>();
        const problems: string[] = [];
        for (const t of a.area.territories) {
          const r = resolveTerritory(territories, t);
          if ('error' in r) problems.push(r.error);
          else keys.add(r.key);
        }
        if (problems.length) errors[`activities.${i}.area.territories`] = `Activité ${i + 1} : ${problems.join(' ')}`;
        area = { kind: 'territories', territories: [...keys].map(keyToRef).sort() };
      }
      acts.push({ sector: a.sector, serviceTypes: [...new Set(a.serviceTypes)].sort(), area });
    });
    next.activities = acts;
  }
  if (input.siret !== undefined) {
    const siret = cleanIdentifier(input.siret);
    if (!isValidSiret(siret)) errors.siret = 'SIRET : 14 chiffres valides attendus (vérifiez la clé).';
    else next.siret = siret;
  }
  if (input.kind !== undefined) next.kind = input.kind;
  if (input.name !== undefined) next.name = input.name;
  if (Object.keys(errors).length) throw validationError(errors);

  const result = await p.db.transaction(async (tx) => {
    // Read again under a lock: the edit applies to the latest version of the profile.
    const s = (await readStructure(tx, id, refs, true)) as EditableStructure;
    const before = currentValues(s.profile, s.row);
    const after: Values = { ...before, ...next };
    const changed = (Object.keys(EDITED_COLUMN) as EditField[]).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    const official = changed.filter((k): k is OfficialField => (OFFICIAL_FIELDS as readonly string[]).includes(k));
    if (official.length) {
      if (!canCorrectOfficialFields(actor, located(s.row))) {
        throw new AppError(
          'OFFICIAL_FIELD_LOCKED',
          `${official.map((f) => FIELD_LABEL[f]).join(', ')} : ces informations viennent d’une source officielle. Seuls un facilitateur du territoire ou l’équipe de la plateforme peuvent les corriger.`,
          403,
          { fields: Object.fromEntries(official.map((f) => [f, 'Champ officiel : non modifiable par la structure.'])) },
        );
      }
      if ((input.reason ?? '').length < 3) throw validationError({ reason: 'Motif de la correction : obligatoire quand le SIRET, le type ou la raison sociale changent.' });
    }
    if (!changed.length) return { changed, profile: s.profile };

    if (after.siret !== before.siret) {
      const taken = await tx.one(sql`SELECT 1 FROM structures WHERE siret = ${after.siret} AND id <> ${id}::uuid`);
      if (taken) throw new AppError('SIRET_TAKEN', 'SIRET : une autre structure de l’annuaire a déjà ce SIRET.', 409, { fields: { siret: 'Une autre structure de l’annuaire a déjà ce SIRET.' } });
      await tx.query(sql`UPDATE structures SET siret = ${after.siret} WHERE id = ${id}::uuid`);
    }
    const row = s.row;
    const structureInput: StructureInput = {
      siret: after.siret,
      name: after.name,
      brand: after.brand,
      kind: after.kind,
      legalForm: row.legal_form,
      nafCode: row.naf_code,
      description: after.description,
      address: row.address,
      postalCode: row.postal_code,
      communeCode: row.commune_code,
      communeName: row.commune_name,
      lat: row.lat,
      lon: row.lon,
      website: after.website,
      publicEmail: after.publicEmail,
      publicPhone: after.publicPhone,
      privateContact: null,
      etp: after.etp,
      employeesInsertion: after.employeesInsertion,
      employeesPermanent: after.employeesPermanent,
      yearFounded: row.year_founded,
      labels: after.labels,
      networks: row.networks,
      commitments: after.commitments,
      clientReferences: after.clientReferences,
      // Activities are replaced only when they changed (their ids stay otherwise).
      activities: changed.includes('activities') ? after.activities : undefined,
      source: row.source,
      sourceId: row.source_id,
      sourceUpdatedAt: row.source_updated_at,
      isDemo: row.is_demo,
      active: row.active,
    };
    const prepared = prepareStructure(structureInput, refs, territories);
    if (!prepared.ok) throw new AppError('VALIDATION_FAILED', `La fiche n’a pas pu être enregistrée : ${prepared.error.reason}.`, 422, { code: prepared.error.code });
    const wordsBefore = await lexiconText(tx, id);
    await writeStructures(tx, [prepared.value], { edit: { fields: changed.map((k) => EDITED_COLUMN[k]) } });
    // The typo lexicon reads names, brands and descriptions: it follows the words of this structure.
    await updateLexicon(tx, wordsBefore, await lexiconText(tx, id));
    const pick = (v: Values) => Object.fromEntries(changed.map((k) => [k, v[k]]));
    await audit(tx, {
      ...actorAudit(actor),
      action: official.length ? 'structure.official_corrected' : 'structure.edited',
      targetType: 'structure',
      targetId: id,
      organisationId: await organisationOf(tx, id),
      before: pick(before),
      after: pick(after),
      reason: input.reason || null,
    });
    return { changed, profile: null };
  });
  if (result.changed.length) directoryChanged(p.db);
  const structure = result.profile ?? ((await readStructure(p.db, id, refs)) as EditableStructure).profile;
  return { structure, completion: completion(structure), changed: result.changed };
}

// Logo -------------------------------------------------------------------------------------------------

/**
 * Replaces the logo: PNG, JPEG or WebP of at most 2 MB, checked by its content, resized and re-encoded
 * (processLogo), stored under UPLOAD_DIR. The previous file is removed once the new one is recorded.
 */
export async function setLogo(p: Platform, actor: Actor, id: string, data: Buffer | null | undefined): Promise<EditResult> {
  const refs = await getReferentials(p.db);
  const s = await readStructure(p.db, id, refs);
  if (!s) throw notFound('Structure introuvable.');
  authorize(actor, canEditStructure(actor, located(s.row)), 'Seuls les membres de la structure, un facilitateur de son territoire ou l’équipe de la plateforme modifient cette fiche.');
  if (!data || !Buffer.isBuffer(data) || data.length === 0) {
    throw new AppError('UPLOAD_MISSING', 'Choisissez un fichier image (PNG, JPEG ou WebP, 2 Mo au plus).', 422, { fields: { logo: 'Choisissez un fichier image (PNG, JPEG ou WebP, 2 Mo au plus).' } });
  }
  const image = await processLogo(data);
  const relPath = await saveUpload(p.config, 'logos', image.data, image.ext);
  return replaceLogo(p, actor, id, refs, relPath, { width: image.width, height: image.height });
}

export async function removeLogo(p: Platform, actor: Actor, id: string): Promise<EditResult> {
  const refs = await getReferentials(p.db);
  const s = await readStructure(p.db, id, refs);
  if (!s) throw notFound('Structure introuvable.');
  authorize(actor, canEditStructure(actor, located(s.row)), 'Seuls les membres de la structure, un facilitateur de son territoire ou l’équipe de la plateforme modifient cette fiche.');
  return replaceLogo(p, actor, id, refs, null);
}

async function replaceLogo(p: Platform, actor: Actor, id: string, refs: Referentials, relPath: string | null, size?: { width: number; height: number }): Promise<EditResult> {
  let previous: string | null = null;
  try {
    previous = await p.db.transaction(async (tx) => {
      const r = await tx.one<{ logo_path: string | null }>(sql`SELECT logo_path FROM structures WHERE id = ${id}::uuid FOR UPDATE`);
      const old = r?.logo_path ?? null;
      if (old === relPath) return null;
      await tx.query(sql`UPDATE structures SET logo_path = ${relPath}, edited_at = now(), updated_at = now(),
        edited_fields = ARRAY(SELECT DISTINCT f FROM unnest(edited_fields || ARRAY['logo']) AS f ORDER BY f) WHERE id = ${id}::uuid`);
      await audit(tx, {
        ...actorAudit(actor),
        action: relPath ? 'structure.logo_changed' : 'structure.logo_removed',
        targetType: 'structure',
        targetId: id,
        organisationId: await organisationOf(tx, id),
        before: { logo: old },
        after: { logo: relPath, ...(size ?? {}) },
      });
      return old;
    });
  } catch (err) {
    if (relPath) await removeUpload(p.config, relPath).catch(() => false);
    throw err;
  }
  if (previous) await removeUpload(p.config, previous).catch(() => false);
  const structure = ((await readStructure(p.db, id, refs)) as EditableStructure).profile;
  return { structure, completion: completion(structure), changed: [] };
}
