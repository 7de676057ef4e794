// The home page: presentation, search form, quick links and figures.
import { compareFr } from '../core/text.ts';
import { html } from '../core/html.ts';
import type { Platform } from '../core/platform.ts';
import { SearchQuerySchema, searchStructures } from '../modules/directory/search.ts';
import { FAMILY_LABEL } from '../modules/referentials/service.ts';
import { communeField, textField } from './fields.ts';
import { countLabel, formatNumber } from './format.ts';
import { layout, SITE_NAME } from './layout.ts';

export async function homePage(p: Platform): Promise<string> {
  // Same counting rules as the search: active, visible structures.
  const all = await searchStructures(p.db, SearchQuerySchema.parse({ perPage: 1 }));
  const families = all.facets.families;
  const kinds = all.facets.kinds;
  const groups = [...all.facets.sectorGroups].sort((a, b) => b.count - a.count || compareFr(a.label, b.label)).slice(0, 8);
  const familyTile = (family: 'insertion' | 'handicap', text: string) => {
    const n = families.find((f) => f.value === family)?.count ?? 0;
    return html`<div class="fr-col-12 fr-col-md-6">
<div class="fr-tile fr-enlarge-link">
<div class="fr-tile__body">
<div class="fr-tile__content">
<h3 class="fr-tile__title"><a href="/structures?family=${family}">${FAMILY_LABEL[family]}</a></h3>
<p class="fr-tile__desc">${text}</p>
<p class="fr-tile__detail">${countLabel(n)}</p>
</div>
</div>
</div>
</div>`;
  };
  return layout(p.config, {
    title: 'Accueil',
    section: 'home',
    scripts: ['autocomplete.js', 'forms.js'],
    main: html`<div class="pl-hero fr-py-6w">
<div class="fr-container">
<h1>Trouver une structure inclusive</h1>
<p class="fr-text--lead">${SITE_NAME} recense les entreprises d’insertion, ateliers et chantiers d’insertion, entreprises adaptées, ESAT et autres employeurs inclusifs, leurs activités et les lieux où ils interviennent. Acheteurs, facilitateurs des clauses sociales, entreprises : trouvez un partenaire près de chez vous.</p>
<form method="get" action="/structures" class="pl-home-search" aria-labelledby="recherche-titre">
<h2 id="recherche-titre" class="fr-h4">Rechercher dans l’annuaire</h2>
<div class="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
<div class="fr-col-12 fr-col-md-5">${textField({ id: 'accueil-q', name: 'q', value: '', label: 'Activité ou nom', hint: 'Par exemple : nettoyage, espaces verts, traiteur' })}</div>
<div class="fr-col-12 fr-col-md-4">${communeField({ id: 'accueil-commune', text: '', code: '', label: 'Commune', hint: 'Nom, code postal ou code INSEE' })}</div>
<div class="fr-col-12 fr-col-md-3"><button type="submit" class="fr-btn fr-icon-search-line fr-btn--icon-left pl-home-submit">Rechercher</button></div>
</div>
</form>
</div>
</div>
<div class="fr-container fr-mt-6w">
<section aria-labelledby="chiffres" class="fr-mb-6w">
<h2 id="chiffres">L’annuaire en chiffres</h2>
<ul class="pl-figures">
<li><span class="pl-figure">${formatNumber(all.total)}</span> structures inclusives</li>
${families.map((f) => html`<li><span class="pl-figure">${formatNumber(f.count)}</span> ${f.value === 'insertion' ? 'structures de l’insertion par l’activité économique' : 'structures du secteur du handicap'}</li>`)}
</ul>
<details class="fr-mt-2w">
<summary>Détail par type de structure</summary>
<ul class="fr-mt-1w">${kinds.map((k) => html`<li><a href="/structures?kind=${k.value}">${k.label} (${k.value})</a> : ${countLabel(k.count)}</li>`)}</ul>
</details>
</section>
<section aria-labelledby="familles" class="fr-mb-6w">
<h2 id="familles">Parcourir par famille</h2>
<div class="fr-grid-row fr-grid-row--gutters">
${familyTile('insertion', 'Entreprises d’insertion, associations intermédiaires, ateliers et chantiers d’insertion, ETTI, GEIQ…')}
${familyTile('handicap', 'Entreprises adaptées, entreprises adaptées de travail temporaire et ESAT.')}
</div>
</section>
<section aria-labelledby="secteurs" class="fr-mb-6w">
<h2 id="secteurs">Parcourir par secteur</h2>
<ul class="fr-tags-group">
${groups.map((g) => html`<li><a class="fr-tag" href="/structures?sectorGroup=${g.value}">${g.label} (${formatNumber(g.count)})</a></li>`)}
</ul>
<p class="fr-mt-2w"><a class="fr-link fr-icon-arrow-right-line fr-link--icon-right" href="/structures">Voir toutes les structures</a></p>
</section>
</div>`,
  });
}
