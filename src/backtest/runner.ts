/**
 * Runs backtests off the event loop, bounded. The REST routes depend only on
 * the {@link BacktestRunner} interface, so this worker_threads runner can be
 * swapped for a task on the engine's piscina pool without touching them.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PrescientError, toPrescientError, type SerializedError } from '../errors.js';
import type { BacktestResult } from './result.js';
import type { BacktestOptions } from './run.js';

/** A backtest as plain data (it crosses into a worker): the options without callbacks. */
export type BacktestJob = Omit<BacktestOptions, 'onProgress'>;

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

export interface WorkerRunnerOptions {
  /** Backtests at once; more are refused (default 1: a backtest keeps a core busy). */
  readonly maxConcurrent?: number;
  /** A backtest running longer is stopped (its thread terminated). Default 10 minutes. */
  readonly timeoutMs?: number;
}

type WorkerReply = { readonly ok: true; readonly result: BacktestResult } | { readonly ok: false; readonly error: SerializedError };

/**
 * The worker: compiled JS directly; TypeScript source (dev, tests) through a
 * one-line bootstrap that registers tsx's loader in the thread first (on
 * Node 20 `--import tsx` in a worker's execArgv does not reach its main module).
 */
function startWorker(workerData: BacktestJob): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(fileURLToPath(new URL('./worker.js', import.meta.url)), { workerData });
  const entry = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** One worker thread per backtest, at most `maxConcurrent` at once. */
export function createWorkerRunner(options: WorkerRunnerOptions = {}): BacktestRunner {
  const maxConcurrent = options.maxConcurrent ?? 1;
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const workers = new Set<Worker>();
  return {
    maxConcurrent,
    get running() {
      return workers.size;
    },
    run(job) {
      if (workers.size >= maxConcurrent) {
        return Promise.reject(new PrescientError('PRESCIENT_ERR_POOL_FULL', `${maxConcurrent} backtest(s) already running; try again when one finishes`));
      }
      // The fits inside see the same limit, so they stop on their own before the thread is killed.
      const worker = startWorker({ ...job, deadlineMs: Math.min(job.deadlineMs ?? Infinity, Date.now() + timeoutMs) });
      workers.add(worker);
      return new Promise<BacktestResult>((resolve, reject) => {
        let settled = false;
        const settle = (fn: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          workers.delete(worker);
          fn();
          void worker.terminate();
        };
        const timer = setTimeout(
          () => settle(() => reject(new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', `the backtest took longer than ${timeoutMs} ms and was stopped`))),
          timeoutMs + 5_000,
        );
        worker.once('message', (reply: WorkerReply) =>
          settle(() => (reply.ok ? resolve(reply.result) : reject(new PrescientError(reply.error.code, reply.error.message, { issues: reply.error.issues })))),
        );
        worker.once('error', (err) => settle(() => reject(toPrescientError(err))));
        worker.once('exit', (code) =>
          settle(() => reject(new PrescientError('PRESCIENT_ERR_INTERNAL', `the backtest worker exited with code ${code} before answering`))),
        );
      });
    },
    async close() {
      await Promise.all([...workers].map((w) => w.terminate()));
      workers.clear();
    },
  };
}
