// Account pages (DSFR, French): sign-up, confirmation, sign-in by password or by link, reset, sign-out,
// the person's space, organisations and their members, invitations.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { type Html, html } from '../../core/html.ts';
import type { Platform } from '../../core/platform.ts';
import { type FieldErrors, csrfField, formError, inputField, notice, selectField } from '../../web/forms.ts';
import { layout, type Crumb, type Section } from '../../web/layout.ts';
import { BUYER_CATEGORIES, FACILITATOR_CATEGORIES, ORGANISATION_TYPE_LABEL, type OrganisationType, ROLE_LABEL } from './model.ts';
import { clearSessionCookie, clientIp, csrfToken, setSessionCookie } from './http.ts';
import { canManageOrganisation, canSeeMembers, canSeeOrganisation, forbidden } from './policy.ts';
import * as accounts from './service.ts';
import { closeSession } from './sessions.ts';
import { sendHtml } from '../../web/reply.ts';

type Req = FastifyRequest;
type Body = Record<string, string | undefined>;


export function renderPage(p: Platform, o: { title: string; main: Html; breadcrumb?: Crumb[]; section?: Section; scripts?: string[] }): string {
  return layout(p.config, { title: o.title, main: o.main, breadcrumb: o.breadcrumb, section: o.section ?? 'account', scripts: o.scripts });
}

/** A page in a narrow column, as DSFR does for account forms. */
function narrow(content: Html): Html {
  return html`<div class="fr-container fr-container--fluid fr-mb-md-14v">
<div class="fr-grid-row fr-grid-row-gutters fr-grid-row--center">
<div class="fr-col-12 fr-col-md-8 fr-col-lg-6">
<div class="fr-container fr-background-alt--grey fr-px-md-0 fr-py-10v fr-py-md-14v">
<div class="fr-grid-row fr-grid-row-gutters fr-grid-row--center">
<div class="fr-col-12 fr-col-md-9 fr-col-lg-8">
${content}
</div>
</div>
</div>
</div>
</div>
</div>`;
}

/** Only local paths are followed after sign-in (never another site). */
export function safeReturn(v: unknown): string {
  return typeof v === 'string' && /^\/(?![/\\])[^\s]*$/.test(v) && v.length < 500 ? v : '/espace';
}

/** The French message and, when the error names one, the field it belongs to. */
function errorOf(err: unknown, reply: FastifyReply): { message: string; fields: FieldErrors; status: number } {
  if (!(err instanceof AppError)) throw err;
  const retry = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if (err.status === 429 && retry) reply.header('Retry-After', String(retry));
  const field = (err.details as { field?: string } | undefined)?.field;
  return { message: err.message, fields: field ? { [field]: err.message } : {}, status: err.status };
}

async function signIn(p: Platform, req: Req, reply: FastifyReply, personId: string): Promise<void> {
  // Rotation: the session the browser had (if any) is closed, a new token is issued.
  const previous = req.cookies.pa_session;
  if (previous) await closeSession(p.db, previous);
  const token = await accounts.openSession(p.db, personId);
  setSessionCookie(reply, p.config, token);
}

const ipOf = (req: Req) => ({ ip: clientIp(req) });

/** Holds the nonce of a sign-up, so that the password chosen is set only from this browser. */
const SIGNUP_COOKIE = 'pa_signup';

// Pages -----------------------------------------------------------------------------------------------

function signUpPage(p: Platform, csrf: string, values: Body = {}, error?: { message: string; fields: FieldErrors }): string {
  return renderPage(p, {
    title: 'Créer un compte',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Créer un compte' }],
    main: narrow(html`<h1>Créer un compte</h1>
<p>Un compte permet de compléter la fiche de votre structure, de déposer un besoin d’achat ou d’accompagner les acteurs de votre territoire.</p>
${formError(error?.message)}
<form method="post" action="/inscription" novalidate>
${csrfField(csrf)}
<fieldset class="fr-fieldset" aria-labelledby="identite-legende">
<legend class="fr-fieldset__legend" id="identite-legende">Vos informations</legend>
<div class="fr-fieldset__element">${inputField({ id: 'nom', name: 'name', label: 'Prénom et nom', value: values.name, autocomplete: 'name', maxlength: 120, errors: error?.fields })}</div>
<div class="fr-fieldset__element">${inputField({ id: 'courriel', name: 'email', label: 'Adresse électronique', type: 'email', value: values.email, autocomplete: 'email', required: true, hint: 'Format attendu : nom@domaine.fr. De préférence votre adresse professionnelle : elle permet de rattacher votre structure sans attendre.', errors: error?.fields })}</div>
<div class="fr-fieldset__element">${inputField({ id: 'mot-de-passe', name: 'password', label: 'Mot de passe', type: 'password', autocomplete: 'new-password', required: true, hint: 'Au moins 12 caractères. Une phrase de plusieurs mots est facile à retenir et difficile à deviner.', errors: error?.fields })}</div>
</fieldset>
<ul class="fr-btns-group"><li><button class="fr-btn" type="submit">Créer mon compte</button></li></ul>
</form>
<hr>
<p>Vous avez déjà un compte ? <a href="/connexion">Se connecter</a></p>`),
  });
}

function signInPage(p: Platform, csrf: string, o: { email?: string; back?: string; error?: { message: string; fields: FieldErrors }; info?: Html } = {}): string {
  const back = safeReturn(o.back);
  return renderPage(p, {
    title: 'Se connecter',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Se connecter' }],
    main: narrow(html`<h1>Se connecter à Passerelles</h1>
${o.info ?? ''}
${formError(o.error?.message)}
<form method="post" action="/connexion" novalidate>
${csrfField(csrf)}
<input type="hidden" name="retour" value="${back}">
<fieldset class="fr-fieldset" aria-labelledby="connexion-legende">
<legend class="fr-fieldset__legend" id="connexion-legende"><h2 class="fr-h4 fr-mb-0">Avec votre mot de passe</h2></legend>
<div class="fr-fieldset__element">${inputField({ id: 'courriel', name: 'email', label: 'Adresse électronique', type: 'email', value: o.email, autocomplete: 'username', required: true, errors: o.error?.fields })}</div>
<div class="fr-fieldset__element">${inputField({ id: 'mot-de-passe', name: 'password', label: 'Mot de passe', type: 'password', autocomplete: 'current-password', required: true, errors: o.error?.fields })}
<p><a class="fr-link" href="/mot-de-passe/oublie">Mot de passe oublié ?</a></p></div>
</fieldset>
<ul class="fr-btns-group"><li><button class="fr-btn" type="submit">Se connecter</button></li></ul>
</form>
<hr>
<form method="post" action="/connexion/demande-de-lien" novalidate>
${csrfField(csrf)}
<fieldset class="fr-fieldset" aria-labelledby="lien-legende">
<legend class="fr-fieldset__legend" id="lien-legende"><h2 class="fr-h4 fr-mb-0">Sans mot de passe</h2></legend>
<div class="fr-fieldset__element"><p class="fr-text--sm">Recevez un lien de connexion par courriel, valable 20 minutes.</p>
${inputField({ id: 'courriel-lien', name: 'email', label: 'Adresse électronique', type: 'email', value: o.email, autocomplete: 'email', required: true })}</div>
</fieldset>
<ul class="fr-btns-group"><li><button class="fr-btn fr-btn--secondary" type="submit">Recevoir un lien de connexion</button></li></ul>
</form>
<hr>
<p>Pas encore de compte ? <a href="/inscription">Créer un compte</a></p>`),
  });
}

function messagePage(p: Platform, title: string, body: Html, status = 200): { html: string; status: number } {
  return {
    status,
    html: renderPage(p, { title, breadcrumb: [{ label: 'Accueil', href: '/' }, { label: title }], main: narrow(html`<h1>${title}</h1>${body}`) }),
  };
}

const checkMail = (p: Platform, what: string) =>
  messagePage(
    p,
    'Consultez votre messagerie',
    html`${notice('success', 'Demande enregistrée', `Si l’adresse indiquée peut recevoir ${what}, un courriel vient de lui être envoyé.`)}
<p>Le message peut mettre quelques minutes à arriver ; pensez à regarder dans les indésirables.</p>
<p><a class="fr-link" href="/connexion">Retour à la connexion</a></p>`,
  );

/** A link from a mail opens a page with a button: mail scanners that open links never use them up. */
function linkButtonPage(p: Platform, csrf: string, o: { title: string; text: string; action: string; token: string; button: string }): string {
  return renderPage(p, {
    title: o.title,
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: o.title }],
    main: narrow(html`<h1>${o.title}</h1>
<p>${o.text}</p>
<form method="post" action="${o.action}">
${csrfField(csrf)}
<input type="hidden" name="jeton" value="${o.token}">
<ul class="fr-btns-group"><li><button class="fr-btn" type="submit">${o.button}</button></li></ul>
</form>`),
  });
}

const expiredLink = (p: Platform, again: { href: string; label: string }) =>
  messagePage(
    p,
    'Lien expiré ou déjà utilisé',
    html`${notice('warning', 'Ce lien n’est plus valable', 'Il a déjà servi ou il a expiré.')}
<p><a class="fr-btn" href="${again.href}">${again.label}</a></p>`,
    410,
  );

function resetPage(p: Platform, csrf: string, token: string, error?: { message: string; fields: FieldErrors }, confirmed = false): string {
  return renderPage(p, {
    title: 'Choisir un nouveau mot de passe',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Nouveau mot de passe' }],
    main: narrow(html`<h1>Choisir un nouveau mot de passe</h1>
${confirmed ? notice('success', 'Votre adresse est confirmée.', 'Vous avez confirmé depuis un autre navigateur que celui de l’inscription : par sécurité, choisissez votre mot de passe ici.') : ''}
${formError(error?.message)}
<form method="post" action="/mot-de-passe/nouveau" novalidate>
${csrfField(csrf)}
<input type="hidden" name="jeton" value="${token}">
${inputField({ id: 'mot-de-passe', name: 'password', label: 'Nouveau mot de passe', type: 'password', autocomplete: 'new-password', required: true, hint: 'Au moins 12 caractères.', errors: error?.fields })}
<p class="fr-text--sm">Toutes vos sessions ouvertes seront fermées.</p>
<ul class="fr-btns-group"><li><button class="fr-btn" type="submit">Enregistrer le mot de passe</button></li></ul>
</form>`),
  });
}

function forgotPage(p: Platform, csrf: string, error?: { message: string; fields: FieldErrors }, email?: string): string {
  return renderPage(p, {
    title: 'Mot de passe oublié',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Se connecter', href: '/connexion' }, { label: 'Mot de passe oublié' }],
    main: narrow(html`<h1>Mot de passe oublié</h1>
<p>Indiquez votre adresse : nous vous enverrons un lien pour choisir un nouveau mot de passe.</p>
${formError(error?.message)}
<form method="post" action="/mot-de-passe/oublie" novalidate>
${csrfField(csrf)}
${inputField({ id: 'courriel', name: 'email', label: 'Adresse électronique', type: 'email', value: email, autocomplete: 'email', required: true, errors: error?.fields })}
<ul class="fr-btns-group"><li><button class="fr-btn" type="submit">Recevoir le lien</button></li></ul>
</form>`),
  });
}

const SPACE_MESSAGES: Record<string, [string, string]> = {
  bienvenue: ['Bienvenue !', 'Votre adresse est confirmée et vous êtes connecté.'],
  connecte: ['Vous êtes connecté.', ''],
  'mot-de-passe': ['Mot de passe enregistré.', 'Vos autres sessions ont été fermées.'],
  nom: ['Nom enregistré.', ''],
  invitation: ['Invitation acceptée.', 'Vous faites maintenant partie de l’organisation.'],
};

async function spacePage(p: Platform, req: Req, reply: FastifyReply): Promise<string> {
  const actor = req.actor;
  const person = actor.person;
  if (!person) throw new AppError('UNAUTHENTICATED', 'Connectez-vous pour accéder à votre espace.', 401);
  const csrf = csrfToken(req, reply, p.config);
  const msg = SPACE_MESSAGES[String((req.query as Body).message ?? '')];
  const orgs = actor.memberships;
  return renderPage(p, {
    title: 'Mon espace',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Mon espace' }],
    main: html`<div class="fr-container fr-mt-4w">
${msg ? notice('success', msg[0], msg[1] || undefined) : ''}
<h1>Mon espace</h1>
<div class="fr-grid-row fr-grid-row--gutters">
<div class="fr-col-12 fr-col-md-8">
<h2>Mes organisations</h2>
${
  orgs.length
    ? html`<ul class="fr-raw-list">${orgs.map(
        (m) => html`<li class="fr-mb-2w"><div class="fr-card fr-card--horizontal fr-card--sm fr-enlarge-link"><div class="fr-card__body"><div class="fr-card__content">
<h3 class="fr-card__title"><a href="/organisations/${m.organisationId}">${m.organisationName}</a></h3>
<p class="fr-card__desc">${ORGANISATION_TYPE_LABEL[m.type]} · ${ROLE_LABEL[m.role]}${m.verified ? '' : ' · en attente de vérification par l’équipe de la plateforme'}</p>
</div></div></div></li>`,
      )}</ul>`
    : html`<p>Vous ne faites encore partie d’aucune organisation.</p>`
}
<ul class="fr-btns-group fr-btns-group--inline-md">
<li><a class="fr-btn" href="/structures/rattachement">Rattacher ma structure</a></li>
<li><a class="fr-btn fr-btn--secondary" href="/organisations/nouvelle">Créer une organisation (acheteur, facilitateur, réseau)</a></li>
</ul>
<p><a class="fr-link" href="/espace/rattachements">Mes demandes de rattachement</a></p>
</div>
<div class="fr-col-12 fr-col-md-4">
<h2>Mon compte</h2>
<p>${person.email}</p>
<form method="post" action="/espace/nom" novalidate>
${csrfField(csrf)}
${inputField({ id: 'nom', name: 'name', label: 'Prénom et nom', value: person.name, autocomplete: 'name', maxlength: 120 })}
<button class="fr-btn fr-btn--sm fr-btn--secondary" type="submit">Enregistrer</button>
</form>
<h3 class="fr-h6 fr-mt-4w">Sécurité</h3>
<p><a class="fr-link" href="/mot-de-passe/oublie">Changer de mot de passe</a></p>
<form method="post" action="/espace/deconnexion-partout">
${csrfField(csrf)}
<button class="fr-btn fr-btn--sm fr-btn--tertiary" type="submit">Me déconnecter de tous les appareils</button>
</form>
<h3 class="fr-h6 fr-mt-4w">Mes données</h3>
<p><a class="fr-link" href="/espace/donnees">Télécharger mes données ou supprimer mon compte</a></p>
</div>
</div>
</div>`,
  });
}

function organisationFormPage(p: Platform, csrf: string, values: Body = {}, error?: { message: string; fields: FieldErrors }): string {
  const opts = (o: Record<string, string>) => Object.entries(o).map(([value, label]) => ({ value, label }));
  return renderPage(p, {
    title: 'Créer une organisation',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Mon espace', href: '/espace' }, { label: 'Créer une organisation' }],
    main: narrow(html`<h1>Créer une organisation</h1>
<p>Pour une structure inclusive, utilisez plutôt <a href="/structures/rattachement">le rattachement à sa fiche de l’annuaire</a>.</p>
${formError(error?.message)}
<form method="post" action="/organisations/nouvelle" novalidate>
${csrfField(csrf)}
${selectField({ id: 'type', name: 'type', label: 'Type d’organisation', value: values.type, placeholder: 'Choisir', options: [{ value: 'buyer', label: 'Acheteur public ou privé' }, { value: 'facilitator', label: 'Facilitateur (clauses sociales, DREETS/DDETS, PLIE/MDE)' }, { value: 'network', label: 'Réseau (UNEA, FEI, Coorace…)' }], errors: error?.fields })}
${inputField({ id: 'nom-org', name: 'name', label: 'Nom de l’organisation', value: values.name, required: true, maxlength: 200, errors: error?.fields })}
${selectField({ id: 'categorie-acheteur', name: 'buyerCategory', label: 'Catégorie (acheteurs)', value: values.buyerCategory, placeholder: 'Choisir', options: opts(BUYER_CATEGORIES) })}
${selectField({ id: 'categorie-facilitateur', name: 'facilitatorCategory', label: 'Catégorie (facilitateurs)', value: values.facilitatorCategory, placeholder: 'Choisir', options: opts(FACILITATOR_CATEGORIES) })}
${inputField({ id: 'territoires', name: 'territories', label: 'Territoires d’action (facilitateurs et réseaux)', value: values.territories, hint: 'Codes séparés par des virgules : D59 pour le Nord, R32 pour les Hauts-de-France, E200093201 pour une intercommunalité.', maxlength: 500 })}
<p class="fr-text--sm">Les facilitateurs et les réseaux sont vérifiés par l’équipe de la plateforme avant de pouvoir valider des rattachements ou corriger des fiches.</p>
<ul class="fr-btns-group"><li><button class="fr-btn" type="submit">Créer l’organisation</button></li></ul>
</form>`),
  });
}

function organisationInput(b: Body) {
  const territoryKeys = (b.territories ?? '')
    .split(/[\s,;]+/)
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  if (b.type === 'buyer') return { type: 'buyer', name: b.name, category: b.buyerCategory };
  if (b.type === 'facilitator') return { type: 'facilitator', name: b.name, category: b.facilitatorCategory, territoryKeys };
  return { type: b.type, name: b.name, territoryKeys };
}

async function organisationPage(p: Platform, req: Req, reply: FastifyReply, id: string, error?: string): Promise<{ html: string; status: number }> {
  const org = await accounts.getOrganisation(p, id);
  if (!org) throw new AppError('NOT_FOUND', 'Organisation introuvable.', 404);
  if (!canSeeOrganisation(req.actor, id)) throw forbidden('Cette organisation n’est visible que par ses membres.');
  const manage = canManageOrganisation(req.actor, id);
  // Who the members are is for the organisation and the platform team, not for facilitators browsing it.
  const seeMembers = canSeeMembers(req.actor, id);
  const members = seeMembers ? await accounts.listMembers(p, id) : [];
  const csrf = csrfToken(req, reply, p.config);
  const msg = String((req.query as Body).message ?? '');
  const category = org.category ? ((BUYER_CATEGORIES as Record<string, string>)[org.category] ?? (FACILITATOR_CATEGORIES as Record<string, string>)[org.category]) : null;
  return {
    status: error ? 422 : 200,
    html: renderPage(p, {
      title: org.name,
      breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Mon espace', href: '/espace' }, { label: org.name }],
      main: html`<div class="fr-container fr-mt-4w">
${msg === 'invitation' ? notice('success', 'Invitation envoyée.', 'La personne invitée a reçu un courriel valable 7 jours.') : ''}
${msg === 'creee' ? notice('success', 'Organisation créée.', org.verified ? '' : 'Elle sera vérifiée par l’équipe de la plateforme.') : ''}
${formError(error)}
<h1>${org.name}</h1>
<p>${ORGANISATION_TYPE_LABEL[org.type as OrganisationType]}${category ? ` · ${category}` : ''}${org.territoryKeys.length ? ` · territoires : ${org.territoryKeys.join(', ')}` : ''}</p>
${org.verified ? '' : html`<p class="fr-badge fr-badge--warning">En attente de vérification</p>`}
${org.structureId ? html`<p><a class="fr-link" href="/structures/modifier/${org.structureId}">Modifier la fiche de la structure</a></p>` : ''}
${seeMembers ? html`<h2>Membres</h2>
<div class="fr-table"><table>
<caption class="fr-sr-only">Membres de l’organisation</caption>
<thead><tr><th scope="col">Nom</th><th scope="col">Adresse électronique</th><th scope="col">Rôle</th>${manage ? html`<th scope="col">Actions</th>` : ''}</tr></thead>
<tbody>
${members.map(
  (m) => html`<tr><td>${m.name || '—'}</td><td>${m.email}</td><td>${ROLE_LABEL[m.role]}</td>${
    manage
      ? html`<td><form method="post" action="/organisations/${id}/membres/${m.personId}/role" class="pl-inline-form">${csrfField(csrf)}<input type="hidden" name="role" value="${m.role === 'admin' ? 'member' : 'admin'}"><button class="fr-btn fr-btn--sm fr-btn--tertiary" type="submit">${m.role === 'admin' ? 'Rendre membre' : 'Nommer administrateur'}<span class="fr-sr-only"> : ${m.name || m.email}</span></button></form>
<form method="post" action="/organisations/${id}/membres/${m.personId}/retrait" class="pl-inline-form">${csrfField(csrf)}<button class="fr-btn fr-btn--sm fr-btn--tertiary-no-outline" type="submit">Retirer<span class="fr-sr-only"> ${m.name || m.email}</span></button></form></td>`
      : ''
  }</tr>`,
)}
</tbody></table></div>` : ''}
${
  manage
    ? html`<h2>Inviter une personne</h2>
<form method="post" action="/organisations/${id}/invitations" novalidate class="fr-mb-4w">
${csrfField(csrf)}
<div class="fr-grid-row fr-grid-row--gutters">
<div class="fr-col-12 fr-col-md-6">${inputField({ id: 'invite-courriel', name: 'email', label: 'Adresse électronique', type: 'email', autocomplete: 'off', required: true })}</div>
<div class="fr-col-12 fr-col-md-3">${selectField({ id: 'invite-role', name: 'role', label: 'Rôle', value: 'member', options: [{ value: 'member', label: 'Membre' }, { value: 'admin', label: 'Administrateur' }] })}</div>
</div>
<button class="fr-btn" type="submit">Envoyer l’invitation</button>
</form>
<p><a class="fr-link" href="/organisations/${id}/jetons">Jetons d’API de l’organisation</a></p>`
    : ''
}
</div>`,
    }),
  };
}

// Routes ----------------------------------------------------------------------------------------------

export async function accountPages(app: FastifyInstance, p: Platform): Promise<void> {
  const pub = { config: { access: 'public' as const } };
  const person = { config: { access: 'person' as const } };

  app.get('/inscription', pub, async (req, reply) => sendHtml(reply, signUpPage(p, csrfToken(req, reply, p.config))));
  app.post<{ Body: Body }>('/inscription', pub, async (req, reply) => {
    try {
      const nonce = await accounts.signUp(p, req.body ?? {}, ipOf(req));
      // Only this browser may set the chosen password when the address is confirmed.
      reply.setCookie(SIGNUP_COOKIE, nonce, { path: '/compte/confirmer', httpOnly: true, sameSite: 'lax', secure: p.config.publicUrl.startsWith('https://'), maxAge: 48 * 3600 });
    } catch (err) {
      const e = errorOf(err, reply);
      return sendHtml(reply, signUpPage(p, csrfToken(req, reply, p.config), { email: req.body?.email, name: req.body?.name }, e), e.status);
    }
    return reply.redirect('/inscription/envoyee', 303);
  });
  app.get('/inscription/envoyee', pub, async (_req, reply) => {
    const m = messagePage(p, 'Consultez votre messagerie', html`${notice('success', 'Plus qu’une étape', 'Un courriel de confirmation vient d’être envoyé à l’adresse indiquée. Cliquez sur le lien qu’il contient pour activer votre compte (valable 48 heures).')}
<p>Le message peut mettre quelques minutes à arriver ; pensez à regarder dans les indésirables.</p>`);
    return sendHtml(reply, m.html, m.status);
  });

  app.get<{ Querystring: Body }>('/compte/confirmer', pub, async (req, reply) =>
    sendHtml(reply, linkButtonPage(p, csrfToken(req, reply, p.config), { title: 'Confirmer votre adresse', text: 'Confirmez votre adresse électronique pour activer votre compte.', action: '/compte/confirmer', token: String(req.query.jeton ?? ''), button: 'Confirmer mon adresse' })),
  );
  app.post<{ Body: Body }>('/compte/confirmer', pub, async (req, reply) => {
    let next = '/espace?message=bienvenue';
    try {
      const r = await accounts.confirmSignUp(p, String(req.body?.jeton ?? ''), req.cookies[SIGNUP_COOKIE]);
      await signIn(p, req, reply, r.person.id);
      reply.clearCookie(SIGNUP_COOKIE, { path: '/compte/confirmer' });
      if (r.choosePasswordToken) next = `/mot-de-passe/nouveau?jeton=${r.choosePasswordToken}&confirme=1`;
    } catch (err) {
      if (err instanceof AppError && err.code === 'INVALID_LINK') {
        const m = expiredLink(p, { href: '/connexion', label: 'Se connecter' });
        return sendHtml(reply, m.html, m.status);
      }
      throw err;
    }
    return reply.redirect(next, 303);
  });

  app.get<{ Querystring: Body }>('/connexion', pub, async (req, reply) => {
    const info = req.query.message === 'partout' ? notice('success', 'Vous êtes déconnecté de tous vos appareils.') : req.query.message === 'deconnecte' ? notice('success', 'Vous êtes déconnecté.') : undefined;
    return sendHtml(reply, signInPage(p, csrfToken(req, reply, p.config), { back: req.query.retour, info }));
  });
  app.post<{ Body: Body }>('/connexion', pub, async (req, reply) => {
    try {
      const person = await accounts.signInWithPassword(p, req.body ?? {}, ipOf(req));
      await signIn(p, req, reply, person.id);
    } catch (err) {
      const e = errorOf(err, reply);
      return sendHtml(reply, signInPage(p, csrfToken(req, reply, p.config), { email: req.body?.email, back: req.body?.retour, error: e }), e.status);
    }
    return reply.redirect(safeReturn(req.body?.retour), 303);
  });
  app.post<{ Body: Body }>('/connexion/demande-de-lien', pub, async (req, reply) => {
    try {
      await accounts.requestSignInLink(p, req.body ?? {}, ipOf(req));
    } catch (err) {
      const e = errorOf(err, reply);
      return sendHtml(reply, signInPage(p, csrfToken(req, reply, p.config), { email: req.body?.email, error: e }), e.status);
    }
    const m = checkMail(p, 'un lien de connexion');
    return sendHtml(reply, m.html, m.status);
  });
  app.get<{ Querystring: Body }>('/connexion/lien', pub, async (req, reply) =>
    sendHtml(reply, linkButtonPage(p, csrfToken(req, reply, p.config), { title: 'Se connecter', text: 'Cliquez sur le bouton pour vous connecter à Passerelles.', action: '/connexion/lien', token: String(req.query.jeton ?? ''), button: 'Me connecter' })),
  );
  app.post<{ Body: Body }>('/connexion/lien', pub, async (req, reply) => {
    try {
      const person = await accounts.signInWithLink(p, String(req.body?.jeton ?? ''));
      await signIn(p, req, reply, person.id);
    } catch (err) {
      if (err instanceof AppError && err.code === 'INVALID_LINK') {
        const m = expiredLink(p, { href: '/connexion', label: 'Demander un nouveau lien' });
        return sendHtml(reply, m.html, m.status);
      }
      throw err;
    }
    return reply.redirect('/espace?message=connecte', 303);
  });

  app.get('/mot-de-passe/oublie', pub, async (req, reply) => sendHtml(reply, forgotPage(p, csrfToken(req, reply, p.config))));
  app.post<{ Body: Body }>('/mot-de-passe/oublie', pub, async (req, reply) => {
    try {
      await accounts.requestPasswordReset(p, req.body ?? {}, ipOf(req));
    } catch (err) {
      const e = errorOf(err, reply);
      return sendHtml(reply, forgotPage(p, csrfToken(req, reply, p.config), e, req.body?.email), e.status);
    }
    const m = checkMail(p, 'un lien de réinitialisation');
    return sendHtml(reply, m.html, m.status);
  });
  app.get<{ Querystring: Body }>('/mot-de-passe/nouveau', pub, async (req, reply) => {
    const token = String(req.query.jeton ?? '');
    if (!(await accounts.resetLinkValid(p, token))) {
      const m = expiredLink(p, { href: '/mot-de-passe/oublie', label: 'Demander un nouveau lien' });
      return sendHtml(reply, m.html, m.status);
    }
    return sendHtml(reply, resetPage(p, csrfToken(req, reply, p.config), token, undefined, req.query.confirme === '1'));
  });
  app.post<{ Body: Body }>('/mot-de-passe/nouveau', pub, async (req, reply) => {
    const token = String(req.body?.jeton ?? '');
    try {
      const person = await accounts.resetPassword(p, token, req.body?.password);
      await signIn(p, req, reply, person.id);
    } catch (err) {
      if (err instanceof AppError && err.code === 'INVALID_LINK') {
        const m = expiredLink(p, { href: '/mot-de-passe/oublie', label: 'Demander un nouveau lien' });
        return sendHtml(reply, m.html, m.status);
      }
      const e = errorOf(err, reply);
      return sendHtml(reply, resetPage(p, csrfToken(req, reply, p.config), token, e), e.status);
    }
    return reply.redirect('/espace?message=mot-de-passe', 303);
  });

  app.post('/deconnexion', pub, async (req, reply) => {
    const token = req.cookies.pa_session;
    if (token) await closeSession(p.db, token);
    clearSessionCookie(reply, p.config);
    return reply.redirect('/connexion?message=deconnecte', 303);
  });
  app.post('/espace/deconnexion-partout', person, async (req, reply) => {
    await accounts.signOutEverywhere(p, req.actor);
    clearSessionCookie(reply, p.config);
    return reply.redirect('/connexion?message=partout', 303);
  });
  app.get('/espace', person, async (req, reply) => sendHtml(reply, await spacePage(p, req, reply)));
  app.post<{ Body: Body }>('/espace/nom', person, async (req, reply) => {
    await accounts.updateName(p, req.actor, req.body?.name);
    return reply.redirect('/espace?message=nom', 303);
  });

  app.get('/organisations/nouvelle', person, async (req, reply) => sendHtml(reply, organisationFormPage(p, csrfToken(req, reply, p.config))));
  app.post<{ Body: Body }>('/organisations/nouvelle', person, async (req, reply) => {
    try {
      const org = await accounts.createOrganisation(p, req.actor, organisationInput(req.body ?? {}), ipOf(req));
      return reply.redirect(`/organisations/${org.id}?message=creee`, 303);
    } catch (err) {
      const e = errorOf(err, reply);
      return sendHtml(reply, organisationFormPage(p, csrfToken(req, reply, p.config), req.body ?? {}, e), e.status);
    }
  });
  app.get<{ Params: { id: string } }>('/organisations/:id', person, async (req, reply) => {
    const r = await organisationPage(p, req, reply, req.params.id);
    return sendHtml(reply, r.html, r.status);
  });
  app.post<{ Params: { id: string }; Body: Body }>('/organisations/:id/invitations', person, async (req, reply) => {
    try {
      await accounts.inviteMember(p, req.actor, req.params.id, { email: req.body?.email, role: req.body?.role }, ipOf(req));
    } catch (err) {
      const e = errorOf(err, reply);
      if (e.status === 401 || e.status === 403 || e.status === 404) throw err;
      const r = await organisationPage(p, req, reply, req.params.id, e.message);
      return sendHtml(reply, r.html, e.status);
    }
    return reply.redirect(`/organisations/${req.params.id}?message=invitation`, 303);
  });
  app.post<{ Params: { id: string; personId: string }; Body: Body }>('/organisations/:id/membres/:personId/role', person, async (req, reply) => {
    try {
      await accounts.changeRole(p, req.actor, req.params.id, req.params.personId, req.body?.role);
    } catch (err) {
      const e = errorOf(err, reply);
      if (e.status === 401 || e.status === 403 || e.status === 404) throw err;
      const r = await organisationPage(p, req, reply, req.params.id, e.message);
      return sendHtml(reply, r.html, e.status);
    }
    return reply.redirect(`/organisations/${req.params.id}`, 303);
  });
  app.post<{ Params: { id: string; personId: string } }>('/organisations/:id/membres/:personId/retrait', person, async (req, reply) => {
    try {
      await accounts.removeMember(p, req.actor, req.params.id, req.params.personId);
    } catch (err) {
      const e = errorOf(err, reply);
      if (e.status === 401 || e.status === 403 || e.status === 404) throw err;
      const r = await organisationPage(p, req, reply, req.params.id, e.message);
      return sendHtml(reply, r.html, e.status);
    }
    return reply.redirect(req.params.personId === req.actor.person?.id ? '/espace' : `/organisations/${req.params.id}`, 303);
  });

  app.get<{ Querystring: Body }>('/invitation', pub, async (req, reply) => {
    const token = String(req.query.jeton ?? '');
    const inv = await accounts.getInvitation(p, token);
    if (!inv) {
      const m = expiredLink(p, { href: '/espace', label: 'Mon espace' });
      return sendHtml(reply, m.html, m.status);
    }
    const me = req.actor.person;
    const back = `/invitation?jeton=${encodeURIComponent(token)}`;
    const body = !me
      ? html`<p>Vous êtes invité à rejoindre « ${inv.organisation.name} » en tant que ${ROLE_LABEL[inv.role].toLowerCase()}.</p>
<p>Connectez-vous avec l’adresse ${inv.email}, ou créez un compte avec cette adresse, puis revenez sur ce lien.</p>
<ul class="fr-btns-group fr-btns-group--inline-md"><li><a class="fr-btn" href="/connexion?retour=${encodeURIComponent(back)}">Se connecter</a></li><li><a class="fr-btn fr-btn--secondary" href="/inscription">Créer un compte</a></li></ul>`
      : me.email !== inv.email
        ? html`${notice('warning', 'Invitation adressée à une autre adresse', `Vous êtes connecté avec ${me.email}. Connectez-vous avec l’adresse invitée pour accepter.`)}`
        : html`<p>Vous êtes invité à rejoindre « ${inv.organisation.name} » en tant que ${ROLE_LABEL[inv.role].toLowerCase()}.</p>
<form method="post" action="/invitation">${csrfField(csrfToken(req, reply, p.config))}<input type="hidden" name="jeton" value="${token}">
<button class="fr-btn" type="submit">Rejoindre l’organisation</button></form>`;
    const m = messagePage(p, 'Invitation', body);
    return sendHtml(reply, m.html, m.status);
  });
  app.post<{ Body: Body }>('/invitation', person, async (req, reply) => {
    const org = await accounts.acceptInvitation(p, req.actor, String(req.body?.jeton ?? ''));
    return reply.redirect(`/organisations/${org.id}`, 303);
  });

  app.post<{ Params: { id: string } }>('/organisations/:id/verification', { config: { access: 'platformAdmin' } }, async (req, reply) => {
    await accounts.verifyOrganisation(p, req.actor, req.params.id);
    return reply.redirect(`/organisations/${req.params.id}`, 303);
  });
}
