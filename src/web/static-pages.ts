// Pages without data: accessibility statement, legal notice, and the DSFR error page.
import type { Config } from '../core/config.ts';
import { html } from '../core/html.ts';
import { pictogram } from './components.ts';
import { layout, SITE_NAME } from './layout.ts';

export function accessibilityPage(config: Config): string {
  return layout(config, {
    title: 'Déclaration d’accessibilité',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Accessibilité' }],
    main: html`<div class="fr-container pl-prose">
<h1>Déclaration d’accessibilité</h1>
<p>${config.operatorName || SITE_NAME} s’engage à rendre ${SITE_NAME} accessible, conformément à l’article 47 de la loi n° 2005-102 du 11 février 2005.</p>
<h2>État de conformité</h2>
<p>${SITE_NAME} est <strong>non conforme</strong> au référentiel général d’amélioration de l’accessibilité (RGAA) : aucun audit n’a encore été réalisé.</p>
<p>Les pages sont construites avec le Système de design de l’État et vérifiées automatiquement (axe-core) ; elles restent lisibles sans JavaScript. La carte des résultats a toujours une alternative : la liste des structures.</p>
<h2>Retour d’information et contact</h2>
<p>Si vous n’arrivez pas à accéder à un contenu ou à un service, contactez ${config.operatorName || 'l’opérateur du service'} pour être orienté vers une alternative accessible ou obtenir le contenu sous une autre forme.</p>
<h2>Voies de recours</h2>
<p>Si vous constatez un défaut d’accessibilité qui vous empêche d’accéder à un contenu ou à une fonctionnalité, que vous nous le signalez et que vous ne parvenez pas à obtenir une réponse, vous pouvez saisir le Défenseur des droits.</p>
</div>`,
  });
}

export function legalPage(config: Config): string {
  return layout(config, {
    title: 'Mentions légales',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Mentions légales' }],
    main: html`<div class="fr-container pl-prose">
<h1>Mentions légales</h1>
<h2>Éditeur</h2>
<p>${SITE_NAME} est opéré par ${config.operatorName || 'son opérateur'}.</p>
<h2>Données</h2>
<p>Les informations de l’annuaire proviennent des sources indiquées sur chaque fiche (imports des bases nationales, saisies des structures). Seuls les contacts que les structures ont choisi de publier sont affichés.</p>
<h2>Réutilisation</h2>
<p>Les données publiques de l’annuaire sont disponibles par l’API (voir la <a href="/api/docs">documentation de l’API</a>).</p>
<h2>Cookies</h2>
<p>Ce site ne dépose aucun cookie de mesure d’audience ni de publicité.</p>
</div>`,
  });
}

const ERROR_TITLES: Record<number, { title: string; lead: string }> = {
  400: { title: 'Requête invalide', lead: 'La page n’a pas pu être affichée avec les informations demandées.' },
  401: { title: 'Connexion nécessaire', lead: 'Cette page demande d’être connecté.' },
  403: { title: 'Accès refusé', lead: 'Vous n’avez pas accès à cette page ou à cette action.' },
  404: { title: 'Page non trouvée', lead: 'La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée.' },
  410: { title: 'Lien expiré', lead: 'Ce lien n’est plus valable.' },
  422: { title: 'Données invalides', lead: 'Les informations envoyées n’ont pas pu être enregistrées.' },
  429: { title: 'Trop de tentatives', lead: 'Vous avez fait trop de demandes en peu de temps.' },
  413: { title: 'Requête trop volumineuse', lead: 'Les données envoyées dépassent la taille acceptée.' },
  500: { title: 'Erreur inattendue', lead: 'Le service rencontre un problème ; nous y travaillons.' },
  503: { title: 'Service indisponible', lead: 'Le service est momentanément indisponible. Réessayez dans quelques instants.' },
};

export function errorHtml(config: Config, status: number, message: string): string {
  const t = ERROR_TITLES[status] ?? (status >= 500 ? ERROR_TITLES[500] : { title: 'Erreur', lead: 'La demande n’a pas pu aboutir.' });
  return layout(config, {
    title: `${t.title} (erreur ${status})`,
    main: html`<div class="fr-container">
<div class="fr-my-7w fr-mt-md-12w fr-mb-md-10w fr-grid-row fr-grid-row--gutters fr-grid-row--middle fr-grid-row--center">
<div class="fr-py-0 fr-col-12 fr-col-md-6">
<h1>${t.title}</h1>
<p class="fr-text--sm fr-mb-3w">Erreur ${status}</p>
<p class="fr-text--lead fr-mb-3w">${t.lead}</p>
<p class="fr-mb-5w">${message}</p>
<ul class="fr-btns-group fr-btns-group--inline-md">
<li><a class="fr-btn" href="/">Page d’accueil</a></li>
<li><a class="fr-btn fr-btn--secondary" href="/structures">Rechercher une structure</a></li>
</ul>
</div>
<div class="fr-col-12 fr-col-md-3 fr-col-offset-md-1 fr-px-6w fr-px-md-0 fr-py-0">${pictogram(status >= 500 ? 'technical-error' : 'error')}</div>
</div>
</div>`,
  });
}
