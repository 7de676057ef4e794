// npm run bench:matching — matching purchasing needs with a directory of 10,000 structures (~25,000
// activities), past sends for the responsiveness figures, on PGlite and PostgreSQL: p50/p95 per need of
// matchNeed (every match, with the reasons a page reads or with every reason; limit 20; without caches),
// the one-off load of the per-process facts, and a
// baseline measured in the same run: the same hard rules and place rule in ONE SQL statement (ordered by
// distance, profile and name, without reasons). The bench also checks that both find the same structures.
// Figures go to bench/results/matching.json.
import type { Db } from '../src/core/db.ts';
import { loadConfig } from '../src/core/config.ts';
import type { Platform } from '../src/core/platform.ts';
import { discPlace } from '../src/modules/directory/area.ts';
import { generateDemo } from '../src/modules/directory/demo.ts';
import type { ActivityInput, KindCode, ServiceTypeCode, StructureInput } from '../src/modules/directory/model.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { setSearchCaches } from '../src/modules/directory/snapshot.ts';
import { eligibleKinds, forgetMatchingFacts, matchingState } from '../src/modules/matching/engine.ts';
import type { MatchCriteria, Reservation } from '../src/modules/matching/model.ts';
import { matchNeed } from '../src/modules/matching/service.ts';
import { MATCHING } from '../src/modules/matching/weights.ts';
import { getReferentials } from '../src/modules/referentials/service.ts';
import { loadTerritories } from '../src/modules/territories/data.ts';
import { freshDb, ms, percentile, pgAvailable, writeResults } from './lib.ts';

const COUNT = Number(process.env.BENCH_STRUCTURES ?? 10000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const T = loadTerritories();

/** A tiny deterministic generator (the bench must be the same at every run). */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)], chance: (p: number) => next() < p };
}

/** The demo directory, with one more activity for a structure in five (≈25,000 activities) and some unreachable structures. */
async function directory(db: Db): Promise<StructureInput[]> {
  const refs = await getReferentials(db);
  const r = prng(4);
  const sectors = refs.groups.flatMap((g) => g.sectors.map((s) => s.slug));
  return (await generateDemo(db, COUNT, 7)).map((input, i) => {
    const activities = [...(input.activities ?? [])] as ActivityInput[];
    if (i % 5 === 0) {
      const used = new Set(activities.map((a) => a.sector));
      const sector = sectors.find((s, k) => k >= Math.floor(r.next() * sectors.length) && !used.has(s)) ?? sectors.find((s) => !used.has(s)) ?? sectors[0];
      const area: ActivityInput['area'] = r.chance(0.3) ? { kind: 'country' } : r.chance(0.5) ? { kind: 'radius', radiusKm: r.pick([20, 50, 100]) } : { kind: 'territories', territories: ['region:32'] };
      activities.push({ sector, serviceTypes: [r.pick(['PREST', 'DISP', 'BUILD'] as const)], area });
    }
    // One structure in ten publishes no email and has no private email: unreachable unless it has a team.
    const unreachable = i % 10 === 3;
    return { ...input, activities, ...(unreachable ? { publicEmail: null, privateContact: null } : {}) };
  });
}

/** Teams for some structures, and a year of past sends with answers for the responsiveness figures. */
async function history(db: Db): Promise<number> {
  await db.query(`INSERT INTO people (email, name, email_confirmed_at) SELECT 'bench' || g || '@exemple.fr', 'Bench ' || g, now() FROM generate_series(1, 500) g`);
  await db.query(`INSERT INTO organisations (type, name, structure_id)
    SELECT 'structure', s.name, s.id FROM structures s WHERE ('x' || substr(md5(s.siret), 1, 4))::bit(16)::int % 20 = 0`);
  await db.query(`INSERT INTO memberships (organisation_id, person_id, role)
    SELECT o.id, (SELECT id FROM people ORDER BY md5(o.id::text || id::text) LIMIT 1), 'admin' FROM organisations o`);
  await db.query(`INSERT INTO needs (reference, kind, status) SELECT 'BENCH-' || g, 'QUOTE', 'closed' FROM generate_series(1, 3000) g`);
  await db.query(`INSERT INTO need_recipients (need_id, structure_id, sent_at, interested_at, not_interested_at)
    SELECT n.id, s.id, now() - make_interval(days => (abs(hashtext(n.id::text)) % 400)),
           CASE WHEN abs(hashtext(n.id::text || s.id::text)) % 10 < 3 THEN now() END,
           CASE WHEN abs(hashtext(n.id::text || s.id::text)) % 10 BETWEEN 3 AND 4 THEN now() END
      FROM needs n CROSS JOIN LATERAL (
        SELECT id FROM structures ORDER BY md5(n.id::text || id::text) LIMIT 10) s`);
  return (await db.one<{ n: number }>('SELECT count(*)::int AS n FROM need_recipients'))?.n ?? 0;
}

/** At least 50 needs: places of every kind, sectors of every group the directory has, frames, prestations, kinds. */
async function needs(db: Db): Promise<{ label: string; c: MatchCriteria }[]> {
  const popular = (await db.query<{ sector_slug: string }>('SELECT sector_slug FROM activities GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 24')).map((x) => x.sector_slug);
  const communes = ['59350', '80021', '62041', '60057', '02691', '59512', '59183', '62193', '60159', '02408', '59606', '62119'];
  const places: MatchCriteria['place'][] = [
    ...communes.map((code) => ({ kind: 'commune' as const, code })),
    { kind: 'territories', keys: ['D59'] },
    { kind: 'territories', keys: ['D62', 'D80'] },
    { kind: 'territories', keys: ['R32'] },
    { kind: 'territories', keys: ['E200093201'] },
    { kind: 'territories', keys: ['D60', 'C02691'] },
    { kind: 'country' },
  ];
  const frames: { reservation: Reservation | null; socialClause: boolean; kinds: KindCode[] }[] = [
    { reservation: null, socialClause: false, kinds: [] },
    { reservation: 'L2113-12', socialClause: false, kinds: [] },
    { reservation: 'L2113-13', socialClause: false, kinds: [] },
    { reservation: 'L2113-14', socialClause: false, kinds: [] },
    { reservation: null, socialClause: true, kinds: [] },
    { reservation: null, socialClause: false, kinds: ['EA', 'ESAT'] },
  ];
  const types: ServiceTypeCode[][] = [[], ['PREST'], ['DISP'], ['PREST', 'BUILD']];
  const out: { label: string; c: MatchCriteria }[] = [];
  const r = prng(9);
  for (let i = 0; i < 54; i++) {
    const place = places[i % places.length];
    const frame = frames[i % frames.length];
    const n = 1 + (i % 3);
    const sectors = i % 17 === 16 ? [] : Array.from({ length: n }, () => r.pick(popular));
    const c: MatchCriteria = { place, sectors: [...new Set(sectors)], serviceTypes: types[i % types.length], ...frame };
    const where = place.kind === 'commune' ? `commune ${place.code}` : place.kind === 'territories' ? place.keys.join('+') : 'France';
    out.push({ label: `${where} · ${c.sectors.length ? c.sectors.join(',') : 'tous secteurs'} · ${frame.reservation ?? (frame.socialClause ? 'clause' : frame.kinds.join(',') || 'libre')} · ${c.serviceTypes.join(',') || 'toutes prestations'}`, c });
  }
  return out;
}

/** The baseline: the same hard rules and place rule in one SQL statement (no reasons, simple order). */
function baselineSql(c: MatchCriteria, includeDemo: boolean): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const v = (x: unknown) => {
    values.push(x);
    return `$${values.length}`;
  };
  const kinds = v([...eligibleKinds(c)]);
  const conds: string[] = [];
  let distance = 'NULL::float8';
  const communeCond = (code: string) => {
    const t = T.commune(code);
    if (!t || t.lat == null || t.lon == null) return 'false';
    const place = discPlace(T, t.lat, t.lon, 0, t);
    const keys = place.kind === 'disc' ? [...place.keys] : [];
    const d = `distance_km(s.lat, s.lon, ${v(t.lat)}, ${v(t.lon)})`;
    return { d, cond: `(a.area_kind = 'country' OR (a.area_kind = 'radius' AND (${d} <= a.radius_km OR s.commune_code = ${v(code)})) OR (a.area_kind = 'territories' AND a.territory_keys && ${v(keys)}::text[]))` };
  };
  if (c.place.kind === 'commune') {
    const x = communeCond(c.place.code);
    if (typeof x === 'string') conds.push(x);
    else {
      conds.push(x.cond);
      distance = x.d;
    }
  } else if (c.place.kind === 'territories') {
    const parts: string[] = [];
    for (const key of c.place.keys) {
      const t = T.byKey.get(key);
      if (!t) continue;
      if (t.type === 'commune') {
        const x = communeCond(t.code);
        parts.push(typeof x === 'string' ? x : x.cond);
        continue;
      }
      const col = t.type === 'epci' ? 's.epci_code' : t.type === 'departement' ? 's.department_code' : 's.region_code';
      parts.push(`(a.area_kind = 'country' OR ${v(key)} = ANY(a.cover_keys) OR (a.area_kind = 'territories' AND a.territory_keys && ${v([key, ...T.parentKeys(t)])}::text[]) OR (a.area_kind = 'radius' AND ${col} = ${v(t.code)}))`);
    }
    conds.push(parts.length ? `(${parts.join(' OR ')})` : 'false');
  }
  if (c.sectors.length) conds.push(`a.sector_slug = ANY(${v(c.sectors)}::text[])`);
  if (c.serviceTypes.length) conds.push(`a.service_types && ${v(c.serviceTypes)}::text[]`);
  const since = new Date();
  since.setMonth(since.getMonth() - MATCHING.responsiveness.months);
  const text = `
    WITH resp AS (
      SELECT structure_id, count(*) AS sent,
             count(*) FILTER (WHERE interested_at IS NOT NULL OR not_interested_at IS NOT NULL OR partners_at IS NOT NULL) AS answered
        FROM need_recipients WHERE sent_at >= ${v(since.toISOString())} GROUP BY structure_id)
    SELECT s.id, min(${distance}) AS distance, s.completeness, (coalesce(r.answered, 0) + 1.0) / (coalesce(r.sent, 0) + 2) AS responsiveness
      FROM structures s
      JOIN activities a ON a.structure_id = s.id
      LEFT JOIN structure_private_contacts pc ON pc.structure_id = s.id
      LEFT JOIN resp r ON r.structure_id = s.id
     WHERE s.active AND NOT s.hidden AND s.kind = ANY(${kinds}::text[]) AND (${v(includeDemo)} OR NOT s.is_demo)
       AND (coalesce(btrim(s.public_email), '') <> '' OR coalesce(btrim(pc.email), '') <> ''
            OR EXISTS (SELECT 1 FROM organisations o JOIN memberships m ON m.organisation_id = o.id
                        JOIN people p ON p.id = m.person_id AND p.email_confirmed_at IS NOT NULL WHERE o.structure_id = s.id))
       ${conds.map((x) => `AND ${x}`).join('\n       ')}
     GROUP BY s.id, s.completeness, s.name, r.sent, r.answered
     ORDER BY min(${distance}) NULLS LAST, s.completeness DESC, responsiveness DESC, s.name, s.id`;
  return { text, values };
}

async function runEngine(engine: 'pglite' | 'pg') {
  console.log(`\n=== ${engine === 'pg' ? 'PostgreSQL' : 'PGlite'} ===`);
  const { db } = await freshDb(engine, 'passerelles_bench_matching');
  let t = performance.now();
  const report = await importStructures(db, (await directory(db)).map((input, i) => ({ line: i + 1, input })));
  const sent = await history(db);
  const loadMs = performance.now() - t;
  const acts = (await db.one<{ n: number }>('SELECT count(*)::int AS n FROM activities'))?.n ?? 0;
  console.log(`loaded ${report.created} structures, ${acts} activities, ${sent} past sends in ${(loadMs / 1000).toFixed(1)} s`);
  if (db.driver === 'pg') await db.exec('ANALYZE');

  // The demo directory is marked is_demo: the platform runs with DEMO on.
  const platform: Platform = { db, config: { ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DEMO: 'on' }), demo: true } };
  const list = await needs(db);

  // One-off per process: the snapshot (shared with the search) and the matching facts.
  t = performance.now();
  await matchingState(db);
  const firstLoadMs = performance.now() - t;
  forgetMatchingFacts(db);
  t = performance.now();
  await matchingState(db);
  const factsLoadMs = performance.now() - t;
  console.log(`first load (snapshot + facts) ${ms(firstLoadMs)}; facts alone ${ms(factsLoadMs)} (once a minute per process)`);

  // Correctness: the engine and the SQL baseline find the same structures.
  const totals: number[] = [];
  let disagreements = 0;
  for (const n of list) {
    const m = await matchNeed(platform, n.c);
    const q = baselineSql(n.c, true);
    const rows = await db.query<{ id: string }>(q.text, q.values);
    totals.push(m.total);
    const a = new Set(m.items.map((x) => x.structureId));
    const b = new Set(rows.map((x) => x.id));
    if (a.size !== b.size || [...a].some((id) => !b.has(id))) {
      disagreements++;
      console.log(`  differs: ${n.label}: engine ${a.size}, SQL ${b.size}`);
    }
  }
  console.log(`${list.length} needs, matches per need: min ${Math.min(...totals)}, median ${percentile(totals, 50)}, max ${Math.max(...totals)}; engine and SQL agree on ${list.length - disagreements}/${list.length}`);

  const measure = async (fn: (c: MatchCriteria) => Promise<unknown>) => {
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of list) {
        const s = performance.now();
        await fn(n.c);
        times.push(performance.now() - s);
      }
    }
    return { p50: percentile(times, 50), p95: percentile(times, 95), max: Math.max(...times), samples: times.length };
  };
  // Reading reasons: they are written when read; a page reads those of the matches it shows.
  const readReasons = (items: { reasons: string[] }[], n: number) => {
    let chars = 0;
    for (const m of items.slice(0, n)) chars += m.reasons.join('').length;
    return chars;
  };
  const warm = await measure(async (c) => readReasons((await matchNeed(platform, c)).items, 20));
  const everyReason = await measure(async (c) => readReasons((await matchNeed(platform, c)).items, Number.POSITIVE_INFINITY));
  const first20 = await measure(async (c) => readReasons((await matchNeed(platform, c, { limit: 20 })).items, 20));
  setSearchCaches(false); // the directory version read and the places evaluated at every call
  const noCaches = await measure(async (c) => readReasons((await matchNeed(platform, c)).items, 20));
  setSearchCaches(true);
  const sql = await measure(async (c) => {
    const q = baselineSql(c, true);
    return db.query(q.text, q.values);
  });
  const line = (label: string, x: { p50: number; p95: number }) => console.log(`${label.padEnd(52)} p50 ${ms(x.p50).padStart(9)}  p95 ${ms(x.p95).padStart(9)}`);
  line('matchNeed: every match, reasons of the first 20', warm);
  line('matchNeed: every match, every reason read', everyReason);
  line('matchNeed: limit 20', first20);
  line('matchNeed: no caches (version read, places evaluated)', noCaches);
  line('baseline: one SQL statement, same rules, no reasons', sql);
  const ratio = { p50: sql.p50 / warm.p50, p95: sql.p95 / warm.p95, p95NoCaches: sql.p95 / noCaches.p95, p95EveryReason: sql.p95 / everyReason.p95 };
  console.log(
    `SQL baseline / matchNeed: p50 ×${ratio.p50.toFixed(1)}, p95 ×${ratio.p95.toFixed(1)} (every reason read: p95 ×${ratio.p95EveryReason.toFixed(1)}; no caches: p95 ×${ratio.p95NoCaches.toFixed(1)})`,
  );
  await db.close();
  return {
    engine,
    structures: report.created,
    activities: acts,
    pastSends: sent,
    needs: list.length,
    rounds: ROUNDS,
    matchesPerNeed: { min: Math.min(...totals), median: percentile(totals, 50), max: Math.max(...totals) },
    agreementWithSql: `${list.length - disagreements}/${list.length}`,
    firstLoadMs,
    factsLoadMs,
    matchNeed: warm,
    matchNeedEveryReason: everyReason,
    matchNeedLimit20: first20,
    matchNeedNoCaches: noCaches,
    sqlBaseline: sql,
    ratio,
    targetP95Ms: 20,
  };
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
const file = writeResults('matching', { structures: COUNT, rounds: ROUNDS, results });
console.log(`\nwritten ${file}`);
