import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { BacktestResult } from '../backtest/result.js';
import type { BacktestJob } from '../backtest/run.js';
import { PrescientError, type SerializedError } from '../errors.js';
import type { FitOutcome, FitTask } from './fit-task.js';

/** Everything that runs in a worker thread: fits for targets and requests, and whole backtests. */
export type PoolTask = { readonly kind: 'fit'; readonly fit: FitTask } | { readonly kind: 'backtest'; readonly job: BacktestJob };

export type BacktestOutcome = { readonly ok: true; readonly result: BacktestResult } | { readonly ok: false; readonly error: SerializedError };

/** The worker entry: compiled JS, or from TypeScript source a bootstrap that registers tsx in the thread. */
function workerEntry(): string {
  const source = import.meta.url.endsWith('.ts');
  return fileURLToPath(new URL(source ? './worker-source.mjs' : './worker.js', import.meta.url));
}

/**
 * A piscina pool of Prescient workers (src/engine/worker.ts). Tasks beyond
 * `maxQueue` waiting are refused, not queued without bound.
 */
export function startWorkers(threads: number, maxQueue: number): Piscina<PoolTask, FitOutcome | BacktestOutcome> {
  return new Piscina({
    filename: workerEntry(),
    minThreads: threads,
    maxThreads: threads,
    maxQueue,
    idleTimeout: Number.POSITIVE_INFINITY,
    // Worker threads yield the CPU to serving: on 2 cores a busy worker must not stretch request tail latency.
    // (Applied through @napi-rs/nice; without it piscina ignores the setting.)
    niceIncrement: 10,
  });
}

/**
 * Runs one task with a time limit; a timed-out or cancelled task's thread is
 * terminated, which is the only way to stop a WASM computation.
 * @throws PrescientError PRESCIENT_ERR_POOL_FULL, PRESCIENT_ERR_FIT_TIMEOUT, PRESCIENT_ERR_INTERNAL;
 *   the task's own error (carried as data out of the worker) with its code
 */
export async function runInPool<T>(
  piscina: Piscina<PoolTask, FitOutcome | BacktestOutcome>,
  task: PoolTask,
  options: { timeoutMs: number; signal?: AbortSignal; what: string },
): Promise<T> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let outcome: FitOutcome | BacktestOutcome;
  try {
    outcome = await piscina.run(task, { signal });
  } catch (cause) {
    if (timeout.aborted) throw new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', `${options.what} took longer than ${options.timeoutMs} ms and was stopped`, { cause });
    if (options.signal?.aborted) throw new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', `${options.what} was cancelled`, { cause });
    if (cause instanceof Error && /queue/i.test(cause.message)) throw new PrescientError('PRESCIENT_ERR_POOL_FULL', `no room to run ${options.what}; try again shortly`, { cause });
    throw new PrescientError('PRESCIENT_ERR_INTERNAL', `worker failed: ${(cause as Error).message}`, { cause });
  }
  if (!outcome.ok) throw new PrescientError(outcome.error.code, outcome.error.message, { issues: outcome.error.issues });
  return outcome as T;
}

export interface PoolOptions {
  readonly threads: number;
  /** Fits waiting beyond this are refused with PRESCIENT_ERR_POOL_FULL. */
  readonly maxQueue: number;
  /** A fit running longer is cancelled (its thread is terminated). */
  readonly fitTimeoutMs: number;
}

/**
 * The bounded pool where every fit runs: CPU work never runs on the event
 * loop. A full queue and a time-out are coded errors the caller sees.
 */
export class FitPool {
  private readonly piscina;

  constructor(private readonly options: PoolOptions) {
    this.piscina = startWorkers(options.threads, options.maxQueue);
  }

  /** Fits waiting for a thread. */
  get queueSize(): number {
    return this.piscina.queueSize;
  }

  /**
   * Runs one fit in a worker.
   * @throws PrescientError PRESCIENT_ERR_POOL_FULL, PRESCIENT_ERR_FIT_TIMEOUT, or the model's own error
   */
  async run(fit: FitTask, signal?: AbortSignal): Promise<Extract<FitOutcome, { ok: true }>> {
    if (this.piscina.queueSize >= this.options.maxQueue) {
      throw new PrescientError('PRESCIENT_ERR_POOL_FULL', `the fitting queue is full (${this.options.maxQueue} waiting)`);
    }
    return runInPool(this.piscina, { kind: 'fit', fit }, { timeoutMs: this.options.fitTimeoutMs, what: `fitting ${fit.model}`, ...(signal ? { signal } : {}) });
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
