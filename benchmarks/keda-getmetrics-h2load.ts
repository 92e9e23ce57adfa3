/**
 * KEDA GetMetrics measured with h2load (nghttp2's HTTP/2 load generator, a
 * C client from Debian's nghttp2-client) sending real gRPC frames: a client
 * that costs far less CPU than a Node.js gRPC client, closer to KEDA's Go
 * client, so on 2 cores the figure is the server's and not the client's.
 * Same server set-up as keda-getmetrics.ts: a real MSTL forecast in memory,
 * the fit pool fitting MSTL back to back the whole time.
 *
 * Goal (issue 4): ≥ 5,000 calls/s with p99 < 5 ms on loopback, while fits run.
 * Run: npx tsx benchmarks/keda-getmetrics-h2load.ts [durationSeconds=10] [streams=8]
 * (installs nothing: needs `h2load`, `apt-get install -y nghttp2-client`).
 * Writes benchmarks/out/keda-getmetrics-h2load.json.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import protobuf from 'protobufjs';
import { PROTO_PATH, startKedaServer } from '../src/keda/server.js';
import { loadAtStart, loadNote } from './machine-load.js';
import { benchConfig, startFitLoad, statesWithRealForecast, watchEventLoop } from './scaling-fixture.js';

const run = promisify(execFile);
const [durationSeconds = '10', streams = '8'] = process.argv.slice(2);
const request = { scaledObjectRef: { name: 'web', namespace: 'shop', scalerMetadata: { target: 'taxi', mode: 'replicas' } }, metricName: 'taxi' };

/** A gRPC message frame: uncompressed flag, 4-byte big-endian length, protobuf bytes. */
function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(message.length, 1);
  Buffer.from(message).copy(frame, 5);
  return frame;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const config = benchConfig();
const states = await statesWithRealForecast(config);
const server = await startKedaServer({ states, config, port: 0 });
const dir = await mkdtemp(join(tmpdir(), 'prescient-h2load-'));
try {
  // The same request through a real gRPC client first: the call h2load repeats must succeed.
  const definition = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_PATH, { keepCase: true, longs: String, defaults: true }));
  const Client = (definition.externalscaler as grpc.GrpcObject).ExternalScaler as grpc.ServiceClientConstructor;
  const client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  const answer = await new Promise<{ metricValues: Array<{ metricValueFloat: number }> }>((resolve, reject) =>
    client.GetMetrics!(request, (err: Error | null, res: never) => (err ? reject(err) : resolve(res))),
  );
  client.close();
  const expectedReplicas = answer.metricValues[0]?.metricValueFloat;
  if (!(typeof expectedReplicas === 'number' && expectedReplicas >= 1)) throw new Error('GetMetrics preflight returned no value');

  const root = protobuf.loadSync(PROTO_PATH);
  const type = root.lookupType('externalscaler.GetMetricsRequest');
  const body = join(dir, 'request.bin');
  await writeFile(body, grpcFrame(type.encode(type.fromObject(request)).finish()));

  const startLoad = loadAtStart();
  const fitLoad = await startFitLoad();
  const loadAverageBefore = loadavg();
  const eventLoop = watchEventLoop();
  const cpuBefore = process.cpuUsage();
  const log = join(dir, 'requests.log');
  // One connection (as KEDA's operator keeps one), `streams` concurrent calls on it.
  const { stdout } = await run('h2load', [
    '-c', '1', '-t', '1', '-m', streams, '-D', durationSeconds, '--warm-up-time', '2',
    '-d', body, '-H', 'content-type: application/grpc', '-H', 'te: trailers',
    '--log-file', log, `http://127.0.0.1:${server.port}/externalscaler.ExternalScaler/GetMetrics`,
  ], { maxBuffer: 16 * 1024 * 1024 });
  const cpu = process.cpuUsage(cpuBefore);
  const loopDelay = eventLoop();
  const fits = await fitLoad.stop();

  // h2load's log: start time, HTTP status, duration in µs, one request a line.
  const logged = (await readFile(log, 'utf8')).trim().split('\n').map((line) => line.split('\t'));
  // Streams still open when --warm-up-time ends are logged with status 0 and a partial duration (seen in
  // 3 of 5 runs: exactly `streams` rows, the earliest starts, ~1 ms each, while h2load's own summary counted
  // every request as succeeded). They are no answer of the server's: left out, and counted.
  const earliest = new Set(logged.map((r, i) => [Number(r[0]), i] as const).sort((a, b) => a[0] - b[0]).slice(0, Number(streams)).map(([, i]) => i));
  const carriedOver = logged.filter((r, i) => r[1] === '0' && earliest.has(i)).length;
  const rows = logged.filter((r, i) => !(r[1] === '0' && earliest.has(i)));
  const durationsMs = rows.map((r) => Number(r[2]) / 1000).sort((a, b) => a - b);
  // h2load's summary: "requests: N total, N started, N done, N succeeded, F failed, E errored, T timeout".
  const unsuccessful = /(\d+) failed, (\d+) errored, (\d+) timeout/.exec(stdout)?.slice(1).reduce((sum, n) => sum + Number(n), 0);
  if (unsuccessful === undefined) throw new Error('h2load printed no requests summary');
  const non200 = rows.filter((r) => r[1] !== '200').length + unsuccessful;
  const calls = rows.length;
  const callsPerSecond = calls / Number(durationSeconds);
  const result = {
    benchmark: 'keda-getmetrics-h2load',
    at: new Date().toISOString(),
    client: 'h2load (nghttp2), 1 connection',
    concurrentStreams: Number(streams),
    durationSeconds: Number(durationSeconds),
    calls,
    non200,
    warmUpStreamsLeftOut: carriedOver,
    callsPerSecond,
    latencyMs: { p50: percentile(durationsMs, 50), p90: percentile(durationsMs, 90), p99: percentile(durationsMs, 99), max: durationsMs[durationsMs.length - 1] },
    serverCpuMicrosPerCall: (cpu.user + cpu.system) / calls,
    serverEventLoopDelayMs: loopDelay,
    fitsDuringRun: fits,
    loadAverageBefore,
    h2loadSummary: stdout.split('\n').filter((l) => /finished in|requests:|time for request/.test(l)),
    command: `npx tsx benchmarks/keda-getmetrics-h2load.ts ${process.argv.slice(2).join(' ')}`.trim(),
    load: loadNote(startLoad),
    verdicts: [
      {
        goal: `GetMetrics ≥ 5,000 calls/s with p99 < 5 ms and no error, h2load, 1 connection, ${streams} streams, MSTL fits running`,
        figure: `${callsPerSecond.toFixed(0)} calls/s, p99 ${percentile(durationsMs, 99).toFixed(2)} ms, ${non200} non-200, ${fits.fits} fits`,
        met: callsPerSecond >= 5000 && percentile(durationsMs, 99) < 5 && non200 === 0 && fits.fits > 0,
      },
    ],
  };
  await mkdir(new URL('./out/', import.meta.url), { recursive: true });
  await writeFile(new URL('./out/keda-getmetrics-h2load.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
