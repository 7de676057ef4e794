// npm run bench:search — 10,000 structures (~23,000 activities), 22 representative searches through the
// HTTP API of the platform started in its own process, p50/p95 on PGlite and PostgreSQL, the in-process and
// bare SQL time of the same searches for the ratio, and throughput with 10 concurrent clients (autocannon).
// Figures go to bench/results/search.json.
import { spawn } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { ROOT_DIR } from '../src/core/config.ts';
import type { Db, Query, Queryable } from '../src/core/db.ts';
import { generateDemo } from '../src/modules/directory/demo.ts';
import { SearchQuerySchema, searchStructures } from '../src/modules/directory/search.ts';
import { setSearchCaches } from '../src/modules/directory/snapshot.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { freshDb, ms, percentile, pgAvailable, writeResults } from './lib.ts';

const COUNT = Number(process.env.BENCH_STRUCTURES ?? 10000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);

export const SEARCHES: string[] = [
  'q=nettoyage',
  'q=netoyage%20locaux',
  'q=espaces%20verts',
  'q=recyclerie',
  'q=blanchisserie%20lille',
  'q=menuiserie&department=62',
  'kind=EA&kind=ESAT',
  'family=insertion&department=59',
  'sector=nettoyage-de-locaux-16',
  'sectorGroup=batiments-et-travaux-publics-65&region=32',
  'serviceType=DISP&department=80',
  'commune=59350&radiusKm=10',
  'commune=80021&radiusKm=30&sector=creation-et-entretien-des-espaces-verts',
  'commune=62041&radiusKm=20&serviceType=PREST&sort=distance',
  'commune=02691&radiusKm=50&family=handicap',
  'lat=50.29&lon=2.78&radiusKm=15',
  'department=60&sectorGroup=hygiene-et-proprete-64&serviceType=PREST',
  'q=traiteur&commune=59350&radiusKm=30',
  'kind=ACI&sort=name&page=3',
  'region=32&perPage=100',
  'q=atelier&family=handicap&region=32&page=2',
  'epci=200093201&sector=nettoyage-de-locaux-16',
];

/** Wraps a database so that the time of every SQL statement is added up. */
function timed(db: Db): { db: Db; take: () => number } {
  let total = 0;
  const wrap = <T extends Queryable>(q: T): T =>
    ({
      ...q,
      query: async (a: Query, v?: unknown[]) => {
        const t = performance.now();
        try {
          return await q.query(a, v);
        } finally {
          total += performance.now() - t;
        }
      },
      one: async (a: Query, v?: unknown[]) => {
        const t = performance.now();
        try {
          return await q.one(a, v);
        } finally {
          total += performance.now() - t;
        }
      },
    }) as T;
  const w = wrap(db);
  return {
    db: { ...w, driver: db.driver, transaction: db.transaction, close: db.close } as Db,
    take: () => {
      const t = total;
      total = 0;
      return t;
    },
  };
}

/** Starts the platform in its own process (as in production) and waits until it answers. */
async function startServer(env: Record<string, string>): Promise<{ base: string; stop: () => Promise<void> }> {
  const port = 3900 + Math.floor(Math.random() * 90);
  const child = spawn('node', [path.join(ROOT_DIR, 'bin/passerelles.js'), 'start'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', DEMO: 'off', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function runEngine(engine: 'pglite' | 'pg') {
  console.log(`\n=== ${engine === 'pg' ? 'PostgreSQL' : 'PGlite'} ===`);
  const { db, url, dataDir } = await freshDb(engine);
  const inputs = await generateDemo(db, COUNT, 7);
  let t = performance.now();
  const report = await importStructures(db, inputs.map((input, i) => ({ line: i + 1, input })));
  const loadMs = performance.now() - t;
  const acts = await db.one<{ n: number }>('SELECT count(*)::int AS n FROM activities');
  console.log(`loaded ${report.created} structures, ${acts?.n} activities in ${(loadMs / 1000).toFixed(1)} s`);
  if (db.driver === 'pg') await db.exec('ANALYZE');

  // In process: the search function itself, without and with the per-version caches (words, places), and the
  // time spent in SQL by the same searches without caches (the bare SQL baseline).
  const inproc: number[] = [];
  const cold: number[] = [];
  const sqlTimes: number[] = [];
  const probe = timed(db);
  const queries = SEARCHES.map((s) => SearchQuerySchema.parse(Object.fromEntries(groupParams(s))));
  await searchStructures(probe.db, queries[0]); // loads the snapshot
  setSearchCaches(false);
  for (let round = 0; round < ROUNDS; round++) {
    for (const query of queries) {
      probe.take();
      t = performance.now();
      await searchStructures(probe.db, query);
      cold.push(performance.now() - t);
      sqlTimes.push(probe.take());
    }
  }
  setSearchCaches(true);
  for (let round = 0; round < ROUNDS; round++) {
    for (const query of queries) {
      t = performance.now();
      await searchStructures(probe.db, query);
      inproc.push(performance.now() - t);
    }
  }
  await db.close();

  // Through HTTP, against the platform started in its own process on the same database.
  const server = await startServer(engine === 'pg' ? { DATABASE_URL: url as string } : { DATA_DIR: dataDir as string });
  const http: number[] = [];
  const perSearch: Record<string, number[]> = {};
  for (const s of SEARCHES) {
    const r = await fetch(`${server.base}/api/v1/structures?${s}`);
    if (r.status !== 200) throw new Error(`${s}: HTTP ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of SEARCHES) {
      t = performance.now();
      const r = await fetch(`${server.base}/api/v1/structures?${s}`);
      await r.arrayBuffer();
      const h = performance.now() - t;
      http.push(h);
      perSearch[s] ??= [];
      perSearch[s].push(h);
    }
  }
  const latency = {
    searches: SEARCHES.length,
    samples: http.length,
    httpP50: percentile(http, 50),
    httpP95: percentile(http, 95),
    inProcessP50: percentile(inproc, 50),
    inProcessP95: percentile(inproc, 95),
    noCacheP50: percentile(cold, 50),
    noCacheP95: percentile(cold, 95),
    sqlP50: percentile(sqlTimes, 50),
    sqlP95: percentile(sqlTimes, 95),
  };
  console.log(`HTTP end to end   p50 ${ms(latency.httpP50)}  p95 ${ms(latency.httpP95)}`);
  console.log(`in process        p50 ${ms(latency.inProcessP50)}  p95 ${ms(latency.inProcessP95)}  (without caches: p50 ${ms(latency.noCacheP50)}, p95 ${ms(latency.noCacheP95)})`);
  console.log(`bare SQL          p50 ${ms(latency.sqlP50)}  p95 ${ms(latency.sqlP95)}  (statements of one search without caches) → HTTP/SQL p50 ratio ${(latency.httpP50 / latency.sqlP50).toFixed(2)}`);
  const slowest = Object.entries(perSearch)
    .map(([s, v]) => ({ search: s, httpP50: percentile(v, 50) }))
    .sort((a, b) => b.httpP50 - a.httpP50);
  for (const x of slowest.slice(0, 3)) console.log(`  slowest: ${ms(x.httpP50)}  ${x.search}`);

  const result = await autocannon({
    url: server.base,
    connections: 10,
    duration: DURATION,
    requests: SEARCHES.map((s) => ({ method: 'GET', path: `/api/v1/structures?${s}` })),
  });
  const throughput = {
    connections: 10,
    seconds: DURATION,
    requestsPerSecondMean: result.requests.average,
    requestsPerSecondMedian: result.requests.p50,
    latencyP50: result.latency.p50,
    latencyP97_5: result.latency.p97_5,
    non2xx: result.non2xx,
    errors: result.errors,
  };
  console.log(`throughput (10 clients, ${DURATION} s, 1 web process): ${throughput.requestsPerSecondMean.toFixed(0)} req/s mean, median ${throughput.requestsPerSecondMedian} req/s, latency p50 ${throughput.latencyP50} ms, non-2xx ${throughput.non2xx}`);
  await server.stop();
  // With a server database, the platform scales out: the same measure with 2 web processes (WEB_CONCURRENCY).
  let scaledOut: typeof throughput | null = null;
  if (engine === 'pg') {
    const two = await startServer({ DATABASE_URL: url as string, WEB_CONCURRENCY: '2' });
    const r2 = await autocannon({
      url: two.base,
      connections: 10,
      duration: DURATION,
      requests: SEARCHES.map((s) => ({ method: 'GET', path: `/api/v1/structures?${s}` })),
    });
    scaledOut = { ...throughput, requestsPerSecondMean: r2.requests.average, requestsPerSecondMedian: r2.requests.p50, latencyP50: r2.latency.p50, latencyP97_5: r2.latency.p97_5, non2xx: r2.non2xx, errors: r2.errors };
    console.log(`throughput (10 clients, ${DURATION} s, 2 web processes): ${scaledOut.requestsPerSecondMean.toFixed(0)} req/s mean, median ${scaledOut.requestsPerSecondMedian} req/s, latency p50 ${scaledOut.latencyP50} ms, non-2xx ${scaledOut.non2xx}`);
    await two.stop();
  }
  return { engine, structures: report.created, activities: acts?.n, loadSeconds: loadMs / 1000, latency, throughput, scaledOut, slowest };
}

function groupParams(s: string): [string, string | string[]][] {
  const m = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(s)) m.set(k, [...(m.get(k) ?? []), v]);
  return [...m.entries()].map(([k, v]) => [k, v.length === 1 ? v[0] : v]);
}

const engines: ('pglite' | 'pg')[] = [];
if (process.env.BENCH_ENGINES) engines.push(...(process.env.BENCH_ENGINES.split(',') as ('pglite' | 'pg')[]));
else {
  engines.push('pglite');
  if (await pgAvailable()) engines.push('pg');
  else console.log('PostgreSQL not reachable (BENCH_DATABASE_URL): PGlite only.');
}
const results = [];
for (const e of engines) results.push(await runEngine(e));
const file = writeResults('search', { structures: COUNT, rounds: ROUNDS, results });
console.log(`\nwritten ${file}`);
