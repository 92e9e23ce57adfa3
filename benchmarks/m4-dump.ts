/**
 * Caches, per M4 hourly series, what `auto` decides from: every candidate's
 * backtest forecasts (the same origins, levels and seasons `auto` uses on
 * the M4 protocol) and its forecast of the 48 test hours when fitted on the
 * whole train row. benchmarks/m4-offline.ts then replays `auto`'s
 * combination and calibration on these in seconds, so variants of them
 * can be compared without refitting (issue 16: fitting 150 series takes
 * half an hour on 2 cores).
 *
 *   npx tsx benchmarks/m4-dump.ts --set dev|sample [--limit N] [--shard k/n] [--models a,b] [--skip a,b] --out <name>
 *
 * --skip a,b: leave out the series already in these dumps (to continue a
 * dump a time limit cut short).
 * --models: dump only these candidates (and their @1d variants), e.g. a
 * new member, to add to an earlier dump of the others (m4-offline.ts
 * merges the entries of one series across dumps).
 *
 * --set sample: the seeded evaluation sample (--sample 150 --sample-seed 1,
 * as in m4.ts); --set dev: the other series, in a seeded order (seed 16),
 * never part of that sample. Writes benchmarks/out/dump/<name>.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { evaluate } from '../src/models/evaluation/rolling-origin.js';
import type { FitContext, Forecaster } from '../src/models/forecaster.js';
import { withSeason } from '../src/models/auto/candidates.js';
import { OPT_IN } from '../src/models/auto/options.js';
import { forecasters } from '../src/models/registry.js';
import { detectSeasonalPeriods } from '../src/series/seasonality.js';
import { readM4Hourly } from './m4.js';
import { dumpCandidates, type DumpCandidate } from './dump-candidates.js';
import { seededSample } from './split.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const HORIZON = 48;
const STEP_SECONDS = 3600;
const LEVELS = [0.8, 0.95];
const START_MS = Date.UTC(2020, 0, 1);

export interface DumpSeries {
  readonly id: string;
  readonly periods: readonly number[];
  readonly candidates: readonly DumpCandidate[];
  /** Accuracy-benchmark dumps (accuracy-dump.ts) carry their own history, scored actuals and day in steps; M4's are read from the data. */
  readonly day?: number;
  readonly history?: readonly number[];
  readonly actual?: readonly number[];
}

/** The series of a set: the evaluation sample of m4.ts, or a seeded sample (seed 16) of `limit` of the rest. */
export async function seriesOf(set: 'dev' | 'sample', limit?: number): Promise<Awaited<ReturnType<typeof readM4Hourly>>> {
  const all = await readM4Hourly();
  const sample = seededSample(all, 150, 1);
  if (set === 'sample') return limit === undefined ? sample : seededSample(sample, limit, 16);
  const inSample = new Set(sample.map((s) => s.id));
  const rest = all.filter((s) => !inSample.has(s.id));
  return seededSample(rest, limit ?? rest.length, 16);
}

async function dumpOne(id: string, train: readonly number[], only?: readonly string[]): Promise<DumpSeries> {
  const periods = detectSeasonalPeriods(train, STEP_SECONDS);
  const ctx: FitContext = { stepSeconds: STEP_SECONDS, startMs: START_MS, seasonalPeriods: periods, deadlineMs: Date.now() + 600_000, seed: 42, horizonSteps: HORIZON };
  // auto's candidates on this protocol (auto.ts): every registered model but auto and the opt-in ones, and with a
  // daily season added when the detector gave none.
  const named: Forecaster[] = [...forecasters.values()].filter((f) => f.name !== 'auto' && (only ? only.includes(f.name) : !OPT_IN.has(f.name)));
  if (!periods.includes(24)) named.push(...named.map((f) => withSeason(f, 24, '@1d')));
  const shortestTrain = train.length - 3 * HORIZON;
  const models = named.filter((f) => f.minLength(ctx) <= shortestTrain);
  const evaluation = await evaluate({
    series: { startMs: START_MS, stepSeconds: STEP_SECONDS, values: train },
    models,
    origins: 3,
    horizonSteps: HORIZON,
    spacingSteps: HORIZON,
    levels: LEVELS,
    seasonalPeriods: periods,
    scalingQuantile: 0.9,
    deadlineMs: ctx.deadlineMs,
    seed: 42,
  });
  const candidates = await dumpCandidates(evaluation, models, train, ctx, HORIZON, LEVELS);
  return { id, periods, candidates };
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: { set: { type: 'string', default: 'dev' }, limit: { type: 'string' }, shard: { type: 'string', default: '0/1' }, models: { type: 'string' }, skip: { type: 'string' }, out: { type: 'string' } },
  });
  const set = args.set === 'sample' ? 'sample' : 'dev';
  const out = args.out ?? `${set}-${args.shard?.replace('/', 'of')}`;
  const [k, n] = (args.shard as string).split('/').map(Number) as [number, number];
  const done = new Set<string>();
  for (const name of args.skip?.split(',') ?? []) {
    for (const d of JSON.parse(await readFile(join(HERE, 'out', 'dump', `${name}.json`), 'utf8')) as DumpSeries[]) done.add(d.id);
  }
  const series = (await seriesOf(set, args.limit ? Number(args.limit) : undefined)).filter((s, i) => i % n === k && !done.has(s.id));
  await mkdir(join(HERE, 'out', 'dump'), { recursive: true });
  const dumped: DumpSeries[] = [];
  const started = performance.now();
  for (const [i, s] of series.entries()) {
    dumped.push(await dumpOne(s.id, s.train, args.models?.split(',')));
    await writeFile(join(HERE, 'out', 'dump', `${out}.json`), JSON.stringify(dumped));
    console.error(`${i + 1}/${series.length} ${s.id} ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
