// Posting and qualifying purchasing needs: drafts saved step by step, submission (a guest confirms by
// mail first), qualification by a facilitator of the need's territory (validate, ask for changes, reject),
// closing by the buyer, and the hourly closing of needs left without answer to asked changes.
import { audit } from '../../core/audit.ts';
import type { Queryable } from '../../core/db.ts';
import { AppError, notFound } from '../../core/errors.ts';
import { enqueue, registerHousekeeping, registerJobHandler } from '../../core/jobs.ts';
import { queueMail } from '../../core/mail.ts';
import type { Platform } from '../../core/platform.ts';
import { rateLimit } from '../../core/rate-limit.ts';
import { sign, signingKey, verify } from '../../core/signing.ts';
import { type Sql, sql } from '../../core/sql.ts';
import { normalize } from '../../core/text.ts';
import { removeUpload, saveUpload } from '../../core/uploads.ts';
import { isWebmailDomain } from '../accounts/claims.ts';
import type { Actor } from '../accounts/model.ts';
import { authorize, forbidden, isPlatformAdmin, requirePerson, unauthenticated } from '../accounts/policy.ts';
import { KIND_CODES, SERVICE_TYPE_CODES } from '../directory/model.ts';
import { RESERVATION_KINDS, RESERVATIONS } from '../matching/model.ts';
import { matchNeed } from '../matching/service.ts';
import { getReferentials, type Referentials, type Sector } from '../referentials/service.ts';
import { loadTerritories } from '../territories/data.ts';
import { type Attachment, ATTACHMENTS_MAX, checkAttachment, cleanName as cleanFileName, toAttachment, type UploadedFile } from './attachments.ts';
import { needMails } from './mails.ts';
import { NEED_KINDS, NEED_STATUSES, type NeedInput, NeedInputSchema, type NeedStatus } from './model.ts';
import { canEditNeed, canQualifyNeed, canSeeNeed, isNeedBuyer } from './policy.ts';
import { criteriaOf, findNeed, type Need, needPlaceKeys, nextReference, toNeed } from './repository.ts';

// Rules and durations -------------------------------------------------------------------------------

/** Days a buyer has to answer asked changes before the need is closed. */
export const CHANGES_DAYS = 10;
/** Days a guest's confirmation link stays valid. */
export const CONFIRM_DAYS = 7;
/** Days a guest's browser keeps access to the need it posts (signed cookie). */
export const GUEST_DAYS = 30;

export const GUEST_COOKIE = 'pa_besoin';
const PURPOSE_GUEST = 'need-guest';
const PURPOSE_CONFIRM = 'need-confirm';

/** Who is editing: the actor of the request, and whether the browser holds this need's guest cookie. */
export interface Editor {
  actor: Actor;
  guest: boolean;
}

export interface RequestContext {
  ip: string;
  now?: Date;
}

export type Field = keyof NeedInput;

/** Fields by step of the posting form (step 5 also takes attachments, step 6 is the review). */
export const STEP_FIELDS: Record<number, Field[]> = {
  1: ['kind', 'title', 'description'],
  2: ['placeKind', 'placeCommune', 'placeKeys', 'answerDeadline', 'startDate'],
  3: ['amountMin', 'amountMax', 'serviceTypes', 'sectors', 'structureKinds'],
  4: ['reservation', 'socialClause', 'insertionHours', 'socialCriterion', 'environmentalRequirements'],
  5: ['questions'],
  6: ['contactName', 'contactEmail', 'contactPhone', 'buyerName'],
};
export const ALL_FIELDS = Object.values(STEP_FIELDS).flat();

export const FIELD_LABEL: Record<Field | 'attachments' | 'organisationId', string> = {
  kind: 'Type de besoin',
  title: 'Titre',
  description: 'Description',
  placeKind: 'Lieu d’exécution',
  placeCommune: 'Commune',
  placeKeys: 'Départements ou région',
  answerDeadline: 'Date limite de réponse',
  startDate: 'Date de début de la prestation',
  amountMin: 'Montant minimum',
  amountMax: 'Montant maximum',
  serviceTypes: 'Type de prestation',
  sectors: 'Secteurs d’activité',
  structureKinds: 'Types de structure',
  reservation: 'Marché réservé',
  socialClause: 'Clause sociale d’insertion',
  insertionHours: 'Heures d’insertion',
  socialCriterion: 'Critère social',
  environmentalRequirements: 'Exigences environnementales',
  questions: 'Questions aux structures',
  contactName: 'Nom de la personne à contacter',
  contactEmail: 'Adresse électronique',
  contactPhone: 'Téléphone',
  buyerName: 'Organisation acheteuse',
  attachments: 'Pièces jointes',
  organisationId: 'Organisation',
};

export type FieldErrors = Partial<Record<string, string>>;

export function validationError(errors: FieldErrors): AppError {
  const fields = Object.keys(errors);
  const names = fields.map((f) => FIELD_LABEL[f as Field] ?? f);
  const message =
    fields.length === 1 ? `Un champ est à corriger : ${names[0]}.` : `${fields.length} champs sont à corriger : ${names.join(', ')}.`;
  return new AppError('VALIDATION_FAILED', message, 422, { field: fields[0], fields: errors });
}

/** Today in Paris, as YYYY-MM-DD (the dates people type are Paris dates). */
export function todayParis(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

const validDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86400_000).toISOString().slice(0, 10);

/** What a need holds, as the input it was written with. */
export function inputOf(n: Need): NeedInput {
  return {
    kind: n.kind,
    title: n.title,
    description: n.description,
    placeKind: n.placeKind ?? ('' as never),
    placeCommune: n.placeCommune,
    placeKeys: n.placeKeys,
    answerDeadline: n.answerDeadline,
    startDate: n.startDate,
    amountMin: n.amountMin,
    amountMax: n.amountMax,
    serviceTypes: n.serviceTypes,
    sectors: n.sectors,
    structureKinds: n.structureKinds,
    reservation: n.reservation,
    socialClause: n.socialClause,
    insertionHours: n.insertionHours,
    socialCriterion: n.socialCriterion,
    environmentalRequirements: n.environmentalRequirements,
    questions: n.questions,
    contactName: n.contactName,
    contactEmail: n.contactEmail,
    contactPhone: n.contactPhone,
    buyerName: n.buyerName,
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The rules of a complete need, for the given fields (other fields are read for the rules that compare
 * two of them). Returns one French message per field in error.
 */
export function checkFields(v: NeedInput, fields: Field[], o: { refs: Referentials; guest: boolean; today: string }): FieldErrors {
  const e: FieldErrors = {};
  const has = (f: Field) => fields.includes(f);
  const len = (s: string | null | undefined) => (s ?? '').trim().length;
  if (has('kind') && !NEED_KINDS.includes(v.kind)) e.kind = 'Choisissez le type de besoin : demande de devis, appel d’offres ou sourcing.';
  if (has('title')) {
    if (len(v.title) < 5) e.title = 'Indiquez un titre d’au moins 5 caractères.';
    else if (len(v.title) > 200) e.title = 'Le titre compte au plus 200 caractères.';
  }
  if (has('description')) {
    if (len(v.description) < 20) e.description = 'Décrivez votre besoin en 20 caractères au moins : ce qui est attendu, les quantités, le contexte.';
    else if (len(v.description) > 10000) e.description = 'La description compte au plus 10 000 caractères.';
  }
  if (has('placeKind') && !['commune', 'territories', 'country'].includes(v.placeKind as string)) e.placeKind = 'Indiquez où la prestation sera réalisée.';
  const territories = loadTerritories();
  if (has('placeCommune') && v.placeKind === 'commune' && !(v.placeCommune && territories.commune(v.placeCommune))) {
    e.placeCommune = 'Choisissez la commune où la prestation sera réalisée (nom, code postal ou code INSEE).';
  }
  if (has('placeKeys') && v.placeKind === 'territories') {
    const unknown = v.placeKeys.filter((k) => !territories.byKey.has(k));
    if (!v.placeKeys.length) e.placeKeys = 'Indiquez au moins un département ou une région.';
    else if (unknown.length) e.placeKeys = `Territoire inconnu : ${unknown.join(', ')}.`;
  }
  if (has('answerDeadline')) {
    if (!v.answerDeadline) e.answerDeadline = 'Indiquez la date limite de réponse des structures.';
    else if (!validDate(v.answerDeadline)) e.answerDeadline = 'Date invalide : utilisez le format JJ/MM/AAAA.';
    else if (v.answerDeadline < o.today) e.answerDeadline = 'La date limite de réponse est passée : choisissez aujourd’hui ou une date à venir.';
    else if (v.answerDeadline > addDays(o.today, 730)) e.answerDeadline = 'La date limite de réponse est à plus de deux ans : vérifiez-la.';
  }
  if (has('startDate') && v.startDate) {
    if (!validDate(v.startDate)) e.startDate = 'Date invalide : utilisez le format JJ/MM/AAAA.';
    else if (v.answerDeadline && validDate(v.answerDeadline) && v.startDate < v.answerDeadline) {
      e.startDate = 'La prestation ne peut pas commencer avant la date limite de réponse.';
    }
  }
  for (const f of ['amountMin', 'amountMax'] as const) {
    const n = v[f];
    if (has(f) && n !== null && (!Number.isFinite(n) || n < 0 || n > 1e10)) e[f] = 'Indiquez un montant en euros hors taxes, positif.';
  }
  if (has('amountMax') && !e.amountMax && !e.amountMin && v.amountMin !== null && v.amountMax !== null && v.amountMin > v.amountMax) {
    e.amountMax = 'Le montant maximum doit être supérieur ou égal au montant minimum.';
  }
  if (has('serviceTypes') && v.serviceTypes.some((t) => !SERVICE_TYPE_CODES.includes(t))) e.serviceTypes = 'Type de prestation inconnu.';
  if (has('sectors')) {
    const unknown = v.sectors.filter((s) => !o.refs.sectorBySlug.has(s));
    if (!v.sectors.length) e.sectors = 'Choisissez au moins un secteur d’activité : c’est lui qui permet de trouver les structures.';
    else if (unknown.length) e.sectors = `Secteur inconnu : ${unknown.join(', ')}.`;
    else if (v.sectors.length > 20) e.sectors = 'Choisissez au plus 20 secteurs.';
  }
  if (has('structureKinds')) {
    if (v.structureKinds.some((k) => !KIND_CODES.includes(k))) e.structureKinds = 'Type de structure inconnu.';
    else if (v.reservation) {
      const allowed = RESERVATION_KINDS[v.reservation];
      const refused = v.structureKinds.filter((k) => !allowed.includes(k));
      if (refused.length) e.structureKinds = `Ces types de structure ne peuvent pas répondre à un marché réservé au titre de l’article ${v.reservation} : ${refused.join(', ')}.`;
    }
  }
  if (has('reservation') && v.reservation !== null && !RESERVATIONS.includes(v.reservation)) e.reservation = 'Choisissez un type de marché réservé, ou aucun.';
  if (has('insertionHours') && v.insertionHours !== null && (!Number.isInteger(v.insertionHours) || v.insertionHours < 0 || v.insertionHours > 1_000_000)) {
    e.insertionHours = 'Indiquez un nombre entier d’heures, positif.';
  }
  if (has('environmentalRequirements') && len(v.environmentalRequirements) > 5000) e.environmentalRequirements = 'Les exigences environnementales comptent au plus 5 000 caractères.';
  if (has('questions')) {
    if (v.questions.length > 10) e.questions = 'Posez au plus 10 questions.';
    else {
      const bad = v.questions.findIndex((q) => len(q.text) < 3 || len(q.text) > 500);
      if (bad >= 0) e.questions = `La question n° ${bad + 1} doit compter entre 3 et 500 caractères.`;
    }
  }
  if (has('contactName') && (len(v.contactName) < 2 || len(v.contactName) > 120)) e.contactName = 'Indiquez le nom de la personne que les structures pourront contacter.';
  if (has('contactEmail')) {
    const email = (v.contactEmail ?? '').trim().toLowerCase();
    if (!EMAIL.test(email) || email.length > 254) e.contactEmail = 'Indiquez une adresse électronique valide, au format nom@domaine.fr.';
    else if (o.guest && isWebmailDomain(email.slice(email.lastIndexOf('@') + 1))) {
      e.contactEmail = 'Indiquez votre adresse professionnelle : les messageries grand public (gmail.com, orange.fr, hotmail.fr…) ne sont pas acceptées pour déposer un besoin sans compte.';
    }
  }
  if (has('contactPhone')) {
    const digits = (v.contactPhone ?? '').replace(/\D/g, '');
    if (!/^[+\d][\d\s.()-]*$/.test((v.contactPhone ?? '').trim()) || digits.length < 10 || digits.length > 15) {
      e.contactPhone = 'Indiquez un numéro de téléphone valide, par exemple 03 20 00 00 00.';
    }
  }
  if (has('buyerName') && (len(v.buyerName) < 2 || len(v.buyerName) > 200)) e.buyerName = 'Indiquez le nom de votre organisation (collectivité, entreprise, établissement…).';
  return e;
}

/**
 * Reads an API body (or a form already turned into values): each known field parsed on its own, so that
 * every field in error gets its own French message. Unknown fields are ignored.
 */
export function parseInput(raw: unknown): { values: Partial<NeedInput>; errors: FieldErrors } {
  const values: Partial<NeedInput> = {};
  const errors: FieldErrors = {};
  if (!raw || typeof raw !== 'object') return { values, errors };
  const shape = NeedInputSchema.shape;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(key in shape) || value === undefined) continue;
    const f = key as Field;
    const r = (shape[f] as unknown as { safeParse: (v: unknown) => { success: boolean; data?: unknown } }).safeParse(value);
    if (r.success) (values as Record<string, unknown>)[f] = r.data;
    else errors[f] = `Valeur invalide pour « ${FIELD_LABEL[f]} ».`;
  }
  return { values, errors };
}

// Sector suggestion ----------------------------------------------------------------------------------

const STOP_WORDS = new Set(
  'les des une pour par avec sur dans aux que qui est sont nos vos leur leurs plus son ses tout tous toute toutes entre sans sous chez autre autres etc'.split(' '),
);

/** Words of a text, normalised and roughly stemmed (plurals, verb endings): "nettoyer" and "nettoyage" meet. */
function stems(text: string): string[] {
  return normalize(text)
    .split(' ')
    .filter((w) => w.length >= 3 && !STOP_WORDS.has(w) && !/^\d+$/.test(w))
    .map((w) =>
      w
        .replace(/(ements|ement|ations|ation|ages|age|eurs|euse|eur|ees|ee|es|er|ir|s|x)$/, '')
        .slice(0, 7),
    )
    .filter((w) => w.length >= 3);
}

/**
 * Sectors whose name words appear in the text (title and description), best first: a simple, explainable
 * suggestion the buyer then edits. "Autre (…)" sectors are never suggested.
 */
export function suggestSectors(refs: Referentials, text: string, limit = 5): Sector[] {
  const words = new Set(stems(text));
  if (!words.size) return [];
  const scored: { s: Sector; score: number }[] = [];
  for (const s of refs.sectorBySlug.values()) {
    if (normalize(s.name).startsWith('autre')) continue;
    const own = [...new Set(stems(s.name))];
    if (!own.length) continue;
    const hits = own.filter((w) => words.has(w)).length;
    if (!hits) continue;
    const group = [...new Set(stems(s.groupName))].filter((w) => words.has(w)).length;
    scored.push({ s, score: hits / own.length + hits * 0.5 + group * 0.25 });
  }
  return scored
    .sort((a, b) => b.score - a.score || a.s.name.localeCompare(b.s.name, 'fr'))
    .slice(0, limit)
    .map((x) => x.s);
}

// Writing ---------------------------------------------------------------------------------------------

const COLUMN: Record<Field, { col: string; cast: string }> = {
  kind: { col: 'kind', cast: 'text' },
  title: { col: 'title', cast: 'text' },
  description: { col: 'description', cast: 'text' },
  placeKind: { col: 'place_kind', cast: 'text' },
  placeCommune: { col: 'place_commune', cast: 'text' },
  placeKeys: { col: 'place_keys', cast: 'text[]' },
  answerDeadline: { col: 'answer_deadline', cast: 'date' },
  startDate: { col: 'start_date', cast: 'date' },
  amountMin: { col: 'amount_min', cast: 'numeric' },
  amountMax: { col: 'amount_max', cast: 'numeric' },
  serviceTypes: { col: 'service_types', cast: 'text[]' },
  sectors: { col: 'sectors', cast: 'text[]' },
  structureKinds: { col: 'structure_kinds', cast: 'text[]' },
  reservation: { col: 'reservation', cast: 'text' },
  socialClause: { col: 'social_clause', cast: 'boolean' },
  insertionHours: { col: 'insertion_hours', cast: 'int' },
  socialCriterion: { col: 'social_criterion', cast: 'boolean' },
  environmentalRequirements: { col: 'environmental_requirements', cast: 'text' },
  questions: { col: 'questions', cast: 'jsonb' },
  contactName: { col: 'contact_name', cast: 'text' },
  contactEmail: { col: 'contact_email', cast: 'text' },
  contactPhone: { col: 'contact_phone', cast: 'text' },
  buyerName: { col: 'buyer_name', cast: 'text' },
};

/** Values as stored: trimmed text, the place cleaned of what its kind does not use, hours only with a clause. */
function normalised(v: NeedInput, fields: Field[]): Partial<NeedInput> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const x = v[f];
    out[f] = typeof x === 'string' ? x.trim() : x;
  }
  if (fields.includes('placeKind')) {
    if (v.placeKind !== 'commune') out.placeCommune = null;
    if (v.placeKind !== 'territories') out.placeKeys = [];
  }
  if (fields.includes('socialClause') && !v.socialClause) out.insertionHours = null;
  if (fields.includes('contactEmail')) out.contactEmail = (v.contactEmail ?? '').trim().toLowerCase();
  if (fields.includes('questions')) out.questions = v.questions.map((q, i) => ({ id: q.id || `q${i + 1}`, text: q.text.trim() }));
  return out as Partial<NeedInput>;
}

async function writeFields(tx: Queryable, id: string, values: Partial<NeedInput>): Promise<void> {
  const sets: Sql[] = [];
  for (const [f, value] of Object.entries(values)) {
    const c = COLUMN[f as Field];
    if (!c) continue;
    const v = c.cast === 'jsonb' ? JSON.stringify(value) : (value ?? null);
    sets.push(c.cast === 'jsonb' ? sql`${sql.raw(c.col)} = ${v}::text::jsonb` : sql`${sql.raw(c.col)} = ${v}::${sql.raw(c.cast)}`);
  }
  if (!sets.length) return;
  await tx.query(sql`UPDATE needs SET ${sql.join(sets)}, updated_at = now() WHERE id = ${id}::uuid`);
}

function diff(before: NeedInput, after: Partial<NeedInput>): { before: Record<string, unknown>; after: Record<string, unknown> } | null {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const [f, v] of Object.entries(after)) {
    const old = before[f as Field];
    if (JSON.stringify(old ?? null) !== JSON.stringify(v ?? null)) {
      b[f] = old ?? null;
      a[f] = v ?? null;
    }
  }
  return Object.keys(a).length ? { before: b, after: a } : null;
}

// Access ----------------------------------------------------------------------------------------------

/** The guest's key to a need, kept in a signed cookie: `<need id>.<signature>`. */
export async function guestCookieValue(p: Platform, needId: string, now = new Date()): Promise<string> {
  return `${needId}.${sign(await signingKey(p.db), PURPOSE_GUEST, needId, new Date(now.getTime() + GUEST_DAYS * 86400_000))}`;
}

/** The need id a guest cookie opens, or null when it is absent, altered or expired. */
export async function guestNeedId(p: Platform, cookie: string | undefined, now = new Date()): Promise<string | null> {
  const m = /^([0-9a-f-]{36})\.(.+)$/.exec(cookie ?? '');
  if (!m) return null;
  return verify(await signingKey(p.db), PURPOSE_GUEST, m[1], m[2], now).ok ? m[1] : null;
}

/** A need posted without an account: no organisation, no author. */
const isGuestNeed = (n: Need) => n.buyerOrganisationId === null && n.authorId === null;

const guestOwns = (e: Editor, n: Need) => e.guest && isGuestNeed(n);

/** The buyer's side may edit drafts, needs awaiting confirmation and needs whose changes were asked. */
export function mayEdit(e: Editor, n: Need): boolean {
  if (guestOwns(e, n)) return n.status === 'draft' || n.status === 'awaiting_confirmation' || n.status === 'changes_requested';
  return canEditNeed(e.actor, n);
}

const isBuyerSide = (e: Editor, n: Need) => guestOwns(e, n) || isNeedBuyer(e.actor, n);

function deny(e: Editor): never {
  if (!e.actor.person && !e.actor.token) throw unauthenticated();
  throw forbidden('Vous ne pouvez pas modifier ce besoin.');
}

async function needOr404(q: Queryable, id: string, lock = false): Promise<Need> {
  const n = await findNeed(q, id, { lock });
  if (!n) throw notFound('Besoin introuvable.');
  return n;
}

/** A need the editor may change (404 when it does not exist, 401/403 otherwise, 409 when its status forbids). */
export async function needForEdit(p: Platform, e: Editor, id: string): Promise<Need> {
  const n = await needOr404(p.db, id);
  if (!mayEdit(e, n)) {
    if (isBuyerSide(e, n) || canQualifyNeed(e.actor, n)) throw notEditable(n);
    deny(e);
  }
  return n;
}

const notEditable = (n: Need) =>
  new AppError('NEED_NOT_EDITABLE', `Ce besoin ne peut plus être modifié (${n.status === 'submitted' ? 'il est en cours de qualification' : 'son statut ne le permet plus'}).`, 409);

// Use cases: posting ---------------------------------------------------------------------------------

/** Buyer organisations the actor acts for (a token: its own, when it is a buyer). */
export const buyerMemberships = (a: Actor) => a.memberships.filter((m) => m.type === 'buyer');

function organisationFor(actor: Actor, organisationId: unknown): { id: string; name: string } | null {
  if (!actor.person && !actor.token) return null;
  const buyers = buyerMemberships(actor);
  if (!buyers.length) {
    throw new AppError(
      'NO_BUYER_ORGANISATION',
      actor.token ? 'Ce jeton n’appartient pas à une organisation d’acheteur.' : 'Pour déposer un besoin avec votre compte, créez ou rejoignez d’abord une organisation d’acheteur.',
      403,
    );
  }
  const m = typeof organisationId === 'string' && organisationId ? buyers.find((b) => b.organisationId === organisationId) : buyers.length === 1 ? buyers[0] : null;
  if (!m) throw validationError({ organisationId: 'Choisissez l’organisation pour laquelle vous déposez ce besoin.' });
  return { id: m.organisationId, name: m.organisationName };
}

/** Starts a need from its first step (or from a whole API body): a draft of the actor's organisation or of a guest. */
export async function createDraft(p: Platform, actor: Actor, raw: Record<string, unknown>, ctx: RequestContext & { source?: 'form' | 'api' }): Promise<Need> {
  const { values, errors } = parseInput(raw);
  const org = organisationFor(actor, raw.organisationId);
  const refs = await getReferentials(p.db);
  const base = emptyInput(actor, org);
  const v: NeedInput = { ...base, ...values };
  const fieldErrors = { ...pick(errors, STEP_FIELDS[1]), ...checkFields(v, STEP_FIELDS[1], { refs, guest: !org, today: todayParis(ctx.now) }) };
  if (Object.keys(fieldErrors).length) throw validationError(fieldErrors);
  await rateLimit(p.db, 'needPost', { ip: ctx.ip, account: actor.person?.id ?? actor.token?.organisationId ?? null });
  const id = await p.db.transaction(async (tx) => {
    const reference = await nextReference(tx, ctx.now);
    const r = (await tx.one<{ id: string }>(sql`
      INSERT INTO needs (reference, kind, buyer_organisation_id, author_id, source)
      VALUES (${reference}, ${v.kind}, ${org?.id ?? null}::uuid, ${actor.person?.id ?? null}::uuid, ${ctx.source ?? 'form'})
      RETURNING id`)) as { id: string };
    await writeFields(tx, r.id, normalised(v, ALL_FIELDS.filter((f) => f !== 'kind')));
    return r.id;
  });
  return (await findNeed(p.db, id)) as Need;
}

/**
 * API: a whole need in one call, created and submitted at once when complete (a buyer organisation's member
 * or write token); otherwise 422 with every field in error, and nothing is created.
 */
export async function createAndSubmit(p: Platform, actor: Actor, raw: Record<string, unknown>, ctx: RequestContext): Promise<Need> {
  const { values, errors } = parseInput(raw);
  const org = organisationFor(actor, raw.organisationId) as { id: string; name: string };
  const refs = await getReferentials(p.db);
  const v: NeedInput = { ...emptyInput(actor, org), ...values };
  const fieldErrors = { ...errors, ...checkFields(v, ALL_FIELDS, { refs, guest: false, today: todayParis(ctx.now) }) };
  if (Object.keys(fieldErrors).length) throw validationError(fieldErrors);
  await rateLimit(p.db, 'needPost', { ip: ctx.ip, account: actor.person?.id ?? actor.token?.organisationId ?? null });
  const id = await p.db.transaction(async (tx) => {
    const reference = await nextReference(tx, ctx.now);
    const r = (await tx.one<{ id: string }>(sql`
      INSERT INTO needs (reference, kind, buyer_organisation_id, author_id, source)
      VALUES (${reference}, ${v.kind}, ${org.id}::uuid, ${actor.person?.id ?? null}::uuid, 'api')
      RETURNING id`)) as { id: string };
    await writeFields(tx, r.id, normalised(v, ALL_FIELDS.filter((f) => f !== 'kind')));
    const created = (await findNeed(tx, r.id)) as Need;
    await markSubmitted(p, tx, created, { id: actor.person?.id ?? null, kind: actor.person ? 'person' : 'api_token' });
    return r.id;
  });
  return (await findNeed(p.db, id)) as Need;
}

/** A need with nothing filled in yet, contact prefilled from the signed-in person and organisation. */
export function emptyInput(actor: Actor, org: { name: string } | null): NeedInput {
  return {
    kind: '' as never,
    title: '',
    description: '',
    placeKind: null as never,
    placeCommune: null,
    placeKeys: [],
    answerDeadline: null,
    startDate: null,
    amountMin: null,
    amountMax: null,
    serviceTypes: [],
    sectors: [],
    structureKinds: [],
    reservation: null,
    socialClause: false,
    insertionHours: null,
    socialCriterion: false,
    environmentalRequirements: '',
    questions: [],
    contactName: actor.person?.name ?? '',
    contactEmail: actor.person?.email ?? '',
    contactPhone: '',
    buyerName: org?.name ?? '',
  };
}

const pick = (errors: FieldErrors, fields: Field[]) => Object.fromEntries(Object.entries(errors).filter(([k]) => fields.includes(k as Field)));

/**
 * Saves some fields of a need (a step of the form, an API PATCH, a qualifier's correction), checked with
 * the rules of a complete need. A guest's need awaiting confirmation goes back to draft (to be sent again).
 * A qualifier's change is audited with what it was and what it becomes.
 */
export async function saveNeed(p: Platform, e: Editor, id: string, values: Partial<NeedInput>, fields: Field[], ctx: { now?: Date; parseErrors?: FieldErrors } = {}): Promise<Need> {
  const n = await needForEdit(p, e, id);
  const refs = await getReferentials(p.db);
  const v: NeedInput = { ...inputOf(n), ...values };
  const errors = { ...checkFields(v, fields, { refs, guest: isGuestNeed(n), today: todayParis(ctx.now) }), ...pick(ctx.parseErrors ?? {}, fields) };
  if (Object.keys(errors).length) throw validationError(errors);
  const changes = normalised(v, fields);
  await p.db.transaction(async (tx) => {
    const current = await needOr404(tx, id, true);
    if (!mayEdit(e, current)) throw notEditable(current);
    await writeFields(tx, id, changes);
    if (current.status === 'awaiting_confirmation') await tx.query(sql`UPDATE needs SET status = 'draft' WHERE id = ${id}::uuid`);
    if (!isBuyerSide(e, current)) {
      const d = diff(inputOf(current), changes);
      if (d) await audit(tx, { actorId: e.actor.person?.id ?? null, action: 'need.edited', targetType: 'need', targetId: id, organisationId: current.buyerOrganisationId, ...d });
    }
  });
  return (await findNeed(p.db, id)) as Need;
}

/** People told about a need to qualify: the verified facilitators of its place; the platform team otherwise. */
async function qualifierEmails(q: Queryable, n: Need): Promise<string[]> {
  const keys = needPlaceKeys(n);
  if (keys?.length) {
    const rows = await q.query<{ email: string }>(sql`
      SELECT DISTINCT p.email FROM people p JOIN memberships m ON m.person_id = p.id JOIN organisations o ON o.id = m.organisation_id
      WHERE o.type = 'facilitator' AND o.verified_at IS NOT NULL AND o.territory_keys && ${keys}::text[] ORDER BY p.email`);
    if (rows.length) return rows.map((r) => r.email);
  }
  const rows = await q.query<{ email: string }>(`
    SELECT DISTINCT p.email FROM people p JOIN memberships m ON m.person_id = p.id JOIN organisations o ON o.id = m.organisation_id
    WHERE o.type = 'platform' ORDER BY p.email`);
  return rows.map((r) => r.email);
}

/** Marks a need submitted and tells who qualifies it (inside the caller's transaction). */
async function markSubmitted(p: Platform, tx: Queryable, n: Need, actor: { id: string | null; kind?: string }): Promise<void> {
  const again = n.status === 'changes_requested';
  await tx.query(sql`UPDATE needs SET status = 'submitted', submitted_at = now(), updated_at = now() WHERE id = ${n.id}::uuid`);
  await audit(tx, {
    actorId: actor.id,
    actorKind: actor.kind,
    action: again ? 'need.resubmitted' : 'need.submitted',
    targetType: 'need',
    targetId: n.id,
    organisationId: n.buyerOrganisationId,
    before: { status: n.status },
    after: { status: 'submitted' },
  });
  const fresh = (await findNeed(tx, n.id)) as Need;
  for (const to of await qualifierEmails(tx, fresh)) await queueMail(tx, needMails.toQualify(p.config, to, fresh, again));
  await queueMail(tx, needMails.submitted(p.config, fresh, isGuestNeed(fresh) ? null : `/besoins/${fresh.id}`));
}

export type SubmitResult = { need: Need; outcome: 'submitted' | 'awaiting_confirmation' };

/**
 * Sends a complete need. A member of a buyer organisation (or its API token): submitted at once. A guest:
 * professional address required, rate limited, then a confirmation link by mail (submitted once clicked);
 * after asked changes, a guest's need (whose address was proven) is submitted at once.
 */
export async function submitNeed(p: Platform, e: Editor, id: string, ctx: RequestContext): Promise<SubmitResult> {
  const n = await needOr404(p.db, id);
  if (!isBuyerSide(e, n)) deny(e);
  if (!['draft', 'awaiting_confirmation', 'changes_requested'].includes(n.status)) {
    throw new AppError('NEED_ALREADY_SUBMITTED', 'Ce besoin a déjà été envoyé.', 409);
  }
  const refs = await getReferentials(p.db);
  const guest = isGuestNeed(n);
  const errors = checkFields(inputOf(n), ALL_FIELDS, { refs, guest, today: todayParis(ctx.now) });
  if (Object.keys(errors).length) throw validationError(errors);
  const confirmFirst = guest && n.status !== 'changes_requested';
  if (guest) await rateLimit(p.db, 'needPost', { ip: ctx.ip, account: n.contactEmail });
  const key = await signingKey(p.db);
  await p.db.transaction(async (tx) => {
    const current = await needOr404(tx, id, true);
    if (current.status !== n.status) throw new AppError('NEED_ALREADY_SUBMITTED', 'Ce besoin a changé entre-temps : rechargez la page.', 409);
    if (confirmFirst) {
      await tx.query(sql`UPDATE needs SET status = 'awaiting_confirmation', updated_at = now() WHERE id = ${id}::uuid`);
      const token = sign(key, PURPOSE_CONFIRM, id, new Date((ctx.now ?? new Date()).getTime() + CONFIRM_DAYS * 86400_000));
      await queueMail(tx, needMails.confirmGuest(p.config, current, `/besoins/confirmation?besoin=${id}&jeton=${encodeURIComponent(token)}`, CONFIRM_DAYS));
    } else await markSubmitted(p, tx, current, { id: e.actor.person?.id ?? null, kind: e.actor.person ? 'person' : e.actor.token ? 'api_token' : 'guest' });
  });
  return { need: (await findNeed(p.db, id)) as Need, outcome: confirmFirst ? 'awaiting_confirmation' : 'submitted' };
}

/** Checks a guest's confirmation link (before showing its button). */
export async function checkConfirmation(p: Platform, id: string, token: string, now = new Date()): Promise<Need> {
  const n = await findNeed(p.db, id);
  const v = n ? verify(await signingKey(p.db), PURPOSE_CONFIRM, id, token, now) : ({ ok: false, reason: 'invalid' } as const);
  if (!n || !v.ok) {
    if (!v.ok && v.reason === 'expired') throw new AppError('LINK_EXPIRED', 'Ce lien de confirmation a expiré. Déposez de nouveau votre besoin.', 410);
    throw new AppError('LINK_INVALID', 'Ce lien de confirmation n’est pas valide. Copiez l’adresse complète reçue par courriel.', 400);
  }
  return n;
}

/** The guest clicked the confirmation button: the need is submitted (once; a second click changes nothing). */
export async function confirmGuestNeed(p: Platform, id: string, token: string, now = new Date()): Promise<{ need: Need; already: boolean }> {
  await checkConfirmation(p, id, token, now);
  const already = await p.db.transaction(async (tx) => {
    const n = await needOr404(tx, id, true);
    if (n.status !== 'awaiting_confirmation') return true;
    await markSubmitted(p, tx, n, { id: null, kind: 'guest' });
    return false;
  });
  return { need: (await findNeed(p.db, id)) as Need, already };
}

// Use cases: qualifying ------------------------------------------------------------------------------

export const DECISIONS = ['validate', 'request_changes', 'reject'] as const;
export type Decision = (typeof DECISIONS)[number];

/** The link a buyer follows to edit after asked changes: the form when signed in, a signed link for a guest. */
async function editLink(p: Platform, n: Need, now: Date): Promise<string> {
  if (!isGuestNeed(n)) return `/besoins/${n.id}/etape/1`;
  const token = sign(await signingKey(p.db), PURPOSE_GUEST, n.id, new Date(now.getTime() + (CHANGES_DAYS + 1) * 86400_000));
  return `/besoins/${n.id}/reprendre?jeton=${encodeURIComponent(token)}`;
}

/** Opens a guest's need from the link of a mail: the browser gets the guest cookie. */
export async function guestLinkCookie(p: Platform, id: string, token: string, now = new Date()): Promise<string> {
  const v = verify(await signingKey(p.db), PURPOSE_GUEST, id, token, now);
  if (!v.ok) {
    if (v.reason === 'expired') throw new AppError('LINK_EXPIRED', 'Ce lien a expiré.', 410);
    throw new AppError('LINK_INVALID', 'Ce lien n’est pas valide. Copiez l’adresse complète reçue par courriel.', 400);
  }
  await needOr404(p.db, id);
  return guestCookieValue(p, id, now);
}

/**
 * A facilitator of the need's territory (or the platform team) decides on a submitted need: validate (the
 * first batch is sent by the 'needs.send' job queued in the same transaction), ask for changes with a
 * message (mail with a link to edit), or reject with a reason (mail). Every decision is audited.
 */
export async function qualifyNeed(p: Platform, actor: Actor, id: string, input: { decision?: unknown; message?: unknown }, now = new Date()): Promise<Need> {
  const me = requirePerson(actor);
  const decision = input.decision as Decision;
  if (!DECISIONS.includes(decision)) {
    throw new AppError('VALIDATION_FAILED', 'Choisissez de valider, de demander des modifications ou de refuser.', 422, { field: 'decision', fields: { decision: 'Choisissez de valider, de demander des modifications ou de refuser.' } });
  }
  const message = typeof input.message === 'string' ? input.message.trim() : '';
  if (decision !== 'validate' && message.length < 5) {
    const text = decision === 'reject' ? 'Indiquez le motif du refus : il sera transmis à l’acheteur.' : 'Indiquez les modifications attendues : elles seront transmises à l’acheteur.';
    throw new AppError('MESSAGE_REQUIRED', text, 422, { field: 'message', fields: { message: text } });
  }
  if (message.length > 3000) throw new AppError('VALIDATION_FAILED', 'Le message compte au plus 3 000 caractères.', 422, { field: 'message', fields: { message: 'Le message compte au plus 3 000 caractères.' } });
  const n = await needOr404(p.db, id);
  authorize(actor, canQualifyNeed(actor, n), 'Seuls les facilitateurs du territoire du besoin et l’équipe de la plateforme le qualifient.');
  const link = decision === 'request_changes' ? await editLink(p, n, now) : null;
  await p.db.transaction(async (tx) => {
    const current = await needOr404(tx, id, true);
    if (current.status !== 'submitted') throw new AppError('NEED_NOT_SUBMITTED', 'Ce besoin n’est pas en attente de qualification (il a déjà été traité, ou pas encore envoyé).', 409);
    const common = { actorId: me.id, targetType: 'need', targetId: id, organisationId: current.buyerOrganisationId, before: { status: current.status } };
    if (decision === 'validate') {
      await tx.query(sql`UPDATE needs SET status = 'validated', validated_at = now(), qualified_by = ${me.id}::uuid, updated_at = now() WHERE id = ${id}::uuid`);
      await audit(tx, { ...common, action: 'need.validated', after: { status: 'validated' }, reason: message || null });
      await enqueue(tx, 'needs.send', { needId: id });
      await queueMail(tx, needMails.validated(p.config, current, isGuestNeed(current) ? null : `/besoins/${id}`));
    } else if (decision === 'request_changes') {
      await tx.query(sql`UPDATE needs SET status = 'changes_requested', changes_requested_at = now(), changes_message = ${message}, qualified_by = ${me.id}::uuid, updated_at = now() WHERE id = ${id}::uuid`);
      await audit(tx, { ...common, action: 'need.changes_requested', after: { status: 'changes_requested' }, reason: message });
      await queueMail(tx, needMails.changesRequested(p.config, current, message, link as string, CHANGES_DAYS));
    } else {
      await tx.query(sql`UPDATE needs SET status = 'rejected', rejected_at = now(), rejection_reason = ${message}, qualified_by = ${me.id}::uuid, updated_at = now() WHERE id = ${id}::uuid`);
      await audit(tx, { ...common, action: 'need.rejected', after: { status: 'rejected' }, reason: message });
      await queueMail(tx, needMails.rejected(p.config, current, message));
    }
  });
  return (await findNeed(p.db, id)) as Need;
}

/** Closes the needs whose asked changes got no answer in CHANGES_DAYS days (each once, even with several runners). */
export async function closeUnansweredNeeds(p: Platform): Promise<number> {
  return p.db.transaction(async (tx) => {
    const rows = await tx.query<Record<string, unknown>>(sql`
      UPDATE needs SET status = 'closed', closed_at = now(), closed_reason = 'no_answer_to_changes', updated_at = now()
      WHERE id IN (
        SELECT id FROM needs WHERE status = 'changes_requested' AND changes_requested_at < now() - ${CHANGES_DAYS}::int * interval '1 day'
        ORDER BY changes_requested_at LIMIT 500 FOR UPDATE SKIP LOCKED)
      RETURNING *`);
    for (const r of rows) {
      const n = toNeed(r);
      await audit(tx, { actorId: null, action: 'need.closed', targetType: 'need', targetId: n.id, organisationId: n.buyerOrganisationId, before: { status: 'changes_requested' }, after: { status: 'closed', closedReason: 'no_answer_to_changes' } });
      if (n.contactEmail) await queueMail(tx, needMails.closedWithoutChanges(p.config, n, CHANGES_DAYS));
    }
    return rows.length;
  });
}

export const CLOSE_UNANSWERED_JOB = 'needs.close-unanswered';
// Checked hourly by every job runner (housekeeping); the job kind lets an operator or a test run it now.
registerHousekeeping(CLOSE_UNANSWERED_JOB, async (platform) => {
  await closeUnansweredNeeds(platform);
});
registerJobHandler(CLOSE_UNANSWERED_JOB, async (_payload, ctx) => {
  await closeUnansweredNeeds(ctx.platform);
});

/** The buyer stops a need (before or during sending): closed, with the reason "closed by the buyer". */
export async function closeByBuyer(p: Platform, e: Editor, id: string): Promise<Need> {
  const n = await needOr404(p.db, id);
  if (!isBuyerSide(e, n)) deny(e);
  await p.db.transaction(async (tx) => {
    const current = await needOr404(tx, id, true);
    if (!['draft', 'awaiting_confirmation', 'submitted', 'changes_requested', 'validated', 'sending'].includes(current.status)) {
      throw new AppError('NEED_CLOSED', 'Ce besoin est déjà clôturé ou refusé.', 409);
    }
    await tx.query(sql`UPDATE needs SET status = 'closed', closed_at = now(), closed_reason = 'closed_by_buyer', updated_at = now() WHERE id = ${id}::uuid`);
    await audit(tx, { actorId: e.actor.person?.id ?? null, actorKind: e.actor.person ? 'person' : e.actor.token ? 'api_token' : 'guest', action: 'need.closed', targetType: 'need', targetId: id, organisationId: current.buyerOrganisationId, before: { status: current.status }, after: { status: 'closed', closedReason: 'closed_by_buyer' } });
  });
  return (await findNeed(p.db, id)) as Need;
}

// Reading ---------------------------------------------------------------------------------------------

/** A need the actor may see (buyer side or qualifier); 404 for others who are signed in, so that ids say nothing. */
export async function needFor(p: Platform, actor: Actor, id: string): Promise<Need> {
  const n = await findNeed(p.db, id);
  if (!n) throw notFound('Besoin introuvable.');
  if (!actor.person && !actor.token) throw unauthenticated();
  if (!canSeeNeed(actor, n)) throw forbidden('Ce besoin n’est visible que de l’acheteur et des facilitateurs de son territoire.');
  return n;
}

export interface NeedListQuery {
  scope?: 'mine' | 'toQualify';
  status?: NeedStatus | null;
  page?: number;
  perPage?: number;
}

export interface NeedList {
  items: Need[];
  total: number;
  page: number;
  perPage: number;
}

/**
 * Needs of the actor's buyer organisations (and those they authored), or, with scope toQualify, the needs
 * a qualifier may see: a facilitator those of its territories (and whole-country needs), the platform all.
 * Drafts are never in the qualifiers' list.
 */
export async function listNeeds(p: Platform, actor: Actor, q: NeedListQuery = {}): Promise<NeedList> {
  const page = Math.max(1, Math.floor(q.page ?? 1));
  const perPage = Math.min(100, Math.max(1, Math.floor(q.perPage ?? 20)));
  const where: Sql[] = [];
  if (q.scope === 'toQualify') {
    authorize(actor, !!actor.person && (isPlatformAdmin(actor) || actor.memberships.some((m) => m.type === 'facilitator' && m.verified)), 'Réservé aux facilitateurs et à l’équipe de la plateforme.');
    where.push(sql`status NOT IN ('draft', 'awaiting_confirmation')`);
    if (!isPlatformAdmin(actor)) {
      const keys = actor.memberships.filter((m) => m.type === 'facilitator' && m.verified).flatMap((m) => m.territoryKeys);
      where.push(sql`(place_kind = 'country' OR place_kind IS NULL OR ${qualifierKeysSql(keys)})`);
    }
  } else {
    const orgs = buyerMemberships(actor).map((m) => m.organisationId);
    const person = actor.person?.id ?? null;
    where.push(sql`(buyer_organisation_id = ANY(${orgs}::uuid[]) OR (${person}::uuid IS NOT NULL AND author_id = ${person}::uuid))`);
  }
  if (q.status && NEED_STATUSES.includes(q.status)) where.push(sql`status = ${q.status}`);
  const cond = sql.and(where);
  const total = (await p.db.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM needs WHERE ${cond}`))?.n ?? 0;
  const rows = await p.db.query<Record<string, unknown>>(sql`
    SELECT * FROM needs WHERE ${cond}
    ORDER BY CASE WHEN status = 'submitted' THEN 0 ELSE 1 END, coalesce(submitted_at, created_at) DESC, reference DESC
    LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`);
  // A territory list can name a commune or a département of the facilitator's territory: checked in JS.
  return { items: rows.map(toNeed), total, page, perPage };
}

/**
 * SQL for "the need is in one of these territories", mirroring facilitatesNeed: a need's place keys (the
 * commune and what contains it, or the listed territories and what contains them) meet the facilitator's keys.
 */
function qualifierKeysSql(keys: string[]): Sql {
  if (!keys.length) return sql`FALSE`;
  const territories = loadTerritories();
  // Communes of the facilitator's territories are many; the need side is expanded instead: a commune need
  // matches when its commune, EPCI, département or région is one of the keys.
  const communeCodes = new Set<string>();
  const listed = new Set<string>();
  for (const k of keys) {
    const t = territories.byKey.get(k);
    if (!t) continue;
    for (const c of territories.communesOf(t)) communeCodes.add(c.code);
  }
  for (const k of keys) listed.add(k);
  // Territory needs: their keys or their parents' keys meet the facilitator's keys.
  const parentsOfListed = new Set<string>();
  for (const t of territories.byKey.values()) {
    if (t.type === 'commune') continue;
    if (territories.parentKeys(t).some((k) => listed.has(k)) || listed.has(t.key)) parentsOfListed.add(t.key);
  }
  for (const c of communeCodes) parentsOfListed.add(`C${c}`);
  return sql`((place_kind = 'commune' AND place_commune = ANY(${[...communeCodes]}::text[])) OR (place_kind = 'territories' AND place_keys && ${[...parentsOfListed]}::text[]))`;
}

/** Matches of a need: for qualifiers at any time (before validating), for the buyer once validated. */
export async function needMatches(p: Platform, actor: Actor, id: string, limit = 50) {
  const n = await needFor(p, actor, id);
  const qualifier = canQualifyNeed(actor, n);
  if (!qualifier && !['validated', 'sending', 'closed'].includes(n.status)) {
    throw new AppError('MATCHES_NOT_YET', 'Les structures correspondantes sont visibles une fois le besoin validé.', 409);
  }
  if (!qualifier && n.status === 'closed' && !n.validatedAt) throw new AppError('MATCHES_NOT_YET', 'Ce besoin n’a pas été validé.', 409);
  const r = await matchNeed(p, criteriaOf(n), { limit });
  return { need: n, total: r.total, items: r.items };
}

// Attachments -------------------------------------------------------------------------------------------

export async function listAttachments(q: Queryable, needId: string): Promise<Attachment[]> {
  const rows = await q.query<Record<string, unknown>>(sql`SELECT * FROM need_attachments WHERE need_id = ${needId}::uuid ORDER BY created_at, id`);
  return rows.map(toAttachment);
}

/** Adds files to a need (at most 3 in all), each checked by its content; all or none. */
export async function addAttachments(p: Platform, e: Editor, id: string, files: UploadedFile[]): Promise<Attachment[]> {
  const n = await needForEdit(p, e, id);
  if (!files.length) return listAttachments(p.db, id);
  const existing = await listAttachments(p.db, id);
  if (existing.length + files.length > ATTACHMENTS_MAX) {
    const message = `Vous pouvez joindre au plus ${ATTACHMENTS_MAX} fichiers (${existing.length} déjà joint${existing.length > 1 ? 's' : ''}).`;
    throw new AppError('TOO_MANY_ATTACHMENTS', message, 422, { field: 'attachments', fields: { attachments: message } });
  }
  const checked = files.map((f) => ({ f, type: checkAttachment(f) }));
  const saved: string[] = [];
  try {
    for (const c of checked) saved.push(await saveUpload(p.config, 'needs', c.f.data, c.type.ext));
    await p.db.transaction(async (tx) => {
      const current = await needOr404(tx, id, true);
      if (!mayEdit(e, current)) throw notEditable(current);
      const count = (await tx.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM need_attachments WHERE need_id = ${id}::uuid`))?.n ?? 0;
      if (count + checked.length > ATTACHMENTS_MAX) throw new AppError('TOO_MANY_ATTACHMENTS', `Vous pouvez joindre au plus ${ATTACHMENTS_MAX} fichiers.`, 422, { field: 'attachments' });
      for (let i = 0; i < checked.length; i++) {
        const c = checked[i];
        await tx.query(sql`INSERT INTO need_attachments (need_id, file_path, original_name, content_type, size_bytes)
          VALUES (${id}::uuid, ${saved[i]}, ${cleanFileName(c.f.filename)}, ${c.type.contentType}, ${c.f.data.length})`);
      }
      if (!isBuyerSide(e, n)) await audit(tx, { actorId: e.actor.person?.id ?? null, action: 'need.attachment_added', targetType: 'need', targetId: id, organisationId: n.buyerOrganisationId, after: { files: checked.map((c) => cleanFileName(c.f.filename)) } });
    });
  } catch (err) {
    for (const s of saved) await removeUpload(p.config, s).catch(() => {});
    throw err;
  }
  return listAttachments(p.db, id);
}


export async function removeAttachment(p: Platform, e: Editor, id: string, attachmentId: string): Promise<void> {
  const n = await needForEdit(p, e, id);
  if (!/^[0-9a-f-]{36}$/i.test(attachmentId)) throw notFound('Pièce jointe introuvable.');
  const removed = await p.db.transaction(async (tx) => {
    const r = await tx.one<{ file_path: string; original_name: string }>(sql`DELETE FROM need_attachments WHERE id = ${attachmentId}::uuid AND need_id = ${id}::uuid RETURNING file_path, original_name`);
    if (r && !isBuyerSide(e, n)) await audit(tx, { actorId: e.actor.person?.id ?? null, action: 'need.attachment_removed', targetType: 'need', targetId: id, organisationId: n.buyerOrganisationId, before: { file: r.original_name } });
    return r;
  });
  if (!removed) throw notFound('Pièce jointe introuvable.');
  await removeUpload(p.config, removed.file_path).catch(() => {});
}

/**
 * An attachment for download: the buyer side (members, author, the guest's browser), the qualifiers, and
 * the structures the need was sent to (their members, signed in). Never public.
 */
export async function attachmentFor(p: Platform, e: Editor, id: string, attachmentId: string): Promise<Attachment> {
  const n = await needOr404(p.db, id);
  let allowed = isBuyerSide(e, n) || canSeeNeed(e.actor, n);
  if (!allowed && e.actor.person) {
    const structures = e.actor.memberships.filter((m) => m.type === 'structure' && m.structureId).map((m) => m.structureId as string);
    if (structures.length) {
      allowed = !!(await p.db.one(sql`SELECT 1 FROM need_recipients WHERE need_id = ${id}::uuid AND structure_id = ANY(${structures}::uuid[]) AND sent_at IS NOT NULL`));
    }
  }
  if (!allowed) {
    if (!e.actor.person && !e.actor.token && !e.guest) throw unauthenticated();
    throw forbidden('Cette pièce jointe n’est visible que des personnes qui peuvent voir le besoin.');
  }
  if (!/^[0-9a-f-]{36}$/i.test(attachmentId)) throw notFound('Pièce jointe introuvable.');
  const r = await p.db.one<Record<string, unknown>>(sql`SELECT * FROM need_attachments WHERE id = ${attachmentId}::uuid AND need_id = ${id}::uuid`);
  if (!r) throw notFound('Pièce jointe introuvable.');
  return toAttachment(r);
}

