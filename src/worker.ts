// `passerelles worker`: a process that only runs background jobs (mail…), for deployments that scale
// them apart from the web processes. Any number of workers and web processes share the queue.
import { loadConfig } from './core/config.ts';
import { startJobRunner } from './core/jobs.ts';
import { openPlatform } from './core/platform.ts';
// Job handlers are registered by the modules that define them: load the same modules as a web process.
import './core/mail.ts';
import './app.ts';

const say = (m: string) => console.log(`[passerelles] ${m}`);

export async function startWorker(): Promise<void> {
  const config = loadConfig();
  say(config.databaseUrl ? 'Base PostgreSQL (DATABASE_URL).' : `Base embarquée PGlite dans ${config.dataDir} : un seul processus à la fois (le serveur web traite déjà lui-même les tâches).`);
  // Migrations are idempotent and serialised by an advisory lock: a worker may start with the web processes.
  const platform = await openPlatform(config, say, { setup: true });
  const runner = startJobRunner(platform);
  say(`Worker prêt : traite les tâches de fond (envoi des mails…)${config.smtpUrl ? '' : ' ; sans SMTP_URL, les mails restent dans la boîte d’envoi (/dev/mails)'}.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('Arrêt du worker : fin de la tâche en cours…');
    await runner.stop();
    await platform.db.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  startWorker().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
