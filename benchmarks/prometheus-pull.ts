/**
 * Prometheus pull benchmark (issue 2, goal: under 1 s): 28 days at 5-minute
 * steps (8,064 points) from a real local Prometheus holding backfilled
 * synthetic history (test/support/prometheus.ts), through the service's own
 * client, several times; median and p95 wall time per pull.
 *
 * Cases: the gauge in one request (default limit 11,000 points), the gauge
 * split into requests of 2,000 points (5 requests), and rate() over the
 * counter (60 s samples) split the same way.
 *
 * Run: npx tsx benchmarks/prometheus-pull.ts [--runs 20]
 * Writes benchmarks/out/prometheus-pull.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prometheusSchema } from '../src/config/schema.js';
import { createPrometheusClient } from '../src/sources/prometheus.js';
import { startPrometheus } from '../test/support/prometheus.js';
import { loadAtStart, loadNote } from './machine-load.js';

const here = dirname(fileURLToPath(import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const WARMUP = 2;
const STEP_S = 300;

function quantile(sorted: readonly number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

interface CaseResult {
  readonly name: string;
  readonly query: string;
  readonly maxPointsPerRequest: number;
  readonly requestsPerPull: number;
  readonly points: number;
  readonly runs: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly minMs: number;
  readonly maxMs: number;
}

const startedMs = performance.now();
const startLoad = loadAtStart();
const prometheus = await startPrometheus();
const harnessStartMs = performance.now() - startedMs;
const { history } = prometheus;

const cases = [
  { name: 'gauge, one request', query: 'prescient_test_load', maxPointsPerRequest: 11_000 },
  { name: 'gauge, split by 2,000 points', query: 'prescient_test_load', maxPointsPerRequest: 2000 },
  { name: 'rate() over counter, split by 2,000 points', query: 'rate(prescient_test_requests_total[5m])', maxPointsPerRequest: 2000 },
];

const results: CaseResult[] = [];
try {
  for (const c of cases) {
    let requests = 0;
    const client = createPrometheusClient(prometheusSchema.parse({ url: prometheus.url, maxPointsPerRequest: c.maxPointsPerRequest }), {
      onRequest: () => requests++,
    });
    const timesMs: number[] = [];
    let points = 0;
    for (let run = 0; run < WARMUP + RUNS; run++) {
      requests = 0;
      const t0 = performance.now();
      const samples = await client.queryRange(c.query, history.startMs, history.endMs, STEP_S);
      const elapsed = performance.now() - t0;
      points = samples.timestampsMs.length;
      if (run >= WARMUP) timesMs.push(elapsed);
    }
    client.close();
    const sorted = [...timesMs].sort((a, b) => a - b);
    results.push({
      ...c,
      requestsPerPull: requests,
      points,
      runs: RUNS,
      medianMs: round(quantile(sorted, 0.5)),
      p95Ms: round(quantile(sorted, 0.95)),
      minMs: round(sorted[0] as number),
      maxMs: round(sorted[sorted.length - 1] as number),
    });
  }
} finally {
  await prometheus.close();
}

const output = {
  benchmark: 'prometheus-pull',
  command: 'npx tsx benchmarks/prometheus-pull.ts',
  at: new Date().toISOString(),
  window: { startMs: history.startMs, endMs: history.endMs, stepSeconds: STEP_S },
  harnessStartMs: round(harnessStartMs),
  loadAverage1m: round(loadavg()[0] ?? 0),
  load: loadNote(startLoad),
  results,
  meetsGoal: results.every((r) => r.p95Ms < 1000),
  verdicts: [
    {
      goal: '28 days at 5-minute steps (8,064 points) pulled from a real Prometheus in under 1 s (p95, every way of pulling)',
      figure: `${Math.max(...results.map((r) => r.p95Ms))} ms worst p95`,
      met: results.every((r) => r.p95Ms < 1000),
    },
  ],
};
await mkdir(join(here, 'out'), { recursive: true });
await writeFile(join(here, 'out', 'prometheus-pull.json'), `${JSON.stringify(output, null, 2)}\n`);
console.log(`harness start (generate + promtool backfill + prometheus ready): ${output.harnessStartMs} ms; load average ${output.loadAverage1m}`);
for (const r of results) {
  console.log(
    `${r.name.padEnd(44)} ${String(r.points).padStart(5)} points, ${r.requestsPerPull} request(s): median ${r.medianMs} ms, p95 ${r.p95Ms} ms (min ${r.minMs}, max ${r.maxMs}, ${r.runs} runs)`,
  );
}
console.log(`goal (p95 < 1000 ms): ${output.meetsGoal ? 'met' : 'NOT met'}; written to benchmarks/out/prometheus-pull.json`);

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
