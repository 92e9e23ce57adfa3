import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import type { TargetStates } from '../engine/target-state.js';
import { toPrescientError } from '../errors.js';
import { sharedRecommender, type Recommender } from '../engine/recommender.js';
import { metricNameOf, parseScalerMetadata, type ScalerMetadata } from './metadata.js';
import { grpcServerCredentials } from './tls.js';

/** The .proto beside this file (a build must copy it next to the compiled server). */
export const PROTO_PATH = fileURLToPath(new URL('./externalscaler.proto', import.meta.url));

/**
 * Wire shapes as the server sees them: proto-loader's default options, so a
 * field a client left at its default arrives absent (hence the `?`). Every
 * field is camelCase in the .proto already, no request carries an int64,
 * enum or oneof, and int64 answers are given as decimal strings (JS numbers
 * lose precision past 2^53), which proto-loader encodes as given. Clients
 * pick their own options for decoding answers (test/keda/helpers.ts).
 */
export interface ScaledObjectRef {
  name?: string;
  namespace?: string;
  scalerMetadata?: Record<string, string>;
}
export interface IsActiveResponse {
  result: boolean;
}
export interface MetricSpec {
  metricName: string;
  /** int64 as a decimal string. */
  targetSize: string;
  targetSizeFloat: number;
}
export interface GetMetricSpecResponse {
  metricSpecs: MetricSpec[];
}
export interface GetMetricsRequest {
  scaledObjectRef?: ScaledObjectRef;
  metricName?: string;
}
export interface MetricValue {
  metricName: string;
  /** int64 as a decimal string: the float value rounded up. */
  metricValue: string;
  metricValueFloat: number;
}
export interface GetMetricsResponse {
  metricValues: MetricValue[];
}

/**
 * Most characters of a gRPC status's details. They travel in an HTTP/2
 * trailer: a message naming ~900 unknown metadata keys overflowed the
 * client's header list, hung the call and broke its channel (issue 11, item 9).
 */
export const MAX_STATUS_DETAILS = 1024;

/** Cuts status details to MAX_STATUS_DETAILS characters, saying so. */
export function capDetails(details: string): string {
  if (details.length <= MAX_STATUS_DETAILS) return details;
  const kept = MAX_STATUS_DETAILS - 40;
  return `${details.slice(0, kept)} … (${details.length - kept} more characters)`;
}

/**
 * Sends grpc-js's own log lines (it writes "E No address added…" to stderr
 * itself) into the service's log as warnings, so stderr carries only the
 * service's coded lines. Process-wide: grpc-js has one logger.
 */
export function routeGrpcLogs(log: { warn(obj: object, msg: string): void }): void {
  grpc.setLogger({ error: (...args: unknown[]) => log.warn({ component: 'grpc-js' }, args.map(String).join(' ')) });
}

export interface KedaServerOptions {
  readonly states: TargetStates;
  readonly config: Pick<Config, 'server'>;
  /** Defaults to grpcServerCredentials(config.server.grpcTls) (src/keda/tls.ts). */
  readonly credentials?: grpc.ServerCredentials;
  /** Defaults to config.server.host. */
  readonly host?: string;
  /** Defaults to config.server.grpcPort; 0 binds an ephemeral port. */
  readonly port?: number;
  /** Defaults to sharedRecommender(states), the one every face uses, so they agree and share scale-in memory. */
  readonly recommender?: Recommender;
  /** Clock, ms since epoch (tests). */
  readonly now?: () => number;
  /**
   * StreamIsActive re-evaluates this often even without a new forecast (the
   * lead window slides with time), ms; default 15 000.
   */
  readonly streamRecheckMs?: number;
  /**
   * Where an internal error's detail goes (the service's pino log): KEDA sees
   * only `internal error`. Without it the detail is dropped.
   */
  readonly log?: { error(obj: object, msg: string): void };
}

export interface KedaServer {
  /** The bound port (the ephemeral one when 0 was asked). */
  readonly port: number;
  /**
   * Ends open streams (KEDA reopens them elsewhere), refuses new calls, lets
   * running calls finish for up to `graceMs` (default 2 000), then cuts them.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts the KEDA external scaler (gRPC service externalscaler.ExternalScaler,
 * DESIGN.md §3). Every answer comes from memory (TargetStates); nothing here
 * fetches or fits. Errors reach KEDA as gRPC statuses from the error
 * catalogue: bad scalerMetadata → INVALID_ARGUMENT (PRESCIENT_ERR_VALIDATION),
 * unknown target → NOT_FOUND, no forecast or one too stale → UNAVAILABLE
 * (PRESCIENT_ERR_FORECAST_UNAVAILABLE), so KEDA's fallback takes over.
 * @throws Error when the address cannot be bound
 */
export async function startKedaServer(options: KedaServerOptions): Promise<KedaServer> {
  const { states } = options;
  const now = options.now ?? Date.now;
  const recommender = options.recommender ?? sharedRecommender(states);
  const recheckMs = options.streamRecheckMs ?? 15_000;
  const openStreams = new Set<grpc.ServerWritableStream<ScaledObjectRef, unknown>>();

  // Parsed at every call: a cache keyed by the sorted map cost more per hit
  // (1.1–9.2 µs) than the parse it saved (0.9–6.8 µs; benchmarks/keda-metadata-parse.ts).
  const metadataOf = (ref: ScaledObjectRef | undefined): ScalerMetadata => parseScalerMetadata(ref?.scalerMetadata ?? {});

  /** Metric value for a trigger now. Throws PrescientError. */
  function valueOf(meta: ScalerMetadata): number {
    const rec = recommender.recommend(meta.target, now(), {
      quantile: meta.quantile,
      leadTimeSeconds: meta.leadTimeSeconds,
      forAutoscaler: true,
    });
    // `load` mode reports what the policy sized for (the reactive floor
    // included); the HPA divides by capacityPerReplica and applies its own
    // min/max and behaviour.
    return meta.mode === 'replicas' ? rec.replicas : Math.max(rec.basis.windowMaxLoad, rec.basis.observedLoad);
  }

  const isActive = (meta: ScalerMetadata): IsActiveResponse => ({ result: valueOf(meta) > meta.activationThreshold });

  function metricSpecOf(meta: ScalerMetadata): GetMetricSpecResponse {
    const { scaling } = recommender.scalingOf(meta.target);
    const size = meta.mode === 'replicas' ? 1 : scaling.capacityPerReplica;
    return { metricSpecs: [{ metricName: metricNameOf(meta.target, meta.mode), targetSize: String(Math.ceil(size)), targetSizeFloat: size }] };
  }

  function metricsOf(request: GetMetricsRequest): GetMetricsResponse {
    const meta = metadataOf(request.scaledObjectRef);
    const value = valueOf(meta);
    if (!Number.isFinite(value) || value < 0) {
      // recommend() refuses non-finite loads but passes negative ones through; never let either reach KEDA (it would read 0).
      throw new Error(`metric value ${value} is negative or not finite`);
    }
    const metricName = request.metricName || metricNameOf(meta.target, meta.mode);
    return { metricValues: [{ metricName, metricValue: String(Math.ceil(value)), metricValueFloat: value }] };
  }

  function statusOf(err: unknown): Partial<grpc.StatusObject> {
    const error = toPrescientError(err);
    if (error.code !== 'PRESCIENT_ERR_INTERNAL') return { code: error.grpcStatus, details: capDetails(`${error.code}: ${error.message}`) };
    // Internal details stay in the server's log (they may name files or state); the client sees the code.
    options.log?.error({ component: 'keda', err: error.cause }, `internal error answering KEDA: ${error.message}`);
    return { code: error.grpcStatus, details: `${error.code}: internal error` };
  }

  /** Runs a unary handler, turning thrown errors into statuses. */
  function unary<Req, Res>(handle: (request: Req) => Res): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      try {
        callback(null, handle(call.request));
      } catch (err) {
        callback(statusOf(err));
      }
    };
  }

  /**
   * A server stream that sends `compute()` on open and again whenever the
   * target gets a new forecast (and every recheckMs) if the answer changed.
   * Errors on open end the stream with the status; later errors keep the last answer.
   */
  function stream<Res>(compute: (meta: ScalerMetadata) => Res, key: (res: Res) => string): grpc.handleServerStreamingCall<ScaledObjectRef, Res> {
    return (call) => {
      let meta: ScalerMetadata;
      let last: string;
      try {
        meta = metadataOf(call.request);
        const first = compute(meta);
        last = key(first);
        call.write(first);
      } catch (err) {
        call.emit('error', statusOf(err));
        return;
      }
      const refresh = (): void => {
        try {
          const next = compute(meta);
          const nextKey = key(next);
          if (nextKey !== last) {
            last = nextKey;
            call.write(next);
          }
        } catch {
          // Keep the last pushed answer; KEDA still polls GetMetrics, which reports the error.
        }
      };
      const onForecast = (name: string): void => {
        if (name === meta.target) refresh();
      };
      const timer = setInterval(refresh, recheckMs);
      timer.unref();
      states.on('forecast', onForecast);
      openStreams.add(call as grpc.ServerWritableStream<ScaledObjectRef, unknown>);
      // Every end of a server stream emits 'close', once: the client's cancel and a
      // forced shutdown destroy it, the server's end() finishes it (autoDestroy).
      call.on('close', () => {
        clearInterval(timer);
        states.off('forecast', onForecast);
        openStreams.delete(call as grpc.ServerWritableStream<ScaledObjectRef, unknown>);
      });
    };
  }

  // proto-loader's default options: see the wire shapes above.
  const definition = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_PATH));
  const service = (definition.externalscaler as grpc.GrpcObject).ExternalScaler as grpc.ServiceClientConstructor;
  const server = new grpc.Server();
  const handlers: grpc.UntypedServiceImplementation = {
    IsActive: unary<ScaledObjectRef, IsActiveResponse>((ref) => isActive(metadataOf(ref))),
    GetMetricSpec: unary<ScaledObjectRef, GetMetricSpecResponse>((ref) => metricSpecOf(metadataOf(ref))),
    GetMetrics: unary<GetMetricsRequest, GetMetricsResponse>(metricsOf),
    StreamIsActive: stream<IsActiveResponse>(isActive, (r) => String(r.result)),
    StreamMetricSpec: stream<GetMetricSpecResponse>(metricSpecOf, (r) => JSON.stringify(r)),
  };
  server.addService(service.service, handlers);

  const credentials = options.credentials ?? grpcServerCredentials(options.config.server.grpcTls);
  const host = options.host ?? options.config.server.host;
  const port = options.port ?? options.config.server.grpcPort;
  // IPv6 literals need brackets in a gRPC address.
  const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
  });

  return {
    port: boundPort,
    close: (graceMs = 2_000) =>
      new Promise<void>((resolve) => {
        for (const call of openStreams) call.end();
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
