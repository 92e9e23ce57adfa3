import { z } from 'zod';
import { durationSeconds } from './duration.js';

/**
 * The configuration file's shape. Every key has a documented default (see
 * docs/configuration.md); durations are written "5m", "14d" and read as
 * seconds, so every parsed name that holds one ends in `Seconds`.
 */

const TARGET_NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

/** Model names a target may list. `auto` picks by backtest among the others. */
export const MODEL_NAMES = ['auto', 'snaive', 'lnaive', 'dnaive', 'smean', 'theta', 'damped', 'mstl', 'sarima', 'lstm'] as const;

/** A target's refresh interval when its config gives none (seconds). */
export const DEFAULT_REFRESH_SECONDS = 900;

/** The scale-in guard's default: the upper bound of the 95 % interval. */
export const DEFAULT_SCALE_IN_GUARD_QUANTILE = 0.975;
/** The documented default scaling quantile and utilisation (docs/configuration.md). */
export const DEFAULT_QUANTILE = 0.9;
export const DEFAULT_UTILISATION = 1;
export type ModelName = (typeof MODEL_NAMES)[number];

/**
 * Whether a model is registered, by name alone: the REST routes check names
 * with this instead of importing src/models/registry.ts, which would load
 * TF.js and the WASM models into the main thread (seconds of start-up and
 * tens of MB that only the workers need). A test keeps it in step with the registry.
 */
export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

const level = z.number().gt(0).lt(1);

const tlsSchema = z
  .object({
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    /** Skips certificate verification: for test clusters only. */
    insecureSkipVerify: z.boolean().default(false),
  })
  .strict();

export const prometheusSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    bearerToken: z.string().min(1).optional(),
    basicAuth: z.object({ username: z.string().min(1), password: z.string() }).strict().optional(),
    timeout: durationSeconds.default(10),
    /** Retries after the first attempt, on network errors and 5xx only. */
    retries: z.number().int().min(0).max(10).default(3),
    /** Prometheus refuses more than 11,000 points per series per request. */
    maxPointsPerRequest: z.number().int().min(10).max(11_000).default(11_000),
    tls: tlsSchema.optional(),
    /** Stops querying a Prometheus that keeps failing (src/sources/circuit-breaker.ts). */
    circuitBreaker: z
      .object({
        /** Consecutive failed queries (after their retries) that open the circuit. */
        failureThreshold: z.number().int().min(1).max(100).default(3),
        /** How long it stays open before one probe query goes through. */
        openFor: durationSeconds.default(30),
      })
      .strict()
      .default({ failureThreshold: 3, openFor: 30 })
      .transform(({ openFor, ...rest }) => ({ ...rest, openSeconds: openFor })),
  })
  .strict()
  .refine((p) => !(p.bearerToken && p.basicAuth), {
    message: 'give either bearerToken or basicAuth, not both',
    path: ['basicAuth'],
  })
  .transform(({ timeout, ...rest }) => ({ ...rest, timeoutSeconds: timeout }));

const prometheusSourceSchema = z
  .object({
    type: z.literal('prometheus'),
    query: z.string().min(1).max(4096),
    step: durationSeconds,
    /**
     * How to combine several returned series into one. Without it a query
     * that returns more than one series is an error.
     */
    aggregate: z.enum(['sum', 'avg', 'max', 'min']).optional(),
  })
  .strict()
  .transform(({ step, ...rest }) => ({ ...rest, stepSeconds: step }));

const fileSourceSchema = z
  .object({
    type: z.literal('file'),
    /** CSV with a `timestamp,value` header (ISO or epoch seconds) or JSON `[{timestamp, value}]`. */
    path: z.string().min(1),
    /** Grid step; defaults to the median spacing of the file. */
    step: durationSeconds.optional(),
    /**
     * Replays the file as if it ended now: timestamps are shifted so the last
     * sample is the latest whole step. Demo targets use it so forecasts look current.
     */
    shiftToNow: z.boolean().default(false),
  })
  .strict()
  .transform(({ step, ...rest }) => ({ ...rest, stepSeconds: step }));

export const scalingSchema = z
  .object({
    /** Load one replica serves within its SLO, in the unit of the target's series. */
    capacityPerReplica: z.number().positive(),
    /**
     * The forecast quantile to scale on. The three knobs (quantile, guard,
     * utilisation) have no zod default: the transform fills the documented
     * defaults and records whether any was stated (`knobsStated`), because a
     * target that states none is served knobs chosen on its own history.
     */
    quantile: z.number().gt(0.5).lt(1).optional(),
    /**
     * Scale-in guard: the upper forecast quantile over the lead window that
     * must still fit in the smaller count before replicas are removed, or
     * "none" (scale in as soon as the scaling quantile allows).
     */
    scaleInGuardQuantile: z.union([z.number().gt(0.5).lt(1), z.literal('none')]).optional(),
    /** Share of capacityPerReplica the policy sizes on: replicas = ceil(load / (capacityPerReplica × utilisation)). */
    utilisation: z.number().gt(0).max(1).optional(),
    /** Pod start-up plus metric lag: how far ahead capacity must be ready. */
    leadTime: durationSeconds.default(300),
    minReplicas: z.number().int().min(0).default(1),
    maxReplicas: z.number().int().min(1).default(100),
    scaleIn: z
      .object({
        /** At most this many replicas removed per interval. */
        maxReplicas: z.number().int().min(1).optional(),
        /** At most this share of current replicas removed per interval (0–100). */
        maxPercent: z.number().gt(0).max(100).optional(),
        interval: durationSeconds.default(60),
        /** Scale in only to the highest recommendation seen over this window. */
        stabilizationWindow: durationSeconds.default(300),
      })
      .strict()
      .default({ interval: 60, stabilizationWindow: 300 })
      .transform(({ interval, stabilizationWindow, ...rest }) => ({
        ...rest,
        intervalSeconds: interval,
        stabilizationWindowSeconds: stabilizationWindow,
      })),
    /**
     * A risk budget instead of hand-set knobs: at each model selection the
     * target's recent history is replayed for a grid of knob settings and the
     * cheapest setting that met the budget is served (src/backtest/frontier.ts).
     */
    budget: z
      .object({
        /** Under-provisioned minutes (load above ready capacity) allowed per week of replay. */
        maxUnderProvisionedMinutesPerWeek: z.number().min(0).max(10_080),
      })
      .strict()
      .optional(),
    /**
     * Without a budget: at each model selection the configured knobs are
     * replayed over the selection's span and served only if they were short
     * fewer minutes there than the plain HPA spending as many replica-hours;
     * otherwise reactive scaling (src/backtest/selection-frontier.ts).
     * `false` serves the knobs unchecked.
     */
    ownHistoryCheck: z.boolean().default(true),
    /**
     * `active`: the recommendation is served as computed. `shadow`: the
     * predictive recommendation is computed and compared with what actually
     * ran (`shadow.replicasQuery`), while every face serves the reactive one
     * (what the HPA would do on the observed load): GET /api/v1/targets/{name}/shadow.
     */
    mode: z.enum(['active', 'shadow']).default('active'),
    shadow: z
      .object({
        /** PromQL for the replicas the workload runs now, e.g. kube_deployment_status_replicas{deployment="checkout"}. */
        replicasQuery: z.string().min(1).max(4096),
        /** How to combine several returned series (e.g. one per pod or zone); without it several series are an error. */
        aggregate: z.enum(['sum', 'avg', 'max', 'min']).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((s) => s.maxReplicas >= s.minReplicas, {
    message: 'maxReplicas must be ≥ minReplicas',
    path: ['maxReplicas'],
  })
  .refine((s) => s.mode !== 'shadow' || s.shadow !== undefined, {
    message: 'mode: shadow needs shadow.replicasQuery (the replicas that actually ran)',
    path: ['shadow'],
  })
  .transform(({ leadTime, quantile, scaleInGuardQuantile, utilisation, ...rest }) => ({
    ...rest,
    quantile: quantile ?? DEFAULT_QUANTILE,
    utilisation: utilisation ?? DEFAULT_UTILISATION,
    leadTimeSeconds: leadTime,
    /** null: no guard. */
    scaleInGuardQuantile: scaleInGuardQuantile === undefined ? DEFAULT_SCALE_IN_GUARD_QUANTILE : scaleInGuardQuantile === 'none' ? null : scaleInGuardQuantile,
    /** Whether the config states any of quantile, scaleInGuardQuantile, utilisation (else they are the defaults above). */
    knobsStated: quantile !== undefined || scaleInGuardQuantile !== undefined || utilisation !== undefined,
  }));

/**
 * Values the target's load cannot leave (models/validate.ts ForecastBounds):
 * points and bands are clipped to them. `lower` absent: 0 when the history is
 * never negative; null: no lower bound.
 */
export const boundsSchema = z
  .object({
    lower: z.number().finite().nullable().optional(),
    upper: z.number().finite().optional(),
  })
  .strict()
  .refine((b) => b.lower === undefined || b.lower === null || b.upper === undefined || b.upper > b.lower, {
    message: 'upper must be above lower',
    path: ['upper'],
  });

export const targetSchema = z
  .object({
    name: z.string().regex(TARGET_NAME, 'lower-case letters, digits, ".", "_" and "-", at most 63, starting and ending alphanumeric'),
    source: z.discriminatedUnion('type', [prometheusSourceSchema, fileSourceSchema]),
    /** How much history to fit on. */
    history: durationSeconds.default(28 * 86_400),
    /** How far ahead to forecast. */
    horizon: durationSeconds.default(86_400),
    models: z.array(z.enum(MODEL_NAMES)).min(1).default(['auto']),
    /** Seasonal periods as durations ("1d", "1w"); detected from the data when absent. */
    seasonalPeriods: z.array(durationSeconds).max(3).optional(),
    /** Interval levels served; the scaling quantile's level is always added. */
    levels: z.array(level).min(1).max(5).default([0.8, 0.95]),
    /** How often to pull fresh history and refit. */
    refreshInterval: durationSeconds.default(DEFAULT_REFRESH_SECONDS),
    /** A forecast older than this is served marked stale; KEDA gets an error past twice this. */
    staleAfter: durationSeconds.default(3600),
    scaling: scalingSchema.optional(),
    bounds: boundsSchema.optional(),
  })
  .strict()
  .refine((t) => t.source.type === 'file' || t.history / t.source.stepSeconds >= 2, {
    message: 'history must cover at least two steps',
    path: ['history'],
  })
  .transform(({ history, horizon, seasonalPeriods, refreshInterval, staleAfter, ...rest }) => ({
    ...rest,
    historySeconds: history,
    horizonSeconds: horizon,
    seasonalPeriodsSeconds: seasonalPeriods,
    refreshIntervalSeconds: refreshInterval,
    staleAfterSeconds: staleAfter,
  }));

export const serverSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(8080),
    grpcPort: z.number().int().min(0).max(65_535).default(9090),
    /** Bearer token for mutating endpoints and the KEDA metrics-api path; open when absent. */
    authToken: z.string().min(16).optional(),
    bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(4 * 1024 * 1024),
    /**
     * Memory touched at start-up for the first request bodies (src/api/body-memory.ts), so they do not
     * pay a page fault per 4 KiB; 0 turns it off. Stays the process's (1/64 in use, the rest free for bodies).
     */
    bodyWarmUpBytes: z.number().int().min(0).max(1024 * 1024 * 1024).default(32 * 1024 * 1024),
    /** A connection silent this long (a body shorter than its Content-Length, an idle client) is closed. */
    connectionTimeout: durationSeconds.pipe(z.number().max(3600)).default(30),
    /** The whole request (headers and body) must arrive within this; else 408 and the connection closes. */
    requestTimeout: durationSeconds.pipe(z.number().max(3600)).default(60),
    /**
     * After SIGTERM, requests and gRPC calls already running get this long to
     * finish before the rest are cut and the process exits 1. Below
     * Kubernetes' default terminationGracePeriodSeconds (30), so the drain
     * ends before the kubelet's SIGKILL.
     */
    shutdownGrace: durationSeconds.pipe(z.number().min(1).max(3600)).default(25),
    /** JSON bodies nesting deeper are refused while read (PRESCIENT_ERR_BODY_TOO_COMPLEX). */
    maxJsonDepth: z.number().int().min(2).max(1000).default(16),
    /** JSON bodies with more values in all are refused while read (routes that take a series allow limits.maxPoints + 1,000). */
    maxJsonElements: z.number().int().min(100).max(100_000_000).default(100_000),
    /** JSON bodies with a longer string or number are refused while read (PRESCIENT_ERR_BODY_VALUE_TOO_LONG). */
    maxJsonValueBytes: z.number().int().min(256).max(64 * 1024 * 1024).default(64 * 1024),
    /**
     * Lets the service bind beyond loopback with no authToken. Off by default:
     * an exposed service without a token lets anyone start backtests.
     */
    allowUnauthenticated: z.boolean().default(false),
    /**
     * TLS for the KEDA external scaler (gRPC): PEM files read at start.
     * With `clientCaFile`, mutual TLS: only clients whose certificate that CA
     * signed may call (KEDA's `tlsClientCert`/`tlsClientKey`; its `caCert`
     * verifies `certFile`). Absent: plaintext (warned beyond loopback).
     */
    grpcTls: z
      .object({
        certFile: z.string().min(1),
        keyFile: z.string().min(1),
        clientCaFile: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((s) => isLoopback(s.host) || s.authToken !== undefined || s.allowUnauthenticated, {
    message:
      'binding beyond loopback needs a token: set server.authToken (PRESCIENT_AUTH_TOKEN), ' +
      'or server.allowUnauthenticated: true (PRESCIENT_ALLOW_UNAUTHENTICATED=1) to serve without one',
    path: ['host'],
  })
  .transform(({ connectionTimeout, requestTimeout, shutdownGrace, ...rest }) => ({
    ...rest,
    connectionTimeoutSeconds: connectionTimeout,
    requestTimeoutSeconds: requestTimeout,
    shutdownGraceSeconds: shutdownGrace,
  }));

/** Whether a listen address is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

export const limitsSchema = z
  .object({
    /** Most forecast steps any request or target may ask for. */
    maxHorizonSteps: z.number().int().min(1).default(4032),
    /** Most points in a fitted series (history / step, or an ad-hoc body). */
    maxPoints: z.number().int().min(10).max(10_000_000).default(60_000),
    /**
     * Per client (IP address), per route: requests that fit or run a
     * backtest (POST /api/v1/forecast, POST /api/v1/backtests) beyond `max`
     * per `window` get 429 PRESCIENT_ERR_RATE_LIMITED with Retry-After.
     */
    fitRequests: z
      .object({ max: z.number().int().min(1).max(1_000_000).default(30), window: durationSeconds.default(60) })
      .strict()
      .default({ max: 30, window: 60 })
      .transform(({ window, ...rest }) => ({ ...rest, windowSeconds: window })),
  })
  .strict();

export const poolSchema = z
  .object({
    /** Worker threads for the targets' refreshes; leave one core to the event loop. */
    threads: z.number().int().min(1).max(64).default(1),
    /** Queued target refreshes beyond this are refused with PRESCIENT_ERR_POOL_FULL. */
    maxQueue: z.number().int().min(1).max(10_000).default(64),
    /** Worker threads for ad-hoc fits (POST /api/v1/forecast): a lane of their own, started on the first request. */
    requestThreads: z.number().int().min(1).max(64).default(1),
    /** Queued ad-hoc fits beyond this are refused with PRESCIENT_ERR_POOL_FULL. */
    requestMaxQueue: z.number().int().min(0).max(10_000).default(8),
    /** Running time allowed per fit; time spent waiting for a thread does not count. */
    fitTimeout: durationSeconds.default(120),
  })
  .strict()
  .transform(({ fitTimeout, ...rest }) => ({ ...rest, fitTimeoutMs: fitTimeout * 1000 }));

export const clusterSchema = z
  .object({
    /**
     * `both`: one process serves and fits (the default, as without Redis).
     * `api`: serves REST, gRPC and the page from memory kept in step with
     * Redis; fits nothing. `worker`: takes fit jobs from Redis; serves nothing.
     */
    role: z.enum(['both', 'api', 'worker']).default('both'),
    /** Shared state and fit queue. Without it the process keeps everything to itself (files under modelsDir). */
    redis: z
      .object({
        url: z.string().regex(/^rediss?:\/\/[^\s]+$/, 'a redis:// or rediss:// URL'),
        /** Prefix of every key and queue, so several Prescient installations can share one Redis. */
        keyPrefix: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/).default('prescient'),
      })
      .strict()
      .optional(),
    /** A worker's claim on a fit job lapses this long after the worker stops renewing it (it died); the job then runs elsewhere. */
    lockDuration: durationSeconds.default(30),
    /** How often an api replica re-reads every target from Redis, besides the updates pushed to it. */
    resync: durationSeconds.default(60),
  })
  .strict()
  .refine((c) => c.role === 'both' || c.redis !== undefined, { message: 'roles api and worker need cluster.redis', path: ['redis'] })
  .transform(({ lockDuration, resync, ...rest }) => ({ ...rest, lockDurationMs: lockDuration * 1000, resyncMs: resync * 1000 }));
/** The feedback loop's watchdog (DESIGN.md §7; docs/configuration.md `watchdog`). */
export const watchdogSchema = z
  .object({
    /** Off: live accuracy is still kept and reported, but no target is ever demoted or refitted early. */
    enabled: z.boolean().default(true),
    /** Live accuracy is judged over this trailing window. */
    window: durationSeconds.default(3 * 3600),
    /** Fewest scored steps in the window before any verdict. */
    minScoredSteps: z.number().int().min(1).default(12),
    /** Degraded when the scaling band's coverage falls more than this below its level; healthy again within half of it. */
    coverageTolerance: z.number().gt(0).lt(1).default(0.25),
    /** Degraded when live MASE exceeds this multiple of the backtest's (when the model has backtest scores). */
    maxMaseRatio: z.number().gt(1).default(3),
    /** Degraded when live MASE exceeds this and there is no backtest score to compare with. */
    maxMase: z.number().gt(0).default(2),
    /** Degraded when |mean error| / mean load exceeds this. */
    maxRelativeBias: z.number().gt(0).default(0.25),
    /** Look for changepoints in the served forecasts' recent errors (augurs); a change triggers a refit at once. */
    changepoints: z.boolean().default(true),
    /** A refit after a changepoint starts its history there only when at least this much history follows it. */
    minHistoryAfterChangepoint: durationSeconds.default(2 * 86_400),
    /** A degraded target whose refit has not recovered within this becomes reactive. */
    demoteAfter: durationSeconds.default(2 * 3600),
    /** A reactive target is trusted again after its shadow forecasts held this long. */
    promoteAfter: durationSeconds.default(6 * 3600),
  })
  .strict()
  .transform(({ window, minHistoryAfterChangepoint, demoteAfter, promoteAfter, ...rest }) => ({
    ...rest,
    windowSeconds: window,
    minHistoryAfterChangepointSeconds: minHistoryAfterChangepoint,
    demoteAfterSeconds: demoteAfter,
    promoteAfterSeconds: promoteAfter,
  }));

/** Known events (docs/events.md): what a deploy does, how long events are kept. */
export const eventsSchema = z
  .object({
    /** After a deploy the target is watched closely this long: refreshed every deployWatchRefresh. */
    deployWatch: durationSeconds.default(3600),
    deployWatchRefresh: durationSeconds.default(300),
    /** Events that ended longer ago than this are forgotten. */
    keepFor: durationSeconds.default(30 * 86_400),
    /** Most events kept (the oldest finished ones are forgotten first). */
    maxEvents: z.number().int().min(1).max(1_000_000).default(10_000),
  })
  .strict()
  .transform(({ deployWatch, deployWatchRefresh, keepFor, ...rest }) => ({
    ...rest,
    deployWatchSeconds: deployWatch,
    deployWatchRefreshSeconds: deployWatchRefresh,
    keepSeconds: keepFor,
  }));

export const configSchema = z
  .object({
    server: serverSchema.default(serverSchema.parse({})),
    prometheus: prometheusSchema.optional(),
    limits: limitsSchema.default(limitsSchema.parse({})),
    pool: poolSchema.default(poolSchema.parse({})),
    /** Roles and Redis for running several replicas (docs/scaling.md). */
    cluster: clusterSchema.default(clusterSchema.parse({})),
    watchdog: watchdogSchema.default(watchdogSchema.parse({})),
    events: eventsSchema.default(eventsSchema.parse({})),
    /** Where fitted models and forecasts are persisted. */
    modelsDir: z.string().min(1).default('models'),
    // No fixed cap: the heap sets the limit (src/engine/capacity.ts, checked when the app is built).
    targets: z.array(targetSchema).default([]),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.targets.forEach((target, index) => {
      if (seen.has(target.name)) {
        ctx.addIssue({ code: 'custom', path: ['targets', index, 'name'], message: `duplicate target name "${target.name}"` });
      }
      seen.add(target.name);
      if (target.scaling?.mode === 'shadow' && !config.prometheus) {
        ctx.addIssue({ code: 'custom', path: ['targets', index, 'scaling', 'shadow'], message: 'shadow mode reads the replicas that ran from Prometheus: it needs the top-level "prometheus" section' });
      }
      if (target.source.type === 'prometheus' && !config.prometheus) {
        ctx.addIssue({
          code: 'custom',
          path: ['targets', index, 'source'],
          message: 'a prometheus source needs the top-level "prometheus" section',
        });
      }
    });
  });

export type Config = z.output<typeof configSchema>;
export type TargetConfig = Config['targets'][number];
export type SourceConfig = TargetConfig['source'];
export type PrometheusConfig = NonNullable<Config['prometheus']>;
export type ScalingConfig = NonNullable<TargetConfig['scaling']>;
export type ClusterConfig = Config['cluster'];
export type WatchdogConfig = Config['watchdog'];
export type EventsConfig = Config['events'];
