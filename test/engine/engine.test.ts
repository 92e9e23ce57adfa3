import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTestApp, DATA_DIR, fileTarget, useTestApps } from '../support/app.js';

const { start, tempDir } = useTestApps();

describe('Engine', () => {
  it('serves the last good forecast marked stale when the source fails, and recovers by itself', async () => {
    const dir = tempDir();
    const csv = join(dir, 'load.csv');
    copyFileSync(join(DATA_DIR, 'nab/rds_cpu_utilization_cc0c53.csv'), csv);
    // Replayed as if it ended now: staleness is the age of the data, and a 2014 file is years old otherwise.
    const t = await start({ targets: [{ ...fileTarget('flaky', 'x'), source: { type: 'file', path: csv, shiftToNow: true } }] });
    const { engine, states } = t.app.prescient;

    await engine.refresh('flaky');
    const first = states.get('flaky')?.forecast;
    expect(first?.model).toBe('mstl');

    rmSync(csv);
    await engine.refresh('flaky');
    const res = await t.app.inject('/api/v1/targets/flaky/forecast');
    expect(res.statusCode).toBe(200);
    expect(res.json().stale).toBe(true);
    expect(res.json().generatedAt).toBe(new Date(first?.generatedAtMs ?? 0).toISOString());
    const listed = (await t.app.inject('/api/v1/targets/flaky')).json();
    expect(listed.lastError.code).toBe('PRESCIENT_ERR_SOURCE_FILE');
    expect((await t.app.inject('/readyz')).json()).toEqual({ ready: true, pending: [], failing: ['flaky'] });

    copyFileSync(join(DATA_DIR, 'nab/rds_cpu_utilization_cc0c53.csv'), csv);
    await engine.refresh('flaky');
    const recovered = (await t.app.inject('/api/v1/targets/flaky/forecast')).json();
    expect(recovered.stale).toBe(false);
    expect(Date.parse(recovered.generatedAt)).toBeGreaterThan(first?.generatedAtMs ?? 0);
    expect((await t.app.inject('/api/v1/targets/flaky')).json().lastError).toBeUndefined();
  });

  it('marks a forecast older than staleAfter as stale', async () => {
    let clock = Date.now();
    const source = { type: 'file', path: join(DATA_DIR, 'nab/rds_cpu_utilization_cc0c53.csv'), shiftToNow: true };
    const t = await start({ targets: [fileTarget('rds', 'x', { staleAfter: '10m', source })] }, { now: () => clock });
    await t.app.prescient.engine.refresh('rds');
    expect((await t.app.inject('/api/v1/targets/rds/forecast')).json().stale).toBe(false);
    clock += 11 * 60_000;
    expect((await t.app.inject('/api/v1/targets/rds/forecast')).json().stale).toBe(true);
  });

  it('falls back down the ladder when the preferred model cannot fit, and says so', async () => {
    const dir = tempDir();
    const csv = join(dir, 'short.csv');
    writeFileSync(csv, 'timestamp,value\n2026-01-01 00:00:00,5\n2026-01-01 00:05:00,6\n2026-01-01 00:10:00,7\n2026-01-01 00:15:00,6\n');
    const t = await start({ targets: [{ name: 'short', source: { type: 'file', path: csv }, models: ['mstl'], horizon: '15m' }] });
    await t.app.prescient.engine.refresh('short');
    const body = (await t.app.inject('/api/v1/targets/short/forecast')).json();
    expect(body).toMatchObject({ model: 'snaive', fallbackFrom: 'mstl' });
    expect(body.point).toEqual([6, 6, 6]);
    expect(body.notes[0]).toContain('mstl failed: PRESCIENT_ERR_SERIES_TOO_SHORT');
    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toContain('prescient_model_fallbacks_total{target="short",from="mstl",to="snaive"} 1');
    expect(metrics).toContain('prescient_fit_failures_total{target="short",model="mstl",code="PRESCIENT_ERR_SERIES_TOO_SHORT"} 1');
  });

  it('records an error when every model fails, without crashing', async () => {
    const dir = tempDir();
    const csv = join(dir, 'nan.csv');
    writeFileSync(csv, 'timestamp,value\n2026-01-01 00:00:00,NaN\n2026-01-01 00:05:00,\n');
    const t = await start({ targets: [{ name: 'empty', source: { type: 'file', path: csv } }] });
    await t.app.prescient.engine.refresh('empty');
    const state = (await t.app.inject('/api/v1/targets/empty')).json();
    expect(state).toMatchObject({ state: 'error', lastError: { code: 'PRESCIENT_ERR_SERIES_INVALID' } });
    expect((await t.app.inject('/api/v1/targets/empty/forecast')).statusCode).toBe(503);
  });
});

describe('persistence', () => {
  it('serves the persisted forecast at once after a restart, without refitting', async () => {
    const modelsDir = tempDir();
    const targets = [fileTarget('rds', 'nab/rds_cpu_utilization_cc0c53.csv')];
    const first = await buildTestApp({ targets }, { modelsDir });
    await first.app.prescient.engine.refresh('rds');
    const before = (await first.app.inject('/api/v1/targets/rds/forecast')).json();
    await first.close();

    const second = await start({ targets: targets.map((x) => ({ ...x, refreshInterval: '1h' })) }, { modelsDir, startEngine: true });
    // Read before the first scheduled refresh could finish: what is served is the restored forecast.
    const after = (await second.app.inject('/api/v1/targets/rds/forecast')).json();
    expect(after.generatedAt).toBe(before.generatedAt);
    expect(after.point).toEqual(before.point);
  });

  it('ignores a corrupt persisted file and refits', async () => {
    const modelsDir = tempDir();
    writeFileSync(join(modelsDir, 'rds.forecast.json'), '{"version": 1, "kind": "prescient-forecast", "forec');
    const t = await start({ targets: [fileTarget('rds', 'nab/rds_cpu_utilization_cc0c53.csv')] }, { modelsDir, startEngine: true });
    expect(t.app.prescient.states.get('rds')?.forecast).toBeUndefined();
    await t.app.prescient.engine.refresh('rds');
    expect(t.app.prescient.states.get('rds')?.forecast?.model).toBe('mstl');
  });

  it('ignores a persisted forecast made for other target settings', async () => {
    const modelsDir = tempDir();
    const first = await buildTestApp({ targets: [fileTarget('rds', 'nab/rds_cpu_utilization_cc0c53.csv')] }, { modelsDir });
    await first.app.prescient.engine.refresh('rds');
    await first.close();
    const t = await start({ targets: [fileTarget('rds', 'nab/rds_cpu_utilization_cc0c53.csv', { models: ['snaive'] })] }, { modelsDir, startEngine: true });
    expect(t.app.prescient.states.get('rds')?.forecast).toBeUndefined();
  });
});
