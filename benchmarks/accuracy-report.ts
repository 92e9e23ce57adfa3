/**
 * The accuracy benchmark's result: its shape, its summary over series (also used to merge runs made
 * on parts of the series), its plain-text table and the goals it is judged by.
 */
import { forecasters } from '../src/models/registry.js';
import { OPT_IN } from '../src/models/auto/options.js';

export interface ModelSeriesScore {
  readonly mase: number;
  readonly smape: number;
  readonly coverage80: number;
  readonly coverage95: number;
  readonly pinball90: number;
  readonly scaledPinball90: number;
  readonly fitTimeMs: number;
  readonly failures: number;
  /** For auto: how often each model was chosen over the origins. */
  readonly chosen?: Readonly<Record<string, number>>;
}

export interface SeriesResult {
  readonly name: string;
  readonly stepSeconds: number;
  readonly length: number;
  readonly seasonalPeriods: readonly number[];
  readonly originsScored: number;
  readonly models: Readonly<Record<string, ModelSeriesScore>>;
  /**
   * The same forecasts scored only on the steps outside NAB's labelled
   * incident windows (data/nab/labels/combined_windows.json), for NAB
   * series with a window in the scored days.
   */
  readonly outsideIncidents?: {
    readonly stepsScored: number;
    readonly stepsExcluded: number;
    readonly models: Readonly<Record<string, { readonly mase: number; readonly coverage80: number; readonly coverage95: number; readonly originsScored: number }>>;
  };
  readonly wallTimeMs: number;
}

export interface ModelSummary {
  readonly medianMase: number;
  readonly meanCoverage80: number;
  readonly meanCoverage95: number;
  /** Medians over series: robust to the one series whose last week holds a level shift. */
  readonly medianCoverage80: number;
  readonly medianCoverage95: number;
  readonly medianSmape: number;
  readonly medianScaledPinball90: number;
  /** Series where its MASE is below snaive's. */
  readonly seriesBeatingSnaive: number;
  /** Series where its MASE is below snaive-1d's (the seasonal naive at one day). */
  readonly seriesBeatingDailySnaive: number;
}

export interface AccuracyBenchmarkResult {
  readonly benchmark: 'accuracy';
  readonly date: string;
  readonly protocol: {
    origins: number;
    horizonSeconds: number;
    spacingSeconds: number;
    historyCapSeconds: number;
    levels: readonly number[];
    scalingQuantile: number;
  };
  readonly series: readonly SeriesResult[];
  readonly summary: Readonly<Record<string, ModelSummary>>;
  /** 1 − median MASE(auto) / median MASE(snaive); NaN when either did not run. */
  readonly autoImprovementOverSnaive: number;
  /** 1 − median MASE(auto) / median MASE(snaive-1d), the daily seasonal naive reference. */
  readonly autoImprovementOverDailySnaive: number;
  readonly goals: {
    readonly autoBeatsSnaiveBy15Percent: boolean;
    /** |coverage − nominal| ≤ 0.03 for auto's 80 % and 95 % (mean over series). */
    readonly autoCoverageWithin3Points: boolean;
    /**
     * Issue 5: auto's MASE below the daily seasonal naive's on every series
     * with a daily cycle (every series here: ../shared/data/README.md).
     */
    readonly autoBeatsDailySnaiveOnEverySeries: boolean;
    /** The same, each series scored outside its NAB incident windows when it has any in the scored days. */
    readonly autoBeatsDailySnaiveOnEverySeriesOutsideIncidents: boolean;
  };
  readonly wallTimeMs: number;
}

export function median(xs: readonly number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function mean(xs: readonly number[]): number {
  const s = xs.filter(Number.isFinite);
  return s.length === 0 ? Number.NaN : s.reduce((a, b) => a + b, 0) / s.length;
}

/** Summary and goals over the series results (also used to merge runs made on parts of the series). */
export function assembleResult(
  results: readonly SeriesResult[],
  summaryModels: readonly string[],
  protocol: AccuracyBenchmarkResult['protocol'],
  wallTimeMs: number,
): AccuracyBenchmarkResult {
  const summary: Record<string, ModelSummary> = {};
  for (const model of summaryModels) {
    const rows = results.map((r) => r.models[model]).filter((x): x is ModelSeriesScore => x !== undefined);
    summary[model] = {
      medianMase: median(rows.map((r) => r.mase)),
      meanCoverage80: mean(rows.map((r) => r.coverage80)),
      meanCoverage95: mean(rows.map((r) => r.coverage95)),
      medianCoverage80: median(rows.map((r) => r.coverage80)),
      medianCoverage95: median(rows.map((r) => r.coverage95)),
      medianSmape: median(rows.map((r) => r.smape)),
      medianScaledPinball90: median(rows.map((r) => r.scaledPinball90)),
      seriesBeatingSnaive: results.filter((r) => (r.models[model]?.mase ?? Infinity) < (r.models['snaive']?.mase ?? -Infinity)).length,
      seriesBeatingDailySnaive: results.filter((r) => (r.models[model]?.mase ?? Infinity) < (r.models['snaive-1d']?.mase ?? -Infinity)).length,
    };
  }
  const autoSummary = summary['auto'];
  const snaiveSummary = summary['snaive'];
  const improvement = autoSummary && snaiveSummary ? 1 - autoSummary.medianMase / snaiveSummary.medianMase : Number.NaN;
  return {
    benchmark: 'accuracy',
    date: new Date().toISOString(),
    protocol,
    series: [...results],
    summary,
    autoImprovementOverSnaive: improvement,
    autoImprovementOverDailySnaive:
      autoSummary && summary['snaive-1d'] ? 1 - autoSummary.medianMase / summary['snaive-1d'].medianMase : Number.NaN,
    goals: {
      autoBeatsSnaiveBy15Percent: improvement >= 0.15,
      autoCoverageWithin3Points:
        autoSummary !== undefined &&
        Math.abs(autoSummary.meanCoverage80 - 0.8) <= 0.03 &&
        Math.abs(autoSummary.meanCoverage95 - 0.95) <= 0.03,
      autoBeatsDailySnaiveOnEverySeries: autoSummary !== undefined && summary['snaive-1d'] !== undefined && autoSummary.seriesBeatingDailySnaive === results.length,
      autoBeatsDailySnaiveOnEverySeriesOutsideIncidents: results.every((r) => {
        const scores = r.outsideIncidents?.models ?? r.models;
        return (scores['auto']?.mase ?? Infinity) < (scores['snaive-1d']?.mase ?? -Infinity);
      }),
    },
    wallTimeMs,
  };
}

export function fmt(x: number | undefined, digits = 3): string {
  return x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

/** The result as a plain-text table. */
export function formatAccuracyTable(result: AccuracyBenchmarkResult): string {
  const lines: string[] = [];
  const header = ['series', 'model', 'MASE', 'sMAPE %', 'cov80', 'cov95', 'pinball90', 'fit ms', 'fail'];
  const widths = [38, 34, 7, 8, 6, 6, 11, 8, 4];
  const row = (cells: string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' ');
  lines.push(row(header));
  for (const s of result.series) {
    for (const [model, m] of Object.entries(s.models)) {
      const label =
        model === 'auto' && m.chosen
          ? `auto (${Object.entries(m.chosen)
              .map(([k, v]) => `${k}×${v}`)
              .join(' ')})`
          : model;
      lines.push(
        row([
          `${s.name} [${s.seasonalPeriods.join(',') || 'none'}]`,
          label.slice(0, widths[1] as number),
          fmt(m.mase),
          fmt(m.smape, 1),
          fmt(m.coverage80, 2),
          fmt(m.coverage95, 2),
          m.pinball90.toPrecision(4),
          fmt(m.fitTimeMs, 0),
          String(m.failures),
        ]),
      );
    }
  }
  lines.push('');
  for (const s of result.series) {
    const o = s.outsideIncidents;
    if (!o) continue;
    lines.push(
      `${s.name}: outside NAB incident windows (${o.stepsScored} steps scored, ${o.stepsExcluded} excluded): ` +
        Object.entries(o.models).map(([model, m]) => `${model} ${fmt(m.mase)}`).join(', '),
    );
  }
  lines.push('');
  lines.push(
    [
      'model'.padEnd(12),
      'median MASE',
      'median sMAPE',
      'mean cov80',
      'mean cov95',
      'med cov80',
      'med cov95',
      'med scaled pinball90',
      'beats snaive on',
      'beats snaive-1d on',
    ].join('  '),
  );
  for (const [model, m] of Object.entries(result.summary)) {
    lines.push(
      [
        model.padEnd(12),
        fmt(m.medianMase).padStart(11),
        fmt(m.medianSmape, 1).padStart(12),
        fmt(m.meanCoverage80).padStart(10),
        fmt(m.meanCoverage95).padStart(10),
        fmt(m.medianCoverage80).padStart(9),
        fmt(m.medianCoverage95).padStart(9),
        fmt(m.medianScaledPinball90).padStart(20),
        `${m.seriesBeatingSnaive}/${result.series.length}`.padStart(15),
        `${m.seriesBeatingDailySnaive}/${result.series.length}`.padStart(18),
      ].join('  '),
    );
  }
  lines.push('');
  lines.push(
    `auto vs snaive, median MASE: ${(result.autoImprovementOverSnaive * 100).toFixed(1)} % better (goal ≥ 15 %: ${result.goals.autoBeatsSnaiveBy15Percent ? 'met' : 'NOT met'})`,
  );
  lines.push(
    `auto vs snaive-1d (daily seasonal naive reference), median MASE: ${(result.autoImprovementOverDailySnaive * 100).toFixed(1)} % better`,
  );
  lines.push(`auto coverage within 3 points of 80 %/95 %: ${result.goals.autoCoverageWithin3Points ? 'met' : 'NOT met'}`);
  lines.push(
    `auto better than snaive-1d on every series (all have a daily cycle): ${result.goals.autoBeatsDailySnaiveOnEverySeries ? 'met' : 'NOT met'} (${result.summary['auto']?.seriesBeatingDailySnaive ?? 0}/${result.series.length}); ` +
      `scored outside NAB incident windows: ${result.goals.autoBeatsDailySnaiveOnEverySeriesOutsideIncidents ? 'met' : 'NOT met'}`,
  );
  lines.push(`wall time ${(result.wallTimeMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

/** The models `auto` combines by default (the singles it must never be worse than). */
const AUTO_MEMBERS = [...forecasters.keys()].filter((name) => name !== 'auto' && !OPT_IN.has(name));

/** Issue 16's goals for this benchmark, each with its figure. */
export function accuracyVerdicts(result: AccuracyBenchmarkResult, medianFitSeconds: number): { goal: string; figure: string; met: boolean }[] {
  const auto = result.summary['auto'];
  if (!auto) return [];
  const daily = result.summary['snaive-1d']?.medianMase ?? Number.NaN;
  const singles = AUTO_MEMBERS.filter((m) => result.summary[m]).map((m) => [m, result.summary[m]?.medianMase ?? Number.NaN] as const);
  const best = singles.reduce((a, b) => (b[1] < a[1] ? b : a), ['none', Number.POSITIVE_INFINITY] as const);
  const failures = result.series.reduce((sum, s) => sum + Object.values(s.models).reduce((t, m) => t + m.failures, 0), 0);
  const fits = result.series.reduce((sum, s) => sum + Object.keys(s.models).length * s.originsScored, 0);
  return [
    { goal: 'auto median MASE ≤ 0.85 × the daily seasonal naive', figure: `${fmt(auto.medianMase)} = ${fmt(auto.medianMase / daily)} × ${fmt(daily)}`, met: auto.medianMase <= 0.85 * daily },
    { goal: 'auto median MASE ≤ the best single model it combines', figure: `${fmt(auto.medianMase)} vs ${best[0]} ${fmt(best[1])}`, met: auto.medianMase <= best[1] },
    {
      goal: 'auto 80 % / 95 % coverage within 3 points (mean over series)',
      figure: `${fmt(auto.meanCoverage80)} / ${fmt(auto.meanCoverage95)}`,
      met: result.goals.autoCoverageWithin3Points,
    },
    { goal: 'zero failed fits (every model, series and origin)', figure: `${failures} of ${fits}`, met: failures === 0 },
    { goal: 'auto fit ≤ 3 s median, 14 days at 5 min (load: see loadNote)', figure: `${fmt(medianFitSeconds, 2)} s`, met: medianFitSeconds <= 3 },
  ];
}
