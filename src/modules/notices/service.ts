// Notices: import (idempotent by source and id, in batches, every unreadable record reported), search
// with filters, one notice with its classification and the structures that fit (matching module).
import { createHash } from 'node:crypto';
import type { Db, Queryable } from '../../core/db.ts';
import { AppError } from '../../core/errors.ts';
import type { Platform } from '../../core/platform.ts';
import { sql } from '../../core/sql.ts';
import type { MatchCriteria, Match, Reservation } from '../matching/model.ts';
import { matchNeed } from '../matching/service.ts';
import { classifyNotice } from './classify.ts';
import { sectorsForCpvs } from './cpv.ts';
import { filtersWhere, type NoticeFilters } from './filters.ts';
import { type Classification, emptyPlaces, type Notice, type NoticeAward, type NoticeLot, type NoticeNature, type NoticePlaces, type NoticeSource, type ReadItem, type ReservedFamily } from './model.ts';

export interface ImportReport {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: { position: string; code: string; message: string }[];
}

const BATCH = 250;

/** Everything stored for one notice, computed once before writing. */
interface Prepared {
  notice: Notice;
  classification: Classification;
  sectors: string[];
  hash: string;
  /** The raw record as stored: the XML text, the JSON of a parsed record, or null. */
  rawText: string | null;
}

export function prepareNotice(notice: Notice): Prepared {
  const classification = classifyNotice(notice);
  const cpv = [...new Set([...notice.cpv, ...notice.lots.flatMap((l) => l.cpv)])];
  const sectors = sectorsForCpvs(cpv);
  // The raw record is written as it is stored (an XML text as such, a parsed record as JSON), once, for the
  // hash and for the database.
  const { raw, ...read } = notice;
  const rawText = raw === null || raw === undefined ? null : typeof raw === 'string' ? raw : JSON.stringify(raw);
  const hash = createHash('sha256')
    .update(JSON.stringify([read, classification, sectors]))
    .update(rawText === null ? '\u0000' : `\u0000${typeof raw === 'string' ? 's' : 'j'}${rawText}`)
    .digest('hex');
  return { notice: { ...notice, cpv }, classification, sectors, hash, rawText };
}

/**
 * Reads every item and writes the notices in batches. A notice seen again is updated when what was
 * read changed, left alone otherwise. Unreadable records are counted and listed, never stop the import.
 */
export async function importNotices(db: Db, items: AsyncIterable<ReadItem>, opts: { onProgress?: (r: ImportReport) => void } = {}): Promise<ImportReport> {
  const report: ImportReport = { read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: [] };
  let batch = new Map<string, Prepared>();
  // One batch is written while the next one is read and prepared (the database works meanwhile); batches
  // are written one after the other, in order.
  let writing: Promise<void> = Promise.resolve();
  // Large values (the raw record, the lots) are compressed with lz4 where the server has it: several times
  // faster to write and to read than the default pglz. Only the values this import writes; the tables'
  // settings are unchanged.
  const lz4 = (await db.one<{ lz4: boolean }>(`SELECT coalesce(bool_or('lz4' = ANY(enumvals)), false) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`))?.lz4 ?? false;
  const write = async (rows: Prepared[]) => {
    const written = await db.transaction((tx) => upsertNotices(tx, rows, lz4));
    report.inserted += written.inserted;
    report.updated += written.updated;
    report.unchanged += rows.length - written.inserted - written.updated;
    opts.onProgress?.(report);
  };
  const flush = async () => {
    await writing;
    if (batch.size === 0) return;
    const rows = [...batch.values()];
    batch = new Map();
    writing = write(rows);
    writing.catch(() => {}); // awaited at the next flush: no unhandled rejection meanwhile
  };
  let turn = performance.now();
  const readAll = async () => {
    for await (const item of items) {
      report.read++;
      // Reading and classifying run on promises alone: let the event loop answer the database now and then,
      // so that the batch being written goes on meanwhile.
      if (performance.now() - turn > 2) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        turn = performance.now();
      }
      if (!item.ok) {
        report.rejected.push({ position: item.position, code: item.code, message: item.message });
        continue;
      }
      let prepared: Prepared;
      try {
        prepared = prepareNotice(item.notice);
      } catch (error) {
        report.rejected.push({ position: item.position, code: 'NOTICE_UNREADABLE', message: `Avis illisible : ${(error as Error).message}` });
        continue;
      }
      const key = `${item.notice.source}\u0000${item.notice.sourceId}`;
      // The same notice twice in a file: the later one wins (one statement cannot write a row twice).
      if (batch.has(key)) {
        batch.delete(key);
        report.unchanged++;
      }
      batch.set(key, prepared);
      if (batch.size >= BATCH) await flush();
    }
    await flush();
  };
  try {
    await readAll();
  } catch (err) {
    await writing.catch(() => {}); // the batch being written ends before the error is told
    throw err;
  }
  await writing;
  return report;
}

async function upsertNotices(tx: Queryable, all: Prepared[], lz4: boolean): Promise<{ inserted: number; updated: number }> {
  // These statements are short: compiling them (PostgreSQL's JIT, triggered by the row estimates of the
  // JSON functions) would take far longer than running them.
  await tx.exec(lz4 ? 'SET LOCAL jit = off; SET LOCAL default_toast_compression = lz4' : 'SET LOCAL jit = off');
  // Notices already stored with the same content are not sent again (nothing to compute or write for them).
  const known = await tx.query<{ source: string; source_id: string; content_hash: string }>(sql`
    SELECT n.source, n.source_id, n.content_hash FROM notices n
    JOIN unnest(${all.map((r) => r.notice.source)}::text[], ${all.map((r) => r.notice.sourceId)}::text[]) AS k(source, source_id)
      ON n.source = k.source AND n.source_id = k.source_id`);
  const stored = new Map(known.map((k) => [`${k.source}\u0000${k.source_id}`, k.content_hash]));
  const rows = all.filter((r) => stored.get(`${r.notice.source}\u0000${r.notice.sourceId}`) !== r.hash);
  if (rows.length === 0) return { inserted: 0, updated: 0 };
  // The raw record goes as one parameter per notice: an XML text is stored as a JSON string without being
  // escaped into the payload and parsed back, a parsed record as its JSON.
  const raws = rows.map((r) => r.rawText);
  const payload = rows.map(({ notice: n, classification: c, sectors, hash }, i) => ({
    i: i + 1,
    raw_is_text: typeof n.raw === 'string',
    source: n.source,
    source_id: n.sourceId,
    url: n.url,
    buyer_name: n.buyer.name,
    buyer_siret: n.buyer.siret && /^\d{14}$/.test(n.buyer.siret) ? n.buyer.siret : null,
    title: n.title || '(sans titre)',
    description: n.description,
    procedure: n.procedure,
    nature: n.nature,
    cpv: n.cpv,
    sectors,
    departements: unique([...n.places.departements, ...n.lots.flatMap((l) => l.places.departements)]),
    communes: unique([...n.places.communes, ...n.lots.flatMap((l) => l.places.communes)]),
    published_on: validDate(n.publishedAt),
    deadline: validTimestamp(n.deadline),
    amount: finite(n.amount),
    lots: n.lots,
    awards: n.awards,
    places: n.places,
    reserved: c.reserved,
    social_clause: c.socialClause,
    social_criterion: c.socialCriterion,
    environmental: c.environmental,
    insertion_hours: c.insertionHours,
    classification: c,
    content_hash: hash,
    words_text: [n.buyer.name ?? '', (n.description ?? '').slice(0, 20000), n.lots.map((l) => `${l.title ?? ''} ${l.description ?? ''}`).join(' ').slice(0, 20000)].join(' '),
  }));
  const written = await tx.query<{ id: number; inserted: boolean }>(sql`
    INSERT INTO notices AS n (source, source_id, url, buyer_name, buyer_siret, title, description, procedure, nature, cpv, sectors,
      departements, communes, published_on, deadline, amount, lots, awards, places, reserved, social_clause, social_criterion,
      environmental, insertion_hours, classification, raw, content_hash, words)
    SELECT x.source, x.source_id, x.url, x.buyer_name, x.buyer_siret, x.title, x.description, x.procedure, x.nature,
      coalesce(x.cpv, '{}'), coalesce(x.sectors, '{}'), coalesce(x.departements, '{}'), coalesce(x.communes, '{}'),
      x.published_on, x.deadline, x.amount, x.lots, x.awards, x.places, coalesce(x.reserved, '{}'),
      x.social_clause, x.social_criterion, x.environmental, x.insertion_hours, x.classification,
      coalesce(CASE WHEN x.raw_is_text THEN to_jsonb(r.raw) ELSE r.raw::jsonb END, 'null'::jsonb), x.content_hash,
      setweight(to_tsvector('fr_unaccent', x.title), 'A') || to_tsvector('fr_unaccent', x.words_text)
    FROM jsonb_to_recordset(${JSON.stringify(payload)}::text::jsonb) AS x(i int, raw_is_text boolean, source text, source_id text, url text,
      buyer_name text, buyer_siret text, title text, description text, procedure text, nature text, cpv text[], sectors text[],
      departements text[], communes text[], published_on date, deadline timestamptz, amount numeric, lots jsonb, awards jsonb, places jsonb,
      reserved text[], social_clause boolean, social_criterion boolean, environmental boolean, insertion_hours numeric,
      classification jsonb, content_hash text, words_text text)
    JOIN unnest(ARRAY[${sql.join(raws.map((raw) => sql`${raw}::text`))}]) WITH ORDINALITY AS r(raw, i) ON r.i = x.i
    ON CONFLICT (source, source_id) DO UPDATE SET
      url = EXCLUDED.url, buyer_name = EXCLUDED.buyer_name, buyer_siret = EXCLUDED.buyer_siret, title = EXCLUDED.title,
      description = EXCLUDED.description, procedure = EXCLUDED.procedure, nature = EXCLUDED.nature, cpv = EXCLUDED.cpv,
      sectors = EXCLUDED.sectors, departements = EXCLUDED.departements, communes = EXCLUDED.communes,
      published_on = EXCLUDED.published_on, deadline = EXCLUDED.deadline, amount = EXCLUDED.amount, lots = EXCLUDED.lots,
      awards = EXCLUDED.awards, places = EXCLUDED.places, reserved = EXCLUDED.reserved, social_clause = EXCLUDED.social_clause,
      social_criterion = EXCLUDED.social_criterion, environmental = EXCLUDED.environmental,
      insertion_hours = EXCLUDED.insertion_hours, classification = EXCLUDED.classification, raw = EXCLUDED.raw,
      content_hash = EXCLUDED.content_hash, words = EXCLUDED.words, updated_at = now()
    WHERE n.content_hash <> EXCLUDED.content_hash
    RETURNING n.id, (xmax = 0) AS inserted`);
  if (written.length) {
    const ids = written.map((w) => Number(w.id));
    await tx.query(sql`DELETE FROM notice_awards WHERE notice_id = ANY(${ids}::bigint[])`);
    await tx.query(sql`
      INSERT INTO notice_awards (notice_id, position, lot, holder_siret, holder_name, amount, awarded_on)
      SELECT n.id, (row_number() OVER (PARTITION BY n.id ORDER BY a.ord, h.ord))::int, a.value->>'lot',
        CASE WHEN h.value->>'siret' ~ '^[0-9]{14}$' THEN h.value->>'siret' END, h.value->>'name',
        CASE WHEN a.value->>'amount' ~ '^[0-9.]+$' THEN (a.value->>'amount')::numeric END,
        CASE WHEN a.value->>'date' ~ '^\\d{4}-\\d{2}-\\d{2}$' THEN (a.value->>'date')::date END
      FROM notices n, jsonb_array_elements(n.awards) WITH ORDINALITY AS a(value, ord),
        jsonb_array_elements(a.value->'holders') WITH ORDINALITY AS h(value, ord)
      WHERE n.id = ANY(${ids}::bigint[])`);
  }
  const inserted = written.filter((w) => w.inserted).length;
  return { inserted, updated: written.length - inserted };
}

const unique = (xs: string[]) => [...new Set(xs.filter(Boolean))];
const finite = (x: number | null) => (typeof x === 'number' && Number.isFinite(x) && x > 0 && x < 1e13 ? x : null);
function validDate(d: string | null): string | null {
  if (!d || !/^\d{4}-\d{2}-\d{2}/.test(d)) return null;
  const day = d.slice(0, 10);
  return Number.isNaN(Date.parse(day)) ? null : day;
}
function validTimestamp(d: string | null): string | null {
  if (!d) return null;
  const t = Date.parse(d);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

// ---------------------------------------------------------------------------------------------------
// Reading

export interface NoticeSummary {
  id: number;
  source: NoticeSource;
  sourceId: string;
  url: string | null;
  title: string;
  buyerName: string | null;
  nature: NoticeNature;
  publishedOn: string | null;
  deadline: string | null;
  amount: number | null;
  departements: string[];
  sectors: string[];
  cpv: string[];
  reserved: ReservedFamily[];
  socialClause: boolean;
  socialCriterion: boolean;
  environmental: boolean;
  insertionHours: number | null;
}

export interface NoticeDetail extends NoticeSummary {
  buyerSiret: string | null;
  description: string | null;
  procedure: string | null;
  communes: string[];
  places: NoticePlaces;
  lots: NoticeLot[];
  awards: NoticeAward[];
  classification: Classification;
  firstSeenAt: string;
  updatedAt: string;
}

const SUMMARY_COLUMNS = sql`n.id, n.source, n.source_id, n.url, n.title, n.buyer_name, n.nature, n.published_on, n.deadline, n.amount,
  n.departements, n.sectors, n.cpv, n.reserved, n.social_clause, n.social_criterion, n.environmental, n.insertion_hours`;

type SummaryRow = {
  id: number; source: NoticeSource; source_id: string; url: string | null; title: string; buyer_name: string | null; nature: NoticeNature;
  published_on: string | null; deadline: Date | string | null; amount: number | null; departements: string[]; sectors: string[]; cpv: string[];
  reserved: ReservedFamily[]; social_clause: boolean; social_criterion: boolean; environmental: boolean; insertion_hours: number | null;
};

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function toSummary(r: SummaryRow): NoticeSummary {
  return {
    id: Number(r.id),
    source: r.source,
    sourceId: r.source_id,
    url: r.url,
    title: r.title,
    buyerName: r.buyer_name,
    nature: r.nature,
    publishedOn: r.published_on,
    deadline: iso(r.deadline),
    amount: r.amount === null ? null : Number(r.amount),
    departements: r.departements,
    sectors: r.sectors,
    cpv: r.cpv,
    reserved: r.reserved,
    socialClause: r.social_clause,
    socialCriterion: r.social_criterion,
    environmental: r.environmental,
    insertionHours: r.insertion_hours === null ? null : Number(r.insertion_hours),
  };
}

export async function searchNotices(
  q: Queryable,
  filters: NoticeFilters,
  opts: { page?: number; perPage?: number; now?: Date; firstSeenAfter?: Date; firstSeenUntil?: Date } = {},
): Promise<{ items: NoticeSummary[]; total: number; page: number; perPage: number }> {
  const page = opts.page ?? 1;
  const perPage = opts.perPage ?? 20;
  const conditions = [filtersWhere(filters, opts.now ?? new Date())];
  if (opts.firstSeenAfter) conditions.push(sql`n.first_seen_at > ${opts.firstSeenAfter.toISOString()}::timestamptz`);
  if (opts.firstSeenUntil) conditions.push(sql`n.first_seen_at <= ${opts.firstSeenUntil.toISOString()}::timestamptz`);
  const where = sql.and(conditions);
  const [rows, count] = await Promise.all([
    q.query<SummaryRow>(sql`SELECT ${SUMMARY_COLUMNS} FROM notices n WHERE ${where}
      ORDER BY n.published_on DESC NULLS LAST, n.id DESC LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`),
    q.one<{ total: number }>(sql`SELECT count(*)::int AS total FROM notices n WHERE ${where}`),
  ]);
  return { items: rows.map(toSummary), total: Number(count?.total ?? 0), page, perPage };
}

export async function getNotice(q: Queryable, id: number): Promise<NoticeDetail> {
  if (!Number.isSafeInteger(id) || id <= 0) throw new AppError('NOT_FOUND', 'Cet avis n’existe pas.', 404);
  const r = await q.one<SummaryRow & { buyer_siret: string | null; description: string | null; procedure: string | null; communes: string[]; places: NoticePlaces; lots: NoticeLot[]; awards: NoticeAward[]; classification: Classification; first_seen_at: Date | string; updated_at: Date | string }>(
    sql`SELECT ${SUMMARY_COLUMNS}, n.buyer_siret, n.description, n.procedure, n.communes, n.places, n.lots, n.awards, n.classification, n.first_seen_at, n.updated_at
        FROM notices n WHERE n.id = ${id}`,
  );
  if (!r) throw new AppError('NOT_FOUND', 'Cet avis n’existe pas.', 404);
  return {
    ...toSummary(r),
    buyerSiret: r.buyer_siret,
    description: r.description,
    procedure: r.procedure,
    communes: r.communes,
    places: { ...emptyPlaces(), ...r.places },
    lots: r.lots,
    awards: r.awards,
    classification: r.classification,
    firstSeenAt: iso(r.first_seen_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

/** The raw record as read, for audit. */
export async function getNoticeRaw(q: Queryable, id: number): Promise<unknown> {
  const r = await q.one<{ raw: unknown }>(sql`SELECT raw FROM notices WHERE id = ${id}`);
  if (!r) throw new AppError('NOT_FOUND', 'Cet avis n’existe pas.', 404);
  return r.raw;
}

/** What the matching module is asked for a notice: its places, sectors, reservation and clause. */
export function noticeCriteria(n: Pick<NoticeDetail, 'departements' | 'communes' | 'sectors' | 'reserved' | 'socialClause'>): MatchCriteria {
  let reservation: Reservation | null = null;
  const handicap = n.reserved.includes('handicap');
  const insertion = n.reserved.includes('insertion');
  if (handicap && insertion) reservation = 'L2113-14';
  else if (handicap) reservation = 'L2113-12';
  else if (insertion) reservation = 'L2113-13';
  const place: MatchCriteria['place'] =
    n.communes.length === 1 ? { kind: 'commune', code: n.communes[0] } : n.departements.length ? { kind: 'territories', keys: n.departements.map((d) => `D${d}`) } : { kind: 'country' };
  return { place, sectors: n.sectors, serviceTypes: [], kinds: [], reservation, socialClause: n.socialClause };
}

/**
 * The structures that fit a notice, with the reasons. A notice without any sector (no CPV code we
 * can map) matches nobody: alerting every structure of a département would be noise.
 */
export async function noticeMatches(p: Platform, n: NoticeDetail, limit = 20): Promise<{ total: number; items: Match[] }> {
  if (n.sectors.length === 0) return { total: 0, items: [] };
  return matchNeed(p, noticeCriteria(n), { limit });
}

/** Public contracts a structure won (SIRET of the holders), newest first. */
export async function awardsOfSiret(q: Queryable, siret: string, limit = 20): Promise<{ total: number; items: { noticeId: number; title: string; buyerName: string | null; amount: number | null; awardedOn: string | null; lot: string | null; source: NoticeSource }[] }> {
  const [rows, count] = await Promise.all([
    q.query<{ notice_id: number; title: string; buyer_name: string | null; amount: number | null; awarded_on: string | null; lot: string | null; source: NoticeSource; published_on: string | null }>(sql`
      SELECT a.notice_id, n.title, n.buyer_name, coalesce(a.amount, n.amount) AS amount, coalesce(a.awarded_on, n.published_on) AS awarded_on, a.lot, n.source, n.published_on
      FROM notice_awards a JOIN notices n ON n.id = a.notice_id
      WHERE a.holder_siret = ${siret}
      ORDER BY coalesce(a.awarded_on, n.published_on) DESC NULLS LAST, a.notice_id DESC LIMIT ${limit}`),
    q.one<{ total: number }>(sql`SELECT count(DISTINCT notice_id)::int AS total FROM notice_awards WHERE holder_siret = ${siret}`),
  ]);
  return {
    total: Number(count?.total ?? 0),
    items: rows.map((r) => ({ noticeId: Number(r.notice_id), title: r.title, buyerName: r.buyer_name, amount: r.amount === null ? null : Number(r.amount), awardedOn: r.awarded_on, lot: r.lot, source: r.source })),
  };
}
