import { describe, expect, it } from 'vitest';
import { fileTarget, useTestApps } from '../support/app.js';

// The taxi series (30-minute steps, ~10 k points): an LSTM on it trains for seconds, longer than the limits here.
const TAXI = 'nab/nyc_taxi.csv';
const { start } = useTestApps();

describe('Engine under the pool limits', () => {
  it("stops a target's fit at pool.fitTimeout and falls down the ladder, saying why", async () => {
    const t = await start({ pool: { threads: 1, fitTimeout: '1s' }, targets: [fileTarget('taxi', TAXI, { models: ['lstm'], seasonalPeriods: ['1d'] })] });
    await t.app.prescient.engine.refresh('taxi');
    const forecast = t.app.prescient.states.get('taxi')?.forecast;
    expect(forecast).toMatchObject({ model: 'snaive', fallbackFrom: 'lstm' });
    expect(forecast?.notes[0]).toMatch(/^lstm failed: PRESCIENT_ERR_FIT_TIMEOUT: /);
    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toContain('prescient_fit_failures_total{target="taxi",model="lstm",code="PRESCIENT_ERR_FIT_TIMEOUT"} 1');
  });

  it('refuses a target refresh beyond pool.maxQueue with PRESCIENT_ERR_POOL_FULL, recorded on the target', async () => {
    const targets = ['a', 'b', 'c'].map((name) => fileTarget(name, TAXI, { models: ['lstm'], seasonalPeriods: ['1d'] }));
    const t = await start({ pool: { threads: 1, maxQueue: 1, fitTimeout: '1s' }, targets });
    const { engine, states } = t.app.prescient;
    // One fit runs, one waits, the third finds the queue full.
    await Promise.all(['a', 'b', 'c'].map((name) => engine.refresh(name)));
    const outcomes = ['a', 'b', 'c'].map((name) => states.get(name)?.forecast?.model ?? states.get(name)?.lastError?.code);
    expect(outcomes.filter((o) => o === 'PRESCIENT_ERR_POOL_FULL')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'snaive')).toHaveLength(2);
    const refused = ['a', 'b', 'c'].find((name) => states.get(name)?.lastError)!;
    // A refused refresh does not fall down the ladder (the queue is as full for snaive), and has no forecast.
    expect(states.get(refused)?.forecast).toBeUndefined();
    expect((await t.app.inject(`/api/v1/targets/${refused}`)).json().lastError.code).toBe('PRESCIENT_ERR_POOL_FULL');
  });

  it('keeps serving while a target fits (the fit runs in a worker, not on the event loop)', async () => {
    const t = await start({ targets: [fileTarget('taxi', TAXI, { models: ['lstm'], seasonalPeriods: ['1d'] })] });
    const { engine } = t.app.prescient;
    let fitted = false;
    const refresh = engine.refresh('taxi').then(() => (fitted = true));
    // Wait until the fit has a thread and runs, then ask for things: each answer comes back while it still runs.
    while (t.app.prescient.pool.stats().targets.running === 0) await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 5; i++) {
      expect((await t.app.inject('/healthz')).statusCode).toBe(200);
      expect((await t.app.inject('/api/v1/targets/taxi')).statusCode).toBe(200);
    }
    expect(fitted).toBe(false);
    await refresh;
    expect(t.app.prescient.states.get('taxi')?.forecast?.model).toBe('lstm');
  });
});
