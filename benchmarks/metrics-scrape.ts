/**
 * A Prometheus scrape of /metrics on a replica serving many targets: how long
 * it holds the event loop (what every KEDA call arriving meanwhile waits), its
 * CPU and its size. The app's own exposition (src/telemetry/metrics.ts
 * `exposition`, with the forecast gauges of src/engine/forecast-gauges.ts) is
 * measured in this process, on the metrics a replica a day old holds: per
 * target a forecast of a day at 5-minute steps at the four levels a target
 * whose knobs are chosen on its history forecasts, live accuracy over three
 * windows, the watchdog's states. Beside it, for reference, the same registry
 * formatted by prom-client's own exposition in one go (what /metrics did
 * before session 10, without the forecast gauges, which were prom-client
 * gauges then).
 *
 * Goal: no turn of the event loop longer than 20 ms during a scrape of 1,000
 * targets (worst of the scrapes), so KEDA's p99 < 50 ms (benchmarks/scale.ts)
 * holds whenever Prometheus scrapes.
 *
 *   npx tsx benchmarks/metrics-scrape.ts [--targets 1000] [--scrapes 20] [--out metrics-scrape]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { configSchema } from '../src/config/schema.js';
import { registerForecastGauges } from '../src/engine/forecast-gauges.js';
import { statedLevels } from '../src/engine/target-settings.js';
import { TargetStates } from '../src/engine/target-state.js';
import { createMetrics, exposition } from '../src/telemetry/metrics.js';
import { loadAtStart, loadNote } from './machine-load.js';

const { values: args } = parseArgs({
  options: { targets: { type: 'string', default: '1000' }, scrapes: { type: 'string', default: '20' }, out: { type: 'string', default: 'metrics-scrape' } },
});
const count = Number(args.targets);
const scrapes = Number(args.scrapes);
const startLoad = loadAtStart();
const MAX_TURN_MS = 20;
const STEP_SECONDS = 300;
const LEVELS = [0.6, 0.8, 0.9, 0.95];

const names = Array.from({ length: count }, (_, i) => `t${String(i).padStart(5, '0')}`);
const config = configSchema.parse({
  targets: names.map((name) => ({ name, source: { type: 'file', path: `/data/${name}.csv` }, scaling: { capacityPerReplica: 10, maxReplicas: 100 } })),
});
const states = new TargetStates(config.targets);
const nowMs = Date.now();
for (const [t, name] of names.entries()) {
  const point = Array.from({ length: 288 }, (_, i) => 100 + t + 50 * Math.sin((2 * Math.PI * i) / 288));
  states.setForecast(name, {
    target: name,
    model: 'auto',
    generatedAtMs: nowMs,
    startMs: nowMs,
    stepSeconds: STEP_SECONDS,
    point,
    intervals: LEVELS.map((level) => ({ level, lower: point.map((v) => v * (1 - level / 4)), upper: point.map((v) => v * (1 + level / 4)) })),
    lastObserved: { atMs: nowMs - STEP_SECONDS * 1000, value: point[0] as number },
    filledGaps: 0,
    seasonalPeriods: [288],
    notes: [],
  });
}
const metrics = createMetrics();
registerForecastGauges(metrics, states, () => nowMs);
// What the feedback loop and the engine export per target once a day has been scored (src/engine/feedback-loop.ts:
// coverage at the levels the target states).
for (const name of names) {
  for (const state of ['trusted', 'degraded', 'reactive']) metrics.targetState.set({ target: name, state }, state === 'trusted' ? 1 : 0);
  for (const window of ['1h', '1d', '1w']) {
    metrics.liveMase.set({ target: name, window }, 0.8);
    metrics.liveBias.set({ target: name, window }, 0.01);
    for (const level of statedLevels(config.targets[0]!)) metrics.liveCoverage.set({ target: name, window, level: String(level) }, level);
  }
  metrics.fits.inc({ target: name, model: 'auto' }, 96);
  metrics.filledGaps.set({ target: name }, 0);
}

/** CPU time the main thread has run, ms (Linux: the first field of its schedstat is nanoseconds on a core). */
const mainThreadCpuMs = (): number => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;

/**
 * Runs `scrape` while another callback takes every turn of the event loop it
 * can: the longest gap between two of its turns, in wall time and in the
 * main thread's CPU time (what the turn itself cost, from the kernel's
 * schedstat: not inflated when other processes hold the cores, nor by V8's
 * helper threads).
 */
async function measure(scrape: () => Promise<Buffer | string>): Promise<{ wallMs: number; cpuMs: number; longestTurnMs: number; longestTurnCpuMs: number; bytes: number }> {
  let done = false;
  let last = performance.now();
  let lastCpu = mainThreadCpuMs();
  let longest = 0;
  let longestCpu = 0;
  const endTurn = (): void => {
    const at = performance.now();
    const cpu = mainThreadCpuMs();
    longest = Math.max(longest, at - last);
    longestCpu = Math.max(longestCpu, cpu - lastCpu);
    last = at;
    lastCpu = cpu;
  };
  const otherWork = (): void => {
    endTurn();
    if (!done) setImmediate(otherWork);
  };
  setImmediate(otherWork);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const text = await scrape();
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  done = true;
  endTurn();
  return { wallMs, cpuMs: (used.user + used.system) / 1000, longestTurnMs: longest, longestTurnCpuMs: longestCpu, bytes: Buffer.byteLength(text) };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const round = (x: number): number => Math.round(x * 10) / 10;
async function run(label: string, scrape: () => Promise<Buffer | string>) {
  for (let i = 0; i < 3; i++) await scrape(); // warm-up: JIT, caches
  const runs = [];
  for (let i = 0; i < scrapes; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    runs.push(await measure(scrape));
  }
  const summary = {
    scrapes: runs.length,
    bytes: runs[0]?.bytes ?? 0,
    wallMsMedian: round(median(runs.map((r) => r.wallMs))),
    cpuMsMedian: round(median(runs.map((r) => r.cpuMs))),
    longestTurnMsMedian: round(median(runs.map((r) => r.longestTurnMs))),
    longestTurnMsWorst: round(Math.max(...runs.map((r) => r.longestTurnMs))),
    longestTurnCpuMsMedian: round(median(runs.map((r) => r.longestTurnCpuMs))),
    longestTurnCpuMsWorst: round(Math.max(...runs.map((r) => r.longestTurnCpuMs))),
  };
  process.stdout.write(`${label}: ${JSON.stringify(summary)}\n`);
  return summary;
}

const sliced = await run('exposition (sliced)', () => exposition(metrics));
const oneGo = await run("prom-client's own, registries only, in one go", () => Registry.merge([metrics.registry]).metrics());
const series = String(await exposition(metrics)).split('\n').filter((line) => line && !line.startsWith('#')).length;
const result = {
  benchmark: 'metrics-scrape',
  machine: loadNote(startLoad),
  command: `npx tsx benchmarks/metrics-scrape.ts --targets ${count} --scrapes ${scrapes}${args.out === 'metrics-scrape' ? '' : ` --out ${args.out}`}`,
  targets: count,
  series,
  exposition: sliced,
  referencePromClientOneGo: oneGo,
  verdicts: [
    {
      goal: `no event-loop turn longer than ${MAX_TURN_MS} ms during a /metrics scrape of ${count} targets a day old (${series} series; worst of ${scrapes} scrapes)`,
      figure: `${sliced.longestTurnMsWorst} ms (median ${sliced.longestTurnMsMedian} ms; scrape ${sliced.wallMsMedian} ms, ${sliced.cpuMsMedian} ms CPU, ${round(sliced.bytes / 2 ** 20)} MiB; prom-client's own exposition of the registries alone, in one go: longest turn ${oneGo.longestTurnMsMedian} ms median, ${oneGo.longestTurnMsWorst} ms worst)`,
      met: sliced.longestTurnMsWorst <= MAX_TURN_MS,
    },
  ],
};
const outDir = join(new URL('.', import.meta.url).pathname, 'out');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, `${args.out}.json`), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result.verdicts, null, 2)}\n`);
