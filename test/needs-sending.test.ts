// Sending a validated need in batches, with a controlled clock: batch size, the pace over the day, the
// daily limit (the next run when it frees), every stop condition (enough interested, deadline, closed by
// the buyer, nobody left), one row and one mail per (need, structure) under concurrent runs (real
// concurrency on PostgreSQL with TEST_DATABASE_URL; serialised on PGlite), the 'needs.send' job.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/db.ts';
import { enqueue, runReadyJobs } from '../src/core/jobs.ts';
import type { Platform } from '../src/core/platform.ts';
import { resetSigningKey } from '../src/core/signing.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { forgetMatchingFacts } from '../src/modules/matching/engine.ts';
import { linkExpiry, NEEDS_SEND_KIND, runSending, structureAddresses } from '../src/modules/needs/sending.ts';
import { addMember, createOrganisation, createPerson, deliveredMails } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';
import { structure } from './helpers/fixtures.ts';

const NET = 'nettoyage-de-locaux-16';
const HOUR = 3600_000;
const T0 = new Date('2030-03-04T08:00:00Z');
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);

let close: () => Promise<void>;
let db: Db;
let platform: Platform;
let buyerOrg: string;
let seq = 0;

/** A need straight in the database (the qualification is tested elsewhere). */
async function makeNeed(over: Record<string, unknown> = {}): Promise<string> {
  const v: Record<string, unknown> = {
    reference: `B-TEST-S${++seq}`,
    status: 'validated',
    kind: 'QUOTE',
    title: `Nettoyage des bureaux ${seq}`,
    description: 'Nettoyage quotidien de 800 m² de bureaux.',
    place_kind: 'commune',
    place_commune: '59350',
    sectors: [NET],
    service_types: ['PREST'],
    answer_deadline: '2030-04-30',
    contact_name: 'Dominique Acheteuse',
    contact_email: 'dominique.acheteuse@ville.example',
    contact_phone: '03 20 00 00 00',
    buyer_name: 'Ville de Lille',
    buyer_organisation_id: buyerOrg,
    batch_size: 3,
    daily_limit: 5,
    enough_interested: 6,
    ...over,
  };
  const cols = Object.keys(v);
  const r = await db.one<{ id: string }>(`INSERT INTO needs (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`, Object.values(v));
  return (r as { id: string }).id;
}

const recipients = (needId: string) =>
  db.query<{ structure_id: string; batch: number; sent_at: Date; score: number; reasons: string[]; source: string }>(`SELECT * FROM need_recipients WHERE need_id = $1 ORDER BY sent_at, structure_id`, [needId]);
const pendingRuns = (needId: string) =>
  db.query<{ run_at: Date }>(`SELECT run_at FROM jobs WHERE kind = $1 AND status = 'pending' AND payload->>'needId' = $2`, [NEEDS_SEND_KIND, needId]);
const needRow = (id: string) => db.one<{ status: string; closed_reason: string | null; first_sent_at: Date | null; last_sent_at: Date | null }>(`SELECT * FROM needs WHERE id = $1`, [id]);
/** Delivers what earlier tests queued, then the id of the last mail: what comes next is this test's. */
async function lastMailId(): Promise<number> {
  await runReadyJobs(platform);
  return (await db.one<{ id: number }>(`SELECT coalesce(max(id), 0)::int AS id FROM mail_outbox`))?.id ?? 0;
}

const NAMES = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot', 'Golf'];
let ids: Record<string, string> = {};

beforeAll(async () => {
  ({ db, platform, close } = await createTestApp());
  resetSigningKey();
  buyerOrg = await createOrganisation(db, { type: 'buyer', name: 'Ville de Lille' });
  const inputs = NAMES.map((name) =>
    structure({ name: `${name} Propreté`, kind: 'EI', communeCode: '59350', publicEmail: `contact@${name.toLowerCase()}.example`, activities: [{ sector: NET, serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 30 } }] }),
  );
  // Unreachable: no address at all, never matched nor sent.
  inputs.push(structure({ name: 'Hotel Sans Adresse', kind: 'EI', communeCode: '59350', activities: [{ sector: NET, serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 30 } }] }));
  const report = await importStructures(db, inputs.map((input, i) => ({ line: i + 1, input })));
  expect(report.rejected).toEqual([]);
  const rows = await db.query<{ id: string; name: string }>(`SELECT id, name FROM structures`);
  ids = Object.fromEntries(rows.map((r) => [r.name.split(' ')[0], r.id]));
  forgetMatchingFacts(db);
});

afterAll(async () => {
  await close?.();
});

beforeEach(async () => {
  // Runs queued by earlier tests are in 2030: never ready, but removed to read each test's own.
  await db.query(`DELETE FROM jobs WHERE kind = $1`, [NEEDS_SEND_KIND]);
});

describe('addresses', () => {
  it('writes to the team (administrators first) and the public address, the private contact only without them', async () => {
    const admin = await createPerson(db, { email: 'admin.alpha@alpha.example' });
    const member = await createPerson(db, { email: 'membre.alpha@alpha.example' });
    const org = await createOrganisation(db, { type: 'structure', structureId: ids.Alpha });
    await addMember(db, org, admin.id, 'admin');
    await addMember(db, org, member.id, 'member');
    await db.query(`INSERT INTO structure_private_contacts (structure_id, email) VALUES ($1, 'prive@bravo.example'), ($2, 'prive@hotel.example')`, [ids.Bravo, ids.Hotel]);
    const a = await structureAddresses(db, [ids.Alpha, ids.Bravo, ids.Hotel, ids.Charlie]);
    expect(a.get(ids.Alpha)).toEqual(['admin.alpha@alpha.example', 'contact@alpha.example']);
    expect(a.get(ids.Bravo)).toEqual(['contact@bravo.example']);
    expect(a.get(ids.Hotel)).toEqual(['prive@hotel.example']);
    await db.query(`DELETE FROM structure_private_contacts`);
    await db.query(`DELETE FROM organisations WHERE id = $1`, [org]);
    forgetMatchingFacts(db);
  });
});

describe('batches with a controlled clock', () => {
  it('sends batch_size at a time, one batch a day, never more than daily_limit in 24 hours, until nobody is left', async () => {
    const need = await makeNeed({ batch_size: 3, daily_limit: 5 });
    const since = await lastMailId();

    const r1 = await runSending(platform, need, T0);
    expect(r1).toMatchObject({ outcome: 'sent', sent: 3, batch: 1 });
    let rows = await recipients(need);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.batch === 1 && new Date(r.sent_at).getTime() === T0.getTime() && r.source === 'matching')).toBe(true);
    expect(rows.every((r) => r.score > 0 && r.reasons.length > 0)).toBe(true);
    expect(rows.map((r) => r.structure_id)).not.toContain(ids.Hotel);
    let n = await needRow(need);
    expect(n).toMatchObject({ status: 'sending', closed_reason: null });
    expect(new Date(n?.first_sent_at as Date).getTime()).toBe(T0.getTime());
    // 5 a day in batches of 3: one batch a day.
    let runs = await pendingRuns(need);
    expect(runs.map((r) => new Date(r.run_at).getTime())).toEqual([at(24).getTime()]);

    // One mail per new recipient, with its own signed link, without the buyer's contact.
    const mails = await deliveredMails(platform, since);
    expect(mails).toHaveLength(3);
    for (const m of mails) {
      expect(m.subject).toContain('Nettoyage des bureaux');
      expect(m.text_body).toMatch(new RegExp(`/besoins/${need}/structure/[0-9a-f-]{36}\\?jeton=`));
      expect(m.text_body).not.toContain('dominique.acheteuse@ville.example');
      expect(m.text_body).not.toContain('03 20 00 00 00');
    }
    expect(new Set(mails.map((m) => m.to_address)).size).toBe(3);

    // An hour later: too early for the next batch; still one run waiting.
    const r2 = await runSending(platform, need, at(1));
    expect(r2).toEqual({ outcome: 'waiting', nextRunAt: at(24) });
    expect(await recipients(need)).toHaveLength(3);
    expect(await pendingRuns(need)).toHaveLength(1);

    // Forced now (a facilitator's "send the next batch"): only 2 more, the daily limit is 5.
    const r3 = await runSending(platform, need, at(2), { force: true });
    expect(r3).toMatchObject({ outcome: 'sent', sent: 2, batch: 2 });
    const r4 = await runSending(platform, need, at(3), { force: true });
    // The limit frees 24 hours after the first sending of the window.
    expect(r4).toEqual({ outcome: 'waiting', nextRunAt: at(24) });
    expect(await recipients(need)).toHaveLength(5);

    // Next day: the window holds the 2 sent at T0+2h; 2 structures are left.
    const r5 = await runSending(platform, need, at(26));
    expect(r5).toMatchObject({ outcome: 'sent', sent: 2, batch: 3 });
    rows = await recipients(need);
    expect(rows).toHaveLength(7);
    expect(new Set(rows.map((r) => r.structure_id)).size).toBe(7);
    n = await needRow(need);
    expect(new Date(n?.first_sent_at as Date).getTime()).toBe(T0.getTime());
    expect(new Date(n?.last_sent_at as Date).getTime()).toBe(at(26).getTime());

    // Then nobody is left: the sending stops.
    const r6 = await runSending(platform, need, at(50));
    expect(r6).toEqual({ outcome: 'closed', reason: 'nobody_left' });
    expect(await needRow(need)).toMatchObject({ status: 'closed', closed_reason: 'nobody_left' });
    await db.query(`DELETE FROM jobs WHERE kind = $1`, [NEEDS_SEND_KIND]);
    expect(await runSending(platform, need, at(80))).toEqual({ outcome: 'skipped', status: 'closed' });
    expect(await pendingRuns(need)).toHaveLength(0);
  });

  it('spreads batches over the day when the daily limit holds several, and waits for the limit to free', async () => {
    const need = await makeNeed({ batch_size: 2, daily_limit: 4 });
    expect(await runSending(platform, need, T0)).toMatchObject({ outcome: 'sent', sent: 2, nextRunAt: at(12) });
    expect((await pendingRuns(need)).map((r) => new Date(r.run_at).getTime())).toEqual([at(12).getTime()]);
    await db.query(`DELETE FROM jobs WHERE kind = $1`, [NEEDS_SEND_KIND]);
    // 4 in 24 hours reached: the next run is when the first ones leave the window.
    expect(await runSending(platform, need, at(12))).toMatchObject({ outcome: 'sent', sent: 2, nextRunAt: at(24) });
    expect((await pendingRuns(need)).map((r) => new Date(r.run_at).getTime())).toEqual([at(24).getTime()]);
    expect(await runSending(platform, need, at(24))).toMatchObject({ outcome: 'sent', sent: 2, batch: 3 });
  });
});

describe('stop conditions', () => {
  it('stops when enough structures are interested', async () => {
    const need = await makeNeed({ batch_size: 2, enough_interested: 2 });
    await runSending(platform, need, T0);
    await db.query(`UPDATE need_recipients SET interested_at = $2 WHERE need_id = $1`, [need, at(2).toISOString()]);
    expect(await runSending(platform, need, at(30))).toEqual({ outcome: 'closed', reason: 'enough_interested' });
    expect(await needRow(need)).toMatchObject({ status: 'closed', closed_reason: 'enough_interested' });
    expect(await recipients(need)).toHaveLength(2);
    const audit = await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE target_id = $1 AND action = 'need.closed'`, [need]);
    expect(audit?.n).toBe(1);
  });

  it('stops when the answer deadline has passed (end of the day in France)', async () => {
    const need = await makeNeed({ answer_deadline: '2030-03-04' });
    // 2030-03-04 22:30 UTC is 23:30 in Paris: still the deadline day.
    expect(await runSending(platform, need, new Date('2030-03-04T22:30:00Z'))).toMatchObject({ outcome: 'sent' });
    expect(await runSending(platform, need, new Date('2030-03-04T23:30:00Z'), { force: true })).toEqual({ outcome: 'closed', reason: 'deadline' });
    expect(await needRow(need)).toMatchObject({ status: 'closed', closed_reason: 'deadline' });
  });

  it('does nothing once the buyer closed the need, or before validation', async () => {
    const closed = await makeNeed({ status: 'closed', closed_reason: 'closed_by_buyer', closed_at: T0.toISOString() });
    expect(await runSending(platform, closed, T0)).toEqual({ outcome: 'skipped', status: 'closed' });
    const submitted = await makeNeed({ status: 'submitted' });
    expect(await runSending(platform, submitted, T0)).toEqual({ outcome: 'skipped', status: 'submitted' });
    expect(await recipients(closed)).toHaveLength(0);
    expect(await recipients(submitted)).toHaveLength(0);
    expect(await pendingRuns(closed)).toHaveLength(0);
  });

  it('closes with "nobody_left" when nothing matches', async () => {
    const need = await makeNeed({ place_commune: '13055' });
    expect(await runSending(platform, need, T0)).toEqual({ outcome: 'closed', reason: 'nobody_left' });
    expect(await recipients(need)).toHaveLength(0);
  });
});

describe('concurrent runs', () => {
  it('never sends twice to a structure: one row and one mail per (need, structure)', async () => {
    const need = await makeNeed({ batch_size: 4, daily_limit: 50 });
    const since = await lastMailId();
    const results = await Promise.all([runSending(platform, need, T0), runSending(platform, need, T0), runSending(platform, need, T0)]);
    const rows = await recipients(need);
    expect(new Set(rows.map((r) => r.structure_id)).size).toBe(rows.length);
    // One batch: the others found it sent and waited for the pace.
    expect(rows).toHaveLength(4);
    expect(results.filter((r) => r.outcome === 'sent')).toHaveLength(1);
    const mails = await deliveredMails(platform, since);
    expect(mails).toHaveLength(4);
    expect(new Set(mails.map((m) => m.to_address)).size).toBe(4);
    expect(await pendingRuns(need)).toHaveLength(1);

    // Forced runs at once (a facilitator pressing twice): still no duplicate row or mail.
    const since2 = await lastMailId();
    await Promise.all([runSending(platform, need, at(1), { force: true }), runSending(platform, need, at(1), { force: true })]);
    const after = await recipients(need);
    expect(new Set(after.map((r) => r.structure_id)).size).toBe(after.length);
    expect(after).toHaveLength(7);
    const mails2 = await deliveredMails(platform, since2);
    expect(mails2).toHaveLength(3);
    expect(new Set([...mails, ...mails2].map((m) => m.to_address)).size).toBe(7);
  });

  it('the database refuses a second row for the same need and structure', async () => {
    const need = await makeNeed();
    await db.query(`INSERT INTO need_recipients (need_id, structure_id) VALUES ($1, $2)`, [need, ids.Alpha]);
    await expect(db.query(`INSERT INTO need_recipients (need_id, structure_id) VALUES ($1, $2)`, [need, ids.Alpha])).rejects.toThrow();
  });
});

describe('the needs.send job', () => {
  it('is registered: a queued run sends the first batch, with links valid until 30 days after the deadline', async () => {
    const need = await makeNeed({ batch_size: 2, answer_deadline: '2099-01-31' });
    await enqueue(db, NEEDS_SEND_KIND, { needId: need });
    await runReadyJobs(platform);
    expect(await recipients(need)).toHaveLength(2);
    expect((await needRow(need))?.status).toBe('sending');
    expect(linkExpiry({ answerDeadline: '2099-01-31' }, new Date()).toISOString()).toBe('2099-03-02T23:59:59.000Z');
    const noDeadline = linkExpiry({ answerDeadline: null }, T0);
    expect(noDeadline.getTime() - T0.getTime()).toBe(90 * 24 * HOUR);
  });
});
