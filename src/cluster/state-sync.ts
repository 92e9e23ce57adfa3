import type { Redis } from 'ioredis';
import type { Config, TargetConfig } from '../config/schema.js';
import type { TargetError, TargetStates } from '../engine/target-state.js';
import { toPrescientError } from '../errors.js';
import { parsePersisted, type Persisted } from '../engine/persisted.js';
import type { RedisForecastStore, TargetUpdate } from './redis-store.js';

export interface StateSyncDeps {
  readonly config: Readonly<Config>;
  readonly states: TargetStates;
  /** Serves a document a worker wrote (the engine's adopt: events shape it, its accuracy and health come with it). */
  readonly adopt: (target: TargetConfig, persisted: Persisted) => void;
  readonly store: RedisForecastStore;
  /** A connection of its own: a subscribed connection can do nothing else. */
  readonly subscriber: Redis;
  /** The store's connection: a full re-read follows each (re)connection. */
  readonly data: Redis;
  readonly log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/**
 * Keeps an api replica's in-memory target states in step with Redis, so
 * every face answers from memory (GetMetrics stays sub-millisecond) and
 * every replica serves what the workers last wrote: each write is announced
 * on a channel and reloaded at once; a full re-read runs at start, after
 * every reconnection (announcements missed while Redis was away) and every
 * `cluster.resync`. While Redis is away the states keep what they hold and
 * forecasts turn stale by the usual rule.
 */
export class StateSync {
  private readonly targets: ReadonlyMap<string, TargetConfig>;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly deps: StateSyncDeps) {
    this.targets = new Map(deps.config.targets.map((t) => [t.name, t]));
  }

  /** Subscribes, reads every target once, and keeps reading. Resolves after the first read (or its failure). */
  async start(): Promise<void> {
    const { subscriber, data, store, config } = this.deps;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === store.channel) void this.onUpdate(message);
    });
    // ioredis re-subscribes by itself after a reconnection; this first subscribe may wait for Redis.
    void subscriber.subscribe(store.channel).catch((err: unknown) => this.deps.log.warn({ err: toPrescientError(err).toJSON() }, 'cannot subscribe to target updates yet'));
    data.on('ready', () => void this.syncAll());
    this.timer = setInterval(() => void this.syncAll(), config.cluster.resyncMs);
    this.timer.unref();
    await this.syncAll();
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.syncing;
  }

  /** Re-reads every target; a failure (Redis away) leaves the states as they are. */
  syncAll(): Promise<void> {
    if (this.closed || this.deps.data.status !== 'ready') return Promise.resolve();
    this.syncing ??= this.readAll().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async readAll(): Promise<void> {
    try {
      const all = await this.deps.store.loadAll([...this.targets.keys()]);
      for (const [name, { forecast, error }] of all) this.apply(name, forecast, error);
    } catch (err) {
      this.deps.log.warn({ err: toPrescientError(err).toJSON() }, 'cannot read target states from Redis; serving what is held');
    }
  }

  private async onUpdate(message: string): Promise<void> {
    let update: TargetUpdate;
    try {
      update = JSON.parse(message) as TargetUpdate;
    } catch {
      return;
    }
    if (!this.targets.has(update.target)) return;
    try {
      const all = await this.deps.store.loadAll([update.target]);
      const got = all.get(update.target);
      if (got) this.apply(update.target, got.forecast, got.error);
    } catch (err) {
      this.deps.log.warn({ target: update.target, err: toPrescientError(err).toJSON() }, 'cannot reload target from Redis');
    }
  }

  /** Takes a forecast only when newer than the one held, an error only when newer than both. */
  private apply(name: string, forecastText: string | null, errorText: string | null): void {
    const target = this.targets.get(name);
    if (!target) return;
    const { states } = this.deps;
    try {
      const persisted = forecastText === null ? undefined : parsePersisted(forecastText, target, `Redis forecast of ${name}`);
      const held = states.get(name);
      if (persisted && persisted.forecast.generatedAtMs > (held?.forecast?.generatedAtMs ?? Number.NEGATIVE_INFINITY)) {
        this.deps.adopt(target, persisted);
      }
      if (errorText !== null) {
        const error = JSON.parse(errorText) as TargetError;
        const now = states.get(name);
        if (error.atMs > (now?.lastError?.atMs ?? Number.NEGATIVE_INFINITY) && error.atMs >= (now?.forecast?.generatedAtMs ?? Number.NEGATIVE_INFINITY)) {
          states.setError(name, error);
        }
      }
    } catch (err) {
      this.deps.log.warn({ target: name, err: toPrescientError(err).toJSON() }, 'ignoring a target state in Redis');
    }
  }
}
