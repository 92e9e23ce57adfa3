/**
 * What a risk budget adds to a model selection (issue 13 goal: ≤ 20 % of an
 * `auto` selection's time): per series, one fresh `auto` fit (the selection
 * backtest, as the service runs it for a target with a budget: the frontier's
 * levels added) and then the frontier replayed on that backtest's forecasts
 * (src/backtest/selection-frontier.ts: 21 settings + 6 plain-HPA targets,
 * then the chosen setting checked against headroom, about 10 plain-HPA runs;
 * HPA simulations only), in the same process, one after the other.
 *
 * What the own-history rule adds to the selection of a target that states
 * neither knobs nor a budget (what such a target is served since session
 * 9): the same selection (it asks the grid's levels too), then the whole
 * grid replayed and the rule's choice checked against headroom — the work
 * of a budget's frontier, timed separately on the same backtest.
 *
 * The same rule judged on a served stretch (what a target whose served
 * record holds 3 days runs instead, src/backtest/served-stretch.ts): the
 * grid over the last 3 days fed by one forecast of per-step bounds. Here
 * those bounds are the backtest's forecasts laid on the step grid (the work
 * is the same; the choice is not what served forecasts would give).
 *
 * And what the own-history check adds to the selection of a target that
 * states its knobs: a second fresh `auto` fit asking only the levels those
 * knobs read (quantile 0.9, guard 0.975), then the check (the knobs
 * replayed over the same span + 6 plain-HPA targets + the headroom search).
 *
 *   npx tsx benchmarks/frontier-cost.ts [--series a,b] [--out FILE]
 *
 * Writes benchmarks/out/frontier-cost.json (or FILE).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FRONTIER_LEVELS } from '../src/backtest/frontier.js';
import { checkLevels, selectionFrontier, type FrontierTask } from '../src/backtest/selection-frontier.js';
import type { ServedStretch } from '../src/backtest/served-stretch.js';
import type { Forecast } from '../src/models/forecaster.js';
import { getForecaster } from '../src/models/registry.js';
import { regularize } from '../src/series/regularize.js';
import { readSamplesFile } from '../src/sources/file.js';
import { REPLAY_SERIES } from './replay-series.js';
import { loadAtStart, loadNote } from './machine-load.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT = ['rds_cpu_utilization_cc0c53', 'nyc_taxi', 'worldcup98', 'tweets_AAPL', 'tweets_KO'];

const startLoad = loadAtStart();
const { values } = parseArgs({ options: { series: { type: 'string' }, out: { type: 'string' } } });
const wanted = values.series?.split(',') ?? DEFAULT;
const rows: { series: string; model: string; selectionSeconds: number; frontierSeconds: number; share: number; ownHistorySeconds: number; ownHistoryShare: number; servedSeconds: number; servedShare: number; check: { model: string; selectionSeconds: number; checkSeconds: number; share: number } }[] = [];
const DEFAULT_KNOBS = { quantile: 0.9, scaleInGuardQuantile: 0.975, utilisation: 1, leadTimeSeconds: 180 };

/** The backtest's forecasts over the last `steps` steps laid on the step grid as a served stretch (the forecast in force at each step). */
function stretchOf(series: { startMs: number; stepSeconds: number; values: number[] }, backtest: { originIndices: readonly number[]; forecasts: readonly Forecast[] }, steps: number): ServedStretch {
  const first = series.values.length - steps;
  const pick = (read: (f: Forecast, k: number) => number) =>
    Array.from({ length: steps }, (_, j) => {
      const i = first + j;
      let o = backtest.originIndices.length - 1;
      while (o > 0 && (backtest.originIndices[o] as number) > i) o--;
      const k = i - (backtest.originIndices[o] as number);
      return k >= 0 ? read(backtest.forecasts[o] as Forecast, k) : Number.NaN;
    });
  const level = (l: number) => (f: Forecast) => f.intervals.find((x) => Math.abs(x.level - l) < 1e-6);
  return {
    startMs: series.startMs + first * series.stepSeconds * 1000,
    stepSeconds: series.stepSeconds,
    levels: FRONTIER_LEVELS,
    point: pick((f, k) => f.point[k] ?? Number.NaN),
    lower: FRONTIER_LEVELS.map((l) => pick((f, k) => level(l)(f)?.lower[k] ?? Number.NaN)),
    upper: FRONTIER_LEVELS.map((l) => pick((f, k) => level(l)(f)?.upper[k] ?? Number.NaN)),
  };
}

/** One fresh auto selection asking `frontierLevels`, timed with its predict. */
async function select(series: { startMs: number; stepSeconds: number; values: number[] }, frontierLevels: readonly number[]) {
  const day = 86_400 / series.stepSeconds;
  const t0 = performance.now();
  const fitted = await getForecaster('auto').fit(series.values, {
    stepSeconds: series.stepSeconds,
    startMs: series.startMs,
    seasonalPeriods: [day, 7 * day],
    deadlineMs: Date.now() + 120_000,
    seed: 42,
    horizonSteps: day,
    scalingQuantile: 0.9,
    frontierLevels,
  });
  fitted.predict(day, [0.8, 0.95, ...frontierLevels]);
  const selectionSeconds = (performance.now() - t0) / 1000;
  const { backtest, model } = fitted.info;
  fitted.dispose();
  if (!backtest) throw new Error(`auto returned no backtest forecasts`);
  return { selectionSeconds, backtest, model };
}

for (const entry of REPLAY_SERIES.filter((e) => wanted.includes(e.name))) {
  const samples = await readSamplesFile(join(ROOT, 'data', entry.file), entry.column === undefined ? {} : { column: entry.column });
  const full = regularize(samples, { stepSeconds: entry.stepSeconds }).series;
  // The service's default history: the last 28 days.
  const keep = Math.min(full.values.length, Math.round((28 * 86_400) / full.stepSeconds));
  const series = { ...full, startMs: full.startMs + (full.values.length - keep) * full.stepSeconds * 1000, values: full.values.slice(-keep) };
  const { selectionSeconds, backtest, model } = await select(series, FRONTIER_LEVELS);
  const sorted = [...series.values].sort((a, b) => a - b);
  const capacity = (sorted[Math.floor(0.95 * sorted.length)] ?? 1) / 20 / 0.7;
  const t1 = performance.now();
  const base: FrontierTask = {
    fixed: { capacityPerReplica: capacity, minReplicas: 1, maxReplicas: 1000, scaleIn: { intervalSeconds: 60, stabilizationWindowSeconds: 300 } },
    leadTimeSeconds: 180,
    startMs: series.startMs,
    stepSeconds: series.stepSeconds,
  };
  const frontier = selectionFrontier({ ...base, budget: { maxUnderProvisionedMinutesPerWeek: 5 } }, series.values, backtest, model);
  const frontierSeconds = (performance.now() - t1) / 1000;
  if (!frontier) throw new Error(`${entry.name}: no frontier`);
  // A target that states nothing: the same selection's backtest, the grid and the own-history rule.
  const t3 = performance.now();
  const ruled = selectionFrontier({ ...base, ownHistory: true }, series.values, backtest, model);
  const ownHistorySeconds = (performance.now() - t3) / 1000;
  if (!ruled?.chosen) throw new Error(`${entry.name}: no own-history choice`);
  // The same rule judged on a served stretch of 3 days (the stretch made outside the timing: the engine reads it off the record).
  const stretch = stretchOf(series, backtest, Math.round((3 * 86_400) / series.stepSeconds));
  const t4 = performance.now();
  const onServed = selectionFrontier({ ...base, ownHistory: true, served: stretch }, series.values, backtest, model);
  const servedSeconds = (performance.now() - t4) / 1000;
  if (onServed?.judgedOn !== 'served') throw new Error(`${entry.name}: the frontier was not judged on the served stretch`);
  // A target without a budget: its selection asks only the default knobs' levels, then the check runs.
  const plain = await select(series, checkLevels(DEFAULT_KNOBS));
  const t2 = performance.now();
  const checked = selectionFrontier({ ...base, knobs: DEFAULT_KNOBS }, series.values, plain.backtest, plain.model);
  const checkSeconds = (performance.now() - t2) / 1000;
  if (!checked?.chosen) throw new Error(`${entry.name}: no check`);
  const check = { model: plain.model, selectionSeconds: plain.selectionSeconds, checkSeconds, share: checkSeconds / plain.selectionSeconds };
  rows.push({ series: entry.name, model, selectionSeconds, frontierSeconds, share: frontierSeconds / selectionSeconds, ownHistorySeconds, ownHistoryShare: ownHistorySeconds / selectionSeconds, servedSeconds, servedShare: servedSeconds / selectionSeconds, check });
  process.stdout.write(
    `${entry.name.padEnd(30)} ${model.padEnd(28)} selection ${selectionSeconds.toFixed(2)} s, frontier ${frontierSeconds.toFixed(3)} s (${((100 * frontierSeconds) / selectionSeconds).toFixed(1)} %), own-history rule ${ownHistorySeconds.toFixed(3)} s (${((100 * ownHistorySeconds) / selectionSeconds).toFixed(1)} %, ${ruled.chosen.fallback ? 'reactive' : 'predictive'}), on a served stretch ${servedSeconds.toFixed(3)} s (${((100 * servedSeconds) / selectionSeconds).toFixed(1)} %); ` +
      `without a budget: selection ${plain.selectionSeconds.toFixed(2)} s, check ${checkSeconds.toFixed(3)} s (${(100 * check.share).toFixed(1)} %, ${checked.chosen.fallback ? 'reactive' : 'predictive'})\n`,
  );
}
const total = rows.reduce((s, r) => ({ sel: s.sel + r.selectionSeconds, fr: s.fr + r.frontierSeconds }), { sel: 0, fr: 0 });
const checkTotal = rows.reduce((s, r) => ({ sel: s.sel + r.check.selectionSeconds, ch: s.ch + r.check.checkSeconds }), { sel: 0, ch: 0 });
const checkShare = checkTotal.ch / checkTotal.sel;
const ownHistoryShare = rows.reduce((s, r) => s + r.ownHistorySeconds, 0) / total.sel;
const worstOwnHistory = Math.max(...rows.map((r) => r.ownHistoryShare));
const servedShare = rows.reduce((s, r) => s + r.servedSeconds, 0) / total.sel;
const worstServed = Math.max(...rows.map((r) => r.servedShare));
process.stdout.write(`own-history rule judged on a served stretch: ${(100 * servedShare).toFixed(1)} %; worst ${(100 * worstServed).toFixed(1)} %\n`);
process.stdout.write(`own-history rule (no budget, no knob stated): ${(100 * ownHistoryShare).toFixed(1)} %; worst ${(100 * worstOwnHistory).toFixed(1)} %\n`);
process.stdout.write(`own-history check (no budget): ${checkTotal.ch.toFixed(2)} s on selections of ${checkTotal.sel.toFixed(1)} s = ${(100 * checkShare).toFixed(1)} %; worst ${(100 * Math.max(...rows.map((r) => r.check.share))).toFixed(1)} %\n`);
process.stdout.write(`total: frontier ${total.fr.toFixed(2)} s on selections of ${total.sel.toFixed(1)} s = ${(100 * total.fr / total.sel).toFixed(1)} % (goal ≤ 20 %); worst ${(100 * Math.max(...rows.map((r) => r.share))).toFixed(1)} %\n`);
mkdirSync(join(ROOT, 'benchmarks', 'out'), { recursive: true });
const share = total.fr / total.sel;
const verdicts = [
  { goal: 'a risk budget adds ≤ 20 % to an auto selection (frontier time over selection time, all series)', figure: `${(100 * share).toFixed(1)} %`, met: share <= 0.2 },
  {
    goal: 'choosing the setting on own history adds ≤ 20 % to the auto selection of a target that states neither knobs nor a budget (what it is served since session 9; rule time over selection time, all series)',
    figure: `${(100 * ownHistoryShare).toFixed(1)} % (worst series ${(100 * worstOwnHistory).toFixed(1)} %)`,
    met: ownHistoryShare <= 0.2,
  },
  {
    goal: 'choosing the setting on own history judged on the forecasts served (a target whose served record holds 3 days) adds ≤ 20 % to the auto selection (rule time over selection time, all series; the stretch read off the record outside the timing)',
    figure: `${(100 * servedShare).toFixed(1)} % (worst series ${(100 * worstServed).toFixed(1)} %)`,
    met: servedShare <= 0.2,
  },
  {
    goal: 'the own-history check adds ≤ 20 % to the auto selection of a target that states its knobs (check time over selection time, all series; the budget goal\'s bar)',
    figure: `${(100 * checkShare).toFixed(1)} % (worst series ${(100 * Math.max(...rows.map((r) => r.check.share))).toFixed(1)} %)`,
    met: checkShare <= 0.2,
  },
];
writeFileSync(
  values.out ?? join(ROOT, 'benchmarks', 'out', 'frontier-cost.json'),
  `${JSON.stringify({ benchmark: 'frontier-cost', command: `npx tsx benchmarks/frontier-cost.ts${values.series ? ` --series ${values.series}` : ''}`, verdicts, loadNote: loadNote(startLoad), rows, share, ownHistoryShare, servedShare, checkShare }, null, 2)}\n`,
);
