// Claims: a person asks to manage a structure of the directory (« rattacher ma structure »).
// Not first come, first served: the claim is accepted at once when the person's confirmed email is at the
// structure's own domain (its website or its public email, free mailboxes excluded); otherwise it waits for
// an administrator of the structure, a verified facilitator of its territory or the platform team.
import { audit } from '../../core/audit.ts';
import type { Config } from '../../core/config.ts';
import type { Queryable } from '../../core/db.ts';
import { AppError, notFound } from '../../core/errors.ts';
import { type MailMessage, queueMail, renderMail } from '../../core/mail.ts';
import type { Platform } from '../../core/platform.ts';
import { rateLimit } from '../../core/rate-limit.ts';
import { cleanIdentifier } from '../../core/siret.ts';
import { type Sql, sql } from '../../core/sql.ts';
import type { Actor, Role } from './model.ts';
import { authorize, canDecideClaim, facilitatorMemberships, facilitatorOf, isPlatformAdmin, membershipOfStructure, requirePerson } from './policy.ts';

// Email domains --------------------------------------------------------------------------------------

/**
 * Free mailbox providers: an address there says nothing about who runs a structure. The one list every
 * rule uses. Entries are registrable domains; WEBMAIL_ANY_TLD covers a provider under every extension
 * (hotmail.fr, hotmail.com, yahoo.co.uk…).
 */
export const WEBMAIL_DOMAINS = new Set([
  'gmail.com', 'googlemail.com', 'orange.fr', 'wanadoo.fr', 'free.fr', 'laposte.net', 'sfr.fr', 'neuf.fr', 'club-internet.fr',
  'bbox.fr', 'numericable.fr', 'aliceadsl.fr', 'cegetel.net', 'noos.fr', 'voila.fr', 'icloud.com', 'me.com', 'mac.com',
  'msn.com', 'ymail.com', 'rocketmail.com', 'mail.com', 'protonmail.com', 'protonmail.ch', 'proton.me', 'pm.me',
  'tutanota.com', 'tuta.io', 'zoho.com', 'gmx.fr', 'gmx.com', 'gmx.net', 'gmx.de', 'yandex.ru', 'yandex.com', 'mailo.com',
  'netcourrier.com', 'aol.com', 'aol.fr', 'lavache.com', 'caramail.com', 'infonie.fr', 'hotmail.com',
]);
export const WEBMAIL_ANY_TLD = new Set(['hotmail', 'outlook', 'live', 'yahoo', 'gmx', 'yandex', 'aol', 'windowslive']);

/**
 * Websites on a shared host say nothing about an email domain either (a page on wixsite.com, a Facebook page).
 */
export const SHARED_WEB_HOSTS = new Set([
  'wixsite.com', 'wix.com', 'wordpress.com', 'blogspot.com', 'e-monsite.com', 'jimdo.com', 'jimdofree.com', 'webnode.fr',
  'over-blog.com', 'facebook.com', 'linkedin.com', 'google.com', 'instagram.com', 'helloasso.com', 'pagesjaunes.fr',
  'site-solocal.com', 'business.site', 'sitew.fr', 'sitew.com', 'github.io', 'canva.site',
]);

/** Public suffixes of two labels (a registrable domain then has three): the ones French structures meet. */
const TWO_LABEL_SUFFIXES = new Set([
  'gouv.fr', 'asso.fr', 'com.fr', 'nom.fr', 'tm.fr', 'presse.fr', 'prd.fr', 'cci.fr', 'chambagri.fr',
  'co.uk', 'org.uk', 'gov.uk', 'ac.uk', 'me.uk', 'com.re', 'asso.re', 'com.gp', 'asso.nc', 'com.nc', 'co.com', 'com.es', 'com.pt',
]);

/** The host name of an address, lower case and in ASCII (punycode), or null. */
function asciiHost(host: string): string | null {
  try {
    const h = new URL(`https://${host.trim()}/`).hostname.toLowerCase().replace(/\.$/, '');
    return h || null;
  } catch {
    return null;
  }
}

/**
 * The domain a person or company registers ("asso-exemple.fr" for "www.asso-exemple.fr" and "mail.asso-exemple.fr",
 * "ville.gouv.fr" for "services.ville.gouv.fr"); null for IP addresses and single labels.
 */
export function registrableDomain(host: string): string | null {
  const h = asciiHost(host);
  if (!h || /^[\d.]+$/.test(h) || h.includes(':') || h.startsWith('[')) return null;
  const labels = h.split('.').filter(Boolean);
  if (labels.length < 2) return null;
  const last2 = labels.slice(-2).join('.');
  if (TWO_LABEL_SUFFIXES.has(last2)) return labels.length >= 3 ? labels.slice(-3).join('.') : null;
  return last2;
}

export function isWebmailDomain(domain: string): boolean {
  const r = registrableDomain(domain);
  if (!r) return false;
  return WEBMAIL_DOMAINS.has(r) || WEBMAIL_ANY_TLD.has(r.split('.')[0]);
}

const emailDomain = (email: string) => email.slice(email.lastIndexOf('@') + 1);

function websiteDomain(website: string | null): string | null {
  if (!website?.trim()) return null;
  const w = website.trim();
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(w) ? w : `https://${w}`);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return registrableDomain(u.hostname);
  } catch {
    return null;
  }
}

/**
 * Whether an email address belongs to the structure's own domain: its website's or its public email's.
 * Free mailboxes and shared web hosts never match. Returns what matched, or null.
 */
export function claimDomainMatch(email: string, s: { website: string | null; publicEmail: string | null }): 'website' | 'email' | null {
  const mine = registrableDomain(emailDomain(email));
  if (!mine || isWebmailDomain(mine) || SHARED_WEB_HOSTS.has(mine)) return null;
  const site = websiteDomain(s.website);
  if (site && !SHARED_WEB_HOSTS.has(site) && site === mine) return 'website';
  const pub = s.publicEmail?.includes('@') ? registrableDomain(emailDomain(s.publicEmail.trim())) : null;
  if (pub && pub === mine) return 'email';
  return null;
}

// Views ----------------------------------------------------------------------------------------------

export const CLAIM_STATUSES = ['pending', 'accepted', 'refused', 'cancelled'] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];
export const CLAIM_STATUS_LABEL: Record<ClaimStatus, string> = {
  pending: 'En attente',
  accepted: 'Acceptée',
  refused: 'Refusée',
  cancelled: 'Annulée',
};
/** How a claim was decided (claims.decided_by_rule). */
export type DecisionRule = 'email_domain' | 'structure_admin' | 'facilitator' | 'platform_admin';
export const DECISION_RULE_LABEL: Record<DecisionRule, string> = {
  email_domain: 'automatiquement (adresse au domaine de la structure)',
  structure_admin: 'par un administrateur de la structure',
  facilitator: 'par un facilitateur du territoire',
  platform_admin: 'par l’équipe de la plateforme',
};

export interface ClaimView {
  id: string;
  status: ClaimStatus;
  message: string;
  structure: { id: string; slug: string; name: string; siret: string; commune: { code: string; name: string } | null; departmentCode: string | null };
  claimant: { id: string; name: string; email: string };
  decidedByRule: DecisionRule | null;
  decisionReason: string | null;
  createdAt: string;
  decidedAt: string | null;
}

interface ClaimRow {
  id: string;
  status: ClaimStatus;
  message: string;
  decided_by_rule: DecisionRule | null;
  decision_reason: string | null;
  created_at: Date;
  decided_at: Date | null;
  structure_id: string;
  slug: string;
  structure_name: string;
  siret: string;
  commune_code: string | null;
  commune_name: string | null;
  department_code: string | null;
  person_id: string;
  person_name: string;
  person_email: string;
}

const CLAIM_SELECT = sql`SELECT c.id, c.status, c.message, c.decided_by_rule, c.decision_reason, c.created_at, c.decided_at,
  s.id AS structure_id, s.slug, s.name AS structure_name, s.siret, s.commune_code, s.commune_name, s.department_code,
  p.id AS person_id, p.name AS person_name, p.email AS person_email
  FROM claims c JOIN structures s ON s.id = c.structure_id JOIN people p ON p.id = c.person_id`;

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function toView(r: ClaimRow): ClaimView {
  return {
    id: r.id,
    status: r.status,
    message: r.message,
    structure: {
      id: r.structure_id,
      slug: r.slug,
      name: r.structure_name,
      siret: r.siret,
      commune: r.commune_code ? { code: r.commune_code, name: r.commune_name ?? '' } : null,
      departmentCode: r.department_code,
    },
    claimant: { id: r.person_id, name: r.person_name, email: r.person_email },
    decidedByRule: r.decided_by_rule,
    decisionReason: r.decision_reason,
    createdAt: iso(r.created_at) as string,
    decidedAt: iso(r.decided_at),
  };
}

interface StructureLocated {
  id: string;
  name: string;
  slug: string;
  website: string | null;
  public_email: string | null;
  commune_code: string | null;
  epci_code: string | null;
  department_code: string | null;
  region_code: string | null;
  hidden: boolean;
  edited_fields: string[];
}

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

async function findStructure(q: Queryable, id: string): Promise<StructureLocated | null> {
  if (!isUuid(id)) return null;
  const r = await q.one<StructureLocated>(
    sql`SELECT id, name, slug, website, public_email, commune_code, epci_code, department_code, region_code, hidden, edited_fields FROM structures WHERE id = ${id}::uuid`,
  );
  return r ?? null;
}

/**
 * What a claim may be accepted on: the website and public email as the source gave them (a value the
 * structure's team edited could have been written by whoever claims), and a public email domain only when
 * no other structure uses it (several structures on one domain means a mail provider, not the structure).
 */
async function trustedContacts(q: Queryable, s: StructureLocated): Promise<{ website: string | null; publicEmail: string | null }> {
  const website = s.edited_fields.includes('website') ? null : s.website;
  let publicEmail = s.edited_fields.includes('public_email') ? null : s.public_email;
  const domain = publicEmail?.includes('@') ? registrableDomain(emailDomain(publicEmail.trim())) : null;
  if (domain) {
    const shared = await q.one<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM structures WHERE id <> ${s.id}::uuid AND (lower(public_email) LIKE ${`%@${domain}`} OR lower(public_email) LIKE ${`%.${domain}`})`,
    );
    if ((shared?.n ?? 0) > 0) publicEmail = null;
  }
  return { website, publicEmail };
}

const located = (s: StructureLocated) => ({ id: s.id, communeCode: s.commune_code, epciCode: s.epci_code, departmentCode: s.department_code, regionCode: s.region_code });

async function findClaim(q: Queryable, id: string, lock = false): Promise<ClaimView | null> {
  if (!isUuid(id)) return null;
  const r = await q.one<ClaimRow>(sql`${CLAIM_SELECT} WHERE c.id = ${id}::uuid${lock ? sql` FOR UPDATE OF c` : sql``}`);
  return r ? toView(r) : null;
}

// Mails ----------------------------------------------------------------------------------------------

const hello = (name: string) => (name ? `Bonjour ${name},` : 'Bonjour,');

export const claimMails = {
  accepted: (c: Config, to: string, name: string, structure: { id: string; name: string }, automatic: boolean): MailMessage =>
    renderMail(c, {
      to,
      subject: `Vous gérez maintenant ${structure.name} sur Passerelles`,
      greeting: hello(name),
      paragraphs: [
        automatic
          ? `Votre adresse électronique est au nom de domaine de « ${structure.name} » : votre demande de rattachement est acceptée.`
          : `Votre demande de rattachement à « ${structure.name} » a été acceptée.`,
        'Vous pouvez maintenant compléter la fiche de la structure : présentation, activités, zones d’intervention, contacts, logo.',
      ],
      action: { label: 'Compléter la fiche', path: `/structures/modifier/${structure.id}` },
    }),
  refused: (c: Config, to: string, name: string, structureName: string, reason: string): MailMessage =>
    renderMail(c, {
      to,
      subject: `Votre demande de rattachement à ${structureName} n’a pas été acceptée`,
      greeting: hello(name),
      paragraphs: [`Votre demande de rattachement à « ${structureName} » n’a pas été acceptée, pour le motif suivant :`, `« ${reason} »`],
      action: { label: 'Voir mes demandes', path: '/espace/rattachements' },
      after: ['Si vous pensez qu’il s’agit d’une erreur, vous pouvez envoyer une nouvelle demande en expliquant votre lien avec la structure.'],
    }),
  toDecide: (c: Config, to: string, claimant: { name: string; email: string }, structureName: string, message: string, path: string): MailMessage =>
    renderMail(c, {
      to,
      subject: `Demande de rattachement à ${structureName}`,
      greeting: 'Bonjour,',
      paragraphs: [
        `${claimant.name ? `${claimant.name} (${claimant.email})` : claimant.email} demande à gérer la fiche de « ${structureName} » sur Passerelles.`,
        ...(message ? [`Son message : « ${message} »`] : []),
        'Acceptez la demande si cette personne travaille bien pour la structure ; sinon refusez-la en indiquant le motif, qui lui sera transmis.',
      ],
      action: { label: 'Examiner la demande', path },
      reason: 'Vous recevez ce message parce que vous pouvez valider les rattachements de cette structure sur Passerelles.',
    }),
};

/** Who decides a new pending claim: the structure's administrators; else facilitators of its territory; else the platform team. */
async function deciders(q: Queryable, s: StructureLocated): Promise<{ emails: string[]; path: string }> {
  const admins = await q.query<{ email: string }>(
    sql`SELECT p.email FROM people p JOIN memberships m ON m.person_id = p.id JOIN organisations o ON o.id = m.organisation_id
        WHERE o.structure_id = ${s.id}::uuid AND m.role = 'admin' ORDER BY p.email`,
  );
  if (admins.length) return { emails: admins.map((r) => r.email), path: `/structures/modifier/${s.id}#rattachements` };
  const facilitators = await q.query<{ email: string }>(
    sql`SELECT DISTINCT p.email FROM people p JOIN memberships m ON m.person_id = p.id JOIN organisations o ON o.id = m.organisation_id
        WHERE o.type = 'facilitator' AND o.verified_at IS NOT NULL AND o.territory_keys && ${structureKeys(s)}::text[] ORDER BY p.email`,
  );
  if (facilitators.length) return { emails: facilitators.map((r) => r.email), path: '/admin/rattachements' };
  const platform = await q.query<{ email: string }>(
    `SELECT DISTINCT p.email FROM people p JOIN memberships m ON m.person_id = p.id JOIN organisations o ON o.id = m.organisation_id
     WHERE o.type = 'platform' ORDER BY p.email`,
  );
  return { emails: platform.map((r) => r.email), path: '/admin/rattachements' };
}

function structureKeys(s: StructureLocated): string[] {
  return [s.commune_code && `C${s.commune_code}`, s.epci_code && `E${s.epci_code}`, s.department_code && `D${s.department_code}`, s.region_code && `R${s.region_code}`].filter(
    (k): k is string => !!k,
  );
}

// Use cases ------------------------------------------------------------------------------------------

export interface RequestContext {
  ip: string;
}

const MESSAGE_MAX = 2000;

/** What the claim page of a structure needs to know about the signed-in person. */
export interface ClaimContext {
  structure: { id: string; name: string; slug: string };
  /** The person is already in the structure's organisation. */
  managed: boolean;
  pending: ClaimView | null;
  /** The person's address is at the structure's domain: a claim would be accepted at once. */
  domainMatch: 'website' | 'email' | null;
  emailConfirmed: boolean;
}

export async function claimContext(p: Platform, actor: Actor, structureId: string): Promise<ClaimContext> {
  const person = requirePerson(actor);
  const s = await findStructure(p.db, structureId);
  if (!s || s.hidden) throw notFound('Structure introuvable.');
  const pending = await p.db.one<{ id: string }>(sql`SELECT id FROM claims WHERE structure_id = ${s.id}::uuid AND person_id = ${person.id}::uuid AND status = 'pending'`);
  return {
    structure: { id: s.id, name: s.name, slug: s.slug },
    managed: !!membershipOfStructure(actor, s.id),
    pending: pending ? await findClaim(p.db, pending.id) : null,
    domainMatch: claimDomainMatch(person.email, await trustedContacts(p.db, s)),
    emailConfirmed: !!person.emailConfirmedAt,
  };
}

const alreadyPending = () => new AppError('CLAIM_ALREADY_PENDING', 'Vous avez déjà une demande en attente pour cette structure.', 409);

/** A person asks to manage a structure; accepted at once on a matching email domain. */
export async function createClaim(p: Platform, actor: Actor, input: { structureId?: unknown; message?: unknown }, ctx: RequestContext): Promise<ClaimView> {
  const person = requirePerson(actor);
  const structureId = typeof input.structureId === 'string' ? input.structureId : '';
  const message = typeof input.message === 'string' ? input.message.trim() : '';
  if (message.length > MESSAGE_MAX) throw new AppError('VALIDATION_FAILED', `Le message compte au plus ${MESSAGE_MAX} caractères.`, 422, { field: 'message', fields: { message: `Le message compte au plus ${MESSAGE_MAX} caractères.` } });
  const s = await findStructure(p.db, structureId);
  if (!s || s.hidden) throw notFound('Structure introuvable.');
  if (membershipOfStructure(actor, s.id)) throw new AppError('ALREADY_MANAGED', 'Vous gérez déjà cette structure : vous pouvez modifier sa fiche directement.', 409);
  if (!person.emailConfirmedAt) {
    throw new AppError('EMAIL_NOT_CONFIRMED', 'Confirmez d’abord votre adresse électronique (lien reçu à l’inscription) : un rattachement repose sur elle.', 403);
  }
  await rateLimit(p.db, 'claim', { ip: ctx.ip, account: person.id });
  const match = claimDomainMatch(person.email, await trustedContacts(p.db, s));
  let id: string;
  try {
    id = await p.db.transaction(async (tx) => {
      if (await tx.one(sql`SELECT 1 FROM claims WHERE structure_id = ${s.id}::uuid AND person_id = ${person.id}::uuid AND status = 'pending'`)) throw alreadyPending();
      const r = (await tx.one<{ id: string }>(
        sql`INSERT INTO claims (structure_id, person_id, status, message) VALUES (${s.id}::uuid, ${person.id}::uuid, 'pending', ${message}) RETURNING id`,
      )) as { id: string };
      await audit(tx, { actorId: person.id, action: 'claim.created', targetType: 'claim', targetId: r.id, after: { structureId: s.id, status: 'pending' } });
      if (match) {
        const role = await accept(tx, r.id, s, person.id, 'email_domain', null);
        await audit(tx, {
          actorId: person.id,
          action: 'claim.accepted',
          targetType: 'claim',
          targetId: r.id,
          organisationId: role.organisationId,
          before: { status: 'pending' },
          after: { status: 'accepted', rule: 'email_domain', matched: match, role: role.role },
        });
        await queueMail(tx, claimMails.accepted(p.config, person.email, person.name, s, true));
      } else {
        const d = await deciders(tx, s);
        for (const to of d.emails) await queueMail(tx, claimMails.toDecide(p.config, to, person, s.name, message, d.path));
      }
      return r.id;
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw alreadyPending();
    throw err;
  }
  return (await findClaim(p.db, id)) as ClaimView;
}

/** Marks the claim accepted and gives the person a place in the structure's organisation (created when missing). */
async function accept(tx: Queryable, claimId: string, s: StructureLocated, personId: string, rule: DecisionRule, deciderId: string | null): Promise<{ organisationId: string; role: Role }> {
  await tx.query(
    sql`UPDATE claims SET status = 'accepted', decided_by_rule = ${rule}, decided_by = ${deciderId}::uuid, decided_at = now() WHERE id = ${claimId}::uuid`,
  );
  let org = await tx.one<{ id: string }>(sql`SELECT id FROM organisations WHERE structure_id = ${s.id}::uuid FOR UPDATE`);
  if (!org) {
    org = await tx.one<{ id: string }>(
      sql`INSERT INTO organisations (type, name, structure_id) VALUES ('structure', ${s.name}, ${s.id}::uuid) ON CONFLICT (structure_id) DO NOTHING RETURNING id`,
    );
    if (org) {
      await audit(tx, { actorId: deciderId ?? personId, action: 'organisation.created', targetType: 'organisation', targetId: org.id, organisationId: org.id, after: { type: 'structure', structureId: s.id, name: s.name, byClaim: claimId } });
    } else org = await tx.one<{ id: string }>(sql`SELECT id FROM organisations WHERE structure_id = ${s.id}::uuid FOR UPDATE`);
  }
  const organisationId = (org as { id: string }).id;
  const admins = await tx.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM memberships WHERE organisation_id = ${organisationId}::uuid AND role = 'admin'`);
  const role: Role = (admins?.n ?? 0) === 0 ? 'admin' : 'member';
  const added = await tx.query(
    sql`INSERT INTO memberships (organisation_id, person_id, role) VALUES (${organisationId}::uuid, ${personId}::uuid, ${role}) ON CONFLICT DO NOTHING RETURNING 1`,
  );
  if (added.length) {
    await audit(tx, { actorId: deciderId ?? personId, action: 'membership.joined', targetType: 'person', targetId: personId, organisationId, after: { role, byClaim: claimId } });
  }
  return { organisationId, role };
}

/** The rule under which this actor decides for the structure (the closest one). */
function ruleOf(actor: Actor, s: StructureLocated): DecisionRule {
  if (membershipOfStructure(actor, s.id)?.role === 'admin') return 'structure_admin';
  if (facilitatorOf(actor, located(s))) return 'facilitator';
  return 'platform_admin';
}

export async function decideClaim(p: Platform, actor: Actor, claimId: string, input: { decision?: unknown; reason?: unknown }): Promise<ClaimView> {
  const me = requirePerson(actor);
  const decision = input.decision;
  if (decision !== 'accept' && decision !== 'refuse') {
    throw new AppError('VALIDATION_FAILED', 'Choisissez d’accepter ou de refuser la demande.', 422, { field: 'decision', fields: { decision: 'Choisissez d’accepter ou de refuser la demande.' } });
  }
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (decision === 'refuse' && reason.length < 3) {
    throw new AppError('REASON_REQUIRED', 'Indiquez le motif du refus : il sera transmis à la personne.', 422, { field: 'reason', fields: { reason: 'Indiquez le motif du refus : il sera transmis à la personne.' } });
  }
  if (reason.length > MESSAGE_MAX) throw new AppError('VALIDATION_FAILED', `Le motif compte au plus ${MESSAGE_MAX} caractères.`, 422, { field: 'reason', fields: { reason: `Le motif compte au plus ${MESSAGE_MAX} caractères.` } });
  const claim = await findClaim(p.db, claimId);
  if (!claim) throw notFound('Demande de rattachement introuvable.');
  const s = (await findStructure(p.db, claim.structure.id)) as StructureLocated;
  authorize(actor, canDecideClaim(actor, located(s)), 'Seuls un administrateur de la structure, un facilitateur de son territoire ou l’équipe de la plateforme décident de cette demande.');
  if (claim.claimant.id === me.id) throw new AppError('FORBIDDEN', 'Vous ne pouvez pas décider de votre propre demande.', 403);
  const rule = ruleOf(actor, s);
  await p.db.transaction(async (tx) => {
    const current = await findClaim(tx, claimId, true);
    if (current?.status !== 'pending') throw new AppError('CLAIM_ALREADY_DECIDED', 'Cette demande a déjà été traitée ou annulée.', 409);
    if (decision === 'accept') {
      const r = await accept(tx, claimId, s, claim.claimant.id, rule, me.id);
      if (reason) await tx.query(sql`UPDATE claims SET decision_reason = ${reason} WHERE id = ${claimId}::uuid`);
      await audit(tx, { actorId: me.id, action: 'claim.accepted', targetType: 'claim', targetId: claimId, organisationId: r.organisationId, before: { status: 'pending' }, after: { status: 'accepted', rule, role: r.role }, reason: reason || null });
      await queueMail(tx, claimMails.accepted(p.config, claim.claimant.email, claim.claimant.name, s, false));
    } else {
      await tx.query(
        sql`UPDATE claims SET status = 'refused', decided_by_rule = ${rule}, decided_by = ${me.id}::uuid, decision_reason = ${reason}, decided_at = now() WHERE id = ${claimId}::uuid`,
      );
      const org = await tx.one<{ id: string }>(sql`SELECT id FROM organisations WHERE structure_id = ${s.id}::uuid`);
      await audit(tx, { actorId: me.id, action: 'claim.refused', targetType: 'claim', targetId: claimId, organisationId: org?.id ?? null, before: { status: 'pending' }, after: { status: 'refused', rule }, reason });
      await queueMail(tx, claimMails.refused(p.config, claim.claimant.email, claim.claimant.name, s.name, reason));
    }
  });
  return (await findClaim(p.db, claimId)) as ClaimView;
}

/** The claimant withdraws a pending claim. */
export async function cancelClaim(p: Platform, actor: Actor, claimId: string): Promise<ClaimView> {
  const me = requirePerson(actor);
  const claim = await findClaim(p.db, claimId);
  if (!claim) throw notFound('Demande de rattachement introuvable.');
  authorize(actor, claim.claimant.id === me.id, 'Seule la personne qui a fait la demande peut l’annuler.');
  await p.db.transaction(async (tx) => {
    const current = await findClaim(tx, claimId, true);
    if (current?.status !== 'pending') throw new AppError('CLAIM_ALREADY_DECIDED', 'Cette demande a déjà été traitée ou annulée.', 409);
    await tx.query(sql`UPDATE claims SET status = 'cancelled', decided_at = now() WHERE id = ${claimId}::uuid`);
    await audit(tx, { actorId: me.id, action: 'claim.cancelled', targetType: 'claim', targetId: claimId, before: { status: 'pending' }, after: { status: 'cancelled' } });
  });
  return (await findClaim(p.db, claimId)) as ClaimView;
}

export async function getClaim(p: Platform, actor: Actor, claimId: string): Promise<ClaimView> {
  const me = requirePerson(actor);
  const claim = await findClaim(p.db, claimId);
  if (!claim) throw notFound('Demande de rattachement introuvable.');
  if (claim.claimant.id !== me.id) {
    const s = (await findStructure(p.db, claim.structure.id)) as StructureLocated;
    authorize(actor, canDecideClaim(actor, located(s)));
  }
  return claim;
}

/** Which claims an actor decides: SQL condition over claims c joined to structures s (FALSE when none). */
function decidableBy(actor: Actor): Sql {
  if (isPlatformAdmin(actor)) return sql`TRUE`;
  const parts: Sql[] = [];
  const adminOf = actor.memberships.filter((m) => m.type === 'structure' && m.role === 'admin' && m.structureId).map((m) => m.structureId as string);
  if (adminOf.length) parts.push(sql`c.structure_id = ANY(${adminOf}::uuid[])`);
  const keys = [...new Set(facilitatorMemberships(actor).flatMap((m) => m.territoryKeys))];
  if (keys.length) {
    parts.push(sql`ARRAY_REMOVE(ARRAY['C' || s.commune_code, 'E' || s.epci_code, 'D' || s.department_code, 'R' || s.region_code], NULL) && ${keys}::text[]`);
  }
  return sql.or(parts);
}

export interface ClaimListQuery {
  /** mine: the person's own claims; toDecide: the claims the person may decide (never their own). */
  scope?: 'mine' | 'toDecide';
  status?: ClaimStatus;
  structureId?: string;
  q?: string;
  page?: number;
  perPage?: number;
}

export interface ClaimList {
  items: ClaimView[];
  total: number;
  page: number;
  perPage: number;
}

export async function listClaims(p: Platform, actor: Actor, query: ClaimListQuery = {}): Promise<ClaimList> {
  const me = requirePerson(actor);
  const page = Math.max(1, Math.floor(query.page ?? 1));
  const perPage = Math.min(100, Math.max(1, Math.floor(query.perPage ?? 20)));
  const where: Sql[] = [query.scope === 'toDecide' ? sql`${decidableBy(actor)} AND c.person_id <> ${me.id}::uuid` : sql`c.person_id = ${me.id}::uuid`];
  if (query.status) where.push(sql`c.status = ${query.status}`);
  if (query.structureId) where.push(isUuid(query.structureId) ? sql`c.structure_id = ${query.structureId}::uuid` : sql`FALSE`);
  const text = query.q?.trim().slice(0, 200);
  if (text) {
    const like = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const digits = cleanIdentifier(text);
    where.push(sql`(f_unaccent(lower(s.name)) LIKE f_unaccent(${like}) OR lower(p.email) LIKE ${like} OR f_unaccent(lower(p.name)) LIKE f_unaccent(${like})
      ${/^\d{9,14}$/.test(digits) ? sql`OR s.siret LIKE ${`${digits}%`}` : sql``})`);
  }
  const cond = sql.and(where);
  const total = await p.db.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM claims c JOIN structures s ON s.id = c.structure_id JOIN people p ON p.id = c.person_id WHERE ${cond}`);
  // Pending first (oldest first: they have waited longest), then the latest decisions.
  const rows = await p.db.query<ClaimRow>(
    sql`${CLAIM_SELECT} WHERE ${cond}
        ORDER BY (c.status = 'pending') DESC, CASE WHEN c.status = 'pending' THEN c.created_at END ASC, coalesce(c.decided_at, c.created_at) DESC, c.id
        LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`,
  );
  return { items: rows.map(toView), total: total?.n ?? 0, page, perPage };
}

/** Whether the actor decides claims of this structure (for its edit page). */
export async function canDecideClaimsOf(p: Platform, actor: Actor, structureId: string): Promise<boolean> {
  const s = await findStructure(p.db, structureId);
  return !!s && !!actor.person && canDecideClaim(actor, located(s));
}
