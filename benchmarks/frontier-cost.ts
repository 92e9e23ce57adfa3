/**
 * What a risk budget adds to a model selection (issue 13 goal: ≤ 20 % of an
 * `auto` selection's time): per series, one fresh `auto` fit (the selection
 * backtest, as the service runs it for a target with a budget: the frontier's
 * levels added) and then the frontier replayed on that backtest's forecasts
 * (src/backtest/selection-frontier.ts: 21 settings + 6 plain-HPA targets,
 * then the chosen setting checked against headroom, about 10 plain-HPA runs;
 * HPA simulations only), in the same process, one after the other.
 *
 *   npx tsx benchmarks/frontier-cost.ts [--series a,b]
 *
 * Writes benchmarks/out/frontier-cost.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FRONTIER_LEVELS } from '../src/backtest/frontier.js';
import { selectionFrontier } from '../src/backtest/selection-frontier.js';
import { getForecaster } from '../src/models/registry.js';
import { regularize } from '../src/series/regularize.js';
import { readSamplesFile } from '../src/sources/file.js';
import { REPLAY_SERIES } from './replay-series.js';
import { loadAtStart, loadNote } from './machine-load.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT = ['rds_cpu_utilization_cc0c53', 'nyc_taxi', 'worldcup98', 'tweets_AAPL', 'tweets_KO'];

const startLoad = loadAtStart();
const { values } = parseArgs({ options: { series: { type: 'string' } } });
const wanted = values.series?.split(',') ?? DEFAULT;
const rows: { series: string; model: string; selectionSeconds: number; frontierSeconds: number; share: number }[] = [];
for (const entry of REPLAY_SERIES.filter((e) => wanted.includes(e.name))) {
  const samples = await readSamplesFile(join(ROOT, 'data', entry.file), entry.column === undefined ? {} : { column: entry.column });
  const full = regularize(samples, { stepSeconds: entry.stepSeconds }).series;
  // The service's default history: the last 28 days.
  const keep = Math.min(full.values.length, Math.round((28 * 86_400) / full.stepSeconds));
  const series = { ...full, startMs: full.startMs + (full.values.length - keep) * full.stepSeconds * 1000, values: full.values.slice(-keep) };
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
    frontierLevels: FRONTIER_LEVELS,
  });
  fitted.predict(day, [0.8, 0.95, ...FRONTIER_LEVELS]);
  const selectionSeconds = (performance.now() - t0) / 1000;
  const backtest = fitted.info.backtest;
  fitted.dispose();
  if (!backtest) throw new Error(`${entry.name}: auto returned no backtest forecasts`);
  const sorted = [...series.values].sort((a, b) => a - b);
  const capacity = (sorted[Math.floor(0.95 * sorted.length)] ?? 1) / 20 / 0.7;
  const t1 = performance.now();
  const frontier = selectionFrontier(
    {
      fixed: { capacityPerReplica: capacity, minReplicas: 1, maxReplicas: 1000, scaleIn: { intervalSeconds: 60, stabilizationWindowSeconds: 300 } },
      leadTimeSeconds: 180,
      budget: { maxUnderProvisionedMinutesPerWeek: 5 },
      startMs: series.startMs,
      stepSeconds: series.stepSeconds,
    },
    series.values,
    backtest,
    fitted.info.model,
  );
  const frontierSeconds = (performance.now() - t1) / 1000;
  if (!frontier) throw new Error(`${entry.name}: no frontier`);
  rows.push({ series: entry.name, model: fitted.info.model, selectionSeconds, frontierSeconds, share: frontierSeconds / selectionSeconds });
  process.stdout.write(`${entry.name.padEnd(30)} ${fitted.info.model.padEnd(28)} selection ${selectionSeconds.toFixed(2)} s, frontier ${frontierSeconds.toFixed(3)} s (${(100 * frontierSeconds / selectionSeconds).toFixed(1)} %)\n`);
}
const total = rows.reduce((s, r) => ({ sel: s.sel + r.selectionSeconds, fr: s.fr + r.frontierSeconds }), { sel: 0, fr: 0 });
process.stdout.write(`total: frontier ${total.fr.toFixed(2)} s on selections of ${total.sel.toFixed(1)} s = ${(100 * total.fr / total.sel).toFixed(1)} % (goal ≤ 20 %); worst ${(100 * Math.max(...rows.map((r) => r.share))).toFixed(1)} %\n`);
mkdirSync(join(ROOT, 'benchmarks', 'out'), { recursive: true });
const share = total.fr / total.sel;
const verdicts = [{ goal: 'a risk budget adds ≤ 20 % to an auto selection (frontier time over selection time, all series)', figure: `${(100 * share).toFixed(1)} %`, met: share <= 0.2 }];
writeFileSync(
  join(ROOT, 'benchmarks', 'out', 'frontier-cost.json'),
  `${JSON.stringify({ benchmark: 'frontier-cost', command: `npx tsx benchmarks/frontier-cost.ts${values.series ? ` --series ${values.series}` : ''}`, verdicts, loadNote: loadNote(startLoad), rows, share }, null, 2)}\n`,
);
