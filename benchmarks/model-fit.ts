/**
 * Model speed benchmark (issue 3): for every model in the registry, the
 * median fit time over a few runs on 14 and 28 days of 5-minute data and
 * 28 days of hourly data (real series from data/), and the median predict
 * time for a one-day horizon with levels [0.8, 0.95].
 * Goals: sarima < 5 s, mstl < 0.5 s, lstm < 60 s to fit; any predict < 50 ms.
 *
 * Run: npx tsx benchmarks/model-fit.ts [--models sarima,mstl] [--runs 3]
 * Writes benchmarks/out/model-fit.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { FitContext, Forecaster } from '../src/models/forecaster.js';
import { forecasters } from '../src/models/registry.js';
import { regularize } from '../src/series/regularize.js';
import { readSamplesFile } from '../src/sources/file.js';
import { loadAtStart, loadNote } from './machine-load.js';

const here = dirname(fileURLToPath(import.meta.url));
const DAY_SECONDS = 86_400;
/** 62.7 days of 5-minute CPU of an auto-scaling group: long enough for 28 days at both steps. */
const SOURCE = join(here, '..', 'data', 'nab', 'cpu_utilization_asg_misconfiguration.csv');
const LEVELS = [0.8, 0.95];
/** A generous fit limit: the benchmark measures, the goals judge. */
const FIT_LIMIT_MS = 300_000;

const GOAL_FIT_MS: Readonly<Record<string, number>> = { sarima: 5000, mstl: 500, lstm: 60_000 };
const GOAL_PREDICT_MS = 50;

interface Case {
  readonly name: string;
  readonly stepSeconds: number;
  readonly days: number;
}

const CASES: readonly Case[] = [
  { name: '14 d @ 5 min', stepSeconds: 300, days: 14 },
  { name: '28 d @ 5 min', stepSeconds: 300, days: 28 },
  { name: '28 d @ 1 h', stepSeconds: 3600, days: 28 },
];

interface Row {
  model: string;
  case: string;
  points: number;
  fitMedianMs: number | null;
  fitRunsMs: number[];
  predictMedianMs: number | null;
  fitGoalMs: number | null;
  fitGoalMet: boolean | null;
  predictGoalMet: boolean | null;
  error?: string;
  notes?: readonly string[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function loadCase(c: Case): Promise<{ values: number[]; startMs: number }> {
  const samples = await readSamplesFile(SOURCE);
  // Regularising onto the coarser grid averages the 5-minute samples into each hour.
  const { series } = regularize(samples, { stepSeconds: c.stepSeconds });
  const points = Math.round((c.days * DAY_SECONDS) / c.stepSeconds);
  if (series.values.length < points)
    throw new Error(`${SOURCE} has ${series.values.length} points at ${c.stepSeconds} s, fewer than ${points}`);
  const offset = series.values.length - points;
  return { values: series.values.slice(offset), startMs: series.startMs + offset * c.stepSeconds * 1000 };
}

async function measure(model: Forecaster, c: Case, values: number[], startMs: number, runs: number): Promise<Row> {
  const stepsPerDay = Math.round(DAY_SECONDS / c.stepSeconds);
  const periods = [stepsPerDay, 7 * stepsPerDay].filter((p) => values.length >= 2 * p);
  const fitRunsMs: number[] = [];
  const predictMs: number[] = [];
  let notes: readonly string[] | undefined;
  try {
    for (let run = 0; run < runs; run++) {
      const ctx: FitContext = {
        stepSeconds: c.stepSeconds,
        startMs,
        seasonalPeriods: periods,
        deadlineMs: Date.now() + FIT_LIMIT_MS,
        seed: 42,
      };
      const t0 = performance.now();
      const fitted = await model.fit(values, ctx);
      fitRunsMs.push(performance.now() - t0);
      notes = fitted.info.notes;
      for (let p = 0; p < 5; p++) {
        const t1 = performance.now();
        fitted.predict(stepsPerDay, LEVELS);
        predictMs.push(performance.now() - t1);
      }
      fitted.dispose();
    }
  } catch (err) {
    return {
      model: model.name,
      case: c.name,
      points: values.length,
      fitMedianMs: null,
      fitRunsMs,
      predictMedianMs: null,
      fitGoalMs: GOAL_FIT_MS[model.name] ?? null,
      fitGoalMet: null,
      predictGoalMet: null,
      error: String(err),
    };
  }
  const fitMedianMs = median(fitRunsMs);
  const predictMedianMs = median(predictMs);
  const goal = GOAL_FIT_MS[model.name];
  return {
    model: model.name,
    case: c.name,
    points: values.length,
    fitMedianMs,
    fitRunsMs,
    predictMedianMs,
    fitGoalMs: goal ?? null,
    fitGoalMet: goal === undefined ? null : fitMedianMs < goal,
    predictGoalMet: predictMedianMs < GOAL_PREDICT_MS,
    ...(notes ? { notes } : {}),
  };
}

async function main(): Promise<void> {
  const startLoad = loadAtStart();
  const { values: args } = parseArgs({ options: { models: { type: 'string' }, runs: { type: 'string', default: '3' } } });
  const runs = Math.max(1, Number(args.runs));
  const wanted = args.models?.split(',');
  const models = [...forecasters.values()].filter((m) => !wanted || wanted.includes(m.name));
  const rows: Row[] = [];
  for (const c of CASES) {
    const { values, startMs } = await loadCase(c);
    for (const model of models) {
      // Slow models get one run: their spread is small next to their goal.
      const row = await measure(model, c, values, startMs, model.name === 'lstm' || model.name === 'auto' ? 1 : runs);
      rows.push(row);
      const fit = row.fitMedianMs === null ? 'error' : `${row.fitMedianMs.toFixed(0)} ms`;
      const predict = row.predictMedianMs === null ? '-' : `${row.predictMedianMs.toFixed(2)} ms`;
      const fitGoal =
        row.fitGoalMs === null
          ? ''
          : row.fitGoalMet
            ? `  (fit goal < ${row.fitGoalMs} ms: met)`
            : `  (fit goal < ${row.fitGoalMs} ms: MISSED)`;
      const predictGoal = row.predictGoalMet === false ? `  (predict goal < ${GOAL_PREDICT_MS} ms: MISSED)` : '';
      const goal = fitGoal + predictGoal;
      console.log(
        `${row.model.padEnd(8)} ${c.name.padEnd(13)} n=${String(row.points).padEnd(5)} fit ${fit.padStart(9)}  predict ${predict.padStart(9)}${goal}${row.error ? `  ${row.error}` : ''}`,
      );
    }
  }
  const outDir = join(here, 'out');
  await mkdir(outDir, { recursive: true });
  const result = {
    benchmark: 'model-fit',
    source: 'data/nab/cpu_utilization_asg_misconfiguration.csv',
    levels: LEVELS,
    command: `npx tsx benchmarks/model-fit.ts ${process.argv.slice(2).join(' ')}`.trim(),
    load: loadNote(startLoad),
    verdicts: [
      ...Object.entries(GOAL_FIT_MS).flatMap(([model, goalMs]) => {
        const own = rows.filter((r) => r.model === model);
        if (own.length === 0) return [];
        const worst = Math.max(...own.map((r) => r.fitMedianMs ?? Number.POSITIVE_INFINITY));
        return [{ goal: `${model} fit < ${goalMs} ms (median, every case)`, figure: `${worst.toFixed(0)} ms worst case`, met: worst < goalMs }];
      }),
      (() => {
        const worst = Math.max(...rows.map((r) => r.predictMedianMs ?? Number.POSITIVE_INFINITY));
        return { goal: `predict < ${GOAL_PREDICT_MS} ms (median, every model and case)`, figure: `${worst.toFixed(2)} ms worst case`, met: worst < GOAL_PREDICT_MS };
      })(),
    ],
    runs,
    rows,
    measuredAt: new Date().toISOString(),
  };
  await writeFile(join(outDir, 'model-fit.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${join(outDir, 'model-fit.json')}`);
}

await main();
