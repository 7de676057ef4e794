// Qualifying needs (back office, DSFR, French): the queue of the facilitator's territory (the platform team
// sees all), and a need's page with the structures that match, its score and reasons, before deciding:
// validate, ask for changes, or reject. Editing uses the posting form's steps (same fields, audited).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { html } from '../../core/html.ts';
import type { Platform } from '../../core/platform.ts';
import { pagination } from '../../web/components.ts';
import { csrfField, type FieldErrors, formError, notice, textareaField } from '../../web/forms.ts';
import { formatDate, formatNumber } from '../../web/format.ts';
import { csrfToken } from '../accounts/http.ts';
import { authorize } from '../accounts/policy.ts';
import { getReferentials } from '../referentials/service.ts';
import { NEED_KIND_LABEL, NEED_STATUS_LABEL, NEED_STATUSES, type NeedStatus } from './model.ts';
import { canEditNeed, canQualifyNeed } from './policy.ts';
import type { Need } from './repository.ts';
import { matchesTable, needPage, needSummary, placeLabel, statusBadge } from './post-pages.ts';
import { CHANGES_DAYS, listAttachments, listNeeds, needFor, needMatches, qualifyNeed } from './service.ts';
import { sendHtml } from '../../web/reply.ts';

const DATE_TIME = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Paris' });
const when = (iso: string | null) => (iso ? html`<time datetime="${iso}">${DATE_TIME.format(new Date(iso))}</time>` : html`—`);

const QUEUE_STATUSES: readonly NeedStatus[] = NEED_STATUSES.filter((s) => s !== 'draft' && s !== 'awaiting_confirmation');

async function queuePage(p: Platform, req: FastifyRequest): Promise<string> {
  const q = req.query as Record<string, string | undefined>;
  const status = QUEUE_STATUSES.includes(q.statut as NeedStatus) ? (q.statut as NeedStatus) : null;
  if (q.statut && !status) throw new AppError('INVALID_PARAMETERS', 'Paramètre invalide : statut.', 400);
  const pageNo = q.page && /^\d{1,5}$/.test(q.page) ? Math.max(1, Number(q.page)) : 1;
  const r = await listNeeds(p, req.actor, { scope: 'toQualify', status, page: pageNo, perPage: 20 });
  const pageCount = Math.max(1, Math.ceil(r.total / r.perPage));
  const href = (n: number) => {
    const u = new URLSearchParams();
    if (status) u.set('statut', status);
    if (n > 1) u.set('page', String(n));
    const s = u.toString();
    return `/admin/besoins${s ? `?${s}` : ''}`;
  };
  const main = html`<div class="fr-container fr-my-4w">
<h1>Besoins d’achat à qualifier</h1>
<p>Les besoins déposés sur votre territoire (l’équipe de la plateforme les voit tous). Relisez-les, voyez les structures qui correspondent, puis validez, demandez des modifications ou refusez.</p>
<form method="get" action="/admin/besoins" class="fr-mb-4w">
<fieldset class="fr-fieldset fr-mb-0" aria-labelledby="filtres-legende">
<legend class="fr-fieldset__legend" id="filtres-legende">Filtrer les besoins</legend>
<div class="fr-fieldset__element fr-fieldset__element--inline"><div class="fr-select-group">
<label class="fr-label" for="filtre-statut">Statut</label>
<select class="fr-select" id="filtre-statut" name="statut">
<option value="">Tous</option>
${QUEUE_STATUSES.map((s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${NEED_STATUS_LABEL[s]}</option>`)}
</select>
</div></div>
</fieldset>
<ul class="fr-btns-group fr-btns-group--inline-sm fr-mb-0"><li><button class="fr-btn" type="submit">Filtrer</button></li><li><a class="fr-btn fr-btn--tertiary" href="/admin/besoins">Effacer les filtres</a></li></ul>
</form>
${
  r.items.length
    ? html`<div class="fr-table fr-table--multiline"><div class="fr-table__wrapper"><div class="fr-table__container"><div class="fr-table__content"><table>
<caption>${formatNumber(r.total)} besoin${r.total > 1 ? 's' : ''}${status ? ` : ${NEED_STATUS_LABEL[status].toLowerCase()}` : ''}${pageCount > 1 ? ` (page ${Math.min(r.page, pageCount)} sur ${pageCount})` : ''}</caption>
<thead><tr><th scope="col">Besoin</th><th scope="col">Acheteur</th><th scope="col">Lieu</th><th scope="col">Statut</th><th scope="col">Déposé le</th><th scope="col">Réponse avant le</th></tr></thead>
<tbody>${r.items.map(
        (n) => html`<tr>
<th scope="row"><a href="/admin/besoins/${n.id}">${n.title || 'Sans titre'}</a><br><span class="fr-text--sm">${n.reference} · ${NEED_KIND_LABEL[n.kind]}</span></th>
<td>${n.buyerName || '—'}</td><td>${placeLabel(n)}</td><td>${statusBadge(n.status)}</td><td>${when(n.submittedAt)}</td><td>${formatDate(n.answerDeadline) ?? '—'}</td>
</tr>`,
      )}</tbody></table></div></div></div></div>`
    : html`<p>Aucun besoin${status ? ` avec le statut « ${NEED_STATUS_LABEL[status]} »` : ''} pour l’instant.</p>`
}
${pagination(Math.min(r.page, pageCount), pageCount, href)}
</div>`;
  return needPage(p, {
    title: 'Besoins à qualifier – Administration',
    section: 'admin',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Administration', href: '/admin' }, { label: 'Besoins à qualifier' }],
    main,
  });
}

const MESSAGES: Record<string, string> = {
  modifie: 'Les modifications du besoin sont enregistrées.',
  valide: 'Le besoin est validé : il va être envoyé aux structures qui correspondent.',
  modifications: 'La demande de modifications est envoyée à l’acheteur.',
  refuse: 'Le refus est envoyé à l’acheteur avec son motif.',
};

async function qualifierNeed(p: Platform, req: FastifyRequest, id: string): Promise<Need> {
  // A facilitator of another territory: 403; a need that does not exist: 404.
  const n = await needFor(p, req.actor, id);
  authorize(req.actor, canQualifyNeed(req.actor, n), 'Seuls les facilitateurs du territoire du besoin et l’équipe de la plateforme le qualifient.');
  return n;
}

async function needQualifyPage(p: Platform, req: FastifyRequest, reply: FastifyReply, n: Need, o: { errors?: FieldErrors; error?: string; values?: Record<string, string> } = {}): Promise<string> {
  const refs = await getReferentials(p.db);
  const attachments = await listAttachments(p.db, n.id);
  const matches = await needMatches(p, req.actor, n.id, 50);
  const csrf = csrfToken(req, reply, p.config);
  const message = MESSAGES[(req.query as { message?: string }).message ?? ''];
  const errors = o.errors ?? {};
  const decision = o.values?.decision ?? '';
  const decisionError = errors.decision;
  const option = (value: string, label: string, hint: string, i: number) => html`<div class="fr-fieldset__element"><div class="fr-radio-group">
<input type="radio" id="decision-${i}" name="decision" value="${value}"${decision === value ? html` checked` : ''}>
<label class="fr-label" for="decision-${i}">${label}<span class="fr-hint-text">${hint}</span></label>
</div></div>`;
  const main = html`<div class="fr-container fr-my-4w">
${message ? notice('success', message) : ''}
<p class="fr-mb-1w">${n.reference} · ${NEED_KIND_LABEL[n.kind]} · ${n.buyerName || 'Acheteur sans nom'}${n.buyerOrganisationId ? '' : ' (sans compte)'}</p>
<h1>${n.title || 'Besoin sans titre'}</h1>
${statusBadge(n.status)}
<p class="fr-mt-2w">Déposé le ${when(n.submittedAt)}${n.changesRequestedAt ? html` · modifications demandées le ${when(n.changesRequestedAt)}` : ''}${n.validatedAt ? html` · validé le ${when(n.validatedAt)}` : ''}${n.rejectedAt ? html` · refusé le ${when(n.rejectedAt)}` : ''}</p>
${n.status === 'changes_requested' && n.changesMessage ? html`<p>Modifications demandées : « ${n.changesMessage} ». Sans réponse dans les ${CHANGES_DAYS} jours, le besoin sera clôturé.</p>` : ''}
${n.status === 'rejected' && n.rejectionReason ? html`<p>Motif du refus : « ${n.rejectionReason} »</p>` : ''}
${canEditNeed(req.actor, n) ? html`<p><a class="fr-btn fr-btn--secondary fr-icon-edit-line fr-btn--icon-left" href="/besoins/${n.id}/etape/1">Modifier le besoin</a></p>` : ''}
${needSummary(n, refs, attachments, { contact: true })}
<h2 class="fr-mt-6w">Structures correspondantes</h2>
<p>${matches.total === 0 ? 'Aucune structure ne correspond.' : `${formatNumber(matches.total)} structure${matches.total > 1 ? 's correspondent' : ' correspond'}${matches.total > matches.items.length ? ` ; les ${matches.items.length} premières par score` : ''}.`} Elles recevront le besoin par lots une fois validé.</p>
${matches.items.length ? matchesTable(`Structures qui correspondent au besoin ${n.reference}, par score décroissant`, matches.items, refs) : ''}
${
  n.status === 'submitted'
    ? html`<h2 class="fr-mt-6w">Décision</h2>
${formError(o.error)}
<form method="post" action="/admin/besoins/${n.id}/decision" novalidate>
${csrfField(csrf)}
<fieldset class="fr-fieldset${decisionError ? ' fr-fieldset--error' : ''}" id="decision" aria-labelledby="decision-legende">
<legend class="fr-fieldset__legend" id="decision-legende">Votre décision</legend>
${option('validate', 'Valider le besoin', 'Il sera envoyé par lots aux structures qui correspondent.', 1)}
${option('request_changes', 'Demander des modifications', `L’acheteur reçoit votre message et un lien pour modifier ; sans réponse dans les ${CHANGES_DAYS} jours, le besoin est clôturé.`, 2)}
${option('reject', 'Refuser le besoin', 'L’acheteur reçoit le motif.', 3)}
${decisionError ? html`<div class="fr-messages-group"><p class="fr-message fr-message--error">${decisionError}</p></div>` : ''}
</fieldset>
${textareaField({ id: 'decision-message', name: 'message', label: 'Message à l’acheteur', hint: 'Obligatoire pour demander des modifications ou refuser : il lui est envoyé tel quel.', value: o.values?.message ?? '', rows: 4, maxlength: 3000, errors })}
<ul class="fr-btns-group fr-btns-group--inline-md"><li><button class="fr-btn" type="submit">Enregistrer la décision</button></li></ul>
</form>`
    : ''
}
<p class="fr-mt-4w"><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/admin/besoins">Retour aux besoins à qualifier</a></p>
</div>`;
  return needPage(p, {
    title: `${n.title || 'Besoin'} (${n.reference}) – Qualification`,
    section: 'admin',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Administration', href: '/admin' }, { label: 'Besoins à qualifier', href: '/admin/besoins' }, { label: n.reference }],
    main,
  });
}

export async function needQualifyPages(app: FastifyInstance, p: Platform): Promise<void> {
  const backOffice = { config: { access: 'backOffice' as const } };
  type Id = { Params: { id: string } };

  app.get('/admin/besoins', backOffice, async (req, reply) => sendHtml(reply, await queuePage(p, req)));

  app.get<Id>('/admin/besoins/:id', backOffice, async (req, reply) => {
    const n = await qualifierNeed(p, req, req.params.id);
    return sendHtml(reply, await needQualifyPage(p, req, reply, n));
  });

  app.post<Id & { Body: Record<string, string | undefined> }>('/admin/besoins/:id/decision', backOffice, async (req, reply) => {
    const n = await qualifierNeed(p, req, req.params.id);
    const body = req.body ?? {};
    try {
      const r = await qualifyNeed(p, req.actor, n.id, { decision: body.decision, message: body.message });
      const code = r.status === 'validated' ? 'valide' : r.status === 'changes_requested' ? 'modifications' : 'refuse';
      return reply.redirect(`/admin/besoins/${n.id}?message=${code}`, 303);
    } catch (err) {
      if (!(err instanceof AppError) || (err.status !== 422 && err.status !== 409)) throw err;
      const d = (err.details ?? {}) as { fields?: FieldErrors };
      const fresh = await qualifierNeed(p, req, req.params.id);
      return sendHtml(reply, await needQualifyPage(p, req, reply, fresh, { errors: d.fields ?? {}, error: err.message, values: { decision: body.decision ?? '', message: body.message ?? '' } }), err.status);
    }
  });
}
