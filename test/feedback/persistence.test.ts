import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveAccuracyBook } from '../../src/feedback/live-accuracy.js';
import { ForecastStore } from '../../src/store/forecast-store.js';
import { forecastAt, testConfig } from '../keda/helpers.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the served-forecast record on disk', () => {
  it('is written with the forecast in one file and read back whole, with the health', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prescient-feedback-'));
    dirs.push(dir);
    const target = testConfig().targets[0]!;
    const book = new LiveAccuracyBook();
    const settings = { stepSeconds: 60, levels: [0.8, 0.95], leadTimeSeconds: 300, refreshIntervalSeconds: 900 };
    book.update('web', settings, { startMs: T0 - 120_000, stepSeconds: 60, values: [80, 80] }, forecastAt(T0, 100), T0);
    const later = T0 + 3_600_000;
    book.update('web', settings, { startMs: T0, stepSeconds: 60, values: Array.from({ length: 60 }, () => 85) }, forecastAt(later, 100), later);
    const health = { state: 'reactive' as const, reason: 'coverage 10 %', sinceMs: later, judgeFromMs: later, changepointAtMs: T0 + 60_000, historyFromMs: T0 + 60_000 };
    const store = new ForecastStore(dir);
    await store.save(target, forecastAt(later, 100), undefined, undefined, { record: book.get('web')!.toJSON(), health });
    expect(readFileSync(join(dir, 'web.forecast.json'), 'utf8')).toContain('"scored"');

    const loaded = await store.load(target);
    expect(loaded?.health).toEqual(health);
    const back = new LiveAccuracyBook();
    back.restore('web', settings, loaded!.feedback!);
    expect(back.get('web')!.columns()).toEqual(book.get('web')!.columns());
    expect(back.view('web', settings, later)).toEqual(book.view('web', settings, later));
    expect(back.get('web')!.columns().atMs.length).toBeGreaterThan(50);
  });

  it('drops non-finite scores instead of writing a file it cannot read back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prescient-feedback-'));
    dirs.push(dir);
    const target = testConfig().targets[0]!;
    const store = new ForecastStore(dir);
    await store.save(target, forecastAt(T0, 100), { snaive: { mase: Number.NaN, smape: 0.2 }, mstl: { mase: 0.7 } });
    expect((await store.load(target))?.scores).toEqual({ snaive: { smape: 0.2 }, mstl: { mase: 0.7 } });
  });
});
