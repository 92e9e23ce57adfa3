import { spawnSync } from 'node:child_process';
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { TargetForecast } from '../../src/engine/target-state.js';
import { PrescientError } from '../../src/errors.js';
import { ForecastStore } from '../../src/store/forecast-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'prescient-store-'));
  dirs.push(dir);
  return dir;
}

const target = configSchema.parse({ targets: [{ name: 'web', source: { type: 'file', path: '/data/web.csv' } }] }).targets[0]!;

function forecast(value: number, generatedAtMs = 1_770_000_000_000): TargetForecast {
  return {
    target: 'web',
    model: 'mstl',
    generatedAtMs,
    startMs: generatedAtMs,
    stepSeconds: 300,
    point: [value, value + 1],
    intervals: [{ level: 0.8, lower: [value - 1, value], upper: [value + 1, value + 2] }],
    lastObserved: { atMs: generatedAtMs - 300_000, value },
    filledGaps: 0,
    seasonalPeriods: [288],
    notes: [],
  };
}

describe('ForecastStore', () => {
  it('reads back what it saved', async () => {
    const store = new ForecastStore(tempDir());
    await store.save(target, forecast(10), { mstl: { mase: 0.5 } });
    const loaded = await store.load(target);
    expect(loaded?.forecast).toEqual(forecast(10));
    expect(loaded?.scores).toEqual({ mstl: { mase: 0.5 } });
  });

  it('replaces the file atomically: a new file renamed over the old, never the old one rewritten in place', async () => {
    const dir = tempDir();
    const store = new ForecastStore(dir);
    await store.save(target, forecast(10), undefined);
    const path = join(dir, 'web.forecast.json');
    const before = readFileSync(path, 'utf8');
    // A second name for the old file's inode (as a reader holding it open would see it): a write in
    // place would change what it holds, a rename over the path leaves it whole.
    const reader = join(dir, 'reader-view.json');
    linkSync(path, reader);
    const inodeBefore = statSync(path).ino;
    await store.save(target, forecast(20), undefined);
    expect(readFileSync(reader, 'utf8')).toBe(before);
    expect(statSync(path).ino).not.toBe(inodeBefore);
    expect((await store.load(target))?.forecast.point).toEqual([20, 21]);
    // And no temporary file is left behind.
    expect(readdirSync(dir).sort()).toEqual(['reader-view.json', 'web.forecast.json']);
  });

  it('reads back auto’s selection with its calibration whole, cross-checked levels included', async () => {
    const store = new ForecastStore(tempDir());
    const calibration = {
      mode: 'scaled' as const,
      referenceLevel: 0.8,
      bucketSteps: 1,
      horizonSteps: 2,
      buckets: [[-1, 1], [-2, 2]],
      count: 4,
      calibrateAt: [
        { level: 0.8, at: 0.86 },
        { level: 0.95, at: 0.965 },
      ],
    };
    const selection = {
      model: 'auto',
      selection: { model: 'sarima', members: ['sarima'], stepSeconds: 300, seasonalPeriods: [288], selectedAtMs: 1, calibration, notes: [] },
    };
    await store.save(target, forecast(10), undefined, selection);
    expect((await store.load(target))?.selection).toEqual(selection);
  });

  it('creates its directory when missing', async () => {
    const dir = join(tempDir(), 'nested', 'models');
    await new ForecastStore(dir).save(target, forecast(1), undefined);
    expect(readdirSync(dir)).toEqual(['web.forecast.json']);
  });

  it('answers undefined for no file and for a file of other target settings', async () => {
    const dir = tempDir();
    const store = new ForecastStore(dir);
    expect(await store.load(target)).toBeUndefined();
    await store.save(target, forecast(1), undefined);
    const other = configSchema.parse({ targets: [{ name: 'web', source: { type: 'file', path: '/data/web.csv' }, horizon: '2d' }] }).targets[0]!;
    expect(await store.load(other)).toBeUndefined();
    expect(await store.load(target)).toBeDefined();
  });

  it('refuses a corrupt file with PRESCIENT_ERR_PERSISTENCE', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'web.forecast.json'), '{"version": 1, "kind": "prescient-forecast", "forec');
    const err = await new ForecastStore(dir).load(target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrescientError);
    expect((err as PrescientError).code).toBe('PRESCIENT_ERR_PERSISTENCE');
  });

  it('reports an unwritable directory as PRESCIENT_ERR_PERSISTENCE', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const err = await new ForecastStore(file).save(target, forecast(1), undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrescientError);
    expect((err as PrescientError).code).toBe('PRESCIENT_ERR_PERSISTENCE');
  });

  it('removes the temporary a writer killed before its rename left, at the next start, and serves the saved forecast intact', async () => {
    const dir = tempDir();
    await new ForecastStore(dir).save(target, forecast(10), undefined);
    const path = join(dir, 'web.forecast.json');
    const saved = readFileSync(path, 'utf8');
    // A real process killed (SIGKILL) half-way through writing its temporary, named as src/atomic-file.ts names them.
    const script = `const fs = require('node:fs'); fs.writeFileSync(process.argv[1] + '.' + process.pid + '.1f2e3d4c.tmp', '{"version":1,"kind":"prescient-fore'); process.kill(process.pid, 'SIGKILL');`;
    const crash = spawnSync(process.execPath, ['-e', script, path]);
    expect(crash.signal).toBe('SIGKILL');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toHaveLength(1);
    // The restart: a new store in a process that started after the crash.
    const restarted = new ForecastStore(dir, { startedAtMs: Date.now() + 1 });
    expect((await restarted.load(target))?.forecast).toEqual(forecast(10));
    expect(readdirSync(dir)).toEqual(['web.forecast.json']);
    expect(readFileSync(path, 'utf8')).toBe(saved);
  });

  it('leaves alone a temporary modified since this process started (a write in flight) and files that are not its own', async () => {
    const dir = tempDir();
    const inFlight = join(dir, 'web.forecast.json.4242.abcdef01.tmp');
    const foreign = join(dir, 'notes.txt.4242.abcdef01.tmp');
    writeFileSync(inFlight, '{');
    writeFileSync(foreign, 'x');
    const store = new ForecastStore(dir, { startedAtMs: Date.now() - 60_000 });
    expect(await store.load(target)).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual(['notes.txt.4242.abcdef01.tmp', 'web.forecast.json.4242.abcdef01.tmp']);
    const later = new ForecastStore(dir, { startedAtMs: Date.now() + 1 });
    await later.save(target, forecast(3), undefined);
    expect(readdirSync(dir).sort()).toEqual(['notes.txt.4242.abcdef01.tmp', 'web.forecast.json']);
  });
});
