// The page where a structure's team completes its profile (/structures/modifier/:id): presentation, public
// contacts, activities and areas served, capacity, labels and commitments, client references, logo; official
// fields for facilitators and the platform; the completion score; the structure's pending claims for its
// administrators. Works without JavaScript (a fixed set of activity rows); editing.js only shows the area
// field that matches the chosen kind of area.
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { type Html, html } from '../../core/html.ts';
import type { Platform } from '../../core/platform.ts';
import { type FieldErrors, csrfField, formError, inputField, notice, textareaField } from '../../web/forms.ts';
import { formatDate } from '../../web/format.ts';
import { claimDecisionList, decidableClaimsOf } from '../accounts/claim-pages.ts';
import { csrfToken } from '../accounts/http.ts';
import { renderPage } from '../accounts/pages.ts';
import { getReferentials, type Referentials } from '../referentials/service.ts';
import { loadTerritories } from '../territories/data.ts';
import { territoryRefToKey } from './area.ts';
import {
  completion,
  type EditableStructure,
  type EditInput,
  editStructure,
  FIELD_ID,
  removeLogo,
  setLogo,
  structureForEdit,
  SUGGESTED_COMMITMENTS,
} from './editing.ts';
import { LOGO_MULTIPART, uploadedFile } from './editing-routes.ts';
import { KIND_CODES, SERVICE_TYPE_CODES } from './model.ts';
import type { StructureProfile } from './service.ts';
import { sendHtml } from '../../web/reply.ts';

type FormValues = Record<string, string | string[] | undefined>;
type Editable = EditableStructure & { canCorrectOfficial: boolean };

const str = (v: string | string[] | undefined): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

// Form values <-> profile ------------------------------------------------------------------------------

const AREA_KINDS = [
  { value: 'country', label: 'Dans toute la France' },
  { value: 'radius', label: 'Dans un rayon autour de la structure' },
  { value: 'territories', label: 'Sur des territoires choisis' },
];
const COMMITMENT_TYPES = [
  { value: 'social', label: 'Social' },
  { value: 'environmental', label: 'Environnemental' },
];
const SUGGESTED = SUGGESTED_COMMITMENTS.length;

/** The form's values for a stored profile. */
function valuesOf(s: StructureProfile): FormValues {
  const territories = loadTerritories();
  const v: FormValues = {
    description: s.description ?? '',
    brand: s.brand ?? '',
    website: s.website ?? '',
    publicEmail: s.publicEmail ?? '',
    publicPhone: s.publicPhone ?? '',
    etp: s.etp != null ? String(s.etp).replace('.', ',') : '',
    employeesInsertion: s.employeesInsertion != null ? String(s.employeesInsertion) : '',
    employeesPermanent: s.employeesPermanent != null ? String(s.employeesPermanent) : '',
    labels: s.labels.map((l) => l.slug),
    clientReferences: s.clientReferences.join('\n'),
    siret: s.siret,
    kind: s.kind,
    name: s.name,
  };
  s.activities.forEach((a, i) => {
    v[`activities.${i}.sector`] = a.sector.slug;
    v[`activities.${i}.serviceTypes`] = a.serviceTypes;
    v[`activities.${i}.areaKind`] = a.area.kind;
    v[`activities.${i}.radiusKm`] = a.area.kind === 'radius' ? String(a.area.radiusKm) : '';
    v[`activities.${i}.territories`] =
      a.area.kind === 'territories'
        ? a.area.territories
            .map((ref) => {
              const t = territories.byKey.get(territoryRefToKey(ref, territories));
              return t ? territories.label(t) : ref;
            })
            .join('\n')
        : '';
    v[`activities.${i}.existing`] = 'on';
  });
  SUGGESTED_COMMITMENTS.forEach((c, i) => {
    const found = s.commitments.find((x) => x.type === c.type && x.label === c.label);
    if (found) v[`commitments.${i}.on`] = 'on';
    v[`commitments.${i}.detail`] = found?.detail ?? '';
  });
  s.commitments
    .filter((x) => !SUGGESTED_COMMITMENTS.some((c) => c.type === x.type && c.label === x.label))
    .forEach((c, j) => {
      const i = SUGGESTED + j;
      v[`commitments.${i}.type`] = c.type;
      v[`commitments.${i}.label`] = c.label;
      v[`commitments.${i}.detail`] = c.detail ?? '';
    });
  return v;
}

/** Number of rows of a list in the values ("activities.3.sector" → 4). */
function rowCount(v: FormValues, prefix: string): number {
  let n = 0;
  const re = new RegExp(`^${prefix}\\.(\\d+)\\.`);
  for (const k of Object.keys(v)) {
    const m = re.exec(k);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return Math.min(n, 60);
}

function num(v: string | string[] | undefined): number | string | null {
  const s = str(v).trim();
  if (!s) return null;
  const n = Number(s.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.'));
  return Number.isFinite(n) ? n : s;
}

/** The edit a submitted form asks for; rows of activities and commitments keep their place for errors. */
function formToInput(b: FormValues, official: boolean): { input: Record<string, unknown>; activityRow: number[]; commitmentRow: number[] } {
  const input: Record<string, unknown> = {
    description: str(b.description),
    brand: str(b.brand),
    website: str(b.website),
    publicEmail: str(b.publicEmail),
    publicPhone: str(b.publicPhone),
    etp: num(b.etp),
    employeesInsertion: num(b.employeesInsertion),
    employeesPermanent: num(b.employeesPermanent),
    labels: list(b.labels),
    clientReferences: str(b.clientReferences)
      .split(/\r?\n/)
      .map((x) => x.trim())
      .filter(Boolean),
  };
  const activities: unknown[] = [];
  const activityRow: number[] = [];
  for (let i = 0; i < rowCount(b, 'activities'); i++) {
    const f = (k: string) => b[`activities.${i}.${k}`];
    const sector = str(f('sector')).trim();
    const types = list(f('serviceTypes'));
    const kind = str(f('areaKind'));
    const territories = str(f('territories'))
      .split(/[\n;,]/)
      .map((x) => x.trim())
      .filter(Boolean);
    if (str(f('remove')) === 'on') continue;
    if (!sector && !types.length && !territories.length && !str(f('radiusKm')).trim()) continue;
    const area = kind === 'country' ? { kind } : kind === 'radius' ? { kind, radiusKm: num(f('radiusKm')) } : kind === 'territories' ? { kind, territories } : { kind: kind || null };
    activities.push({ sector, serviceTypes: types, area });
    activityRow.push(i);
  }
  input.activities = activities;
  const commitments: unknown[] = [];
  const commitmentRow: number[] = [];
  for (let i = 0; i < Math.max(rowCount(b, 'commitments'), SUGGESTED); i++) {
    const f = (k: string) => str(b[`commitments.${i}.${k}`]).trim();
    if (i < SUGGESTED) {
      if (f('on') !== 'on') continue;
      commitments.push({ ...SUGGESTED_COMMITMENTS[i], detail: f('detail') || null });
    } else {
      if (!f('label') && !f('detail')) continue;
      commitments.push({ type: f('type'), label: f('label'), detail: f('detail') || null });
    }
    commitmentRow.push(i);
  }
  input.commitments = commitments;
  if (official) {
    input.siret = str(b.siret);
    input.kind = str(b.kind);
    input.name = str(b.name);
  }
  if (str(b.reason).trim()) input.reason = str(b.reason);
  return { input, activityRow, commitmentRow };
}

/** Field errors of the service ("activities.1.area.radiusKm") as names of the form's fields. */
function formErrors(fields: Record<string, string>, activityRow: number[], commitmentRow: number[]): FieldErrors {
  const out: FieldErrors = {};
  for (const [key, message] of Object.entries(fields)) {
    const a = /^activities\.(\d+)\.(.+)$/.exec(key);
    const c = /^commitments\.(\d+)\.(.+)$/.exec(key);
    if (a) {
      const row = activityRow[Number(a[1])] ?? Number(a[1]);
      const part = a[2] === 'area.radiusKm' ? 'radiusKm' : a[2] === 'area.territories' ? 'territories' : a[2].startsWith('area') ? 'areaKind' : a[2];
      out[`activities.${row}.${part}`] = message;
    } else if (c) {
      const row = commitmentRow[Number(c[1])] ?? Number(c[1]);
      out[`commitments.${row}.${row < SUGGESTED && c[2] !== 'detail' ? 'on' : c[2]}`] = message;
    } else out[key] = message;
  }
  return out;
}

// Building blocks ---------------------------------------------------------------------------------------

const fid = (name: string) => `champ-${name.replace(/\./g, '-')}`;

function choiceGroup(o: { kind: 'checkbox' | 'radio'; id: string; legend: string; hint?: string; name: string; options: { value: string; label: string }[]; checked: string[]; errors?: FieldErrors; inline?: boolean }): Html {
  const error = o.errors?.[o.name];
  const cls = o.kind === 'checkbox' ? 'fr-checkbox-group' : 'fr-radio-group';
  return html`<fieldset class="fr-fieldset${error ? ' fr-fieldset--error' : ''}" id="${o.id}" aria-labelledby="${o.id}-legende${error ? html` ${o.id}-erreur` : ''}">
<legend class="fr-fieldset__legend--regular fr-fieldset__legend" id="${o.id}-legende">${o.legend}${o.hint ? html`<span class="fr-hint-text">${o.hint}</span>` : ''}</legend>
${o.options.map(
  (x, k) => html`<div class="fr-fieldset__element${o.inline ? ' fr-fieldset__element--inline' : ''}"><div class="${cls}">
<input type="${o.kind}" id="${o.id}-${k}" name="${o.name}" value="${x.value}"${o.checked.includes(x.value) ? html` checked` : ''}>
<label class="fr-label" for="${o.id}-${k}">${x.label}</label>
</div></div>`,
)}
${error ? html`<div class="fr-messages-group" id="${o.id}-erreur" aria-live="polite"><p class="fr-message fr-message--error">${error}</p></div>` : ''}
</fieldset>`;
}

function sectorSelect(refs: Referentials, name: string, value: string, errors: FieldErrors): Html {
  const error = errors[name];
  const id = fid(name);
  return html`<div class="fr-select-group${error ? ' fr-select-group--error' : ''}">
<label class="fr-label" for="${id}">Secteur d’activité</label>
<select class="fr-select${error ? ' fr-select--error' : ''}" id="${id}" name="${name}"${error ? html` aria-describedby="${id}-erreur" aria-invalid="true"` : ''}>
<option value="">Choisir un secteur</option>
${refs.groups.map((g) => html`<optgroup label="${g.name}">${g.sectors.map((s) => html`<option value="${s.slug}"${s.slug === value ? html` selected` : ''}>${s.name}</option>`)}</optgroup>`)}
</select>
${error ? html`<p id="${id}-erreur" class="fr-error-text">${error}</p>` : ''}
</div>`;
}

function activityRow(refs: Referentials, v: FormValues, i: number, errors: FieldErrors): Html {
  const n = (k: string) => `activities.${i}.${k}`;
  const existing = str(v[n('existing')]) === 'on';
  return html`<fieldset class="fr-fieldset fr-mb-4w" id="activite-${i}" aria-labelledby="activite-${i}-legende" data-activity>
<legend class="fr-fieldset__legend" id="activite-${i}-legende">${existing ? `Activité ${i + 1}` : `Nouvelle activité (${i + 1})`}</legend>
<input type="hidden" name="${n('existing')}" value="${existing ? 'on' : ''}">
<div class="fr-fieldset__element">${sectorSelect(refs, n('sector'), str(v[n('sector')]), errors)}</div>
<div class="fr-fieldset__element">${choiceGroup({ kind: 'checkbox', id: fid(n('serviceTypes')), legend: 'Types de prestation', name: n('serviceTypes'), options: refs.serviceTypes.filter((t) => (SERVICE_TYPE_CODES as readonly string[]).includes(t.code)).map((t) => ({ value: t.code, label: t.name })), checked: list(v[n('serviceTypes')]), errors, inline: true })}</div>
<div class="fr-fieldset__element">${choiceGroup({ kind: 'radio', id: fid(n('areaKind')), legend: 'Zone d’intervention', name: n('areaKind'), options: AREA_KINDS, checked: [str(v[n('areaKind')])], errors, inline: true })}</div>
<div class="fr-fieldset__element" data-area="radius">${inputField({ id: fid(n('radiusKm')), name: n('radiusKm'), label: 'Rayon, en kilomètres', hint: 'Pour une intervention dans un rayon autour de la structure (1 à 1 000 km).', type: 'number', min: 1, max: 1000, value: str(v[n('radiusKm')]), errors })}</div>
<div class="fr-fieldset__element" data-area="territories">${textareaField({ id: fid(n('territories')), name: n('territories'), label: 'Territoires desservis', hint: 'Un par ligne : nom ou code d’une commune, d’une intercommunalité, d’un département ou d’une région, par exemple « Nord (59) », « Lille (59) », « département 62 », « Hauts-de-France ».', rows: 3, maxlength: 5000, value: str(v[n('territories')]), errors })}</div>
${
  existing
    ? html`<div class="fr-fieldset__element"><div class="fr-checkbox-group"><input type="checkbox" id="${fid(n('remove'))}" name="${n('remove')}" value="on"${str(v[n('remove')]) === 'on' ? html` checked` : ''}><label class="fr-label" for="${fid(n('remove'))}">Supprimer cette activité</label></div></div>`
    : ''
}
</fieldset>`;
}

function commitmentRows(v: FormValues, rows: number, errors: FieldErrors): Html {
  const suggested = SUGGESTED_COMMITMENTS.map((c, i) => {
    const n = (k: string) => `commitments.${i}.${k}`;
    return html`<div class="fr-fieldset__element">
<div class="fr-checkbox-group"><input type="checkbox" id="${fid(n('on'))}" name="${n('on')}" value="on"${str(v[n('on')]) === 'on' ? html` checked` : ''}><label class="fr-label" for="${fid(n('on'))}">${c.label} <span class="fr-hint-text">Engagement ${c.type === 'social' ? 'social' : 'environnemental'}</span></label></div>
${inputField({ id: fid(n('detail')), name: n('detail'), label: `Précision sur « ${c.label} » (facultatif)`, value: str(v[n('detail')]), maxlength: 1000, errors })}
</div>`;
  });
  const free: Html[] = [];
  for (let i = SUGGESTED; i < rows; i++) {
    const n = (k: string) => `commitments.${i}.${k}`;
    const typeError = errors[n('type')];
    free.push(html`<fieldset class="fr-fieldset" id="engagement-${i}" aria-labelledby="engagement-${i}-legende">
<legend class="fr-fieldset__legend--regular fr-fieldset__legend" id="engagement-${i}-legende">Autre engagement (${i - SUGGESTED + 1})</legend>
<div class="fr-fieldset__element"><div class="fr-select-group${typeError ? ' fr-select-group--error' : ''}">
<label class="fr-label" for="${fid(n('type'))}">Nature</label>
<select class="fr-select" id="${fid(n('type'))}" name="${n('type')}">${COMMITMENT_TYPES.map((t) => html`<option value="${t.value}"${str(v[n('type')]) === t.value ? html` selected` : ''}>${t.label}</option>`)}</select>
${typeError ? html`<p class="fr-error-text">${typeError}</p>` : ''}
</div></div>
<div class="fr-fieldset__element">${inputField({ id: fid(n('label')), name: n('label'), label: 'Intitulé', value: str(v[n('label')]), maxlength: 200, errors })}</div>
<div class="fr-fieldset__element">${inputField({ id: fid(n('detail')), name: n('detail'), label: 'Précision (facultatif)', value: str(v[n('detail')]), maxlength: 1000, errors })}</div>
</fieldset>`);
  }
  return html`<fieldset class="fr-fieldset" id="engagements-proposes" aria-labelledby="engagements-proposes-legende">
<legend class="fr-fieldset__legend" id="engagements-proposes-legende">Engagements sociaux et environnementaux<span class="fr-hint-text">Cochez ceux de la structure et précisez-les en quelques mots (démarche, date, organisme…).</span></legend>
${suggested}
</fieldset>
${free}`;
}

const MESSAGES: Record<string, [string, string]> = {
  enregistre: ['Fiche enregistrée.', 'Les modifications sont visibles dans l’annuaire.'],
  inchange: ['Aucune modification.', 'La fiche était déjà à jour.'],
  logo: ['Logo enregistré.', ''],
  'logo-retire': ['Logo retiré.', ''],
  decision: ['Décision enregistrée.', 'La personne a été prévenue par courriel.'],
};

interface PageState {
  s: Editable;
  values: FormValues;
  errors: FieldErrors;
  error?: string;
  extraRows: number;
  message?: string;
}

async function editPage(p: Platform, req: FastifyRequest, reply: FastifyReply, st: PageState): Promise<string> {
  const refs = await getReferentials(p.db);
  const csrf = csrfToken(req, reply, p.config);
  const { s, values: v, errors } = st;
  const profile = s.profile;
  const done = completion(profile);
  const id = profile.id;
  const claims = await decidableClaimsOf(p, req.actor, id);
  const activityRows = rowCount(v, 'activities') + st.extraRows;
  const commitmentFreeRows = Math.max(rowCount(v, 'commitments'), SUGGESTED) + st.extraRows;
  const msg = st.message ? MESSAGES[st.message] : undefined;
  const checkedLabels = list(v.labels);
  const rows: Html[] = [];
  for (let i = 0; i < activityRows; i++) rows.push(activityRow(refs, v, i, errors));
  const kindOptions = KIND_CODES.map((k) => ({ value: k, label: `${refs.kindByCode.get(k)?.name ?? k} (${k})` }));
  const logoError = errors.logo;
  const base = `/structures/modifier/${id}`;

  return renderPage(p, {
    title: `Modifier la fiche : ${profile.name}`,
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Mon espace', href: '/espace' }, { label: `Modifier la fiche : ${profile.name}` }],
    scripts: ['editing.js'],
    main: html`<div class="fr-container fr-mt-4w">
${msg ? notice('success', msg[0], msg[1] || undefined) : ''}
${formError(st.error)}
<h1>Modifier la fiche : ${profile.name}</h1>
<p>${s.hidden ? 'Cette fiche est masquée de l’annuaire. ' : html`<a class="fr-link" href="/structures/${profile.slug}">Voir la fiche publique</a>`}${s.editedAt ? ` · Dernière modification le ${formatDate(s.editedAt)}.` : ''}</p>

<section class="pl-box fr-mb-4w" aria-labelledby="completude">
<h2 id="completude" class="fr-h5">Fiche complète à ${done.score} %</h2>
${
  done.missing.length
    ? html`<p class="fr-mb-1w">Pour une fiche complète, ajoutez :</p>
<ul>${done.missing.map((m) => html`<li><a href="#${m.href.split('#')[1]}">${m.label}</a></li>`)}</ul>`
    : html`<p class="fr-mb-0">Votre fiche est complète : merci !</p>`
}
</section>

${claims.length ? html`<section class="fr-mb-4w" id="rattachements" aria-labelledby="rattachements-titre"><h2 id="rattachements-titre" class="fr-h4">Demandes de rattachement en attente</h2>${claimDecisionList(claims, csrf, `${base}?message=decision#rattachements`)}</section>` : ''}

<section class="fr-mb-4w" aria-labelledby="logo-titre">
<h2 id="logo-titre" class="fr-h4">Logo</h2>
${profile.logoPath ? html`<p><img src="/uploads/${profile.logoPath}" alt="Logo actuel de ${profile.name}" width="160"></p>` : html`<p>Aucun logo pour le moment.</p>`}
<form method="post" action="${base}/logo" enctype="multipart/form-data">
${csrfField(csrf)}
<div class="fr-upload-group${logoError ? ' fr-upload-group--error' : ''}">
<label class="fr-label" for="${FIELD_ID.logo}">${profile.logoPath ? 'Remplacer le logo' : 'Ajouter un logo'}<span class="fr-hint-text">PNG, JPEG ou WebP, 2 Mo au plus. Il sera redimensionné (400 × 400 pixels au plus).</span></label>
<input class="fr-upload" type="file" id="${FIELD_ID.logo}" name="logo" accept="image/png,image/jpeg,image/webp"${logoError ? html` aria-describedby="${FIELD_ID.logo}-erreur" aria-invalid="true"` : ''}>
${logoError ? html`<p id="${FIELD_ID.logo}-erreur" class="fr-error-text">${logoError}</p>` : ''}
</div>
<button class="fr-btn fr-btn--secondary fr-mt-2w" type="submit">Envoyer le logo</button>
</form>
${profile.logoPath ? html`<form method="post" action="${base}/logo/suppression" class="fr-mt-2w">${csrfField(csrf)}<button class="fr-btn fr-btn--tertiary" type="submit">Retirer le logo</button></form>` : ''}
</section>

<form method="post" action="${base}" novalidate>
${csrfField(csrf)}
<section class="fr-mb-4w" aria-labelledby="identite-titre">
<h2 id="identite-titre" class="fr-h4">Identité officielle</h2>
${
  s.canCorrectOfficial
    ? html`<p>Ces informations viennent d’une source officielle. En tant que facilitateur du territoire ou membre de l’équipe de la plateforme, vous pouvez les corriger : indiquez le motif, il est conservé dans le journal.</p>
${inputField({ id: fid('siret'), name: 'siret', label: 'SIRET', value: str(v.siret), maxlength: 20, errors })}
<div class="fr-select-group${errors.kind ? ' fr-select-group--error' : ''}">
<label class="fr-label" for="${fid('kind')}">Type de structure</label>
<select class="fr-select" id="${fid('kind')}" name="kind">${kindOptions.map((o) => html`<option value="${o.value}"${o.value === str(v.kind) ? html` selected` : ''}>${o.label}</option>`)}</select>
${errors.kind ? html`<p class="fr-error-text">${errors.kind}</p>` : ''}
</div>
${inputField({ id: fid('name'), name: 'name', label: 'Raison sociale', value: str(v.name), maxlength: 255, errors })}
${textareaField({ id: fid('reason'), name: 'reason', label: 'Motif de la correction (obligatoire si vous changez le SIRET, le type ou la raison sociale)', rows: 2, maxlength: 2000, value: str(v.reason), errors })}`
    : html`<dl class="pl-dl">
<dt>SIRET</dt><dd>${profile.siret}</dd>
<dt>Type de structure</dt><dd>${profile.kindName} (${profile.kind})</dd>
<dt>Raison sociale</dt><dd>${profile.name}</dd>
</dl>
<p class="fr-text--sm">Ces informations viennent d’une source officielle et ne se modifient pas ici. Une erreur ? Le facilitateur de votre territoire ou l’équipe de la plateforme peut la corriger.</p>`
}
</section>

<section class="fr-mb-4w" aria-labelledby="presentation-titre">
<h2 id="presentation-titre" class="fr-h4">Présentation</h2>
${inputField({ id: fid('brand'), name: 'brand', label: 'Nom commercial (facultatif)', value: str(v.brand), maxlength: 255, errors })}
${textareaField({ id: FIELD_ID.description, name: 'description', label: 'Présentation de la structure', hint: 'Ce que fait la structure, pour qui, comment : c’est le premier texte que lisent les acheteurs. Au moins 100 caractères.', rows: 8, maxlength: 10000, value: str(v.description), errors })}
</section>

<section class="fr-mb-4w" aria-labelledby="contact-titre">
<h2 id="contact-titre" class="fr-h4">Contact public</h2>
<p class="fr-text--sm">Ces coordonnées sont publiées sur la fiche et dans l’API ouverte.</p>
${inputField({ id: FIELD_ID.website, name: 'website', label: 'Site internet', hint: 'Par exemple https://www.exemple.fr', type: 'url', value: str(v.website), maxlength: 2000, autocomplete: 'url', errors })}
${inputField({ id: FIELD_ID.publicEmail, name: 'publicEmail', label: 'Adresse électronique publique', hint: 'Format attendu : nom@domaine.fr', type: 'email', value: str(v.publicEmail), maxlength: 320, errors })}
${inputField({ id: fid('publicPhone'), name: 'publicPhone', label: 'Téléphone public', hint: 'Par exemple 03 20 12 34 56', type: 'tel', value: str(v.publicPhone), maxlength: 40, errors })}
</section>

<section class="fr-mb-4w" id="${FIELD_ID.activities}" aria-labelledby="activites-titre">
<h2 id="activites-titre" class="fr-h4">Activités</h2>
<p>Une activité, c’est un secteur, des types de prestation et une zone d’intervention : c’est ce qui fait apparaître la structure dans les recherches. Pour en ajouter d’autres, enregistrez : de nouvelles lignes apparaissent. Une ligne sans secteur est ignorée.</p>
${rows}
</section>

<section class="fr-mb-4w" aria-labelledby="capacite-titre">
<h2 id="capacite-titre" class="fr-h4">Capacité</h2>
<div class="fr-grid-row fr-grid-row--gutters">
<div class="fr-col-12 fr-col-md-4">${inputField({ id: FIELD_ID.etp, name: 'etp', label: 'Équivalents temps plein (ETP)', hint: 'Par exemple 12,5', value: str(v.etp), maxlength: 12, errors })}</div>
<div class="fr-col-12 fr-col-md-4">${inputField({ id: fid('employeesInsertion'), name: 'employeesInsertion', label: 'Salariés en insertion', hint: 'Nombre de personnes', type: 'number', min: 0, value: str(v.employeesInsertion), errors })}</div>
<div class="fr-col-12 fr-col-md-4">${inputField({ id: fid('employeesPermanent'), name: 'employeesPermanent', label: 'Salariés permanents', hint: 'Nombre de personnes', type: 'number', min: 0, value: str(v.employeesPermanent), errors })}</div>
</div>
</section>

<section class="fr-mb-4w" id="${FIELD_ID.labels}" aria-labelledby="labels-titre">
<h2 id="labels-titre" class="fr-h4">Labels et engagements</h2>
${choiceGroup({ kind: 'checkbox', id: 'champ-labels', legend: 'Labels', name: 'labels', options: refs.labels.map((l) => ({ value: l.slug, label: l.name })), checked: checkedLabels, errors, inline: true })}
${commitmentRows(v, commitmentFreeRows, errors)}
</section>

<section class="fr-mb-4w" aria-labelledby="references-titre">
<h2 id="references-titre" class="fr-h4">Références clients</h2>
${textareaField({ id: FIELD_ID.clientReferences, name: 'clientReferences', label: 'Références clients', hint: 'Une par ligne : client, et si vous le souhaitez la prestation et l’année.', rows: 5, maxlength: 12000, value: str(v.clientReferences), errors })}
</section>

<ul class="fr-btns-group fr-btns-group--inline-md">
<li><button class="fr-btn" type="submit">Enregistrer la fiche</button></li>
<li><a class="fr-btn fr-btn--secondary" href="${base}">Annuler les modifications</a></li>
</ul>
</form>
</div>`,
  });
}

// Routes ----------------------------------------------------------------------------------------------

const messageOf = (req: FastifyRequest) => {
  const m = (req.query as Record<string, unknown> | undefined)?.message;
  return typeof m === 'string' && m in MESSAGES ? m : undefined;
};

/** Errors a form shows next to its fields; others (401, 403, 404…) go to the error page. */
function fieldErrorsOf(err: unknown): { status: number; message: string; fields: Record<string, string> } | null {
  if (!(err instanceof AppError)) return null;
  const fields = ((err.details as { fields?: Record<string, string> } | undefined)?.fields ?? {}) as Record<string, string>;
  if (err.status === 422 || err.status === 409 || err.status === 413 || err.status === 415 || err.code === 'OFFICIAL_FIELD_LOCKED') return { status: err.status, message: err.message, fields };
  return null;
}

export async function editingPages(app: FastifyInstance, p: Platform): Promise<void> {
  const person = { config: { access: 'person' as const } };
  type Params = { Params: { id: string } };

  app.get<Params>('/structures/modifier/:id', person, async (req, reply) => {
    const s = await structureForEdit(p, req.actor, req.params.id);
    return sendHtml(reply, await editPage(p, req, reply, { s, values: valuesOf(s.profile), errors: {}, extraRows: 2, message: messageOf(req) }));
  });

  app.post<Params & { Body: FormValues }>('/structures/modifier/:id', person, async (req, reply) => {
    const s = await structureForEdit(p, req.actor, req.params.id);
    const body = req.body ?? {};
    const { input, activityRow: rowsA, commitmentRow: rowsC } = formToInput(body, s.canCorrectOfficial);
    try {
      const r = await editStructure(p, req.actor, req.params.id, input as EditInput);
      return reply.redirect(`/structures/modifier/${req.params.id}?message=${r.changed.length ? 'enregistre' : 'inchange'}`, 303);
    } catch (err) {
      const e = fieldErrorsOf(err);
      if (!e) throw err;
      const errors = formErrors(e.fields, rowsA, rowsC);
      return sendHtml(reply, await editPage(p, req, reply, { s, values: body, errors, error: e.message, extraRows: 0 }), e.status);
    }
  });

  app.post<Params>('/structures/modifier/:id/logo/suppression', person, async (req, reply) => {
    await removeLogo(p, req.actor, req.params.id);
    return reply.redirect(`/structures/modifier/${req.params.id}?message=logo-retire`, 303);
  });

  // The logo form is the only multipart one: the parser exists in this scope only.
  await app.register(async (scope) => {
    await scope.register(fastifyMultipart, LOGO_MULTIPART);
    scope.post<Params>('/structures/modifier/:id/logo', person, async (req, reply) => {
      try {
        await setLogo(p, req.actor, req.params.id, uploadedFile(req.body));
      } catch (err) {
        const e = fieldErrorsOf(err);
        if (!e) throw err;
        const s = await structureForEdit(p, req.actor, req.params.id);
        return sendHtml(reply, await editPage(p, req, reply, { s, values: valuesOf(s.profile), errors: { logo: e.message }, error: e.message, extraRows: 2 }), e.status);
      }
      return reply.redirect(`/structures/modifier/${req.params.id}?message=logo`, 303);
    });
  });
}
