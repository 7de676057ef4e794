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
  };
}
