/** The engine with `auto` (a backtest per selection: many fits), split from engine.test.ts to keep the fast loop fast. */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTestApp, DATA_DIR, fileTarget, useTestApps } from '../support/app.js';

const { start, tempDir } = useTestApps();

describe('Engine with auto', () => {
  it("carries auto's selection into the next refresh, which refits the chosen model instead of backtesting again", async () => {
    const t = await start({ targets: [fileTarget('rds', 'nab/rds_cpu_utilization_cc0c53.csv', { models: ['auto'] })] });
    const { engine, states } = t.app.prescient;
    await engine.refresh('rds');
    const first = states.get('rds')?.forecast;
    expect(first?.notes.join(' ')).toMatch(/chose .* by backtest/);
    expect(first?.notes.join(' ')).not.toMatch(/refitted on the fresh history/);

    await engine.refresh('rds');
    const second = states.get('rds')?.forecast;
    expect(second?.model).toBe(first?.model);
    expect(second?.notes.join(' ')).toMatch(/refitted on the fresh history, as chosen by the backtest at/);
    expect(second?.generatedAtMs).toBeGreaterThanOrEqual(first?.generatedAtMs ?? Infinity);
  });

  it("calibrates auto's first hour on the forecasts it served, refresh after refresh, as the load comes in", { timeout: 60_000 }, async () => {
    // Ten days of a real series in a file that grows by 15 minutes (3 rows) before each refresh.
    const dir = tempDir();
    const csv = join(dir, 'growing.csv');
    const [header, ...rows] = readFileSync(join(DATA_DIR, 'nab/rds_cpu_utilization_cc0c53.csv'), 'utf8').trim().split('\n');
    let shown = 10 * 288;
    writeFileSync(csv, [header, ...rows.slice(0, shown)].join('\n'));
    const t = await start({ targets: [{ ...fileTarget('rds', 'x', { models: ['auto'] }), source: { type: 'file', path: csv } }] });
    const { engine, states } = t.app.prescient;
    await engine.refresh('rds');
    expect(states.get('rds')?.forecast?.notes.join(' ')).not.toMatch(/forecasts served/);
    for (let k = 0; k < 10; k++) {
      appendFileSync(csv, `\n${rows.slice(shown, shown + 3).join('\n')}`);
      shown += 3;
      await engine.refresh('rds');
    }
    // Eleven forecasts served 15 minutes apart; the ten before the last have (some of) their actuals in.
    const notes = states.get('rds')?.forecast?.notes.join(' ');
    expect(notes).toMatch(/refitted on the fresh history/);
    expect(notes).toMatch(/first 12 steps calibrated on \d+ scored steps of the 10 forecasts served over the last 24 h/);
  });

  it('never calibrates on forecasts served from a file replayed as if it ended now (it does not grow)', { timeout: 60_000 }, async () => {
    // Refreshes 15 minutes apart on the engine's clock (ahead of the real one, so fit deadlines hold).
    let clock = Date.now();
    const t = await start(
      { targets: [{ ...fileTarget('demo', 'x', { models: ['auto'] }), source: { type: 'file', path: join(DATA_DIR, 'nab/rds_cpu_utilization_cc0c53.csv'), shiftToNow: true } }] },
      { now: () => clock },
    );
    const { engine, states } = t.app.prescient;
    for (let k = 0; k < 11; k++) {
      await engine.refresh('demo');
      clock += 15 * 60_000;
    }
    const notes = states.get('demo')?.forecast?.notes.join(' ');
    expect(notes).toMatch(/refitted on the fresh history/);
    expect(notes).not.toMatch(/forecasts served/);
  });

});

describe('persistence of auto', () => {
  it("keeps auto's selection and the forecasts it served across a restart", { timeout: 60_000 }, async () => {
    const modelsDir = tempDir();
    const csv = join(tempDir(), 'growing.csv');
    const [header, ...rows] = readFileSync(join(DATA_DIR, 'nab/rds_cpu_utilization_cc0c53.csv'), 'utf8').trim().split('\n');
    writeFileSync(csv, [header, ...rows.slice(0, 10 * 288)].join('\n'));
    const targets = [{ ...fileTarget('rds', 'x', { models: ['auto'] }), source: { type: 'file', path: csv } }];
    const first = await buildTestApp({ targets }, { modelsDir });
    await first.app.prescient.engine.refresh('rds');
    expect(first.app.prescient.states.get('rds')?.forecast?.notes.join(' ')).toMatch(/chose .* by backtest/);
    await first.close();
    const persisted = JSON.parse(readFileSync(join(modelsDir, 'rds.forecast.json'), 'utf8'));
    expect(persisted.selection.model).toBe('auto');
    const chosenAt = persisted.selection.selection.selectedAtMs;
    expect(persisted.selection.selection.served).toHaveLength(1);

    // Fifteen minutes of load later, a restarted service refits the same choice instead of choosing again ...
    appendFileSync(csv, `\n${rows.slice(10 * 288, 10 * 288 + 3).join('\n')}`);
    const second = await start({ targets }, { modelsDir, startEngine: true });
    await second.app.prescient.engine.refresh('rds');
    const notes = second.app.prescient.states.get('rds')?.forecast?.notes.join(' ');
    expect(notes).toMatch(new RegExp(`refitted on the fresh history, as chosen by the backtest at ${new Date(chosenAt).toISOString()}`));
    // ... and keeps the forecast served before the restart beside the new one.
    const after = JSON.parse(readFileSync(join(modelsDir, 'rds.forecast.json'), 'utf8'));
    expect(after.selection.selection.served.map((s: { startMs: number }) => s.startMs)).toEqual([
      persisted.selection.selection.served[0].startMs,
      persisted.selection.selection.served[0].startMs + 15 * 60_000,
    ]);
  });

  it('ignores a persisted file whose selection is malformed, and chooses again', async () => {
    const modelsDir = tempDir();
    const targets = [fileTarget('rds', 'nab/rds_cpu_utilization_cc0c53.csv', { models: ['auto'] })];
    const first = await buildTestApp({ targets }, { modelsDir });
    await first.app.prescient.engine.refresh('rds');
    await first.close();
    const path = join(modelsDir, 'rds.forecast.json');
    const persisted = JSON.parse(readFileSync(path, 'utf8'));
    persisted.selection.selection.calibration.buckets = 'not numbers';
    writeFileSync(path, JSON.stringify(persisted));
    const t = await start({ targets: targets.map((x) => ({ ...x, refreshInterval: '1h' })) }, { modelsDir, startEngine: true });
    expect(t.app.prescient.states.get('rds')?.forecast).toBeUndefined();
    await t.app.prescient.engine.refresh('rds');
    expect(t.app.prescient.states.get('rds')?.forecast?.notes.join(' ')).toMatch(/chose .* by backtest/);
  });

});
