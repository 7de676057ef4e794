// Content-Security-Policy of the pages: DSFR and Leaflet from our own origin, no inline script or style.
import type { Config } from '../core/config.ts';

/** Origin allowed for map tiles, from a Leaflet URL template ("https://{s}.tile.example.org/{z}/{x}/{y}.png"). */
export function tileOrigin(url: string | null): string | null {
  if (!url) return null;
  const m = /^(https?:\/\/)([^/]+)/i.exec(url.trim());
  if (!m) return null;
  // A {s} subdomain becomes a wildcard; other placeholders cannot be expressed in a host.
  const host = m[2].replace(/^\{s\}\./, '*.');
  return /[{}]/.test(host) ? null : `${m[1]}${host}`;
}

export function contentSecurityPolicy(config: Config, url: string): string {
  const tiles = tileOrigin(config.mapTileUrl);
  // Swagger UI (the API docs) sets inline styles.
  const docs = url.startsWith('/api/docs');
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self'${docs ? " 'unsafe-inline'" : ''}`,
    `img-src 'self' data:${tiles ? ` ${tiles}` : ''}`,
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
