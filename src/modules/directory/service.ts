// Directory use cases: prepare and write structures (imports, demo), read public profiles.
import { createHash } from 'node:crypto';
import type { Db, Queryable } from '../../core/db.ts';
import { AppError } from '../../core/errors.ts';
import { cleanIdentifier } from '../../core/siret.ts';
import { slugify } from '../../core/text.ts';
import { getReferentials, type Referentials } from '../referentials/service.ts';
import { keyToRef, loadTerritories, type Territories } from '../territories/data.ts';
import { areaLabel, storedArea, storedKeys } from './area.ts';
import { directoryChanged } from './snapshot.ts';
import {
  type Activity,
  KIND_FAMILY,
  type Structure,
  type StructureInput,
  StructureInputSchema,
} from './model.ts';
import {
  type ActivityRow,
  activitiesOf,
  findStructure,
  type PreparedStructure,
  plan,
  refreshLexicon,
  type StructureRow,
  type WriteOutcome,
  writeStructures,
} from './repository.ts';

/** Why an input line cannot be written: a stable code and a French reason. */
export interface Rejection {
  code: string;
  reason: string;
}

const ISSUE_CODES: Record<string, { code: string; label: string }> = {
  siret: { code: 'INVALID_SIRET', label: 'SIRET invalide' },
  kind: { code: 'UNKNOWN_KIND', label: 'type de structure inconnu' },
  name: { code: 'MISSING_NAME', label: 'nom manquant' },
};

/** Validates and geocodes one input; returns what to write or why it is rejected. */
export function prepareStructure(
  input: StructureInput,
  refs: Referentials,
  territories: Territories,
): { ok: true; value: PreparedStructure } | { ok: false; error: Rejection } {
  const parsed = StructureInputSchema.safeParse({
    ...input,
    siret: typeof input.siret === 'string' ? cleanIdentifier(input.siret) : input.siret,
  });
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const field = String(first.path[0] ?? '');
    const known = ISSUE_CODES[field];
    if (known) {
      const value = (input as Record<string, unknown>)[field];
      return { ok: false, error: { code: known.code, reason: `${known.label}${value ? ` : « ${String(value)} »` : ''}` } };
    }
    return { ok: false, error: { code: 'INVALID_FIELD', reason: `champ « ${first.path.join('.')} » invalide : ${first.message}` } };
  }
  const v = parsed.data;
  const commune = territories.resolveCommune({ code: v.communeCode, postalCode: v.postalCode, city: v.communeName, department: v.department });
  if (!commune) {
    const what = [v.communeCode, v.postalCode, v.communeName].filter(Boolean).join(' ');
    return { ok: false, error: { code: 'UNKNOWN_COMMUNE', reason: what ? `commune inconnue : « ${what} »` : 'commune manquante' } };
  }
  const lat = v.lat ?? commune.lat;
  const lon = v.lon ?? commune.lon;
  for (const l of v.labels) if (!refs.labelBySlug.has(l)) return { ok: false, error: { code: 'UNKNOWN_LABEL', reason: `label inconnu : « ${l} »` } };
  for (const n of v.networks) if (!refs.networkBySlug.has(n)) return { ok: false, error: { code: 'UNKNOWN_NETWORK', reason: `réseau inconnu : « ${n} »` } };
  let activities: PreparedStructure['activities'];
  if (v.activities) {
    activities = [];
    for (const a of v.activities) {
      if (!refs.sectorBySlug.has(a.sector)) return { ok: false, error: { code: 'UNKNOWN_SECTOR', reason: `secteur inconnu : « ${a.sector} »` } };
      try {
        const keys = storedKeys(a.area, { lat, lon }, territories);
        activities.push({ sectorSlug: a.sector, serviceTypes: [...new Set(a.serviceTypes)].sort(), area: a.area, ...keys });
      } catch (err) {
        if (err instanceof AppError) return { ok: false, error: { code: err.code, reason: err.message } };
        throw err;
      }
    }
  }
  const row: PreparedStructure['row'] = {
    name: v.name,
    brand: v.brand || null,
    kind: v.kind,
    legal_form: v.legalForm || null,
    naf_code: v.nafCode || null,
    description: v.description || null,
    address: v.address || null,
    postal_code: v.postalCode || commune.postalCodes[0] || null,
    commune_code: commune.code,
    commune_name: commune.name,
    department_code: commune.departmentCode,
    region_code: commune.regionCode,
    epci_code: commune.epciCode,
    lat,
    lon,
    website: v.website || null,
    public_email: v.publicEmail || null,
    public_phone: v.publicPhone || null,
    etp: v.etp ?? null,
    employees_insertion: v.employeesInsertion ?? null,
    employees_permanent: v.employeesPermanent ?? null,
    year_founded: v.yearFounded ?? null,
    labels: [...new Set(v.labels)].sort(),
    networks: [...new Set(v.networks)].sort(),
    commitments: v.commitments,
    client_references: v.clientReferences,
    source: v.source,
    source_id: v.sourceId || null,
    source_updated_at: v.sourceUpdatedAt || null,
    is_demo: v.isDemo,
    active: v.active,
    hidden: v.hidden ?? null,
  };
  const pc = v.privateContact;
  const privateContact = pc && (pc.name || pc.email || pc.phone) ? { name: pc.name || null, email: pc.email || null, phone: pc.phone || null } : null;
  const digest = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 32);
  const hashes = {
    row: digest(row),
    activities: activities ? digest(activities) : null,
    contact: privateContact ? digest(privateContact) : null,
  };
  const nameSlug = slugify(v.brand || v.name, 60) || 'structure';
  const placeSlug = slugify(commune.name, 30);
  const slugBase = nameSlug.endsWith(placeSlug) ? nameSlug : `${nameSlug}-${placeSlug}`;
  return { ok: true, value: { siret: v.siret, slugBase, hashes, row, privateContact, activities } };
}

export interface ImportLine {
  /** Line or record number in the file, as a person would count it. */
  line: number;
  /** The SIRET as read, when the line could not be read further (for the report). */
  siret?: string;
  input?: StructureInput;
  /** Set by a parser when the line could not even be read. */
  error?: Rejection;
}

export interface ImportReport {
  total: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: { line: number; siret: string | null; code: string; reason: string }[];
  applied: boolean;
  dryRun: boolean;
}

/**
 * Applies a whole file in one transaction: nothing is written when a line is rejected,
 * unless acceptPartial, which writes the valid lines and reports the others.
 */
export async function importStructures(
  db: Db,
  lines: ImportLine[],
  opts: { dryRun?: boolean; acceptPartial?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<ImportReport> {
  const refs = await getReferentials(db);
  const territories = loadTerritories();
  const rejected: ImportReport['rejected'] = [];
  const valid: PreparedStructure[] = [];
  const firstLineOf = new Map<string, number>();
  for (const l of lines) {
    if (l.error || !l.input) {
      rejected.push({ line: l.line, siret: l.siret ?? null, ...(l.error ?? { code: 'INVALID_LINE', reason: 'ligne illisible' }) });
      continue;
    }
    const p = prepareStructure(l.input, refs, territories);
    if (!p.ok) {
      rejected.push({ line: l.line, siret: typeof l.input.siret === 'string' ? l.input.siret : null, ...p.error });
      continue;
    }
    const seen = firstLineOf.get(p.value.siret);
    if (seen !== undefined) {
      rejected.push({ line: l.line, siret: p.value.siret, code: 'DUPLICATE_SIRET', reason: `SIRET en double dans le fichier (déjà ligne ${seen})` });
      continue;
    }
    firstLineOf.set(p.value.siret, l.line);
    valid.push(p.value);
  }
  const report: ImportReport = {
    total: lines.length,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: rejected.sort((a, b) => a.line - b.line),
    applied: false,
    dryRun: Boolean(opts.dryRun),
  };
  const apply = !opts.dryRun && (rejected.length === 0 || opts.acceptPartial);
  const count = (outcomes: WriteOutcome[]) => {
    for (const o of outcomes) report[o]++;
  };
  if (!apply) {
    count(await plan(db, valid));
    return report;
  }
  await db.transaction(async (tx) => {
    for (let i = 0; i < valid.length; i += 1000) {
      count(await writeStructures(tx, valid.slice(i, i + 1000)));
      opts.onProgress?.(Math.min(i + 1000, valid.length), valid.length);
    }
    if (report.created + report.updated > 0) await refreshLexicon(tx);
  });
  directoryChanged(db);
  report.applied = true;
  return report;
}

/** The public profile with what only pages show: the logo, and when the structure last edited its profile. */
export type StructureProfile = Structure & { logoPath: string | null; editedAt: string | null };

/** Public profile by id, slug or SIRET; hidden or unknown structures are not found. */
export async function getStructure(db: Queryable, by: { id?: string; slug?: string; siret?: string }): Promise<StructureProfile | null> {
  if (by.id && !/^[0-9a-f-]{36}$/i.test(by.id)) return null;
  if (by.slug !== undefined && !/^[a-z0-9-]{1,200}$/.test(by.slug)) return null; // slugs are made of these only
  if (by.siret !== undefined && !/^\d{14}$/.test(by.siret)) return null;
  const row = await findStructure(db, by);
  if (!row || row.hidden) return null;
  const refs = await getReferentials(db);
  return {
    ...toStructure(row, await activitiesOf(db, [row.id]), refs, loadTerritories()),
    logoPath: row.logo_path,
    editedAt: row.edited_at ? new Date(row.edited_at).toISOString() : null,
  };
}

export function toActivity(a: ActivityRow, refs: Referentials, territories: Territories): Activity {
  const sector = refs.sectorBySlug.get(a.sector_slug);
  const area = storedArea(a.area_kind, a.radius_km, a.territory_keys, keyToRef);
  return {
    id: a.id,
    sector: {
      slug: a.sector_slug,
      name: sector?.name ?? a.sector_slug,
      groupSlug: sector?.groupSlug ?? '',
      groupName: sector?.groupName ?? '',
    },
    serviceTypes: a.service_types,
    area,
    areaLabel: areaLabel(area, a.territory_keys, territories),
  };
}

export function toStructure(row: StructureRow, activities: ActivityRow[], refs: Referentials, territories: Territories): Structure {
  const kind = refs.kindByCode.get(row.kind);
  return {
    id: row.id,
    slug: row.slug,
    siret: row.siret,
    siren: row.siren,
    name: row.name,
    brand: row.brand,
    kind: row.kind,
    kindName: kind?.name ?? row.kind,
    kindDescription: kind?.description ?? '',
    family: KIND_FAMILY[row.kind],
    legalForm: row.legal_form,
    nafCode: row.naf_code,
    nafLabel: refs.nafLabel(row.naf_code),
    description: row.description,
    address: row.address,
    postalCode: row.postal_code,
    commune: row.commune_code ? { code: row.commune_code, name: row.commune_name ?? '' } : null,
    departmentCode: row.department_code,
    regionCode: row.region_code,
    epciCode: row.epci_code,
    lat: row.lat,
    lon: row.lon,
    website: row.website,
    publicEmail: row.public_email,
    publicPhone: row.public_phone,
    etp: row.etp,
    employeesInsertion: row.employees_insertion,
    employeesPermanent: row.employees_permanent,
    yearFounded: row.year_founded,
    labels: row.labels.map((slug) => ({ slug, name: refs.labelBySlug.get(slug)?.name ?? slug })),
    networks: row.networks.map((slug) => ({ slug, name: refs.networkBySlug.get(slug)?.name ?? slug })),
    commitments: row.commitments,
    clientReferences: row.client_references,
    activities: activities.filter((a) => a.structure_id === row.id).map((a) => toActivity(a, refs, territories)),
    source: row.source,
    sourceId: row.source_id,
    sourceUpdatedAt: row.source_updated_at,
    isDemo: row.is_demo,
    active: row.active,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
