// Personal data pages (DSFR, French): what Passerelles keeps and why, download of it, account deletion.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { type Html, html } from '../../core/html.ts';
import { kickJobs } from '../../core/jobs.ts';
import type { Platform } from '../../core/platform.ts';
import { type FieldErrors, csrfField, formError, inputField, notice } from '../../web/forms.ts';
import { formatNumber } from '../../web/format.ts';
import { ORGANISATION_TYPE_LABEL, type OrganisationType } from './model.ts';
import { clearSessionCookie, csrfToken } from './http.ts';
import { renderPage } from './pages.ts';
import { requirePerson } from './policy.ts';
import { type DeletionPlan, type OrganisationRef, deleteAccount, deletionPlan, exportMyData, exportPersonData } from './privacy.ts';
import { SESSION_DAYS } from './repository.ts';
import { sendHtml } from '../../web/reply.ts';

type Body = Record<string, string | undefined>;

export const EXPORT_FILENAME = 'mes-donnees-passerelles.json';


const count = (n: number, none: string, one: string, many: string) => (n === 0 ? none : `${formatNumber(n)} ${n === 1 ? one : many}`);

/** What is kept, why, and for how long: one row per kind of data. */
function keptTable(p: Platform): Html {
  const rows: [string, string, string][] = [
    [
      'Votre compte : adresse électronique, nom, empreinte du mot de passe (jamais le mot de passe lui-même), dates de création, de confirmation de l’adresse et de dernière connexion.',
      'Vous identifier, vous connecter et vous écrire (liens de connexion, invitations, décisions).',
      'Tant que le compte existe.',
    ],
    [
      'Vos organisations et votre rôle dans chacune (administrateur ou membre).',
      'Savoir au nom de qui vous agissez et ce que vous pouvez faire (modifier une fiche, inviter des collègues…).',
      'Tant que vous en faites partie.',
    ],
    [
      'Vos demandes de rattachement à une structure : structure, message, statut, dates et motif de la décision.',
      'Permettre à la structure, aux facilitateurs ou à l’équipe de la plateforme de décider, et en garder la trace.',
      'Tant que le compte existe.',
    ],
    [
      'Vos sessions : date d’ouverture, dernière activité, date d’expiration. Le cookie de votre navigateur porte un jeton aléatoire dont nous ne gardons que l’empreinte.',
      'Vous garder connecté et vous permettre de fermer vos sessions sur tous vos appareils.',
      `${SESSION_DAYS} jours au plus, ou jusqu’à la déconnexion.`,
    ],
    [
      'Les jetons d’API que vous avez créés pour une organisation : nom, début du jeton, portées, dates (jamais le jeton lui-même).',
      'Savoir qui a ouvert un accès à l’API au nom de l’organisation.',
      'Tant que l’organisation existe ; après la suppression de votre compte, le jeton reste à l’organisation sans votre nom.',
    ],
    [
      'Le journal des actions sensibles que vous avez faites ou qui vous concernent (connexion, changement de rôle, modification d’une fiche…) : action, date, éléments modifiés.',
      'Sécurité de la plateforme et responsabilité des modifications faites au nom des structures.',
      'Conservé après la suppression du compte, sans plus aucun lien avec vous.',
    ],
    [
      'Les liens envoyés par courriel (confirmation, connexion, nouveau mot de passe, invitation), conservés sous forme d’empreinte.',
      'Vérifier qu’un lien est valable et ne sert qu’une fois.',
      'De 20 minutes à 7 jours selon le lien.',
    ],
    [
      'Des compteurs de tentatives liés à votre adresse IP et à une empreinte de votre adresse électronique.',
      'Protéger les comptes contre les essais de mots de passe et les envois abusifs.',
      'Quelques heures au plus.',
    ],
  ];
  return html`<div class="fr-table"><div class="fr-table__wrapper"><div class="fr-table__container" tabindex="0" role="region" aria-label="Données conservées, finalités et durées"><div class="fr-table__content"><table>
<caption>Données conservées, finalités et durées</caption>
<thead><tr><th scope="col">Données</th><th scope="col">Pourquoi</th><th scope="col">Combien de temps</th></tr></thead>
<tbody>
${rows.map(([what, why, howLong]) => html`<tr><td class="fr-cell--multiline">${what}</td><td class="fr-cell--multiline">${why}</td><td class="fr-cell--multiline">${howLong}</td></tr>`)}
</tbody></table></div></div></div></div>
<p>Passerelles, opéré par ${p.config.operatorName || 'son opérateur'}, ne dépose aucun cookie de mesure d’audience ni de publicité, ne vend ni ne cède vos données, et ne les publie jamais : les exports et l’API de l’annuaire ne contiennent aucune donnée des comptes.</p>`;
}

const orgLink = (o: OrganisationRef) => html`<a href="/organisations/${o.id}">${o.name}</a> (${ORGANISATION_TYPE_LABEL[o.type as OrganisationType] ?? o.type})`;

function consequences(plan: DeletionPlan): Html {
  const items: Html[] = [
    html`<li>Votre adresse, votre nom, votre mot de passe, vos sessions, vos demandes de rattachement et vos appartenances aux organisations sont effacés.</li>`,
    html`<li>Vous êtes déconnecté de tous vos appareils ; un dernier courriel vous confirme la suppression.</li>`,
    html`<li>Le journal des actions sensibles garde les actions faites avec votre compte, sans plus aucun lien avec vous.</li>`,
  ];
  if (plan.deleted.length) items.push(html`<li>Vous êtes le seul membre de ces organisations, qui seront supprimées : ${plan.deleted.map((o, i) => html`${i ? ', ' : ''}${orgLink(o)}`)}.</li>`);
  if (plan.emptied.length) items.push(html`<li>Ces structures restent dans l’annuaire, sans plus aucun membre, et leurs jetons d’API sont révoqués : ${plan.emptied.map((o, i) => html`${i ? ', ' : ''}${orgLink(o)}`)}.</li>`);
  if (plan.left.length) items.push(html`<li>Vous quittez ces organisations, qui continuent sans vous : ${plan.left.map((o, i) => html`${i ? ', ' : ''}${orgLink(o)}`)}.</li>`);
  return html`<ul>${items}</ul>`;
}

async function dataPage(p: Platform, req: FastifyRequest, reply: FastifyReply, error?: { message: string; fields: FieldErrors }): Promise<string> {
  const person = requirePerson(req.actor);
  const data = await exportPersonData(p.db, person.id);
  const plan = await deletionPlan(p.db, person.id);
  const csrf = csrfToken(req, reply, p.config);
  return renderPage(p, {
    title: 'Mes données personnelles',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Mon espace', href: '/espace' }, { label: 'Mes données personnelles' }],
    main: html`<div class="fr-container fr-mt-4w">
<h1>Mes données personnelles</h1>
<p class="fr-text--lead">Ce que Passerelles conserve sur vous, pourquoi, et ce que vous pouvez en faire.</p>

<h2>Ce que nous conservons</h2>
<p>Aujourd’hui, pour le compte ${data.person.email} :</p>
<ul>
<li>${count(data.memberships.length, 'aucune organisation', 'organisation', 'organisations')} ;</li>
<li>${count(data.claims.length, 'aucune demande de rattachement', 'demande de rattachement', 'demandes de rattachement')} ;</li>
<li>${count(data.sessions.length, 'aucune session ouverte', 'session ouverte', 'sessions ouvertes')} ;</li>
<li>${count(data.apiTokens.length, 'aucun jeton d’API créé', 'jeton d’API créé', 'jetons d’API créés')} ;</li>
<li>${count(data.auditEntries.length, 'aucune entrée du journal', 'entrée du journal', 'entrées du journal')} vous concernant.</li>
</ul>
${keptTable(p)}

<h2>Télécharger mes données</h2>
<p>Un fichier JSON avec tout ce qui précède : votre compte, vos organisations, vos demandes de rattachement, vos sessions, les jetons d’API que vous avez créés et les entrées du journal qui vous concernent. Il ne contient aucun secret (mot de passe, jeton de session ou d’API).</p>
<p><a class="fr-btn fr-btn--secondary fr-btn--icon-left fr-icon-download-line" href="/espace/donnees.json" download="${EXPORT_FILENAME}">Télécharger mes données (JSON)</a></p>
<p>Pour corriger votre nom, rendez-vous dans <a href="/espace">votre espace</a>. Pour toute autre demande sur vos données, écrivez à l’équipe de la plateforme ; vous pouvez aussi adresser une réclamation à la CNIL.</p>

<h2 id="suppression">Supprimer mon compte</h2>
${consequences(plan)}
${
  plan.blocking.length
    ? html`<div class="fr-alert fr-alert--warning fr-mb-3w">
<h3 class="fr-alert__title">Nommez d’abord un autre administrateur</h3>
<p>Vous êtes le seul administrateur de ces organisations, qui comptent d’autres membres : ${plan.blocking.map((o, i) => html`${i ? ', ' : ''}${orgLink(o)}`)}. Nommez un autre administrateur dans chacune avant de supprimer votre compte.</p>
</div>`
    : ''
}
${formError(error?.message)}
<form method="post" action="/espace/suppression" novalidate class="fr-mb-6w">
${csrfField(csrf)}
${inputField({ id: 'confirmation-courriel', name: 'confirmEmail', label: 'Pour confirmer, saisissez l’adresse électronique de votre compte', type: 'email', autocomplete: 'off', required: true, hint: 'La suppression est définitive.', errors: error?.fields })}
<ul class="fr-btns-group fr-btns-group--inline-md"><li><button class="fr-btn" type="submit">Supprimer définitivement mon compte</button></li></ul>
</form>
</div>`,
  });
}

function deletedPage(p: Platform): string {
  return renderPage(p, {
    title: 'Compte supprimé',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Compte supprimé' }],
    main: html`<div class="fr-container fr-mt-4w pl-prose">
<h1>Compte supprimé</h1>
${notice('success', 'Votre compte a été supprimé.', 'Vos données personnelles ont été effacées et vous êtes déconnecté. Un courriel vous le confirme.')}
<p>Vous pouvez continuer à consulter l’annuaire, ou créer un nouveau compte à tout moment.</p>
<ul class="fr-btns-group fr-btns-group--inline-md">
<li><a class="fr-btn" href="/">Page d’accueil</a></li>
<li><a class="fr-btn fr-btn--secondary" href="/structures">Rechercher une structure</a></li>
</ul>
</div>`,
  });
}

export async function privacyPages(app: FastifyInstance, p: Platform): Promise<void> {
  const person = { config: { access: 'person' as const } };

  app.get('/espace/donnees', person, async (req, reply) => sendHtml(reply, await dataPage(p, req, reply)));

  app.get('/espace/donnees.json', person, async (req, reply) => {
    const data = await exportMyData(p, req.actor);
    return reply
      .header('Content-Disposition', `attachment; filename="${EXPORT_FILENAME}"`)
      .header('Cache-Control', 'no-store')
      .type('application/json; charset=utf-8')
      .send(`${JSON.stringify(data, null, 2)}\n`);
  });

  app.post<{ Body: Body }>('/espace/suppression', person, async (req, reply) => {
    try {
      await deleteAccount(p, req.actor, req.body?.confirmEmail);
    } catch (err) {
      if (!(err instanceof AppError) || (err.status !== 422 && err.status !== 409)) throw err;
      const field = (err.details as { field?: string } | undefined)?.field;
      return sendHtml(reply, await dataPage(p, req, reply, { message: err.message, fields: field ? { [field]: err.message } : {} }), err.status);
    }
    kickJobs();
    clearSessionCookie(reply, p.config);
    return reply.redirect('/compte/supprime', 303);
  });

  app.get('/compte/supprime', { config: { access: 'public' as const } }, async (_req, reply) => sendHtml(reply, deletedPage(p)));
}
