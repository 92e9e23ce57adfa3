/**
 * Backtests over REST, for dashboards:
 * - `POST /api/v1/backtests` (token): validates the body, starts the backtest
 *   off the event loop (bounded; PRESCIENT_ERR_POOL_FULL beyond) and answers
 *   202 with its id;
 * - `GET /api/v1/backtests/:id` (token): status, and the result (schema:
 *   src/backtest/result.ts) or the coded error once finished.
 * History comes from the body (values on a grid) or from a configured
 * target's source; never from an address given in the request.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { formatDuration } from '../config/duration.js';
import { backtestBody } from '../bodies/series-bodies.js';
import type { Config, TargetConfig } from '../config/schema.js';
import { PrescientError } from '../errors.js';
import { renderReport } from '../backtest/report.js';
import { backtestResultSchema } from '../backtest/result.js';
import { targetReplayDefaults } from '../backtest/target-defaults.js';
import { BACKTEST_STATUSES, LocalBacktestJobs, type BacktestJobs } from '../engine/backtest-jobs.js';
import type { BacktestJob, BacktestRunner } from '../engine/backtest-runner.js';
import type { BacktestBodyRead } from '../engine/body-task.js';
import type { FitPool } from '../engine/pool.js';
import { regularize } from '../series/regularize.js';
import type { Samples } from '../series/series.js';
import { loadHistory, type RangeQuerier } from '../sources/history.js';
import { requireToken } from './auth.js';
import { fitRateLimit } from './rate-limit.js';
import { seriesBodyOptions, withRawBody } from './json-body.js';
import { errorBodySchema } from './schemas.js';

/** History pulled for a target when the request gives no window. */
const DEFAULT_WINDOW_SECONDS = 28 * 86_400;

/** A backtest body as the bodies lane's thread read it (without an inline series' values). */
type ReadBody = BacktestBodyRead['body'];

const statusSchema = z.enum(BACKTEST_STATUSES);

const acceptedSchema = z.object({ id: z.string(), status: statusSchema, location: z.string() });

const jobSchema = z.object({
  id: z.string(),
  status: statusSchema,
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  result: backtestResultSchema.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

const listSchema = z.object({
  backtests: z.array(z.object({ id: z.string(), status: statusSchema, source: z.string(), createdAt: z.string(), finishedAt: z.string().optional() })),
});

export interface BacktestRoutesOptions {
  readonly config: Readonly<Pick<Config, 'server' | 'targets' | 'limits' | 'pool'>>;
  /** Its bodies lane reads the bodies (parsing and validation off the event loop). */
  readonly pool: FitPool;
  /** Where backtests run and are kept: with Redis, BullMQ jobs a worker takes (src/cluster). Default: in this process, on `runner`. */
  readonly jobs?: BacktestJobs;
  /** For the default jobs: a worker_threads runner with one backtest at a time. Closed with the app when created here. */
  readonly runner?: BacktestRunner;
  /** For targets with a Prometheus source. */
  readonly prometheus?: RangeQuerier;
  /** Finished backtests kept for GET (oldest dropped first; default 50). */
  readonly keep?: number;
  readonly now?: () => number;
}

/**
 * The backtest routes as a fastify plugin (registered by src/app.ts).
 * @throws (as HTTP errors) PRESCIENT_ERR_VALIDATION, PRESCIENT_ERR_UNAUTHORIZED,
 *   PRESCIENT_ERR_TARGET_NOT_FOUND, PRESCIENT_ERR_MODEL_UNKNOWN, PRESCIENT_ERR_POOL_FULL,
 *   PRESCIENT_ERR_SERIES_INVALID, PRESCIENT_ERR_NOT_FOUND (unknown id)
 */
export const backtestRoutes: FastifyPluginAsyncZod<BacktestRoutesOptions> = async (app, options) => {
  const { config } = options;
  const now = options.now ?? Date.now;
  const jobs = options.jobs ?? new LocalBacktestJobs({ ...(options.runner ? { runner: options.runner } : {}), ...(options.keep === undefined ? {} : { keep: options.keep }), now });
  if (!options.jobs) app.addHook('onClose', async () => jobs.close());
  /** Requests pulling their history now (before their backtest starts). */
  let pulling = 0;

  const seriesBody = seriesBodyOptions(config);
  app.post(
    '/api/v1/backtests',
    {
      onRequest: requireToken(config.server.authToken),
      // A body much larger than maxPoints values needs is refused while it arrives, not read to server.bodyLimitBytes.
      bodyLimit: seriesBody.bodyLimit,
      // The body arrives as bytes: the bodies lane's thread parses and validates it against backtestBody.
      validatorCompiler: seriesBody.validatorCompiler,
      config: { rateLimit: fitRateLimit(config), jsonBody: seriesBody.jsonBody },
      schema: {
        summary: 'Start a backtest: rolling-origin accuracy and the autoscaling replay',
        body: backtestBody,
        response: { 202: acceptedSchema, 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema, 422: errorBodySchema, 429: errorBodySchema, 500: errorBodySchema, 503: errorBodySchema },
      },
    },
    async (request, reply) => {
      // Parsing, validation, the models' names and an inline series' gap filling: in the bodies lane's thread.
      const { body, series: inline } = await withRawBody(request, (received) => options.pool.readBody({ route: 'backtest', ...received, nowMs: now(), limits: config.limits }));
      await jobs.assertRoom(pulling);
      checkPointBudget(body, config);
      let job: BacktestJob;
      if (inline) {
        const series = { startMs: inline.grid.startMs, stepSeconds: inline.grid.stepSeconds, values: Array.from(inline.grid.values) };
        job = { ...toJob(body, series, inline.filledGaps, 'request body'), fitTimeoutMs: config.pool.fitTimeoutMs };
      } else {
        pulling++;
        try {
          const { samples, stepSeconds, source, target } = await targetHistory(body, config, options.prometheus, now());
          const { series, filledGaps } = regularize(samples, { stepSeconds, maxPoints: config.limits.maxPoints });
          // Fits inside get the service's own fit limit, so `auto` weighs the candidates it would serve.
          job = { ...toJob(body, series, filledGaps, source, target), fitTimeoutMs: config.pool.fitTimeoutMs };
        } finally {
          pulling--;
        }
      }

      const record = await jobs.start(job, now());
      const location = `/api/v1/backtests/${record.id}`;
      void reply.status(202).header('location', location);
      return { id: record.id, status: record.status, location };
    },
  );

  app.get('/api/v1/backtests', {
    schema: { summary: 'The backtests kept (running and recently finished), newest first', response: { 200: listSchema } },
  }, async () => ({
    backtests: (await jobs.list()).map((job) => ({
      id: job.id,
      status: job.status,
      source: job.source,
      createdAt: new Date(job.createdAtMs).toISOString(),
      ...(job.finishedAtMs === undefined ? {} : { finishedAt: new Date(job.finishedAtMs).toISOString() }),
    })),
  }));

  app.get('/api/v1/backtests/:id/report', {
    schema: {
      summary: "A finished backtest's report: a self-contained HTML page (as `prescient backtest --report`)",
      params: z.object({ id: z.string().min(1).max(64) }),
      response: { 404: errorBodySchema },
    },
  }, async (request, reply) => {
    const job = await jobs.get(request.params.id);
    if (!job?.result) {
      const why = !job ? 'no backtest with that id is kept' : job.status === 'failed' ? 'it failed' : `it is still ${job.status}`;
      throw new PrescientError('PRESCIENT_ERR_NOT_FOUND', `no report for backtest "${request.params.id}": ${why}`);
    }
    // The schema documents only the error; the page itself is sent as text.
    return reply.type('text/html; charset=utf-8').send(renderReport(job.result) as never);
  });

  app.get(
    '/api/v1/backtests/:id',
    {
      // A result reveals the history it was run on: the same token as starting one.
      onRequest: requireToken(config.server.authToken),
      schema: {
        summary: 'Status and result of a backtest',
        params: z.object({ id: z.string().min(1).max(64) }),
        response: { 200: jobSchema, 401: errorBodySchema, 404: errorBodySchema },
      },
    },
    async (request) => {
      const job = await jobs.get(request.params.id);
      if (!job) throw new PrescientError('PRESCIENT_ERR_NOT_FOUND', `no backtest with id "${request.params.id}" (finished ones are kept for a while only)`);
      return {
        id: job.id,
        status: job.status,
        createdAt: new Date(job.createdAtMs).toISOString(),
        ...(job.finishedAtMs === undefined ? {} : { finishedAt: new Date(job.finishedAtMs).toISOString() }),
        ...(job.result ? { result: job.result } : {}),
        ...(job.error ? { error: { code: job.error.code, message: job.error.message } } : {}),
      };
    },
  );
};

/**
 * Refuses, before anything is pulled, a window on a Prometheus target that
 * holds more points than limits.maxPoints (it would be refused after the
 * pull anyway, having cost Prometheus every request).
 * @throws PrescientError PRESCIENT_ERR_VALIDATION naming body.window
 */
function checkPointBudget(body: ReadBody, config: BacktestRoutesOptions['config']): void {
  const target = body.target === undefined ? undefined : config.targets.find((t) => t.name === body.target);
  if (target?.source.type !== 'prometheus') return;
  const windowSeconds = body.window ?? DEFAULT_WINDOW_SECONDS;
  const points = Math.ceil(windowSeconds / target.source.stepSeconds);
  if (points > config.limits.maxPoints) {
    const most = formatDuration(config.limits.maxPoints * target.source.stepSeconds);
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', `a window of ${formatDuration(windowSeconds)} at ${formatDuration(target.source.stepSeconds)} steps is ${points} points, more than limits.maxPoints (${config.limits.maxPoints})`, {
      issues: [{ path: 'body.window', message: `at most ${most} for target ${target.name}` }],
    });
  }
}

/** A configured target's history over the body's window (default 28 days), pulled from its source. */
async function targetHistory(
  body: ReadBody,
  config: BacktestRoutesOptions['config'],
  prometheus: RangeQuerier | undefined,
  nowMs: number,
): Promise<{ samples: Samples; stepSeconds: number; source: string; target?: TargetConfig }> {
  const target = config.targets.find((t) => t.name === body.target);
  if (!target) throw new PrescientError('PRESCIENT_ERR_TARGET_NOT_FOUND', `no target "${body.target}" is configured`);
  const history = await loadHistory({ ...target, historySeconds: body.window ?? DEFAULT_WINDOW_SECONDS }, nowMs, prometheus);
  return { samples: history.samples, stepSeconds: history.stepSeconds, source: `target ${target.name}`, target };
}

/** The job a request asks for; a configured target's own refresh and scaling fill what the request leaves out. */
function toJob(body: ReadBody, series: BacktestJob['series'], filledGaps: number, source: string, target?: TargetConfig): BacktestJob {
  const r = body.replay;
  const defaults = target ? targetReplayDefaults(target) : undefined;
  const quantile = body.quantile ?? defaults?.quantile;
  const replay: BacktestJob['replay'] =
    r === false
      ? false
      : {
          ...defaults?.replay,
          ...Object.fromEntries(
            Object.entries({
              model: r.model,
              refitEverySeconds: r.refitEvery,
              capacityPerReplica: r.capacityPerReplica,
              hpaUtilisation: r.hpaUtilisation,
              policyUtilisation: r.policyUtilisation,
              reactiveTrigger: r.reactiveTrigger,
              startupDelaySeconds: r.startupDelay,
              metricLagSeconds: r.metricLag,
              leadTimeSeconds: r.leadTime,
              minReplicas: r.minReplicas,
              maxReplicas: r.maxReplicas,
            }).filter(([, v]) => v !== undefined),
          ),
        };
  return {
    series,
    source,
    filledGaps,
    origins: body.origins,
    horizonSeconds: body.horizon,
    historySeconds: body.history,
    levels: body.levels,
    replay,
    ...(body.spacing === undefined ? {} : { spacingSeconds: body.spacing }),
    ...(body.models === undefined ? {} : { models: body.models }),
    ...(quantile === undefined ? {} : { quantile }),
    ...(body.seasonalPeriods === undefined ? {} : { seasonalPeriodsSeconds: body.seasonalPeriods }),
  };
}
