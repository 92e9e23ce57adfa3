/**
 * R baselines (issue 5): R's forecast package — snaive, stlf, and auto.arima
 * with Fourier terms (dynamic harmonic regression) — on the same series,
 * origins (7, one a day), horizon (1 day) and history cap (28 days) as
 * benchmarks/accuracy.ts, scored by Prescient's own metrics code. Reports
 * Prescient `auto`'s MASE (from benchmarks/out/accuracy.json, when present)
 * as a ratio to the best R model per series, and the median ratio.
 * Goal: median ratio ≤ 1.0.
 *
 * Needs Rscript with `forecast` (scripts/install-r.sh); without it, writes a
 * result saying so and exits 0. Nothing in the test run depends on it.
 *
 *   npx tsx benchmarks/r-baselines.ts [--series a,b] [--models snaive,stlf,arima_fourier]
 *   npx tsx benchmarks/r-baselines.ts --ratios-only   # re-read accuracy.json, no R run
 *
 * Writes benchmarks/out/r-baselines.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { maseScale } from '../src/models/evaluation/metrics.js';
import { originIndicesFor, scoreForecast } from '../src/models/evaluation/rolling-origin.js';
import { regularize } from '../src/series/regularize.js';
import { readSamplesFile } from '../src/sources/file.js';
import { ACCURACY_SERIES } from './accuracy.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const OUT = join(HERE, 'out', 'r-baselines.json');
const DAY = 86_400;
const R_MODELS = ['snaive', 'stlf', 'arima_fourier'] as const;

interface ModelScore {
  mase: number;
  smape: number;
  coverage80: number;
  coverage95: number;
  pinball90: number;
  meanFitSeconds: number;
  originsScored: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function rAvailable(): string | undefined {
  const probe = spawnSync('Rscript', ['-e', 'suppressPackageStartupMessages(library(forecast)); cat(as.character(packageVersion("forecast")))'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

/** Prescient auto's MASE per series from the accuracy benchmark's output, when it ran. */
function prescientAutoMase(): Map<string, number> {
  const path = join(HERE, 'out', 'accuracy.json');
  const result = new Map<string, number>();
  if (!existsSync(path)) return result;
  const data = JSON.parse(readFileSync(path, 'utf8')) as { series?: { name: string; models?: Record<string, { mase?: number }> }[] };
  for (const s of data.series ?? []) {
    const mase = s.models?.auto?.mase;
    if (typeof mase === 'number') result.set(s.name, mase);
  }
  return result;
}

/**
 * Recomputes the ratios of an earlier R run against the current
 * accuracy.json (the R fits take an hour or more; Prescient's change more often).
 */
function ratiosOnly(): void {
  interface SeriesRow { name: string; bestR: string | null; bestRMase: number | null; [key: string]: unknown }
  const previous = JSON.parse(readFileSync(OUT, 'utf8')) as { rForecastVersion: string; models: string[]; series?: SeriesRow[] };
  const autoMase = prescientAutoMase();
  const perSeries = (previous.series ?? []).map((s) => {
    const auto = autoMase.get(s.name);
    const best = s.bestRMase;
    return { ...s, prescientAutoMase: auto ?? null, autoToBestRRatio: typeof best === 'number' && auto !== undefined ? auto / best : null };
  });
  const medianRatio = writeResult(previous.rForecastVersion, previous.models, perSeries);
  for (const s of perSeries) process.stdout.write(`${String(s.name).padEnd(38)} best R ${String(s.bestR)} ${Number(s.bestRMase).toFixed(3)}; auto ${s.prescientAutoMase?.toFixed(3) ?? '—'} → ratio ${s.autoToBestRRatio?.toFixed(3) ?? '—'}\n`);
  process.stdout.write(`median MASE ratio auto / best R: ${Number.isFinite(medianRatio) ? medianRatio.toFixed(3) : '—'} over ${perSeries.length} series (goal ≤ 1.0)\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { series: { type: 'string' }, models: { type: 'string', default: R_MODELS.join(',') }, 'ratios-only': { type: 'boolean' } },
  });
  mkdirSync(dirname(OUT), { recursive: true });
  if (values['ratios-only']) return ratiosOnly();
  const version = rAvailable();
  if (!version) {
    process.stdout.write('Rscript with the forecast package is not installed (scripts/install-r.sh): R baselines skipped\n');
    writeFileSync(OUT, `${JSON.stringify({ benchmark: 'r-baselines', skipped: 'Rscript with forecast not installed' }, null, 2)}\n`);
    return;
  }
  const wanted = values.series?.split(',');
  const models = values.models.split(',');
  const autoMase = prescientAutoMase();
  const work = mkdtempSync(join(tmpdir(), 'prescient-r-'));
  const perSeries: Record<string, unknown>[] = [];
  try {
    for (const entry of ACCURACY_SERIES.filter((s) => !wanted || wanted.includes(s.name))) {
      const samples = await readSamplesFile(join(ROOT, 'data', entry.file), entry.column === undefined ? {} : { column: entry.column });
      const { series } = regularize(samples, { stepSeconds: entry.stepSeconds });
      const day = DAY / entry.stepSeconds;
      const origins = originIndicesFor(series.values.length, 7, day, day);
      const cap = 28 * day;
      const input = join(work, `${entry.name}.csv`);
      const output = join(work, `${entry.name}.out.csv`);
      writeFileSync(input, `value\n${series.values.join('\n')}\n`);
      const started = performance.now();
      // R's indices are 1-based: origin o (0-based, first forecast step) is passed as o, the last value fitted.
      const run = spawnSync(
        'Rscript',
        [join(HERE, 'r-baselines.R'), input, output, String(day), String(7 * day), String(day), String(cap), origins.join(','), models.join(',')],
        { encoding: 'utf8', timeout: 30 * 60_000 },
      );
      if (run.status !== 0) {
        process.stdout.write(`${entry.name}: Rscript failed: ${run.stderr.trim().split('\n').slice(-3).join(' / ')}\n`);
        perSeries.push({ name: entry.name, error: run.stderr.trim().split('\n').slice(-3).join(' / ') });
        continue;
      }
      const rows = readFileSync(output, 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
      const scores: Record<string, ModelScore> = {};
      for (const model of models) {
        const perOrigin: { mase: number; smape: number; cov80: number; cov95: number; pinball: number; seconds: number }[] = [];
        for (const origin of origins) {
          const mine = rows.filter((r) => r[0] === `"${model}"` && Number(r[1]) === origin).sort((a, b) => Number(a[2]) - Number(b[2]));
          if (mine.length !== day) continue;
          const col = (k: number) => mine.map((r) => Number(r[k]));
          const forecast = { point: col(3), intervals: [{ level: 0.8, lower: col(4), upper: col(5) }, { level: 0.95, lower: col(6), upper: col(7) }] };
          const history = series.values.slice(Math.max(0, origin - cap), origin);
          const actual = series.values.slice(origin, origin + day);
          const m = scoreForecast(actual, forecast, maseScale(history, day), 0.9);
          perOrigin.push({ mase: m.mase, smape: m.smape, cov80: m.coverage['0.8'] ?? Number.NaN, cov95: m.coverage['0.95'] ?? Number.NaN, pinball: m.pinball, seconds: Number(mine[0]?.[8]) });
        }
        const mean = (f: (o: (typeof perOrigin)[number]) => number) => perOrigin.reduce((s, o) => s + f(o), 0) / perOrigin.length;
        scores[model] = {
          mase: mean((o) => o.mase),
          smape: mean((o) => o.smape),
          coverage80: mean((o) => o.cov80),
          coverage95: mean((o) => o.cov95),
          pinball90: mean((o) => o.pinball),
          meanFitSeconds: mean((o) => o.seconds),
          originsScored: perOrigin.length,
        };
      }
      const best = Object.entries(scores).filter(([, s]) => Number.isFinite(s.mase)).sort((a, b) => a[1].mase - b[1].mase)[0];
      const auto = autoMase.get(entry.name);
      const ratio = best && auto !== undefined ? auto / best[1].mase : null;
      perSeries.push({ name: entry.name, models: scores, bestR: best?.[0] ?? null, bestRMase: best?.[1].mase ?? null, prescientAutoMase: auto ?? null, autoToBestRRatio: ratio, seconds: (performance.now() - started) / 1000 });
      process.stdout.write(
        `${entry.name.padEnd(38)} ${models.map((m) => `${m} ${scores[m]?.mase.toFixed(3)}`).join(', ')}; best R ${best?.[0]}; auto ${auto?.toFixed(3) ?? '—'} → ratio ${ratio?.toFixed(3) ?? '—'}\n`,
      );
      // Written after every series: R fits are slow, and a partial result is still a result.
      writeResult(version, models, perSeries);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const medianRatio = writeResult(version, models, perSeries);
  process.stdout.write(`median MASE ratio auto / best R: ${Number.isFinite(medianRatio) ? medianRatio.toFixed(3) : '— (run benchmarks/accuracy.ts first)'} (goal ≤ 1.0)\n`);
}

/** Writes the result file; returns the median ratio of auto's MASE to the best R model's. */
function writeResult(version: string, models: readonly string[], perSeries: readonly Record<string, unknown>[]): number {
  const ratios = perSeries.map((s) => s.autoToBestRRatio).filter((r): r is number => typeof r === 'number');
  const medianRatio = median(ratios);
  writeFileSync(
    OUT,
    `${JSON.stringify({ benchmark: 'r-baselines', command: `npx tsx benchmarks/r-baselines.ts --models ${models.join(',')}`, verdicts: [{ goal: `auto MASE ≤ 1.0 × the best R model's, median over the series of the per-series ratio (R models: ${models.join(', ')})`, figure: Number.isFinite(medianRatio) ? medianRatio.toFixed(3) : '—', met: Number.isFinite(medianRatio) && medianRatio <= 1 }], rForecastVersion: version, models, seriesDone: perSeries.length, medianAutoToBestRRatio: Number.isFinite(medianRatio) ? medianRatio : null, goalMet: Number.isFinite(medianRatio) ? medianRatio <= 1 : null, series: perSeries }, null, 2)}\n`,
  );
  return medianRatio;
}

await main();
