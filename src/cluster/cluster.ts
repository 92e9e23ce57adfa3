import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import type { Engine } from '../engine/engine.js';
import type { TargetStates } from '../engine/target-state.js';
import { toPrescientError } from '../errors.js';
import type { KnownEvent } from '../events/event.js';
import type { EventBook } from '../events/event-book.js';
import { createWorkerRunner, type BacktestRunner } from '../engine/backtest-runner.js';
import { BacktestQueue, startBacktestWorker } from './backtest-queue.js';
import { ensureSchedules, eventRefitJobs, openFitQueue, startFitWorker, type FitJobData, type FitJobResult } from './fit-jobs.js';
import { RedisEventStore } from './redis-events.js';
import { connectRedis, RedisForecastStore } from './redis-store.js';
import { StateSync } from './state-sync.js';

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };

/**
 * One replica's part in a Redis-backed deployment, by `cluster.role`:
 * `api` keeps its target states in step with Redis (StateSync) and fits
 * nothing; `worker` keeps one schedule per target in the BullMQ queue and
 * takes fit jobs; `both` does the two. Redis is the only shared state.
 */
export class Cluster {
  readonly store: RedisForecastStore;
  /** Known events, shared by every replica (the EventBook's store). */
  readonly eventStore: RedisEventStore;
  /** Backtests: queued by any api replica, run by a worker, read by all. */
  readonly backtests: BacktestQueue;
  private backtestWorker: Worker | undefined;
  private backtestRunner: BacktestRunner | undefined;
  private readonly data: Redis;
  /** The event store's own connection (its WATCH must not be dropped by another caller's EXEC). */
  private readonly eventsConnection: Redis;
  private subscriber: Redis | undefined;
  private sync: StateSync | undefined;
  /** Every role adds to it: workers their schedules, the replica that receives an event its refit. */
  private readonly queue: Queue<FitJobData, FitJobResult>;
  private worker: Worker<FitJobData, FitJobResult> | undefined;
  private scheduling: Promise<void> | undefined;
  private eventsTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly log: Log,
  ) {
    const redis = config.cluster.redis;
    if (!redis) throw new Error('Cluster needs cluster.redis');
    this.data = connectRedis(redis.url);
    // Without a listener ioredis prints every failed reconnection; the warnings below say it once per state.
    this.data.on('error', () => undefined);
    this.store = new RedisForecastStore(this.data, redis.keyPrefix);
    this.eventsConnection = connectRedis(redis.url);
    this.eventsConnection.on('error', () => undefined);
    this.eventStore = new RedisEventStore(this.eventsConnection, redis.keyPrefix);
    this.queue = openFitQueue(redis.url, redis.keyPrefix);
    this.queue.on('error', () => undefined);
    this.backtests = new BacktestQueue(redis.url, redis.keyPrefix, 50);
  }

  /**
   * Asks a worker to refit `name` for a new deploy or incident, and for a
   * deploy to refresh it every events.deployWatchRefresh over its watch
   * window: jobs with ids made of the event's, so a notification delivered
   * twice makes no second refit.
   */
  requestEventRefit(name: string, event: KnownEvent): void {
    const jobs = eventRefitJobs(name, event, this.config.events);
    void Promise.all(jobs.map((job) => this.queue.add('refresh', job.data, job.opts))).catch((err: unknown) => {
      this.log.warn({ target: name, event: event.id, err: toPrescientError(err).toJSON() }, 'cannot queue the refit an event asks for');
    });
  }

  get role(): Config['cluster']['role'] {
    return this.config.cluster.role;
  }

  async start(deps: { engine: Engine; states: TargetStates; events: EventBook }): Promise<void> {
    const { config, log } = this;
    const redis = config.cluster.redis as NonNullable<Config['cluster']['redis']>;
    // A subscribed connection waits for Redis instead of failing (ioredis re-subscribes after a reconnection).
    this.subscriber = connectRedis(redis.url, { enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber.on('error', () => undefined);
    // Events first: a worker's first fits leave incident windows out, an api's first answers are shaped.
    await this.followEvents(deps.engine, deps.events, this.subscriber);
    if (this.role !== 'worker') {
      this.sync = new StateSync({ config, states: deps.states, adopt: (target, persisted) => deps.engine.adopt(target, persisted), store: this.store, subscriber: this.subscriber, data: this.data, log });
      await this.sync.start();
    }
    if (this.role !== 'api') {
      this.scheduling = this.keepTrying(() => this.schedule(deps.states));
      this.worker = startFitWorker({ config, engine: deps.engine, states: deps.states, events: deps.events, log }, redis.url, redis.keyPrefix);
      // One backtest at a time per worker, on threads of its own (started on the first), beside the fit threads.
      this.backtestRunner = createWorkerRunner();
      this.backtestWorker = startBacktestWorker(redis.url, redis.keyPrefix, this.backtestRunner, config.cluster.lockDurationMs);
    }
    log.info({ role: this.role, targets: config.targets.length }, 'cluster role started');
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.eventsTimer) clearInterval(this.eventsTimer);
    await this.worker?.close();
    await this.backtestWorker?.close();
    await this.backtestRunner?.close();
    await this.scheduling;
    await this.queue.close();
    await this.backtests.close();
    await this.sync?.stop();
    this.subscriber?.disconnect();
    this.eventsConnection.disconnect();
    this.data.disconnect();
  }

  /**
   * Keeps this replica's events in step with Redis: read again on every
   * change another replica announces, after each reconnection and every
   * `cluster.resync`; the served forecasts of the targets whose campaign or
   * maintenance windows came, changed or went are reshaped at once.
   * Resolves after the first read (or 5 s without Redis).
   */
  private async followEvents(engine: Engine, events: EventBook, subscriber: Redis): Promise<void> {
    const sync = (): Promise<void> => {
      if (this.closed || this.eventsConnection.status !== 'ready') return Promise.resolve();
      return events.reload().then(
        (changed) => engine.reshapeFor(changed),
        (err: unknown) => this.log.warn({ err: toPrescientError(err).toJSON() }, 'cannot read the events from Redis; keeping those held'),
      );
    };
    subscriber.on('message', (channel: string) => {
      if (channel === this.eventStore.channel) void sync();
    });
    void subscriber.subscribe(this.eventStore.channel).catch((err: unknown) => this.log.warn({ err: toPrescientError(err).toJSON() }, 'cannot subscribe to event changes yet'));
    this.eventsConnection.on('ready', () => void sync());
    this.eventsTimer = setInterval(() => void sync(), this.config.cluster.resyncMs);
    this.eventsTimer.unref();
    // The first read waits a little for Redis to be reachable; a Redis still away leaves it to the 'ready' above.
    await this.connected(this.eventsConnection, 5_000);
    await sync();
  }

  /** Resolves once `connection` is ready, or after `timeoutMs` (then the caller goes on without it). */
  private async connected(connection: Redis, timeoutMs: number): Promise<void> {
    if (connection.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        connection.off('ready', done);
        resolve();
      }
      connection.once('ready', done);
    });
  }

  /** Schedules every target; which have a forecast is read from Redis (a worker-only replica holds none). */
  private async schedule(states: TargetStates): Promise<void> {
    const names = this.config.targets.map((t) => t.name);
    const stored = await this.store.loadAll(names);
    const hasForecast = (name: string): boolean => Boolean(states.get(name)?.forecast) || Boolean(stored.get(name)?.forecast);
    await ensureSchedules(this.queue, this.config.targets, hasForecast);
  }

  /** Runs `task` until it succeeds: Redis may be down when a replica starts. */
  private async keepTrying(task: () => Promise<void>): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await task();
        return;
      } catch (err) {
        if (attempt === 1) this.log.warn({ err: toPrescientError(err).toJSON() }, 'cannot schedule fits in Redis yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 5_000)));
      }
    }
  }
}
