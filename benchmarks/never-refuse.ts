/**
 * Failed requests (issue 16): every series of the accuracy benchmark
 * (data/ and the ten realTweets series) at each of its daily origins, sent as
 * a new user would, through the real `POST /api/v1/forecast` route and worker
 * pool (in-process app, `inject`), with the origin's history (≤ 28 days) and
 * a one-day horizon. Counts the requests that did not get a 200, and the 200s
 * whose forecast is not valid and bounded (wrong length, non-finite,
 * lower ≤ point ≤ upper broken, outside ±3× the history's range, below 0 on a
 * never-negative history); also counts the fallbacks and repairs served.
 * The goal is zero failed requests across every series and origin.
 *
 *   npx tsx benchmarks/never-refuse.ts [--models auto,mstl,sarima,snaive] [--series name,…] [--origins 7]
 *
 * Writes benchmarks/out/never-refuse.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config/load.js';
import { originIndicesFor } from '../src/models/evaluation/rolling-origin.js';
import { PLAUSIBLE_RANGE_MULTIPLE } from '../src/models/validate.js';
import { regularize } from '../src/series/regularize.js';
import { readSamplesFile } from '../src/sources/file.js';
import { ACCURACY_SERIES } from './accuracy-series.js';

const here = dirname(fileURLToPath(import.meta.url));
const DAY = 86_400;

interface Body {
  model: string;
  fallbackFrom?: string;
  point: number[];
  intervals: { level: number; lower: number[]; upper: number[] }[];
  notes: string[];
}

/** Why a 200 body is not a valid, bounded forecast, or undefined when it is. */
function invalidity(body: Body, history: readonly number[], horizon: number): string | undefined {
  const min = Math.min(...history);
  const max = Math.max(...history);
  const range = max > min ? max - min : Math.max(Math.abs(max), 1);
  const low = min >= 0 ? 0 : min - PLAUSIBLE_RANGE_MULTIPLE * range;
  const high = max + PLAUSIBLE_RANGE_MULTIPLE * range;
  if (body.point.length !== horizon) return `${body.point.length} points for ${horizon}`;
  for (const interval of body.intervals) {
    for (let h = 0; h < horizon; h++) {
      const [l, p, u] = [interval.lower[h], body.point[h], interval.upper[h]] as [number, number, number];
      if (![l, p, u].every(Number.isFinite)) return `non-finite at step ${h}`;
      const slack = 1e-9 * Math.max(1, Math.abs(p));
      if (l > p + slack || u < p - slack) return `band does not contain the point at step ${h}`;
      if (l < low - slack || u > high + slack) return `outside [${low}, ${high}] at step ${h}`;
    }
  }
  return undefined;
}

interface ModelTally {
  requests: number;
  failed: number;
  invalid: number;
  fallbacks: number;
  medianSeconds: number;
  problems: string[];
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      models: { type: 'string', default: 'auto,mstl,sarima,snaive' },
      series: { type: 'string' },
      origins: { type: 'string', default: '7' },
    },
  });
  const models = (args.models as string).split(',');
  const originCount = Number(args.origins);
  const chosen = ACCURACY_SERIES.filter((s) => !args.series || (args.series as string).split(',').includes(s.name));
  // One fit thread per lane, as the default service; no rate limit: this is one client sending the whole benchmark.
  const config = parseConfig({ targets: [], limits: { fitRequests: { max: 1_000_000, window: '1s' } }, pool: { fitTimeout: '120s', requestMaxQueue: 8 } });
  const app = await buildApp({ config, logger: false, startEngine: false });
  await app.ready();
  // The request lane's thread starts (WASM, TF.js) on the first request: not a request's own time.
  await app.inject({ method: 'POST', url: '/api/v1/forecast', payload: { values: [1, 2], step: 60, horizon: 60, model: 'snaive' } });
  const started = performance.now();
  const tallies: Record<string, ModelTally & { seconds: number[] }> = {};
  try {
    for (const spec of chosen) {
      const samples = await readSamplesFile(join(here, '..', 'data', spec.file), spec.column === undefined ? {} : { column: spec.column });
      const { series } = regularize(samples, { stepSeconds: spec.stepSeconds });
      const horizon = Math.round(DAY / spec.stepSeconds);
      const cap = Math.round((28 * DAY) / spec.stepSeconds);
      for (const origin of originIndicesFor(series.values.length, originCount, horizon, horizon)) {
        const history = series.values.slice(Math.max(0, origin - cap), origin);
        for (const model of models) {
          const tally = (tallies[model] ??= { requests: 0, failed: 0, invalid: 0, fallbacks: 0, medianSeconds: 0, problems: [], seconds: [] });
          const t0 = performance.now();
          const res = await app.inject({
            method: 'POST',
            url: '/api/v1/forecast',
            payload: { values: history, step: spec.stepSeconds, horizon: DAY, model },
          });
          tally.seconds.push((performance.now() - t0) / 1000);
          tally.requests++;
          const where = `${spec.name}@${origin}`;
          if (res.statusCode !== 200) {
            tally.failed++;
            tally.problems.push(`${where}: ${res.statusCode} ${res.body.slice(0, 200)}`);
          } else {
            const body = res.json() as Body;
            const why = invalidity(body, history, horizon);
            if (why) {
              tally.invalid++;
              tally.problems.push(`${where}: ${why}`);
            }
            if (body.fallbackFrom) tally.fallbacks++;
          }
          process.stderr.write(`${where} ${model}: ${res.statusCode} (${tally.seconds.at(-1)?.toFixed(1)} s)\n`);
        }
      }
    }
    const metrics = (await app.inject('/metrics')).body;
    const adjustments = Object.fromEntries(
      [...metrics.matchAll(/prescient_forecast_adjustments_total\{target="ad-hoc",kind="(\w+)"\} (\d+)/g)].map((m) => [m[1], Number(m[2])]),
    );
    const byModel = Object.fromEntries(
      Object.entries(tallies).map(([model, { seconds, ...t }]) => {
        const sorted = [...seconds].sort((a, b) => a - b);
        return [model, { ...t, medianSeconds: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN }];
      }),
    );
    const failed = Object.values(byModel).reduce((s, t) => s + t.failed + t.invalid, 0);
    const requests = Object.values(byModel).reduce((s, t) => s + t.requests, 0);
    const result = {
      benchmark: 'never-refuse',
      date: new Date().toISOString(),
      command: `npx tsx benchmarks/never-refuse.ts --models ${models.join(',')}${args.series ? ` --series ${args.series}` : ''} --origins ${originCount}`,
      series: chosen.length,
      origins: originCount,
      requests,
      verdicts: [
        {
          goal: 'zero failed requests through POST /api/v1/forecast, every series, origin and model',
          figure: `${failed} of ${requests}`,
          met: failed === 0,
        },
      ],
      adjustments,
      models: byModel,
      wallSeconds: (performance.now() - started) / 1000,
    };
    mkdirSync(join(here, 'out'), { recursive: true });
    writeFileSync(join(here, 'out', 'never-refuse.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`failed or invalid: ${failed} of ${requests} requests (${chosen.length} series × ${originCount} origins × ${models.length} models)`);
    for (const [model, t] of Object.entries(byModel)) {
      console.log(`${model.padEnd(8)} requests ${t.requests}, failed ${t.failed}, invalid ${t.invalid}, fallbacks ${t.fallbacks}, median ${t.medianSeconds.toFixed(2)} s`);
    }
    console.log(`repairs: ${JSON.stringify(adjustments)}`);
  } finally {
    await app.close();
  }
}

await main();
