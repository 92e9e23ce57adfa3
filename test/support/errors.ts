import { PrescientError } from '../../src/errors.js';

/**
 * The PrescientError `run` throws. Fails the test when it throws nothing or
 * something else, so `expect(thrownBy(...).code).toBe(...)` always checks the code.
 */
export function thrownBy(run: () => unknown): PrescientError {
  try {
    run();
  } catch (err) {
    if (err instanceof PrescientError) return err;
    throw new Error(`expected a PrescientError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a PrescientError, but nothing was thrown');
}

/** The PrescientError `promise` rejects with (as {@link thrownBy}, for promises). */
export async function rejectionOf(promise: Promise<unknown>): Promise<PrescientError> {
  let settled: { ok: true } | { ok: false; err: unknown };
  try {
    await promise;
    settled = { ok: true };
  } catch (err) {
    settled = { ok: false, err };
  }
  if (settled.ok) throw new Error('expected a PrescientError, but the promise resolved');
  if (settled.err instanceof PrescientError) return settled.err;
  throw new Error(`expected a PrescientError, got ${String(settled.err)}`, { cause: settled.err });
}
