// DSFR form building blocks for pages that change something: fields with their error, the CSRF field,
// an error summary. Search forms (GET) use src/web/fields.ts.
import { type Html, html } from '../core/html.ts';
import { CSRF_FIELD } from '../modules/accounts/http.ts';

export type FieldErrors = Record<string, string>;

export const csrfField = (token: string) => html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;

interface InputOptions {
  id: string;
  name: string;
  label: string;
  value?: string | number | null;
  hint?: string | Html;
  type?: 'text' | 'email' | 'password' | 'number' | 'url' | 'tel' | 'date';
  autocomplete?: string;
  required?: boolean;
  maxlength?: number;
  min?: number;
  max?: number;
  errors?: FieldErrors;
}

export function inputField(o: InputOptions): Html {
  const error = o.errors?.[o.name];
  const errId = `${o.id}-erreur`;
  return html`<div class="fr-input-group${error ? ' fr-input-group--error' : ''}">
<label class="fr-label" for="${o.id}">${o.label}${o.required ? html` <span aria-hidden="true">*</span>` : ''}${o.hint ? html`<span class="fr-hint-text">${o.hint}</span>` : ''}</label>
<input class="fr-input${error ? ' fr-input--error' : ''}" type="${o.type ?? 'text'}" id="${o.id}" name="${o.name}" value="${o.value ?? ''}"${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''}${o.required ? html` required` : ''}${o.maxlength ? html` maxlength="${o.maxlength}"` : ''}${o.min !== undefined ? html` min="${o.min}"` : ''}${o.max !== undefined ? html` max="${o.max}"` : ''}${error ? html` aria-describedby="${errId}" aria-invalid="true"` : ''}>
${error ? html`<p id="${errId}" class="fr-error-text">${error}</p>` : ''}
</div>`;
}

export function textareaField(o: { id: string; name: string; label: string; value?: string | null; hint?: string; rows?: number; maxlength?: number; errors?: FieldErrors }): Html {
  const error = o.errors?.[o.name];
  const errId = `${o.id}-erreur`;
  return html`<div class="fr-input-group${error ? ' fr-input-group--error' : ''}">
<label class="fr-label" for="${o.id}">${o.label}${o.hint ? html`<span class="fr-hint-text">${o.hint}</span>` : ''}</label>
<textarea class="fr-input${error ? ' fr-input--error' : ''}" id="${o.id}" name="${o.name}" rows="${o.rows ?? 5}"${o.maxlength ? html` maxlength="${o.maxlength}"` : ''}${error ? html` aria-describedby="${errId}" aria-invalid="true"` : ''}>${o.value ?? ''}</textarea>
${error ? html`<p id="${errId}" class="fr-error-text">${error}</p>` : ''}
</div>`;
}

export function selectField(o: { id: string; name: string; label: string; options: { value: string; label: string }[]; value?: string | null; hint?: string; placeholder?: string; errors?: FieldErrors }): Html {
  const error = o.errors?.[o.name];
  const errId = `${o.id}-erreur`;
  return html`<div class="fr-select-group${error ? ' fr-select-group--error' : ''}">
<label class="fr-label" for="${o.id}">${o.label}${o.hint ? html`<span class="fr-hint-text">${o.hint}</span>` : ''}</label>
<select class="fr-select${error ? ' fr-select--error' : ''}" id="${o.id}" name="${o.name}"${error ? html` aria-describedby="${errId}" aria-invalid="true"` : ''}>
${o.placeholder !== undefined ? html`<option value="">${o.placeholder}</option>` : ''}
${o.options.map((x) => html`<option value="${x.value}"${x.value === o.value ? html` selected` : ''}>${x.label}</option>`)}
</select>
${error ? html`<p id="${errId}" class="fr-error-text">${error}</p>` : ''}
</div>`;
}

/** An error shown above a form, with the list of fields to correct. */
export function formError(message: string | null | undefined): Html {
  if (!message) return html``;
  return html`<div class="fr-alert fr-alert--error fr-mb-3w" role="alert">
<h2 class="fr-alert__title">Le formulaire n’a pas pu être envoyé</h2>
<p>${message}</p>
</div>`;
}

/** A success or information message shown after an action (given as a code in the address, never as free text). */
export function notice(kind: 'success' | 'info' | 'warning', title: string, message?: string | Html): Html {
  return html`<div class="fr-alert fr-alert--${kind} fr-mb-3w" role="status">
<h2 class="fr-alert__title">${title}</h2>
${message ? html`<p>${message}</p>` : ''}
</div>`;
}
