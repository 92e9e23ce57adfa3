/**
 * Runs backtests off the event loop, bounded, on Prescient's worker pool
 * (src/engine/pool.ts): the same worker threads and task protocol as fits,
 * in a lane of their own so a long backtest never delays a target's refit.
 */
import type { Piscina } from 'piscina';
import { PrescientError } from '../errors.js';
import { runInPool, startWorkers, type BacktestOutcome, type PoolTask, type TaskOutcome } from './pool.js';
import type { BacktestResult } from '../backtest/result.js';
import type { BacktestJob } from '../backtest/run.js';

export type { BacktestJob } from '../backtest/run.js';

export interface BacktestRunner {
  /**
   * Runs one backtest.
   * @throws PrescientError PRESCIENT_ERR_POOL_FULL when `maxConcurrent` are running,
   *   PRESCIENT_ERR_FIT_TIMEOUT past the time limit, or the backtest's own error
   */
  run(job: BacktestJob): Promise<BacktestResult>;
  /** Backtests running now. */
  readonly running: number;
  /** Most backtests run at once; `run` refuses more. */
  readonly maxConcurrent: number;
  close(): Promise<void>;
}

export interface RunnerOptions {
  /** Backtests at once; more are refused (default 1: a backtest keeps a core busy). */
  readonly maxConcurrent?: number;
  /** A backtest running longer is stopped (its thread terminated). Default 10 minutes. */
  readonly timeoutMs?: number;
}

/** Backtests on their own worker threads, at most `maxConcurrent` at once and none queued. */
export function createWorkerRunner(options: RunnerOptions = {}): BacktestRunner {
  const maxConcurrent = options.maxConcurrent ?? 1;
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  let piscina: Piscina<PoolTask, TaskOutcome> | undefined;
  let running = 0;
  return {
    maxConcurrent,
    get running() {
      return running;
    },
    async run(job) {
      if (running >= maxConcurrent) {
        throw new PrescientError('PRESCIENT_ERR_POOL_FULL', `${maxConcurrent} backtest(s) already running; try again when one finishes`);
      }
      // Threads start on the first backtest: a service that never backtests keeps no idle thread.
      piscina ??= startWorkers(maxConcurrent, 0);
      running++;
      try {
        // The fits inside see the same limit, so they stop on their own before the thread is killed.
        const bounded = { ...job, deadlineMs: Math.min(job.deadlineMs ?? Number.POSITIVE_INFINITY, Date.now() + timeoutMs) };
        const outcome = await runInPool<Extract<BacktestOutcome, { ok: true }>>(piscina, { kind: 'backtest', job: bounded }, { timeoutMs: timeoutMs + 5_000, what: 'the backtest' });
        return outcome.result;
      } finally {
        running--;
      }
    },
    async close() {
      await piscina?.destroy();
    },
  };
}
