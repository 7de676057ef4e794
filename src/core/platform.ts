// Opening the platform: database, migrations, reference data and, on an empty directory, the demo territory.
import type { Config } from './config.ts';
import { type Db, openDb } from './db.ts';
import { migrate } from './migrate.ts';
import { seedReferentials } from '../modules/referentials/service.ts';
import { seedDemo } from '../modules/directory/demo.ts';
import { loadTerritories } from '../modules/territories/data.ts';
import { addPlatformAdmin, isPlatformAdminEmail } from '../modules/accounts/service.ts';

export interface Platform {
  db: Db;
  config: Config;
}

export async function openPlatform(config: Config, log: (msg: string) => void = () => {}, opts: { setup?: boolean } = {}): Promise<Platform> {
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  loadTerritories();
  if (opts.setup === false) return { db, config };
  const applied = await migrate(db);
  if (applied.length) log(`Migrations appliquées : ${applied.join(', ')}`);
  await seedReferentials(db);
  if (config.demo) {
    const report = await seedDemo(db);
    if (report) log(`Territoire de démonstration chargé : ${report.created} structures (Hauts-de-France).`);
  }
  const platform = { db, config };
  if (config.adminEmail && !(await isPlatformAdminEmail(db, config.adminEmail))) {
    await addPlatformAdmin(platform, config.adminEmail);
    log(`${config.adminEmail} est administrateur de la plateforme : un lien de connexion lui est envoyé${config.smtpUrl ? '' : ' (voir /dev/mails)'}.`);
  }
  return platform;
}
