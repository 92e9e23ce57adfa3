import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrescientError } from '../../src/errors.js';
import { FitPool } from '../../src/engine/pool.js';

/**
 * A series body is read in the requests lane's worker (FitPool.readBody,
 * src/engine/body-task.ts): its bytes move to the thread instead of being
 * copied, and what comes back is the body's small fields and the series as
 * one Float64Array in shared memory, or the coded refusal.
 */

let pool: FitPool;
const limits = { maxPoints: 1_000, maxHorizonSteps: 100 };
const NOW_MS = Date.UTC(2026, 0, 2);

beforeAll(() => {
  pool = new FitPool({ targets: { threads: 1, maxQueue: 1 }, requests: { threads: 1, maxQueue: 4 }, fitTimeoutMs: 60_000 });
});
afterAll(async () => {
  await pool.close();
});

/** A body in a buffer of its own, as src/api/json-body.ts hands it on. */
function ownBuffer(text: string): Buffer {
  const source = Buffer.from(text);
  const bytes = Buffer.allocUnsafeSlow(source.length);
  source.copy(bytes);
  return bytes;
}

describe('FitPool.readBody', () => {
  it('moves the bytes of a forecast body to the worker and gets back its fields and its gap-filled series as a Float64Array', async () => {
    const bytes = ownBuffer(JSON.stringify({ values: [1, 2, null, 4, 5, 6], step: 60, horizon: 180, model: 'snaive', seasonalPeriods: [120] }));
    const read = await pool.readBody({ route: 'forecast', raw: bytes, nowMs: NOW_MS, limits });
    expect(bytes.byteLength).toBe(0);
    expect(read.series.values).toBeInstanceOf(Float64Array);
    // Shared, so it reaches the event loop and each fit without a copy.
    expect(read.series.values.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([...read.series.values]).toEqual([1, 2, 3, 4, 5, 6]);
    // Without a start, the last value is at the last whole step before now.
    expect(read.series.startMs).toBe(NOW_MS - 5 * 60_000);
    expect(read).toMatchObject({ horizon: 3, filledGaps: 1, seasonalPeriods: [2], body: { step: 60, horizon: 180, model: 'snaive', levels: [0.8, 0.95] } });
    expect(read.body).not.toHaveProperty('values');
  });

  it("copies, never moves, bytes that share their memory (a slice of Node's buffer pool stays usable)", async () => {
    const bytes = Buffer.from(JSON.stringify({ values: [1, 2, 3], step: 60, horizon: 60 }));
    expect(bytes.byteLength).toBeLessThan(bytes.buffer.byteLength);
    const read = await pool.readBody({ route: 'forecast', raw: bytes, nowMs: NOW_MS, limits });
    expect([...read.series.values]).toEqual([1, 2, 3]);
    expect(JSON.parse(bytes.toString('utf8'))).toMatchObject({ values: [1, 2, 3] });
  });

  it('reads a backtest body with an inline series onto its grid, leaving its values out of the fields', async () => {
    const values = Array.from({ length: 12 }, (_, i) => (i === 4 ? null : i));
    const read = await pool.readBody({ route: 'backtest', raw: ownBuffer(JSON.stringify({ series: { values, step: 3600, start: 0 }, models: ['snaive'] })), nowMs: NOW_MS, limits });
    expect(read.series?.filledGaps).toBe(1);
    expect(read.series?.grid).toMatchObject({ startMs: 0, stepSeconds: 3600 });
    expect([...(read.series?.grid.values ?? [])]).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(read.body.series).toEqual({ step: 3600, start: 0 });
  });

  it('reads a backtest body naming a target as its fields alone', async () => {
    const read = await pool.readBody({ route: 'backtest', raw: ownBuffer('{"target":"web","window":"7d"}'), nowMs: NOW_MS, limits });
    expect(read.series).toBeUndefined();
    expect(read.body).toMatchObject({ target: 'web', window: 7 * 86_400, origins: 7 });
  });

  it('throws the coded refusal, with its issues, for a body the schema or the limits refuse', async () => {
    const refusal = (text: string) => pool.readBody({ route: 'forecast', raw: ownBuffer(text), nowMs: NOW_MS, limits }).then(() => undefined, (err: unknown) => err);
    const invalid = await refusal('{"values":[1,"x"],"step":60,"horizon":60}');
    expect(invalid).toBeInstanceOf(PrescientError);
    expect(invalid).toMatchObject({ code: 'PRESCIENT_ERR_VALIDATION', issues: [{ path: 'body.values.1', message: 'Invalid input: expected number, received string' }] });
    expect(await refusal('{"values":[1,2],"step":60,"horizon":60000}')).toMatchObject({ code: 'PRESCIENT_ERR_HORIZON_TOO_LONG', issues: [{ path: 'body.horizon' }] });
    expect(await refusal('{"values":[1,2')).toMatchObject({ code: 'PRESCIENT_ERR_VALIDATION', issues: [{ path: 'body' }] });
  });
});
