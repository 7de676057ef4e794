// Pages of the tender watch: the notices with filters (/appels-d-offres), one notice with its findings
// highlighted and the structures that fit, and the saved searches (/veilles) with their unsubscribe link.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { type Html, html } from '../../core/html.ts';
import type { Platform } from '../../core/platform.ts';
import { sql } from '../../core/sql.ts';
import { pagination } from '../../web/components.ts';
import { csrfField, formError, notice } from '../../web/forms.ts';
import { formatDate, formatNumber } from '../../web/format.ts';
import { type Crumb, layout } from '../../web/layout.ts';
import { csrfToken } from '../accounts/http.ts';
import type { Actor } from '../accounts/model.ts';
import { getReferentials, type Referentials } from '../referentials/service.ts';
import { loadTerritories } from '../territories/data.ts';
import { cpvLabel } from './cpv.ts';
import { describeFilters, NATURE_LABEL, type NoticeFilters, NoticeFiltersSchema, RESERVED_LABEL } from './filters.ts';
import type { Finding, FindingKind, ReservedFamily } from './model.ts';
import { RESERVED_FAMILIES } from './model.ts';
import { getNotice, type NoticeDetail, noticeMatches, type NoticeSummary, searchNotices } from './service.ts';
import { checkUnsubscribeLink, createSearch, deleteSearch, listSearches, type SavedSearch, searchFor, unsubscribe, updateSearch } from './watch.ts';
import { sendHtml, first } from '../../web/reply.ts';

type Query = Record<string, string | string[] | undefined>;
type Body = Record<string, string | string[] | undefined>;
type Params = { Params: { id: string } };

const all = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
const EUROS = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 });
const DATE_TIME = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' });

function page(p: Platform, o: { title: string; main: Html; crumbs: Crumb[] }): string {
  return layout(p.config, {
    title: o.title,
    section: 'notices',
    breadcrumb: [{ label: 'Accueil', href: '/' }, ...o.crumbs],
    main: html`<div class="fr-container fr-my-6w">${o.main}</div>`,
  });
}

// ---------------------------------------------------------------------------------------------------
// Filters in the address (French names) ⇄ NoticeFilters

/** Reads the page's filters; a bad value gives a 400 page with the French message. */
export function filtersFromQuery(q: Query): NoticeFilters {
  const r = NoticeFiltersSchema.safeParse({
    q: first(q.q) || undefined,
    reserved: all(q.reserve),
    socialClause: first(q.clause) || undefined,
    socialCriterion: first(q.critere) || undefined,
    environmental: first(q.environnement) || undefined,
    sector: all(q.secteur),
    departement: all(q.departement).map((d) => d.toUpperCase()),
    open: first(q.ouverts) || undefined,
    since: first(q.depuis) || undefined,
    nature: first(q.nature) || undefined,
  });
  if (!r.success) throw new AppError('INVALID_FILTER', r.error.issues[0]?.message ?? 'Critère invalide.', 400);
  return r.data;
}

export function queryOfFilters(f: NoticeFilters): URLSearchParams {
  const s = new URLSearchParams();
  if (f.q) s.set('q', f.q);
  for (const r of f.reserved ?? []) s.append('reserve', r);
  if (f.socialClause) s.set('clause', 'on');
  if (f.socialCriterion) s.set('critere', 'on');
  if (f.environmental) s.set('environnement', 'on');
  for (const x of f.sector ?? []) s.append('secteur', x);
  if (f.departement?.length) s.set('departement', f.departement.join(','));
  if (f.open) s.set('ouverts', 'on');
  if (f.since) s.set('depuis', f.since);
  if (f.nature) s.set('nature', f.nature);
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Shared bits

const FLAG_BADGES = (n: Pick<NoticeSummary, 'reserved' | 'socialClause' | 'socialCriterion' | 'environmental' | 'insertionHours'>): Html => {
  const items: Html[] = [];
  for (const r of n.reserved) items.push(html`<li><p class="fr-badge fr-badge--sm fr-badge--purple-glycine">${RESERVED_LABEL[r]}</p></li>`);
  if (n.socialClause) items.push(html`<li><p class="fr-badge fr-badge--sm fr-badge--blue-ecume">Clause sociale${n.insertionHours ? ` · ${formatNumber(n.insertionHours)} h d’insertion` : ''}</p></li>`);
  if (n.socialCriterion) items.push(html`<li><p class="fr-badge fr-badge--sm fr-badge--blue-cumulus">Critère social</p></li>`);
  if (n.environmental) items.push(html`<li><p class="fr-badge fr-badge--sm fr-badge--green-emeraude">Environnement</p></li>`);
  return items.length ? html`<ul class="fr-badges-group">${items}</ul>` : html``;
};

const FINDING_LABEL: Record<FindingKind, string> = {
  reserved: 'Marché réservé',
  socialClause: 'Clause sociale d’insertion',
  socialCriterion: 'Critère social',
  environmentalClause: 'Clause environnementale',
  environmentalCriterion: 'Critère environnemental',
  insertionHours: 'Heures d’insertion',
};

function findingValue(f: Finding): string {
  if (f.kind === 'reserved') return RESERVED_LABEL[f.value as ReservedFamily] ?? f.value;
  if (f.kind === 'insertionHours') return `${formatNumber(Number(f.value))} heures`;
  return f.value;
}

const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

/** The sentence with the words that triggered the finding marked (accents and case ignored). */
function highlighted(excerpt: string, words: string): Html {
  const at = words ? fold(excerpt).indexOf(fold(words)) : -1;
  // Folding keeps the length of plain French text (one combining mark per accented letter is removed
  // from both): the offsets are those of the original sentence.
  if (at < 0 || fold(excerpt).length !== excerpt.length) return html`${excerpt}`;
  return html`${excerpt.slice(0, at)}<mark>${excerpt.slice(at, at + words.length)}</mark>${excerpt.slice(at + words.length)}`;
}

function findingsList(findings: Finding[]): Html {
  if (!findings.length) return html`<p>Aucun signe de marché réservé, de clause sociale ou environnementale n’a été trouvé dans cet avis.</p>`;
  return html`<ul class="pa-findings">${findings.map(
    (f) => html`<li class="fr-mb-2w">
<p class="fr-mb-1v"><strong>${FINDING_LABEL[f.kind]}</strong> : ${findingValue(f)}${f.lot ? ` (lot ${f.lot})` : ''}</p>
${
  f.origin === 'field'
    ? html`<p class="fr-text--sm fr-mb-0">Champ structuré <code>${f.path}</code> = <code>${f.excerpt}</code></p>`
    : html`<blockquote class="fr-text--sm fr-mb-0">« ${highlighted(f.excerpt, f.words ?? f.value)} »</blockquote><p class="fr-text--xs fr-mb-0">Texte : <code>${f.path}</code></p>`
}
</li>`,
  )}</ul>`;
}

function whenDeadline(iso: string | null): string | null {
  return iso ? DATE_TIME.format(new Date(iso)) : null;
}

// ---------------------------------------------------------------------------------------------------
// Notices list

function filtersForm(refs: Referentials, f: NoticeFilters): Html {
  const checked = (on: boolean | undefined) => (on ? html` checked` : '');
  const reservedBoxes = [...RESERVED_FAMILIES.map((r) => ({ value: r, label: RESERVED_LABEL[r] })), { value: 'any', label: 'Tous les marchés réservés' }];
  return html`<form method="get" action="/appels-d-offres" class="fr-mb-4w" aria-label="Filtrer les avis">
<div class="fr-grid-row fr-grid-row--gutters">
<div class="fr-col-12 fr-col-md-6"><div class="fr-input-group"><label class="fr-label" for="q">Mots<span class="fr-hint-text">Dans le titre, la description et le nom de l’acheteur</span></label>
<input class="fr-input" type="search" id="q" name="q" value="${f.q ?? ''}" maxlength="200"></div></div>
<div class="fr-col-12 fr-col-md-3"><div class="fr-input-group"><label class="fr-label" for="departement">Départements<span class="fr-hint-text">Codes séparés par des virgules : 59, 62</span></label>
<input class="fr-input" type="text" id="departement" name="departement" value="${(f.departement ?? []).join(', ')}" maxlength="200"></div></div>
<div class="fr-col-12 fr-col-md-3"><div class="fr-input-group"><label class="fr-label" for="depuis">Publiés depuis le</label>
<input class="fr-input" type="date" id="depuis" name="depuis" value="${f.since ?? ''}"></div></div>
<div class="fr-col-12 fr-col-md-6"><div class="fr-select-group"><label class="fr-label" for="secteur">Secteur<span class="fr-hint-text">D’après les codes CPV de l’avis</span></label>
<select class="fr-select" id="secteur" name="secteur"><option value="">Tous les secteurs</option>
${refs.groups.map((g) => html`<optgroup label="${g.name}">${g.sectors.map((s) => html`<option value="${s.slug}"${f.sector?.includes(s.slug) ? html` selected` : ''}>${s.name}</option>`)}</optgroup>`)}
</select></div></div>
<div class="fr-col-12 fr-col-md-6"><div class="fr-select-group"><label class="fr-label" for="nature">Nature de l’avis</label>
<select class="fr-select" id="nature" name="nature"><option value="">Toutes</option>
${Object.entries(NATURE_LABEL).map(([v, l]) => html`<option value="${v}"${f.nature === v ? html` selected` : ''}>${l}</option>`)}
</select></div></div>
</div>
<fieldset class="fr-fieldset" id="reserve-set" aria-labelledby="reserve-legend">
<legend class="fr-fieldset__legend fr-text--regular" id="reserve-legend">Marchés réservés</legend>
${reservedBoxes.map(
  (b) => html`<div class="fr-fieldset__element fr-fieldset__element--inline"><div class="fr-checkbox-group fr-checkbox-group--sm">
<input type="checkbox" id="reserve-${b.value}" name="reserve" value="${b.value}"${checked(f.reserved?.includes(b.value as ReservedFamily | 'any'))}><label class="fr-label" for="reserve-${b.value}">${b.label}</label></div></div>`,
)}
</fieldset>
<fieldset class="fr-fieldset" id="clauses-set" aria-labelledby="clauses-legend">
<legend class="fr-fieldset__legend fr-text--regular" id="clauses-legend">Clauses et critères</legend>
<div class="fr-fieldset__element fr-fieldset__element--inline"><div class="fr-checkbox-group fr-checkbox-group--sm"><input type="checkbox" id="clause" name="clause" value="on"${checked(f.socialClause)}><label class="fr-label" for="clause">Clause sociale d’insertion</label></div></div>
<div class="fr-fieldset__element fr-fieldset__element--inline"><div class="fr-checkbox-group fr-checkbox-group--sm"><input type="checkbox" id="critere" name="critere" value="on"${checked(f.socialCriterion)}><label class="fr-label" for="critere">Critère social</label></div></div>
<div class="fr-fieldset__element fr-fieldset__element--inline"><div class="fr-checkbox-group fr-checkbox-group--sm"><input type="checkbox" id="environnement" name="environnement" value="on"${checked(f.environmental)}><label class="fr-label" for="environnement">Clause ou critère environnemental</label></div></div>
<div class="fr-fieldset__element fr-fieldset__element--inline"><div class="fr-checkbox-group fr-checkbox-group--sm"><input type="checkbox" id="ouverts" name="ouverts" value="on"${checked(f.open)}><label class="fr-label" for="ouverts">Date limite non dépassée</label></div></div>
</fieldset>
<ul class="fr-btns-group fr-btns-group--inline-md">
<li><button class="fr-btn" type="submit">Filtrer</button></li>
<li><a class="fr-btn fr-btn--tertiary" href="/appels-d-offres">Effacer les filtres</a></li>
</ul>
</form>`;
}

function noticeCard(n: NoticeSummary, refs: Referentials): Html {
  const deadline = whenDeadline(n.deadline);
  const sectors = n.sectors.map((s) => refs.sectorBySlug.get(s)?.name ?? s).slice(0, 3);
  return html`<li class="fr-mb-3w"><div class="fr-card fr-card--horizontal fr-enlarge-link fr-card--sm">
<div class="fr-card__body"><div class="fr-card__content">
<h3 class="fr-card__title"><a href="/appels-d-offres/${n.id}">${n.title}</a></h3>
<p class="fr-card__desc">${n.buyerName ?? 'Acheteur non indiqué'}${n.departements.length ? ` · ${n.departements.join(', ')}` : ''}${sectors.length ? ` · ${sectors.join(', ')}` : ''}</p>
<div class="fr-card__start">${FLAG_BADGES(n)}<p class="fr-card__detail">${NATURE_LABEL[n.nature]}${n.publishedOn ? ` publié le ${formatDate(n.publishedOn)}` : ''}</p></div>
${deadline ? html`<div class="fr-card__end"><p class="fr-card__detail">Réponse avant le ${deadline}</p></div>` : ''}
</div></div></div></li>`;
}

async function noticesPage(p: Platform, req: FastifyRequest<{ Querystring: Query }>, reply: FastifyReply): Promise<string> {
  const f = filtersFromQuery(req.query);
  const pageNo = Math.max(1, Math.min(10000, Number(first(req.query.page)) || 1));
  const [refs, found] = await Promise.all([getReferentials(p.db), searchNotices(p.db, f, { page: pageNo, perPage: 20 })]);
  const pageCount = Math.ceil(found.total / found.perPage);
  const qs = queryOfFilters(f);
  const hrefOf = (n: number) => {
    const s = new URLSearchParams(qs);
    if (n > 1) s.set('page', String(n));
    return `/appels-d-offres${s.size ? `?${s}` : ''}`;
  };
  const save = req.actor.person
    ? html`<form method="post" action="/veilles" class="fr-mb-3w">
${csrfField(csrfToken(req, reply, p.config))}
<input type="hidden" name="filtres" value="${qs.toString()}">
<input type="hidden" name="name" value="${describeFilters(f, (s) => refs.sectorBySlug.get(s)?.name ?? s).slice(0, 200)}">
<button class="fr-btn fr-btn--secondary fr-btn--sm fr-icon-notification-3-line fr-btn--icon-left" type="submit">Créer une veille avec ces critères</button>
</form>`
    : html`<p class="fr-text--sm"><a href="/connexion?retour=${encodeURIComponent(hrefOf(1))}">Connectez-vous</a> pour recevoir chaque jour les nouveaux avis de cette recherche.</p>`;
  const main = html`<h1>Veille des marchés publics</h1>
<p>Les avis publiés (BOAMP, avis européens eForms) et les marchés attribués (données essentielles), lus chaque jour : marchés réservés aux structures inclusives, clauses sociales d’insertion, critères sociaux et environnementaux, avec la preuve de chaque constat.</p>
${filtersForm(refs, f)}
<h2 id="resultats">${found.total === 0 ? 'Aucun avis' : found.total === 1 ? '1 avis' : `${formatNumber(found.total)} avis`}</h2>
${save}
${found.items.length ? html`<ul class="fr-raw-list" aria-labelledby="resultats">${found.items.map((n) => noticeCard(n, refs))}</ul>` : html`<p>Aucun avis ne correspond à ces critères. Essayez d’en retirer.</p>`}
${pagination(found.page, pageCount, hrefOf)}`;
  return page(p, { title: found.page > 1 ? `Veille des marchés – page ${found.page}` : 'Veille des marchés', crumbs: [{ label: 'Veille des marchés' }], main });
}

// ---------------------------------------------------------------------------------------------------
// One notice

async function noticePage(p: Platform, n: NoticeDetail): Promise<string> {
  const refs = await getReferentials(p.db);
  const territories = loadTerritories();
  const matches = await noticeMatches(p, n, 10);
  const dep = (code: string) => territories.get('departement', code)?.name ?? code;
  const rows: [string, Html | string | null][] = [
    ['Acheteur', n.buyerName ? html`${n.buyerName}${n.buyerSiret ? html` <span class="fr-text--sm">(SIRET ${n.buyerSiret})</span>` : ''}` : null],
    ['Nature', NATURE_LABEL[n.nature]],
    ['Procédure', n.procedure],
    ['Publication', formatDate(n.publishedOn)],
    ['Date limite de réponse', whenDeadline(n.deadline)],
    ['Montant estimé', n.amount !== null ? `${EUROS.format(n.amount)} HT` : null],
    ['Lieu d’exécution', n.departements.length ? n.departements.map((d) => `${dep(d)} (${d})`).join(', ') : null],
    ['Codes CPV', n.cpv.length ? n.cpv.map((c) => `${c} ${cpvLabel(c) ?? ''}`.trim()).join(' ; ') : null],
    ['Secteurs', n.sectors.length ? n.sectors.map((s) => refs.sectorBySlug.get(s)?.name ?? s).join(', ') : null],
    ['Source', html`${n.source === 'decp' ? 'Données essentielles de la commande publique' : n.source === 'eforms' ? 'Avis eForms' : 'BOAMP'} (${n.sourceId})${n.url ? html` – <a href="${n.url}" rel="noopener" target="_blank" title="Voir l’avis d’origine – nouvelle fenêtre">voir l’avis d’origine</a>` : ''}`],
  ];
  const lots = n.classification.lots;
  const main = html`<h1>${n.title}</h1>
${FLAG_BADGES(n)}
<div class="fr-grid-row fr-grid-row--gutters fr-mt-2w">
<div class="fr-col-12 fr-col-lg-7">
<dl class="pa-facts">${rows.filter(([, v]) => v !== null && v !== '').map(([k, v]) => html`<dt class="fr-text--bold fr-mb-0">${k}</dt><dd class="fr-mb-2w">${v}</dd>`)}</dl>
${n.description ? html`<h2 class="fr-h4">Description</h2><p class="pa-pre">${n.description}</p>` : ''}
<h2 class="fr-h4" id="preuves">Ce que l’avis dit, et où</h2>
${findingsList(n.classification.findings)}
${
  n.lots.length
    ? html`<h2 class="fr-h4">Lots</h2><div class="fr-table fr-table--multiline"><div class="fr-table__wrapper"><div class="fr-table__container"><div class="fr-table__content"><table>
<caption class="fr-sr-only">Lots de l’avis</caption>
<thead><tr><th scope="col">Lot</th><th scope="col">Intitulé</th><th scope="col">Constats</th></tr></thead>
<tbody>${n.lots.map((l) => {
        const c = lots.find((x) => x.lot === l.number);
        return html`<tr><th scope="row">${l.number}</th><td>${l.title ?? ''}</td><td>${c ? FLAG_BADGES(c) : ''}</td></tr>`;
      })}</tbody></table></div></div></div></div>`
    : ''
}
${
  n.awards.length
    ? html`<h2 class="fr-h4">Attribution</h2><ul>${n.awards.map(
        (a) => html`<li>${a.lot ? `Lot ${a.lot} : ` : ''}${a.holders.map((h) => h.name ?? (h.siret ? `SIRET ${h.siret}` : 'titulaire non indiqué')).join(', ')}${a.amount !== null ? ` – ${EUROS.format(a.amount)} HT` : ''}${a.date ? ` – notifié le ${formatDate(a.date)}` : ''}</li>`,
      )}</ul>`
    : ''
}
</div>
<div class="fr-col-12 fr-col-lg-5">
<h2 class="fr-h4" id="structures">Structures qui correspondent</h2>
${
  n.sectors.length === 0
    ? html`<p>Les codes CPV de cet avis ne correspondent à aucun secteur de l’annuaire : pas de mise en relation automatique.</p>`
    : matches.items.length === 0
      ? html`<p>Aucune structure de l’annuaire ne correspond à ce lieu, ces secteurs${n.reserved.length ? ' et cette réservation' : ''}.</p>`
      : html`<p class="fr-text--sm">${matches.total === 1 ? '1 structure' : `${formatNumber(matches.total)} structures`} ; les ${matches.items.length} premières :</p>
<ol class="pa-matches">${matches.items.map((m) => html`<li class="fr-mb-2w"><a href="/structures/${m.slug}">${m.name}</a> <span class="fr-text--sm">(${m.kind}${m.distanceKm !== null ? `, ${formatNumber(Math.round(m.distanceKm))} km` : ''})</span>
<ul class="fr-text--sm">${m.reasons.map((r) => html`<li>${r}</li>`)}</ul></li>`)}</ol>`
}
</div>
</div>`;
  return page(p, { title: n.title, crumbs: [{ label: 'Veille des marchés', href: '/appels-d-offres' }, { label: n.title.length > 60 ? `${n.title.slice(0, 57)}…` : n.title }], main });
}

// ---------------------------------------------------------------------------------------------------
// Saved searches

/** Filters that fit a structure: the sectors and départements of its activities. */
async function structurePreset(p: Platform, structureId: string): Promise<NoticeFilters> {
  const rows = await p.db.query<{ sector_slug: string; area_kind: string; cover_keys: string[]; department_code: string | null }>(sql`
    SELECT a.sector_slug, a.area_kind, a.cover_keys, s.department_code FROM activities a JOIN structures s ON s.id = a.structure_id WHERE a.structure_id = ${structureId}`);
  const sectors = [...new Set(rows.map((r) => r.sector_slug))];
  const national = rows.some((r) => r.area_kind === 'country');
  const deps = national ? [] : [...new Set(rows.flatMap((r) => [...r.cover_keys.filter((k) => k.startsWith('D')).map((k) => k.slice(1)), ...(r.department_code ? [r.department_code] : [])]))];
  return { sector: sectors, departement: deps.slice(0, 120), open: true, reserved: [] };
}

function searchesPage(p: Platform, req: FastifyRequest, reply: FastifyReply, searches: SavedSearch[], o: { message?: string; created?: boolean } = {}): string {
  const actor = req.actor as Actor;
  const token = csrfToken(req, reply, p.config);
  const structures = actor.memberships.filter((m) => m.type === 'structure' && m.structureId);
  const main = html`<h1>Mes veilles</h1>
<p>Une veille garde des critères de recherche d’avis. Chaque jour, les nouveaux avis qui y correspondent vous sont envoyés par courriel ; rien n’est envoyé quand il n’y a rien de nouveau. Chaque courriel a un lien de désabonnement.</p>
${o.message ? formError(o.message) : ''}
${
  searches.length
    ? html`<ul class="fr-raw-list">${searches.map(
        (s) => html`<li class="fr-mb-2w"><a href="/veilles/${s.id}">${s.name}</a> <span class="fr-text--sm">— ${describeFilters(s.filters)}${s.organisationName ? ` · pour ${s.organisationName}` : ''} · ${s.digest ? 'courriel quotidien' : 'sans courriel'}</span></li>`,
      )}</ul>`
    : html`<p>Vous n’avez pas encore de veille. Cherchez des avis sur <a href="/appels-d-offres">la veille des marchés</a>, puis « Créer une veille avec ces critères ».</p>`
}
${
  structures.length
    ? html`<h2 class="fr-h4">Une veille pour les activités de votre structure</h2>
<p>Les secteurs et les territoires de ses activités, les avis dont la date limite n’est pas passée.</p>
${structures.map(
  (m) => html`<form method="post" action="/veilles" class="fr-mb-2w">${csrfField(token)}<input type="hidden" name="structure" value="${m.organisationId}">
<button class="fr-btn fr-btn--secondary" type="submit">Créer la veille de ${m.organisationName}</button></form>`,
)}`
    : ''
}`;
  return page(p, { title: 'Mes veilles', crumbs: [{ label: 'Veille des marchés', href: '/appels-d-offres' }, { label: 'Mes veilles' }], main });
}

function searchPage(p: Platform, req: FastifyRequest, reply: FastifyReply, s: SavedSearch, o: { message?: string; saved?: boolean } = {}): string {
  const actor = req.actor as Actor;
  const token = csrfToken(req, reply, p.config);
  const orgs = actor.memberships;
  const main = html`<h1>Veille « ${s.name} »</h1>
${o.saved ? notice('success', 'Veille enregistrée') : ''}
${o.message ? formError(o.message) : ''}
<p>${describeFilters(s.filters)}</p>
<p><a class="fr-btn fr-btn--secondary" href="/appels-d-offres?${queryOfFilters(s.filters).toString()}">Voir les avis de cette veille</a></p>
<h2 class="fr-h4">Modifier</h2>
<form method="post" action="/veilles/${s.id}">
${csrfField(token)}
<div class="fr-input-group"><label class="fr-label" for="name">Nom de la veille</label><input class="fr-input" type="text" id="name" name="name" value="${s.name}" maxlength="200" required></div>
<div class="fr-select-group"><label class="fr-label" for="organisationId">Pour</label>
<select class="fr-select" id="organisationId" name="organisationId"><option value="">Moi seulement</option>
${orgs.map((m) => html`<option value="${m.organisationId}"${s.organisationId === m.organisationId ? html` selected` : ''}>${m.organisationName} (ses membres la voient)</option>`)}
</select></div>
<div class="fr-checkbox-group fr-mb-3w"><input type="checkbox" id="digest" name="digest" value="on"${s.digest ? html` checked` : ''}><label class="fr-label" for="digest">Recevoir chaque jour les nouveaux avis par courriel</label></div>
<button class="fr-btn" type="submit">Enregistrer</button>
</form>
<form method="post" action="/veilles/${s.id}/suppression" class="fr-mt-4w">${csrfField(token)}<button class="fr-btn fr-btn--tertiary" type="submit">Supprimer cette veille</button></form>`;
  return page(p, { title: `Veille « ${s.name} »`, crumbs: [{ label: 'Veille des marchés', href: '/appels-d-offres' }, { label: 'Mes veilles', href: '/veilles' }, { label: s.name }], main });
}

function unsubscribePage(p: Platform, req: FastifyRequest, reply: FastifyReply, id: string, token: string, done: boolean): string {
  const main = done
    ? html`<h1>Vous êtes désabonné</h1>${notice('success', 'Vous ne recevrez plus le courriel quotidien de cette veille.')}<p>Vous pouvez le réactiver depuis <a href="/veilles">vos veilles</a>, une fois connecté.</p>`
    : html`<h1>Se désabonner d’une veille</h1>
<p>Vous ne recevrez plus le courriel quotidien des nouveaux avis de cette veille. La veille reste enregistrée.</p>
<form method="post" action="/veilles/${id}/desabonnement">${csrfField(csrfToken(req, reply, p.config))}<input type="hidden" name="jeton" value="${token}">
<button class="fr-btn" type="submit">Me désabonner</button></form>`;
  return page(p, { title: done ? 'Désabonnement confirmé' : 'Se désabonner', crumbs: [{ label: 'Veille des marchés', href: '/appels-d-offres' }, { label: 'Désabonnement' }], main });
}

// ---------------------------------------------------------------------------------------------------
// Routes

export async function noticePages(app: FastifyInstance, p: Platform): Promise<void> {
  const pub = { config: { access: 'public' as const } };
  const person = { config: { access: 'person' as const } };

  app.get<{ Querystring: Query }>('/appels-d-offres', pub, async (req, reply) => sendHtml(reply, await noticesPage(p, req, reply)));

  app.get<Params>('/appels-d-offres/:id', pub, async (req, reply) => {
    if (!/^\d{1,15}$/.test(req.params.id)) throw new AppError('NOT_FOUND', 'Cet avis n’existe pas.', 404);
    return sendHtml(reply, await noticePage(p, await getNotice(p.db, Number(req.params.id))));
  });

  app.get('/veilles', person, async (req, reply) => sendHtml(reply, searchesPage(p, req, reply, await listSearches(p.db, req.actor))));

  app.post<{ Body: Body }>('/veilles', person, async (req, reply) => {
    const body = req.body ?? {};
    const structureOrg = first(body.structure);
    let input: Record<string, unknown>;
    if (structureOrg) {
      const m = req.actor.memberships.find((x) => x.organisationId === structureOrg && x.type === 'structure' && x.structureId);
      if (!m) throw new AppError('FORBIDDEN', 'Vous n’êtes pas membre de cette structure.', 403);
      input = { name: `Avis pour ${m.organisationName}`.slice(0, 200), organisationId: m.organisationId, filters: await structurePreset(p, m.structureId!) };
    } else {
      const filters = filtersFromQuery(Object.fromEntries(new URLSearchParams(first(body.filtres) ?? '').entries()) as Query);
      input = { name: first(body.name) ?? '', filters };
    }
    try {
      const s = await createSearch(p.db, req.actor, input);
      return reply.redirect(`/veilles/${s.id}?enregistree=1`, 303);
    } catch (err) {
      if (err instanceof AppError && (err.status === 422 || err.status === 409)) return sendHtml(reply, searchesPage(p, req, reply, await listSearches(p.db, req.actor), { message: err.message }), err.status);
      throw err;
    }
  });

  app.get<Params & { Querystring: Query }>('/veilles/:id', person, async (req, reply) =>
    sendHtml(reply, searchPage(p, req, reply, await searchFor(p.db, req.actor, req.params.id), { saved: first(req.query.enregistree) === '1' })),
  );

  app.post<Params & { Body: Body }>('/veilles/:id', person, async (req, reply) => {
    const body = req.body ?? {};
    try {
      await updateSearch(p.db, req.actor, req.params.id, { name: first(body.name) ?? '', organisationId: first(body.organisationId) || null, digest: first(body.digest) === 'on' });
    } catch (err) {
      if (err instanceof AppError && err.status === 422) return sendHtml(reply, searchPage(p, req, reply, await searchFor(p.db, req.actor, req.params.id), { message: err.message }), 422);
      throw err;
    }
    return reply.redirect(`/veilles/${req.params.id}?enregistree=1`, 303);
  });

  app.post<Params>('/veilles/:id/suppression', person, async (req, reply) => {
    await deleteSearch(p.db, req.actor, req.params.id);
    return reply.redirect('/veilles', 303);
  });

  // The mail's link only shows a button: a link checker opening it must not unsubscribe anybody.
  app.get<Params & { Querystring: Query }>('/veilles/:id/desabonnement', pub, async (req, reply) => {
    const token = first(req.query.jeton) ?? '';
    await checkUnsubscribeLink(p, req.params.id, token);
    return sendHtml(reply, unsubscribePage(p, req, reply, req.params.id, token, false));
  });

  app.post<Params & { Body: Body }>('/veilles/:id/desabonnement', pub, async (req, reply) => {
    await unsubscribe(p, req.params.id, first((req.body ?? {}).jeton) ?? '');
    return sendHtml(reply, unsubscribePage(p, req, reply, req.params.id, '', true));
  });
}
