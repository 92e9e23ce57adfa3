/**
 * KEDA metrics-api path throughput and latency (issue 4 goal: GET
 * /api/v1/keda/{target} at ≥ 5,000 requests/s with p99 < 5 ms on loopback
 * from a separate client process, while fits run). The HTTP server (fastify
 * with the scaling routes, the zod compilers and the app's error handler, as
 * src/app.ts sets them up) runs in this process with a real MSTL forecast in
 * TargetStates; the fit pool keeps fitting MSTL on 10 k points the whole time;
 * autocannon runs as a child process with the bearer token.
 *
 * Run: npx tsx benchmarks/keda-metrics-api.ts [connections=16] [durationSeconds=10] [fits|nofits]
 * Writes benchmarks/out/keda-metrics-api.json.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { installErrorHandling } from '../src/api/error-handler.js';
import { scalingRoutes } from '../src/api/scaling-routes.js';
import { loadAtStart, loadNote } from './machine-load.js';
import { AUTH_TOKEN, benchConfig, startFitLoad, statesWithRealForecast, watchEventLoop } from './scaling-fixture.js';

const [connections = '16', durationSeconds = '10', fitsArg = 'fits'] = process.argv.slice(2);
// 'nofits' measures the same path without the fit load, for comparison.
const withFits = fitsArg !== 'nofits';
const startLoad = loadAtStart();
const config = benchConfig();
const states = await statesWithRealForecast(config);
const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
app.setValidatorCompiler(validatorCompiler);
app.setSerializerCompiler(serializerCompiler);
installErrorHandling(app);
await app.register(scalingRoutes, { states, config });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (!address || typeof address === 'string') throw new Error('no port');
const url = `http://127.0.0.1:${address.port}/api/v1/keda/taxi`;

// Check the answer once before loading it.
const probe = await fetch(url, { headers: { authorization: `Bearer ${AUTH_TOKEN}` } });
const probeBody = (await probe.json()) as { replicas?: number };
if (probe.status !== 200 || !(Number(probeBody.replicas) > 0)) throw new Error(`bad probe ${probe.status} ${JSON.stringify(probeBody)}`);

const fitLoad = withFits ? await startFitLoad() : { stop: async () => ({ fits: 0, meanFitMs: 0 }) };
const loadAverageBefore = loadavg();
const autocannon = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const run = (seconds: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [autocannon, '-j', '-c', connections, '-d', seconds, '-H', `authorization=Bearer ${AUTH_TOKEN}`, url], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`autocannon exited with ${code}`))));
  });
await run('2'); // warm-up (JIT, connections)
const eventLoop = watchEventLoop();
// Server cost per call, independent of how busy the machine is: process CPU
// time (includes the fit worker thread when fits run) and the main thread's
// event-loop utilisation.
const cpuBefore = process.cpuUsage();
const eluBefore = performance.eventLoopUtilization();
const report = JSON.parse(await run(durationSeconds)) as {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
};
const loopDelay = eventLoop();
const cpu = process.cpuUsage(cpuBefore);
const elu = performance.eventLoopUtilization(eluBefore);
const fits = await fitLoad.stop();
await app.close();

const result = {
  benchmark: 'keda-metrics-api',
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version, loadAverageBefore },
  client: {
    requestsPerSecond: report.requests.average,
    requests: report.requests.total,
    latencyMs: { p50: report.latency.p50, p90: report.latency.p90, p99: report.latency.p99, max: report.latency.max },
    non2xx: report.non2xx,
    errors: report.errors,
    timeouts: report.timeouts,
    connections: Number(connections),
  },
  serverEventLoopDelayMs: loopDelay,
  serverCpuMicrosPerRequest: (cpu.user + cpu.system) / report.requests.total,
  serverMainThreadUtilization: elu.utilization,
  withFits,
  fitsDuringRun: fits,
  command: `npx tsx benchmarks/keda-metrics-api.ts ${process.argv.slice(2).join(' ')}`.trim(),
  load: loadNote(startLoad),
  verdicts: [
    {
      goal: `GET /api/v1/keda/{target} ≥ 5,000 requests/s with p99 < 5 ms and no error, ${connections} connections${withFits ? ', MSTL fits running' : ', no fits (comparison only)'}`,
      figure: `${report.requests.average.toFixed(0)} requests/s, p99 ${report.latency.p99} ms, ${report.non2xx} non-2xx, ${report.errors} errors`,
      met: withFits && report.requests.average >= 5000 && report.latency.p99 < 5 && report.non2xx === 0 && report.errors === 0,
    },
  ],
};
await mkdir(new URL('./out/', import.meta.url), { recursive: true });
await writeFile(new URL(`./out/keda-metrics-api${withFits ? '' : '-nofits'}.json`, import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `GET /api/v1/keda/taxi: ${report.requests.average.toFixed(0)} req/s, p50 ${report.latency.p50} ms, p99 ${report.latency.p99} ms, ` +
    `max ${report.latency.max} ms, non-2xx ${report.non2xx}, errors ${report.errors} (${connections} connections); ` +
    `${fits.fits} MSTL fits of ${fits.meanFitMs.toFixed(0)} ms ran meanwhile; server loop delay p99 ${loopDelay.p99Ms.toFixed(2)} ms, ` +
    `server CPU ${result.serverCpuMicrosPerRequest.toFixed(0)} µs/request, main thread ${(elu.utilization * 100).toFixed(0)} % busy; ` +
    `load average before ${loadAverageBefore.map((l) => l.toFixed(1)).join('/')}; goal met: ${result.verdicts[0]?.met}`,
);
