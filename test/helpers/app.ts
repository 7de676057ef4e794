// An app on a fresh test database, for HTTP tests through app.inject().
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/core/config.ts';
import type { Db } from '../../src/core/db.ts';
import type { Platform } from '../../src/core/platform.ts';
import { createTestDb } from './db.ts';

export async function createTestApp(env: Record<string, string> = {}): Promise<{ app: FastifyInstance; db: Db; platform: Platform; close: () => Promise<void> }> {
  const db = await createTestDb();
  const config = { ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DEMO: 'off', ...env }) };
  const platform: Platform = { db, config };
  const app = await buildApp(platform);
  await app.ready();
  return {
    app,
    db,
    platform,
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}
