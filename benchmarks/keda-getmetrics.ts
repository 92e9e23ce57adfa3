/**
 * KEDA GetMetrics throughput and latency (issue 4 goal: ≥ 5,000 calls/s with
 * p99 < 5 ms on loopback from a separate client process, while fits run).
 * The gRPC server runs in this process, answering from TargetStates holding a
 * real MSTL forecast; the fit pool keeps fitting MSTL on 10 k points the whole
 * time; benchmarks/keda-client.ts runs as a child process with concurrent callers.
 *
 * Run: npx tsx benchmarks/keda-getmetrics.ts [concurrency=16] [durationSeconds=10] [fits|nofits] [channels=1]
 * Writes benchmarks/out/keda-getmetrics.json.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startKedaServer } from '../src/keda/server.js';
import { loadAtStart, loadNote } from './machine-load.js';
import { benchConfig, startFitLoad, statesWithRealForecast, watchEventLoop } from './scaling-fixture.js';

const [concurrency = '16', durationSeconds = '10', fitsArg = 'fits', channels = '1'] = process.argv.slice(2);
// 'nofits' measures the same path without the fit load, for comparison.
const withFits = fitsArg !== 'nofits';
const startLoad = loadAtStart();
const config = benchConfig();
const states = await statesWithRealForecast(config);
const server = await startKedaServer({ states, config, port: 0 });
const fitLoad = withFits ? await startFitLoad() : { stop: async () => ({ fits: 0, meanFitMs: 0 }) };
// Other work on the machine skews the figures: record how busy it was.
const loadAverageBefore = loadavg();
const eventLoop = watchEventLoop();
// Server cost per call, independent of how busy the machine is: process CPU
// time (includes the fit worker thread when fits run) and the main thread's
// event-loop utilisation.
const cpuBefore = process.cpuUsage();
const eluBefore = performance.eventLoopUtilization();

const clientPath = fileURLToPath(new URL('./keda-client.ts', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', clientPath, String(server.port), concurrency, durationSeconds, '2', channels], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let output = '';
child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
const loopDelay = eventLoop();
const cpu = process.cpuUsage(cpuBefore);
const elu = performance.eventLoopUtilization(eluBefore);
const fits = await fitLoad.stop();
await server.close();
if (exitCode !== 0) throw new Error(`client exited with ${exitCode}`);

const client = JSON.parse(output.trim().split('\n').pop() ?? '{}') as {
  calls: number;
  totalCalls: number;
  errors: number;
  callsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
};
const result = {
  benchmark: 'keda-getmetrics',
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version, loadAverageBefore },
  client,
  serverEventLoopDelayMs: loopDelay,
  // Over all calls, warm-up included (the server was busy with nothing else but fits).
  serverCpuMicrosPerCall: (cpu.user + cpu.system) / client.totalCalls,
  serverMainThreadUtilization: elu.utilization,
  withFits,
  fitsDuringRun: fits,
  command: `npx tsx benchmarks/keda-getmetrics.ts ${process.argv.slice(2).join(' ')}`.trim(),
  load: loadNote(startLoad),
  verdicts: [
    {
      goal: `GetMetrics ≥ 5,000 calls/s with p99 < 5 ms and no error, grpc-js client, concurrency ${concurrency}${withFits ? ', MSTL fits running' : ', no fits (comparison only)'}`,
      figure: `${client.callsPerSecond.toFixed(0)} calls/s, p99 ${client.latencyMs.p99.toFixed(2)} ms, ${client.errors} errors`,
      met: withFits && client.callsPerSecond >= 5000 && client.latencyMs.p99 < 5 && client.errors === 0,
    },
  ],
};
await mkdir(new URL('./out/', import.meta.url), { recursive: true });
await writeFile(new URL(`./out/keda-getmetrics${withFits ? '' : '-nofits'}.json`, import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `GetMetrics: ${client.callsPerSecond.toFixed(0)} calls/s, p50 ${client.latencyMs.p50.toFixed(2)} ms, p99 ${client.latencyMs.p99.toFixed(2)} ms, ` +
    `max ${client.latencyMs.max.toFixed(2)} ms, ${client.errors} errors (concurrency ${concurrency}, ${channels} connection(s)); ` +
    `${fits.fits} MSTL fits of ${fits.meanFitMs.toFixed(0)} ms ran meanwhile; server loop delay p99 ${loopDelay.p99Ms.toFixed(2)} ms, ` +
    `server CPU ${result.serverCpuMicrosPerCall.toFixed(0)} µs/call, main thread ${(elu.utilization * 100).toFixed(0)} % busy; ` +
    `load average before ${loadAverageBefore.map((l) => l.toFixed(1)).join('/')}; goal met: ${result.verdicts[0]?.met}`,
);
