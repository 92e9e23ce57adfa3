import { describe, expect, it } from 'vitest';
import { FitPool, type FitRequest } from '../../src/engine/pool.js';

const fit: FitRequest = {
  model: 'snaive',
  values: Array.from({ length: 48 }, (_, i) => i % 24),
  ctx: { stepSeconds: 3600, startMs: 0, seasonalPeriods: [24], seed: 1, horizonSteps: 24 },
  horizon: 24,
  levels: [0.8],
};

// A lane's threads start on its first task (src/engine/pool.ts): a pool closed before that must not start them later.
describe('FitPool after close', () => {
  it('refuses a fit on either lane with PRESCIENT_ERR_FIT_TIMEOUT instead of starting threads', async () => {
    const pool = new FitPool({ targets: { threads: 1, maxQueue: 2 }, requests: { threads: 1, maxQueue: 2 }, fitTimeoutMs: 10_000 });
    await pool.close();
    await expect(pool.run(fit)).rejects.toMatchObject({ code: 'PRESCIENT_ERR_FIT_TIMEOUT', message: 'the pool closed before the fit started' });
    await expect(pool.run(fit, { lane: 'requests' })).rejects.toMatchObject({ code: 'PRESCIENT_ERR_FIT_TIMEOUT', message: 'the pool closed before the fit started' });
    expect(pool.stats()).toEqual({ targets: { threads: 1, running: 0, queued: 0, maxQueue: 2 }, requests: { threads: 1, running: 0, queued: 0, maxQueue: 2 } });
  });
});
