// Starts the platform: web pages, API (and, later, background jobs) in one process.
import { buildApp } from './app.ts';
import { loadConfig } from './core/config.ts';
import { openPlatform } from './core/platform.ts';

export async function startServer() {
  const config = loadConfig();
  const t0 = Date.now();
  const say = (m: string) => console.log(`[passerelles] ${m}`);
  say(config.databaseUrl ? 'Base PostgreSQL (DATABASE_URL).' : `Base embarquée PGlite dans ${config.dataDir} (pour essayer et développer ; pas pour des données de production).`);
  const platform = await openPlatform(config, say);
  const app = await buildApp(platform);
  await app.listen({ port: config.port, host: config.host });
  say(`Prête en ${((Date.now() - t0) / 1000).toFixed(1)} s : ${config.publicUrl}`);
  const stop = async () => {
    await app.close();
    await platform.db.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  startServer().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
