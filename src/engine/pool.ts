import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { PrescientError } from '../errors.js';
import type { FitOutcome, FitTask } from './fit-task.js';

export interface PoolOptions {
  readonly threads: number;
  /** Tasks waiting beyond this are refused with PRESCIENT_ERR_POOL_FULL. */
  readonly maxQueue: number;
  /** A task running longer is cancelled (its thread is terminated). */
  readonly fitTimeoutMs: number;
}

/** The worker entry: TypeScript source under tsx (dev, tests), compiled JS otherwise. */
function workerEntry(): { filename: string; execArgv: string[] } {
  const source = import.meta.url.endsWith('.ts');
  const filename = fileURLToPath(new URL(source ? './worker.ts' : './worker.js', import.meta.url));
  return { filename, execArgv: source ? ['--import', 'tsx'] : [] };
}

/**
 * A bounded pool of worker threads for fitting: CPU work never runs on the
 * event loop. A full queue and a time-out are coded errors the caller sees;
 * a timed-out task's thread is terminated, which is the only way to stop a
 * WASM computation.
 */
export class FitPool {
  private readonly piscina: Piscina<FitTask, FitOutcome>;

  constructor(private readonly options: PoolOptions) {
    const { filename, execArgv } = workerEntry();
    this.piscina = new Piscina({
      filename,
      execArgv,
      minThreads: options.threads,
      maxThreads: options.threads,
      maxQueue: options.maxQueue,
      idleTimeout: Number.POSITIVE_INFINITY,
      // Fitting yields the CPU to serving: on 2 cores a busy worker must not stretch request tail latency.
      // (Applied through @napi-rs/nice; without it piscina ignores the setting.)
      niceIncrement: 10,
    });
  }

  /** Tasks waiting for a thread. */
  get queueSize(): number {
    return this.piscina.queueSize;
  }

  /**
   * Runs one fit in a worker.
   * @throws PrescientError PRESCIENT_ERR_POOL_FULL, PRESCIENT_ERR_FIT_TIMEOUT, or the model's own error
   */
  async run(task: FitTask, signal?: AbortSignal): Promise<Extract<FitOutcome, { ok: true }>> {
    if (this.piscina.queueSize >= this.options.maxQueue) {
      throw new PrescientError('PRESCIENT_ERR_POOL_FULL', `the fitting queue is full (${this.options.maxQueue} waiting)`);
    }
    const timeout = AbortSignal.timeout(this.options.fitTimeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let outcome: FitOutcome;
    try {
      outcome = await this.piscina.run(task, { signal: combined });
    } catch (cause) {
      if (timeout.aborted) {
        throw new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', `fitting ${task.model} took longer than ${this.options.fitTimeoutMs} ms`, { cause });
      }
      if (signal?.aborted) throw new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', `fitting ${task.model} was cancelled`, { cause });
      if (cause instanceof Error && /queue/i.test(cause.message)) {
        throw new PrescientError('PRESCIENT_ERR_POOL_FULL', 'the fitting queue is full', { cause });
      }
      throw new PrescientError('PRESCIENT_ERR_INTERNAL', `worker failed: ${(cause as Error).message}`, { cause });
    }
    if (!outcome.ok) throw new PrescientError(outcome.error.code, outcome.error.message, { issues: outcome.error.issues });
    return outcome;
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
