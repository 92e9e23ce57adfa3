import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrescientError } from '../../src/errors.js';
import type { FitContext } from '../../src/models/forecaster.js';
import { createLstm, type FittedLstm, fitLstm, initTensorflow, loadLstm, lstmMinLength, saveLstm } from '../../src/models/lstm.js';
import { tf } from '../../src/models/tf/backend.js';

/**
 * Small and quick on purpose: 14 days of hourly data and at most 4 epochs,
 * so the suite trains a handful of models in well under two minutes.
 */
const DAY = 24;
/** A daily cycle plus AR(1) deviations that persist for hours: what the LSTM should learn to carry forward. */
function series(days: number, seed = 11): number[] {
  let state = seed;
  const noise = (): number => ((state = (state * 16807) % 2147483647) / 2147483647 - 0.5) * 2;
  let deviation = 0;
  return Array.from({ length: days * DAY }, (_, i) => {
    deviation = 0.9 * deviation + noise();
    return 50 + 20 * Math.sin((2 * Math.PI * i) / DAY) + 3 * deviation;
  });
}
const values = series(14);
const ctx = (over: Partial<FitContext> = {}): FitContext => ({
  stepSeconds: 3600,
  startMs: Date.UTC(2026, 0, 5),
  seasonalPeriods: [DAY, 7 * DAY],
  deadlineMs: Date.now() + 90_000,
  seed: 5,
  ...over,
});
const OPTIONS = { maxEpochs: 4 };
const LEVELS = [0.8, 0.95];

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (err: unknown) => (err instanceof PrescientError ? err.code : `not a PrescientError: ${String(err)}`),
  );
}

describe('lstm', () => {
  let fitted: FittedLstm;
  let dir: string;

  beforeAll(async () => {
    await initTensorflow();
    dir = await mkdtemp(join(tmpdir(), 'prescient-lstm-'));
    fitted = await fitLstm(values, ctx(), OPTIONS);
  });

  afterAll(async () => {
    fitted.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs on the WASM backend', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  it('forecasts with lower ≤ point ≤ upper, the 95 % band containing the 80 % one', () => {
    const forecast = fitted.predict(DAY, LEVELS);
    expect(forecast.point).toHaveLength(DAY);
    const [narrow, wide] = forecast.intervals;
    for (let h = 0; h < DAY; h++) {
      const p = forecast.point[h] as number;
      expect(Number.isFinite(p)).toBe(true);
      expect(narrow?.lower[h]).toBeLessThanOrEqual(p);
      expect(narrow?.upper[h]).toBeGreaterThanOrEqual(p);
      expect(wide?.lower[h]).toBeLessThanOrEqual(narrow?.lower[h] as number);
      expect(wide?.upper[h]).toBeGreaterThanOrEqual(narrow?.upper[h] as number);
    }
  });

  it('learns to beat seasonal naive on its validation tail when deviations persist', () => {
    expect(fitted.training?.bestEpoch).toBeGreaterThan(0);
    expect(fitted.training?.validationMae).toBeLessThan(0.9 * (fitted.training?.baselineMae as number));
    // The correction helped on both halves of the tail, so it is kept (blend weight above 0).
    expect(fitted.training?.correctionWeight).toBeGreaterThan(0);
  });

  it('forecasts beyond its training horizon block after block, with bands that widen', () => {
    const long = fitted.predict(3 * DAY, [0.8]);
    expect(long.point).toHaveLength(3 * DAY);
    expect(long.point.slice(0, DAY)).toEqual(fitted.predict(DAY, [0.8]).point);
    const band = long.intervals[0] as { lower: number[]; upper: number[] };
    const width = (h: number): number => (band.upper[h] as number) - (band.lower[h] as number);
    expect(width(2 * DAY + 5)).toBeGreaterThan(width(5));
  });

  it('gives the same model for the same data and seed', async () => {
    const again = await fitLstm(values, ctx(), OPTIONS);
    try {
      expect(again.predict(2 * DAY, LEVELS)).toEqual(fitted.predict(2 * DAY, LEVELS));
    } finally {
      again.dispose();
    }
  });

  it('leaks no tensors across fit, predict and dispose', async () => {
    const before = tf.memory().numTensors;
    const other = await createLstm(OPTIONS).fit(values, ctx({ seed: 9 }));
    other.predict(DAY, LEVELS);
    other.dispose();
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses short, non-finite and late input with coded errors', async () => {
    const need = lstmMinLength(ctx());
    expect(need).toBeLessThanOrEqual(values.length);
    expect(await codeOf(fitLstm(values.slice(0, need - 1), ctx(), OPTIONS))).toBe('PRESCIENT_ERR_SERIES_TOO_SHORT');
    expect(
      await codeOf(
        fitLstm(
          values.map((v, i) => (i === 100 ? Number.NaN : v)),
          ctx(),
          OPTIONS,
        ),
      ),
    ).toBe('PRESCIENT_ERR_SERIES_INVALID');
    expect(await codeOf(fitLstm(values, ctx({ deadlineMs: Date.now() - 1 }), OPTIONS))).toBe('PRESCIENT_ERR_FIT_TIMEOUT');
    expect(() => fitted.predict(0, LEVELS)).toThrow(PrescientError);
    expect(() => fitted.predict(DAY, [1.2])).toThrow(PrescientError);
  });

  it('stops training when its time is up, keeping the epoch it finished', async () => {
    // A 1 ms training budget ends training within the first epoch (the same stop as the deadline's, which
    // comes first when nearer): the fit keeps what it learnt and says it stopped.
    const fittedShort = await fitLstm(values, ctx({ deadlineMs: Date.now() + 600_000 }), { maxEpochs: 500, patience: 500, maxTrainMs: 1 });
    const training = fittedShort.training;
    fittedShort.dispose();
    expect(training).toMatchObject({ stoppedAtDeadline: true, epochs: 1 });
  });

  it('refuses with PRESCIENT_ERR_FIT_TIMEOUT a fit whose deadline has passed, without training', async () => {
    const err = await fitLstm(values, ctx({ deadlineMs: Date.now() - 1 }), { maxEpochs: 500, patience: 500 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PrescientError);
    expect((err as PrescientError).code).toBe('PRESCIENT_ERR_FIT_TIMEOUT');
  });

  it('saves and loads a model that predicts exactly the same, replacing the previous save', async () => {
    await saveLstm(fitted, dir);
    await saveLstm(fitted, dir);
    const files = await readdir(dir);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('weights-'))).toHaveLength(1);
    const manifest = JSON.parse(await readFile(join(dir, 'lstm.json'), 'utf8')) as { format: string; version: number };
    expect(manifest).toMatchObject({ format: 'prescient-lstm', version: 2 });
    const before = tf.memory().numTensors;
    const loaded = await loadLstm(dir);
    try {
      expect(loaded.predict(3 * DAY, LEVELS)).toEqual(fitted.predict(3 * DAY, LEVELS));
    } finally {
      loaded.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('after a level shift corrects the level profile instead of seasonal naive, and saves and loads it exactly', async () => {
    // The level steps up by 25 half a day into day 12: seasonal naive repeats the old level for a day.
    const shifted = values.map((v, i) => (i >= 11.5 * DAY ? v + 25 : v));
    const leveled = await fitLstm(shifted, ctx(), OPTIONS);
    const saveDir = await mkdtemp(join(tmpdir(), 'prescient-lstm-level-'));
    try {
      expect(leveled.state.layout.levelSteps).toBeGreaterThan(0);
      expect(leveled.info.notes.join('\n')).toMatch(/level profile MAE .* seasonal naive MAE/);
      // The first day forecast sits at the new level (the daily mean before the shift was 50).
      const day = leveled.predict(DAY, LEVELS).point;
      expect(day.reduce((a, b) => a + b, 0) / DAY).toBeGreaterThan(65);
      await saveLstm(leveled, saveDir);
      const loaded = await loadLstm(saveDir);
      try {
        expect(loaded.predict(2 * DAY, LEVELS)).toEqual(leveled.predict(2 * DAY, LEVELS));
      } finally {
        loaded.dispose();
      }
    } finally {
      leveled.dispose();
      await rm(saveDir, { recursive: true, force: true });
    }
  });

  it('reports a missing, corrupt, foreign or tampered save as PRESCIENT_ERR_PERSISTENCE', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'prescient-lstm-bad-'));
    try {
      expect(await codeOf(loadLstm(join(bad, 'absent')))).toBe('PRESCIENT_ERR_PERSISTENCE');
      await writeFile(join(bad, 'lstm.json'), '{"format": "prescient-lstm", "vers');
      expect(await codeOf(loadLstm(bad))).toBe('PRESCIENT_ERR_PERSISTENCE');
      await writeFile(join(bad, 'lstm.json'), JSON.stringify({ format: 'keras', version: 1 }));
      expect(await codeOf(loadLstm(bad))).toBe('PRESCIENT_ERR_PERSISTENCE');

      await saveLstm(fitted, bad);
      const manifestText = await readFile(join(bad, 'lstm.json'), 'utf8');
      const manifest = JSON.parse(manifestText) as { version: number; weightsFile: string; state: { tail: number[] } };
      await writeFile(join(bad, 'lstm.json'), JSON.stringify({ ...manifest, version: 99 }));
      expect(await codeOf(loadLstm(bad))).toBe('PRESCIENT_ERR_PERSISTENCE');
      await writeFile(
        join(bad, 'lstm.json'),
        JSON.stringify({ ...manifest, state: { ...manifest.state, tail: manifest.state.tail.slice(1) } }),
      );
      expect(await codeOf(loadLstm(bad))).toBe('PRESCIENT_ERR_PERSISTENCE');

      await writeFile(join(bad, 'lstm.json'), manifestText);
      const weights = await readFile(join(bad, manifest.weightsFile));
      weights[10] = (weights[10] as number) ^ 0xff;
      await writeFile(join(bad, manifest.weightsFile), weights);
      expect(await codeOf(loadLstm(bad))).toBe('PRESCIENT_ERR_PERSISTENCE');
      await rm(join(bad, manifest.weightsFile));
      expect(await codeOf(loadLstm(bad))).toBe('PRESCIENT_ERR_PERSISTENCE');
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});
