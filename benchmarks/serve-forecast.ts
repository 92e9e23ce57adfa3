/**
 * Serving a cached forecast over real HTTP on loopback while fits run in
 * the background. Goal (issue 2): ≥ 5,000 requests/s with p99 < 10 ms.
 *
 * The service runs as its own process (as in production); autocannon drives
 * it from this one. A second target refits continuously with `auto` on 28
 * days of 5-minute data, so the worker pool is busy for the whole run; the
 * benchmark checks that fits did complete during the run.
 *
 * Run: npx tsx benchmarks/serve-forecast.ts [--seconds 15] [--connections 10]
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from './free-port.js';
import { loadAtStart, loadNote } from './machine-load.js';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '15' }, connections: { type: 'string', default: '10' } },
});
const root = new URL('..', import.meta.url).pathname;
const startLoad = loadAtStart();

async function waitReady(base: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('service not ready in time');
}

async function fitsCompleted(base: string, target: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const match = new RegExp(`prescient_fits_total\\{target="${target}",model="[^"]+"\\} (\\d+)`).exec(text);
  return Number(match?.[1] ?? 0);
}

const dir = mkdtempSync(join(tmpdir(), 'prescient-bench-'));
const port = await freePort();
const config = `
server: { port: ${port}, grpcPort: ${await freePort()} }
pool: { threads: 1 }
modelsDir: ${join(dir, 'models')}
targets:
  - name: served
    source: { type: file, path: ${join(root, 'data/nab/rds_cpu_utilization_cc0c53.csv')}, shiftToNow: true }
    history: 14d
    horizon: 1d
    models: [mstl]
    seasonalPeriods: [1d]
    refreshInterval: 1h
  - name: busy
    source: { type: file, path: ${join(root, 'data/nab/cpu_utilization_asg_misconfiguration.csv')}, shiftToNow: true }
    history: 28d
    horizon: 1d
    models: [auto]
    refreshInterval: 1s
`;
writeFileSync(join(dir, 'config.yaml'), config);
const service = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/server.ts'), '--config', join(dir, 'config.yaml')], {
  cwd: root,
  env: { ...process.env, LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const base = `http://127.0.0.1:${port}`;
try {
  await waitReady(base, 180_000);
  const url = `${base}/api/v1/targets/served/forecast`;
  const fitsBefore = await fitsCompleted(base, 'busy');
  const result = await autocannon({ url, connections: Number(args.connections), duration: Number(args.seconds), pipelining: 1 });
  const fitsDuring = (await fitsCompleted(base, 'busy')) - fitsBefore;
  const figures = {
    benchmark: 'serve-forecast',
    date: new Date().toISOString(),
    url: '/api/v1/targets/served/forecast (288 steps, 2 levels)',
    connections: Number(args.connections),
    durationSeconds: Number(args.seconds),
    requestsPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    backgroundFitsCompletedDuringRun: fitsDuring,
    command: `npx tsx benchmarks/serve-forecast.ts ${process.argv.slice(2).join(' ')}`.trim(),
    load: loadNote(startLoad),
    verdicts: [
      {
        goal: `GET /api/v1/targets/{name}/forecast ≥ 5,000 requests/s with p99 < 10 ms, no error, fits running (${args.connections} connections)`,
        figure: `${result.requests.average.toFixed(0)} requests/s, p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx, ${fitsDuring} fits during the run`,
        met: result.requests.average >= 5000 && result.latency.p99 < 10 && result.non2xx === 0 && fitsDuring > 0,
      },
    ],
  };
  mkdirSync(join(root, 'benchmarks/out'), { recursive: true });
  writeFileSync(join(root, 'benchmarks/out/serve-forecast.json'), `${JSON.stringify(figures, null, 2)}\n`);
  console.log(JSON.stringify(figures, null, 2));
} finally {
  service.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
