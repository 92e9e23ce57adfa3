/**
 * Heap per target (issue 15, the memory limit of src/engine/capacity.ts):
 * builds the app in this process with N file-sourced targets of one model
 * (copies of real 5-minute series from data/, as benchmarks/scale.ts uses),
 * measures the JS heap after a full GC before the first fit and again once
 * every target holds a forecast, and divides. The fits run in the pool's
 * worker threads, whose heaps are their own: what is measured is what the
 * main heap keeps per target (served forecast, raw forecast, scores,
 * `auto`'s selection, metrics series), the heap the capacity rule guards.
 *
 *   nice -n 19 npx tsx benchmarks/heap-per-target.ts --targets 60 --model auto [--forecasts-only]
 *
 * A file replayed as if it ended now never fills the served-forecast
 * record of live accuracy (its actuals never grow), which a live target
 * keeps for a week: unless `--forecasts-only`, the benchmark then feeds
 * each target's record a week of refreshes every 15 minutes (the default
 * interval), its own forecast re-timed each time, through the engine's own
 * book, and measures the heap again: what a target with a live source
 * holds at most.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { liveRecordBytes, targetHeapBytes } from '../src/engine/capacity.js';
import { levelsFor } from '../src/engine/engine.js';
import { copyFleetSeries } from './fleet.js';

const { values: args } = parseArgs({
  options: {
    targets: { type: 'string', default: '60' },
    model: { type: 'string', default: 'auto' },
    minutes: { type: 'string', default: '30' },
    'forecasts-only': { type: 'boolean', default: false },
  },
});
// Full collections before each reading, without asking for a node flag (npm run bench runs it with tsx).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const root = new URL('..', import.meta.url).pathname;
const count = Number(args.targets);
const dir = mkdtempSync(join(tmpdir(), 'prescient-heap-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const names = Array.from({ length: count }, (_, i) => `t${String(i).padStart(4, '0')}`);
const paths = copyFleetSeries(dir, names);
const targets = names.map((name, i) => {
  const path = paths[i] as string;
  return { name, source: { type: 'file', path, shiftToNow: true }, history: '14d', horizon: '1d', models: [args.model], refreshInterval: '1h', scaling: { capacityPerReplica: 10, maxReplicas: 100 } };
});
const configPath = join(dir, 'prescient.json');
writeFileSync(configPath, JSON.stringify({ pool: { threads: 1 }, modelsDir: join(dir, 'models'), targets }));
const config = loadConfig(configPath);

/** Heap used after full collections (twice: the first may leave finalised objects for the second). */
function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const app = await buildApp({ config, logger: false, startEngine: false });
await app.ready();
const { engine, states } = app.prescient;
const before = heapAfterGc();
const startedMs = Date.now();
await engine.start();
const capMs = Number(args.minutes) * 60_000;
let fitted = 0;
while (Date.now() - startedMs < capMs) {
  await new Promise((r) => setTimeout(r, 2_000));
  fitted = config.targets.filter((t) => states.get(t.name)?.forecast).length;
  if (fitted === count) break;
}
// Stop fitting before measuring: a refresh under way holds its history and fit result.
await engine.stop();
const after = heapAfterGc();

/** A week of refreshes every 15 minutes into each target's served-forecast record (as a live source would fill it). */
function fillLiveRecords(): void {
  const refreshMs = 15 * 60_000;
  for (const target of config.targets) {
    const forecast = states.get(target.name)?.forecast;
    if (!forecast) continue;
    const stepMs = forecast.stepSeconds * 1000;
    const settings = engine.feedback.settings({ ...target, refreshIntervalSeconds: refreshMs / 1000 }, forecast.stepSeconds, levelsFor(target));
    const baseMs = Math.floor(Date.now() / stepMs) * stepMs - 7 * 86_400_000;
    for (let nowMs = baseMs; nowMs <= baseMs + 7 * 86_400_000; nowMs += refreshMs) {
      const steps = Math.round(refreshMs / stepMs);
      const actuals = { startMs: nowMs - (steps - 1) * stepMs, stepSeconds: forecast.stepSeconds, values: forecast.point.slice(0, steps) };
      const served = { ...forecast, generatedAtMs: nowMs, startMs: nowMs + stepMs, lastObserved: { atMs: nowMs, value: forecast.lastObserved.value } };
      engine.feedback.book.update(target.name, settings, actuals, served, nowMs);
    }
  }
}
let afterLive: number | undefined;
let recordNumbers = 0;
let recordJsonBytes = 0;
if (!args['forecasts-only']) {
  fillLiveRecords();
  afterLive = heapAfterGc();
  for (const target of config.targets) {
    const record = engine.feedback.book.get(target.name);
    recordNumbers += record?.size() ?? 0;
    // The record as persisted in the forecast document (a file, or the Redis value every replica reads).
    recordJsonBytes += record ? JSON.stringify(record.toJSON()).length : 0;
  }
}
const errors = config.targets.filter((t) => !states.get(t.name)?.forecast).map((t) => `${t.name}: ${states.get(t.name)?.lastError?.code ?? 'no forecast'}`);
await app.close();

// What src/engine/capacity.ts counts for such a target: with a live source refreshed every 15 minutes when the record was filled.
const first = config.targets[0] as (typeof config.targets)[number];
const counted = { ...first, refreshIntervalSeconds: 900, source: { ...first.source, shiftToNow: afterLive === undefined } } as typeof first;
const perTargetKB = Math.round((after - before) / fitted / 1024);
const result = {
  benchmark: 'heap per target',
  command: `nice -n 19 npx tsx benchmarks/heap-per-target.ts --targets ${count} --model ${args.model}${args['forecasts-only'] ? ' --forecasts-only' : ''}`,
  machine: `${cpus().length} cores, shared (load average at the end ${loadavg()[0]?.toFixed(1)})`,
  model: args.model,
  targets: count,
  fitted,
  errors,
  firstPassSeconds: Math.round((Date.now() - startedMs) / 1000),
  heapBeforeMB: Math.round((before / 2 ** 20) * 10) / 10,
  heapAfterMB: Math.round((after / 2 ** 20) * 10) / 10,
  heapPerTargetKB: perTargetKB,
  ...(afterLive === undefined
    ? {}
    : { heapAfterLiveWeekMB: Math.round((afterLive / 2 ** 20) * 10) / 10, liveRecordPerTargetKB: Math.round((afterLive - after) / fitted / 1024), recordNumbersPerTarget: Math.round(recordNumbers / fitted), recordJsonKBPerTarget: Math.round(recordJsonBytes / fitted / 1024), heapBytesPerRecordNumber: Math.round(((afterLive - after) / recordNumbers) * 100) / 100, withLiveRecordPerTargetKB: Math.round((afterLive - before) / fitted / 1024) }),
  capacityRuleKB: Math.round(targetHeapBytes(counted) / 1024),
  capacityRuleLiveRecordKB: Math.round(liveRecordBytes(counted) / 1024),
};
const measuredBytes = (afterLive ?? after) - before;
const ruleBytes = targetHeapBytes(counted);
const verdicts = [
  {
    goal: `src/engine/capacity.ts allows at least the measured heap per ${args.model} target${afterLive === undefined ? '' : ' with a week of live accuracy'}`,
    figure: `${Math.round(measuredBytes / fitted / 1024)} KB measured, ${Math.round(ruleBytes / 1024)} KB allowed`,
    met: ruleBytes * fitted >= measuredBytes,
  },
];
const out = { ...result, verdicts };
writeFileSync(join(root, 'benchmarks/out', `heap-per-target-${args.model}.json`), `${JSON.stringify(out, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
