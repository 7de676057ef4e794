// The results page (/structures): filters, list or map of the structures, pagination.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';
import { type Html, html } from '../core/html.ts';
import type { Platform } from '../core/platform.ts';
import { formatKm } from '../modules/directory/area.ts';
import { type Facet, type SearchItem, SearchQuerySchema, type SearchResult, searchStructures } from '../modules/directory/search.ts';
import { FAMILY_LABEL, getReferentials, type Referentials } from '../modules/referentials/service.ts';
import { loadTerritories } from '../modules/territories/data.ts';
import { alert, kindBadges, type Option, options, pagination } from './components.ts';
import { communeField, textField } from './fields.ts';
import { countLabel, formatNumber } from './format.ts';
import { layout } from './layout.ts';
import { dataScript, mapData, type MapMarker } from './map.ts';
import { FIELD_LABEL } from '../core/http.ts';
import { compareFr } from '../core/text.ts';
import { apiQuery, type FormState, queryString, readState, resolveStateCommune } from './search-state.ts';

const RADII = [5, 10, 20, 30, 50, 100];


const valuesOf = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean);

export async function resultsPage(p: Platform, req: FastifyRequest, reply: FastifyReply) {
  const raw = (req.query ?? {}) as Record<string, unknown>;
  const state = readState(raw);
  const refs = await getReferentials(p.db);
  let result: SearchResult | null = null;
  let error: string | null = null;
  try {
    resolveStateCommune(state);
    const parsed = SearchQuerySchema.safeParse(apiQuery(raw, state));
    if (!parsed.success) {
      const fields = [
        ...new Set(
          parsed.error.issues.map((i) => {
            const name = String(i.path[0]);
            const value = typeof i.path[1] === 'number' ? valuesOf(raw[name])[i.path[1]] : valuesOf(raw[name])[0];
            return `${FIELD_LABEL[name] ?? name}${value ? ` (« ${value.slice(0, 40)} »)` : ''}`;
          }),
        ),
      ];
      throw new AppError('INVALID_PARAMETERS', `Paramètre${fields.length > 1 ? 's' : ''} invalide${fields.length > 1 ? 's' : ''} : ${fields.join(', ')}.`, 400);
    }
    result = await searchStructures(p.db, parsed.data);
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    error = err.message;
  }
  const title = error ? 'Erreur dans la recherche – Annuaire' : `${countLabel(result?.total ?? 0)} – Annuaire`;
  const body = layout(p.config, {
    title,
    section: 'directory',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Annuaire' }],
    scripts: state.view === 'map' ? ['autocomplete.js', 'forms.js', 'map.js'] : ['autocomplete.js', 'forms.js'],
    leaflet: state.view === 'map',
    main: html`<div class="fr-container">
<h1>Annuaire des structures inclusives</h1>
<div class="fr-grid-row fr-grid-row--gutters">
<div class="fr-col-12 fr-col-md-4">
${result ? html`<p class="fr-hidden-md"><a class="fr-link fr-icon-arrow-down-line fr-link--icon-right" href="#resultats-titre">Aller aux résultats (${countLabel(result.total)})</a></p>` : ''}
${filters(state, refs, result, p.config.region)}
</div>
<div class="fr-col-12 fr-col-md-8">
${error ? alert('error', 'La recherche n’a pas pu aboutir', error) : ''}
${result ? results(p, state, result) : html`<p><a class="fr-link" href="/structures">Voir toutes les structures</a></p>`}
</div>
</div>
</div>`,
  });
  return reply.status(error ? 400 : 200).type('text/html; charset=utf-8').send(body);
}

// ---------- Filters ----------

const countOf = (facets: Facet[] | undefined, value: string) => facets?.find((f) => f.value === value)?.count;
const withCount = (label: string, n: number | undefined) => (n === undefined ? label : `${label} (${formatNumber(n)})`);

function checkbox(o: { id: string; name: string; value: string; label: string; count?: number; checked: boolean }): Html {
  return html`<div class="fr-fieldset__element">
<div class="fr-checkbox-group fr-checkbox-group--sm">
<input type="checkbox" id="${o.id}" name="${o.name}" value="${o.value}"${o.checked ? html` checked` : ''}>
<label class="fr-label" for="${o.id}">${o.label}${o.count !== undefined ? html`<span class="fr-hint-text">${countLabel(o.count)}</span>` : ''}</label>
</div>
</div>`;
}

function kindFieldset(family: 'insertion' | 'handicap', state: FormState, refs: Referentials, result: SearchResult | null): Html {
  const id = `f-famille-${family}`;
  return html`<fieldset class="fr-fieldset" id="${id}" aria-labelledby="${id}-legend">
<legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="${id}-legend">${FAMILY_LABEL[family]}</legend>
${checkbox({
  id: `f-family-${family}`, name: 'family', value: family, label: 'Tous les types de cette famille',
  count: countOf(result?.facets.families, family), checked: state.family.includes(family),
})}
${refs.kinds
  .filter((k) => k.family === family)
  .map((k) =>
    checkbox({ id: `f-kind-${k.code}`, name: 'kind', value: k.code, label: `${k.name} (${k.code})`, count: countOf(result?.facets.kinds, k.code), checked: state.kind.includes(k.code) }),
  )}
</fieldset>`;
}

function select(o: { id: string; name: string; label: string; body: Html | Html[]; hint?: string }): Html {
  return html`<div class="fr-select-group">
<label class="fr-label" for="${o.id}">${o.label}${o.hint ? html`<span class="fr-hint-text">${o.hint}</span>` : ''}</label>
<select class="fr-select" id="${o.id}" name="${o.name}">
${o.body}
</select>
</div>`;
}

/** Values of a repeatable parameter beyond the first, kept as hidden inputs so a single select does not lose them. */
const extraHidden = (name: string, values: string[]) => values.slice(1).map((v) => html`<input type="hidden" name="${name}" value="${v}">`);

function filters(state: FormState, refs: Referentials, result: SearchResult | null, homeRegion: string): Html {
  const territories = loadTerritories();
  const f = result?.facets;
  const regions = territories.all('region').sort((a, b) => compareFr(a.name, b.name));
  const home = regions.find((r) => r.code === homeRegion);
  const others = regions.filter((r) => r.code !== homeRegion);
  const deps = territories.all('departement').sort((a, b) => a.code.localeCompare(b.code));
  const depOption = (d: (typeof deps)[number]): Option => ({ value: d.code, label: withCount(territories.label(d), countOf(f?.departments, d.code)) });
  const regionOption = (r: (typeof regions)[number]): Option => ({ value: r.code, label: r.name });
  const depsIn = (codes: string[]) => deps.filter((d) => d.regionCode && codes.includes(d.regionCode));
  const sectorCount = (slug: string) => (f ? (countOf(f.sectors, slug) ?? 0) : undefined);
  const sorts: Option[] = [
    { value: 'relevance', label: 'Pertinence' },
    ...(state.communeCode || state.sort === 'distance' ? [{ value: 'distance', label: 'Distance' }] : []),
    { value: 'name', label: 'Nom' },
  ];
  return html`<form method="get" action="/structures" class="pl-filters" id="filtres" aria-labelledby="filtres-titre">
<h2 class="fr-h4" id="filtres-titre">Filtrer les structures</h2>
${state.view === 'map' ? html`<input type="hidden" name="view" value="map">` : ''}
${state.perPage ? html`<input type="hidden" name="perPage" value="${state.perPage}">` : ''}
${textField({ id: 'f-q', name: 'q', value: state.q, label: 'Mots', hint: 'Nom, activité, SIRET ou SIREN' })}
${kindFieldset('insertion', state, refs, result)}
${kindFieldset('handicap', state, refs, result)}
${select({
  id: 'f-sectorGroup', name: 'sectorGroup', label: 'Groupe de secteurs',
  body: [
    html`<option value="">Tous les groupes</option>`,
    ...options(refs.groups.map((g) => ({ value: g.slug, label: withCount(g.name, countOf(f?.sectorGroups, g.slug)) })), state.sectorGroup.slice(0, 1)),
  ],
})}
${extraHidden('sectorGroup', state.sectorGroup)}
${select({
  id: 'f-sector', name: 'sector', label: 'Secteur d’activité',
  body: [
    html`<option value="">Tous les secteurs</option>`,
    ...refs.groups.map(
      (g) => html`<optgroup label="${g.name}">${options(g.sectors.map((s) => ({ value: s.slug, label: withCount(s.name, sectorCount(s.slug)) })), state.sector.slice(0, 1))}</optgroup>`,
    ),
  ],
})}
${extraHidden('sector', state.sector)}
<fieldset class="fr-fieldset" id="f-prestations" aria-labelledby="f-prestations-legend">
<legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="f-prestations-legend">Type de prestation</legend>
${refs.serviceTypes.map((t) =>
  checkbox({ id: `f-serviceType-${t.code}`, name: 'serviceType', value: t.code, label: t.name, count: countOf(f?.serviceTypes, t.code), checked: state.serviceType.includes(t.code) }),
)}
</fieldset>
<fieldset class="fr-fieldset" id="f-lieu" aria-labelledby="f-lieu-legend">
<legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="f-lieu-legend">Lieu <span class="fr-hint-text">Une commune (avec un rayon), un département ou une région</span></legend>
<div class="fr-fieldset__element">
${communeField({ id: 'f-commune', text: state.communeText, code: state.communeCode, label: 'Autour d’une commune' })}
</div>
<div class="fr-fieldset__element">
${select({
  id: 'f-radiusKm', name: 'radiusKm', label: 'Rayon autour de la commune',
  body: [
    html`<option value="">Aucun : la commune seule</option>`,
    ...options(RADII.map((r) => ({ value: String(r), label: `${r} km` })), state.radiusKm),
  ],
})}
</div>
<div class="fr-fieldset__element">
${select({
  id: 'f-department', name: 'department', label: 'Département',
  body: [
    html`<option value="">Tous les départements</option>`,
    home ? html`<optgroup label="${home.name}">${options(depsIn([home.code]).map(depOption), state.department.toUpperCase())}</optgroup>` : html``,
    html`<optgroup label="Autres départements">${options(depsIn(others.map((r) => r.code)).map(depOption), state.department.toUpperCase())}</optgroup>`,
  ],
})}
</div>
<div class="fr-fieldset__element">
${select({
  id: 'f-region', name: 'region', label: 'Région',
  body: [
    html`<option value="">Toutes les régions</option>`,
    html`${home ? options([regionOption(home)], state.region) : ''}`,
    html`<optgroup label="Autres régions">${options(others.map(regionOption), state.region)}</optgroup>`,
  ],
})}
</div>
</fieldset>
${select({ id: 'f-sort', name: 'sort', label: 'Trier par', body: options(sorts, state.sort || 'relevance') })}
<ul class="fr-btns-group fr-btns-group--inline-sm fr-mt-2w">
<li><button type="submit" class="fr-btn fr-icon-search-line fr-btn--icon-left">Rechercher</button></li>
<li><a class="fr-btn fr-btn--tertiary" href="/structures${state.view === 'map' ? '?view=map' : ''}">Réinitialiser</a></li>
</ul>
</form>`;
}

// ---------- Results ----------

function placeSentence(place: SearchResult['place']): string | null {
  if (!place) return null;
  if (place.kind === 'disc') {
    return place.radiusKm ? `Autour de ${place.label}, dans un rayon de ${place.radiusKm} km` : `Situées à ${place.label} ou qui y interviennent`;
  }
  return `Situées sur le territoire ${place.label} ou qui y interviennent`;
}

function viewToggle(state: FormState): Html {
  const link = (view: 'list' | 'map', label: string, icon: string) =>
    html`<li><a class="fr-btn ${icon}${state.view === view ? '' : ' fr-btn--secondary'}" href="/structures${queryString(state, { view })}"${
      state.view === view ? html` aria-current="true"` : ''
    }>${label}</a></li>`;
  return html`<ul class="fr-btns-group fr-btns-group--inline fr-btns-group--sm fr-btns-group--icon-left pl-view-toggle" aria-label="Affichage des résultats">
${link('list', 'Liste', 'fr-icon-list-unordered')}
${link('map', 'Carte', 'fr-icon-road-map-line')}
</ul>`;
}

function results(p: Platform, state: FormState, r: SearchResult): Html {
  const pageCount = Math.min(Math.ceil(r.total / r.perPage), 10000);
  const where = placeSentence(r.place);
  const first = (r.page - 1) * r.perPage + 1;
  const located = r.items.filter((i) => i.lat != null && i.lon != null);
  return html`<section aria-labelledby="resultats-titre">
<div class="pl-results-head">
<div>
<h2 id="resultats-titre" class="fr-h3 fr-mb-1w">${countLabel(r.total)}</h2>
${where ? html`<p class="fr-mb-1w">${where}</p>` : ''}
${r.correctedQuery ? html`<p class="fr-mb-1w fr-text--bold">Résultats pour « ${r.correctedQuery} »</p>` : ''}
${r.items.length && pageCount > 1 ? html`<p class="fr-text--sm fr-mb-1w">Résultats ${formatNumber(first)} à ${formatNumber(first + r.items.length - 1)}, page ${r.page} sur ${formatNumber(pageCount)}</p>` : ''}
</div>
${viewToggle(state)}
</div>
${state.view === 'map' ? resultsMap(p, state, r, located) : ''}
${
  r.items.length
    ? html`<ul class="pl-results">${r.items.map(card)}</ul>`
    : r.total > 0
      ? html`<p>Cette page est vide. <a class="fr-link" href="/structures${queryString(state, { page: '1' })}">Revenir à la première page</a></p>`
      : html`<p>Aucune structure ne correspond à ces critères. Essayez d’enlever un filtre, d’agrandir le rayon ou de vérifier l’orthographe des mots.</p>`
}
${pagination(r.page, pageCount, (page) => `/structures${queryString(state, { page: String(page) })}`)}
</section>`;
}

function resultsMap(p: Platform, state: FormState, r: SearchResult, located: SearchItem[]): Html {
  const markers: MapMarker[] = located.map((i) => ({
    lat: i.lat as number,
    lon: i.lon as number,
    name: i.name,
    href: `/structures/${i.slug}`,
    detail: [`${i.kindName} (${i.kind})`, i.commune?.name].filter(Boolean).join(' – '),
  }));
  const commune = state.communeCode ? loadTerritories().commune(state.communeCode) : undefined;
  const circle =
    r.place?.kind === 'disc' && commune?.lat != null && commune.lon != null
      ? { lat: commune.lat, lon: commune.lon, radiusKm: r.place.radiusKm ?? 0, label: r.place.label }
      : undefined;
  const missing = r.items.length - located.length;
  return html`<div class="fr-mb-3w">
<div id="carte-resultats" class="pl-map" data-map="carte-resultats-donnees" role="region" aria-label="Carte des structures de cette page" hidden></div>
${dataScript('carte-resultats-donnees', mapData(p.config, markers, circle))}
<noscript><p class="fr-text--sm pl-note">La carte demande JavaScript. Les structures de cette page sont listées ci-dessous.</p></noscript>
<p class="fr-text--sm fr-mt-1w">La carte montre les ${formatNumber(located.length)} structures de cette page${missing ? html` (${formatNumber(missing)} sans coordonnées)` : ''} ; la liste ci-dessous donne le détail.</p>
</div>`;
}

function card(item: SearchItem): Html {
  const where = [item.commune?.name && item.departmentCode ? `${item.commune.name} (${item.departmentCode})` : item.commune?.name, item.distanceKm != null ? `à ${formatKm(item.distanceKm)}` : null]
    .filter(Boolean)
    .join(', ');
  return html`<li class="fr-mb-3w">
<div class="fr-card fr-card--sm">
<div class="fr-card__body">
<div class="fr-card__content">
<h3 class="fr-card__title"><a href="/structures/${item.slug}">${item.name}</a></h3>
<div class="fr-card__desc">
${item.brand ? html`<p class="fr-mb-1w">Nom commercial : ${item.brand}</p>` : ''}
<p class="fr-mb-1w">${item.kindName}</p>
${item.sectors.length ? html`<p class="fr-mb-1w"><span class="fr-text--bold">Secteurs :</span> ${item.sectors.join(', ')}</p>` : ''}
${
  item.matchReasons.length
    ? html`<div class="pl-reasons"><p class="fr-text--sm fr-text--bold fr-mb-0">Pourquoi ce résultat</p>
<ul class="fr-text--sm fr-mb-0">${item.matchReasons.map((m) => html`<li>${m}</li>`)}</ul></div>`
    : ''
}
</div>
<div class="fr-card__start">${kindBadges(item.kind, item.kindName, item.family)}</div>
${where ? html`<div class="fr-card__end"><p class="fr-card__detail fr-icon-map-pin-2-line">${where}</p></div>` : ''}
</div>
</div>
</div>
</li>`;
}
