import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { BacktestResult } from '../backtest/result.js';
import type { BacktestJob } from '../backtest/run.js';
import { PrescientError, type SerializedError } from '../errors.js';
import type { FitContext } from '../models/forecaster.js';
import type { BodyOutcome, BodyRead, BodyTask } from './body-task.js';
import type { FitOutcome, FitTask } from './fit-task.js';
import type { PrepareOutcome, PrepareTask } from './prepare-task.js';

/**
 * Everything that runs in a worker thread: fits for targets and requests,
 * a target's history preparation, a request's series body, whole backtests, and `ready`, which
 * answers once the thread has finished its set-up (a lane waits for it so
 * start-up never counts as a fit's time).
 */
export type PoolTask =
  | { readonly kind: 'fit'; readonly fit: FitTask }
  | { readonly kind: 'prepare'; readonly prepare: PrepareTask }
  | { readonly kind: 'body'; readonly body: BodyTask }
  | { readonly kind: 'backtest'; readonly job: BacktestJob }
  | { readonly kind: 'ready' };

export type BacktestOutcome = { readonly ok: true; readonly result: BacktestResult } | { readonly ok: false; readonly error: SerializedError };

export type ReadyOutcome = { readonly ok: true; readonly ready: true };

export type TaskOutcome = FitOutcome | PrepareOutcome | BodyOutcome | BacktestOutcome | ReadyOutcome;

type Workers = Piscina<PoolTask, TaskOutcome>;
/**
 * Buffers moved to the worker with a task instead of copied. (piscina's own
 * type for it resolves to postMessage's options object with this @types/node;
 * at run time piscina hands the array to postMessage, which takes either.)
 */
type TransferList = NonNullable<NonNullable<Parameters<Workers['run']>[1]>['transferList']>;

/** Which thread a lane runs: the full worker (models loaded) or the light one that only reads request bodies. */
type WorkerKind = 'worker' | 'body-worker';

/** The worker entry: compiled JS, or from TypeScript source a bootstrap that registers tsx in the thread. */
function workerEntry(kind: WorkerKind): string {
  const source = import.meta.url.endsWith('.ts');
  return fileURLToPath(new URL(source ? `./${kind}-source.cjs` : `./${kind}.js`, import.meta.url));
}

/**
 * A piscina pool of Prescient workers (src/engine/worker.ts, or
 * src/engine/body-worker.ts for the bodies lane). Tasks beyond `maxQueue`
 * waiting are refused, not queued without bound.
 */
export function startWorkers(threads: number, maxQueue: number, kind: WorkerKind = 'worker'): Workers {
  return new Piscina({
    filename: workerEntry(kind),
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
  piscina: Workers,
  task: PoolTask,
  options: { timeoutMs: number; signal?: AbortSignal; what: string; transferList?: TransferList },
): Promise<T> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let outcome: TaskOutcome;
  try {
    outcome = await piscina.run(task, { signal, ...(options.transferList ? { transferList: options.transferList } : {}) });
  } catch (cause) {
    if (timeout.aborted) throw new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', `${options.what} took longer than ${options.timeoutMs} ms and was stopped`, { cause });
    if (options.signal?.aborted) throw new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', `${options.what} was cancelled`, { cause });
    if (cause instanceof Error && /queue/i.test(cause.message)) throw new PrescientError('PRESCIENT_ERR_POOL_FULL', `no room to run ${options.what}; try again shortly`, { cause });
    throw new PrescientError('PRESCIENT_ERR_INTERNAL', `worker failed: ${(cause as Error).message}`, { cause });
  }
  if (!outcome.ok) throw new PrescientError(outcome.error.code, outcome.error.message, { issues: outcome.error.issues });
  return outcome as T;
}

/**
 * Who a fit is for. Target refreshes and ad-hoc requests never share threads
 * or a queue, so no number of requests can delay, queue-block or refuse a
 * target's refresh (issue 11, item 1).
 */
export type Lane = 'targets' | 'requests';
export const LANES: readonly Lane[] = ['targets', 'requests'];

/**
 * Request bodies waiting for the bodies lane's thread beyond this are refused
 * (POOL_FULL): each holds its bytes (at most a series route's byte limit,
 * 2.5 MB by default) while it waits.
 */
const BODIES_MAX_QUEUE = 32;

/** A thread that has not finished its set-up after this long is broken, not slow. */
const THREAD_START_LIMIT_MS = 120_000;

export interface LaneOptions {
  /** Worker threads of the lane (fits running at once). */
  readonly threads: number;
  /** Fits waiting beyond this are refused with PRESCIENT_ERR_POOL_FULL. */
  readonly maxQueue: number;
}

export interface PoolOptions {
  /** The targets' lane: its threads start on the first refresh. */
  readonly targets: LaneOptions;
  /** The ad-hoc requests' lane: its threads start on the first request. */
  readonly requests: LaneOptions;
  /** Running time allowed per fit, from the moment it gets a thread (time queued does not count). */
  readonly fitTimeoutMs: number;
  /**
   * Called on the event loop each time a lane's threads have finished their set-up, before the task
   * that waited for them runs: a thread's start-up may have forked this process (from TypeScript
   * source, tsx's transpiler; src/api/body-memory.ts).
   */
  readonly onThreadsStarted?: () => void;
}

/** A fit as callers give it: the deadline is set by the pool when the fit gets a thread. */
export type FitRequest = Omit<FitTask, 'ctx'> & { readonly ctx: Omit<FitContext, 'deadlineMs'> };

export interface RunOptions {
  /** Default `targets`. */
  readonly lane?: Lane;
  /** Cancels the fit, queued or running. */
  readonly signal?: AbortSignal;
}

export interface LaneStats {
  readonly threads: number;
  readonly running: number;
  readonly queued: number;
  readonly maxQueue: number;
}

/** A lane: its own threads and its own first-in-first-out queue, kept here (not in piscina) so waiting is not timed. */
class PoolLane {
  private workers: Workers | undefined;
  /** False when the threads are new or were just restarted (a stopped task's thread is terminated). */
  private warm = false;
  private running = 0;
  /** Set by close(): a lane whose threads start lazily must not start them after the pool closed. */
  private closed = false;
  private readonly waiting: Array<{ start: () => void; fail: (err: PrescientError) => void }> = [];

  // Threads start on the lane's first task, not with the pool: a replica that never refreshes targets
  // (an api-role replica, or an app built with the engine stopped) keeps no idle thread with WASM and TF.js loaded.
  constructor(
    readonly name: Lane | 'bodies',
    private readonly options: LaneOptions,
    private readonly kind: WorkerKind = 'worker',
    private readonly onStarted: () => void = () => undefined,
  ) {}

  stats(): LaneStats {
    return { threads: this.options.threads, running: this.running, queued: this.waiting.length, maxQueue: this.options.maxQueue };
  }

  /** Waits for a free thread of this lane, then runs `work` on it; the slot frees when `work` settles. */
  async withThread<T>(work: (workers: Workers) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', 'the fit was cancelled before it started');
    if (this.closed) throw new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', 'the pool closed before the fit started');
    if (this.running >= this.options.threads) await this.enqueue(signal);
    else this.running++;
    try {
      this.workers ??= this.start();
      // Thread start-up (WASM, TF.js, and tsx's transpiling from source) can take seconds on a busy machine:
      // it is waited for here, untimed, so it never eats a fit's time limit.
      if (!this.warm) {
        await runInPool(this.workers, { kind: 'ready' }, { timeoutMs: THREAD_START_LIMIT_MS, what: `starting the ${this.name} lane's thread`, ...(signal ? { signal } : {}) });
        this.warm = true;
        this.onStarted();
      }
      return await work(this.workers);
    } catch (err) {
      if (err instanceof PrescientError && err.code === 'PRESCIENT_ERR_FIT_TIMEOUT') this.warm = false;
      throw err;
    } finally {
      this.release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.fail(new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', 'the pool closed before the fit started'));
    await this.workers?.destroy();
  }

  private start(): Workers {
    // A small piscina queue only absorbs the instant between a thread finishing and piscina marking it free.
    return startWorkers(this.options.threads, this.options.threads, this.kind);
  }

  private enqueue(signal: AbortSignal | undefined): Promise<void> {
    if (this.waiting.length >= this.options.maxQueue) {
      throw new PrescientError('PRESCIENT_ERR_POOL_FULL', `the ${this.name} fitting queue is full (${this.options.maxQueue} waiting)`);
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', 'the fit was cancelled while it waited for a thread'));
      };
      const waiter = {
        // The slot passes straight from the finishing fit to this one: `running` never drops in between.
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: (err: PrescientError) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.start();
    else this.running--;
  }
}

/**
 * The bounded pool where every fit runs: CPU work never runs on the event
 * loop. Two lanes (targets, requests), each with its own threads and queue;
 * a full queue and a time-out are coded errors the caller sees. A fit's time
 * limit counts from the moment it gets a thread.
 */
export class FitPool {
  private readonly lanes: Record<Lane, PoolLane>;
  private readonly bodies: PoolLane;

  constructor(private readonly options: PoolOptions) {
    const started = options.onThreadsStarted;
    this.lanes = { targets: new PoolLane('targets', options.targets, 'worker', started), requests: new PoolLane('requests', options.requests, 'worker', started) };
    // One light thread reads request bodies: a body takes milliseconds, so one thread serves them in turn.
    this.bodies = new PoolLane('bodies', { threads: 1, maxQueue: BODIES_MAX_QUEUE }, 'body-worker', started);
  }

  /** Threads, fits running and fits waiting, per lane. */
  stats(): Record<Lane, LaneStats> {
    return { targets: this.lanes.targets.stats(), requests: this.lanes.requests.stats() };
  }

  /**
   * Runs one fit in a worker of its lane. It waits (up to the lane's
   * `maxQueue` waiting) for a thread, then runs at most `fitTimeoutMs`; its
   * `ctx.deadlineMs` is set then, so models that stop early see the same limit.
   * @throws PrescientError PRESCIENT_ERR_POOL_FULL, PRESCIENT_ERR_FIT_TIMEOUT, or the model's own error
   */
  async run(fit: FitRequest, options: RunOptions = {}): Promise<Extract<FitOutcome, { ok: true }>> {
    const { fitTimeoutMs } = this.options;
    return this.lanes[options.lane ?? 'targets'].withThread((workers) => {
      const task: PoolTask = { kind: 'fit', fit: { ...fit, ctx: { ...fit.ctx, deadlineMs: Date.now() + fitTimeoutMs } } };
      return runInPool(workers, task, { timeoutMs: fitTimeoutMs, what: `fitting ${fit.model}`, ...(options.signal ? { signal: options.signal } : {}) });
    }, options.signal);
  }

  /**
   * Prepares a history in a worker of the lane (./prepare-task.ts; default
   * the targets'): parsing, gap filling and season detection stay off the event loop.
   * @throws PrescientError PRESCIENT_ERR_POOL_FULL, PRESCIENT_ERR_FIT_TIMEOUT, or the source's own error
   */
  async prepare(task: PrepareTask, options: RunOptions = {}): Promise<Extract<PrepareOutcome, { ok: true }>> {
    const { fitTimeoutMs } = this.options;
    return this.lanes[options.lane ?? 'targets'].withThread((workers) => {
      const what = `preparing the history of ${task.name}`;
      return runInPool(workers, { kind: 'prepare', prepare: task }, { timeoutMs: fitTimeoutMs, what, ...(options.signal ? { signal: options.signal } : {}) });
    }, options.signal);
  }

  /**
   * Reads a request's series body in the bodies lane's thread
   * (./body-task.ts, ./body-worker.ts): parsing, validation and gap filling
   * stay off the event loop, and a body never waits for a fit. The bytes are never copied: bytes in shared
   * memory (src/api/body-arenas.ts) are read where they are, and a buffer of its own is moved (`task.raw`
   * is empty once this is called).
   * @throws PrescientError PRESCIENT_ERR_BODY_TOO_COMPLEX, PRESCIENT_ERR_BODY_VALUE_TOO_LONG (the body's JSON shape),
   *   PRESCIENT_ERR_VALIDATION and the route's other refusals (as the
   *   main thread's validation answered them), PRESCIENT_ERR_POOL_FULL, PRESCIENT_ERR_FIT_TIMEOUT
   */
  async readBody<T extends BodyTask>(task: T, options: Pick<RunOptions, 'signal'> = {}): Promise<BodyRead<T>> {
    const { fitTimeoutMs } = this.options;
    const { raw } = task;
    // Only a buffer of its own may move: moving a slice of Node's shared pool would empty it for every other user.
    const movable = raw instanceof Uint8Array && raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && raw.buffer instanceof ArrayBuffer;
    return this.bodies.withThread((workers) => {
      const what = `reading a ${task.route} request's body`;
      return runInPool(workers, { kind: 'body', body: task }, { timeoutMs: fitTimeoutMs, what, ...(movable ? { transferList: [raw.buffer] as unknown as TransferList } : {}), ...(options.signal ? { signal: options.signal } : {}) });
    }, options.signal);
  }

  async close(): Promise<void> {
    await Promise.all([...LANES.map((lane) => this.lanes[lane].close()), this.bodies.close()]);
  }
}
