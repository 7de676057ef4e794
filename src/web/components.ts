// DSFR building blocks used by several pages.
import { type Html, html } from '../core/html.ts';

export function alert(kind: 'error' | 'info' | 'warning' | 'success', title: string, message: string | Html): Html {
  return html`<div class="fr-alert fr-alert--${kind} fr-mb-3w">
<h2 class="fr-alert__title">${title}</h2>
<p>${message}</p>
</div>`;
}

const FAMILY_BADGE = { insertion: 'fr-badge--blue-ecume', handicap: 'fr-badge--purple-glycine' } as const;
export const FAMILY_SHORT = { insertion: 'Insertion', handicap: 'Handicap' } as const;

/** Kind code and family, as DSFR badges. */
export function kindBadges(kind: string, kindName: string, family: 'insertion' | 'handicap'): Html {
  return html`<ul class="fr-badges-group">
<li><p class="fr-badge fr-badge--sm ${FAMILY_BADGE[family]}"><abbr title="${kindName}">${kind}</abbr></p></li>
<li><p class="fr-badge fr-badge--sm">${FAMILY_SHORT[family]}</p></li>
</ul>`;
}

/** DSFR pagination; hrefOf(page) builds the link that keeps every other parameter. */
export function pagination(page: number, pageCount: number, hrefOf: (page: number) => string): Html {
  if (pageCount <= 1) return html``;
  const link = (p: number, label: string, cls: string, title?: string) =>
    p < 1 || p > pageCount || p === page
      ? html`<li><a class="fr-pagination__link ${cls}" aria-disabled="true" role="link">${label}</a></li>`
      : html`<li><a class="fr-pagination__link ${cls}" href="${hrefOf(p)}"${title ? html` title="${title}"` : ''}>${label}</a></li>`;
  const pages = new Set([1, pageCount, page - 1, page, page + 1].filter((p) => p >= 1 && p <= pageCount));
  const sorted = [...pages].sort((a, b) => a - b);
  const items: Html[] = [];
  let prev = 0;
  for (const p of sorted) {
    if (p - prev > 1) items.push(html`<li><span class="fr-pagination__link pl-ellipsis" aria-hidden="true">…</span></li>`);
    items.push(
      p === page
        ? html`<li><a class="fr-pagination__link" aria-current="page" title="Page ${p}">${p}</a></li>`
        : html`<li><a class="fr-pagination__link" href="${hrefOf(p)}" title="Page ${p}">${p}</a></li>`,
    );
    prev = p;
  }
  return html`<nav class="fr-pagination fr-mt-4w" aria-label="Pagination">
<ul class="fr-pagination__list">
${link(1, 'Première page', 'fr-pagination__link--first')}
${link(page - 1, 'Page précédente', 'fr-pagination__link--prev fr-pagination__link--lg-label')}
${items}
${link(page + 1, 'Page suivante', 'fr-pagination__link--next fr-pagination__link--lg-label')}
${link(pageCount, 'Dernière page', 'fr-pagination__link--last')}
</ul>
</nav>`;
}

/** A DSFR system pictogram (decorative). */
export function pictogram(name: string): Html {
  const src = `/static/dsfr/artwork/pictograms/system/${name}.svg`;
  return html`<svg class="fr-artwork fr-responsive-img" aria-hidden="true" viewBox="0 0 80 80" width="150" height="150">
<use class="fr-artwork-decorative" href="${src}#artwork-decorative"></use>
<use class="fr-artwork-minor" href="${src}#artwork-minor"></use>
<use class="fr-artwork-major" href="${src}#artwork-major"></use>
</svg>`;
}

export interface Option {
  value: string;
  label: string;
}

export function options(list: Option[], selected: string[] | string): Html[] {
  const sel = Array.isArray(selected) ? selected : [selected];
  return list.map((o) => html`<option value="${o.value}"${sel.includes(o.value) ? html` selected` : ''}>${o.label}</option>`);
}
