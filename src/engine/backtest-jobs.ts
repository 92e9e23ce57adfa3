/**
 * The backtests a service has started: run here, in this replica's own
 * backtest threads (one replica), or as BullMQ jobs any worker takes and
 * every api replica reads (src/cluster/backtest-queue.ts). The REST routes
 * (src/api/backtest-routes.ts) talk to either through this interface.
 */
import { randomUUID } from 'node:crypto';
import type { BacktestResult } from '../backtest/result.js';
import { PrescientError, toPrescientError, type SerializedError } from '../errors.js';
import { createWorkerRunner, type BacktestJob, type BacktestRunner } from './backtest-runner.js';

/** `queued`: waiting for a worker (with Redis only). */
export const BACKTEST_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type BacktestStatus = (typeof BACKTEST_STATUSES)[number];

export interface BacktestRecord {
  readonly id: string;
  /** Where the history came from ("target x" or "request body"). */
  readonly source: string;
  readonly status: BacktestStatus;
  readonly createdAtMs: number;
  readonly finishedAtMs?: number;
  readonly result?: BacktestResult;
  readonly error?: SerializedError;
}

export interface BacktestJobs {
  /**
   * Refuses before any history is pulled when no more backtests may start.
   * @param pulling requests of this replica pulling their history now (they count as started)
   * @throws PrescientError PRESCIENT_ERR_POOL_FULL
   */
  assertRoom(pulling: number): Promise<void>;
  /**
   * Starts (or queues) a backtest; it runs after this returns.
   * @throws PrescientError PRESCIENT_ERR_POOL_FULL, PRESCIENT_ERR_PERSISTENCE (Redis unreachable)
   */
  start(job: BacktestJob, nowMs: number): Promise<BacktestRecord>;
  /** A kept backtest, with its result or error once finished. */
  get(id: string): Promise<BacktestRecord | undefined>;
  /** The kept backtests, newest first, without their results. */
  list(): Promise<BacktestRecord[]>;
  close(): Promise<void>;
}

/** Backtests in this process: a worker_threads runner, the finished ones kept in memory (the oldest dropped first). */
export class LocalBacktestJobs implements BacktestJobs {
  private readonly jobs = new Map<string, BacktestRecord>();
  private readonly runner: BacktestRunner;
  private readonly ownsRunner: boolean;
  private readonly keep: number;
  private readonly now: () => number;

  /** `runner` default: one backtest at a time on its own threads (closed with this). `keep`: finished ones kept (default 50). */
  constructor(options: { runner?: BacktestRunner; keep?: number; now?: () => number } = {}) {
    this.runner = options.runner ?? createWorkerRunner();
    this.ownsRunner = !options.runner;
    this.keep = options.keep ?? 50;
    this.now = options.now ?? Date.now;
  }

  async assertRoom(pulling: number): Promise<void> {
    // A history being pulled counts as a backtest running: three requests at once must not pull three windows.
    if (this.runner.running + pulling >= this.runner.maxConcurrent) {
      throw new PrescientError('PRESCIENT_ERR_POOL_FULL', `${this.runner.maxConcurrent} backtest(s) already running; try again when one finishes`);
    }
  }

  async start(job: BacktestJob, nowMs: number): Promise<BacktestRecord> {
    const id = randomUUID();
    this.jobs.set(id, { id, source: job.source, status: 'running', createdAtMs: nowMs });
    this.forget();
    const finish = (update: Partial<BacktestRecord>): void => {
      const held = this.jobs.get(id);
      if (held) this.jobs.set(id, { ...held, ...update, finishedAtMs: this.now() });
    };
    this.runner.run(job).then(
      (result) => finish({ status: 'succeeded', result }),
      (err: unknown) => finish({ status: 'failed', error: toPrescientError(err).toJSON() }),
    );
    return this.jobs.get(id) as BacktestRecord;
  }

  async get(id: string): Promise<BacktestRecord | undefined> {
    return this.jobs.get(id);
  }

  async list(): Promise<BacktestRecord[]> {
    return [...this.jobs.values()].reverse();
  }

  async close(): Promise<void> {
    if (this.ownsRunner) await this.runner.close();
  }

  private forget(): void {
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= this.keep) break;
      if (job.status !== 'running') this.jobs.delete(id);
    }
  }
}
