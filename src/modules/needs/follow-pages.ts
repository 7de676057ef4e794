// The buyer follows a need (DSFR pages, French): the answers by status with filters and exports, the
// reminders, the outcome question (signed link or signed-in buyer), and the public impact figures.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { type Html, html } from '../../core/html.ts';
import type { Platform } from '../../core/platform.ts';
import { pagination } from '../../web/components.ts';
import { csrfField, formError, notice } from '../../web/forms.ts';
import { formatDate, formatNumber, safeWebsite, telHref, displayUrl } from '../../web/format.ts';
import { layout, type Crumb } from '../../web/layout.ts';
import { csrfToken } from '../accounts/http.ts';
import { KIND_CODES } from '../directory/model.ts';
import { loadTerritories } from '../territories/data.ts';
import { answersCsv, answersXlsx, exportFileName } from './exports.ts';
import {
  ANSWER_TAB_LABEL,
  ANSWER_TABS,
  type AnswersPage,
  type AnswersQuery,
  AnswersQuerySchema,
  type ConsortiumAnswer,
  listAnswers,
  MAX_REMINDERS,
  needToFollow,
  type PublicContact,
  reminderState,
  sendReminder,
  type StructureAnswer,
} from './follow-up.ts';
import { type Impact, type ImpactFigures, impactFigures, type ImpactRow } from './impact.ts';
import { NEED_KIND_LABEL, NEED_STATUS_LABEL, RECIPIENT_STATUS_LABEL } from './model.ts';
import { OUTCOME_AWARDED, OUTCOME_AWARDED_LABEL, type OutcomeAuthor, type OutcomeChoices, outcomeChoices, needForOutcome, recordOutcome } from './outcome.ts';
import { isNeedBuyer } from './policy.ts';
import type { Need } from './repository.ts';
import { sendHtml, first } from '../../web/reply.ts';

type Query = Record<string, string | string[] | undefined>;
type Body = Record<string, string | undefined>;
type Params = { Params: { id: string } };


const DATE_TIME = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Paris' });
const EUROS = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 });
const when = (iso: string) => html`<time datetime="${iso}">${DATE_TIME.format(new Date(iso))}</time>`;

function page(p: Platform, o: { title: string; main: Html; crumbs: Crumb[] }): string {
  return layout(p.config, { title: o.title, section: 'needs', breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Besoins d’achat', href: '/besoins' }, ...o.crumbs], main: html`<div class="fr-container fr-my-6w">${o.main}</div>` });
}

/** The page's filters from the address (French names), read with the API's schema; bad values give a 400. */
function answersQuery(q: Query): AnswersQuery {
  const r = AnswersQuerySchema.safeParse({
    status: first(q.statut) || undefined,
    kind: first(q.type) || undefined,
    department: first(q.departement) || undefined,
    page: first(q.page) || undefined,
    perPage: first(q.parPage) || undefined,
  });
  if (!r.success) throw new AppError('INVALID_PARAMETERS', 'Paramètres de filtre invalides : vérifiez le statut, le type de structure et le département.', 400);
  return r.data;
}

function queryString(q: AnswersQuery, over: Partial<AnswersQuery> = {}): string {
  const v = { ...q, ...over };
  const u = new URLSearchParams();
  if (v.status !== 'all') u.set('statut', v.status);
  if (v.kind) u.set('type', v.kind);
  if (v.department) u.set('departement', v.department);
  if (v.page > 1) u.set('page', String(v.page));
  if (v.perPage !== 20) u.set('parPage', String(v.perPage));
  const s = u.toString();
  return s ? `?${s}` : '';
}

// ---------------------------------------------------------------------------------------------------
// Answers page

function contactBlock(c: PublicContact): Html {
  const website = safeWebsite(c.website);
  if (!c.email && !c.phone && !website) return html`<p class="fr-text--sm fr-mb-0">Pas de contact public sur la fiche.</p>`;
  return html`<p class="fr-text--sm fr-mb-0"><strong>Contact public :</strong></p>
<ul class="fr-text--sm fr-mb-0">
${c.email ? html`<li><a href="mailto:${c.email}">${c.email}</a></li>` : ''}
${c.phone ? html`<li><a href="${telHref(c.phone)}">${c.phone}</a></li>` : ''}
${website ? html`<li><a href="${website}" rel="noopener">${displayUrl(website)}</a></li>` : ''}
</ul>`;
}

function answersList(answers: { question: string; answer: string }[]): Html {
  if (!answers.length) return html``;
  return html`<p class="fr-text--sm fr-mb-0"><strong>Réponses aux questions :</strong></p>
<ul class="fr-text--sm fr-mb-0">${answers.map((a) => html`<li><em>${a.question}</em> — ${a.answer}</li>`)}</ul>`;
}

function structureRow(a: StructureAnswer): Html {
  const steps: [string, string | null][] = [
    ['Contactée', a.sentAt],
    ['Lien ouvert', a.openedAt],
    ['Besoin consulté', a.viewedAt],
    ['Intéressée', a.interestedAt],
    ['Pas intéressée', a.notInterestedAt],
    ['Cherche des partenaires', a.partnersAt],
  ];
  const showContact = a.status === 'interested' || a.status === 'partners';
  return html`<tr>
<th scope="row"><a href="/structures/${a.slug}">${a.name}</a><br><span class="fr-text--xs"><abbr title="${a.kindName}">${a.kind}</abbr> · SIRET ${a.siret}</span></th>
<td>${a.communeName ?? '—'}${a.departmentCode ? ` (${a.departmentCode})` : ''}${a.distanceKm != null ? html`<br><span class="fr-text--xs">à ${formatNumber(Math.round(a.distanceKm))} km</span>` : ''}</td>
<td><strong>${RECIPIENT_STATUS_LABEL[a.status]}</strong>
<ul class="fr-text--xs fr-mb-0">${steps.filter((s) => s[1]).map((s) => html`<li>${s[0]} le ${when(s[1] as string)}</li>`)}${a.reminderCount ? html`<li>Relancée ${a.reminderCount} fois</li>` : ''}</ul></td>
<td>${a.score != null ? html`<span class="fr-text--xs">Score ${a.score}/100</span>` : ''}${a.reasons.length ? html`<ul class="fr-text--xs fr-mb-0">${a.reasons.map((r) => html`<li>${r}</li>`)}</ul>` : a.score == null ? '—' : ''}</td>
<td>${a.notInterestedReason ? html`<p class="fr-text--sm fr-mb-0"><strong>Motif :</strong> ${a.notInterestedReason}</p>` : ''}${answersList(a.answers)}${showContact ? contactBlock(a.contact) : ''}${!a.notInterestedReason && !a.answers.length && !showContact ? '—' : ''}</td>
</tr>`;
}

const MEMBER_STATUS = { invited: 'invitée', accepted: 'a accepté', refused: 'a refusé' } as const;

function consortiumBlock(c: ConsortiumAnswer): Html {
  return html`<div class="fr-card fr-mb-3w"><div class="fr-card__body"><div class="fr-card__content">
<h3 class="fr-card__title">Groupement mené par <a href="/structures/${c.lead.slug}">${c.lead.name}</a></h3>
<div class="fr-card__desc">
<p class="fr-text--sm">Mandataire : ${c.lead.name} (<abbr title="${c.lead.kindName}">${c.lead.kind}</abbr>, ${c.lead.communeName ?? '—'}${c.lead.departmentCode ? ` (${c.lead.departmentCode})` : ''}${c.distanceKm != null ? `, à ${formatNumber(Math.round(c.distanceKm))} km` : ''}) · formé le ${when(c.createdAt)}</p>
${c.note ? html`<p class="fr-text--sm">${c.note}</p>` : ''}
<p class="fr-text--sm fr-mb-0"><strong>Co-traitants :</strong></p>
${c.members.length ? html`<ul class="fr-text--sm">${c.members.map((m) => html`<li><a href="/structures/${m.slug}">${m.name}</a> (<abbr title="${m.kindName}">${m.kind}</abbr>, ${m.communeName ?? '—'}) — ${MEMBER_STATUS[m.status]}</li>`)}</ul>` : html`<p class="fr-text--sm">Aucun co-traitant pour l’instant.</p>`}
${answersList(c.answers)}
${contactBlock(c.lead.contact)}
</div></div></div></div>`;
}

function filtersForm(need: Need, q: AnswersQuery, r: AnswersPage): Html {
  const action = `/besoins/${need.id}/reponses`;
  const territories = loadTerritories();
  const depName = (code: string) => territories.get('departement', code)?.name ?? code;
  const opt = (value: string, label: string, selected: boolean) => html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  return html`<form method="get" action="${action}" class="pl-filters fr-mb-4w">
<fieldset class="fr-fieldset fr-mb-0" aria-labelledby="filtres-legende">
<legend class="fr-fieldset__legend" id="filtres-legende">Filtrer les réponses</legend>
<div class="fr-fieldset__element fr-fieldset__element--inline"><div class="fr-select-group">
<label class="fr-label" for="filtre-statut">Statut</label>
<select class="fr-select" id="filtre-statut" name="statut">${ANSWER_TABS.map((t) => opt(t === 'all' ? '' : t, ANSWER_TAB_LABEL[t], q.status === t))}</select>
</div></div>
<div class="fr-fieldset__element fr-fieldset__element--inline"><div class="fr-select-group">
<label class="fr-label" for="filtre-type">Type de structure</label>
<select class="fr-select" id="filtre-type" name="type">${opt('', 'Tous les types', !q.kind)}${KIND_CODES.filter((k) => r.facets.kinds.includes(k) || q.kind === k).map((k) => opt(k, k, q.kind === k))}</select>
</div></div>
<div class="fr-fieldset__element fr-fieldset__element--inline"><div class="fr-select-group">
<label class="fr-label" for="filtre-departement">Département de la structure</label>
<select class="fr-select" id="filtre-departement" name="departement">${opt('', 'Tous les départements', !q.department)}${[...new Set([...r.facets.departments, ...(q.department ? [q.department] : [])])].sort().map((d) => opt(d, `${depName(d)} (${d})`, q.department === d))}</select>
</div></div>
</fieldset>
<ul class="fr-btns-group fr-btns-group--inline-sm fr-mb-0">
<li><button class="fr-btn" type="submit">Filtrer</button></li>
<li><a class="fr-btn fr-btn--tertiary" href="${action}">Effacer les filtres</a></li>
</ul>
</form>`;
}

function tabs(need: Need, q: AnswersQuery, counts: AnswersPage['counts']): Html {
  return html`<nav aria-label="Réponses par statut" class="fr-mb-3w"><ul class="fr-tags-group">
${ANSWER_TABS.map((t) => {
  const href = `/besoins/${need.id}/reponses${queryString(q, { status: t, page: 1 })}`;
  return html`<li><a class="fr-tag" href="${href}"${q.status === t ? html` aria-current="page"` : ''}>${ANSWER_TAB_LABEL[t]} (${formatNumber(counts[t])})</a></li>`;
})}
</ul></nav>`;
}

async function buyerTools(p: Platform, req: FastifyRequest, reply: FastifyReply, need: Need, error?: string): Promise<Html> {
  if (!isNeedBuyer(req.actor, need)) return html`<p class="fr-text--sm">Consultation seule : les relances et le résultat sont faits par l’acheteur.</p>`;
  const state = await reminderState(p.db, need);
  const reminders = html`<h2 class="fr-h5">Relancer les structures sans réponse</h2>
<p class="fr-text--sm">Relances envoyées : ${need.remindersSent} sur ${MAX_REMINDERS}. Une relance part aux structures contactées depuis au moins 2 jours qui ne se sont dites ni intéressées ni pas intéressées, avec leur lien personnel vers le besoin.</p>
${error ? formError(error) : ''}
${
  state.allowed
    ? html`<form method="post" action="/besoins/${need.id}/relance">${csrfField(csrfToken(req, reply, p.config))}
<button class="fr-btn fr-btn--secondary" type="submit">Relancer ${state.eligible === 1 ? 'la structure' : `les ${formatNumber(state.eligible)} structures`} sans réponse</button></form>`
    : html`<p class="fr-text--sm fr-mb-0"><strong>Relance impossible pour l’instant :</strong> ${state.reason}</p>`
}`;
  const outcome = need.firstSentAt
    ? html`<h2 class="fr-h5 fr-mt-3w">Résultat</h2>
${need.outcomeAwarded ? html`<p class="fr-text--sm">Attribué : ${OUTCOME_AWARDED_LABEL[need.outcomeAwarded]}${need.outcomeAmount != null ? ` · ${EUROS.format(need.outcomeAmount)}` : ''}.</p>` : html`<p class="fr-text--sm">Pas encore indiqué.</p>`}
<p class="fr-mb-0"><a class="fr-link" href="/besoins/${need.id}/resultat">${need.outcomeAwarded ? 'Modifier le résultat' : 'Indiquer le résultat'}</a></p>`
    : '';
  return html`<div class="fr-p-3w fr-background-alt--grey fr-mb-4w">${reminders}${outcome}</div>`;
}

async function answersPage(p: Platform, req: FastifyRequest<Params & { Querystring: Query }>, reply: FastifyReply, error?: { message: string; status: number }) {
  const need = await needToFollow(p.db, req.actor, req.params.id);
  const q = answersQuery(req.query);
  const r = await listAnswers(p.db, need, q);
  const consortia = r.items.filter((a): a is ConsortiumAnswer => a.type === 'consortium');
  const singles = r.items.filter((a): a is StructureAnswer => a.type === 'structure');
  const pageCount = Math.max(1, Math.ceil(r.total / r.perPage));
  const exportQuery = queryString(q, { page: 1, perPage: 20 });
  const message = first(req.query.message) === 'relance' ? notice('success', 'Relance envoyée', 'Les structures sans réponse ont reçu un courriel avec leur lien vers le besoin.') : '';
  const main = html`<h1>Réponses au besoin « ${need.title || need.reference} »</h1>
<p>${NEED_KIND_LABEL[need.kind]} · référence ${need.reference} · ${NEED_STATUS_LABEL[need.status]}${need.answerDeadline ? ` · réponses attendues jusqu’au ${formatDate(need.answerDeadline)}` : ''}</p>
${message}
${await buyerTools(p, req, reply, need, error?.message)}
${tabs(need, q, r.counts)}
${filtersForm(need, q, r)}
<ul class="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left">
<li><a class="fr-btn fr-btn--tertiary fr-icon-download-line" href="/besoins/${need.id}/reponses.csv${exportQuery}" download>Télécharger en CSV<span class="fr-sr-only"> (${ANSWER_TAB_LABEL[q.status]})</span></a></li>
<li><a class="fr-btn fr-btn--tertiary fr-icon-download-line" href="/besoins/${need.id}/reponses.xlsx${exportQuery}" download>Télécharger en Excel (XLSX)<span class="fr-sr-only"> (${ANSWER_TAB_LABEL[q.status]})</span></a></li>
</ul>
${
  consortia.length
    ? html`<h2>Groupements</h2>
<p class="fr-text--sm">Un groupement est une seule réponse : son mandataire et ses co-traitants qui ont accepté n’apparaissent pas une seconde fois dans le tableau.</p>
${consortia.map(consortiumBlock)}`
    : ''
}
<h2>${r.total === 0 ? 'Aucune réponse' : `${formatNumber(r.total)} réponse${r.total > 1 ? 's' : ''}`}${pageCount > 1 ? ` (page ${Math.min(r.page, pageCount)} sur ${pageCount})` : ''}</h2>
${
  singles.length
    ? html`<div class="fr-table fr-table--multiline"><div class="fr-table__wrapper"><div class="fr-table__container"><div class="fr-table__content">
<table>
<caption>Structures : ${ANSWER_TAB_LABEL[q.status].toLowerCase()}</caption>
<thead><tr><th scope="col">Structure</th><th scope="col">Lieu</th><th scope="col">Statut et dates</th><th scope="col">Pourquoi elle a été sélectionnée</th><th scope="col">Réponse</th></tr></thead>
<tbody>${singles.map(structureRow)}</tbody>
</table>
</div></div></div></div>`
    : r.total === 0
      ? html`<p>Aucune structure dans cette catégorie pour l’instant.</p>`
      : ''
}
${pagination(Math.min(r.page, pageCount), pageCount, (n) => `/besoins/${need.id}/reponses${queryString(q, { page: n })}`)}`;
  return sendHtml(reply, page(p, { title: `Réponses – ${need.reference}`, crumbs: [{ label: `Réponses au besoin ${need.reference}` }], main }), error?.status ?? 200);
}

// ---------------------------------------------------------------------------------------------------
// Outcome page

function parseAmount(v: string | undefined): number | null | 'invalid' {
  const s = (v ?? '').replace(/[\s\u00a0\u202f€]/g, '').replace(',', '.');
  if (!s) return null;
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return 'invalid';
  return Number(s);
}

function outcomeForm(p: Platform, csrf: string, need: Need, choices: OutcomeChoices, token: string | null, values: Body, error?: { message: string; field?: string }): string {
  const awarded = values.attribue ?? need.outcomeAwarded ?? '';
  const awardee = values.attributaire ?? (need.outcomeStructureId ? `s:${need.outcomeStructureId}` : need.outcomeConsortiumId ? `c:${need.outcomeConsortiumId}` : need.outcomeAwarded === 'yes' ? 'autre' : '');
  const amount = values.montant ?? (need.outcomeAmount != null ? String(need.outcomeAmount).replace('.', ',') : '');
  const radio = (name: string, id: string, value: string, label: string, checked: boolean) =>
    html`<div class="fr-fieldset__element"><div class="fr-radio-group"><input type="radio" id="${id}" name="${name}" value="${value}"${checked ? html` checked` : ''}><label class="fr-label" for="${id}">${label}</label></div></div>`;
  const awardees = [
    ...choices.consortia.map((c) => ({ value: `c:${c.id}`, label: c.name })),
    ...choices.structures.map((s) => ({ value: `s:${s.id}`, label: s.name })),
    { value: 'autre', label: 'Une autre structure' },
  ];
  const amountError = error?.field === 'amount';
  const main = html`<div class="fr-grid-row fr-grid-row--center"><div class="fr-col-12 fr-col-md-8">
<h1>Résultat de votre besoin</h1>
<p>« ${need.title || need.reference} » (${need.reference})${need.answerDeadline ? `, réponses attendues jusqu’au ${formatDate(need.answerDeadline)}` : ''}.</p>
${need.outcomeAnsweredAt ? notice('info', 'Vous avez déjà répondu', 'Vous pouvez modifier votre réponse : la dernière compte.') : ''}
${error ? formError(error.message) : ''}
<form method="post" action="/besoins/${need.id}/resultat">
${csrfField(csrf)}
${token ? html`<input type="hidden" name="jeton" value="${token}">` : ''}
<fieldset class="fr-fieldset" aria-labelledby="attribue-legende">
<legend class="fr-fieldset__legend" id="attribue-legende">Le marché a-t-il été attribué ?</legend>
${OUTCOME_AWARDED.map((v) => radio('attribue', `attribue-${v}`, v, OUTCOME_AWARDED_LABEL[v], awarded === v))}
</fieldset>
<fieldset class="fr-fieldset" aria-labelledby="attributaire-legende">
<legend class="fr-fieldset__legend" id="attributaire-legende">Si oui, à qui ?<span class="fr-hint-text">Les structures qui se sont dites intéressées et les groupements formés pour ce besoin.</span></legend>
${awardees.map((a, i) => radio('attributaire', `attributaire-${i}`, a.value, a.label, awardee === a.value))}
</fieldset>
<div class="fr-input-group${amountError ? ' fr-input-group--error' : ''}">
<label class="fr-label" for="montant">Montant attribué (€ hors taxes)<span class="fr-hint-text">Facultatif. Par exemple : 12 500</span></label>
<input class="fr-input${amountError ? ' fr-input--error' : ''}" type="text" inputmode="decimal" id="montant" name="montant" value="${amount}" maxlength="20"${amountError ? html` aria-describedby="montant-erreur" aria-invalid="true"` : ''}>
${amountError ? html`<p id="montant-erreur" class="fr-error-text">${error?.message}</p>` : ''}
</div>
<button class="fr-btn" type="submit">Enregistrer le résultat</button>
</form>
<p class="fr-text--sm fr-mt-3w">Ces réponses servent aux chiffres d’impact publiés par territoire, sans aucune donnée personnelle ni nom d’acheteur.</p>
</div></div>`;
  return page(p, { title: `Résultat – ${need.reference}`, crumbs: [{ label: `Résultat du besoin ${need.reference}` }], main });
}

function outcomeAuthor(req: FastifyRequest, token: string | undefined): OutcomeAuthor {
  return { actor: req.actor, token: token ? token.slice(0, 200) : null };
}

// ---------------------------------------------------------------------------------------------------
// Impact page

function impactTable(caption: string, firstHeader: string, rows: { label: string; f: ImpactFigures }[]): Html {
  return html`<div class="fr-table fr-table--multiline"><div class="fr-table__wrapper"><div class="fr-table__container"><div class="fr-table__content">
<table>
<caption>${caption}</caption>
<thead><tr><th scope="col">${firstHeader}</th><th scope="col">Besoins déposés</th><th scope="col">Envoyés aux structures</th><th scope="col">Avec au moins une structure intéressée</th><th scope="col">Ayant abouti à un contrat</th><th scope="col">Montant attribué aux structures inclusives</th></tr></thead>
<tbody>${rows.map(
    (r) =>
      html`<tr><th scope="row">${r.label}</th><td>${formatNumber(r.f.posted)}</td><td>${formatNumber(r.f.sent)}</td><td>${formatNumber(r.f.withInterest)}</td><td>${formatNumber(r.f.contracts)}</td><td>${EUROS.format(r.f.amountAwarded)}</td></tr>`,
  )}</tbody>
</table>
</div></div></div></div>`;
}

function impactPage(p: Platform, impact: Impact): string {
  const label = (r: ImpactRow) => r.name;
  const main = html`<h1>Impact des besoins d’achat</h1>
<p>Ce que les besoins d’achat déposés sur Passerelles ont donné, par territoire du lieu d’exécution. Un besoin qui couvre plusieurs territoires compte dans chacun ; un besoin pour toute la France ne compte que dans l’ensemble. Les montants sont ceux que les acheteurs ont déclarés, hors taxes, quand le marché a été attribué à une structure inclusive ou à un groupement de structures de l’annuaire. Aucune donnée personnelle ni nom d’acheteur n’est publié.</p>
${impactTable('Ensemble de la plateforme', 'Périmètre', [{ label: 'France entière', f: impact.national }])}
${impactTable('Besoins d’achat par région', 'Région', impact.regions.map((r) => ({ label: label(r), f: r })))}
${impact.region ? impactTable(`Besoins d’achat par département – ${impact.region.name}`, 'Département', impact.departments.map((r) => ({ label: `${r.name} (${r.code})`, f: r }))) : ''}
<p class="fr-text--sm">Ces chiffres sont aussi disponibles dans l’API : <a href="/api/docs">GET /api/v1/needs/impact</a>.</p>`;
  return page(p, { title: 'Impact des besoins d’achat', crumbs: [{ label: 'Impact' }], main });
}

// ---------------------------------------------------------------------------------------------------
// Routes

export async function needFollowPages(app: FastifyInstance, p: Platform): Promise<void> {
  const pub = { config: { access: 'public' as const } };
  const person = { config: { access: 'person' as const } };

  app.get('/besoins/impact', pub, async (_req, reply) => sendHtml(reply, impactPage(p, await impactFigures(p.db, p.config))));

  app.get<Params & { Querystring: Query }>('/besoins/:id/reponses', person, async (req, reply) => answersPage(p, req, reply));

  for (const ext of ['csv', 'xlsx'] as const) {
    app.get<Params & { Querystring: Query }>(`/besoins/:id/reponses.${ext}`, person, async (req, reply) => {
      const need = await needToFollow(p.db, req.actor, req.params.id);
      const q = answersQuery(req.query);
      const r = await listAnswers(p.db, need, q, { all: true });
      reply.header('Content-Disposition', `attachment; filename="${exportFileName(need, ext)}"`).header('Cache-Control', 'no-store');
      if (ext === 'csv') return reply.type('text/csv; charset=utf-8').send(answersCsv(need, r.items));
      return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(await answersXlsx(need, r.items));
    });
  }

  app.post<Params & { Querystring: Query }>('/besoins/:id/relance', person, async (req, reply) => {
    try {
      await sendReminder(p, req.actor, req.params.id);
    } catch (err) {
      if (err instanceof AppError && err.code === 'REMINDER_NOT_ALLOWED') return answersPage(p, req, reply, { message: err.message, status: err.status });
      throw err;
    }
    return reply.redirect(`/besoins/${req.params.id}/reponses?message=relance`, 303);
  });

  app.get<Params & { Querystring: Query }>('/besoins/:id/resultat', pub, async (req, reply) => {
    const token = first(req.query.jeton);
    const need = await needForOutcome(p.db, outcomeAuthor(req, token), req.params.id);
    if (!need.firstSentAt) throw new AppError('NEED_NOT_SENT', 'Ce besoin n’a encore été envoyé à aucune structure : il n’a pas de résultat à indiquer.', 409);
    return sendHtml(reply, outcomeForm(p, csrfToken(req, reply, p.config), need, await outcomeChoices(p.db, need.id), token ?? null, {}));
  });

  app.post<Params & { Body: Body }>('/besoins/:id/resultat', pub, async (req, reply) => {
    const body = req.body ?? {};
    const author = outcomeAuthor(req, body.jeton);
    const need = await needForOutcome(p.db, author, req.params.id);
    const amount = parseAmount(body.montant);
    const awardee = body.attributaire ?? '';
    const showForm = async (message: string, field?: string, status = 422) =>
      sendHtml(reply, outcomeForm(p, csrfToken(req, reply, p.config), need, await outcomeChoices(p.db, need.id), author.token ?? null, body, { message, field }), status);
    if (amount === 'invalid') return showForm('Le montant doit être un nombre positif, en euros (par exemple 12 500 ou 12 500,50).', 'amount');
    if (!OUTCOME_AWARDED.includes(body.attribue as never)) return showForm('Dites si le marché a été attribué.', 'awarded');
    const input = {
      awarded: body.attribue,
      structureId: awardee.startsWith('s:') ? awardee.slice(2) : null,
      consortiumId: awardee.startsWith('c:') ? awardee.slice(2) : null,
      amount,
    };
    let saved: Need;
    try {
      saved = await recordOutcome(p, author, need.id, input);
    } catch (err) {
      if (err instanceof AppError && err.status === 422) return showForm(err.message, (err.details as { field?: string } | undefined)?.field);
      throw err;
    }
    const main = html`<h1>Merci, le résultat est enregistré</h1>
${notice('success', `Marché attribué : ${OUTCOME_AWARDED_LABEL[saved.outcomeAwarded ?? 'not_yet']}`, saved.outcomeAmount != null ? `Montant : ${EUROS.format(saved.outcomeAmount)}.` : undefined)}
<p>Vous pouvez modifier votre réponse avec le même lien${req.actor.person ? ' ou depuis la page des réponses' : ''}.</p>
<ul class="fr-btns-group fr-btns-group--inline-sm">
${author.token ? html`<li><a class="fr-btn fr-btn--secondary" href="/besoins/${need.id}/resultat?jeton=${author.token}">Modifier ma réponse</a></li>` : ''}
${req.actor.person && isNeedBuyer(req.actor, need) ? html`<li><a class="fr-btn fr-btn--secondary" href="/besoins/${need.id}/reponses">Voir les réponses</a></li>` : ''}
<li><a class="fr-btn fr-btn--tertiary" href="/besoins/impact">Voir les chiffres d’impact</a></li>
</ul>`;
    return sendHtml(reply, page(p, { title: `Résultat enregistré – ${need.reference}`, crumbs: [{ label: `Résultat du besoin ${need.reference}` }], main }));
  });
}
