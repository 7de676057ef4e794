// Public procurement notices: the one normalised shape every format is read into (BOAMP open data,
// BOAMP XML, eForms, DECP), and the classification computed from it. Formats and law:
// ../shared/docs/reference/procurement.md (the project's research notes).

export const NOTICE_FORMATS = ['boamp', 'boamp-xml', 'eforms', 'decp'] as const;
export type NoticeFormat = (typeof NOTICE_FORMATS)[number];

/** Where a notice comes from: the key of idempotent imports is (source, sourceId). */
export type NoticeSource = 'boamp' | 'eforms' | 'decp';

/** contract: a call for tenders (avis de marché, also prior information); award: avis d'attribution or a DECP record. */
export type NoticeNature = 'contract' | 'award' | 'modification' | 'prior' | 'other';

/** Places of execution, as precise as the notice says. */
export interface NoticePlaces {
  /** INSEE commune codes (from a postcode or a commune code). */
  communes: string[];
  /** Département codes (01…95, 2A, 2B, 971…976). */
  departements: string[];
  /** NUTS codes as written (FR101…), kept for audit; their départements are in `departements`. */
  nuts: string[];
  /** Postcodes as written. */
  postcodes: string[];
}

export interface NoticeBuyer {
  name: string | null;
  /** 14 digits when the notice gives a valid one. */
  siret: string | null;
}

export interface AwardHolder {
  name: string | null;
  siret: string | null;
}

export interface NoticeAward {
  /** Lot number, or null for the whole contract. */
  lot: string | null;
  holders: AwardHolder[];
  amount: number | null;
  /** ISO date (YYYY-MM-DD) of notification when known. */
  date: string | null;
}

/**
 * A piece of text of the notice that the classifier reads, with where it is (a dotted path in the
 * source record, e.g. "CONDITION_PARTICIPATION.CONDITION_PARTICULIERE_EXECUTION") and the lot it
 * belongs to (null: the whole notice).
 */
export interface NoticeText {
  path: string;
  lot: string | null;
  text: string;
}

export const FINDING_KINDS = ['reserved', 'socialClause', 'socialCriterion', 'environmentalClause', 'environmentalCriterion', 'insertionHours'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export const RESERVED_FAMILIES = ['handicap', 'insertion', 'prison', 'ess', 'unspecified'] as const;
export type ReservedFamily = (typeof RESERVED_FAMILIES)[number];

/**
 * One piece of evidence. `value`: for `reserved` a ReservedFamily; for `insertionHours` the number of
 * hours as a string; otherwise the code or value that triggered it (e.g. "soc-obj", "Clause sociale",
 * "sociaux") or, for text, the words matched. `origin` "field": a structured field (`path` names it,
 * `excerpt` is its raw value); "text": a sentence (`path` names the text field, `excerpt` is the sentence).
 */
export interface Finding {
  kind: FindingKind;
  value: string;
  lot: string | null;
  origin: 'field' | 'text';
  path: string;
  excerpt: string;
  /** Text findings: the words of the excerpt that triggered the rule (highlighted on the notice page). */
  words?: string;
}

export interface NoticeLot {
  /** As written by the notice ("1", "LOT-0001"…). */
  number: string;
  title: string | null;
  description: string | null;
  /** 8-digit CPV codes, main first. */
  cpv: string[];
  amount: number | null;
  places: NoticePlaces;
}

export interface Notice {
  source: NoticeSource;
  sourceId: string;
  url: string | null;
  buyer: NoticeBuyer;
  title: string;
  description: string | null;
  /** Procedure as written (French label or code). */
  procedure: string | null;
  nature: NoticeNature;
  /** 8-digit CPV codes of the notice (main first), without the check digit. */
  cpv: string[];
  places: NoticePlaces;
  /** ISO dates: publication YYYY-MM-DD, deadline a full ISO timestamp when the time is known. */
  publishedAt: string | null;
  deadline: string | null;
  /** Estimated (or awarded, for DECP) amount excluding tax, in euros. */
  amount: number | null;
  lots: NoticeLot[];
  awards: NoticeAward[];
  /** Findings read from structured fields by the format's reader. */
  fieldFindings: Finding[];
  /** Texts for the classifier's text rules. */
  texts: NoticeText[];
  /** The record as read, kept for audit (parsed JSON, or the XML text). */
  raw: unknown;
}

export interface LotClassification {
  lot: string;
  reserved: ReservedFamily[];
  socialClause: boolean;
  socialCriterion: boolean;
  environmental: boolean;
  insertionHours: number | null;
}

/** The object `passerelles classify notices --json` prints, one per notice, and the API returns. */
export interface Classification {
  source: NoticeSource;
  id: string;
  reserved: ReservedFamily[];
  socialClause: boolean;
  socialCriterion: boolean;
  environmental: boolean;
  insertionHours: number | null;
  findings: Finding[];
  lots: LotClassification[];
}

/** One item of a streamed file: a notice, or a record that could not be read (reported, skipped). */
export type ReadItem =
  | { ok: true; position: string; notice: Notice }
  | { ok: false; position: string; code: string; message: string };

export function emptyPlaces(): NoticePlaces {
  return { communes: [], departements: [], nuts: [], postcodes: [] };
}
