import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FitPool, type FitRequest } from '../../src/engine/pool.js';
import { regularize } from '../../src/series/regularize.js';
import { readSamplesFile } from '../../src/sources/file.js';
import { DATA_DIR } from '../support/app.js';

// The taxi series (30-minute steps, ~10 k points): an LSTM on it trains for
// longer than the short limits below, so it holds its thread until the limit.
const { series } = regularize(await readSamplesFile(join(DATA_DIR, 'nab/nyc_taxi.csv')), { stepSeconds: 1800 });

function fitOf(model: string): FitRequest {
  return {
    model,
    values: series.values,
    ctx: { stepSeconds: 1800, startMs: series.startMs, seasonalPeriods: [48], seed: 1, horizonSteps: 48 },
    horizon: 48,
    levels: [0.8],
  };
}

let pool: FitPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('FitPool lanes', () => {
  it('reads a request body while the requests lane is full and its thread restarts after a timed-out fit', async () => {
    pool = new FitPool({ targets: { threads: 1, maxQueue: 1 }, requests: { threads: 1, maxQueue: 1 }, fitTimeoutMs: 3_000 });
    const p = pool;
    // Two LSTM fits hold the requests lane's only thread until the limit (the second waits, then runs on a restarted thread).
    const fits = [p.run(fitOf('lstm'), { lane: 'requests' }), p.run(fitOf('lstm'), { lane: 'requests' })].map((run) => run.then(() => 'fit', () => 'fit'));
    const bad = Buffer.from(JSON.stringify({ values: [1, 2, 3], step: 60, horizon: 'soon' }));
    const body = p.readBody({ route: 'forecast', raw: bad, nowMs: Date.now(), limits: { maxPoints: 1_000, maxHorizonSteps: 100 } }).then(
      () => 'accepted',
      (err: { code: string }) => err.code,
    );
    // The body's coded refusal comes first: it never waits for a fit.
    expect(await Promise.race([body, ...fits])).toBe('PRESCIENT_ERR_VALIDATION');
    expect(p.stats().requests.running).toBe(1);
    await Promise.all(fits);
  });

  it('refreshes a target at once while the requests lane is saturated and refusing', async () => {
    pool = new FitPool({ targets: { threads: 1, maxQueue: 2 }, requests: { threads: 1, maxQueue: 1 }, fitTimeoutMs: 4_000 });
    const p = pool;
    const requests = [p.run(fitOf('lstm'), { lane: 'requests' }), p.run(fitOf('lstm'), { lane: 'requests' })].map((run) =>
      run.then(
        () => 'ok',
        (err: { code: string }) => err.code,
      ),
    );
    await expect(p.run(fitOf('lstm'), { lane: 'requests' })).rejects.toMatchObject({ code: 'PRESCIENT_ERR_POOL_FULL' });
    expect(p.stats().requests).toMatchObject({ running: 1, queued: 1 });

    let requestsSettled = false;
    void Promise.all(requests).then(() => (requestsSettled = true));
    const target = await p.run(fitOf('snaive'), { lane: 'targets' });
    expect(target.info.model).toBe('snaive');
    // The target's fit finished while the requests still held (and queued for) their lane's only thread.
    expect(requestsSettled).toBe(false);
    expect(p.stats().requests.running).toBe(1);
  });

  it('does not count time waiting for a thread against the time limit', async () => {
    pool = new FitPool({ targets: { threads: 1, maxQueue: 4 }, requests: { threads: 1, maxQueue: 0 }, fitTimeoutMs: 3_000 });
    const started = Date.now();
    // The LSTM holds the only thread for about the whole limit (it stops at its deadline, or is stopped).
    const long = pool.run(fitOf('lstm')).then(
      () => 'ok',
      (err: { code: string }) => err.code,
    );
    const queued = await pool.run(fitOf('snaive'));
    expect(queued.info.model).toBe('snaive');
    // It waited for the LSTM: longer than its own limit measured from when it was queued.
    expect(Date.now() - started).toBeGreaterThan(3_000);
    expect(['ok', 'PRESCIENT_ERR_FIT_TIMEOUT']).toContain(await long);
  });

  it('refuses with PRESCIENT_ERR_FIT_TIMEOUT a queued fit whose signal aborts, without running it', async () => {
    pool = new FitPool({ targets: { threads: 1, maxQueue: 4 }, requests: { threads: 1, maxQueue: 0 }, fitTimeoutMs: 3_000 });
    const long = pool.run(fitOf('lstm')).catch(() => undefined);
    const abort = new AbortController();
    const queued = pool.run(fitOf('snaive'), { signal: abort.signal });
    expect(pool.stats().targets.queued).toBe(1);
    abort.abort();
    await expect(queued).rejects.toMatchObject({ code: 'PRESCIENT_ERR_FIT_TIMEOUT' });
    expect(pool.stats().targets.queued).toBe(0);
    await long;
  });
});
