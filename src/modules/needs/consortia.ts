// Groupements (consortia) to answer a need together: a structure that received the need creates one and
// becomes its lead (mandataire), invites other structures (those interested or looking for partners on
// the same need, or any from the directory), who accept or refuse through their own signed link. A
// structure is in at most one groupement per need (lead or accepted member; a unique index says it),
// but may receive several invitations. The buyer sees each groupement as one answer with its members.
import { audit } from '../../core/audit.ts';
import type { Queryable } from '../../core/db.ts';
import { AppError } from '../../core/errors.ts';
import { queueMail } from '../../core/mail.ts';
import type { Platform } from '../../core/platform.ts';
import { sign, signingKey } from '../../core/signing.ts';
import type { Actor } from '../accounts/model.ts';
import { consortiumInviteMail } from './answer-mails.ts';
import { type AnswerContext, answerable, auditActor, findStructureRef, linkOrTeam, signedToken, type StructureRef } from './answers.ts';
import { findNeed, type Need } from './repository.ts';
import { linkExpiry, recipientPath, structureAddresses } from './sending.ts';

export const INVITE_PURPOSE = 'consortium-invite';

export interface ConsortiumMember {
  structureId: string;
  name: string;
  slug: string;
  kind: string;
  role: 'lead' | 'member';
  status: 'invited' | 'accepted' | 'refused';
  invitedAt: string;
  answeredAt: string | null;
}

export interface Consortium {
  id: string;
  needId: string;
  leadStructureId: string;
  leadName: string;
  note: string;
  createdAt: string;
  /** Lead first, then accepted, invited and refused members by name. */
  members: ConsortiumMember[];
}

const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);
const STATUS_ORDER = { accepted: 0, invited: 1, refused: 2 } as const;

async function load(q: Queryable, where: string, values: unknown[]): Promise<Consortium[]> {
  const rows = await q.query<Record<string, unknown>>(
    `SELECT c.id, c.need_id, c.lead_structure_id, c.note, c.created_at, ls.name AS lead_name,
            m.structure_id, m.role, m.status, m.invited_at, m.answered_at, s.name, s.slug, s.kind
       FROM consortia c JOIN structures ls ON ls.id = c.lead_structure_id
       JOIN consortium_members m ON m.consortium_id = c.id JOIN structures s ON s.id = m.structure_id
      WHERE ${where}
      ORDER BY c.created_at, c.id`,
    values,
  );
  const byId = new Map<string, Consortium>();
  for (const r of rows) {
    let c = byId.get(r.id as string);
    if (!c) {
      c = { id: r.id as string, needId: r.need_id as string, leadStructureId: r.lead_structure_id as string, leadName: r.lead_name as string, note: r.note as string, createdAt: iso(r.created_at) as string, members: [] };
      byId.set(c.id, c);
    }
    c.members.push({
      structureId: r.structure_id as string,
      name: r.name as string,
      slug: r.slug as string,
      kind: r.kind as string,
      role: r.role as ConsortiumMember['role'],
      status: r.status as ConsortiumMember['status'],
      invitedAt: iso(r.invited_at) as string,
      answeredAt: iso(r.answered_at),
    });
  }
  for (const c of byId.values()) {
    c.members.sort((a, b) => (a.role === 'lead' ? -1 : b.role === 'lead' ? 1 : STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.name.localeCompare(b.name, 'fr')));
  }
  return [...byId.values()];
}

/** Every groupement of a need, each with its members (for the buyer's follow-up: one answer per groupement). */
export const listConsortia = (q: Queryable, needId: string) => load(q, 'c.need_id = $1', [needId]);

export async function findConsortium(q: Queryable, id: string): Promise<Consortium | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  return (await load(q, 'c.id = $1', [id]))[0] ?? null;
}

/** The groupement a structure leads or joined for a need, if any. */
export async function consortiumOf(q: Queryable, needId: string, structureId: string): Promise<Consortium | null> {
  const r = await q.one<{ consortium_id: string }>(`SELECT consortium_id FROM consortium_members WHERE need_id = $1 AND structure_id = $2 AND status = 'accepted'`, [needId, structureId]);
  return r ? findConsortium(q, r.consortium_id) : null;
}

/** Invitations waiting for a structure's answer on a need. */
export async function pendingInvitations(q: Queryable, needId: string, structureId: string): Promise<Consortium[]> {
  return load(q, `c.id IN (SELECT consortium_id FROM consortium_members WHERE need_id = $1 AND structure_id = $2 AND status = 'invited')`, [needId, structureId]);
}

export const invitePath = (key: Buffer, n: Pick<Need, 'answerDeadline'>, consortiumId: string, structureId: string, now: Date) =>
  `/groupements/${consortiumId}/invitation/${structureId}?jeton=${encodeURIComponent(sign(key, INVITE_PURPOSE, `${consortiumId}:${structureId}`, linkExpiry(n, now)))}`;

const conflict = (message: string) => new AppError('CONSORTIUM_CONFLICT', message, 409);
const isUniqueViolation = (e: unknown) => (e as { code?: string })?.code === '23505';

function requireOpen(n: Need, now: Date) {
  const a = answerable(n, now);
  if (!a.ok) throw new AppError('NEED_CLOSED', a.message, 409);
}

/** The structure of the context creates a groupement and leads it. */
export async function createConsortium(p: Platform, ctx: AnswerContext, note: string, now = new Date()): Promise<Consortium> {
  requireOpen(ctx.need, now);
  const text = note.trim().slice(0, 2000);
  try {
    const id = await p.db.transaction(async (tx) => {
      await findNeed(tx, ctx.need.id, { lock: true });
      if (await tx.one(`SELECT 1 FROM consortium_members WHERE need_id = $1 AND structure_id = $2 AND status = 'accepted'`, [ctx.need.id, ctx.structure.id])) {
        throw conflict('Votre structure fait déjà partie d’un groupement pour ce besoin.');
      }
      const c = await tx.one<{ id: string }>(
        `INSERT INTO consortia (need_id, lead_structure_id, created_by, note) VALUES ($1, $2, $3, $4) RETURNING id`,
        [ctx.need.id, ctx.structure.id, ctx.via === 'member' ? (ctx.actor.person?.id ?? null) : null, text],
      );
      const cid = (c as { id: string }).id;
      await tx.query(
        `INSERT INTO consortium_members (consortium_id, need_id, structure_id, role, status, invited_at, answered_at) VALUES ($1, $2, $3, 'lead', 'accepted', $4, $4)`,
        [cid, ctx.need.id, ctx.structure.id, now.toISOString()],
      );
      await audit(tx, { ...auditActor(ctx, ctx.structure.id), action: 'need.consortium.created', targetType: 'need', targetId: ctx.need.id, organisationId: ctx.structure.organisationId, after: { consortiumId: cid, lead: ctx.structure.id } });
      return cid;
    });
    return (await findConsortium(p.db, id)) as Consortium;
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict('Votre structure fait déjà partie d’un groupement pour ce besoin.');
    throw e;
  }
}

function requireLead(ctx: AnswerContext, c: Consortium | null): Consortium {
  if (!c || c.needId !== ctx.need.id) throw new AppError('NOT_FOUND', 'Groupement introuvable.', 404);
  if (c.leadStructureId !== ctx.structure.id) throw new AppError('FORBIDDEN', 'Seul le mandataire du groupement peut inviter ou retirer des membres.', 403);
  return c;
}

/** The lead invites a structure: a membership "invited" and a mail with the invited structure's own link. */
export async function inviteToConsortium(p: Platform, ctx: AnswerContext, consortiumId: string, structureId: string, now = new Date()): Promise<Consortium> {
  requireOpen(ctx.need, now);
  const c = requireLead(ctx, await findConsortium(p.db, consortiumId));
  const invited = await findStructureRef(p.db, structureId);
  if (!invited) throw new AppError('NOT_FOUND', 'Structure introuvable.', 404);
  if (invited.id === ctx.structure.id) throw new AppError('VALIDATION_FAILED', 'Votre structure est déjà mandataire du groupement.', 422);
  const active = await p.db.one<{ ok: boolean }>(`SELECT active AND NOT hidden AS ok FROM structures WHERE id = $1`, [invited.id]);
  if (!active?.ok) throw new AppError('VALIDATION_FAILED', 'Cette structure n’est plus active dans l’annuaire.', 422);
  const addresses = (await structureAddresses(p.db, [invited.id])).get(invited.id) ?? [];
  if (!addresses.length) throw new AppError('STRUCTURE_UNREACHABLE', 'La plateforme n’a aucune adresse pour écrire à cette structure : contactez-la directement.', 422);
  const key = await signingKey(p.db);
  await p.db.transaction(async (tx) => {
    await findNeed(tx, ctx.need.id, { lock: true });
    const elsewhere = await tx.one<{ consortium_id: string }>(`SELECT consortium_id FROM consortium_members WHERE need_id = $1 AND structure_id = $2 AND status = 'accepted'`, [ctx.need.id, invited.id]);
    if (elsewhere) throw conflict(elsewhere.consortium_id === c.id ? 'Cette structure est déjà membre du groupement.' : 'Cette structure fait déjà partie d’un autre groupement pour ce besoin.');
    const existing = await tx.one<{ status: string }>(`SELECT status FROM consortium_members WHERE consortium_id = $1 AND structure_id = $2`, [c.id, invited.id]);
    if (existing?.status === 'invited') throw conflict('Cette structure est déjà invitée : elle n’a pas encore répondu.');
    await tx.query(
      `INSERT INTO consortium_members (consortium_id, need_id, structure_id, role, status, invited_at) VALUES ($1, $2, $3, 'member', 'invited', $4)
       ON CONFLICT (consortium_id, structure_id) DO UPDATE SET status = 'invited', invited_at = EXCLUDED.invited_at, answered_at = NULL`,
      [c.id, ctx.need.id, invited.id, now.toISOString()],
    );
    const path = invitePath(key, ctx.need, c.id, invited.id, now);
    for (const to of addresses) await queueMail(tx, consortiumInviteMail(p.config, { to, need: ctx.need, leadName: ctx.structure.name, structureName: invited.name, path }));
    await audit(tx, { ...auditActor(ctx, ctx.structure.id), action: 'need.consortium.invited', targetType: 'need', targetId: ctx.need.id, organisationId: ctx.structure.organisationId, after: { consortiumId: c.id, structureId: invited.id } });
  });
  return (await findConsortium(p.db, c.id)) as Consortium;
}

/** The lead removes a member (or withdraws an invitation). */
export async function removeFromConsortium(p: Platform, ctx: AnswerContext, consortiumId: string, structureId: string): Promise<Consortium> {
  const c = requireLead(ctx, await findConsortium(p.db, consortiumId));
  const m = c.members.find((x) => x.structureId === structureId);
  if (!m) throw new AppError('NOT_FOUND', 'Cette structure n’est pas dans le groupement.', 404);
  if (m.role === 'lead') throw new AppError('VALIDATION_FAILED', 'Le mandataire ne peut pas se retirer lui-même du groupement.', 422);
  await p.db.transaction(async (tx) => {
    await tx.query(`DELETE FROM consortium_members WHERE consortium_id = $1 AND structure_id = $2`, [c.id, structureId]);
    await audit(tx, { ...auditActor(ctx, ctx.structure.id), action: 'need.consortium.member_removed', targetType: 'need', targetId: ctx.need.id, organisationId: ctx.structure.organisationId, before: { consortiumId: c.id, structureId, status: m.status } });
  });
  return (await findConsortium(p.db, c.id)) as Consortium;
}

// ---------------------------------------------------------------------------------------------------
// The invited structure's side

export interface InvitationContext {
  actor: Actor;
  via: 'link' | 'member' | 'token';
  consortium: Consortium;
  need: Need;
  structure: StructureRef;
  member: ConsortiumMember;
  jeton: string | null;
}

/** Who answers an invitation: the invited structure's signed link, or its team. */
export async function invitationAccess(p: Platform, actor: Actor, consortiumId: string, structureId: string, jeton: string | null | undefined, now = new Date()): Promise<InvitationContext> {
  const token = signedToken(jeton);
  const via = await linkOrTeam(p, actor, { purpose: INVITE_PURPOSE, subject: `${consortiumId}:${structureId}`, structureId, token, now }, 'Seule l’équipe de la structure invitée peut répondre à cette invitation.');
  const consortium = await findConsortium(p.db, consortiumId);
  const structure = await findStructureRef(p.db, structureId);
  const member = consortium?.members.find((m) => m.structureId === structureId);
  if (!consortium || !structure || !member) throw new AppError('FORBIDDEN', 'Cette invitation n’existe plus : le mandataire l’a peut-être retirée.', 403);
  const need = (await findNeed(p.db, consortium.needId)) as Need;
  return { actor, via, consortium, need, structure, member, jeton: token };
}

/**
 * Accepts or refuses an invitation. Accepting makes the structure a recipient of the need (source
 * "consortium") so that it finds the need in its space; refused if it is already in another groupement.
 * Returns the path of the need's page for the structure (signed for link users).
 */
export async function answerInvitation(p: Platform, ctx: InvitationContext, accept: boolean, now = new Date()): Promise<{ needPath: string }> {
  requireOpen(ctx.need, now);
  if (ctx.member.role === 'lead') throw new AppError('VALIDATION_FAILED', 'Votre structure est le mandataire de ce groupement.', 422);
  const who = auditActor(ctx, ctx.structure.id, 'consortium-link');
  try {
    await p.db.transaction(async (tx) => {
      await findNeed(tx, ctx.need.id, { lock: true });
      const current = await tx.one<{ status: string }>(`SELECT status FROM consortium_members WHERE consortium_id = $1 AND structure_id = $2`, [ctx.consortium.id, ctx.structure.id]);
      if (!current) throw new AppError('FORBIDDEN', 'Cette invitation n’existe plus : le mandataire l’a peut-être retirée.', 403);
      if (current.status !== 'invited') throw conflict(current.status === 'accepted' ? 'Vous avez déjà accepté cette invitation.' : 'Vous avez déjà refusé cette invitation.');
      if (accept) {
        const elsewhere = await tx.one(`SELECT 1 FROM consortium_members WHERE need_id = $1 AND structure_id = $2 AND status = 'accepted'`, [ctx.need.id, ctx.structure.id]);
        if (elsewhere) throw conflict('Votre structure fait déjà partie d’un autre groupement pour ce besoin : une structure ne peut être que dans un groupement par besoin.');
        await tx.query(
          `INSERT INTO need_recipients (need_id, structure_id, source, viewed_at) VALUES ($1, $2, 'consortium', $3) ON CONFLICT (need_id, structure_id) DO NOTHING`,
          [ctx.need.id, ctx.structure.id, now.toISOString()],
        );
      }
      await tx.query(`UPDATE consortium_members SET status = $3, answered_at = $4 WHERE consortium_id = $1 AND structure_id = $2`, [ctx.consortium.id, ctx.structure.id, accept ? 'accepted' : 'refused', now.toISOString()]);
      await audit(tx, { ...who, action: accept ? 'need.consortium.accepted' : 'need.consortium.refused', targetType: 'need', targetId: ctx.need.id, organisationId: ctx.structure.organisationId, after: { consortiumId: ctx.consortium.id, structureId: ctx.structure.id } });
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict('Votre structure fait déjà partie d’un autre groupement pour ce besoin : une structure ne peut être que dans un groupement par besoin.');
    throw e;
  }
  const needPath = ctx.via === 'link' ? recipientPath(await signingKey(p.db), ctx.need, ctx.structure.id, now) : `/besoins/${ctx.need.id}/structure/${ctx.structure.id}`;
  return { needPath };
}

// ---------------------------------------------------------------------------------------------------
// Whom to invite

export interface InviteCandidate {
  structureId: string;
  name: string;
  slug: string;
  kind: string;
  communeName: string | null;
  /** interested / partners on the same need; null for a directory search result. */
  answer: 'interested' | 'partners' | null;
}

/** Structures that said they are interested or look for partners on the same need, not yet in this groupement nor in another. */
export async function suggestedPartners(q: Queryable, needId: string, consortiumId: string, exceptStructureId: string): Promise<InviteCandidate[]> {
  const rows = await q.query<Record<string, unknown>>(
    `SELECT s.id, s.name, s.slug, s.kind, s.commune_name, r.interested_at, r.partners_at
       FROM need_recipients r JOIN structures s ON s.id = r.structure_id
      WHERE r.need_id = $1 AND r.structure_id <> $3 AND (r.interested_at IS NOT NULL OR r.partners_at IS NOT NULL) AND s.active AND NOT s.hidden
        AND NOT EXISTS (SELECT 1 FROM consortium_members m WHERE m.need_id = $1 AND m.structure_id = s.id AND (m.status = 'accepted' OR (m.consortium_id = $2 AND m.status = 'invited')))
      ORDER BY (r.partners_at IS NOT NULL) DESC, s.name`,
    [needId, consortiumId, exceptStructureId],
  );
  return rows.map((r) => ({ structureId: r.id as string, name: r.name as string, slug: r.slug as string, kind: r.kind as string, communeName: (r.commune_name as string) ?? null, answer: r.partners_at ? 'partners' : 'interested' }));
}

/** Directory search to invite any structure: by name (words) or SIRET / SIREN. */
export async function searchInvitable(q: Queryable, text: string, exceptStructureId: string, limit = 10): Promise<InviteCandidate[]> {
  const t = text.trim();
  if (t.length < 2) return [];
  const digits = t.replace(/\s/g, '');
  const bySiret = /^\d{9}$|^\d{14}$/.test(digits);
  const rows = await q.query<Record<string, unknown>>(
    `SELECT id, name, slug, kind, commune_name FROM structures
      WHERE active AND NOT hidden AND id <> $3
        AND ${bySiret ? `(siret = $1 OR siren = $1)` : `(lower(unaccent(name)) LIKE '%' || lower(unaccent($1)) || '%' OR lower(unaccent(coalesce(brand, ''))) LIKE '%' || lower(unaccent($1)) || '%')`}
      ORDER BY name LIMIT $2`,
    [bySiret ? digits : t.replace(/[%_\\]/g, ''), limit, exceptStructureId],
  );
  return rows.map((r) => ({ structureId: r.id as string, name: r.name as string, slug: r.slug as string, kind: r.kind as string, communeName: (r.commune_name as string) ?? null, answer: null }));
}
