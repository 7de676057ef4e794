// Back-office pages (DSFR, French): dashboard, people, organisations, audit log; a side menu shared by all.
// The claims queue (/admin/rattachements) belongs to the claims module; the dashboard links to it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AppError, notFound } from '../../core/errors.ts';
import { type Html, html } from '../../core/html.ts';
import type { Platform } from '../../core/platform.ts';
import { pagination } from '../../web/components.ts';
import { csrfField } from '../../web/forms.ts';
import { formatNumber } from '../../web/format.ts';
import { type Crumb, layout } from '../../web/layout.ts';
import { csrfToken } from '../accounts/http.ts';
import { type Actor, BUYER_CATEGORIES, FACILITATOR_CATEGORIES, ORGANISATION_TYPE_LABEL, ORGANISATION_TYPES, type OrganisationType, ROLE_LABEL } from '../accounts/model.ts';
import { isPlatformAdmin } from '../accounts/policy.ts';
import { keyType, loadTerritories, TYPE_LABEL } from '../territories/data.ts';
import {
  ACTION_FAMILY_LABEL,
  ACTION_LABEL,
  type AuditItem,
  AuditQuerySchema,
  dashboard,
  getOrganisationDetail,
  getPerson,
  listAudit,
  listOrganisations,
  listPeople,
  type OrganisationItem,
  OrganisationsQuerySchema,
  type Page,
  PeopleQuerySchema,
  type Scope,
  TARGET_TYPE_LABEL,
} from './service.ts';
import { sendHtml, first } from '../../web/reply.ts';

type Query = Record<string, string | string[] | undefined>;
type MenuEntry = 'dashboard' | 'claims' | 'needs' | 'organisations' | 'people' | 'journal';


// Formatting -------------------------------------------------------------------------------------------------

const DATE_TIME = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Paris' });
const DATE = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeZone: 'Europe/Paris' });

/** A moment, as read in Paris, in a <time> element. */
function when(iso: string | null, withTime = true): Html {
  if (!iso) return html`—`;
  return html`<time datetime="${iso}">${(withTime ? DATE_TIME : DATE).format(new Date(iso))}</time>`;
}

const CATEGORY_LABEL: Record<string, string> = { ...BUYER_CATEGORIES, ...FACILITATOR_CATEGORIES };

function territoryLabel(key: string): string {
  const type = keyType(key);
  const t = loadTerritories().byKey.get(key);
  if (!type || !t) return key;
  if (type === 'departement') return `${t.name} (${t.code})`;
  return `${t.name} (${TYPE_LABEL[type].toLowerCase()})`;
}

const scopeText = (scope: Scope) =>
  scope.all ? 'l’ensemble de la plateforme' : scope.keys.length ? `votre territoire : ${scope.keys.map(territoryLabel).join(', ')}` : 'votre territoire (aucun territoire déclaré)';

/** A query string from the non-empty values (page 1 is left out). */
function queryString(params: Record<string, string | number | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '' && !(k === 'page' && v === 1)) u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}


/** Reads the page's parameters (French names) with the API's schema; a bad value gives a 400 page naming it. */
function parseQuery<S extends z.ZodType>(schema: S, values: Record<string, string | undefined>, frenchName: Record<string, string>): z.output<S> {
  const r = schema.safeParse(values);
  if (r.success) return r.data;
  const names = [...new Set(r.error.issues.map((i) => frenchName[String(i.path[0])] ?? String(i.path[0])))];
  throw new AppError('INVALID_PARAMETERS', `Paramètre${names.length > 1 ? 's' : ''} invalide${names.length > 1 ? 's' : ''} : ${names.join(', ')}.`, 400);
}

/** "12 personnes", "1 personne", "Aucune personne". */
const count = (n: number, one: string, many: string, none: string) => (n === 0 ? none : `${formatNumber(n)} ${n === 1 ? one : many}`);

// Shell: side menu and layout ---------------------------------------------------------------------------

function sideMenu(actor: Actor, current: MenuEntry): Html {
  const entries: { key: MenuEntry; label: string; href: string }[] = [
    { key: 'dashboard', label: 'Tableau de bord', href: '/admin' },
    { key: 'claims', label: 'Rattachements à décider', href: '/admin/rattachements' },
    { key: 'needs', label: 'Besoins à qualifier', href: '/admin/besoins' },
    { key: 'organisations', label: 'Organisations', href: '/admin/organisations' },
    ...(isPlatformAdmin(actor) ? [{ key: 'people' as const, label: 'Personnes', href: '/admin/personnes' }] : []),
    { key: 'journal', label: 'Journal des actions', href: '/admin/journal' },
  ];
  return html`<nav class="fr-sidemenu" aria-labelledby="menu-administration-titre">
<div class="fr-sidemenu__inner">
<button class="fr-sidemenu__btn" aria-controls="menu-administration" aria-expanded="false" type="button">Dans cette rubrique</button>
<div class="fr-collapse" id="menu-administration">
<p class="fr-sidemenu__title" id="menu-administration-titre">Administration</p>
<ul class="fr-sidemenu__list">
${entries.map(
  (e) => html`<li class="fr-sidemenu__item${e.key === current ? ' fr-sidemenu__item--active' : ''}"><a class="fr-sidemenu__link" href="${e.href}"${e.key === current ? html` aria-current="page"` : ''}>${e.label}</a></li>`,
)}
</ul>
</div>
</div>
</nav>`;
}

function adminPage(p: Platform, actor: Actor, o: { title: string; current: MenuEntry; crumbs?: Crumb[]; main: Html }): string {
  const crumbs: Crumb[] = [{ label: 'Accueil', href: '/' }, ...(o.current === 'dashboard' && !o.crumbs ? [{ label: 'Administration' }] : [{ label: 'Administration', href: '/admin' }, ...(o.crumbs ?? [])])];
  return layout(p.config, {
    title: `${o.title} – Administration`,
    section: 'admin',
    breadcrumb: crumbs,
    main: html`<div class="fr-container">
<div class="fr-grid-row fr-grid-row--gutters">
<div class="fr-col-12 fr-col-md-3">${sideMenu(actor, o.current)}</div>
<div class="fr-col-12 fr-col-md-9">
${o.main}
</div>
</div>
</div>`,
  });
}

function table(caption: string, head: string[], rows: Html[], o: { multiline?: boolean } = {}): Html {
  return html`<div class="fr-table${o.multiline === false ? '' : ' fr-table--multiline'}">
<div class="fr-table__wrapper">
<div class="fr-table__container">
<div class="fr-table__content">
<table>
<caption>${caption}</caption>
<thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>
</div>
</div>
</div>`;
}

/** The filters of a list: a GET form in a fieldset, with its buttons. */
function filters(action: string, legend: string, fields: Html[]): Html {
  return html`<form method="get" action="${action}" class="pl-filters fr-mb-4w">
<fieldset class="fr-fieldset fr-mb-0" aria-labelledby="filtres-legende">
<legend class="fr-fieldset__legend" id="filtres-legende">${legend}</legend>
${fields.map((f) => html`<div class="fr-fieldset__element fr-fieldset__element--inline">${f}</div>`)}
</fieldset>
<ul class="fr-btns-group fr-btns-group--inline-sm fr-mb-0">
<li><button class="fr-btn" type="submit">Rechercher</button></li>
<li><a class="fr-btn fr-btn--tertiary" href="${action}">Effacer les filtres</a></li>
</ul>
</form>`;
}

function input(id: string, name: string, label: string, value: string | undefined, o: { type?: string; hint?: string } = {}): Html {
  return html`<div class="fr-input-group">
<label class="fr-label" for="${id}">${label}${o.hint ? html`<span class="fr-hint-text">${o.hint}</span>` : ''}</label>
<input class="fr-input" type="${o.type ?? 'text'}" id="${id}" name="${name}" value="${value ?? ''}" maxlength="200">
</div>`;
}

function select(id: string, name: string, label: string, value: string | undefined, options: ({ value: string; label: string } | { group: string; options: { value: string; label: string }[] })[]): Html {
  const option = (o: { value: string; label: string }) => html`<option value="${o.value}"${o.value === (value ?? '') ? html` selected` : ''}>${o.label}</option>`;
  return html`<div class="fr-select-group">
<label class="fr-label" for="${id}">${label}</label>
<select class="fr-select" id="${id}" name="${name}">
${options.map((o) => ('group' in o ? html`<optgroup label="${o.group}">${o.options.map(option)}</optgroup>` : option(o)))}
</select>
</div>`;
}

/** Pagination and the position in the list. */
function pager<T>(r: Page<T>, hrefOf: (page: number) => string): Html {
  const pageCount = Math.max(1, Math.ceil(r.total / r.perPage));
  return pagination(Math.min(r.page, pageCount), pageCount, hrefOf);
}

const pageSuffix = (r: Page<unknown>) => {
  const pageCount = Math.max(1, Math.ceil(r.total / r.perPage));
  return pageCount > 1 ? ` (page ${r.page} sur ${pageCount})` : '';
};

// Dashboard -------------------------------------------------------------------------------------------------

async function dashboardPage(p: Platform, req: FastifyRequest): Promise<string> {
  const actor = req.actor;
  const d = await dashboard(p.db, actor);
  const admin = isPlatformAdmin(actor);
  const figure = (value: string, label: string, link?: { href: string; text: string }) =>
    html`<li><span class="pl-figure">${value}</span> ${label}${link ? html`<br><a class="fr-link fr-text--sm" href="${link.href}">${link.text}</a>` : ''}</li>`;
  const byType = ORGANISATION_TYPES.map(
    (t) => html`<tr><th scope="row">${ORGANISATION_TYPE_LABEL[t]}</th><td>${formatNumber(d.organisationsByType[t])}</td><td><a href="/admin/organisations?type=${t}">Voir la liste<span class="fr-sr-only"> : ${ORGANISATION_TYPE_LABEL[t]}</span></a></td></tr>`,
  );
  return adminPage(p, actor, {
    title: 'Tableau de bord',
    current: 'dashboard',
    main: html`<h1>Administration</h1>
<p>Vous voyez ${scopeText(d.scope)}${admin ? '' : ' pour les rattachements et les structures ; les organisations sont celles de toute la plateforme'}.</p>
<h2>En ce moment</h2>
<ul class="pl-figures fr-mb-4w">
${figure(formatNumber(d.pendingClaims), d.pendingClaims === 1 ? 'demande de rattachement en attente' : 'demandes de rattachement en attente', { href: '/admin/rattachements', text: 'Décider des rattachements' })}
${figure(formatNumber(d.organisationsToVerify), d.organisationsToVerify === 1 ? 'organisation à vérifier (facilitateur ou réseau)' : 'organisations à vérifier (facilitateurs et réseaux)', { href: '/admin/organisations?statut=a-verifier', text: 'Voir les organisations à vérifier' })}
${figure(`${formatNumber(d.structures.claimed)} / ${formatNumber(d.structures.total)}`, d.scope.all ? 'structures de l’annuaire rattachées à une équipe' : 'structures de votre territoire rattachées à une équipe')}
${figure(formatNumber(d.people), d.people === 1 ? 'personne inscrite' : 'personnes inscrites', admin ? { href: '/admin/personnes', text: 'Voir les personnes' } : undefined)}
</ul>
${table('Organisations par type', ['Type', 'Nombre', 'Liste'], byType, { multiline: false })}
<h2>Accès rapides</h2>
<ul>
<li><a href="/admin/rattachements">Rattachements à décider</a></li>
<li><a href="/admin/besoins">Besoins d’achat à qualifier</a></li>
<li><a href="/admin/organisations">Rechercher une organisation</a></li>
${admin ? html`<li><a href="/admin/personnes">Rechercher une personne</a></li>` : ''}
<li><a href="/admin/journal">Journal des actions</a>${admin ? '' : ' (fiches et rattachements des structures de votre territoire)'}</li>
</ul>`,
  });
}

// People ------------------------------------------------------------------------------------------------------

const PEOPLE_TYPE_OPTIONS = [
  { value: '', label: 'Tous' },
  ...ORGANISATION_TYPES.map((t) => ({ value: t, label: ORGANISATION_TYPE_LABEL[t] })),
  { value: 'aucune', label: 'Aucune organisation' },
];

async function peoplePage(p: Platform, req: FastifyRequest): Promise<string> {
  const raw = req.query as Query;
  const form = { q: first(raw.q), type: first(raw.type), page: first(raw.page) };
  const query = parseQuery(PeopleQuerySchema, { ...form, type: form.type === 'aucune' ? 'none' : form.type, perPage: undefined }, { q: 'recherche', type: 'type d’organisation', page: 'page' });
  const r = await listPeople(p.db, req.actor, query);
  const hrefOf = (page: number) => `/admin/personnes${queryString({ q: query.q, type: form.type, page })}`;
  const rows = r.items.map(
    (x) => html`<tr>
<td><a href="/admin/personnes/${x.id}">${x.name || 'Sans nom'}</a></td>
<td>${x.email}</td>
<td>${x.emailConfirmed ? 'Oui' : 'Non'}</td>
<td>${x.organisations.length ? html`<ul class="fr-raw-list">${x.organisations.map((o) => html`<li><a href="/admin/organisations/${o.id}">${o.name}</a> (${ORGANISATION_TYPE_LABEL[o.type]}) — ${ROLE_LABEL[o.role]}</li>`)}</ul>` : '—'}</td>
<td>${when(x.createdAt, false)}</td>
<td>${when(x.lastSignInAt)}</td>
</tr>`,
  );
  return adminPage(p, req.actor, {
    title: r.page > 1 ? `Personnes (page ${r.page})` : 'Personnes',
    current: 'people',
    crumbs: [{ label: 'Personnes' }],
    main: html`<h1>Personnes</h1>
<p>Données personnelles : visibles de l’équipe de la plateforme seulement.</p>
${filters('/admin/personnes', 'Rechercher des personnes', [
  input('personnes-q', 'q', 'Nom ou adresse électronique', query.q, { hint: 'Majuscules et accents ignorés' }),
  select('personnes-type', 'type', 'Membre d’une organisation de type', form.type, PEOPLE_TYPE_OPTIONS),
])}
<p role="status">${count(r.total, 'personne', 'personnes', 'Aucune personne ne correspond à ces critères.')}</p>
${rows.length ? table(`Personnes${pageSuffix(r)}`, ['Nom', 'Adresse électronique', 'Adresse confirmée', 'Organisations et rôles', 'Inscription', 'Dernière connexion'], rows) : ''}
${pager(r, hrefOf)}`,
  });
}

async function personPage(p: Platform, req: FastifyRequest<{ Params: { id: string } }>): Promise<string> {
  const d = await getPerson(p.db, req.actor, req.params.id);
  if (!d) throw notFound('Personne introuvable.');
  const x = d.person;
  const title = x.name || x.email;
  const memberships = d.memberships.map(
    (m) => html`<tr><td><a href="/admin/organisations/${m.id}">${m.name}</a></td><td>${ORGANISATION_TYPE_LABEL[m.type]}</td><td>${ROLE_LABEL[m.role]}</td><td>${m.verified ? 'Oui' : 'Non'}</td><td>${when(m.since, false)}</td></tr>`,
  );
  return adminPage(p, req.actor, {
    title,
    current: 'people',
    crumbs: [{ label: 'Personnes', href: '/admin/personnes' }, { label: title }],
    main: html`<h1>${title}</h1>
<ul>
<li>Adresse électronique : ${x.email} (${x.emailConfirmed ? 'confirmée' : 'non confirmée'})</li>
<li>Inscription : ${when(x.createdAt)}</li>
<li>Dernière connexion : ${when(x.lastSignInAt)}</li>
</ul>
<h2>Organisations</h2>
${memberships.length ? table('Organisations dont la personne est membre', ['Organisation', 'Type', 'Rôle', 'Organisation vérifiée', 'Membre depuis'], memberships) : html`<p>Membre d’aucune organisation.</p>`}
<h2>Actions récentes</h2>
${auditTable(d.audit, true, 'Vingt dernières actions de la personne ou la concernant')}
<p><a class="fr-link" href="/admin/journal${queryString({ cible: 'person', identifiant: x.id })}">Toutes les actions qui la concernent</a></p>`,
  });
}

// Organisations ---------------------------------------------------------------------------------------------

const STATUS_FROM_FRENCH: Record<string, string> = { 'a-verifier': 'to_verify', verifiees: 'verified' };

function statusBadge(o: OrganisationItem): Html {
  return o.verified ? html`<p class="fr-badge fr-badge--sm fr-badge--success">Vérifiée</p>` : html`<p class="fr-badge fr-badge--sm fr-badge--warning">À vérifier</p>`;
}

async function organisationsPage(p: Platform, req: FastifyRequest): Promise<string> {
  const raw = req.query as Query;
  const form = { q: first(raw.q), type: first(raw.type), statut: first(raw.statut), page: first(raw.page) };
  const query = parseQuery(
    OrganisationsQuerySchema,
    { q: form.q, type: form.type, status: form.statut ? (STATUS_FROM_FRENCH[form.statut] ?? form.statut) : undefined, page: form.page, perPage: undefined },
    { q: 'recherche', type: 'type d’organisation', status: 'statut', page: 'page' },
  );
  const r = await listOrganisations(p.db, req.actor, query);
  const hrefOf = (page: number) => `/admin/organisations${queryString({ q: query.q, type: query.type, statut: form.statut, page })}`;
  const rows = r.items.map(
    (o) => html`<tr>
<td><a href="/admin/organisations/${o.id}">${o.name}</a></td>
<td>${ORGANISATION_TYPE_LABEL[o.type]}</td>
<td>${o.category ? (CATEGORY_LABEL[o.category] ?? o.category) : '—'}</td>
<td>${statusBadge(o)}</td>
<td>${formatNumber(o.memberCount)}</td>
<td>${when(o.createdAt, false)}</td>
</tr>`,
  );
  return adminPage(p, req.actor, {
    title: r.page > 1 ? `Organisations (page ${r.page})` : 'Organisations',
    current: 'organisations',
    crumbs: [{ label: 'Organisations' }],
    main: html`<h1>Organisations</h1>
${filters('/admin/organisations', 'Rechercher des organisations', [
  input('organisations-q', 'q', 'Nom de l’organisation', query.q, { hint: 'Majuscules et accents ignorés' }),
  select('organisations-type', 'type', 'Type', query.type, [{ value: '', label: 'Tous' }, ...ORGANISATION_TYPES.map((t) => ({ value: t, label: ORGANISATION_TYPE_LABEL[t] }))]),
  select('organisations-statut', 'statut', 'Statut', form.statut, [
    { value: '', label: 'Tous' },
    { value: 'a-verifier', label: 'À vérifier (facilitateurs et réseaux)' },
    { value: 'verifiees', label: 'Vérifiées' },
  ]),
])}
<p role="status">${count(r.total, 'organisation', 'organisations', 'Aucune organisation ne correspond à ces critères.')}</p>
${rows.length ? table(`Organisations${pageSuffix(r)}`, ['Nom', 'Type', 'Catégorie', 'Statut', 'Membres', 'Création'], rows) : ''}
${pager(r, hrefOf)}`,
  });
}

async function organisationPage(p: Platform, req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<string> {
  const d = await getOrganisationDetail(p.db, req.actor, req.params.id);
  if (!d) throw notFound('Organisation introuvable.');
  const o = d.organisation;
  const admin = isPlatformAdmin(req.actor);
  const canVerify = admin && !o.verified;
  const members = (d.members ?? []).map(
    (m) => html`<tr><td><a href="/admin/personnes/${m.personId}">${m.name || 'Sans nom'}</a></td><td>${m.email}</td><td>${ROLE_LABEL[m.role]}</td><td>${when(m.since, false)}</td></tr>`,
  );
  return adminPage(p, req.actor, {
    title: o.name,
    current: 'organisations',
    crumbs: [{ label: 'Organisations', href: '/admin/organisations' }, { label: o.name }],
    main: html`<h1>${o.name}</h1>
${statusBadge(o)}
<ul class="fr-mt-2w">
<li>Type : ${ORGANISATION_TYPE_LABEL[o.type as OrganisationType]}</li>
${o.category ? html`<li>Catégorie : ${CATEGORY_LABEL[o.category] ?? o.category}</li>` : ''}
${o.territoryKeys.length ? html`<li>Territoires : ${o.territoryKeys.map(territoryLabel).join(', ')}</li>` : ''}
${d.structure ? html`<li>Structure : <a href="/structures/${d.structure.slug}">${d.structure.name}</a></li>` : ''}
<li>Création : ${when(o.createdAt)}</li>
${o.verifiedAt ? html`<li>Vérification : ${when(o.verifiedAt)}</li>` : ''}
<li>Membres : ${formatNumber(o.memberCount)}</li>
</ul>
${
  canVerify
    ? html`<form method="post" action="/organisations/${o.id}/verification" class="fr-mb-4w">
${csrfField(csrfToken(req, reply, p.config))}
<p>Vérifiez que l’organisation est bien ${o.type === 'facilitator' ? 'un facilitateur' : 'un réseau'} de ce territoire avant de lui permettre d’agir pour les structures.</p>
<button class="fr-btn" type="submit">Vérifier<span class="fr-sr-only"> l’organisation ${o.name}</span></button>
</form>`
    : ''
}
${
  d.members
    ? html`<h2>Membres</h2>
${members.length ? table('Membres de l’organisation', ['Nom', 'Adresse électronique', 'Rôle', 'Membre depuis'], members) : html`<p>Aucun membre.</p>`}
<p><a class="fr-link" href="/organisations/${o.id}">Page de l’organisation (invitations, rôles)</a></p>`
    : html`<p>La liste des membres est réservée à l’équipe de la plateforme.</p>`
}
${
  d.audit
    ? html`<h2>Actions récentes</h2>
${auditTable(d.audit, true, 'Vingt dernières actions sur l’organisation')}
<p><a class="fr-link" href="/admin/journal${queryString({ cible: 'organisation', identifiant: o.id })}">Toutes les actions sur cette organisation</a></p>`
    : ''
}`,
  });
}

// Audit log ---------------------------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function shown(v: unknown): string {
  if (v === undefined || v === null) return '—';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/** What changed, one line per field: "role : member → admin" (only the after side when there is no before). */
export function changes(before: unknown, after: unknown): string[] {
  if (isObject(before) || isObject(after)) {
    const b = isObject(before) ? before : {};
    const a = isObject(after) ? after : {};
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    return keys
      .filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]))
      .map((k) => (before === null || before === undefined ? `${k} : ${shown(a[k])}` : after === null || after === undefined ? `${k} : ${shown(b[k])}` : `${k} : ${shown(b[k])} → ${shown(a[k])}`));
  }
  if (before == null && after == null) return [];
  if (before == null) return [shown(after)];
  return [`${shown(before)} → ${shown(after)}`];
}

function whoCell(e: AuditItem, admin: boolean): Html {
  const a = e.actor;
  if (a.kind !== 'person') return html`<em>${a.label}</em>`;
  const name = admin && a.personId ? html`<a href="/admin/personnes/${a.personId}">${a.label}</a>` : html`${a.label}`;
  return html`${name}${a.email && a.email !== a.label ? html`<br><span class="fr-text--xs">${a.email}</span>` : ''}`;
}

function targetCell(e: AuditItem, admin: boolean): Html {
  const t = e.target;
  const type = TARGET_TYPE_LABEL[t.type] ?? t.type;
  let label: Html;
  if (t.type === 'person' && admin) label = html`<a href="/admin/personnes/${t.id}">${t.label ?? 'Compte supprimé'}</a>`;
  else if (t.type === 'organisation') label = html`<a href="/admin/organisations/${t.id}">${t.label ?? 'Organisation supprimée'}</a>`;
  else if ((t.type === 'structure' || t.type === 'claim') && t.slug) label = html`<a href="/structures/${t.slug}">${t.label}</a>`;
  else label = html`${t.label ?? t.id}`;
  const history = `/admin/journal${queryString({ cible: t.type, identifiant: t.id })}`;
  return html`${type} : ${label}<br><a class="fr-link fr-text--xs" href="${history}">Historique<span class="fr-sr-only"> de ${t.label ?? t.id}</span></a>`;
}

function detailsCell(e: AuditItem): Html {
  const lines = changes(e.before, e.after);
  const shownLines = lines.slice(0, 6);
  const hasData = e.before !== null || e.after !== null;
  return html`${e.reason ? html`<p class="fr-text--sm fr-mb-1w">Motif : ${e.reason}</p>` : ''}
${shownLines.length ? html`<ul class="fr-text--sm fr-mb-1w">${shownLines.map((l) => html`<li>${l}</li>`)}${lines.length > 6 ? html`<li>… et ${lines.length - 6} autres</li>` : ''}</ul>` : ''}
${hasData ? html`<details><summary class="fr-text--sm">Données enregistrées</summary><pre class="fr-text--xs">${JSON.stringify({ avant: e.before, après: e.after }, null, 2)}</pre></details>` : ''}
${!hasData && !e.reason ? '—' : ''}`;
}

function auditTable(items: AuditItem[], admin: boolean, caption: string): Html {
  if (!items.length) return html`<p>Aucune action enregistrée.</p>`;
  return table(
    caption,
    ['Date (heure de Paris)', 'Qui', 'Action', 'Cible', 'Détails'],
    items.map((e) => html`<tr><td>${when(e.at)}</td><td>${whoCell(e, admin)}</td><td>${e.actionLabel}${e.actionLabel === e.action ? '' : html`<br><code class="fr-text--xs">${e.action}</code>`}</td><td>${targetCell(e, admin)}</td><td>${detailsCell(e)}</td></tr>`),
  );
}

function actionOptions(current: string | undefined) {
  const known = new Set([...Object.keys(ACTION_FAMILY_LABEL), ...Object.keys(ACTION_LABEL)]);
  return [
    { value: '', label: 'Toutes' },
    ...(current && !known.has(current) ? [{ value: current, label: current }] : []),
    { group: 'Familles d’actions', options: Object.entries(ACTION_FAMILY_LABEL).map(([value, label]) => ({ value, label })) },
    { group: 'Actions', options: Object.entries(ACTION_LABEL).map(([value, label]) => ({ value, label })) },
  ];
}

async function journalPage(p: Platform, req: FastifyRequest): Promise<string> {
  const raw = req.query as Query;
  const admin = isPlatformAdmin(req.actor);
  const form = { action: first(raw.action), cible: first(raw.cible), identifiant: first(raw.identifiant), auteur: first(raw.auteur), du: first(raw.du), au: first(raw.au), page: first(raw.page) };
  const query = parseQuery(
    AuditQuerySchema,
    { action: form.action, targetType: form.cible, targetId: form.identifiant, actor: admin ? form.auteur : undefined, from: form.du, to: form.au, page: form.page, perPage: undefined },
    { action: 'action', targetType: 'type de cible', targetId: 'identifiant de la cible', actor: 'auteur', from: 'date de début', to: 'date de fin', page: 'page' },
  );
  const r = await listAudit(p.db, req.actor, query);
  const hrefOf = (page: number) =>
    `/admin/journal${queryString({ action: query.action, cible: query.targetType, identifiant: query.targetId, auteur: query.actor, du: query.from, au: query.to, page })}`;
  const fields = [
    select('journal-action', 'action', 'Action', query.action, actionOptions(query.action)),
    select('journal-cible', 'cible', 'Type de cible', query.targetType, [
      { value: '', label: 'Toutes' },
      ...(query.targetType && !TARGET_TYPE_LABEL[query.targetType] ? [{ value: query.targetType, label: query.targetType }] : []),
      ...Object.entries(TARGET_TYPE_LABEL).map(([value, label]) => ({ value, label })),
    ]),
    input('journal-identifiant', 'identifiant', 'Identifiant de la cible', query.targetId),
    ...(admin ? [input('journal-auteur', 'auteur', 'Adresse électronique de l’auteur', query.actor, { hint: 'Ou une partie de l’adresse' })] : []),
    input('journal-du', 'du', 'Du', query.from, { type: 'date', hint: 'Format attendu : JJ/MM/AAAA' }),
    input('journal-au', 'au', 'Au', query.to, { type: 'date', hint: 'Format attendu : JJ/MM/AAAA' }),
  ];
  return adminPage(p, req.actor, {
    title: r.page > 1 ? `Journal des actions (page ${r.page})` : 'Journal des actions',
    current: 'journal',
    crumbs: [{ label: 'Journal des actions' }],
    main: html`<h1>Journal des actions</h1>
<p>${
      admin
        ? 'Les actions sensibles sur les comptes, les organisations, les rattachements et les fiches : qui, quoi, quand, avant et après.'
        : 'Les actions sur les fiches et les rattachements des structures de votre territoire : qui, quoi, quand, avant et après.'
    }</p>
${filters('/admin/journal', 'Filtrer le journal', fields)}
<p role="status">${count(r.total, 'action', 'actions', 'Aucune action ne correspond à ces critères.')}</p>
${r.items.length ? auditTable(r.items, admin, `Actions, de la plus récente à la plus ancienne${pageSuffix(r)}`) : ''}
${pager(r, hrefOf)}`,
  });
}

// Routes ------------------------------------------------------------------------------------------------------

export async function backOfficePages(app: FastifyInstance, p: Platform): Promise<void> {
  const backOffice = { config: { access: 'backOffice' as const } };
  const platformAdmin = { config: { access: 'platformAdmin' as const } };
  app.get('/admin', backOffice, async (req, reply) => sendHtml(reply, await dashboardPage(p, req)));
  app.get('/admin/personnes', platformAdmin, async (req, reply) => sendHtml(reply, await peoplePage(p, req)));
  app.get<{ Params: { id: string } }>('/admin/personnes/:id', platformAdmin, async (req, reply) => sendHtml(reply, await personPage(p, req)));
  app.get('/admin/organisations', backOffice, async (req, reply) => sendHtml(reply, await organisationsPage(p, req)));
  app.get<{ Params: { id: string } }>('/admin/organisations/:id', backOffice, async (req, reply) => sendHtml(reply, await organisationPage(p, req, reply)));
  app.get('/admin/journal', backOffice, async (req, reply) => sendHtml(reply, await journalPage(p, req)));
}
