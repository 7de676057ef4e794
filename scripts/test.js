#!/usr/bin/env node
// The README's test command: type check, then every test (browser tests when a Chromium is found).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

const chromium = process.env.CHROMIUM_PATH || ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p));
if (chromium) console.log(`[tests] Chromium trouvé (${chromium}) : les tests dans le navigateur seront joués.`);
else console.log('[tests] Aucun Chromium trouvé : les tests dans le navigateur sont IGNORÉS (installez chromium, ou CHROMIUM_PATH).');

run('npx', ['tsc', '--noEmit', '-p', '.']);
run('npx', ['vitest', 'run', ...process.argv.slice(2)], chromium ? { CHROMIUM_PATH: chromium } : { SKIP_BROWSER: '1' });
