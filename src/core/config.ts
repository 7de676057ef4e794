// Runtime configuration, read once from the environment.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  demo: boolean;
  publicUrl: string;
  mapTileUrl: string | null;
  mapTileAttribution: string;
  logLevel: string;
  production: boolean;
  operatorName: string;
  /** INSEE code of the operator's région: listed first in the filters. */
  region: string;
  stateMarks: boolean;
  /** SMTP server for mail (smtp://user:pass@host:port); without it, mail goes to the outbox table (/dev/mails). */
  smtpUrl: string | null;
  mailFrom: string;
  /** Where uploaded files (logos) are stored. */
  uploadDir: string;
  /** Whether this process runs background jobs (the web server does by default; `passerelles worker` always). */
  runJobs: boolean;
  /**
   * Behind a reverse proxy: which hops of X-Forwarded-For to trust for the client address (rate limits):
   * a number of proxies, or their addresses/CIDR ranges; false when not behind a proxy.
   */
  trustProxy: false | number | string;
  /** Made a platform administrator at start-up when not one already (a sign-in link is mailed). */
  adminEmail: string | null;
  /** How often (ms) each process looks for ready jobs. */
  jobsPollMs: number;
  /**
   * The /dev/mails page (mail kept in the outbox, sign-in links included): only outside production,
   * without SMTP, and on a local address unless DEV_MAILS=on says otherwise.
   */
  devMails: boolean;
  /** Who may read /dev/mails when it exists: this machine only ('local', the default) or anyone (DEV_MAILS=on). */
  devMailsFrom: 'local' | 'anyone';
  /** Tender watch: an address to fetch notices from on a schedule (nothing is fetched without it). */
  noticesFetchUrl: string | null;
  /** Format of what that address serves: boamp, boamp-xml, eforms or decp. */
  noticesFetchFormat: string;
  /** Hours between two fetches. */
  noticesFetchHours: number;
}

/** TRUST_PROXY: off (default), a number of proxies in front, or their addresses ("10.0.0.0/8,127.0.0.1"). */
function trustProxyOf(v: string | undefined): false | number | string {
  const t = (v ?? '').trim();
  if (!t || t.toLowerCase() === 'off') return false;
  // "on" means the usual single reverse proxy: trusting every hop would let clients choose their address.
  if (t.toLowerCase() === 'on') return 1;
  return /^\d+$/.test(t) ? Number(t) : t;
}

function devMailsEnabled(env: NodeJS.ProcessEnv, port: number): boolean {
  if (env.NODE_ENV === 'production' || env.SMTP_URL?.trim()) return false;
  const flag = (env.DEV_MAILS ?? '').toLowerCase();
  if (flag === 'on' || flag === 'off') return flag === 'on';
  const host = new URL(env.PUBLIC_URL ?? `http://localhost:${port}`).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 3000);
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL?.trim() || null,
    // Default: .data in the checkout; DATA_DIR moves it (relative to where the command runs).
    dataDir: env.DATA_DIR ? path.resolve(process.cwd(), env.DATA_DIR) : path.join(ROOT_DIR, '.data'),
    demo: (env.DEMO ?? 'on').toLowerCase() !== 'off',
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, ''),
    // No tile server by default: the map draws markers and boundaries only.
    mapTileUrl: env.MAP_TILE_URL?.trim() || null,
    mapTileAttribution: env.MAP_TILE_ATTRIBUTION ?? '',
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    production: env.NODE_ENV === 'production',
    operatorName: env.OPERATOR_NAME ?? 'DREETS Hauts-de-France',
    region: env.REGION ?? '32',
    stateMarks: (env.STATE_MARKS ?? 'on').toLowerCase() !== 'off',
    smtpUrl: env.SMTP_URL?.trim() || null,
    mailFrom: env.MAIL_FROM ?? 'Passerelles <ne-pas-repondre@passerelles.localhost>',
    uploadDir: env.UPLOAD_DIR ? path.resolve(process.cwd(), env.UPLOAD_DIR) : path.join(env.DATA_DIR ? path.resolve(process.cwd(), env.DATA_DIR) : path.join(ROOT_DIR, '.data'), 'uploads'),
    runJobs: (env.RUN_JOBS ?? 'on').toLowerCase() !== 'off',
    trustProxy: trustProxyOf(env.TRUST_PROXY),
    adminEmail: env.ADMIN_EMAIL?.trim() || null,
    jobsPollMs: Math.max(10, Number(env.JOBS_POLL_MS) || 1000),
    devMails: devMailsEnabled(env, port),
    devMailsFrom: (env.DEV_MAILS ?? '').toLowerCase() === 'on' ? 'anyone' : 'local',
    noticesFetchUrl: env.NOTICES_FETCH_URL?.trim() || null,
    noticesFetchFormat: (env.NOTICES_FETCH_FORMAT ?? 'boamp').trim(),
    noticesFetchHours: Math.max(1, Number(env.NOTICES_FETCH_HOURS) || 24),
  };
}
