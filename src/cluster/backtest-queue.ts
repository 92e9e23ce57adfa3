import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { BacktestResult } from '../backtest/result.js';
import type { BacktestJobs, BacktestRecord, BacktestStatus } from '../engine/backtest-jobs.js';
import type { BacktestJob, BacktestRunner } from '../engine/backtest-runner.js';
import { PrescientError, toPrescientError, type SerializedError } from '../errors.js';
import { connectionFor } from './fit-jobs.js';

const QUEUE = 'backtests';
/** Backtests waiting or running across the deployment; more are refused (a backtest keeps a core busy for minutes). */
export const MAX_QUEUED_BACKTESTS = 10;

interface BacktestData {
  readonly job: BacktestJob;
}
/** A worker's answer: a backtest that failed is a finished job with its coded error, never retried. */
type BacktestOutcome = { readonly ok: true; readonly result: BacktestResult } | { readonly ok: false; readonly error: SerializedError };

/**
 * Backtests as BullMQ jobs (queue `<prefix>:backtests`): any api replica
 * queues one, a worker runs it on its backtest threads, and every api
 * replica reads its state and result from Redis, so
 * GET /api/v1/backtests/{id} answers the same whichever replica is asked.
 * The last `keep` finished ones are kept.
 */
export class BacktestQueue implements BacktestJobs {
  private readonly queue: Queue<BacktestData, BacktestOutcome>;

  constructor(
    url: string,
    prefix: string,
    private readonly keep: number,
  ) {
    this.queue = new Queue<BacktestData, BacktestOutcome>(QUEUE, { connection: connectionFor(url), prefix });
    this.queue.on('error', () => undefined);
  }

  async assertRoom(pulling: number): Promise<void> {
    const counts = await this.run('count', () => this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused'));
    const queued = Object.values(counts).reduce((a, b) => a + b, 0);
    if (queued + pulling >= MAX_QUEUED_BACKTESTS) {
      throw new PrescientError('PRESCIENT_ERR_POOL_FULL', `${MAX_QUEUED_BACKTESTS} backtests are already waiting or running; try again when one finishes`);
    }
  }

  async start(job: BacktestJob, nowMs: number): Promise<BacktestRecord> {
    const id = randomUUID();
    await this.run('queue', () =>
      this.queue.add('backtest', { job }, { jobId: id, timestamp: nowMs, attempts: 1, removeOnComplete: { count: this.keep }, removeOnFail: { count: this.keep } }),
    );
    return { id, source: job.source, status: 'queued', createdAtMs: nowMs };
  }

  async get(id: string): Promise<BacktestRecord | undefined> {
    const job = await this.run('read', () => this.queue.getJob(id));
    return job ? recordOf(job, await this.run('read', () => job.getState())) : undefined;
  }

  async list(): Promise<BacktestRecord[]> {
    const jobs = await this.run('list', () => this.queue.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'], 0, this.keep));
    const records = await Promise.all(jobs.filter((j): j is Job<BacktestData, BacktestOutcome> => Boolean(j)).map(async (j) => recordOf(j, await j.getState())));
    return records.map(({ result: _result, ...summary }) => summary).sort((a, b) => b.createdAtMs - a.createdAtMs);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  private async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (cause) {
      if (cause instanceof PrescientError) throw cause;
      throw new PrescientError('PRESCIENT_ERR_PERSISTENCE', `cannot ${what} backtests in Redis: ${(cause as Error).message}`, { cause });
    }
  }
}

function recordOf(job: Job<BacktestData, BacktestOutcome>, state: string): BacktestRecord {
  const base = { id: job.id as string, source: job.data.job.source, createdAtMs: job.timestamp };
  const outcome = job.returnvalue as BacktestOutcome | null | undefined;
  if (state === 'completed' && outcome) {
    const finished = { ...base, ...(job.finishedOn ? { finishedAtMs: job.finishedOn } : {}) };
    return outcome.ok ? { ...finished, status: 'succeeded', result: outcome.result } : { ...finished, status: 'failed', error: outcome.error };
  }
  if (state === 'failed') {
    // Only a worker that died twice mid-backtest gets here (BullMQ gave up on the stalled job).
    const error = new PrescientError('PRESCIENT_ERR_INTERNAL', `the backtest stopped: ${job.failedReason ?? 'its worker went away'}`).toJSON();
    return { ...base, status: 'failed', error, ...(job.finishedOn ? { finishedAtMs: job.finishedOn } : {}) };
  }
  const status: BacktestStatus = state === 'active' ? 'running' : 'queued';
  return { ...base, status };
}

/**
 * Takes backtest jobs, as many at once as `runner` runs (one by default),
 * and answers each with its result or its coded error.
 */
export function startBacktestWorker(url: string, prefix: string, runner: BacktestRunner, lockDurationMs: number): Worker<BacktestData, BacktestOutcome> {
  const worker = new Worker<BacktestData, BacktestOutcome>(
    QUEUE,
    async (job) => {
      try {
        return { ok: true, result: await runner.run(job.data.job) };
      } catch (err) {
        return { ok: false, error: toPrescientError(err).toJSON() };
      }
    },
    { connection: connectionFor(url), prefix, concurrency: runner.maxConcurrent, lockDuration: lockDurationMs },
  );
  worker.on('error', () => undefined);
  return worker;
}
