/**
 * Watchdog on/off in the autoscaling replay (issue 12, proof: "with the
 * watchdog the predictive policy is never short more minutes than the
 * reactive HPA after the change; without it, report what it costs").
 *
 * Series: NAB nyc_taxi (30 min). The last 35 days are kept; from 5 days
 * before the end the load is shifted: doubled, with its daily peak 3 hours
 * later (value at t = 2 × the real value at t − 3 h). The replay starts 12 h
 * before the change and runs to the end, refitting MSTL (1 d, 1 w) every
 * hour on up to 28 days, as the service refreshes; the same forecasts are
 * replayed with the watchdog off and on in one replay (the CLI's --watchdog table) (its defaults; while reactive, the
 * predictive policy is fed the last observed load, as a demoted target is).
 * Both runs also replay the reactive HPA alone on the same load.
 *
 * Run: npx tsx benchmarks/watchdog-replay.ts      (about 3 minutes; fits are seeded)
 * Writes benchmarks/out/watchdog-replay.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replay, type ReplayResult } from '../src/backtest/replay.js';
import { watchdogSchema } from '../src/config/schema.js';
import { regularize } from '../src/series/regularize.js';
import { readSamplesFile } from '../src/sources/file.js';

const here = dirname(fileURLToPath(import.meta.url));
const STEPS_PER_DAY = 48;

async function main(): Promise<void> {
  const { series: full } = regularize(await readSamplesFile(join(here, '..', 'data', 'nab', 'nyc_taxi.csv')));
  const keep = 35 * STEPS_PER_DAY;
  const real = full.values.slice(-keep);
  const changeIndex = keep - 5 * STEPS_PER_DAY;
  const values = real.map((v, i) => (i < changeIndex ? v : 2 * (real[i - 6] as number)));
  const series = { startMs: full.startMs + (full.values.length - keep) * full.stepSeconds * 1000, stepSeconds: full.stepSeconds, values };
  const changeMs = series.startMs + changeIndex * series.stepSeconds * 1000;
  const common = {
    series,
    startIndex: changeIndex - 12 * 2,
    model: 'mstl',
    seasonalPeriods: [STEPS_PER_DAY, 7 * STEPS_PER_DAY],
    refitEverySteps: 2,
    historyCapSteps: 28 * STEPS_PER_DAY,
    frontier: false,
    seed: 1,
  } as const;
  const started = performance.now();
  // One replay: the predictive policy as usual (watchdog off) and again on the forecasts the watchdog let through.
  const off = await replay({ ...common, watchdog: watchdogSchema.parse({}) });
  const row = (r: ReplayResult, policy: string) => {
    const s = r.policies.find((p) => p.policy === policy)?.stats;
    return { underProvisionedMinutes: s?.underProvisionedMinutes, replicaHours: s?.replicaHours };
  };
  const reactive = row(off, 'reactive');
  const predictiveOff = row(off, 'predictive');
  const predictiveOn = { underProvisionedMinutes: off.watchdog?.stats.underProvisionedMinutes, replicaHours: off.watchdog?.stats.replicaHours };
  const states = off.watchdog?.states ?? [];
  const firstNot = (state: string) => states.find((s) => s.atMs >= changeMs && s.state === state)?.atMs;
  const hoursAfter = (ms: number | undefined) => (ms === undefined ? null : (ms - changeMs) / 3_600_000);
  const onMet = (predictiveOn.underProvisionedMinutes ?? Infinity) <= (reactive.underProvisionedMinutes ?? 0);
  const result = {
    benchmark: 'watchdog-replay',
    source: 'data/nab/nyc_taxi.csv (30 min), last 35 days, the last 5 doubled with the peak 3 h later',
    loadAverage: loadavg()[0],
    seconds: (performance.now() - started) / 1000,
    replay: { from: new Date(off.startMs).toISOString(), change: new Date(changeMs).toISOString(), to: new Date(off.endMs).toISOString(), refit: '1h', model: 'mstl (1d, 1w), 28 d history', capacityPerReplica: off.params.capacityPerReplica },
    table: [
      { policy: 'reactive HPA', ...reactive },
      { policy: 'predictive, watchdog off', ...predictiveOff },
      { policy: 'predictive, watchdog on', ...predictiveOn },
    ],
    watchdog: {
      degradedHoursAfterChange: hoursAfter(firstNot('degraded')),
      reactiveHoursAfterChange: hoursAfter(firstNot('reactive')),
      refitsReactive: states.filter((s) => s.atMs >= changeMs && s.state === 'reactive').length,
      refitsAfterChange: states.filter((s) => s.atMs >= changeMs).length,
    },
    command: 'npx tsx benchmarks/watchdog-replay.ts',
    verdicts: [
      { goal: 'with the watchdog, predictive under-provisioned minutes ≤ the reactive HPA’s after the change', figure: predictiveOn.underProvisionedMinutes, met: onMet },
    ],
  };
  await mkdir(join(here, 'out'), { recursive: true });
  await writeFile(join(here, 'out', 'watchdog-replay.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

void main();
