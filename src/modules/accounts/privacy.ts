// Personal data (RGPD): what the platform keeps about a person, the export of it (right of access and
// portability) and the deletion of the account (right to erasure).
// Deletion removes the person's row; the database does the rest: memberships, sessions, links and claims
// go with it (ON DELETE CASCADE), audit entries and API tokens stay but no longer point at anyone
// (ON DELETE SET NULL). Organisations left with nobody are deleted, except a structure's organisation,
// which stays with the directory entry, without members (its tokens are revoked).
import { z } from 'zod';
import { audit } from '../../core/audit.ts';
import type { Queryable } from '../../core/db.ts';
import { AppError } from '../../core/errors.ts';
import { queueMail, renderMail } from '../../core/mail.ts';
import type { Platform } from '../../core/platform.ts';
import { type Actor, ORGANISATION_TYPES, ROLES } from './model.ts';
import { requirePerson } from './policy.ts';

const Iso = z.string().describe('date et heure, ISO 8601');
const IsoOrNull = Iso.nullable();

export const PersonExportSchema = z.object({
  format: z.literal('passerelles.donnees-personnelles.v1'),
  exportedAt: Iso,
  person: z.object({ id: z.string(), email: z.string(), name: z.string(), createdAt: Iso, emailConfirmedAt: IsoOrNull, lastSignInAt: IsoOrNull }),
  memberships: z.array(z.object({ organisationId: z.string(), organisationName: z.string(), organisationType: z.enum(ORGANISATION_TYPES), role: z.enum(ROLES), since: Iso })),
  claims: z.array(
    z.object({
      id: z.string(),
      structureId: z.string(),
      structureName: z.string(),
      status: z.enum(['pending', 'accepted', 'refused', 'cancelled']),
      message: z.string(),
      decidedByRule: z.string().nullable(),
      decisionReason: z.string().nullable(),
      createdAt: Iso,
      decidedAt: IsoOrNull,
    }),
  ),
  sessions: z.array(z.object({ createdAt: Iso, lastSeenAt: Iso, expiresAt: Iso })).describe('Sessions ouvertes ; le jeton de session n’est jamais exporté.'),
  apiTokens: z
    .array(
      z.object({
        organisationId: z.string(),
        organisationName: z.string(),
        name: z.string(),
        prefix: z.string(),
        scopes: z.array(z.enum(['read', 'write'])),
        createdAt: Iso,
        expiresAt: Iso,
        lastUsedAt: IsoOrNull,
        revokedAt: IsoOrNull,
      }),
    )
    .describe('Jetons d’API créés par la personne ; le jeton lui-même n’est jamais conservé.'),
  auditEntries: z
    .array(
      z.object({
        at: Iso,
        action: z.string(),
        byYou: z.boolean().describe('vrai quand la personne a fait l’action, faux quand elle en est la cible'),
        targetType: z.string(),
        targetId: z.string(),
        organisationId: z.string().nullable(),
        before: z.unknown(),
        after: z.unknown(),
        reason: z.string().nullable(),
      }),
    )
    .describe('Actions sensibles faites par la personne ou la visant.'),
});
export type PersonExport = z.infer<typeof PersonExportSchema>;

const iso = (d: Date | string) => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null) => (d ? iso(d) : null);

/** Everything the platform keeps about the person, never a secret (password hash, session or token). */
export async function exportPersonData(q: Queryable, personId: string): Promise<PersonExport> {
  const person = await q.one<{ id: string; email: string; name: string; created_at: Date; email_confirmed_at: Date | null; last_sign_in_at: Date | null }>(
    'SELECT id, email, name, created_at, email_confirmed_at, last_sign_in_at FROM people WHERE id = $1',
    [personId],
  );
  if (!person) throw new AppError('UNAUTHENTICATED', 'Connectez-vous pour accéder à vos données.', 401);
  const memberships = await q.query<{ organisation_id: string; name: string; type: PersonExport['memberships'][number]['organisationType']; role: 'admin' | 'member'; created_at: Date }>(
    `SELECT m.organisation_id, o.name, o.type, m.role, m.created_at FROM memberships m JOIN organisations o ON o.id = m.organisation_id
     WHERE m.person_id = $1 ORDER BY m.created_at, o.name`,
    [personId],
  );
  const claims = await q.query<{ id: string; structure_id: string; structure_name: string; status: PersonExport['claims'][number]['status']; message: string; decided_by_rule: string | null; decision_reason: string | null; created_at: Date; decided_at: Date | null }>(
    `SELECT c.id, c.structure_id, s.name AS structure_name, c.status, c.message, c.decided_by_rule, c.decision_reason, c.created_at, c.decided_at
     FROM claims c JOIN structures s ON s.id = c.structure_id WHERE c.person_id = $1 ORDER BY c.created_at, c.id`,
    [personId],
  );
  const sessions = await q.query<{ created_at: Date; last_seen_at: Date; expires_at: Date }>(
    'SELECT created_at, last_seen_at, expires_at FROM sessions WHERE person_id = $1 ORDER BY created_at',
    [personId],
  );
  const tokens = await q.query<{ organisation_id: string; organisation_name: string; name: string; prefix: string; scopes: ('read' | 'write')[]; created_at: Date; expires_at: Date; last_used_at: Date | null; revoked_at: Date | null }>(
    `SELECT t.organisation_id, o.name AS organisation_name, t.name, t.prefix, t.scopes, t.created_at, t.expires_at, t.last_used_at, t.revoked_at
     FROM api_tokens t JOIN organisations o ON o.id = t.organisation_id WHERE t.created_by = $1 ORDER BY t.created_at, t.id`,
    [personId],
  );
  const entries = await q.query<{ at: Date; action: string; by_you: boolean; target_type: string; target_id: string; organisation_id: string | null; before: unknown; after: unknown; reason: string | null }>(
    `SELECT at, action, coalesce(actor_id = $1, false) AS by_you, target_type, target_id, organisation_id, before, after, reason
     FROM audit_log WHERE actor_id = $1 OR (target_type = 'person' AND target_id = $2) ORDER BY at, id`,
    [personId, personId],
  );
  return {
    format: 'passerelles.donnees-personnelles.v1',
    exportedAt: new Date().toISOString(),
    person: {
      id: person.id,
      email: person.email,
      name: person.name,
      createdAt: iso(person.created_at),
      emailConfirmedAt: isoOrNull(person.email_confirmed_at),
      lastSignInAt: isoOrNull(person.last_sign_in_at),
    },
    memberships: memberships.map((m) => ({ organisationId: m.organisation_id, organisationName: m.name, organisationType: m.type, role: m.role, since: iso(m.created_at) })),
    claims: claims.map((c) => ({
      id: c.id,
      structureId: c.structure_id,
      structureName: c.structure_name,
      status: c.status,
      message: c.message,
      decidedByRule: c.decided_by_rule,
      decisionReason: c.decision_reason,
      createdAt: iso(c.created_at),
      decidedAt: isoOrNull(c.decided_at),
    })),
    sessions: sessions.map((s) => ({ createdAt: iso(s.created_at), lastSeenAt: iso(s.last_seen_at), expiresAt: iso(s.expires_at) })),
    apiTokens: tokens.map((t) => ({
      organisationId: t.organisation_id,
      organisationName: t.organisation_name,
      name: t.name,
      prefix: t.prefix,
      scopes: t.scopes,
      createdAt: iso(t.created_at),
      expiresAt: iso(t.expires_at),
      lastUsedAt: isoOrNull(t.last_used_at),
      revokedAt: isoOrNull(t.revoked_at),
    })),
    auditEntries: entries.map((e) => ({
      at: iso(e.at),
      action: e.action,
      byYou: e.by_you,
      targetType: e.target_type,
      targetId: e.target_id,
      organisationId: e.organisation_id,
      before: e.before ?? null,
      after: e.after ?? null,
      reason: e.reason,
    })),
  };
}

/** The export of the signed-in person, recorded in the audit log (a download of personal data is sensitive). */
export async function exportMyData(p: Platform, actor: Actor): Promise<PersonExport> {
  const person = requirePerson(actor);
  const data = await exportPersonData(p.db, person.id);
  await audit(p.db, { actorId: person.id, action: 'person.data_exported', targetType: 'person', targetId: person.id });
  return data;
}

// Deletion -------------------------------------------------------------------------------------------

export interface OrganisationRef {
  id: string;
  name: string;
  type: string;
}

/** What deleting the account would do to each organisation of the person. */
export interface DeletionPlan {
  /** Organisations where the person is the only administrator and others remain: deletion is refused. */
  blocking: OrganisationRef[];
  /** Organisations where the person is the only member: deleted with the account. */
  deleted: OrganisationRef[];
  /** Structure organisations where the person is the only member: kept with the directory entry, without members. */
  emptied: OrganisationRef[];
  /** Organisations the person simply leaves. */
  left: OrganisationRef[];
}

export async function deletionPlan(q: Queryable, personId: string): Promise<DeletionPlan> {
  const rows = await q.query<{ id: string; name: string; type: string; role: string; members: number; admins: number }>(
    `SELECT o.id, o.name, o.type, m.role,
       (SELECT count(*)::int FROM memberships x WHERE x.organisation_id = o.id) AS members,
       (SELECT count(*)::int FROM memberships x WHERE x.organisation_id = o.id AND x.role = 'admin') AS admins
     FROM memberships m JOIN organisations o ON o.id = m.organisation_id
     WHERE m.person_id = $1 ORDER BY o.name, o.id`,
    [personId],
  );
  const plan: DeletionPlan = { blocking: [], deleted: [], emptied: [], left: [] };
  for (const r of rows) {
    const ref = { id: r.id, name: r.name, type: r.type };
    if (r.members <= 1) (r.type === 'structure' ? plan.emptied : plan.deleted).push(ref);
    else if (r.role === 'admin' && r.admins <= 1) plan.blocking.push(ref);
    else plan.left.push(ref);
  }
  return plan;
}

export function lastAdminError(blocking: OrganisationRef[]): AppError {
  const names = blocking.map((o) => `« ${o.name} »`).join(', ');
  return new AppError(
    'LAST_ADMIN_OF_ORGANISATION',
    `Vous êtes le seul administrateur de ${names}, qui compte d’autres membres. Nommez d’abord un autre administrateur, puis supprimez votre compte.`,
    409,
    { organisations: blocking.map((o) => ({ id: o.id, name: o.name })) },
  );
}

export interface DeletionSummary {
  organisationsDeleted: number;
  organisationsEmptied: number;
  organisationsLeft: number;
  tokensRevoked: number;
}

/**
 * Deletes the signed-in person's account, confirmed by typing their email address.
 * Refused (409 LAST_ADMIN_OF_ORGANISATION) while they are the only administrator of an organisation
 * with other members. A confirmation mail is queued in the same transaction (call kickJobs() after).
 */
export async function deleteAccount(p: Platform, actor: Actor, confirmEmail: unknown): Promise<DeletionSummary> {
  const me = requirePerson(actor);
  return p.db.transaction(async (tx) => {
    const person = await tx.one<{ id: string; email: string; name: string }>('SELECT id, email, name FROM people WHERE id = $1 FOR UPDATE', [me.id]);
    if (!person) throw new AppError('UNAUTHENTICATED', 'Connectez-vous pour supprimer votre compte.', 401);
    const typed = typeof confirmEmail === 'string' ? confirmEmail.trim().toLowerCase() : '';
    if (typed !== person.email) {
      throw new AppError('CONFIRMATION_MISMATCH', 'Pour confirmer, saisissez exactement l’adresse électronique de votre compte.', 422, { field: 'confirmEmail' });
    }
    // Lock the person's organisations, so that two members leaving at once cannot leave one without administrator.
    const ids = (await tx.query<{ organisation_id: string }>('SELECT organisation_id FROM memberships WHERE person_id = $1', [person.id])).map((r) => r.organisation_id);
    if (ids.length) await tx.query('SELECT id FROM organisations WHERE id = ANY($1) ORDER BY id FOR UPDATE', [ids]);
    const plan = await deletionPlan(tx, person.id);
    if (plan.blocking.length) throw lastAdminError(plan.blocking);

    const reason = 'Suppression du compte de son dernier membre.';
    for (const o of plan.deleted) {
      await audit(tx, { actorId: null, actorKind: 'system', action: 'organisation.deleted', targetType: 'organisation', targetId: o.id, before: { type: o.type, name: o.name }, reason });
    }
    if (plan.deleted.length) await tx.query('DELETE FROM organisations WHERE id = ANY($1)', [plan.deleted.map((o) => o.id)]);
    // A structure's organisation stays without members: nobody could manage its tokens any more.
    const revoked = plan.emptied.length
      ? await tx.query<{ id: string; organisation_id: string; name: string; prefix: string }>(
          'UPDATE api_tokens SET revoked_at = now() WHERE organisation_id = ANY($1) AND revoked_at IS NULL RETURNING id, organisation_id, name, prefix',
          [plan.emptied.map((o) => o.id)],
        )
      : [];
    for (const t of revoked) {
      await audit(tx, { actorId: null, actorKind: 'system', action: 'api_token.revoked', targetType: 'api_token', targetId: t.id, organisationId: t.organisation_id, before: { name: t.name, prefix: t.prefix }, reason });
    }
    // Pending links sent to the address (an invitation made before the account existed carries no person id).
    await tx.query('DELETE FROM one_time_tokens WHERE person_id = $1 OR email = $2', [person.id, person.email]);
    // Memberships, sessions, links and claims go by cascade; audit entries and tokens keep a null person.
    await tx.query('DELETE FROM people WHERE id = $1', [person.id]);
    const summary: DeletionSummary = {
      organisationsDeleted: plan.deleted.length,
      organisationsEmptied: plan.emptied.length,
      organisationsLeft: plan.left.length,
      tokensRevoked: revoked.length,
    };
    // No personal data: the former id (already in the entries that targeted the person) and counts.
    await audit(tx, { actorId: null, actorKind: 'person', action: 'person.deleted', targetType: 'person', targetId: person.id, after: summary });
    await queueMail(tx, deletionMail(p, person.email, person.name));
    return summary;
  });
}

function deletionMail(p: Platform, to: string, name: string) {
  return renderMail(p.config, {
    to,
    subject: 'Votre compte Passerelles a été supprimé',
    greeting: name ? `Bonjour ${name},` : 'Bonjour,',
    paragraphs: [
      'Votre compte Passerelles vient d’être supprimé, comme vous l’avez demandé. Votre adresse, votre nom, votre mot de passe, vos sessions, vos appartenances aux organisations et vos demandes de rattachement ont été effacés.',
      'Le journal des actions sensibles garde les actions faites avec ce compte, sans plus aucun lien avec vous. Les fiches de structures et les jetons d’API des organisations restent à leurs organisations.',
    ],
    after: ['Si vous n’êtes pas à l’origine de cette suppression, prévenez l’équipe de la plateforme. Vous pouvez créer un nouveau compte à tout moment.'],
    reason: 'Vous recevez ce message parce que le compte associé à cette adresse vient d’être supprimé. C’est le dernier message que Passerelles vous envoie.',
  });
}
