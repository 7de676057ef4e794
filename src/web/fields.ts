// Form fields shared by the home page and the results page.
import { type Html, html } from '../core/html.ts';

/**
 * The commune field. Without JavaScript it sends what was typed as "lieu" (postal code, name or INSEE
 * code, resolved by the server); autocomplete.js turns it into a combobox that also sends the chosen
 * commune's INSEE code in a hidden input named "commune" (which wins over the text).
 */
export function communeField(o: { id: string; text: string; code: string; label: string; hint?: string }): Html {
  return html`<div class="fr-input-group pl-autocomplete">
<label class="fr-label" for="${o.id}">${o.label}<span class="fr-hint-text">${o.hint ?? 'Nom, code postal ou code INSEE de la commune'}</span></label>
<input class="fr-input" type="text" id="${o.id}" name="lieu" value="${o.text}" data-autocomplete="commune" data-code="${o.code}" autocomplete="off" spellcheck="false" maxlength="100">
</div>`;
}

export function textField(o: { id: string; name: string; value: string; label: string; hint?: string; type?: string }): Html {
  return html`<div class="fr-input-group">
<label class="fr-label" for="${o.id}">${o.label}${o.hint ? html`<span class="fr-hint-text">${o.hint}</span>` : ''}</label>
<input class="fr-input" type="${o.type ?? 'text'}" id="${o.id}" name="${o.name}" value="${o.value}" maxlength="200">
</div>`;
}
