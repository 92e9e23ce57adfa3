import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import type { Engine } from '../engine/engine.js';
import type { TargetStates } from '../engine/target-state.js';
import { toPrescientError } from '../errors.js';
import { ensureSchedules, openFitQueue, startFitWorker, type FitJobData, type FitJobResult } from './fit-jobs.js';
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
  private readonly data: Redis;
  private subscriber: Redis | undefined;
  private sync: StateSync | undefined;
  private queue: Queue<FitJobData, FitJobResult> | undefined;
  private worker: Worker<FitJobData, FitJobResult> | undefined;
  private scheduling: Promise<void> | undefined;
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
  }

  get role(): Config['cluster']['role'] {
    return this.config.cluster.role;
  }

  async start(deps: { engine: Engine; states: TargetStates }): Promise<void> {
    const { config, log } = this;
    const redis = config.cluster.redis as NonNullable<Config['cluster']['redis']>;
    if (this.role !== 'worker') {
      // A subscribed connection waits for Redis instead of failing (ioredis re-subscribes after a reconnection).
      this.subscriber = connectRedis(redis.url, { enableOfflineQueue: true, maxRetriesPerRequest: null });
      this.subscriber.on('error', () => undefined);
      this.sync = new StateSync({ config, states: deps.states, store: this.store, subscriber: this.subscriber, data: this.data, log });
      await this.sync.start();
    }
    if (this.role !== 'api') {
      this.queue = openFitQueue(redis.url, redis.keyPrefix);
      this.queue.on('error', () => undefined);
      this.scheduling = this.keepTrying(() => this.schedule(deps.states));
      this.worker = startFitWorker({ config, engine: deps.engine, states: deps.states, log }, redis.url, redis.keyPrefix);
    }
    log.info({ role: this.role, targets: config.targets.length }, 'cluster role started');
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.close();
    await this.scheduling;
    await this.queue?.close();
    await this.sync?.stop();
    this.subscriber?.disconnect();
    this.data.disconnect();
  }

  /** Schedules every target; which have a forecast is read from Redis (a worker-only replica holds none). */
  private async schedule(states: TargetStates): Promise<void> {
    const names = this.config.targets.map((t) => t.name);
    const stored = await this.store.loadAll(names);
    const hasForecast = (name: string): boolean => Boolean(states.get(name)?.forecast) || Boolean(stored.get(name)?.forecast);
    await ensureSchedules(this.queue as Queue<FitJobData, FitJobResult>, this.config.targets, hasForecast);
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
