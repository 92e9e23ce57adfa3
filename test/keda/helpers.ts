import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { configSchema, type Config } from '../../src/config/schema.js';
import { TargetStates, type TargetForecast } from '../../src/engine/target-state.js';
import { PROTO_PATH } from '../../src/keda/server.js';

export const STEP_SECONDS = 60;

/** A config with `web` (scaling: 100 per replica, 0.9, 5 m lead), `batch` (no scaling). */
export function testConfig(): Config {
  return configSchema.parse({
    server: { grpcPort: 0, authToken: 'test-token-0123456789' },
    targets: [
      {
        name: 'web',
        source: { type: 'file', path: 'data/web.csv' },
        levels: [0.8, 0.95],
        staleAfter: '1h',
        scaling: { capacityPerReplica: 100, quantile: 0.9, leadTime: '5m', minReplicas: 1, maxReplicas: 50 },
      },
      { name: 'batch', source: { type: 'file', path: 'data/batch.csv' } },
    ],
  });
}

/**
 * A forecast made at `nowMs` starting one step later: the 0.9 quantile
 * (upper of the 80 % interval) is `q90` at every step, the 95 % upper 1.1×.
 */
export function forecastAt(nowMs: number, q90: number | readonly number[], options: { steps?: number; observed?: number } = {}): TargetForecast {
  const steps = options.steps ?? 120;
  const upper = typeof q90 === 'number' ? Array.from({ length: steps }, () => q90) : [...q90];
  const point = upper.map((v) => v * 0.8);
  return {
    target: 'web',
    model: 'mstl',
    generatedAtMs: nowMs,
    startMs: nowMs,
    stepSeconds: STEP_SECONDS,
    point,
    intervals: [
      { level: 0.8, lower: point.map((v) => v * 0.8), upper },
      { level: 0.95, lower: point.map((v) => v * 0.6), upper: upper.map((v) => v * 1.1) },
    ],
    lastObserved: { atMs: nowMs - STEP_SECONDS * 1000, value: options.observed ?? 0 },
    filledGaps: 0,
    seasonalPeriods: [],
    notes: [],
  };
}

export function statesWith(config: Config): TargetStates {
  return new TargetStates(config.targets);
}

/**
 * The external scaler's client class, from the .proto compiled here as KEDA
 * compiles its own copy: int64 answers decoded as decimal strings, and fields
 * at their default (`result: false`, `targetSize: '0'`) present rather than absent.
 */
export const ExternalScalerClient = (
  grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_PATH, { keepCase: true, longs: String, enums: String, defaults: true })).externalscaler as grpc.GrpcObject
).ExternalScaler as grpc.ServiceClientConstructor;

/** A grpc-js client of the external scaler, its methods looked up by name. */
export type ScalerClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** One unary call: resolves with the answer, rejects with the gRPC error. */
export function unaryOn<T>(client: ScalerClient, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]!(request, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

/** The status of a unary call that must fail; a success fails the test. */
export async function statusOn(client: ScalerClient, method: string, request: unknown): Promise<{ code: number; details: string }> {
  try {
    await unaryOn(client, method, request);
  } catch (err) {
    const e = err as grpc.ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error(`${method} succeeded but an error was expected`);
}
