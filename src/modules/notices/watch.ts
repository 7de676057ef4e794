// Saved searches (« veilles ») on notices and their daily digest: a person saves filters for themself or
// for one of their organisations (a structure's members all see it); once a day the notices first seen
// since the last digest that match are mailed, nothing is sent when nothing is new, and every mail has
// an unsubscribe link that needs no sign-in.
import type { Db, Queryable } from '../../core/db.ts';
import { AppError } from '../../core/errors.ts';
import { registerHousekeeping } from '../../core/jobs.ts';
import { type MailMessage, queueMail, renderMail } from '../../core/mail.ts';
import type { Platform } from '../../core/platform.ts';
import { sign, signingKey, verify } from '../../core/signing.ts';
import { sql } from '../../core/sql.ts';
import { formatDate } from '../../web/format.ts';
import type { Actor } from '../accounts/model.ts';
import { authorize, forbidden, isPlatformAdmin, membershipOf } from '../accounts/policy.ts';
import { compactFilters, describeFilters, type NoticeFilters, NoticeFiltersSchema } from './filters.ts';
import { type NoticeSummary, searchNotices } from './service.ts';

export interface SavedSearch {
  id: string;
  personId: string;
  organisationId: string | null;
  organisationName: string | null;
  name: string;
  filters: NoticeFilters;
  digest: boolean;
  lastDigestAt: string;
  createdAt: string;
}

type Row = { id: string; person_id: string; organisation_id: string | null; organisation_name: string | null; name: string; filters: NoticeFilters; digest: boolean; last_digest_at: Date | string; created_at: Date | string };
const toSearch = (r: Row): SavedSearch => ({
  id: r.id,
  personId: r.person_id,
  organisationId: r.organisation_id,
  organisationName: r.organisation_name,
  name: r.name,
  filters: r.filters,
  digest: r.digest,
  lastDigestAt: new Date(r.last_digest_at).toISOString(),
  createdAt: new Date(r.created_at).toISOString(),
});

const SELECT = sql`SELECT s.*, o.name AS organisation_name FROM notice_searches s LEFT JOIN organisations o ON o.id = s.organisation_id`;
const MAX_SEARCHES_PER_PERSON = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Saved searches are a person's: a token (an organisation's integration) has no one to mail. */
function personOf(a: Actor) {
  authorize(a, !!a.person, 'Les veilles sont celles d’une personne : connectez-vous (un jeton d’API ne peut pas en créer).');
  return a.person!;
}

/** The person's own searches and those kept for their organisations. */
export async function listSearches(q: Queryable, a: Actor): Promise<SavedSearch[]> {
  const person = personOf(a);
  const orgs = a.memberships.map((m) => m.organisationId);
  const rows = await q.query<Row>(sql`${SELECT} WHERE s.person_id = ${person.id} OR s.organisation_id = ANY(${orgs}::uuid[]) ORDER BY s.created_at DESC, s.id`);
  return rows.map(toSearch);
}

/** One search, for who may see it: its author, members of its organisation, the platform team. */
export async function searchFor(q: Queryable, a: Actor, id: string, opts: { change?: boolean } = {}): Promise<SavedSearch> {
  const person = personOf(a);
  const row = UUID.test(id) ? await q.one<Row>(sql`${SELECT} WHERE s.id = ${id}`) : undefined;
  if (!row) throw new AppError('NOT_FOUND', 'Cette veille n’existe pas.', 404);
  const s = toSearch(row);
  const mine = s.personId === person.id;
  const member = s.organisationId ? membershipOf(a, s.organisationId) : undefined;
  // Changing: the author, or an administrator of its organisation. Seeing: any member too.
  const allowed = mine || isPlatformAdmin(a) || (member && (!opts.change || member.role === 'admin'));
  if (!allowed) {
    if (!mine && !member && !isPlatformAdmin(a)) throw new AppError('NOT_FOUND', 'Cette veille n’existe pas.', 404);
    throw forbidden('Seuls la personne qui a créé cette veille et les administrateurs de son organisation peuvent la modifier.');
  }
  return s;
}

export function parseSearchInput(body: Record<string, unknown>): { name: string; organisationId: string | null; filters: NoticeFilters; digest: boolean } {
  const name = String(body.name ?? '').trim();
  if (name.length < 1 || name.length > 200) throw new AppError('VALIDATION_FAILED', 'Donnez un nom à cette veille (200 caractères au plus).', 422, { fields: { name: 'Donnez un nom à cette veille (200 caractères au plus).' } });
  const parsed = NoticeFiltersSchema.safeParse(typeof body.filters === 'object' && body.filters ? body.filters : body);
  if (!parsed.success) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.error.issues) fields[issue.path.join('.') || 'filters'] = issue.message;
    throw new AppError('VALIDATION_FAILED', 'Certains critères de la veille ne sont pas valides.', 422, { fields });
  }
  const organisationId = body.organisationId ? String(body.organisationId) : null;
  const digest = body.digest === undefined ? true : body.digest === true || body.digest === 'true' || body.digest === 'on' || body.digest === '1';
  return { name, organisationId, filters: compactFilters(parsed.data), digest };
}

export async function createSearch(db: Db, a: Actor, body: Record<string, unknown>, now = new Date()): Promise<SavedSearch> {
  const person = personOf(a);
  const input = parseSearchInput(body);
  if (input.organisationId && !membershipOf(a, input.organisationId)) throw forbidden('Vous n’êtes pas membre de cette organisation.');
  const count = await db.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM notice_searches WHERE person_id = ${person.id}`);
  if (Number(count?.n ?? 0) >= MAX_SEARCHES_PER_PERSON) throw new AppError('TOO_MANY_SEARCHES', `Vous avez déjà ${MAX_SEARCHES_PER_PERSON} veilles : supprimez-en une avant d’en créer une autre.`, 409);
  const row = await db.one<{ id: string }>(sql`
    INSERT INTO notice_searches (person_id, organisation_id, name, filters, digest, last_digest_at)
    VALUES (${person.id}, ${input.organisationId}, ${input.name}, ${JSON.stringify(input.filters)}::text::jsonb, ${input.digest}, ${now.toISOString()})
    RETURNING id`);
  return searchFor(db, a, row!.id);
}

export async function updateSearch(db: Db, a: Actor, id: string, body: Record<string, unknown>): Promise<SavedSearch> {
  const current = await searchFor(db, a, id, { change: true });
  const input = parseSearchInput({ name: current.name, filters: current.filters, digest: current.digest, organisationId: current.organisationId, ...body });
  if (input.organisationId !== current.organisationId && input.organisationId && !membershipOf(a, input.organisationId)) throw forbidden('Vous n’êtes pas membre de cette organisation.');
  await db.query(sql`UPDATE notice_searches SET name = ${input.name}, filters = ${JSON.stringify(input.filters)}::text::jsonb, digest = ${input.digest}, organisation_id = ${input.organisationId} WHERE id = ${id}`);
  return searchFor(db, a, id);
}

export async function deleteSearch(db: Db, a: Actor, id: string): Promise<void> {
  await searchFor(db, a, id, { change: true });
  await db.query(sql`DELETE FROM notice_searches WHERE id = ${id}`);
}

// ---------------------------------------------------------------------------------------------------
// Digest

export const DIGEST_EVERY_MS = 24 * 3600_000;
const UNSUBSCRIBE_PURPOSE = 'notice-search-unsubscribe';
const DIGEST_MAX_ITEMS = 20;

export const unsubscribePath = (id: string, token: string) => `/veilles/${id}/desabonnement?jeton=${encodeURIComponent(token)}`;

/**
 * Sends the digests that are due at `now`: for each search with the digest on and no digest for a day,
 * the notices first seen since its last digest. The window moves even when nothing is new (nothing is
 * sent then). Each search is claimed by a conditional update in the transaction that queues its mail, so
 * two processes never send the same digest twice. Returns the number of mails queued.
 */
export async function runDigests(p: Platform, now = new Date()): Promise<number> {
  const due = await p.db.query<Row & { email: string }>(sql`
    SELECT s.*, o.name AS organisation_name, pe.email FROM notice_searches s
    JOIN people pe ON pe.id = s.person_id LEFT JOIN organisations o ON o.id = s.organisation_id
    WHERE s.digest AND s.last_digest_at <= ${new Date(now.getTime() - DIGEST_EVERY_MS + 60_000).toISOString()}::timestamptz
    ORDER BY s.last_digest_at LIMIT 500`);
  const key = await signingKey(p.db);
  let sent = 0;
  for (const row of due) {
    const s = toSearch(row);
    const found = await searchNotices(p.db, s.filters, { now, perPage: DIGEST_MAX_ITEMS, firstSeenAfter: new Date(s.lastDigestAt), firstSeenUntil: now });
    const queued = await p.db.transaction(async (tx) => {
      const claimed = await tx.query(sql`UPDATE notice_searches SET last_digest_at = ${now.toISOString()} WHERE id = ${s.id} AND last_digest_at = ${s.lastDigestAt}::timestamptz RETURNING id`);
      if (claimed.length === 0 || found.total === 0) return false;
      const token = sign(key, UNSUBSCRIBE_PURPOSE, s.id, new Date(now.getTime() + 365 * DIGEST_EVERY_MS));
      await queueMail(tx, digestMail(p, s, found.items, found.total, row.email, unsubscribePath(s.id, token)));
      return true;
    });
    if (queued) sent++;
  }
  return sent;
}

function digestMail(p: Platform, s: SavedSearch, items: NoticeSummary[], total: number, to: string, unsubscribe: string): MailMessage {
  const lines = items.map((n) => {
    const flags = [n.reserved.length ? 'marché réservé' : '', n.socialClause ? 'clause sociale' : '', n.environmental ? 'environnement' : ''].filter(Boolean).join(', ');
    const deadline = n.deadline ? ` — réponse avant le ${formatDate(n.deadline.slice(0, 10))}` : '';
    return `• ${n.title}${n.buyerName ? ` (${n.buyerName})` : ''}${deadline}${flags ? ` [${flags}]` : ''} : ${p.config.publicUrl}/appels-d-offres/${n.id}`;
  });
  return renderMail(p.config, {
    to,
    subject: total === 1 ? `Veille « ${s.name} » : 1 nouvel avis` : `Veille « ${s.name} » : ${total} nouveaux avis`,
    paragraphs: [
      `${total === 1 ? 'Un nouvel avis correspond' : `${total} nouveaux avis correspondent`} à votre veille « ${s.name} » (${describeFilters(s.filters)}) depuis le dernier envoi.`,
      ...lines,
      ...(total > items.length ? [`Et ${total - items.length} autres : voyez-les tous sur la plateforme.`] : []),
    ],
    action: { label: 'Voir mes veilles', path: `/veilles/${s.id}` },
    after: [`Ne plus recevoir ce courriel pour cette veille : ${p.config.publicUrl}${unsubscribe}`],
    reason: s.organisationName
      ? `Vous recevez ce message parce que vous avez créé cette veille pour ${s.organisationName} sur Passerelles.`
      : 'Vous recevez ce message parce que vous avez créé cette veille sur Passerelles.',
  });
}

/** Checks an unsubscribe link (signed for this search); throws LINK_INVALID or LINK_EXPIRED. */
export async function checkUnsubscribeLink(p: Platform, id: string, token: string, now = new Date()): Promise<void> {
  if (!UUID.test(id)) throw new AppError('LINK_INVALID', 'Ce lien n’est pas valide.', 400);
  const v = verify(await signingKey(p.db), UNSUBSCRIBE_PURPOSE, id, token, now);
  if (!v.ok) throw new AppError(v.reason === 'expired' ? 'LINK_EXPIRED' : 'LINK_INVALID', v.reason === 'expired' ? 'Ce lien a expiré : désabonnez-vous depuis vos veilles, une fois connecté.' : 'Ce lien n’est pas valide.', 400);
}

/** The unsubscribe link: stops this search's digest, without signing in. */
export async function unsubscribe(p: Platform, id: string, token: string, now = new Date()): Promise<SavedSearch | null> {
  await checkUnsubscribeLink(p, id, token, now);
  const row = await p.db.one<Row>(sql`UPDATE notice_searches s SET digest = false WHERE id = ${id} RETURNING s.*, NULL::text AS organisation_name`);
  return row ? toSearch(row) : null;
}

registerHousekeeping('notice-digests', async (platform) => {
  await runDigests(platform);
});
