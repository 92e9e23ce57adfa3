import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema, type TargetConfig } from '../../src/config/schema.js';
import type { TargetForecast } from '../../src/engine/target-state.js';
import { configHash, parsePersisted, toPersisted, type PersistedFeedback } from '../../src/engine/persisted.js';
import { ForecastStore } from '../../src/store/forecast-store.js';
import { rejectionOf, thrownBy } from '../support/errors.js';

// The edges of the forecast store that forecast-store.test.ts does not
// reach: every part of the document read back whole, which target settings
// make a file foreign, and the coded errors' messages. Found by mutation
// testing (test/mutation/REPORT.md).

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'prescient-store-'));
  dirs.push(dir);
  return dir;
}

const targetOf = (extra: Record<string, unknown> = {}): TargetConfig =>
  configSchema.parse({ targets: [{ name: 'web', source: { type: 'file', path: '/data/web.csv' }, ...extra }] }).targets[0]!;
const target = targetOf();

const forecast: TargetForecast = {
  target: 'web',
  model: 'mstl',
  fallbackFrom: 'sarima',
  generatedAtMs: 1_770_000_000_000,
  startMs: 1_770_000_000_000,
  stepSeconds: 300,
  point: [10, 11],
  intervals: [{ level: 0.8, lower: [9, 10], upper: [11, 12] }],
  lastObserved: { atMs: 1_769_999_700_000, value: 10 },
  filledGaps: 2,
  seasonalPeriods: [288],
  notes: ['a note'],
};

/** Every optional part of the document, each with every optional field. */
const feedback: PersistedFeedback = {
  record: {
    stepSeconds: 300,
    levels: [0.8],
    leadTimeSeconds: 300,
    keepSteps: 100,
    scoredUntilMs: 1_770_000_000_000,
    maseScale: 2,
    served: [{ generatedAtMs: 1, startMs: 2, knewUntilMs: 3, point: [4], lower: [[3]], upper: [[5]] }],
    scored: { atMs: [2], actual: [4.5], point: [4], madeAtMs: [1], lower: [[3]], upper: [[5]] },
  },
  health: { state: 'reactive', reason: 'coverage 10 %', sinceMs: 5, judgeFromMs: 5, changepointAtMs: 4, historyFromMs: 4, goodSinceMs: 6 },
  accuracy: {
    atMs: 7,
    leadTimeSeconds: 300,
    scalingLevel: 0.8,
    windows: [{ window: '1h', fromMs: 1, toMs: 2, count: 2, mase: 0.5, bias: -1, relativeBias: -0.1, coverage: [{ level: 0.8, coverage: 0.5, count: 2 }] }],
  },
  shadow: { stepSeconds: 300, scoredUntilMs: 8, plans: [{ generatedAtMs: 1, atMs: [2], replicas: [3] }], scored: { atMs: [2], load: [250], ran: [4], recommended: [3] } },
};
const calibration = {
  mode: 'absolute' as const,
  referenceLevel: 0.8,
  bucketSteps: 1,
  horizonSteps: 1,
  buckets: [[-1, 1]],
  count: 2,
  tail: { lagSteps: 1, longRun: [1, 2], recent: [1], maxFactor: 3, differences: [2, 1], blockSteps: 1, method: 'rolling' as const },
  near: { mode: 'scaled' as const, referenceLevel: 0.8, bucketSteps: 1, horizonSteps: 1, buckets: [[0]], count: 1 },
};
const selection = {
  model: 'auto',
  selection: {
    model: 'mstl',
    members: ['mstl', 'snaive'],
    stepSeconds: 300,
    seasonalPeriods: [288],
    selectedAtMs: 1,
    calibration,
    served: [{ startMs: 1, forecast: { point: [1], intervals: [{ level: 0.8, lower: [0], upper: [2] }] } }],
    scores: { mstl: { mase: 0.7 } },
    notes: ['chosen'],
  },
};

describe('ForecastStore: the whole document', () => {
  it('reads back every part it saved: forecast, scores, selection with its calibration, record, health, accuracy and shadow', async () => {
    const store = new ForecastStore(tempDir());
    await store.save(target, forecast, { mstl: { mase: 0.7, smape: 0.1 } }, selection, feedback);
    const loaded = await store.load(target);
    expect(loaded).toEqual(toPersisted(target, forecast, { mstl: { mase: 0.7, smape: 0.1 } }, selection, feedback));
    expect(loaded).toMatchObject({
      version: 1,
      kind: 'prescient-forecast',
      forecast,
      scores: { mstl: { mase: 0.7, smape: 0.1 } },
      selection,
      feedback: feedback.record,
      health: feedback.health,
      accuracy: feedback.accuracy,
      shadow: feedback.shadow,
    });
  });

  it('reads back the frontier replayed at the last selection, so a restart keeps the own-history check\'s verdict', async () => {
    const knobs = { quantile: 0.9, scaleInGuardQuantile: 0.975, utilisation: 1, leadTimeSeconds: 300 };
    const stats = { underProvisionedMinutes: 6, underProvisionedMinutesPerWeek: 14, replicaHours: 40, scaleEvents: 3, fallbackMinutes: 0 };
    const frontier = {
      startMs: 1,
      endMs: 2,
      model: 'mstl',
      points: [{ knobs, ...stats }],
      plainHpa: [{ utilisation: 0.7, ...stats, underProvisionedMinutes: 3 }],
      chosen: { index: 0, knobs, metBudget: true, reason: 'the configured knobs; but …', fallback: { utilisation: 0.7, underProvisionedMinutes: 3, replicaHours: 35 } },
      computeMs: 5,
    };
    const store = new ForecastStore(tempDir());
    await store.save(target, { ...forecast, frontier }, undefined);
    expect((await store.load(target))?.forecast.frontier).toEqual(frontier);
    // The own-history rule's frontier keeps its share: without it a restart would read it as a budget's, serve it to no one and select again.
    const ruled = { ...frontier, budget: { maxUnderProvisionedMinutesPerWeek: 2.1 }, ownHistoryShare: 0.15 };
    await store.save(target, { ...forecast, frontier: ruled }, undefined);
    expect((await store.load(target))?.forecast.frontier).toEqual(ruled);
  });

  it('leaves out what it was not given', () => {
    const bare = toPersisted(target, forecast, undefined);
    expect(Object.keys(bare).sort()).toEqual(['configHash', 'forecast', 'kind', 'version']);
    const healthOnly = toPersisted(target, forecast, undefined, undefined, { health: feedback.health! });
    expect(Object.keys(healthOnly).sort()).toEqual(['configHash', 'forecast', 'health', 'kind', 'version']);
  });

  it('copies the forecast it saves: later changes to the caller\'s arrays do not reach the document', () => {
    const point = [10, 11];
    const interval = { level: 0.8, lower: [9, 10], upper: [11, 12] };
    const seasonalPeriods = [288];
    const notes = ['a note'];
    const doc = toPersisted(target, { ...forecast, point, intervals: [interval], seasonalPeriods, notes }, undefined);
    point[0] = 99;
    interval.level = 0.5;
    seasonalPeriods[0] = 1;
    notes.push('later');
    expect(doc.forecast).toEqual(forecast);
  });
});

describe('ForecastStore: which file is foreign', () => {
  it('names the settings by 16 hex digits of their hash, as earlier versions wrote it (a longer one would make every file foreign)', () => {
    expect(configHash(target)).toMatch(/^[0-9a-f]{16}$/);
    expect(configHash(targetOf())).toBe(configHash(target));
    expect(configHash(targetOf({ levels: [0.5, 0.8, 0.95] }))).toMatch(/^[0-9a-f]{16}$/);
    expect(configHash(targetOf({ levels: [0.5, 0.8, 0.95] }))).not.toBe(configHash(target));
    expect(toPersisted(target, forecast, undefined).configHash).toBe(configHash(target));
  });


  it('keeps a forecast across a change of refresh interval or staleness limit, not across other settings', async () => {
    const store = new ForecastStore(tempDir());
    await store.save(target, forecast, undefined);
    expect((await store.load(targetOf({ refreshInterval: '1m', staleAfter: '2h' })))?.forecast).toEqual(forecast);
    expect(await store.load(targetOf({ levels: [0.5, 0.8, 0.95] }))).toBeUndefined();
  });

  it('refuses a document whose forecast names another target, even with the same settings', () => {
    const text = JSON.stringify(toPersisted(target, { ...forecast, target: 'api' }, undefined));
    expect(parsePersisted(text, target, 'x')).toBeUndefined();
    expect(parsePersisted(JSON.stringify(toPersisted(target, forecast, undefined)), target, 'x')?.forecast).toEqual(forecast);
  });

  it('refuses another file version or kind as corrupt, naming where it was read', () => {
    const doc = toPersisted(target, forecast, undefined);
    for (const bad of [{ ...doc, version: 2 }, { ...doc, kind: 'other' }, { ...doc, forecast: { ...doc.forecast, stepSeconds: 0 } }]) {
      const err = thrownBy(() => parsePersisted(JSON.stringify(bad), target, '/models/web.forecast.json'));
      expect(err.code).toBe('PRESCIENT_ERR_PERSISTENCE');
      expect(err.message).toBe('/models/web.forecast.json is corrupt or not a Prescient forecast; it will be refitted');
    }
  });

  it('refuses a calibration or record whose enums or counts are wrong', () => {
    const withSelection = (calib: unknown) =>
      JSON.stringify({ ...toPersisted(target, forecast, undefined), selection: { model: 'auto', selection: { ...selection.selection, calibration: calib } } });
    expect(parsePersisted(withSelection(calibration), target, 'x')?.selection).toEqual(selection);
    expect(() => parsePersisted(withSelection({ ...calibration, mode: 'relative' }), target, 'x')).toThrow(/corrupt/);
    expect(() => parsePersisted(withSelection({ ...calibration, tail: { ...calibration.tail, method: 'mean' } }), target, 'x')).toThrow(/corrupt/);
    expect(() => parsePersisted(withSelection({ ...calibration, near: { ...calibration.near, mode: 'x' } }), target, 'x')).toThrow(/corrupt/);
    const withHealth = (state: string) => JSON.stringify({ ...toPersisted(target, forecast, undefined), health: { ...feedback.health, state } });
    expect(parsePersisted(withHealth('degraded'), target, 'x')?.health?.state).toBe('degraded');
    expect(parsePersisted(withHealth('trusted'), target, 'x')?.health?.state).toBe('trusted');
    expect(() => parsePersisted(withHealth('sleeping'), target, 'x')).toThrow(/corrupt/);
  });
});

describe('ForecastStore: coded errors say which file', () => {
  it('a file it cannot read (a directory in its place) is PRESCIENT_ERR_PERSISTENCE naming the path', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'web.forecast.json'));
    const err = await rejectionOf(new ForecastStore(dir).load(target));
    expect(err.code).toBe('PRESCIENT_ERR_PERSISTENCE');
    expect(err.message).toMatch(new RegExp(`^cannot read ${join(dir, 'web.forecast.json')}: EISDIR`));
    expect((err.cause as NodeJS.ErrnoException).code).toBe('EISDIR');
  });

  it('a file it cannot write is PRESCIENT_ERR_PERSISTENCE naming the path', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const err = await rejectionOf(new ForecastStore(file).save(target, forecast, undefined));
    expect(err.code).toBe('PRESCIENT_ERR_PERSISTENCE');
    expect(err.message).toMatch(new RegExp(`^cannot write ${join(file, 'web.forecast.json')}: `));
    // mkdir of the store's directory meets the file in its place.
    expect((err.cause as NodeJS.ErrnoException).code).toBe('EEXIST');
  });

  it('a corrupt file is refused naming its path', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'web.forecast.json'), '{');
    const err = await rejectionOf(new ForecastStore(dir).load(target));
    expect(err.message).toBe(`${join(dir, 'web.forecast.json')} is corrupt or not a Prescient forecast; it will be refitted`);
    // The parser's own error is kept for the log: here JSON's.
    expect(err.cause).toBeInstanceOf(SyntaxError);
  });
});
