// Seeding reference data: idempotent, and every process learns when what searches read has changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../core/db.ts';
import { createTestDb } from '../../../test/helpers/db.ts';
import { getReferentials, seedReferentials } from './service.ts';

let db: Db;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => db?.close());

const version = async () => (await db.one<{ version: number }>('SELECT version FROM directory_state'))?.version;

describe('seedReferentials', () => {
  it('changes nothing the second time, and bumps the directory version when a sector changed', async () => {
    await seedReferentials(db);
    const v1 = await version();
    await seedReferentials(db);
    expect(await version()).toBe(v1);
    expect((await db.one<{ n: number }>('SELECT count(*)::int AS n FROM sectors'))?.n).toBe(154);

    await db.query("UPDATE sectors SET name = 'Ancien nom' WHERE slug = 'traiteur'");
    await seedReferentials(db);
    expect(await version()).toBe((v1 as number) + 1);
    expect((await getReferentials(db)).sectorBySlug.get('traiteur')?.name).toBe('Traiteur');
  });
});
