// The page shell shared by every public page: DSFR head, skip links, header, navigation and footer.
import type { Config } from '../core/config.ts';
import { type Html, html } from '../core/html.ts';
import { currentActor, currentCsrfCookie } from '../modules/accounts/http.ts';
import { canUseBackOffice } from '../modules/accounts/policy.ts';

export const SITE_NAME = 'Passerelles';
export const SITE_TAGLINE = 'La plateforme territoriale de l’inclusion dans l’emploi';

export type Section = 'home' | 'directory' | 'needs' | 'notices' | 'account' | 'admin' | null;

interface NavEntry {
  label: string;
  href: string;
  section: Section;
}

// Main navigation.
const NAV: NavEntry[] = [
  { label: 'Accueil', href: '/', section: 'home' },
  { label: 'Annuaire', href: '/structures', section: 'directory' },
  { label: 'Besoins d’achat', href: '/besoins', section: 'needs' },
  { label: 'Veille des marchés', href: '/appels-d-offres', section: 'notices' },
];

export interface Crumb {
  label: string;
  href?: string;
}

export interface PageOptions {
  /** Page title, without the site name. */
  title: string;
  main: Html;
  section?: Section;
  breadcrumb?: Crumb[];
  /** Scripts of src/web/assets, loaded deferred after DSFR (e.g. "autocomplete.js"). */
  scripts?: string[];
  /** Loads Leaflet (CSS and JS) before the page scripts. */
  leaflet?: boolean;
}

export function layout(config: Config, o: PageOptions): string {
  const title = `${o.title} – ${SITE_NAME}`;
  return `<!doctype html>\n${html`<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no">
<meta name="format-detection" content="telephone=no">
<title>${title}</title>
<link rel="stylesheet" href="/static/dsfr/dsfr.min.css">
<link rel="stylesheet" href="/static/dsfr/utility/icons/icons.min.css">
${o.leaflet ? html`<link rel="stylesheet" href="/static/leaflet/leaflet.css">` : ''}
<link rel="stylesheet" href="/static/app/app.css">
${
  config.stateMarks
    ? html`<link rel="apple-touch-icon" href="/static/dsfr/favicon/apple-touch-icon.png">
<link rel="icon" href="/static/dsfr/favicon/favicon.svg" type="image/svg+xml">
<link rel="shortcut icon" href="/static/dsfr/favicon/favicon.ico" type="image/x-icon">`
    : ''
}
</head>
<body>
${skipLinks()}
${header(config, o.section ?? null)}
${config.demo ? demoNotice() : ''}
<main id="contenu" tabindex="-1" class="fr-pb-6w">
${o.breadcrumb ? html`<div class="fr-container">${breadcrumb(o.breadcrumb)}</div>` : ''}
${o.main}
</main>
${footer(config)}
<script type="module" src="/static/dsfr/dsfr.module.min.js"></script>
<script nomodule src="/static/dsfr/dsfr.nomodule.min.js"></script>
${o.leaflet ? html`<script defer src="/static/leaflet/leaflet.js"></script>` : ''}
${(o.scripts ?? []).map((s) => html`<script defer src="/static/app/${s}"></script>`)}
</body>
</html>`}`;
}

function skipLinks(): Html {
  return html`<div class="fr-skiplinks">
<nav class="fr-container" aria-label="Accès rapide">
<ul class="fr-skiplinks__list">
<li><a class="fr-link" href="#contenu">Contenu</a></li>
<li><a class="fr-link" href="#navigation-principale">Menu</a></li>
<li><a class="fr-link" href="#pied-de-page">Pied de page</a></li>
</ul>
</nav>
</div>`;
}

function marianne(): Html {
  return html`<p class="fr-logo">République<br>Française</p>`;
}

function header(config: Config, section: Section): Html {
  const home = `Accueil – ${SITE_NAME}${config.operatorName ? ` – ${config.operatorName}` : ''}`;
  return html`<header role="banner" class="fr-header">
<div class="fr-header__body">
<div class="fr-container">
<div class="fr-header__body-row">
<div class="fr-header__brand fr-enlarge-link">
<div class="fr-header__brand-top">
${config.stateMarks ? html`<div class="fr-header__logo">${marianne()}</div>` : ''}
${config.operatorName ? html`<div class="fr-header__operator"><p class="pl-operator">${config.operatorName}</p></div>` : ''}
<div class="fr-header__navbar">
<button class="fr-btn--menu fr-btn" data-fr-opened="false" aria-controls="menu-principal" aria-haspopup="menu" id="bouton-menu" title="Menu">Menu</button>
</div>
</div>
<div class="fr-header__service">
<a href="/" title="${home}"><p class="fr-header__service-title">${SITE_NAME}</p></a>
<p class="fr-header__service-tagline">${SITE_TAGLINE}</p>
</div>
</div>
<div class="fr-header__tools">
<div class="fr-header__tools-links">
<ul class="fr-btns-group">
${accountLinks()}
<li><a class="fr-btn fr-icon-code-s-slash-line" href="/api/docs">Documentation de l’API</a></li>
</ul>
</div>
</div>
</div>
</div>
</div>
<div class="fr-header__menu fr-modal" id="menu-principal" aria-labelledby="bouton-menu">
<div class="fr-container">
<button class="fr-btn--close fr-btn" aria-controls="menu-principal" title="Fermer">Fermer</button>
<div class="fr-header__menu-links"></div>
<nav class="fr-nav" id="navigation-principale" aria-label="Menu principal">
<ul class="fr-nav__list">
${NAV.map(
  (n) => html`<li class="fr-nav__item"><a class="fr-nav__link" href="${n.href}"${n.section === section ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
)}
</ul>
</nav>
</div>
</div>
</header>`;
}

/** Sign-in link, or the person's space and sign-out, in the header tools. */
function accountLinks(): Html {
  const actor = currentActor();
  if (!actor.person) return html`<li><a class="fr-btn fr-icon-lock-line" href="/connexion">Se connecter</a></li>`;
  return html`${canUseBackOffice(actor) ? html`<li><a class="fr-btn fr-icon-settings-5-line" href="/admin">Administration</a></li>` : ''}
<li><a class="fr-btn fr-icon-account-circle-line" href="/espace">Mon espace</a></li>
<li><form method="post" action="/deconnexion" class="pl-inline-form"><input type="hidden" name="_csrf" value="${currentCsrfCookie()}"><button type="submit" class="fr-btn fr-icon-logout-box-r-line">Se déconnecter</button></form></li>`;
}

function demoNotice(): Html {
  return html`<div class="fr-notice fr-notice--info" role="region" aria-label="Information importante">
<div class="fr-container">
<div class="fr-notice__body">
<p><span class="fr-notice__title">Territoire de démonstration.</span>
<span class="fr-notice__desc">Les structures marquées « Données de démonstration » sont fictives.</span></p>
</div>
</div>
</div>`;
}

export function breadcrumb(crumbs: Crumb[]): Html {
  return html`<nav class="fr-breadcrumb" aria-label="vous êtes ici :">
<button class="fr-breadcrumb__button" aria-expanded="false" aria-controls="fil-ariane">Voir le fil d’Ariane</button>
<div class="fr-collapse" id="fil-ariane">
<ol class="fr-breadcrumb__list">
${crumbs.map((c, i) =>
  i === crumbs.length - 1 || !c.href
    ? html`<li><a class="fr-breadcrumb__link" aria-current="page">${c.label}</a></li>`
    : html`<li><a class="fr-breadcrumb__link" href="${c.href}">${c.label}</a></li>`,
)}
</ol>
</div>
</nav>`;
}

function footer(config: Config): Html {
  const brand = config.stateMarks ? marianne() : html`<p class="pl-operator">${config.operatorName || SITE_NAME}</p>`;
  return html`<footer class="fr-footer" role="contentinfo" id="pied-de-page">
<div class="fr-container">
<div class="fr-footer__body">
<div class="fr-footer__brand fr-enlarge-link">
<a href="/" title="Retour à l’accueil du site – ${SITE_NAME}">${brand}</a>
</div>
<div class="fr-footer__content">
<p class="fr-footer__content-desc">${SITE_NAME} recense les structures inclusives (insertion par l’activité économique et handicap) du territoire, leurs activités et les lieux où elles interviennent.${
    config.operatorName ? ` Service opéré par ${config.operatorName}.` : ''
  }</p>
${
  config.stateMarks
    ? html`<ul class="fr-footer__content-list">
<li class="fr-footer__content-item"><a class="fr-footer__content-link" href="https://www.info.gouv.fr">info.gouv.fr</a></li>
<li class="fr-footer__content-item"><a class="fr-footer__content-link" href="https://www.service-public.fr">service-public.fr</a></li>
<li class="fr-footer__content-item"><a class="fr-footer__content-link" href="https://www.legifrance.gouv.fr">legifrance.gouv.fr</a></li>
<li class="fr-footer__content-item"><a class="fr-footer__content-link" href="https://www.data.gouv.fr">data.gouv.fr</a></li>
</ul>`
    : ''
}
</div>
</div>
<div class="fr-footer__bottom">
<ul class="fr-footer__bottom-list">
<li class="fr-footer__bottom-item"><a class="fr-footer__bottom-link" href="/accessibilite">Accessibilité : non conforme</a></li>
<li class="fr-footer__bottom-item"><a class="fr-footer__bottom-link" href="/mentions-legales">Mentions légales</a></li>
<li class="fr-footer__bottom-item"><a class="fr-footer__bottom-link" href="/api/docs">Documentation de l’API</a></li>
</ul>
<div class="fr-footer__bottom-copy">
<p>Sauf mention contraire, les contenus de ce site sont proposés sous <a href="https://github.com/etalab/licence-ouverte/blob/master/LO.md">licence etalab-2.0</a>.</p>
</div>
</div>
</div>
</footer>`;
}
