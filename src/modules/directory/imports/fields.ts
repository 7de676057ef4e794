// Reading fields of an imported record: strict types, empty strings as null, French reasons.
import { normalize } from '../../../core/text.ts';
import { loadLabels, loadNetworks, loadSectors } from '../../referentials/data.ts';
import type { ImportLine } from '../service.ts';
import type { StructureInput } from '../model.ts';

/** A field that cannot be read: the line is reported with this code and reason, the file goes on. */
export class FieldError extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export const invalidField = (field: string, expected: string, value: unknown) =>
  new FieldError('INVALID_FIELD', `champ « ${field} » invalide : ${expected} (reçu : ${preview(value)})`);

function preview(value: unknown): string {
  const s = typeof value === 'string' ? `« ${value} »` : JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

export type JsonRecord = Record<string, unknown>;

export const isRecord = (v: unknown): v is JsonRecord => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Text or nothing: null, absent and "" (after trimming) give null; any other type is an error. */
export function text(rec: JsonRecord, key: string): string | null {
  const v = rec[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalidField(key, 'texte attendu', v);
  const t = v.trim();
  return t === '' ? null : t;
}

/** A number or nothing. */
export function number(rec: JsonRecord, key: string): number | null {
  const v = rec[key];
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidField(key, 'nombre attendu', v);
  return v;
}

export function boolean(rec: JsonRecord, key: string): boolean | null {
  const v = rec[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'boolean') throw invalidField(key, 'booléen attendu (true ou false)', v);
  return v;
}

/** A list of objects (e.g. [{name, slug}]) or nothing. */
export function objects(rec: JsonRecord, key: string): JsonRecord[] | null {
  const v = rec[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every(isRecord)) throw invalidField(key, 'liste d’objets attendue', v);
  return v;
}

/** A list of strings or nothing. */
export function strings(rec: JsonRecord, key: string): string[] | null {
  const v = rec[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidField(key, 'liste de textes attendue', v);
  return v.map((x) => x.trim()).filter(Boolean);
}

/** "2025-06-01T09:30:00+02:00" or "2025-06-01" → "2025-06-01" (the date as the producer wrote it). */
export function isoDate(rec: JsonRecord, key: string): string | null {
  const v = text(rec, key);
  if (v === null) return null;
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$/.exec(v);
  if (!m || Number.isNaN(Date.parse(m[1]))) throw invalidField(key, 'date attendue (AAAA-MM-JJ)', v);
  return m[1];
}

export const joinAddress = (...parts: (string | null)[]) => parts.filter(Boolean).join(', ') || null;

/** Builds an import line, turning a FieldError into a line error (the reader keeps going). */
export function toLine(line: number, build: () => StructureInput, siret?: unknown): ImportLine {
  try {
    return { line, input: build() };
  } catch (err) {
    const known = typeof siret === 'string' && siret.trim() ? { siret: siret.trim() } : {};
    if (err instanceof FieldError) return { line, ...known, error: { code: err.code, reason: err.reason } };
    throw err;
  }
}

/** Slugs of the reference lists shipped in data/sectors, and names that point to them. */
export interface Vocabulary {
  sectors: Set<string>;
  networks: Set<string>;
  labels: Set<string>;
  /** Normalised label name or slug → slug ("RGE" → rge). */
  labelByName: Map<string, string>;
  /** Normalised network name, brand or slug → slug ("UNEA" → union-nationale-des-entreprises-adaptees). */
  networkByName: Map<string, string>;
}

let vocabulary: Vocabulary | null = null;

export function loadVocabulary(): Vocabulary {
  if (vocabulary) return vocabulary;
  const labels = loadLabels();
  const networks = loadNetworks();
  const labelByName = new Map<string, string>();
  for (const l of labels) for (const k of [l.slug, l.name]) labelByName.set(normalize(k), l.slug);
  const networkByName = new Map<string, string>();
  for (const n of networks) for (const k of [n.slug, n.name, n.brand]) if (k) networkByName.set(normalize(k), n.slug);
  vocabulary = {
    sectors: new Set(loadSectors().map((s) => s.slug)),
    networks: new Set(networks.map((n) => n.slug)),
    labels: new Set(labels.map((l) => l.slug)),
    labelByName,
    networkByName,
  };
  return vocabulary;
}
