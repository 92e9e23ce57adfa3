import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Cluster } from './cluster/cluster.js';
import type { Config, TargetConfig } from './config/schema.js';
import { actualsRoutes } from './api/actuals-routes.js';
import { backtestRoutes } from './api/backtest-routes.js';
import { frameworkErrorHandler, installErrorHandling, refuseWhileDraining } from './api/error-handler.js';
import { installJsonParser } from './api/json-body.js';
import { rewarmAfterFork } from './api/body-memory.js';
import { PrescientError } from './errors.js';
import { eventRoutes } from './api/event-routes.js';
import { feedbackRoutes } from './api/feedback-routes.js';
import { forecastRoutes } from './api/forecast-routes.js';
import { healthRoutes } from './api/health-routes.js';
import { scalingRoutes } from './api/scaling-routes.js';
import { targetRoutes } from './api/target-routes.js';
import { assertTargetsFitInMemory } from './engine/capacity.js';
import { Engine } from './engine/engine.js';
import { FitPool } from './engine/pool.js';
import { TargetStates } from './engine/target-state.js';
import type { KnownEvent } from './events/event.js';
import { EventBook } from './events/event-book.js';
import { CIRCUIT_STATES, CircuitBreaker } from './sources/circuit-breaker.js';
import { createPrometheusClient, type PrometheusClient } from './sources/prometheus.js';
import { ForecastStore } from './store/forecast-store.js';
import { registerForecastGauges } from './engine/forecast-gauges.js';
import { createMetrics, type Metrics } from './telemetry/metrics.js';
import { uiRoutes } from './ui/routes.js';

export interface BuildOptions {
  readonly config: Readonly<Config>;
  /** Clock, ms since epoch (tests move it). */
  readonly now?: () => number;
  /** pino options, or false for silence (tests). */
  readonly logger?: boolean | object;
  /** Start the refresh loops when the app is ready (default true). */
  readonly startEngine?: boolean;
}

/** The services behind the routes, exposed for tests and for src/server.ts. */
export interface Prescient {
  readonly config: Readonly<Config>;
  readonly states: TargetStates;
  readonly engine: Engine;
  readonly pool: FitPool;
  readonly metrics: Metrics;
  readonly events: EventBook;
  readonly prometheus?: CircuitBreaker<PrometheusClient>;
  /** This replica's part in a Redis-backed deployment (absent without cluster.redis). */
  readonly cluster?: Cluster;
}

declare module 'fastify' {
  interface FastifyInstance {
    prescient: Prescient;
  }
}

/**
 * Builds the whole HTTP app — infrastructure first (errors, OpenAPI,
 * metrics, pool), then domain services (states, engine), then routes — and
 * never listens (src/server.ts does). Closing the app stops the engine and
 * the worker pool.
 */
export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const { config } = options;
  assertTargetsFitInMemory(config);
  const now = options.now ?? (() => Date.now());
  const app = Fastify({
    logger: options.logger ?? { level: process.env.LOG_LEVEL ?? 'info' },
    bodyLimit: config.server.bodyLimitBytes,
    // A client that stalls (a body shorter than its Content-Length) is cut off instead of holding a socket (issue 11, item 7).
    connectionTimeout: config.server.connectionTimeoutSeconds * 1000,
    requestTimeout: config.server.requestTimeoutSeconds * 1000,
    // Per-request log lines would cost more than serving a cached forecast; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Route params are target names; refuse pathological ones early.
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: frameworkErrorHandler,
    // While draining, a request on a kept-alive connection is refused in the one error shape (below), not fastify's own 503 body.
    return503OnClosing: false,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  refuseWhileDraining(app);
  keepConnectionWhileHandling(app);
  installJsonParser(app, { maxDepth: config.server.maxJsonDepth, maxElements: config.server.maxJsonElements, maxValueBytes: config.server.maxJsonValueBytes, bodyLimitBytes: config.server.bodyLimitBytes });
  // Only routes that ask for it (those that fit or backtest) are limited: reads are served from memory.
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new PrescientError('PRESCIENT_ERR_RATE_LIMITED', `more than ${context.max} requests that fit or backtest in limits.fitRequests.window; retry in ${context.after}`),
  });
  await app.register(fastifySwagger, {
    openapi: { info: { title: 'Prescient', description: 'Forecasts and replica recommendations ahead of demand', version: '0.1.0' } },
    transform: jsonSchemaTransform,
  });

  const metrics = createMetrics();
  const pool = new FitPool({
    targets: { threads: config.pool.threads, maxQueue: config.pool.maxQueue },
    requests: { threads: config.pool.requestThreads, maxQueue: config.pool.requestMaxQueue },
    fitTimeoutMs: config.pool.fitTimeoutMs,
    // A thread started from TypeScript source may have forked the process, undoing server.ts's warm-up of body memory.
    onThreadsStarted: () => {
      const again = rewarmAfterFork();
      if (again) app.log.info(again, 'body memory warmed again: a thread start-up forked this process');
    },
  });
  const states = new TargetStates(config.targets);
  registerForecastGauges(metrics, states, now);
  const prometheus = config.prometheus ? guardedPrometheus(config.prometheus, metrics, app.log as FastifyBaseLogger) : undefined;
  // With Redis, forecasts and selections live there and BullMQ schedules the fits; without, files and the local scheduler.
  // Loaded only when configured: the embedded default never loads BullMQ or ioredis.
  const cluster = config.cluster.redis ? new (await import('./cluster/cluster.js')).Cluster(config, app.log as FastifyBaseLogger) : undefined;
  // Events persist beside the forecasts (or in Redis, shared), and are read before the engine starts so the first fits apply them.
  const events = new EventBook({ ...(cluster ? { store: cluster.eventStore } : { file: join(config.modelsDir, 'events.json') }), keepSeconds: config.events.keepSeconds, maxEvents: config.events.maxEvents, now });
  // With Redis the cluster reads them once connected (Redis may be down at start, like for the forecasts).
  if (!cluster) await events.load();
  const engine = new Engine({
    config,
    events,
    states,
    pool,
    metrics,
    store: cluster?.store ?? new ForecastStore(config.modelsDir),
    ...(cluster ? { eventRefits: (name: string, event: KnownEvent) => cluster.requestEventRefit(name, event) } : {}),
    ...(prometheus ? { prometheus } : {}),
    log: app.log as FastifyBaseLogger,
    now,
  });
  app.decorate('prescient', { config, states, engine, pool, metrics, events, ...(prometheus ? { prometheus } : {}), ...(cluster ? { cluster } : {}) });

  await app.register(healthRoutes, { states, metrics, ...(prometheus ? { prometheus } : {}) });
  await app.register(targetRoutes, { states, now });
  await app.register(feedbackRoutes, { states, now, shadowReport: (target: TargetConfig, nowMs: number) => engine.feedback.shadowReport(target, nowMs) });
  await app.register(eventRoutes, { config, events, metrics, apply: (added: readonly KnownEvent[], updated: readonly KnownEvent[]) => engine.applyEvents(added, updated) });
  await app.register(forecastRoutes, { config, pool, metrics, now });
  await app.register(scalingRoutes, { states, config, now });
  await app.register(backtestRoutes, { config, pool, now, ...(prometheus ? { prometheus } : {}), ...(cluster ? { jobs: cluster.backtests } : {}) });
  await app.register(actualsRoutes, { states, now, ...(prometheus ? { prometheus } : {}) });
  await app.register(uiRoutes);
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());

  if (options.startEngine ?? true) app.addHook('onReady', async () => (cluster ? cluster.start({ engine, states, events }) : engine.start()));
  app.addHook('onClose', async () => {
    await cluster?.close();
    await engine.stop();
    await pool.close();
    prometheus?.close();
  });
  return app;
}

/**
 * `connectionTimeout` (Node's socket timeout) is meant for a connection
 * silent while its request arrives (a client that stalls its body) or while
 * its answer is written to a client that stopped reading. Node applies it
 * in between too, and cut a request that was whole and waiting for the
 * server (a fit queued behind others: found when 10 concurrent series
 * bodies on a loaded machine took over 30 s), so the client got a closed
 * socket instead of its answer. While the handler runs (from preHandler,
 * once the body is in, to onSend) the response claims the timeout and keeps
 * the connection; the handler's own limits (pool.fitTimeout) bound that wait.
 */
function keepConnectionWhileHandling(app: FastifyInstance): void {
  // A listener on the response's 'timeout' is what tells Node's server not to destroy the socket.
  const keep = () => undefined;
  app.addHook('preHandler', (_request, reply, done) => {
    reply.raw.on('timeout', keep);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.raw.removeListener('timeout', keep);
    done(null, payload);
  });
}

/**
 * The Prometheus client behind its circuit breaker (one Prometheus, one
 * breaker), its state on /metrics and in the log. Real time paces it: it
 * spaces real requests, whatever clock the forecasts use.
 */
function guardedPrometheus(config: NonNullable<Config['prometheus']>, metrics: Metrics, log: FastifyBaseLogger): CircuitBreaker<PrometheusClient> {
  const client = createPrometheusClient(config, {
    onRequest: (seconds, outcome) => metrics.prometheusRequestSeconds.observe({ outcome }, seconds),
  });
  const show = (current: string) => {
    for (const state of CIRCUIT_STATES) metrics.prometheusCircuitState.set({ state }, state === current ? 1 : 0);
  };
  show('closed');
  return new CircuitBreaker(client, {
    failureThreshold: config.circuitBreaker.failureThreshold,
    openSeconds: config.circuitBreaker.openSeconds,
    onStateChange: (from, to, reason) => {
      show(to);
      metrics.prometheusCircuitTransitions.inc({ from, to });
      log.warn({ from, to, reason }, `Prometheus circuit ${from} → ${to}`);
    },
  });
}
