// The passerelles command: server, database, imports and exports.
import fs from 'node:fs';
import { loadConfig } from './core/config.ts';
import { openDb } from './core/db.ts';
import { AppError } from './core/errors.ts';
import { migrate } from './core/migrate.ts';
import { seedDemo } from './modules/directory/demo.ts';
import { exportStructures, EXPORT_FORMATS, type ExportFormat } from './modules/directory/exports.ts';
import { IMPORT_FORMATS, type ImportFormat, readStructuresFile } from './modules/directory/imports/index.ts';
import { importStructures, type ImportReport } from './modules/directory/service.ts';
import { seedReferentials } from './modules/referentials/service.ts';
import { startServer } from './server.ts';
import { startWorker } from './worker.ts';
import { runReadyJobs } from './core/jobs.ts';
import './core/mail.ts';
import { openPlatform } from './core/platform.ts';
import { addPlatformAdmin } from './modules/accounts/service.ts';
import { classifyNotice } from './modules/notices/classify.ts';
import { readNotices } from './modules/notices/formats/read.ts';
import { NOTICE_FORMATS, type NoticeFormat } from './modules/notices/model.ts';
import { type ImportReport as NoticeImportReport, importNotices } from './modules/notices/service.ts';

const HELP = `passerelles — la plateforme territoriale de l'inclusion dans l'emploi

Usage :
  passerelles start                                  démarre la plateforme (PORT, DATABASE_URL, DATA_DIR, DEMO)
  passerelles worker                                 traite les tâches de fond (mails) dans un processus à part
  passerelles admin add COURRIEL                     fait de cette personne un administrateur de la plateforme
                                                     (compte créé s’il n’existe pas ; lien de connexion envoyé par courriel)
  passerelles db migrate                             applique les migrations et les référentiels
  passerelles db seed demo [--count N] [--force]     charge le territoire de démonstration
  passerelles import structures --format F FICHIER   importe des structures (F : ${IMPORT_FORMATS.join(', ')})
        [--dry-run] [--accept-partial] [--json]
  passerelles export structures --format F [--out FICHIER]   exporte l'annuaire (F : ${EXPORT_FORMATS.join(', ')})
  passerelles import notices --format F FICHIER|DOSSIER      importe des avis de marchés (F : ${NOTICE_FORMATS.join(', ')})
        [--json]                                     (un avis déjà vu est mis à jour, jamais dupliqué)
  passerelles classify notices --format F FICHIER|DOSSIER [--json]
                                                     classe les avis sans les importer (un objet JSON par ligne avec --json)
`;

function flag(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
}
function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

async function withDb<T>(fn: (db: Awaited<ReturnType<typeof openDb>>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db);
    await seedReferentials(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** A progress bar on a terminal, nothing when the output is a file or a pipe. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  if (!stream.isTTY) return () => {};
  return (done: number, total: number) => {
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : width;
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    if (done >= total) stream.write('\n');
  };
}

/** A running count on a terminal (streamed files have no total), nothing in a file or a pipe. */
export function progressCounter(label: string, stream: NodeJS.WriteStream = process.stderr) {
  if (!stream.isTTY) return (_n: number, _done?: boolean) => {};
  return (n: number, done = false) => stream.write(`\r${label} lus : ${n}${done ? '\n' : ''}`);
}

export function formatNoticeReport(r: NoticeImportReport): string {
  const lines = [
    'Import des avis terminé.',
    `  enregistrements lus : ${r.read}`,
    `  créés               : ${r.inserted}`,
    `  mis à jour          : ${r.updated}`,
    `  inchangés           : ${r.unchanged}`,
    `  rejetés             : ${r.rejected.length}`,
  ];
  for (const x of r.rejected) lines.push(`    ${rejection(x)}`);
  return lines.join('\n');
}

/** A rejected record for people: its position, its message (without the position it may start with) and its code. */
function rejection(x: { position: string; message: string; code: string }): string {
  const lead = /^([^:]{1,60}?) : /.exec(x.message);
  const message = lead && x.position.toLowerCase().includes(lead[1].toLowerCase()) ? x.message.slice(lead[0].length) : x.message;
  return `${x.position} : ${message} [${x.code}]`;
}

/** Prints the classification of every notice, without a database; unreadable records go to stderr. */
async function classifyCommand(format: NoticeFormat, file: string, json: boolean): Promise<number> {
  let read = 0;
  let rejected = 0;
  for await (const item of readNotices(format, file)) {
    read++;
    if (!item.ok) {
      rejected++;
      process.stderr.write(`${rejection(item)}\n`);
      continue;
    }
    const c = classifyNotice(item.notice);
    if (json) {
      if (!process.stdout.write(`${JSON.stringify(c)}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    } else {
      const flags = [c.reserved.length ? `réservé (${c.reserved.join(', ')})` : '', c.socialClause ? 'clause sociale' : '', c.socialCriterion ? 'critère social' : '', c.environmental ? 'environnement' : '', c.insertionHours ? `${c.insertionHours} h d’insertion` : ''].filter(Boolean);
      process.stdout.write(`${c.source} ${c.id} : ${flags.join(' · ') || 'rien de social ni d’environnemental'} — ${item.notice.title}\n`);
    }
  }
  return read > 0 && rejected === read ? 1 : 0;
}

export function formatReport(r: ImportReport): string {
  const lines = [
    `${r.dryRun ? 'Simulation (--dry-run) : rien n’a été écrit.' : r.applied ? 'Import appliqué.' : 'Import refusé : rien n’a été écrit (des lignes sont rejetées ; --accept-partial écrit les lignes valides).'}`,
    `  lignes lues   : ${r.total}`,
    `  créées        : ${r.created}`,
    `  mises à jour  : ${r.updated}`,
    `  inchangées    : ${r.unchanged}`,
    `  rejetées      : ${r.rejected.length}`,
  ];
  for (const x of r.rejected) lines.push(`    ligne ${x.line}${x.siret ? ` (SIRET ${x.siret})` : ''} : ${x.reason} [${x.code}]`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  const [cmd, sub, ...rest] = args;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  if (cmd === 'start') {
    await startServer();
    return -1; // keeps running
  }
  if (cmd === 'worker') {
    await startWorker();
    return -1; // keeps running
  }
  if (cmd === 'admin' && sub === 'add') {
    const email = rest[0];
    if (!email) {
      console.error('Indiquez l’adresse électronique : passerelles admin add nom@domaine.fr');
      return 2;
    }
    const config = loadConfig();
    const platform = await openPlatform({ ...config, demo: false });
    try {
      const r = await addPlatformAdmin(platform, email);
      // The sign-in link goes out now (this command does not wait for a server to send it).
      await runReadyJobs(platform);
      console.log(`${r.created ? 'Compte créé et nommé' : 'Compte nommé'} administrateur de la plateforme : ${email.trim().toLowerCase()}.`);
      console.log(config.smtpUrl ? 'Un lien de connexion lui a été envoyé par courriel.' : 'Un lien de connexion est dans la boîte d’envoi : /dev/mails (sans serveur SMTP).');
    } finally {
      await platform.db.close();
    }
    return 0;
  }
  if (cmd === 'db' && sub === 'migrate') {
    await withDb(async () => {});
    console.log('Base à jour (migrations et référentiels).');
    return 0;
  }
  if (cmd === 'db' && sub === 'seed' && rest[0] === 'demo') {
    const count = Number(option(rest, '--count') ?? 2400);
    const force = flag(rest, '--force');
    const report = await withDb((db) => seedDemo(db, { count, force }));
    console.log(report ? formatReport(report) : 'L’annuaire contient déjà des structures : rien n’a été chargé (--force pour charger quand même).');
    return 0;
  }
  if (cmd === 'import' && sub === 'structures') {
    const format = option(rest, '--format') as ImportFormat | undefined;
    const dryRun = flag(rest, '--dry-run');
    const acceptPartial = flag(rest, '--accept-partial');
    const json = flag(rest, '--json');
    const file = rest[0];
    if (!format || !IMPORT_FORMATS.includes(format)) throw new AppError('UNKNOWN_FORMAT', `Format attendu : --format ${IMPORT_FORMATS.join('|')}.`);
    if (!file) throw new AppError('MISSING_FILE', 'Indiquez le fichier à importer.');
    if (!fs.existsSync(file)) throw new AppError('FILE_NOT_FOUND', `Fichier introuvable : ${file}.`);
    const lines = await readStructuresFile(format, file);
    const report = await withDb((db) => importStructures(db, lines, { dryRun, acceptPartial, onProgress: progressBar('Import') }));
    console.log(json ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.rejected.length && !acceptPartial ? 1 : 0;
  }
  if (cmd === 'export' && sub === 'structures') {
    const format = option(rest, '--format') as ExportFormat | undefined;
    const out = option(rest, '--out');
    if (!format || !EXPORT_FORMATS.includes(format)) throw new AppError('UNKNOWN_FORMAT', `Format attendu : --format ${EXPORT_FORMATS.join('|')}.`);
    const stream = out ? fs.createWriteStream(out) : process.stdout;
    const n = await withDb((db) => exportStructures(db, format, stream));
    if (out) {
      await new Promise<void>((resolve, reject) => (stream as fs.WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())));
      console.error(`${n} structures exportées dans ${out}.`);
    }
    return 0;
  }
  if ((cmd === 'import' || cmd === 'classify') && sub === 'notices') {
    const format = option(rest, '--format') as NoticeFormat | undefined;
    const json = flag(rest, '--json');
    const file = rest[0];
    if (!format || !NOTICE_FORMATS.includes(format)) throw new AppError('UNKNOWN_FORMAT', `Format attendu : --format ${NOTICE_FORMATS.join('|')}.`);
    if (!file) throw new AppError('MISSING_FILE', 'Indiquez le fichier ou le dossier des avis.');
    if (!fs.existsSync(file)) throw new AppError('FILE_NOT_FOUND', `Fichier introuvable : ${file}.`);
    if (cmd === 'classify') return classifyCommand(format, file, json);
    const counter = progressCounter('Avis');
    const report = await withDb((db) => importNotices(db, readNotices(format, file), { onProgress: (r) => counter(r.read) }));
    counter(report.read, true);
    console.log(json ? JSON.stringify(report, null, 2) : formatNoticeReport(report));
    return report.read > 0 && report.rejected.length === report.read ? 1 : 0;
  }
  process.stderr.write(`Commande inconnue : ${args.join(' ')}\n\n${HELP}`);
  return 2;
}

/** Runs a command line and sets the exit code: 0 done, 1 rejected lines or unexpected error, 2 bad usage. */
export async function run(argv: string[]): Promise<void> {
  try {
    const code = await main(argv);
    if (code >= 0) process.exitCode = code;
  } catch (err) {
    if (err instanceof AppError) {
      console.error(`Erreur : ${err.message} [${err.code}]`);
      process.exitCode = 2;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
