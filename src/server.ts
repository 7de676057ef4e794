// Starts the platform: web pages and API in one process, or in WEB_CONCURRENCY processes sharing the port
// (with a PostgreSQL server: the embedded database belongs to one process).
import cluster from 'node:cluster';
import { buildApp } from './app.ts';
import { loadConfig } from './core/config.ts';
import { startJobRunner } from './core/jobs.ts';
import './core/mail.ts';
import { openPlatform } from './core/platform.ts';

const say = (m: string) => console.log(`[passerelles] ${m}`);

export async function startServer() {
  const config = loadConfig();
  const t0 = Date.now();
  const workers = Math.max(1, Number(process.env.WEB_CONCURRENCY ?? 1) || 1);
  if (cluster.isPrimary && workers > 1) {
    if (config.databaseUrl) return startPrimary(workers);
    say('WEB_CONCURRENCY demande un serveur PostgreSQL (DATABASE_URL) : la base embarquée sert un seul processus.');
  }
  if (cluster.isPrimary) {
    say(config.databaseUrl ? 'Base PostgreSQL (DATABASE_URL).' : `Base embarquée PGlite dans ${config.dataDir} (pour essayer et développer ; pas pour des données de production).`);
  }
  // A worker's primary has already migrated and seeded the database.
  const platform = await openPlatform(config, say, { setup: cluster.isPrimary });
  const app = await buildApp(platform);
  await app.listen({ port: config.port, host: config.host });
  // Background jobs (mail…) run in every web process unless RUN_JOBS=off (then `passerelles worker` runs them).
  const jobs = config.runJobs ? startJobRunner(platform) : null;
  if (cluster.isPrimary) say(`Prête en ${((Date.now() - t0) / 1000).toFixed(1)} s : ${config.publicUrl}`);
  const stop = async () => {
    await app.close();
    await jobs?.stop();
    await platform.db.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function startPrimary(workers: number) {
  const config = loadConfig();
  const t0 = Date.now();
  say('Base PostgreSQL (DATABASE_URL).');
  const platform = await openPlatform(config, say);
  await platform.db.close();
  let stopping = false;
  let ready = 0;
  cluster.on('listening', () => {
    if (++ready === workers) say(`Prête en ${((Date.now() - t0) / 1000).toFixed(1)} s : ${config.publicUrl} (${workers} processus web)`);
  });
  cluster.on('exit', (worker, code) => {
    if (stopping) return;
    say(`Processus web ${worker.process.pid} arrêté (code ${code}) : relancé.`);
    cluster.fork();
  });
  for (let i = 0; i < workers; i++) cluster.fork();
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
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
