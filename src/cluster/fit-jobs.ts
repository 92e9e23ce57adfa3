import { Queue, Worker, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import type { Config, EventsConfig, TargetConfig } from '../config/schema.js';
import type { Engine } from '../engine/engine.js';
import { stableFraction } from '../engine/scheduler.js';
import type { TargetStates } from '../engine/target-state.js';
import { toPrescientError } from '../errors.js';
import type { KnownEvent } from '../events/event.js';
import type { EventBook } from '../events/event-book.js';

/** The data of one fit job: which target to refresh, and why when not its schedule. */
export interface FitJobData {
  readonly target: string;
  /** A deploy or incident asked for this refit: the worker reads the events first and judges from a deploy on. */
  readonly event?: Pick<KnownEvent, 'id' | 'kind' | 'startMs' | 'note'>;
  /** Refit even when the forecast is fresh (an event's refit, a deploy's watch window). */
  readonly force?: boolean;
}

/** What a fit job did: `fitted`, or `fresh` when another run had already refreshed the target this interval. */
export type FitJobResult = 'fitted' | 'fresh' | 'unknown-target';

const QUEUE = 'fits';
/** Jobs of the repeating schedules wait behind first fits (BullMQ takes jobs without a priority first). */
const SCHEDULED_PRIORITY = 1;

export function connectionFor(url: string): ConnectionOptions {
  // BullMQ needs blocking commands to wait through reconnections: no per-request retry limit.
  return { url, maxRetriesPerRequest: null, retryStrategy: (attempt: number) => Math.min(100 * attempt, 2_000) } as ConnectionOptions;
}

/**
 * Makes the queue hold exactly one repeating schedule per configured target
 * (upserted by id, so any number of replicas doing it at once make one),
 * at the target's slot in its interval (the same hash as the one-replica
 * scheduler), and one first-fit job for each target that has no forecast
 * yet (by job id, so no duplicates either). Schedules of targets no longer
 * configured are removed.
 */
export async function ensureSchedules(queue: Queue<FitJobData, FitJobResult>, targets: readonly TargetConfig[], hasForecast: (name: string) => boolean): Promise<void> {
  const wanted = new Set(targets.map((t) => `refresh:${t.name}`));
  for (const target of targets) {
    const intervalMs = target.refreshIntervalSeconds * 1000;
    await queue.upsertJobScheduler(
      `refresh:${target.name}`,
      { every: intervalMs, offset: Math.floor(stableFraction(target.name) * intervalMs) },
      { name: 'refresh', data: { target: target.name }, opts: { priority: SCHEDULED_PRIORITY, attempts: 3, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: true, removeOnFail: 100 } },
    );
    if (!hasForecast(target.name)) {
      await queue.add('refresh', { target: target.name }, { jobId: `first-${target.name}`, attempts: 3, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: true, removeOnFail: true });
    }
  }
  const existing = await queue.getJobSchedulers(0, -1);
  for (const scheduler of existing) if (scheduler.key && !wanted.has(scheduler.key)) await queue.removeJobScheduler(scheduler.key);
}

/**
 * The jobs a new deploy or incident makes for one target: a refit now, and
 * for a deploy one every events.deployWatchRefresh until events.deployWatch
 * has passed since it (delayed jobs). Ids are made of the event's and the
 * target's, so the same event queued twice adds nothing.
 */
export function eventRefitJobs(name: string, event: KnownEvent, events: Pick<EventsConfig, 'deployWatchSeconds' | 'deployWatchRefreshSeconds'>): Array<{ data: FitJobData; opts: JobsOptions }> {
  const base = { attempts: 3, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: true, removeOnFail: 100 } as const;
  const jobs: Array<{ data: FitJobData; opts: JobsOptions }> = [
    { data: { target: name, event: { id: event.id, kind: event.kind, startMs: event.startMs, note: event.note }, force: true }, opts: { ...base, jobId: `event-${event.id}-${name}` } },
  ];
  if (event.kind !== 'deploy') return jobs;
  const everyMs = events.deployWatchRefreshSeconds * 1000;
  const untilMs = event.startMs + events.deployWatchSeconds * 1000;
  for (let k = 1, atMs = Date.now() + everyMs; atMs < untilMs; k++, atMs += everyMs) {
    jobs.push({ data: { target: name, force: true }, opts: { ...base, jobId: `watch-${event.id}-${name}-${k}`, delay: atMs - Date.now() } });
  }
  return jobs;
}

export interface FitWorkerDeps {
  readonly config: Readonly<Config>;
  readonly engine: Engine;
  readonly states: TargetStates;
  /** Read again before an event's refit, so the fit sees the event however fast the job was taken. */
  readonly events: EventBook;
  readonly log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  readonly now?: () => number;
}

/**
 * Takes fit jobs from Redis, as many at once as the pool has threads. Before
 * each fit it reloads the target from Redis (another worker may have fitted
 * it, and holds `auto`'s selection) and skips a target refreshed less than
 * half an interval ago, so a first-fit job and the schedule's first run, or a
 * job retried after its worker died just after saving, never fit a target
 * twice in one interval. A worker that dies mid-fit stops renewing its lock;
 * after `cluster.lockDuration` another worker takes the job. While Redis is
 * away BullMQ stops taking jobs and resumes by itself.
 */
export function startFitWorker(deps: FitWorkerDeps, url: string, prefix: string): Worker<FitJobData, FitJobResult> {
  const { config, engine, states, log } = deps;
  const now = deps.now ?? Date.now;
  const targets = new Map(config.targets.map((t) => [t.name, t]));
  const fit = async (job: Job<FitJobData, FitJobResult>): Promise<FitJobResult> => {
    const target = targets.get(job.data.target);
    if (!target) return 'unknown-target';
    const { event, force } = job.data;
    if (event) await deps.events.reload().catch((err: unknown) => log.warn({ err: toPrescientError(err).toJSON() }, 'cannot read the events before an event refit'));
    await engine.reload(target.name);
    const generatedAtMs = states.get(target.name)?.forecast?.generatedAtMs;
    if (!force && generatedAtMs !== undefined && now() - generatedAtMs < (target.refreshIntervalSeconds * 1000) / 2) return 'fresh';
    if (event) engine.noteEventRefit(target.name, event);
    log.info({ target: target.name, job: job.id, pid: process.pid }, 'fit job started');
    const outcome = await engine.refresh(target.name);
    log.info({ target: target.name, job: job.id, outcome, generatedAtMs: states.get(target.name)?.forecast?.generatedAtMs }, 'fit job done');
    if (outcome !== 'ok') {
      const error = states.get(target.name)?.lastError;
      // Thrown so BullMQ retries with backoff; the error itself is already shared through the store.
      throw new Error(error ? `${error.code}: ${error.message}` : `refresh ${outcome}`);
    }
    return 'fitted';
  };
  const lockDuration = config.cluster.lockDurationMs;
  const worker = new Worker<FitJobData, FitJobResult>(QUEUE, fit, {
    connection: connectionFor(url),
    prefix,
    concurrency: config.pool.threads,
    lockDuration,
    stalledInterval: Math.max(1_000, Math.floor(lockDuration / 2)),
    maxStalledCount: 2,
  });
  worker.on('error', (err) => log.warn({ err: toPrescientError(err).toJSON() }, 'fit worker: Redis error (retrying by itself)'));
  worker.on('failed', (job, err) => log.warn({ target: job?.data.target, err: toPrescientError(err).toJSON() }, 'fit job failed'));
  return worker;
}

export function openFitQueue(url: string, prefix: string): Queue<FitJobData, FitJobResult> {
  return new Queue<FitJobData, FitJobResult>(QUEUE, { connection: connectionFor(url), prefix });
}
