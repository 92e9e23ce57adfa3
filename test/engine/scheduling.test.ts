import { describe, expect, it } from 'vitest';
import { fileTarget, useTestApps } from '../support/app.js';

const { start } = useTestApps();

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Engine scheduling (real pool)', () => {
  it('gives every one of 40 new targets a forecast through a pool that queues only 2, none refused with POOL_FULL', { timeout: 90_000 }, async () => {
    const files = ['nab/rds_cpu_utilization_cc0c53.csv', 'nab/ec2_cpu_utilization_24ae8d.csv', 'nab/nyc_taxi.csv'];
    const targets = Array.from({ length: 40 }, (_, i) => fileTarget(`t${i}`, files[i % files.length] as string, { models: ['snaive'] }));
    const t = await start({ pool: { threads: 1, maxQueue: 2, fitTimeout: '60s' }, targets }, { startEngine: true });
    const { states } = t.app.prescient;
    await waitFor(() => states.list().every((s) => s.forecast || s.lastError), 80_000);
    expect(states.list().filter((s) => s.lastError).map((s) => `${s.config.name}: ${s.lastError?.code}`)).toEqual([]);
    expect(states.list().every((s) => s.forecast?.model === 'snaive')).toBe(true);
    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).not.toContain('PRESCIENT_ERR_POOL_FULL');
    expect(metrics).toMatch(/prescient_refresh_lag_seconds_count\{kind="refit"\} 40/);
    expect(metrics).toContain('prescient_refreshes_waiting 0');
    // Each target's next refresh is at its own slot, not all at once.
    const next = new Set(states.list().map((s) => t.app.prescient.engine.nextRefreshAt(s.config.name)));
    expect(next.size).toBeGreaterThan(30);
  });
});
