// Pages of an organisation's API tokens (DSFR, French): list, creation (the token is shown once), revocation.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { type Html, html } from '../../core/html.ts';
import type { Platform } from '../../core/platform.ts';
import { type FieldErrors, csrfField, formError, inputField, notice, selectField } from '../../web/forms.ts';
import { formatDate } from '../../web/format.ts';
import { csrfToken } from './http.ts';
import { renderPage } from './pages.ts';
import {
  type ApiTokenView,
  DEFAULT_LIFETIME,
  type FieldIssue,
  SCOPE_LABEL,
  STATUS_LABEL,
  TOKEN_LIFETIMES,
  TOKEN_NAME_MAX,
  TOKEN_SCOPES,
  type TokenScope,
  createToken,
  listTokens,
  revokeToken,
} from './tokens.ts';
import { sendHtml } from '../../web/reply.ts';

type Body = Record<string, string | string[] | undefined>;


const SCOPE_HINT: Record<TokenScope, string> = {
  read: 'Consulter les données de l’organisation et de l’annuaire (requêtes GET).',
  write: 'Modifier des données au nom de l’organisation (requêtes POST, PUT, PATCH, DELETE).',
};

const STATUS_BADGE: Record<ApiTokenView['status'], string> = { active: 'fr-badge--success', expired: 'fr-badge--warning', revoked: 'fr-badge--error' };

interface FormState {
  values: { name?: string; scopes: string[]; expiresInDays?: string };
  error?: { message: string; fields: FieldErrors };
}

function scopesFieldset(state: FormState): Html {
  const error = state.error?.fields.scopes;
  return html`<fieldset class="fr-fieldset${error ? ' fr-fieldset--error' : ''}" id="portees" aria-labelledby="portees-legende${error ? ' portees-erreur' : ''}">
<legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="portees-legende">Portées <span aria-hidden="true">*</span><span class="fr-hint-text">Au moins une. Ne donnez l’écriture qu’aux outils qui en ont besoin.</span></legend>
${TOKEN_SCOPES.map(
  (s) => html`<div class="fr-fieldset__element">
<div class="fr-checkbox-group">
<input type="checkbox" id="portee-${s}" name="scopes" value="${s}"${state.values.scopes.includes(s) ? html` checked` : ''}>
<label class="fr-label" for="portee-${s}">${SCOPE_LABEL[s]}<span class="fr-hint-text">${SCOPE_HINT[s]}</span></label>
</div>
</div>`,
)}
${error ? html`<div class="fr-messages-group" id="portees-erreur"><p class="fr-message fr-message--error">${error}</p></div>` : ''}
</fieldset>`;
}

function creationForm(id: string, csrf: string, state: FormState): Html {
  return html`<h2 id="creer">Créer un jeton</h2>
${formError(state.error?.message)}
<form method="post" action="/organisations/${id}/jetons" novalidate class="fr-mb-6w">
${csrfField(csrf)}
${inputField({ id: 'nom-jeton', name: 'name', label: 'Nom du jeton', value: state.values.name, required: true, maxlength: TOKEN_NAME_MAX, autocomplete: 'off', hint: 'Pour le reconnaître : l’outil ou le service qui l’utilise, par exemple « Logiciel RH ».', errors: state.error?.fields })}
${scopesFieldset(state)}
${selectField({
  id: 'duree-jeton',
  name: 'expiresInDays',
  label: 'Durée de validité',
  hint: 'Un jeton expire toujours : créez-en un nouveau avant l’échéance.',
  value: state.values.expiresInDays ?? String(DEFAULT_LIFETIME),
  options: TOKEN_LIFETIMES.map((d) => ({ value: String(d), label: `${d} jours` })),
  errors: state.error?.fields,
})}
<ul class="fr-btns-group fr-btns-group--inline-md"><li><button class="fr-btn" type="submit">Créer le jeton</button></li></ul>
</form>`;
}

/** Shown once, right after creation: the token in clear, to copy now. */
function createdToken(token: string, item: ApiTokenView): Html {
  return html`<div class="fr-alert fr-alert--warning fr-mb-4w" role="status">
<h2 class="fr-alert__title">Jeton « ${item.name} » créé : copiez-le maintenant</h2>
<p>Il ne sera plus jamais affiché : Passerelles n’en garde qu’une empreinte. Si vous le perdez, révoquez-le et créez-en un autre.</p>
</div>
<div class="fr-input-group fr-mb-4w">
<label class="fr-label" for="nouveau-jeton">Votre nouveau jeton<span class="fr-hint-text">Sélectionnez-le et copiez-le dans l’outil qui l’utilisera, dans l’en-tête <code>Authorization: Bearer</code> de ses requêtes. Ne le transmettez jamais par courriel.</span></label>
<input class="fr-input" type="text" id="nouveau-jeton" value="${token}" readonly autocomplete="off" spellcheck="false">
</div>`;
}

function tokensTable(id: string, csrf: string, tokens: ApiTokenView[]): Html {
  if (!tokens.length) return html`<p>Aucun jeton n’a encore été créé pour cette organisation.</p>`;
  const day = (v: string | null) => (v ? (formatDate(v) ?? '—') : '—');
  return html`<div class="fr-table"><div class="fr-table__wrapper"><div class="fr-table__container" tabindex="0" role="region" aria-label="Jetons de l’organisation"><div class="fr-table__content"><table>
<caption class="fr-sr-only">Jetons de l’organisation</caption>
<thead><tr><th scope="col">Nom</th><th scope="col">Début du jeton</th><th scope="col">Portées</th><th scope="col">Créé par</th><th scope="col">Créé le</th><th scope="col">Expire le</th><th scope="col">Dernière utilisation</th><th scope="col">État</th><th scope="col">Action</th></tr></thead>
<tbody>
${tokens.map(
  (t) => html`<tr>
<th scope="row">${t.name}</th>
<td><code>${t.prefix}…</code></td>
<td>${t.scopes.map((s) => SCOPE_LABEL[s]).join(', ')}</td>
<td>${t.createdBy ? t.createdBy.name || '—' : 'Compte supprimé'}</td>
<td>${day(t.createdAt)}</td>
<td>${day(t.expiresAt)}</td>
<td>${t.lastUsedAt ? day(t.lastUsedAt) : 'Jamais'}</td>
<td><p class="fr-badge fr-badge--sm ${STATUS_BADGE[t.status]}">${STATUS_LABEL[t.status]}</p>${t.revokedAt ? html`<br><span class="fr-text--xs">le ${day(t.revokedAt)}</span>` : ''}</td>
<td>${
    t.status === 'active'
      ? html`<form method="post" action="/organisations/${id}/jetons/${t.id}/revocation" class="pl-inline-form">${csrfField(csrf)}<button class="fr-btn fr-btn--sm fr-btn--secondary" type="submit">Révoquer<span class="fr-sr-only"> le jeton ${t.name}</span></button></form>`
      : '—'
  }</td>
</tr>`,
)}
</tbody></table></div></div></div></div>`;
}

async function tokensPage(p: Platform, req: FastifyRequest, reply: FastifyReply, id: string, o: { created?: { token: string; item: ApiTokenView }; form?: FormState; message?: string } = {}): Promise<string> {
  const { organisation, tokens } = await listTokens(p, req.actor, id);
  const csrf = csrfToken(req, reply, p.config);
  const form: FormState = o.form ?? { values: { scopes: ['read'] } };
  return renderPage(p, {
    title: `Jetons d’API – ${organisation.name}`,
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Mon espace', href: '/espace' }, { label: organisation.name, href: `/organisations/${id}` }, { label: 'Jetons d’API' }],
    main: html`<div class="fr-container fr-mt-4w">
<h1>Jetons d’API de « ${organisation.name} »</h1>
${o.message === 'revoque' ? notice('success', 'Jeton révoqué.', 'Il ne permet plus d’accéder à l’API.') : ''}
${o.created ? createdToken(o.created.token, o.created.item) : ''}
<p>Un jeton permet à un outil de votre organisation (logiciel métier, tableur, système d’information) d’utiliser <a href="/api/docs">l’API de Passerelles</a> au nom de l’organisation, sans mot de passe. Il agit comme un membre de l’organisation, jamais comme un administrateur, et ne donne accès qu’aux services de l’API.</p>
<p>Chaque jeton expire. Révoquez tout de suite un jeton qui n’est plus utilisé ou qui a pu être divulgué.</p>
<h2>Jetons existants</h2>
${tokensTable(id, csrf, tokens)}
${creationForm(id, csrf, form)}
</div>`,
  });
}

/** Field errors from the issues an AppError carries. */
function fieldErrors(err: AppError): FieldErrors {
  const issues = Array.isArray(err.details) ? (err.details as FieldIssue[]) : [];
  return Object.fromEntries(issues.map((i) => [i.field, i.message]));
}

const asList = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const asText = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export async function tokenPages(app: FastifyInstance, p: Platform): Promise<void> {
  const person = { config: { access: 'person' as const } };

  app.get<{ Params: { id: string }; Querystring: Body }>('/organisations/:id/jetons', person, async (req, reply) =>
    sendHtml(reply, await tokensPage(p, req, reply, req.params.id, { message: asText(req.query.message) })),
  );

  app.post<{ Params: { id: string }; Body: Body }>('/organisations/:id/jetons', person, async (req, reply) => {
    const body = req.body ?? {};
    const input = { name: asText(body.name), scopes: asList(body.scopes), expiresInDays: asText(body.expiresInDays) };
    // The page that shows the token must never be kept by a cache or the browser's history.
    reply.header('Cache-Control', 'no-store');
    try {
      const created = await createToken(p, req.actor, req.params.id, input);
      return sendHtml(reply, await tokensPage(p, req, reply, req.params.id, { created }), 201);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 422) throw err;
      const form: FormState = { values: { name: input.name, scopes: input.scopes, expiresInDays: input.expiresInDays }, error: { message: err.message, fields: fieldErrors(err) } };
      return sendHtml(reply, await tokensPage(p, req, reply, req.params.id, { form }), 422);
    }
  });

  app.post<{ Params: { id: string; tokenId: string } }>('/organisations/:id/jetons/:tokenId/revocation', person, async (req, reply) => {
    await revokeToken(p, req.actor, req.params.id, req.params.tokenId);
    return reply.redirect(`/organisations/${req.params.id}/jetons?message=revoque`, 303);
  });
}
