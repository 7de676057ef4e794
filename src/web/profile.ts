// The public profile of a structure (/structures/:slug).
import type { Config } from '../core/config.ts';
import { type Html, html } from '../core/html.ts';
import { currentActor } from '../modules/accounts/http.ts';
import { canEditStructure } from '../modules/accounts/policy.ts';
import { SOURCE_LABEL, type Structure } from '../modules/directory/model.ts';
import { FAMILY_LABEL, type Referentials } from '../modules/referentials/service.ts';
import { loadTerritories } from '../modules/territories/data.ts';
import { kindBadges } from './components.ts';
import { displayUrl, formatDate, formatDecimal, formatNumber, safeWebsite, telHref } from './format.ts';
import { layout } from './layout.ts';
import { dataScript, mapData } from './map.ts';

/** A profile, with what the page shows beyond the API: the logo and the date of the structure's last edit. */
/** A public contract the structure won (DECP records and award notices, by SIRET). */
export interface ProfileAward {
  noticeId: number;
  title: string;
  buyerName: string | null;
  amount: number | null;
  awardedOn: string | null;
  lot: string | null;
}

export type ProfileStructure = Structure & { logoPath?: string | null; editedAt?: string | null; awards?: { total: number; items: ProfileAward[] } };

export function profilePage(config: Config, s: ProfileStructure, refs: Referentials): string {
  const hasMap = s.lat != null && s.lon != null;
  return layout(config, {
    title: `${s.name} – Annuaire`,
    section: 'directory',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Annuaire', href: '/structures' }, { label: s.name }],
    leaflet: hasMap,
    scripts: hasMap ? ['map.js'] : [],
    main: html`<div class="fr-container">
<div class="pl-profile-head fr-mb-4w">
${s.logoPath ? html`<p class="fr-mb-2w"><img src="/uploads/${s.logoPath}" alt="Logo de ${s.name}" width="120"></p>` : ''}
${kindBadges(s.kind, s.kindName, s.family)}
<h1 class="fr-mb-1w">${s.name}</h1>
${s.brand ? html`<p class="fr-text--lead fr-mb-1w">Nom commercial : ${s.brand}</p>` : ''}
${s.commune ? html`<p class="fr-icon-map-pin-2-line fr-mb-0">${communeLabel(s)}</p>` : ''}
</div>
${s.isDemo ? demoNotice() : ''}
${s.active ? '' : inactiveNotice()}
<div class="fr-grid-row fr-grid-row--gutters">
<div class="fr-col-12 fr-col-md-8">
${kindSection(s)}
${s.description ? html`<section class="fr-mb-5w" aria-labelledby="presentation"><h2 id="presentation" class="fr-h4">Présentation</h2><p>${s.description}</p></section>` : ''}
${activitiesSection(s, refs)}
${capacitySection(s)}
${labelsSection(s)}
${listSection('references', 'Références clients', s.clientReferences)}
${listSection('reseaux', 'Réseaux', s.networks.map((n) => n.name))}
${awardsSection(s.awards)}
${identitySection(s)}
${sourceSection(s)}
</div>
<div class="fr-col-12 fr-col-md-4">
${contactSection(s)}
${hasMap ? profileMap(config, s) : ''}
${manageLink(s)}
</div>
</div>
</div>`,
  });
}

function demoNotice(): Html {
  return html`<div class="fr-alert fr-alert--warning fr-mb-4w">
<h2 class="fr-alert__title">Données de démonstration</h2>
<p>Cette structure est fictive : elle a été générée pour présenter la plateforme. Son SIRET, son adresse et ses contacts n’existent pas.</p>
</div>`;
}

// An inactive structure (convention ended, closed) keeps its page, so that a link or a SIRET check still
// answers, but it is said plainly and it no longer appears in searches.
function inactiveNotice(): Html {
  return html`<div class="fr-alert fr-alert--info fr-mb-4w">
<h2 class="fr-alert__title">Structure inactive</h2>
<p>Selon la source des données, cette structure n’est plus active (conventionnement terminé ou activité arrêtée). Elle n’apparaît plus dans les recherches.</p>
</div>`;
}

function communeLabel(s: Structure): string {
  if (!s.commune) return '';
  return s.departmentCode ? `${s.commune.name} (${s.departmentCode})` : s.commune.name;
}

function kindSection(s: Structure): Html {
  return html`<section class="fr-mb-5w" aria-labelledby="type">
<h2 id="type" class="fr-h4">Type de structure</h2>
<p class="fr-mb-1w"><span class="fr-text--bold">${s.kindName} (${s.kind})</span>, famille ${FAMILY_LABEL[s.family].toLowerCase()}.</p>
${s.kindDescription ? html`<p>${s.kindDescription}</p>` : ''}
</section>`;
}

function activitiesSection(s: Structure, refs: Referentials): Html {
  if (!s.activities.length) return html``;
  const typeName = (code: string) => refs.serviceTypeByCode.get(code)?.name ?? code;
  return html`<section class="fr-mb-5w" aria-labelledby="activites">
<h2 id="activites" class="fr-h4">Activités</h2>
<ul class="pl-activities">
${s.activities.map(
  (a) => html`<li>
<h3 class="fr-h6 fr-mb-1w">${a.sector.name}${a.sector.groupName ? html` <span class="fr-text--sm pl-muted">(${a.sector.groupName})</span>` : ''}</h3>
${definitionList([
  ['Types de prestation', a.serviceTypes.map(typeName).join(', ')],
  ['Zone d’intervention', a.areaLabel],
])}
</li>`,
)}
</ul>
</section>`;
}

function definitionList(rows: [string, string | Html | null | undefined][]): Html {
  const shown = rows.filter(([, v]) => v !== null && v !== undefined && v !== '');
  if (!shown.length) return html``;
  return html`<dl class="pl-dl">${shown.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function capacitySection(s: Structure): Html {
  const rows: [string, string | null][] = [
    ['Équivalents temps plein (ETP)', s.etp != null ? formatDecimal(Number(s.etp)) : null],
    ['Salariés en insertion', s.employeesInsertion != null ? formatNumber(s.employeesInsertion) : null],
    ['Salariés permanents', s.employeesPermanent != null ? formatNumber(s.employeesPermanent) : null],
    ['Année de création', s.yearFounded != null ? String(s.yearFounded) : null],
  ];
  if (!rows.some(([, v]) => v)) return html``;
  return html`<section class="fr-mb-5w" aria-labelledby="capacite">
<h2 id="capacite" class="fr-h4">Capacité</h2>
${definitionList(rows)}
</section>`;
}

function labelsSection(s: Structure): Html {
  const social = s.commitments.filter((c) => c.type === 'social');
  const environmental = s.commitments.filter((c) => c.type === 'environmental');
  if (!s.labels.length && !s.commitments.length) return html``;
  const commitmentList = (title: string, list: Structure['commitments']) =>
    list.length
      ? html`<h3 class="fr-h6 fr-mb-1w">${title}</h3><ul class="fr-mb-3w">${list.map((c) => html`<li>${c.label}${c.detail ? html` : ${c.detail}` : ''}</li>`)}</ul>`
      : '';
  return html`<section class="fr-mb-5w" aria-labelledby="labels">
<h2 id="labels" class="fr-h4">Labels et engagements</h2>
${s.labels.length ? html`<h3 class="fr-h6 fr-mb-1w">Labels</h3><ul class="fr-tags-group fr-mb-2w">${s.labels.map((l) => html`<li><p class="fr-tag">${l.name}</p></li>`)}</ul>` : ''}
${commitmentList('Engagements sociaux', social)}
${commitmentList('Engagements environnementaux', environmental)}
</section>`;
}

const EUROS = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 });

function awardsSection(awards: ProfileStructure['awards']): Html {
  if (!awards || awards.total === 0) return html``;
  return html`<section class="fr-mb-5w" aria-labelledby="marches">
<h2 id="marches" class="fr-h4">Marchés publics remportés</h2>
<p class="fr-text--sm">D’après les données essentielles de la commande publique et les avis d’attribution publiés, par le SIRET des titulaires${awards.total > awards.items.length ? ` (${awards.items.length} plus récents sur ${awards.total})` : ''}.</p>
<ul>${awards.items.map(
    (a) => html`<li><a href="/appels-d-offres/${a.noticeId}">${a.title}</a>${a.lot ? ` (lot ${a.lot})` : ''}${a.buyerName ? ` – ${a.buyerName}` : ''}${a.amount !== null ? ` – ${EUROS.format(a.amount)} HT` : ''}${a.awardedOn ? ` – ${a.awardedOn.split('-').reverse().join('/')}` : ''}</li>`,
  )}</ul>
</section>`;
}

function listSection(id: string, title: string, items: string[]): Html {
  if (!items.length) return html``;
  return html`<section class="fr-mb-5w" aria-labelledby="${id}">
<h2 id="${id}" class="fr-h4">${title}</h2>
<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>
</section>`;
}

function identitySection(s: Structure): Html {
  const address = [s.address, [s.postalCode, s.commune?.name].filter(Boolean).join(' ')].filter(Boolean);
  const territories = loadTerritories();
  const dep = s.departmentCode ? territories.get('departement', s.departmentCode) : undefined;
  const region = s.regionCode ? territories.get('region', s.regionCode) : undefined;
  return html`<section class="fr-mb-5w" aria-labelledby="identite">
<h2 id="identite" class="fr-h4">Identité</h2>
${definitionList([
  ['SIRET', s.siret],
  ['SIREN', s.siren],
  ['Forme juridique', s.legalForm],
  ['Code NAF', s.nafCode ? (s.nafLabel ? `${s.nafCode} — ${s.nafLabel}` : s.nafCode) : null],
  ['Adresse', address.length ? html`${address.map((l, i) => html`${i ? html`<br>` : ''}${l}`)}` : null],
  ['Territoire', [dep ? territories.label(dep) : null, region?.name].filter(Boolean).join(', ') || null],
])}
</section>`;
}

function sourceSection(s: ProfileStructure): Html {
  const date = formatDate(s.sourceUpdatedAt) ?? formatDate(s.updatedAt);
  return html`<section class="fr-mb-5w" aria-labelledby="source">
<h2 id="source" class="fr-h4">Source des données</h2>
${definitionList([
  ['Source', SOURCE_LABEL[s.source] ?? s.source],
  [s.sourceUpdatedAt ? 'Date des données' : 'Dernière mise à jour', date],
  ['Complétée par la structure', s.editedAt ? `le ${formatDate(s.editedAt)}` : null],
])}
</section>`;
}

/** Discreet: those who may edit get the link; others are told how to claim the structure. */
function manageLink(s: Structure): Html {
  const actor = currentActor();
  const place = { id: s.id, communeCode: s.commune?.code, epciCode: s.epciCode, departmentCode: s.departmentCode, regionCode: s.regionCode };
  if (actor.person && canEditStructure(actor, place)) {
    return html`<p class="fr-text--sm fr-mt-3w"><a class="fr-link fr-link--sm fr-icon-edit-line fr-link--icon-left" href="/structures/modifier/${s.id}">Modifier la fiche</a></p>`;
  }
  return html`<p class="fr-text--sm fr-mt-3w">Vous gérez cette structure ?
${actor.person ? '' : html`<a class="fr-link fr-link--sm" href="/structures/modifier/${s.id}">Modifier</a> /`}
<a class="fr-link fr-link--sm" href="/structures/rattachement/${s.id}">Rattacher${actor.person ? ' la structure à mon compte' : ''}</a></p>`;
}

function contactSection(s: Structure): Html {
  const web = safeWebsite(s.website);
  const items: Html[] = [];
  if (web) items.push(html`<li class="fr-icon-global-line pl-contact"><a class="fr-link" href="${web}" rel="noopener">${displayUrl(web)}</a></li>`);
  else if (s.website) items.push(html`<li class="fr-icon-global-line pl-contact">${s.website}</li>`);
  if (s.publicEmail) items.push(html`<li class="fr-icon-mail-line pl-contact"><a class="fr-link" href="mailto:${s.publicEmail}">${s.publicEmail}</a></li>`);
  if (s.publicPhone) items.push(html`<li class="fr-icon-phone-line pl-contact"><a class="fr-link" href="${telHref(s.publicPhone)}">${s.publicPhone}</a></li>`);
  return html`<section class="pl-box fr-mb-3w" aria-labelledby="contact">
<h2 id="contact" class="fr-h5">Contact</h2>
${items.length ? html`<ul class="pl-contacts">${items}</ul>` : html`<p class="fr-mb-0">Cette structure n’a pas publié de contact.</p>`}
</section>`;
}

function profileMap(config: Config, s: Structure): Html {
  const marker = { lat: s.lat as number, lon: s.lon as number, name: s.name, detail: communeLabel(s) };
  return html`<section class="pl-box" aria-labelledby="carte">
<h2 id="carte" class="fr-h5">Localisation</h2>
<div id="carte-structure" class="pl-map pl-map--small" data-map="carte-structure-donnees" role="region" aria-label="Carte : localisation de ${s.name}" hidden></div>
${dataScript('carte-structure-donnees', mapData(config, [marker], undefined, 12))}
<p class="fr-text--sm fr-mb-0 fr-mt-1w">${communeLabel(s)}</p>
</section>`;
}
