// Assertion helpers shared by test files.
import { expect } from 'vitest';
import { AppError } from '../../src/core/errors.ts';
import { loadTerritories, type Territory } from '../../src/modules/territories/data.ts';

/** The AppError a promise rejects with (fails the test when it resolves or throws something else). */
export async function thrown(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

/** A commune of the reference data, by INSEE code. */
export function commune(code: string): Territory {
  const c = loadTerritories().commune(code);
  if (!c) throw new Error(`test data: commune ${code} missing`);
  return c;
}
