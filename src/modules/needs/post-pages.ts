// Posting a need (DSFR, French): the needs home, the six-step form (each step its own page and POST, the
// draft saved at each step), the guest's confirmation and resume links, the buyer's need page, closing,
// and attachment downloads. A guest's draft is tied to the browser by a signed cookie (see service.ts).
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { type Html, html } from '../../core/html.ts';
import type { Platform } from '../../core/platform.ts';
import { csrfField, type FieldErrors, formError, inputField, notice, selectField, textareaField } from '../../web/forms.ts';
import { communeField } from '../../web/fields.ts';
import { formatDate, formatNumber } from '../../web/format.ts';
import { type Crumb, layout } from '../../web/layout.ts';
import { resolveCommune } from '../../web/search-state.ts';
import { clientIp, csrfToken } from '../accounts/http.ts';
import { type Actor, ANONYMOUS } from '../accounts/model.ts';
import { KIND_CODES, SERVICE_TYPE_CODES, type KindCode, type ServiceTypeCode } from '../directory/model.ts';
import type { Match } from '../matching/model.ts';
import { RESERVATION_LABEL, RESERVATIONS, type Reservation } from '../matching/model.ts';
import { getReferentials, type Referentials } from '../referentials/service.ts';
import { loadTerritories } from '../territories/data.ts';
import { type Attachment, ATTACHMENT_HINT, ATTACHMENT_MAX_BYTES, ATTACHMENTS_MAX, contentDisposition, openAttachment, type UploadedFile } from './attachments.ts';
import { AMOUNT_RANGES, CLOSED_REASON_LABEL, NEED_KIND_LABEL, NEED_KINDS, NEED_STATUS_LABEL, type NeedInput, type NeedKind, type NeedStatus } from './model.ts';
import { canQualifyNeed, isNeedBuyer } from './policy.ts';
import type { Need } from './repository.ts';
import {
  addAttachments,
  attachmentFor,
  buyerMemberships,
  checkConfirmation,
  closeByBuyer,
  confirmGuestNeed,
  createDraft,
  type Editor,
  type Field,
  FIELD_LABEL,
  GUEST_COOKIE,
  GUEST_DAYS,
  guestCookieValue,
  guestLinkCookie,
  guestNeedId,
  inputOf,
  listAttachments,
  listNeeds,
  mayEdit,
  needFor,
  needForEdit,
  needMatches,
  removeAttachment,
  STEP_FIELDS,
  saveNeed,
  submitNeed,
  suggestSectors,
  emptyInput,
} from './service.ts';
import { sendHtml } from '../../web/reply.ts';

type Body = Record<string, string | string[] | UploadedFile | UploadedFile[] | undefined>;

export const STEP_TITLES: Record<number, string> = {
  1: 'Votre besoin',
  2: 'Lieu et dates',
  3: 'Montant, prestation et secteurs',
  4: 'Cadre social et environnemental',
  5: 'Questions et pièces jointes',
  6: 'Vérification et envoi',
};
const STEPS = 6;

// Shared rendering (also used by the qualification pages) -----------------------------------------------

export function needPage(p: Platform, o: { title: string; main: Html; breadcrumb?: Crumb[]; section?: 'needs' | 'admin'; scripts?: string[] }): string {
  return layout(p.config, { title: o.title, main: o.main, breadcrumb: o.breadcrumb, section: o.section ?? 'needs', scripts: o.scripts });
}

const STATUS_BADGE: Record<NeedStatus, string> = {
  draft: '',
  awaiting_confirmation: 'fr-badge--warning',
  submitted: 'fr-badge--info',
  changes_requested: 'fr-badge--warning',
  validated: 'fr-badge--success',
  sending: 'fr-badge--success',
  closed: '',
  rejected: 'fr-badge--error',
};

export const statusBadge = (s: NeedStatus) => html`<p class="fr-badge fr-badge--sm ${STATUS_BADGE[s]}">${NEED_STATUS_LABEL[s]}</p>`;

export function placeLabel(n: Pick<Need, 'placeKind' | 'placeCommune' | 'placeKeys'>): string {
  const t = loadTerritories();
  if (n.placeKind === 'commune' && n.placeCommune) {
    const c = t.commune(n.placeCommune);
    return c ? t.label(c) : n.placeCommune;
  }
  if (n.placeKind === 'territories') return n.placeKeys.map((k) => (t.byKey.get(k) ? t.label(t.byKey.get(k)!) : k)).join(', ') || 'Non précisé';
  if (n.placeKind === 'country') return 'Toute la France';
  return 'Non précisé';
}

const euros = (n: number) => `${formatNumber(n)} €`;

export function amountLabel(n: Pick<Need, 'amountMin' | 'amountMax'>): string {
  const range = AMOUNT_RANGES.find((r) => r.min === n.amountMin && r.max === n.amountMax);
  if (range) return `${range.label} HT`;
  if (n.amountMin !== null && n.amountMax !== null) return n.amountMin === n.amountMax ? `${euros(n.amountMin)} HT` : `De ${euros(n.amountMin)} à ${euros(n.amountMax)} HT`;
  if (n.amountMin !== null) return `À partir de ${euros(n.amountMin)} HT`;
  if (n.amountMax !== null) return `Jusqu’à ${euros(n.amountMax)} HT`;
  return 'Non précisé';
}

const RESERVATION_HELP: Record<Reservation, string> = {
  'L2113-12': 'Seules les entreprises adaptées (EA, EATT) et les ESAT peuvent répondre : au moins 50 % de leurs salariés sont des travailleurs handicapés.',
  'L2113-13': 'Seules les structures d’insertion par l’activité économique (EI, ETTI, AI, ACI, EITI) peuvent répondre.',
  'L2113-14': 'Les structures des deux familles peuvent répondre : handicap (EA, EATT, ESAT) et insertion (EI, ETTI, AI, ACI, EITI).',
};

function frameLines(n: NeedInput): string[] {
  const lines: string[] = [];
  lines.push(n.reservation ? RESERVATION_LABEL[n.reservation] : 'Marché non réservé');
  if (n.socialClause) lines.push(`Clause sociale d’insertion${n.insertionHours ? ` : ${formatNumber(n.insertionHours)} heures` : ''}`);
  if (n.socialCriterion) lines.push('Critère social dans le choix de l’offre');
  return lines;
}

function attachmentLinks(needId: string, list: Attachment[]): Html {
  if (!list.length) return html`Aucune`;
  return html`<ul>${list.map(
    (a) => html`<li><a class="fr-link fr-link--download" href="/besoins/${needId}/pieces/${a.id}" download>${a.originalName}<span class="fr-link__detail">${a.contentType.includes('pdf') ? 'PDF' : 'Document'} – ${formatNumber(Math.max(1, Math.round(a.sizeBytes / 1024)))} ko</span></a></li>`,
  )}</ul>`;
}

/** The whole need, grouped as in the form; `editBase` adds a « Modifier » link per step. */
export function needSummary(n: Need, refs: Referentials, attachments: Attachment[], o: { headingLevel?: 2 | 3; editBase?: string; contact?: boolean } = {}): Html {
  const v = inputOf(n);
  const h = o.headingLevel ?? 2;
  const heading = (step: number, title: string) =>
    html`<div>${h === 2 ? html`<h2 class="fr-h5 fr-mb-1w">${title}</h2>` : html`<h3 class="fr-h6 fr-mb-1w">${title}</h3>`}${o.editBase ? html` <a class="fr-link fr-link--sm" href="${o.editBase}/${step}">Modifier<span class="fr-sr-only"> : ${title}</span></a>` : ''}</div>`;
  const row = (label: string, value: Html | string) => html`<dt class="fr-text--bold fr-mb-0">${label}</dt><dd class="fr-mb-2w fr-ml-0">${value}</dd>`;
  const sectors = v.sectors.map((s) => refs.sectorBySlug.get(s)?.name ?? s);
  const kinds = v.structureKinds.map((k) => refs.kindByCode.get(k)?.name ?? k);
  const services = v.serviceTypes.map((t) => refs.serviceTypeByCode.get(t)?.name ?? t);
  const text = (s: string) => (s.trim() ? html`${s.trim().split(/\r?\n/).map((line, i) => html`${i ? html`<br>` : ''}${line}`)}` : html`Non précisé`);
  return html`<div class="pl-need-summary">
${heading(1, STEP_TITLES[1])}
<dl>
${row('Type de besoin', v.kind ? NEED_KIND_LABEL[v.kind as NeedKind] : 'Non précisé')}
${row('Titre', v.title || 'Non précisé')}
${row('Description', text(v.description))}
</dl>
${heading(2, STEP_TITLES[2])}
<dl>
${row('Lieu d’exécution', placeLabel(n))}
${row('Date limite de réponse', formatDate(v.answerDeadline) ?? 'Non précisée')}
${row('Début de la prestation', formatDate(v.startDate) ?? 'Non précisé')}
</dl>
${heading(3, STEP_TITLES[3])}
<dl>
${row('Montant estimé', amountLabel(n))}
${row('Type de prestation', services.join(', ') || 'Tous')}
${row('Secteurs d’activité', sectors.join(', ') || 'Aucun')}
${row('Types de structure', kinds.join(', ') || 'Tous ceux que le cadre permet')}
</dl>
${heading(4, STEP_TITLES[4])}
<dl>
${row('Cadre', html`${frameLines(v).map((l, i) => html`${i ? html`<br>` : ''}${l}`)}`)}
${row('Exigences environnementales', text(v.environmentalRequirements))}
</dl>
${heading(5, STEP_TITLES[5])}
<dl>
${row('Questions aux structures', v.questions.length ? html`<ol>${v.questions.map((q) => html`<li>${q.text}</li>`)}</ol>` : html`Aucune`)}
${row('Pièces jointes', attachmentLinks(n.id, attachments))}
</dl>
${
  o.contact
    ? html`${heading(6, 'Contact')}
<dl>
${row('Organisation acheteuse', v.buyerName || 'Non précisée')}
${row('Personne à contacter', v.contactName || 'Non précisée')}
${row('Adresse électronique', v.contactEmail || 'Non précisée')}
${row('Téléphone', v.contactPhone || 'Non précisé')}
</dl>`
    : ''
}
</div>`;
}

/** Matches with their score and reasons, as a table (qualifiers before validation, the buyer after). */
export function matchesTable(caption: string, items: Match[], refs: Referentials): Html {
  if (!items.length) return html`<p>Aucune structure ne correspond pour l’instant à ces critères (secteurs, prestation, lieu, cadre social).</p>`;
  return html`<div class="fr-table fr-table--multiline"><div class="fr-table__wrapper"><div class="fr-table__container"><div class="fr-table__content">
<table>
<caption>${caption}</caption>
<thead><tr><th scope="col">Structure</th><th scope="col">Type</th><th scope="col">Score</th><th scope="col">Distance</th><th scope="col">Pourquoi elle correspond</th></tr></thead>
<tbody>
${items.map(
  (m) => html`<tr>
<th scope="row"><a href="/structures/${m.slug}">${m.name}</a></th>
<td><abbr title="${refs.kindByCode.get(m.kind)?.name ?? m.kind}">${m.kind}</abbr></td>
<td>${m.score} / 100</td>
<td>${m.distanceKm === null ? '—' : `${formatNumber(Math.round(m.distanceKm))} km`}</td>
<td><ul class="fr-mb-0">${m.reasons.map((r) => html`<li>${r}</li>`)}</ul></td>
</tr>`,
)}
</tbody>
</table>
</div></div></div></div>`;
}

// The form: values from a posted body -----------------------------------------------------------------

const one = (v: Body[string]): string => (Array.isArray(v) ? (typeof v[0] === 'string' ? v[0] : '') : typeof v === 'string' ? v : '');
const many = (v: Body[string]): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? [v] : []);

/** French decimal typed by a person ("12 500", "12 500,50") → number; '' → null; NaN when unreadable. */
function amount(s: string): number | null {
  const t = s.replace(/[\s\u00a0\u202f€]/g, '').replace(',', '.');
  if (!t) return null;
  return /^\d+(\.\d{1,2})?$/.test(t) ? Number(t) : Number.NaN;
}

/** Turns the fields of a step into values, with the errors of what cannot be read. */
function formToValues(step: number, b: Body): { values: Partial<NeedInput>; errors: FieldErrors } {
  const values: Partial<NeedInput> = {};
  const errors: FieldErrors = {};
  if (step === 1) {
    const kind = one(b.kind);
    values.kind = (NEED_KINDS.includes(kind as NeedKind) ? kind : '') as NeedKind;
    values.title = one(b.title).slice(0, 300);
    values.description = one(b.description).slice(0, 12000);
  } else if (step === 2) {
    const placeKind = one(b.placeKind);
    values.placeKind = (['commune', 'territories', 'country'].includes(placeKind) ? placeKind : '') as NeedInput['placeKind'];
    values.placeCommune = null;
    values.placeKeys = [];
    if (placeKind === 'commune') {
      const code = one(b.commune).trim().toUpperCase();
      const text = one(b.lieu).trim();
      if (code && loadTerritories().commune(code)) values.placeCommune = code;
      else if (text) {
        try {
          values.placeCommune = resolveCommune(text).code;
        } catch {
          errors.placeCommune = `Commune introuvable : « ${text.slice(0, 80)} ». Saisissez son nom, son code postal ou son code INSEE.`;
        }
      }
    }
    if (placeKind === 'territories') {
      const t = loadTerritories();
      const keys: string[] = [];
      const unknown: string[] = [];
      for (const raw of one(b.departements).split(/[\s,;]+/).filter(Boolean)) {
        const code = raw.toUpperCase().padStart(raw.length === 1 ? 2 : raw.length, '0');
        if (t.get('departement', code)) keys.push(`D${code}`);
        else unknown.push(raw);
      }
      const region = one(b.region);
      if (region && t.get('region', region)) keys.push(`R${region}`);
      if (unknown.length) errors.placeKeys = `Département inconnu : ${unknown.join(', ')}. Indiquez les numéros des départements (par exemple 59, 62).`;
      values.placeKeys = [...new Set(keys)];
    }
    values.answerDeadline = one(b.answerDeadline).trim() || null;
    values.startDate = one(b.startDate).trim() || null;
  } else if (step === 3) {
    const range = AMOUNT_RANGES.find((r) => r.value === one(b.amountRange));
    if (range) {
      values.amountMin = range.min;
      values.amountMax = range.max;
    } else {
      const min = amount(one(b.amountMin));
      const max = amount(one(b.amountMax));
      if (Number.isNaN(min)) errors.amountMin = 'Indiquez un montant en euros, par exemple 12 500.';
      if (Number.isNaN(max)) errors.amountMax = 'Indiquez un montant en euros, par exemple 12 500.';
      values.amountMin = Number.isNaN(min) ? null : min;
      values.amountMax = Number.isNaN(max) ? null : max;
    }
    values.serviceTypes = many(b.serviceTypes).filter((x): x is ServiceTypeCode => SERVICE_TYPE_CODES.includes(x as ServiceTypeCode));
    values.sectors = many(b.sectors).slice(0, 50);
    values.structureKinds = many(b.structureKinds).filter((x): x is KindCode => KIND_CODES.includes(x as KindCode));
  } else if (step === 4) {
    const r = one(b.reservation);
    values.reservation = RESERVATIONS.includes(r as Reservation) ? (r as Reservation) : null;
    values.socialClause = one(b.socialClause) === 'oui';
    values.socialCriterion = one(b.socialCriterion) === 'oui';
    const hours = one(b.insertionHours).replace(/\s/g, '');
    values.insertionHours = null;
    if (hours && values.socialClause) {
      if (/^\d{1,7}$/.test(hours)) values.insertionHours = Number(hours);
      else errors.insertionHours = 'Indiquez un nombre entier d’heures, par exemple 350.';
    }
    values.environmentalRequirements = one(b.environmentalRequirements).slice(0, 6000);
  } else if (step === 5) {
    const texts = many(b.questions).map((q) => q.trim()).filter(Boolean);
    values.questions = texts.map((text, i) => ({ id: `q${i + 1}`, text: text.slice(0, 600) }));
  } else if (step === 6) {
    values.contactName = one(b.contactName);
    values.contactEmail = one(b.contactEmail);
    values.contactPhone = one(b.contactPhone);
    values.buyerName = one(b.buyerName);
  }
  return { values, errors };
}

function uploadedFiles(b: Body): UploadedFile[] {
  const v = b.attachments;
  const list = Array.isArray(v) ? v : v ? [v] : [];
  return list.filter((f): f is UploadedFile => typeof f === 'object' && f !== null && Buffer.isBuffer((f as UploadedFile).data) && ((f as UploadedFile).data.length > 0 || !!(f as UploadedFile).filename));
}

// The form: fields of each step ---------------------------------------------------------------------

interface FormState {
  need: Need | null;
  v: NeedInput;
  /** What was typed, shown again when it could not be read. */
  raw: Record<string, string>;
  errors: FieldErrors;
  error?: string;
  refs: Referentials;
  attachments: Attachment[];
  organisations: { id: string; name: string }[];
  qualifier: boolean;
  guest: boolean;
  /** Errors on other steps (found at submission). */
  elsewhere?: { step: number; label: string; message: string }[];
}

function radios(name: string, legend: string, options: { value: string; label: string; hint?: string }[], value: string, errors: FieldErrors, o: { hint?: string; required?: boolean } = {}): Html {
  const error = errors[name];
  const id = `champ-${name}`;
  return html`<fieldset class="fr-fieldset${error ? ' fr-fieldset--error' : ''}" id="${id}" aria-labelledby="${id}-legende${error ? ` ${id}-erreur` : ''}"${error ? html` role="group"` : ''}>
<legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="${id}-legende">${legend}${o.required ? html` <span aria-hidden="true">*</span>` : ''}${o.hint ? html`<span class="fr-hint-text">${o.hint}</span>` : ''}</legend>
${options.map(
  (x, i) => html`<div class="fr-fieldset__element"><div class="fr-radio-group">
<input type="radio" id="${id}-${i}" name="${name}" value="${x.value}"${x.value === value ? html` checked` : ''}>
<label class="fr-label" for="${id}-${i}">${x.label}${x.hint ? html`<span class="fr-hint-text">${x.hint}</span>` : ''}</label>
</div></div>`,
)}
${error ? html`<div class="fr-messages-group" id="${id}-erreur" aria-live="polite"><p class="fr-message fr-message--error">${error}</p></div>` : ''}
</fieldset>`;
}

function checkboxes(name: string, legend: string | Html, options: { value: string; label: string; hint?: string }[], checked: string[], errors: FieldErrors, o: { hint?: string; idPrefix?: string; inline?: boolean } = {}): Html {
  const error = errors[name];
  const id = `${o.idPrefix ?? 'champ'}-${name}`;
  return html`<fieldset class="fr-fieldset${error ? ' fr-fieldset--error' : ''}" id="${id}" aria-labelledby="${id}-legende${error ? ` ${id}-erreur` : ''}"${error ? html` role="group"` : ''}>
<legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="${id}-legende">${legend}${o.hint ? html`<span class="fr-hint-text">${o.hint}</span>` : ''}</legend>
${options.map(
  (x, i) => html`<div class="fr-fieldset__element${o.inline ? ' fr-fieldset__element--inline' : ''}"><div class="fr-checkbox-group">
<input type="checkbox" id="${id}-${i}" name="${name}" value="${x.value}"${checked.includes(x.value) ? html` checked` : ''}>
<label class="fr-label" for="${id}-${i}">${x.label}${x.hint ? html`<span class="fr-hint-text">${x.hint}</span>` : ''}</label>
</div></div>`,
)}
${error ? html`<div class="fr-messages-group" id="${id}-erreur" aria-live="polite"><p class="fr-message fr-message--error">${error}</p></div>` : ''}
</fieldset>`;
}

function stepper(step: number): Html {
  return html`<div class="fr-stepper">
<h2 class="fr-stepper__title">${STEP_TITLES[step]}<span class="fr-stepper__state">Étape ${step} sur ${STEPS}</span></h2>
<div class="fr-stepper__steps" data-fr-current-step="${step}" data-fr-steps="${STEPS}"></div>
${step < STEPS ? html`<p class="fr-stepper__details"><span class="fr-text--bold">Étape suivante :</span> ${STEP_TITLES[step + 1]}</p>` : ''}
</div>`;
}

const ISO_DAY = (d: string | null) => d ?? '';

function step1(s: FormState): Html {
  const kinds = [
    { value: 'QUOTE', label: NEED_KIND_LABEL.QUOTE, hint: 'Vous cherchez un prix pour un achat simple, souvent de faible montant.' },
    { value: 'TENDER', label: NEED_KIND_LABEL.TENDER, hint: 'Vous publiez ou allez publier une consultation : les structures répondent à votre procédure.' },
    { value: 'SOURCING', label: NEED_KIND_LABEL.SOURCING, hint: 'Vous préparez un achat et voulez savoir quelles structures peuvent y répondre.' },
  ];
  return html`${s.organisations.length > 1 && !s.need ? selectField({ id: 'organisation', name: 'organisationId', label: 'Organisation pour laquelle vous déposez ce besoin', options: s.organisations.map((o) => ({ value: o.id, label: o.name })), value: s.raw.organisationId, placeholder: 'Choisir', errors: s.errors }) : ''}
${radios('kind', 'Type de besoin', kinds, s.v.kind, s.errors, { required: true })}
${inputField({ id: 'champ-title', name: 'title', label: 'Titre du besoin', value: s.v.title, required: true, maxlength: 200, hint: 'Par exemple : « Nettoyage des locaux de la mairie annexe ». 5 caractères au moins.', errors: s.errors })}
${textareaField({ id: 'champ-description', name: 'description', label: 'Description', value: s.v.description, rows: 8, maxlength: 10000, hint: 'Ce qui est attendu, les quantités, la fréquence, le contexte. 20 caractères au moins. Les secteurs d’activité vous seront suggérés d’après ce texte.', errors: s.errors })}`;
}

function step2(s: FormState): Html {
  const t = loadTerritories();
  const commune = s.v.placeCommune ? t.commune(s.v.placeCommune) : undefined;
  const deps = s.raw.departements ?? s.v.placeKeys.filter((k) => k.startsWith('D')).map((k) => k.slice(1)).join(', ');
  const region = s.raw.region ?? s.v.placeKeys.find((k) => k.startsWith('R'))?.slice(1) ?? '';
  const regions = t.all('region').sort((a, b) => a.name.localeCompare(b.name, 'fr'));
  return html`${radios(
    'placeKind',
    'Lieu d’exécution de la prestation',
    [
      { value: 'commune', label: 'Une commune', hint: 'Les structures sont choisies selon la distance et les zones qu’elles desservent.' },
      { value: 'territories', label: 'Un ou plusieurs départements, ou une région' },
      { value: 'country', label: 'Toute la France', hint: 'Seules les structures qui interviennent dans toute la France correspondent.' },
    ],
    s.v.placeKind ?? '',
    s.errors,
    { required: true },
  )}
<div class="fr-fieldset__element pl-place" data-place="commune">
${communeField({ id: 'champ-commune', text: s.raw.lieu ?? (commune ? t.label(commune) : ''), code: commune?.code ?? '', label: 'Commune (si vous avez choisi « Une commune »)' })}
${s.errors.placeCommune ? html`<p class="fr-error-text" id="champ-commune-erreur">${s.errors.placeCommune}</p>` : ''}
</div>
<div class="fr-fieldset__element pl-place" data-place="territories">
${inputField({ id: 'champ-departements', name: 'departements', label: 'Départements (si vous avez choisi « départements ou région »)', value: deps, hint: 'Numéros séparés par des virgules, par exemple : 59, 62', maxlength: 200, errors: s.errors.placeKeys ? { departements: s.errors.placeKeys } : {} })}
${selectField({ id: 'champ-region', name: 'region', label: 'Ou une région entière', value: region, placeholder: 'Aucune', options: regions.map((r) => ({ value: r.code, label: r.name })) })}
</div>
${inputField({ id: 'champ-answerDeadline', name: 'answerDeadline', type: 'date', label: 'Date limite de réponse des structures', value: s.raw.answerDeadline ?? ISO_DAY(s.v.answerDeadline), required: true, hint: 'Aujourd’hui ou plus tard. Format attendu : JJ/MM/AAAA.', errors: s.errors })}
${inputField({ id: 'champ-startDate', name: 'startDate', type: 'date', label: 'Date de début de la prestation (facultatif)', value: s.raw.startDate ?? ISO_DAY(s.v.startDate), hint: 'Le jour de la date limite de réponse ou après. Format attendu : JJ/MM/AAAA.', errors: s.errors })}`;
}

function step3(s: FormState): Html {
  const refs = s.refs;
  const range = AMOUNT_RANGES.find((r) => r.min === s.v.amountMin && r.max === s.v.amountMax);
  const exact = !range && (s.v.amountMin !== null || s.v.amountMax !== null);
  const suggested = suggestSectors(refs, `${s.v.title} ${s.v.description}`, 6);
  // First visit of the step: the suggestions are ticked; the buyer unticks or adds.
  const checked = s.v.sectors.length || s.raw.sectorsPosted ? s.v.sectors : suggested.map((x) => x.slug);
  const suggestedSlugs = new Set(suggested.map((x) => x.slug));
  return html`<fieldset class="fr-fieldset" aria-labelledby="montant-legende">
<legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="montant-legende">Montant estimé, en euros hors taxes (facultatif)</legend>
<div class="fr-fieldset__element">${selectField({ id: 'champ-amountRange', name: 'amountRange', label: 'Tranche de montant', value: s.raw.amountRange ?? range?.value ?? '', placeholder: exact ? 'Montant précis indiqué ci-dessous' : 'Je ne sais pas, ou j’indique un montant précis', options: AMOUNT_RANGES.map((r) => ({ value: r.value, label: r.label })) })}</div>
<div class="fr-fieldset__element fr-fieldset__element--inline">${inputField({ id: 'champ-amountMin', name: 'amountMin', label: 'Ou montant minimum', value: s.raw.amountMin ?? (exact && s.v.amountMin !== null ? String(s.v.amountMin) : ''), hint: 'En euros HT, sans tranche choisie', errors: s.errors })}</div>
<div class="fr-fieldset__element fr-fieldset__element--inline">${inputField({ id: 'champ-amountMax', name: 'amountMax', label: 'Montant maximum', value: s.raw.amountMax ?? (exact && s.v.amountMax !== null ? String(s.v.amountMax) : ''), hint: 'Égal au minimum pour un montant exact', errors: s.errors })}</div>
</fieldset>
${checkboxes('serviceTypes', 'Type de prestation attendue', refs.serviceTypes.map((t) => ({ value: t.code, label: t.name, hint: t.description })), s.v.serviceTypes, s.errors, { hint: 'Aucune case cochée : tous les types.' })}
<input type="hidden" name="sectorsPosted" value="1">
${
  suggested.length
    ? checkboxes(
        'sectors',
        'Secteurs suggérés d’après votre description',
        suggested.map((x) => ({ value: x.slug, label: x.name, hint: x.groupName })),
        checked,
        s.errors,
        { hint: s.v.sectors.length ? 'Cochez ou décochez selon votre besoin.' : 'Nous les avons cochés pour vous : décochez ceux qui ne conviennent pas, ajoutez-en dans la liste complète ci-dessous.', idPrefix: 'suggere' },
      )
    : html`${s.errors.sectors ? html`<p class="fr-error-text" id="champ-sectors-erreur">${s.errors.sectors}</p>` : ''}<p class="fr-text--sm">Aucun secteur n’a pu être suggéré d’après votre description : choisissez-en dans la liste ci-dessous.</p>`
}
<fieldset class="fr-fieldset" aria-labelledby="secteurs-legende">
<legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="secteurs-legende">Tous les secteurs d’activité <span class="fr-hint-text">Au moins un secteur, 20 au plus. Ouvrez un groupe pour voir ses secteurs.</span></legend>
${refs.groups.map((g) => {
  const inGroup = g.sectors.filter((x) => !suggestedSlugs.has(x.slug));
  if (!inGroup.length) return html``;
  const n = inGroup.filter((x) => checked.includes(x.slug)).length;
  return html`<div class="fr-fieldset__element"><details class="pl-details"${n ? html` open` : ''}><summary>${g.name}${n ? ` (${n} coché${n > 1 ? 's' : ''})` : ''}</summary>
${inGroup.map(
  (x) => html`<div class="fr-checkbox-group fr-checkbox-group--sm"><input type="checkbox" id="secteur-${x.slug}" name="sectors" value="${x.slug}"${checked.includes(x.slug) ? html` checked` : ''}><label class="fr-label" for="secteur-${x.slug}">${x.name}</label></div>`,
)}
</details></div>`;
})}
</fieldset>
${checkboxes('structureKinds', 'Types de structure (facultatif)', refs.kinds.map((k) => ({ value: k.code, label: `${k.name} (${k.code})` })), s.v.structureKinds, s.errors, { hint: 'Aucune case cochée : tous les types que le cadre social permet (marché réservé, clause).' })}`;
}

function step4(s: FormState): Html {
  return html`${radios(
    'reservation',
    'Marché réservé',
    [
      { value: '', label: 'Non, le marché n’est pas réservé' },
      ...RESERVATIONS.map((r) => ({ value: r, label: RESERVATION_LABEL[r], hint: RESERVATION_HELP[r] })),
    ],
    s.v.reservation ?? '',
    s.errors,
    { hint: 'Un marché ou un lot réservé doit citer l’article du code de la commande publique dans l’avis de marché.' },
  )}
<fieldset class="fr-fieldset" aria-labelledby="clause-legende">
<legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="clause-legende">Clause sociale et critère social</legend>
<div class="fr-fieldset__element"><div class="fr-checkbox-group">
<input type="checkbox" id="champ-socialClause" name="socialClause" value="oui"${s.v.socialClause ? html` checked` : ''}>
<label class="fr-label" for="champ-socialClause">Le marché comporte une clause sociale d’insertion<span class="fr-hint-text">Condition d’exécution (article L2112-2) : une part des heures de travail est réalisée par des personnes éloignées de l’emploi. Seules les structures qui peuvent la porter (EI, ACI, AI, ETTI, EA, EATT, ESAT, GEIQ) seront proposées.</span></label>
</div></div>
<div class="fr-fieldset__element">${inputField({ id: 'champ-insertionHours', name: 'insertionHours', type: 'number', min: 0, label: 'Nombre d’heures d’insertion (facultatif)', value: s.raw.insertionHours ?? (s.v.insertionHours ?? ''), hint: 'Avec une clause sociale seulement.', errors: s.errors })}</div>
<div class="fr-fieldset__element"><div class="fr-checkbox-group">
<input type="checkbox" id="champ-socialCriterion" name="socialCriterion" value="oui"${s.v.socialCriterion ? html` checked` : ''}>
<label class="fr-label" for="champ-socialCriterion">Le choix de l’offre comporte un critère social<span class="fr-hint-text">Critère d’attribution (article R2152-7), par exemple la part des heures réalisées en insertion.</span></label>
</div></div>
</fieldset>
${textareaField({ id: 'champ-environmentalRequirements', name: 'environmentalRequirements', label: 'Exigences environnementales (facultatif)', value: s.v.environmentalRequirements, rows: 4, maxlength: 5000, hint: 'Produits écolabellisés, gestion des déchets, circuits courts…', errors: s.errors })}`;
}

function step5(s: FormState, needId: string): Html {
  const rows = Math.min(10, Math.max(s.v.questions.length + 2, 3));
  return html`<fieldset class="fr-fieldset${s.errors.questions ? ' fr-fieldset--error' : ''}" id="champ-questions" aria-labelledby="questions-legende">
<legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="questions-legende">Questions aux structures (facultatif)<span class="fr-hint-text">Jusqu’à 10 questions, auxquelles les structures intéressées répondront. Laissez vide ce qui ne sert pas ; « Enregistrer » ajoute des lignes.</span></legend>
${Array.from({ length: rows }, (_, i) => html`<div class="fr-fieldset__element">${inputField({ id: `question-${i + 1}`, name: 'questions', label: `Question ${i + 1}`, value: s.v.questions[i]?.text ?? '', maxlength: 500 })}</div>`)}
${s.errors.questions ? html`<div class="fr-messages-group"><p class="fr-message fr-message--error">${s.errors.questions}</p></div>` : ''}
</fieldset>
<fieldset class="fr-fieldset" aria-labelledby="pieces-legende">
<legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="pieces-legende">Pièces jointes (facultatif)<span class="fr-hint-text">Cahier des charges, plans, bordereau de prix… Elles ne sont visibles que des facilitateurs et des structures à qui le besoin est envoyé.</span></legend>
${
  s.attachments.length
    ? html`<div class="fr-fieldset__element"><ul>${s.attachments.map(
        (a) => html`<li><a href="/besoins/${needId}/pieces/${a.id}" download>${a.originalName}</a> (${formatNumber(Math.max(1, Math.round(a.sizeBytes / 1024)))} ko)
<button class="fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-delete-line fr-btn--icon-left" type="submit" name="action" value="retirer:${a.id}">Retirer<span class="fr-sr-only"> ${a.originalName}</span></button></li>`,
      )}</ul></div>`
    : ''
}
${
  s.attachments.length < ATTACHMENTS_MAX
    ? html`<div class="fr-fieldset__element"><div class="fr-upload-group${s.errors.attachments ? ' fr-upload-group--error' : ''}">
<label class="fr-label" for="champ-attachments">Ajouter des fichiers<span class="fr-hint-text">${ATTACHMENT_HINT} ${s.attachments.length ? `Encore ${ATTACHMENTS_MAX - s.attachments.length} possible${ATTACHMENTS_MAX - s.attachments.length > 1 ? 's' : ''}.` : ''}</span></label>
<input class="fr-upload" type="file" id="champ-attachments" name="attachments" multiple accept=".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp"${s.errors.attachments ? html` aria-describedby="champ-attachments-erreur" aria-invalid="true"` : ''}>
${s.errors.attachments ? html`<p class="fr-error-text" id="champ-attachments-erreur">${s.errors.attachments}</p>` : ''}
</div></div>`
    : html`<p class="fr-text--sm">Vous avez joint le nombre maximum de fichiers (${ATTACHMENTS_MAX}).</p>`
}
</fieldset>`;
}

function step6(s: FormState, need: Need, base: string): Html {
  const contact = html`<fieldset class="fr-fieldset" aria-labelledby="contact-legende">
<legend class="fr-fieldset__legend" id="contact-legende"><h3 class="fr-h5 fr-mb-0">Contact</h3><span class="fr-hint-text">Les structures intéressées voient ces coordonnées ; elles ne sont jamais publiées.${s.guest ? ' Sans compte, votre adresse doit être professionnelle : un lien de confirmation vous y sera envoyé.' : ''}</span></legend>
<div class="fr-fieldset__element">${inputField({ id: 'champ-buyerName', name: 'buyerName', label: 'Organisation acheteuse', value: s.v.buyerName, required: true, autocomplete: 'organization', maxlength: 200, errors: s.errors })}</div>
<div class="fr-fieldset__element">${inputField({ id: 'champ-contactName', name: 'contactName', label: 'Prénom et nom de la personne à contacter', value: s.v.contactName, required: true, autocomplete: 'name', maxlength: 120, errors: s.errors })}</div>
<div class="fr-fieldset__element">${inputField({ id: 'champ-contactEmail', name: 'contactEmail', type: 'email', label: 'Adresse électronique professionnelle', value: s.v.contactEmail, required: true, autocomplete: 'email', maxlength: 254, hint: 'Format attendu : nom@organisation.fr', errors: s.errors })}</div>
<div class="fr-fieldset__element">${inputField({ id: 'champ-contactPhone', name: 'contactPhone', type: 'tel', label: 'Téléphone', value: s.v.contactPhone, required: true, autocomplete: 'tel', maxlength: 30, hint: 'Par exemple : 03 20 00 00 00', errors: s.errors })}</div>
</fieldset>`;
  return html`<h3 class="fr-h5">Votre besoin</h3>
${needSummary(need, s.refs, s.attachments, { headingLevel: 3, editBase: base })}
${contact}`;
}

const STEP_BODY: Record<number, (s: FormState, need: Need | null, base: string) => Html> = {
  1: (s) => step1(s),
  2: (s) => step2(s),
  3: (s) => step3(s),
  4: (s) => step4(s),
  5: (s, n) => step5(s, (n as Need).id),
  6: (s, n, base) => step6(s, n as Need, base),
};

function buttons(step: number, s: FormState): Html {
  const submitLabel = s.need?.status === 'changes_requested' ? 'Renvoyer mon besoin modifié' : 'Envoyer mon besoin';
  return html`<ul class="fr-btns-group fr-btns-group--inline-md fr-mt-4w">
${step < STEPS ? html`<li><button class="fr-btn" type="submit" name="action" value="suivant">Enregistrer et continuer</button></li>` : ''}
${step === STEPS && !s.qualifier ? html`<li><button class="fr-btn" type="submit" name="action" value="envoyer">${submitLabel}</button></li>` : ''}
${step === STEPS && s.qualifier ? html`<li><button class="fr-btn" type="submit" name="action" value="enregistrer">Enregistrer les modifications</button></li>` : ''}
${step > 1 ? html`<li><button class="fr-btn fr-btn--secondary" type="submit" name="action" value="precedent">Enregistrer et revenir à l’étape précédente</button></li>` : ''}
${step === 5 || (step < STEPS && s.need) ? html`<li><button class="fr-btn fr-btn--tertiary" type="submit" name="action" value="enregistrer">Enregistrer le brouillon</button></li>` : ''}
</ul>`;
}

function formPage(p: Platform, csrf: string, step: number, s: FormState): string {
  const need = s.need;
  const base = need ? `/besoins/${need.id}/etape` : '';
  const action = need ? `${base}/${step}` : '/besoins/deposer';
  const title = s.qualifier && need ? `Modifier le besoin ${need.reference}` : need ? `Déposer un besoin d’achat (${need.reference})` : 'Déposer un besoin d’achat';
  const intro =
    need?.status === 'changes_requested' && need.changesMessage
      ? notice('warning', 'Modifications demandées par le facilitateur', need.changesMessage)
      : need?.status === 'awaiting_confirmation' && !s.qualifier
        ? notice('info', 'Besoin en attente de confirmation', 'Modifier ce besoin le remet en brouillon : il faudra l’envoyer de nouveau et confirmer votre adresse.')
        : html``;
  const guestIntro =
    s.guest && step === 1 && !need
      ? html`<div class="fr-callout fr-mb-4w"><p class="fr-callout__text">Vous déposez ce besoin sans compte : votre brouillon est gardé dans ce navigateur ${GUEST_DAYS} jours, et vous confirmerez votre adresse professionnelle par courriel à l’envoi. Vous avez un compte ? <a href="/connexion?retour=/besoins/deposer">Connectez-vous</a> pour le déposer au nom de votre organisation.</p></div>`
      : html``;
  const main = html`<div class="fr-container fr-my-4w">
<div class="fr-grid-row fr-grid-row--center"><div class="fr-col-12 fr-col-lg-9">
<h1>${title}</h1>
${intro}
${guestIntro}
${stepper(step)}
${
  s.elsewhere?.length
    ? html`<div class="fr-alert fr-alert--error fr-mb-3w" role="alert">
<h2 class="fr-alert__title">Le besoin ne peut pas encore être envoyé</h2>
<p>${s.error}</p>
<ul>${s.elsewhere.map((x) => html`<li><a href="${base}/${x.step}">Étape ${x.step} : ${STEP_TITLES[x.step]}</a> – ${x.label} : ${x.message}</li>`)}</ul>
</div>`
    : formError(s.error)
}
<form method="post" action="${action}" novalidate${step === 5 ? html` enctype="multipart/form-data"` : ''}>
${csrfField(csrf)}
<p class="fr-text--sm">Les champs marqués d’un astérisque (<span aria-hidden="true">*</span><span class="fr-sr-only">astérisque</span>) sont obligatoires.</p>
${STEP_BODY[step](s, need, base)}
${buttons(step, s)}
</form>
${s.qualifier && need ? html`<p><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/admin/besoins/${need.id}">Retour à la qualification du besoin</a></p>` : need && !s.guest ? html`<p><a class="fr-link" href="/besoins/${need.id}">Voir la page du besoin</a></p>` : ''}
</div></div>
</div>`;
  return needPage(p, {
    title: `${STEP_TITLES[step]} – ${title}`,
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Besoins d’achat', href: '/besoins' }, { label: title }],
    main,
    scripts: step === 2 ? ['autocomplete.js', 'need-form.js'] : step === 4 ? ['need-form.js'] : [],
  });
}

// Helpers of the routes ------------------------------------------------------------------------------

async function editorOf(p: Platform, req: FastifyRequest, needId: string): Promise<Editor> {
  return { actor: req.actor, guest: (await guestNeedId(p, req.cookies[GUEST_COOKIE])) === needId };
}

function setGuestCookie(p: Platform, reply: FastifyReply, value: string): void {
  reply.setCookie(GUEST_COOKIE, value, { path: '/', httpOnly: true, sameSite: 'lax', secure: p.config.publicUrl.startsWith('https://'), maxAge: GUEST_DAYS * 86400 });
}

function errorsOf(err: unknown): { message: string; fields: FieldErrors; status: number } | null {
  if (!(err instanceof AppError) || err.status >= 500 || err.status === 401 || err.status === 403 || err.status === 404) return null;
  const d = (err.details ?? {}) as { field?: string; fields?: FieldErrors };
  const fields = d.fields ?? (d.field ? { [d.field]: err.message } : {});
  return { message: err.message, fields, status: err.status };
}

function rawOf(step: number, b: Body): Record<string, string> {
  const keys: Record<number, string[]> = {
    1: ['organisationId'],
    2: ['lieu', 'departements', 'region', 'answerDeadline', 'startDate'],
    3: ['amountRange', 'amountMin', 'amountMax', 'sectorsPosted'],
    4: ['insertionHours'],
  };
  return Object.fromEntries((keys[step] ?? []).filter((k) => b[k] !== undefined).map((k) => [k, one(b[k])]));
}

const parseStep = (s: string) => {
  const n = Number(s);
  return Number.isInteger(n) && n >= 1 && n <= STEPS ? n : null;
};

function buyerOrganisations(actor: Actor) {
  return buyerMemberships(actor).map((m) => ({ id: m.organisationId, name: m.organisationName }));
}

// Pages --------------------------------------------------------------------------------------------

async function homePage(p: Platform, req: FastifyRequest): Promise<string> {
  const actor = req.actor;
  const orgs = buyerOrganisations(actor);
  const mine = actor.person && orgs.length ? await listNeeds(p, actor, { perPage: 50 }) : null;
  const guestId = await guestNeedId(p, req.cookies[GUEST_COOKIE]);
  const guestDraft = guestId && !actor.person ? await p.db.one<{ reference: string; status: string; title: string }>('SELECT reference, status, title FROM needs WHERE id = $1 AND buyer_organisation_id IS NULL AND author_id IS NULL', [guestId]) : null;
  const main = html`<div class="fr-container fr-my-4w">
<h1>Besoins d’achat</h1>
<p class="fr-text--lead">Vous achetez des fournitures, des services ou des travaux ? Décrivez votre besoin : un facilitateur de votre territoire le relit, puis il est envoyé aux structures inclusives (insertion, handicap) qui peuvent y répondre, avec la raison de chaque choix.</p>
<ul>
<li>demande de devis, appel d’offres ou sourcing ;</li>
<li>marché réservé (articles L2113-12 à L2113-14), clause sociale d’insertion ou critère social pris en compte ;</li>
<li>les structures intéressées vous contactent ; vous suivez leurs réponses.</li>
</ul>
<ul class="fr-btns-group fr-btns-group--inline-md">
<li><a class="fr-btn fr-icon-add-line fr-btn--icon-left" href="/besoins/deposer">Déposer un besoin</a></li>
</ul>
${guestDraft && (guestDraft.status === 'draft' || guestDraft.status === 'changes_requested') ? html`<div class="fr-callout"><p class="fr-callout__text">Vous avez un besoin en cours dans ce navigateur : « ${guestDraft.title || guestDraft.reference} ».</p><a class="fr-btn fr-btn--secondary" href="/besoins/${guestId}/etape/1">Reprendre ce besoin</a></div>` : ''}
${
  mine
    ? html`<h2 class="fr-mt-6w">Les besoins de votre organisation</h2>
${
  mine.items.length
    ? html`<div class="fr-table"><div class="fr-table__wrapper"><div class="fr-table__container"><div class="fr-table__content"><table>
<caption>Besoins d’achat de ${orgs.map((o) => o.name).join(', ')} (${formatNumber(mine.total)})</caption>
<thead><tr><th scope="col">Référence</th><th scope="col">Titre</th><th scope="col">Statut</th><th scope="col">Date limite de réponse</th></tr></thead>
<tbody>${mine.items.map(
        (n) => html`<tr><td>${n.reference}</td><th scope="row"><a href="/besoins/${n.id}">${n.title || 'Sans titre'}</a></th><td>${statusBadge(n.status)}</td><td>${formatDate(n.answerDeadline) ?? '—'}</td></tr>`,
      )}</tbody>
</table></div></div></div></div>`
    : html`<p>Votre organisation n’a pas encore déposé de besoin.</p>`
}`
    : ''
}
</div>`;
  return needPage(p, { title: 'Besoins d’achat', breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Besoins d’achat' }], main });
}

function noBuyerPage(p: Platform): string {
  return needPage(p, {
    title: 'Déposer un besoin d’achat',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Besoins d’achat', href: '/besoins' }, { label: 'Déposer un besoin' }],
    main: html`<div class="fr-container fr-my-4w">
<h1>Déposer un besoin d’achat</h1>
<p>Un besoin est déposé au nom d’une organisation d’acheteur (collectivité, établissement public, entreprise…). Votre compte n’est membre d’aucune organisation d’acheteur.</p>
<ul class="fr-btns-group fr-btns-group--inline-md">
<li><a class="fr-btn" href="/organisations/nouvelle">Créer mon organisation d’acheteur</a></li>
<li><a class="fr-btn fr-btn--secondary" href="/espace">Voir mon espace</a></li>
</ul>
<p class="fr-text--sm">Votre organisation existe déjà sur Passerelles ? Demandez à l’un de ses administrateurs de vous inviter.</p>
</div>`,
  });
}

const NEXT_TEXT: Record<NeedStatus, string> = {
  draft: 'Ce besoin est un brouillon : complétez-le puis envoyez-le.',
  awaiting_confirmation: 'Confirmez votre adresse électronique avec le lien reçu par courriel : le besoin sera alors examiné.',
  submitted: 'Un facilitateur de votre territoire relit votre besoin. Il peut le valider, vous demander des modifications ou le refuser en expliquant pourquoi.',
  changes_requested: 'Le facilitateur vous demande de modifier votre besoin. Sans modification dans les 10 jours, il sera clôturé.',
  validated: 'Votre besoin est validé : il va être envoyé par lots aux structures qui correspondent.',
  sending: 'Votre besoin est envoyé aux structures qui correspondent : suivez leurs réponses.',
  closed: 'Ce besoin est clôturé.',
  rejected: 'Ce besoin n’a pas été retenu.',
};

async function buyerNeedPage(p: Platform, req: FastifyRequest, reply: FastifyReply, n: Need, message?: string): Promise<string> {
  const refs = await getReferentials(p.db);
  const attachments = await listAttachments(p.db, n.id);
  const e: Editor = { actor: req.actor, guest: false };
  const editable = mayEdit(e, n) && isNeedBuyer(req.actor, n);
  const closable = isNeedBuyer(req.actor, n) && ['draft', 'awaiting_confirmation', 'submitted', 'changes_requested', 'validated', 'sending'].includes(n.status);
  const sent = n.firstSentAt !== null || n.status === 'sending' || (n.status === 'closed' && n.validatedAt !== null);
  const matches = ['validated', 'sending', 'closed'].includes(n.status) && n.validatedAt ? await needMatches(p, req.actor, n.id, 10).catch(() => null) : null;
  const csrf = csrfToken(req, reply, p.config);
  const main = html`<div class="fr-container fr-my-4w">
${message ? notice('success', message) : ''}
<p class="fr-mb-1w">${n.reference} · ${NEED_KIND_LABEL[n.kind]}</p>
<h1>${n.title || 'Besoin sans titre'}</h1>
${statusBadge(n.status)}
<div class="fr-callout fr-my-4w">
<h2 class="fr-callout__title fr-h5">Et maintenant ?</h2>
<p class="fr-callout__text">${NEXT_TEXT[n.status]}${n.status === 'closed' && n.closedReason ? ` Motif : ${CLOSED_REASON_LABEL[n.closedReason]}.` : ''}</p>
${n.status === 'changes_requested' && n.changesMessage ? html`<p>Message du facilitateur : « ${n.changesMessage} »</p>` : ''}
${n.status === 'rejected' && n.rejectionReason ? html`<p>Motif : « ${n.rejectionReason} »</p>` : ''}
<ul class="fr-btns-group fr-btns-group--inline-md fr-mt-2w">
${editable ? html`<li><a class="fr-btn" href="/besoins/${n.id}/etape/1">${n.status === 'changes_requested' ? 'Modifier mon besoin' : 'Reprendre le brouillon'}</a></li>` : ''}
${sent ? html`<li><a class="fr-btn" href="/besoins/${n.id}/reponses">Suivre les réponses des structures</a></li>` : ''}
</ul>
</div>
${needSummary(n, refs, attachments, { contact: true })}
${matches ? html`<h2 class="fr-mt-4w">Structures correspondantes</h2><p>${formatNumber(matches.total)} structure${matches.total > 1 ? 's correspondent' : ' correspond'} à votre besoin. Les premières :</p>${matchesTable('Les structures qui correspondent le mieux, avec la raison de chaque choix', matches.items, refs)}` : ''}
${
  closable
    ? html`<h2 class="fr-mt-6w fr-h5">Clôturer ce besoin</h2>
<p>Vous n’en avez plus besoin, ou vous avez trouvé ? Le besoin ne sera plus envoyé à de nouvelles structures.</p>
<form method="post" action="/besoins/${n.id}/cloture">${csrfField(csrf)}<button class="fr-btn fr-btn--secondary" type="submit">Clôturer le besoin</button></form>`
    : ''
}
</div>`;
  return needPage(p, { title: `${n.title || 'Besoin'} (${n.reference})`, breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Besoins d’achat', href: '/besoins' }, { label: n.reference }], main });
}

function messagePage(p: Platform, title: string, body: Html): string {
  return needPage(p, {
    title,
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Besoins d’achat', href: '/besoins' }, { label: title }],
    main: html`<div class="fr-container fr-my-4w"><div class="fr-grid-row"><div class="fr-col-12 fr-col-lg-8"><h1>${title}</h1>${body}</div></div></div>`,
  });
}

// Routes -------------------------------------------------------------------------------------------

/** Multipart for the steps: files of at most 10 MB (+1 byte, to tell "too large"), 3 at a time. */
const NEED_MULTIPART = {
  attachFieldsToBody: 'keyValues' as const,
  throwFileSizeLimit: false,
  limits: { fileSize: ATTACHMENT_MAX_BYTES + 1, files: ATTACHMENTS_MAX, fields: 60, fieldSize: 20_000, parts: 70 },
  async onFile(part: { filename: string; file: { truncated: boolean }; toBuffer: () => Promise<Buffer>; value?: unknown }) {
    const data = await part.toBuffer();
    part.value = { data, filename: part.filename, truncated: part.file.truncated } satisfies UploadedFile;
  },
};

export async function needPostPages(app: FastifyInstance, p: Platform): Promise<void> {
  const pub = { config: { access: 'public' as const } };
  const person = { config: { access: 'person' as const } };
  type Id = { Params: { id: string } };

  app.get('/besoins', pub, async (req, reply) => sendHtml(reply, await homePage(p, req)));

  app.get('/besoins/deposer', pub, async (req, reply) => {
    const actor = req.actor;
    const orgs = buyerOrganisations(actor);
    if (actor.person && !orgs.length) return sendHtml(reply, noBuyerPage(p));
    const refs = await getReferentials(p.db);
    const state: FormState = { need: null, v: blank(), raw: {}, errors: {}, refs, attachments: [], organisations: orgs, qualifier: false, guest: !actor.person };
    return sendHtml(reply, formPage(p, csrfToken(req, reply, p.config), 1, state));
  });

  app.post<{ Body: Body }>('/besoins/deposer', pub, async (req, reply) => {
    const actor = req.actor;
    const orgs = buyerOrganisations(actor);
    if (actor.person && !orgs.length) return sendHtml(reply, noBuyerPage(p), 403);
    const body = req.body ?? {};
    const { values } = formToValues(1, body);
    try {
      const need = await createDraft(p, actor, { ...values, organisationId: one(body.organisationId) }, { ip: clientIp(req) });
      if (!actor.person) setGuestCookie(p, reply, await guestCookieValue(p, need.id));
      return reply.redirect(`/besoins/${need.id}/etape/2`, 303);
    } catch (err) {
      const e = errorsOf(err);
      if (!e) throw err;
      if (e.status === 429) reply.header('Retry-After', String((err as AppError & { details: { retryAfterSeconds?: number } }).details?.retryAfterSeconds ?? 60));
      const refs = await getReferentials(p.db);
      const state: FormState = { need: null, v: { ...blank(), ...values } as NeedInput, raw: rawOf(1, body), errors: e.fields, error: e.message, refs, attachments: [], organisations: orgs, qualifier: false, guest: !actor.person };
      return sendHtml(reply, formPage(p, csrfToken(req, reply, p.config), 1, state), e.status);
    }
  });

  async function stateFor(req: FastifyRequest, need: Need, e: Editor): Promise<FormState> {
    return {
      need,
      v: inputOf(need),
      raw: {},
      errors: {},
      refs: await getReferentials(p.db),
      attachments: await listAttachments(p.db, need.id),
      organisations: [],
      qualifier: !e.guest && !isNeedBuyer(req.actor, need) && canQualifyNeed(req.actor, need),
      guest: e.guest && need.authorId === null && need.buyerOrganisationId === null,
    };
  }

  app.get<{ Params: { id: string; step: string } }>('/besoins/:id/etape/:step', pub, async (req, reply) => {
    const step = parseStep(req.params.step);
    if (!step) throw new AppError('NOT_FOUND', 'Étape introuvable.', 404);
    const e = await editorOf(p, req, req.params.id);
    const need = await needForEdit(p, e, req.params.id);
    return sendHtml(reply, formPage(p, csrfToken(req, reply, p.config), step, await stateFor(req, need, e)));
  });

  app.get<Id & { Querystring: { jeton?: string } }>('/besoins/:id/reprendre', pub, async (req, reply) => {
    const value = await guestLinkCookie(p, req.params.id, String(req.query.jeton ?? ''));
    setGuestCookie(p, reply, value);
    return reply.redirect(`/besoins/${req.params.id}/etape/1`, 303);
  });

  app.get<{ Querystring: { besoin?: string; jeton?: string } }>('/besoins/confirmation', pub, async (req, reply) => {
    const id = String(req.query.besoin ?? '');
    const token = String(req.query.jeton ?? '');
    const n = await checkConfirmation(p, id, token);
    const csrf = csrfToken(req, reply, p.config);
    const done = n.status !== 'awaiting_confirmation';
    return sendHtml(
      reply,
      messagePage(
        p,
        done ? 'Besoin déjà confirmé' : 'Confirmer votre besoin',
        done
          ? html`<p>Le besoin « ${n.title} » (${n.reference}) a déjà été confirmé : ${NEED_STATUS_LABEL[n.status].toLowerCase()}.</p>`
          : html`<p>Confirmez le dépôt du besoin « ${n.title} » (${n.reference}) : il sera relu par un facilitateur puis envoyé aux structures qui correspondent.</p>
<form method="post" action="/besoins/confirmation">${csrfField(csrf)}<input type="hidden" name="besoin" value="${id}"><input type="hidden" name="jeton" value="${token}">
<button class="fr-btn" type="submit">Confirmer mon besoin</button></form>`,
      ),
    );
  });

  app.post<{ Body: Body }>('/besoins/confirmation', pub, async (req, reply) => {
    const body = req.body ?? {};
    const r = await confirmGuestNeed(p, one(body.besoin), one(body.jeton));
    return sendHtml(
      reply,
      messagePage(
        p,
        'Besoin confirmé',
        html`${notice('success', r.already ? 'Ce besoin était déjà confirmé' : 'Merci, votre besoin est déposé')}
<p>Un facilitateur de votre territoire relit le besoin « ${r.need.title} » (${r.need.reference}). Vous recevrez un courriel quand il sera validé, ou s’il faut le préciser.</p>
<p><a class="fr-link" href="/besoins">Retour aux besoins d’achat</a></p>`,
      ),
    );
  });

  app.get<Id>('/besoins/:id', person, async (req, reply) => {
    const n = await needFor(p, req.actor, req.params.id);
    const q = req.query as { message?: string };
    const message = q.message === 'envoye' ? 'Votre besoin est envoyé : un facilitateur va le relire.' : q.message === 'cloture' ? 'Le besoin est clôturé.' : undefined;
    return sendHtml(reply, await buyerNeedPage(p, req, reply, n, message));
  });

  app.post<Id>('/besoins/:id/cloture', person, async (req, reply) => {
    await closeByBuyer(p, { actor: req.actor, guest: false }, req.params.id);
    return reply.redirect(`/besoins/${req.params.id}?message=cloture`, 303);
  });

  app.get<{ Params: { id: string; attachmentId: string } }>('/besoins/:id/pieces/:attachmentId', pub, async (req, reply) => {
    const e = await editorOf(p, req, req.params.id);
    const a = await attachmentFor(p, e, req.params.id, req.params.attachmentId);
    const file = await openAttachment(p.config, a);
    if (!file) throw new AppError('NOT_FOUND', 'Fichier introuvable.', 404);
    return reply
      .header('Content-Type', a.contentType)
      .header('Content-Length', file.size)
      .header('Content-Disposition', contentDisposition(a.originalName))
      .header('Cache-Control', 'private, no-store')
      .header('X-Content-Type-Options', 'nosniff')
      .send(file.stream);
  });

  // The steps' POST: multipart (step 5 sends files) or urlencoded; the parser exists in this scope only.
  await app.register(async (scope) => {
    await scope.register(fastifyMultipart, NEED_MULTIPART as never);
    scope.post<{ Params: { id: string; step: string }; Body: Body }>('/besoins/:id/etape/:step', pub, async (req, reply) => {
      const step = parseStep(req.params.step);
      if (!step) throw new AppError('NOT_FOUND', 'Étape introuvable.', 404);
      const id = req.params.id;
      const e = await editorOf(p, req, id);
      const need = await needForEdit(p, e, id);
      const body = req.body ?? {};
      const action = one(body.action) || 'suivant';
      const { values, errors } = formToValues(step, body);
      const state = await stateFor(req, need, e);
      try {
        if (action.startsWith('retirer:')) {
          await removeAttachment(p, e, id, action.slice('retirer:'.length));
          return reply.redirect(`/besoins/${id}/etape/${step}`, 303);
        }
        await saveNeed(p, e, id, values, STEP_FIELDS[step], { parseErrors: errors });
        if (step === 5) await addAttachments(p, e, id, uploadedFiles(body));
        if (action === 'precedent') return reply.redirect(`/besoins/${id}/etape/${step - 1}`, 303);
        if (action === 'enregistrer') {
          if (state.qualifier && step === STEPS) return reply.redirect(`/admin/besoins/${id}?message=modifie`, 303);
          return reply.redirect(`/besoins/${id}/etape/${step}`, 303);
        }
        if (step < STEPS) return reply.redirect(`/besoins/${id}/etape/${step + 1}`, 303);
        if (state.qualifier) return reply.redirect(`/admin/besoins/${id}?message=modifie`, 303);
        const r = await submitNeed(p, e, id, { ip: clientIp(req) });
        if (r.outcome === 'awaiting_confirmation') {
          return sendHtml(
            reply,
            messagePage(
              p,
              'Consultez votre messagerie',
              html`${notice('success', 'Votre besoin est enregistré')}
<p>Pour l’envoyer, cliquez sur le lien que nous venons d’envoyer à <strong>${r.need.contactEmail}</strong> : il est valable 7 jours. Pensez à regarder dans les indésirables.</p>
<p>Une fois confirmé, un facilitateur de votre territoire le relira avant de l’envoyer aux structures.</p>`,
            ),
          );
        }
        if (e.guest && !req.actor.person) {
          return sendHtml(reply, messagePage(p, 'Besoin envoyé', html`${notice('success', 'Votre besoin modifié est envoyé')}<p>Un facilitateur va le relire. Vous recevrez un courriel de sa décision.</p>`));
        }
        return reply.redirect(`/besoins/${id}?message=envoye`, 303);
      } catch (err) {
        const x = errorsOf(err);
        if (!x) throw err;
        if (x.status === 429) reply.header('Retry-After', String(((err as AppError).details as { retryAfterSeconds?: number })?.retryAfterSeconds ?? 60));
        // At submission, an error may be on another step: list each one with a link to its step.
        const stepOf = (f: string) => Number(Object.entries(STEP_FIELDS).find(([, fs]) => fs.includes(f as Field))?.[0] ?? step);
        const elsewhere = Object.keys(x.fields).filter((f) => stepOf(f) !== step && f !== 'attachments');
        const v = { ...state.v, ...values } as NeedInput;
        return sendHtml(
          reply,
          formPage(p, csrfToken(req, reply, p.config), step, {
            ...state,
            v,
            raw: { ...rawOf(step, body), ...(step === 3 ? { sectorsPosted: '1' } : {}) },
            errors: x.fields,
            error: x.message,
            elsewhere: elsewhere.map((f) => ({ step: stepOf(f), label: FIELD_LABEL[f as Field] ?? f, message: x.fields[f] as string })),
            attachments: await listAttachments(p.db, id),
          }),
          x.status,
        );
      }
    });
  });
}

/** The empty first step: nothing prefilled (the step-1 form asks for the contact later). */
const blank = (): NeedInput => emptyInput(ANONYMOUS, null);
