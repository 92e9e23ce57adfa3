/**
 * Load client for benchmarks/keda-getmetrics.ts, run as a separate process:
 * several concurrent callers send GetMetrics exactly as KEDA does (trigger
 * metadata in scalerMetadata, an s0- metric name) on one connection, for a
 * warm-up and then a measured period, spread over `channels` connections; prints one JSON line with calls/s and
 * latency percentiles (ms, measured in this process around each call).
 *
 * Usage: tsx benchmarks/keda-client.ts <port> <concurrency> <durationSeconds> <warmupSeconds> [channels=1]
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_PATH } from '../src/keda/server.js';

const [port = '9090', concurrency = '16', durationSeconds = '10', warmupSeconds = '2', channels = '1'] = process.argv.slice(2);
const definition = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_PATH, { keepCase: true, longs: String, defaults: true }));
const ExternalScaler = (definition.externalscaler as grpc.GrpcObject).ExternalScaler as grpc.ServiceClientConstructor;
type ScalerClient = grpc.Client &
  Record<string, (req: unknown, cb: (err: grpc.ServiceError | null, res: { metricValues: Array<{ metricValue: string; metricValueFloat: number }> }) => void) => void>;
// A local subchannel pool gives each client its own connection.
const clients = Array.from(
  { length: Number(channels) },
  () => new ExternalScaler(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }) as ScalerClient,
);

const request = {
  scaledObjectRef: { name: 'taxi-api', namespace: 'bench', scalerMetadata: { scalerAddress: `prescient:${port}`, target: 'taxi', mode: 'replicas' } },
  metricName: 's0-prescient-taxi-replicas',
};

function call(client: ScalerClient): Promise<number> {
  return new Promise((resolve, reject) => {
    client.GetMetrics!(request, (err, res) => {
      if (err) return reject(err);
      const value = res.metricValues[0];
      // Read both fields as KEDA does; a missing or inconsistent answer is a failure.
      if (!value || !(value.metricValueFloat > 0) || Number(value.metricValue) !== Math.ceil(value.metricValueFloat)) {
        return reject(new Error(`bad answer ${JSON.stringify(res)}`));
      }
      resolve(value.metricValueFloat);
    });
  });
}

const latenciesMs: number[] = [];
let errors = 0;
let totalCalls = 0;
let lastValue = 0;
let measuring = false;
let stop = false;

async function caller(client: ScalerClient): Promise<void> {
  while (!stop) {
    const started = process.hrtime.bigint();
    try {
      lastValue = await call(client);
      totalCalls++;
      if (measuring) latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    } catch {
      if (measuring) errors++;
    }
  }
}

await Promise.all(
  clients.map((client) => new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 5_000, (err) => (err ? reject(err) : resolve())))),
);
const callers = Array.from({ length: Number(concurrency) }, (_, i) => caller(clients[i % clients.length] as ScalerClient));
await new Promise((r) => setTimeout(r, Number(warmupSeconds) * 1000));
measuring = true;
const cpuBefore = process.cpuUsage();
const started = performance.now();
await new Promise((r) => setTimeout(r, Number(durationSeconds) * 1000));
measuring = false;
const elapsedSeconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
stop = true;
await Promise.all(callers);
for (const client of clients) client.close();

latenciesMs.sort((a, b) => a - b);
const pct = (p: number): number => latenciesMs[Math.min(latenciesMs.length - 1, Math.floor((p / 100) * latenciesMs.length))] ?? Number.NaN;
process.stdout.write(
  `${JSON.stringify({
    calls: latenciesMs.length,
    totalCalls,
    errors,
    elapsedSeconds,
    callsPerSecond: latenciesMs.length / elapsedSeconds,
    // The client's own cost: on a shared machine it competes with the server for cores.
    clientCpuMicrosPerCall: (cpu.user + cpu.system) / latenciesMs.length,
    clientCpuShare: (cpu.user + cpu.system) / 1e6 / elapsedSeconds,
    latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: latenciesMs[latenciesMs.length - 1] ?? Number.NaN },
    concurrency: Number(concurrency),
    channels: Number(channels),
    lastValue,
  })}\n`,
);
