// Small French formatting helpers for the pages.

const NUMBER = new Intl.NumberFormat('fr-FR');
const DECIMAL = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });
const DATE = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });
const DAY = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'UTC' });

export const formatNumber = (n: number) => NUMBER.format(n);
export const formatDecimal = (n: number) => DECIMAL.format(n);

/** "1 structure", "12 structures", "Aucune structure". */
export function countLabel(n: number, one = 'structure', many = 'structures', none = 'Aucune structure'): string {
  if (n === 0) return none;
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}

/** A calendar date (YYYY-MM-DD) or a timestamp, as "1 novembre 2026". */
export function formatDate(value: string | Date | null | undefined): string | null {
  if (!value) return null;
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const d = new Date(`${value}T00:00:00Z`);
    return Number.isNaN(d.getTime()) ? null : DAY.format(d);
  }
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : DATE.format(d);
}

/** A website as a safe http(s) URL, or null when it cannot be one. */
export function safeWebsite(value: string | null | undefined): string | null {
  if (!value) return null;
  const v = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(v) ? v : `https://${v}`;
  try {
    const u = new URL(withScheme);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : null;
  } catch {
    return null;
  }
}

/** A website as people read it: without scheme nor trailing slash. */
export const displayUrl = (url: string) => url.replace(/^https?:\/\//, '').replace(/\/$/, '');

/** tel: link target from a French phone number as typed. */
export const telHref = (phone: string) => `tel:${phone.replace(/[^\d+]/g, '')}`;
