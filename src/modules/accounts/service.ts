// Use cases of accounts: sign-up, confirmation, sign-in (password or link), reset, organisations and members.
// No answer tells whether an email is known: the same result comes back, and the owner of the address gets the mail.
import { audit } from '../../core/audit.ts';
import type { Queryable } from '../../core/db.ts';
import { AppError } from '../../core/errors.ts';
import { queueMail } from '../../core/mail.ts';
import type { Platform } from '../../core/platform.ts';
import { rateLimit } from '../../core/rate-limit.ts';
import { randomToken, safeEqual, sha256 } from '../../core/tokens.ts';
import { mails } from './mails.ts';
import { type Actor, EmailSchema, FACILITATOR_CATEGORIES, NameSchema, ORGANISATION_TYPE_LABEL, type OrganisationInput, OrganisationInputSchema, type Person, ROLE_LABEL, type Role } from './model.ts';
import { assertPassword, hashPassword, verifyPassword } from './passwords.ts';
import { authorize, canManageOrganisation, isPlatformAdmin, requirePerson } from './policy.ts';
import * as repo from './repository.ts';
import { actorOfPerson, openSession } from './sessions.ts';

export interface RequestContext {
  ip: string;
}

function parseName(raw: unknown): string {
  const r = NameSchema.safeParse(typeof raw === 'string' ? raw : '');
  if (!r.success) throw new AppError('INVALID_NAME', 'Le nom compte au plus 120 caractères.', 422, { field: 'name' });
  return r.data;
}

function parseEmail(raw: unknown): string {
  const r = EmailSchema.safeParse(raw);
  if (!r.success) throw new AppError('INVALID_EMAIL', 'Saisissez une adresse électronique valide, par exemple nom@domaine.fr.', 422, { field: 'email' });
  return r.data;
}

// A hash to verify against when the email is unknown, so that both cases take the same time.
let dummyHash: Promise<string> | null = null;
const timingDummy = () => (dummyHash ??= hashPassword(randomToken()));

/**
 * Sign-up. The password is kept in the confirmation link together with the hash of a nonce that only the
 * browser that signed up holds (a cookie): it is set when the address is confirmed from that browser, never
 * from another one, so nobody can put their password on someone else's address. Returns the nonce.
 */
export async function signUp(p: Platform, input: { email?: unknown; password?: unknown; name?: unknown }, ctx: RequestContext): Promise<string> {
  const email = parseEmail(input.email);
  const name = parseName(input.name);
  await rateLimit(p.db, 'signUp', { ip: ctx.ip, account: email });
  const password = typeof input.password === 'string' ? input.password : '';
  assertPassword(password, { email, name });
  const hash = await hashPassword(password);
  const nonce = randomToken();
  await p.db.transaction(async (tx) => {
    const existing = await repo.findPersonByEmail(tx, email);
    if (existing?.emailConfirmedAt) {
      await queueMail(tx, mails.alreadyRegistered(p.config, email, existing.name));
      return;
    }
    // An unconfirmed account (a first try, an invitation) takes the new password once the address is confirmed.
    const person = existing ?? (await repo.insertPerson(tx, { email, name, passwordHash: null }));
    const token = randomToken();
    await repo.insertLink(tx, token, { purpose: 'confirm', personId: person.id, email, data: { passwordHash: hash, nonceHash: sha256(nonce), name } });
    await queueMail(tx, mails.confirm(p.config, email, name || person.name, token));
    if (!existing) await audit(tx, { actorId: person.id, action: 'person.signed_up', targetType: 'person', targetId: person.id });
  });
  return nonce;
}

/**
 * Confirms the address of a sign-up and returns the person, who is then signed in. The password chosen at
 * sign-up is set only from the browser that signed up (nonce) and only on an account without one.
 */
export async function confirmSignUp(p: Platform, token: string, nonce: string | undefined): Promise<{ person: Person; passwordSet: boolean; choosePasswordToken: string | null }> {
  return p.db.transaction(async (tx) => {
    const link = await repo.consumeLink(tx, token, 'confirm');
    if (!link?.person_id) throw invalidLink();
    const data = link.data as { passwordHash?: string; nonceHash?: string; name?: string };
    let passwordSet = false;
    if (data.passwordHash && data.nonceHash && nonce && safeEqual(sha256(nonce), data.nonceHash)) {
      const rows = await tx.query('UPDATE people SET password_hash = $2 WHERE id = $1 AND password_hash IS NULL RETURNING 1', [link.person_id, data.passwordHash]);
      passwordSet = rows.length > 0;
    }
    await repo.confirmEmail(tx, link.person_id);
    await repo.invalidateLinks(tx, link.person_id, ['confirm']);
    if (data.name) await tx.query(`UPDATE people SET name = $2 WHERE id = $1 AND name = ''`, [link.person_id, data.name]);
    await audit(tx, { actorId: link.person_id, action: 'person.email_confirmed', targetType: 'person', targetId: link.person_id });
    // Confirmed from another browser: the person, who has just proved they own the mailbox, chooses a password now.
    let choosePasswordToken: string | null = null;
    const hasPassword = await tx.one('SELECT 1 FROM people WHERE id = $1 AND password_hash IS NOT NULL', [link.person_id]);
    if (!hasPassword) {
      choosePasswordToken = randomToken();
      await repo.insertLink(tx, choosePasswordToken, { purpose: 'reset', personId: link.person_id, email: link.email });
    }
    return { person: (await repo.findPerson(tx, link.person_id)) as Person, passwordSet, choosePasswordToken };
  });
}

const invalidLink = () => new AppError('INVALID_LINK', 'Ce lien n’est plus valable : il a déjà servi ou il a expiré. Demandez-en un nouveau.', 410);
const badCredentials = () => new AppError('INVALID_CREDENTIALS', 'Adresse électronique ou mot de passe incorrect.', 401);

export async function signInWithPassword(p: Platform, input: { email?: unknown; password?: unknown }, ctx: RequestContext): Promise<Person> {
  const email = EmailSchema.safeParse(input.email);
  const password = typeof input.password === 'string' ? input.password.slice(0, 1024) : '';
  await rateLimit(p.db, 'signIn', { ip: ctx.ip, account: email.success ? email.data : null });
  const person = email.success ? await repo.findPersonByEmail(p.db, email.data) : null;
  const ok = await verifyPassword(person?.passwordHash ?? (await timingDummy()), password);
  if (!person || !person.passwordHash || !ok) {
    if (person) await audit(p.db, { actorId: person.id, action: 'person.sign_in_failed', targetType: 'person', targetId: person.id });
    throw badCredentials();
  }
  if (!person.emailConfirmedAt) {
    await p.db.transaction(async (tx) => {
      const token = randomToken();
      await repo.insertLink(tx, token, { purpose: 'confirm', personId: person.id, email: person.email });
      await queueMail(tx, mails.confirm(p.config, person.email, person.name, token));
    });
    throw new AppError('EMAIL_NOT_CONFIRMED', 'Confirmez d’abord votre adresse électronique : nous venons de vous renvoyer un lien.', 403);
  }
  await audit(p.db, { actorId: person.id, action: 'person.signed_in', targetType: 'person', targetId: person.id, after: { method: 'password' } });
  return person;
}

/** Mails a link of the given purpose to the address when it belongs to someone; answers the same otherwise. */
async function mailLinkIfKnown(p: Platform, rawEmail: unknown, ctx: RequestContext, purpose: 'sign_in' | 'reset', mail: typeof mails.signInLink): Promise<void> {
  const email = parseEmail(rawEmail);
  await rateLimit(p.db, purpose === 'sign_in' ? 'signInLink' : 'reset', { ip: ctx.ip, account: email });
  await p.db.transaction(async (tx) => {
    const person = await repo.findPersonByEmail(tx, email);
    if (!person) return;
    const token = randomToken();
    await repo.insertLink(tx, token, { purpose, personId: person.id, email });
    await queueMail(tx, mail(p.config, email, person.name, token));
  });
}

export const requestSignInLink = (p: Platform, input: { email?: unknown }, ctx: RequestContext) => mailLinkIfKnown(p, input.email, ctx, 'sign_in', mails.signInLink);

/** Signs in with a link received by mail; owning the mailbox also confirms the address. */
export async function signInWithLink(p: Platform, token: string): Promise<Person> {
  return p.db.transaction(async (tx) => {
    const link = await repo.consumeLink(tx, token, 'sign_in');
    if (!link?.person_id) throw invalidLink();
    await repo.confirmEmail(tx, link.person_id);
    await repo.invalidateLinks(tx, link.person_id, ['confirm']);
    await audit(tx, { actorId: link.person_id, action: 'person.signed_in', targetType: 'person', targetId: link.person_id, after: { method: 'link' } });
    return (await repo.findPerson(tx, link.person_id)) as Person;
  });
}

export const requestPasswordReset = (p: Platform, input: { email?: unknown }, ctx: RequestContext) => mailLinkIfKnown(p, input.email, ctx, 'reset', mails.reset);

/** Whether a reset link can still be used (to show the form or say it expired). */
export async function resetLinkValid(p: Platform, token: string): Promise<boolean> {
  return (await repo.peekLink(p.db, token, 'reset')) !== null;
}

/** Sets a new password from a reset link: every session and pending link of the person is closed. */
export async function resetPassword(p: Platform, token: string, password: unknown): Promise<Person> {
  const link = await repo.peekLink(p.db, token, 'reset');
  if (!link?.person_id) throw invalidLink();
  const person = await repo.findPerson(p.db, link.person_id);
  if (!person) throw invalidLink();
  const pw = typeof password === 'string' ? password : '';
  assertPassword(pw, { email: person.email, name: person.name });
  const hash = await hashPassword(pw);
  return p.db.transaction(async (tx) => {
    const used = await repo.consumeLink(tx, token, 'reset');
    if (!used) throw invalidLink();
    await repo.setPassword(tx, person.id, hash);
    await repo.confirmEmail(tx, person.id);
    await repo.deleteSessionsOf(tx, person.id);
    await repo.invalidateLinks(tx, person.id, ['reset', 'sign_in', 'confirm']);
    await queueMail(tx, mails.passwordChanged(p.config, person.email, person.name));
    await audit(tx, { actorId: person.id, action: 'person.password_reset', targetType: 'person', targetId: person.id });
    return person;
  });
}

/** Closes every session of the person (on every device). */
export async function signOutEverywhere(p: Platform, actor: Actor): Promise<number> {
  const person = requirePerson(actor);
  return p.db.transaction(async (tx) => {
    const n = await repo.deleteSessionsOf(tx, person.id);
    await audit(tx, { actorId: person.id, action: 'person.signed_out_everywhere', targetType: 'person', targetId: person.id, after: { sessions: n } });
    return n;
  });
}

export async function updateName(p: Platform, actor: Actor, name: unknown): Promise<void> {
  const person = requirePerson(actor);
  await p.db.query('UPDATE people SET name = $2 WHERE id = $1', [person.id, parseName(name)]);
}

export { openSession };

// Organisations --------------------------------------------------------------------------------------

export interface OrganisationView {
  id: string;
  type: string;
  name: string;
  category: string | null;
  territoryKeys: string[];
  networkSlug: string | null;
  structureId: string | null;
  verified: boolean;
  createdAt: string;
}

interface OrganisationRow {
  id: string;
  type: string;
  name: string;
  category: string | null;
  territory_keys: string[];
  network_slug: string | null;
  structure_id: string | null;
  verified_at: Date | null;
  created_at: Date;
}

export const ORGANISATION_COLUMNS = 'id, type, name, category, territory_keys, network_slug, structure_id, verified_at, created_at';

export const toOrganisation = (r: OrganisationRow): OrganisationView => ({
  id: r.id,
  type: r.type,
  name: r.name,
  category: r.category,
  territoryKeys: r.territory_keys,
  networkSlug: r.network_slug,
  structureId: r.structure_id,
  verified: r.type === 'buyer' || r.type === 'structure' || r.verified_at !== null,
  createdAt: new Date(r.created_at).toISOString(),
});

export async function getOrganisation(p: Platform, id: string): Promise<OrganisationView | null> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return null;
  const r = await p.db.one<OrganisationRow>(`SELECT ${ORGANISATION_COLUMNS} FROM organisations WHERE id = $1`, [id]);
  return r ? toOrganisation(r) : null;
}

/** A buyer, facilitator or network organisation, created by a signed-in person who becomes its administrator. */
export async function createOrganisation(p: Platform, actor: Actor, raw: unknown, ctx: RequestContext): Promise<OrganisationView> {
  const person = requirePerson(actor);
  const parsed = OrganisationInputSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('INVALID_ORGANISATION', 'Vérifiez le type, le nom et la catégorie de l’organisation.', 422, parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })));
  await rateLimit(p.db, 'organisation', { ip: ctx.ip, account: person.id });
  const input: OrganisationInput = parsed.data;
  return p.db.transaction(async (tx) => {
    const r = (await tx.one<OrganisationRow>(
      `INSERT INTO organisations (type, name, category, territory_keys, network_slug) VALUES ($1, $2, $3, $4, $5) RETURNING ${ORGANISATION_COLUMNS}`,
      [input.type, input.name, 'category' in input ? input.category : null, 'territoryKeys' in input ? input.territoryKeys : [], 'networkSlug' in input ? (input.networkSlug ?? null) : null],
    )) as OrganisationRow;
    await tx.query(`INSERT INTO memberships (organisation_id, person_id, role) VALUES ($1, $2, 'admin')`, [r.id, person.id]);
    await audit(tx, { actorId: person.id, action: 'organisation.created', targetType: 'organisation', targetId: r.id, organisationId: r.id, after: input });
    if (input.type !== 'buyer') {
      const typeLabel = input.type === 'facilitator' ? FACILITATOR_CATEGORIES[input.category] : ORGANISATION_TYPE_LABEL[input.type];
      for (const admin of await platformAdminEmails(tx)) await queueMail(tx, mails.organisationToVerify(p.config, admin, input.name, typeLabel));
    }
    return toOrganisation(r);
  });
}

async function platformAdminEmails(q: Queryable): Promise<string[]> {
  const rows = await q.query<{ email: string }>(
    `SELECT DISTINCT p.email FROM people p JOIN memberships m ON m.person_id = p.id JOIN organisations o ON o.id = m.organisation_id WHERE o.type = 'platform'`,
  );
  return rows.map((r) => r.email);
}

export async function verifyOrganisation(p: Platform, actor: Actor, organisationId: string): Promise<OrganisationView> {
  authorize(actor, isPlatformAdmin(actor), 'Seule l’équipe de la plateforme vérifie les organisations.');
  const org = await getOrganisation(p, organisationId);
  if (!org) throw new AppError('NOT_FOUND', 'Organisation introuvable.', 404);
  return p.db.transaction(async (tx) => {
    const r = (await tx.one<OrganisationRow>(`UPDATE organisations SET verified_at = coalesce(verified_at, now()) WHERE id = $1 RETURNING ${ORGANISATION_COLUMNS}`, [organisationId])) as OrganisationRow;
    await audit(tx, { actorId: actor.person?.id ?? null, action: 'organisation.verified', targetType: 'organisation', targetId: organisationId, organisationId, before: { verified: org.verified }, after: { verified: true } });
    const admins = await tx.query<{ email: string }>(`SELECT p.email FROM people p JOIN memberships m ON m.person_id = p.id WHERE m.organisation_id = $1 AND m.role = 'admin'`, [organisationId]);
    for (const a of admins) await queueMail(tx, mails.organisationVerified(p.config, a.email, org.name));
    return toOrganisation(r);
  });
}

export interface MemberView {
  personId: string;
  name: string;
  email: string;
  role: Role;
  since: string;
}

export async function listMembers(p: Platform, organisationId: string): Promise<MemberView[]> {
  const rows = await p.db.query<{ person_id: string; name: string; email: string; role: Role; created_at: Date }>(
    `SELECT m.person_id, p.name, p.email, m.role, m.created_at FROM memberships m JOIN people p ON p.id = m.person_id
     WHERE m.organisation_id = $1 ORDER BY m.role, lower(p.name), p.email`,
    [organisationId],
  );
  return rows.map((r) => ({ personId: r.person_id, name: r.name, email: r.email, role: r.role, since: new Date(r.created_at).toISOString() }));
}

export async function inviteMember(p: Platform, actor: Actor, organisationId: string, input: { email: unknown; role: unknown }, ctx: RequestContext): Promise<void> {
  const person = requirePerson(actor);
  const org = await getOrganisation(p, organisationId);
  if (!org) throw new AppError('NOT_FOUND', 'Organisation introuvable.', 404);
  authorize(actor, canManageOrganisation(actor, organisationId), 'Seuls les administrateurs de l’organisation invitent des collègues.');
  const email = parseEmail(input.email);
  const role: Role = input.role === 'admin' ? 'admin' : 'member';
  await rateLimit(p.db, 'invite', { ip: ctx.ip, account: person.id });
  await p.db.transaction(async (tx) => {
    const invitee = await repo.findPersonByEmail(tx, email);
    if (invitee && (await tx.one('SELECT 1 FROM memberships WHERE organisation_id = $1 AND person_id = $2', [organisationId, invitee.id]))) {
      throw new AppError('ALREADY_MEMBER', 'Cette personne fait déjà partie de l’organisation.', 409);
    }
    const token = randomToken();
    await repo.insertLink(tx, token, { purpose: 'invite', personId: invitee?.id ?? null, email, data: { organisationId, role, invitedBy: person.id } });
    await queueMail(tx, mails.invitation(p.config, email, person.name, org.name, ROLE_LABEL[role], token));
    await audit(tx, { actorId: person.id, action: 'membership.invited', targetType: 'organisation', targetId: organisationId, organisationId, after: { role } });
  });
}

export interface InvitationView {
  email: string;
  organisation: OrganisationView;
  role: Role;
}

export async function getInvitation(p: Platform, token: string): Promise<InvitationView | null> {
  const link = await repo.peekLink(p.db, token, 'invite');
  if (!link) return null;
  const data = link.data as { organisationId: string; role: Role };
  const organisation = await getOrganisation(p, data.organisationId);
  return organisation ? { email: link.email, organisation, role: data.role } : null;
}

/** Accepts an invitation: the signed-in person must own the invited address. */
export async function acceptInvitation(p: Platform, actor: Actor, token: string): Promise<OrganisationView> {
  const person = requirePerson(actor);
  const invitation = await getInvitation(p, token);
  if (!invitation) throw invalidLink();
  if (invitation.email !== person.email) {
    throw new AppError('INVITATION_OTHER_EMAIL', `Cette invitation a été envoyée à une autre adresse. Connectez-vous avec l’adresse invitée.`, 403);
  }
  return p.db.transaction(async (tx) => {
    const link = await repo.consumeLink(tx, token, 'invite');
    if (!link) throw invalidLink();
    // The invitation holds only while whoever sent it may still invite.
    const invitedBy = (link.data as { invitedBy?: string }).invitedBy;
    const inviter = invitedBy ? await actorOfPerson(tx, invitedBy) : null;
    if (!inviter?.person || !canManageOrganisation(inviter, invitation.organisation.id)) {
      throw new AppError('INVITATION_REVOKED', 'Cette invitation n’est plus valable : la personne qui l’a envoyée n’administre plus l’organisation.', 410);
    }
    await repo.confirmEmail(tx, person.id);
    await repo.invalidateLinks(tx, person.id, ['confirm']);
    await tx.query(`INSERT INTO memberships (organisation_id, person_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [invitation.organisation.id, person.id, invitation.role]);
    await audit(tx, { actorId: person.id, action: 'membership.joined', targetType: 'organisation', targetId: invitation.organisation.id, organisationId: invitation.organisation.id, after: { role: invitation.role } });
    return invitation.organisation;
  });
}

async function adminCount(q: Queryable, organisationId: string): Promise<number> {
  const r = await q.one<{ n: number }>(`SELECT count(*)::int AS n FROM memberships WHERE organisation_id = $1 AND role = 'admin'`, [organisationId]);
  return r?.n ?? 0;
}

export async function changeRole(p: Platform, actor: Actor, organisationId: string, personId: string, role: unknown): Promise<void> {
  authorize(actor, canManageOrganisation(actor, organisationId), 'Seuls les administrateurs de l’organisation changent les rôles.');
  if (role !== 'admin' && role !== 'member') throw new AppError('INVALID_ROLE', 'Rôle inconnu : administrateur ou membre.', 422);
  await p.db.transaction(async (tx) => {
    // One change of administrators at a time per organisation: the count below stays true.
    await tx.query('SELECT 1 FROM organisations WHERE id = $1 FOR UPDATE', [organisationId]);
    const before = await tx.one<{ role: Role }>('SELECT role FROM memberships WHERE organisation_id = $1 AND person_id = $2 FOR UPDATE', [organisationId, personId]);
    if (!before) throw new AppError('NOT_FOUND', 'Cette personne ne fait pas partie de l’organisation.', 404);
    if (before.role === 'admin' && role === 'member' && (await adminCount(tx, organisationId)) <= 1) throw lastAdmin();
    await tx.query('UPDATE memberships SET role = $3 WHERE organisation_id = $1 AND person_id = $2', [organisationId, personId, role]);
    await audit(tx, { actorId: actor.person?.id ?? null, action: 'membership.role_changed', targetType: 'person', targetId: personId, organisationId, before, after: { role } });
  });
}

const lastAdmin = () => new AppError('LAST_ADMIN', 'L’organisation doit garder au moins un administrateur : nommez-en un autre d’abord.', 409);

/** Removes a member (administrators), or leaves the organisation (anyone, for themselves). */
export async function removeMember(p: Platform, actor: Actor, organisationId: string, personId: string): Promise<void> {
  const me = requirePerson(actor);
  authorize(actor, me.id === personId || canManageOrganisation(actor, organisationId));
  await p.db.transaction(async (tx) => {
    await tx.query('SELECT 1 FROM organisations WHERE id = $1 FOR UPDATE', [organisationId]);
    const before = await tx.one<{ role: Role }>('SELECT role FROM memberships WHERE organisation_id = $1 AND person_id = $2 FOR UPDATE', [organisationId, personId]);
    if (!before) throw new AppError('NOT_FOUND', 'Cette personne ne fait pas partie de l’organisation.', 404);
    if (before.role === 'admin' && (await adminCount(tx, organisationId)) <= 1) throw lastAdmin();
    await tx.query('DELETE FROM memberships WHERE organisation_id = $1 AND person_id = $2', [organisationId, personId]);
    await audit(tx, { actorId: me.id, action: me.id === personId ? 'membership.left' : 'membership.removed', targetType: 'person', targetId: personId, organisationId, before });
  });
}

export async function isPlatformAdminEmail(q: Queryable, email: string): Promise<boolean> {
  const r = await q.one(
    `SELECT 1 FROM people p JOIN memberships m ON m.person_id = p.id JOIN organisations o ON o.id = m.organisation_id WHERE p.email = $1 AND o.type = 'platform'`,
    [email.trim().toLowerCase()],
  );
  return !!r;
}

/** Makes a person a platform administrator (CLI): creates the platform organisation and the person when missing. */
export async function addPlatformAdmin(p: Platform, rawEmail: string): Promise<{ created: boolean }> {
  const email = parseEmail(rawEmail);
  return p.db.transaction(async (tx) => {
    let org = await tx.one<{ id: string }>(`SELECT id FROM organisations WHERE type = 'platform' ORDER BY created_at LIMIT 1`);
    org ??= await tx.one<{ id: string }>(`INSERT INTO organisations (type, name, verified_at) VALUES ('platform', 'Administration de la plateforme', now()) RETURNING id`);
    const existing = await repo.findPersonByEmail(tx, email);
    const person = existing ?? (await repo.insertPerson(tx, { email, name: '', passwordHash: null }));
    await tx.query(`INSERT INTO memberships (organisation_id, person_id, role) VALUES ($1, $2, 'admin') ON CONFLICT (organisation_id, person_id) DO UPDATE SET role = 'admin'`, [org?.id, person.id]);
    const token = randomToken();
    await repo.insertLink(tx, token, { purpose: 'sign_in', personId: person.id, email });
    await queueMail(tx, mails.signInLink(p.config, email, person.name, token));
    await audit(tx, { actorId: null, actorKind: 'cli', action: 'platform_admin.added', targetType: 'person', targetId: person.id, organisationId: org?.id });
    return { created: !existing };
  });
}
