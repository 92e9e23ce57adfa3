import { Redis, type RedisOptions } from 'ioredis';
import type { TargetConfig } from '../config/schema.js';
import type { TargetError, TargetForecast, TargetState } from '../engine/target-state.js';
import { PrescientError } from '../errors.js';
import { parsePersisted, toPersisted, type ForecastPersistence, type Persisted, type PersistedFeedback, type PersistedSelection } from '../engine/persisted.js';

/** What changed, as published on the updates channel: api replicas reload that target. */
export interface TargetUpdate {
  readonly target: string;
  readonly kind: 'forecast' | 'error';
}

/**
 * A Redis connection that never queues commands while Redis is away: a
 * command then fails at once (callers keep serving what they hold) and the
 * client keeps reconnecting by itself, every 2 s at most.
 */
export function connectRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
    ...extra,
  });
}

/**
 * Forecasts, `auto`'s selections and the last refresh error of every
 * target, shared by all replicas through Redis: one JSON document per
 * target (the same document the file store writes), and a message on the
 * updates channel after each write so api replicas reload at once.
 */
export class RedisForecastStore implements ForecastPersistence {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** The channel every write is announced on. */
  get channel(): string {
    return `${this.prefix}:updates`;
  }

  key(kind: 'forecast' | 'error', target: string): string {
    return `${this.prefix}:${kind}:${target}`;
  }

  /** @throws PrescientError PRESCIENT_ERR_PERSISTENCE when Redis is unreachable */
  async save(target: TargetConfig, forecast: TargetForecast, scores: TargetState['scores'], selection?: PersistedSelection, feedback?: PersistedFeedback): Promise<void> {
    // With the served-forecast record, health and shadow record: a worker that reloads the target before its job carries them on.
    const body = JSON.stringify(toPersisted(target, forecast, scores, selection, feedback));
    const update: TargetUpdate = { target: target.name, kind: 'forecast' };
    await this.run('save', () =>
      this.redis.multi().set(this.key('forecast', target.name), body).del(this.key('error', target.name)).publish(this.channel, JSON.stringify(update)).exec(),
    );
  }

  /** @throws PrescientError PRESCIENT_ERR_PERSISTENCE when Redis is unreachable or the document is corrupt */
  async load(target: TargetConfig): Promise<Persisted | undefined> {
    const text = await this.run('load', () => this.redis.get(this.key('forecast', target.name)));
    return text === null ? undefined : parsePersisted(text, target, `Redis key ${this.key('forecast', target.name)}`);
  }

  async saveError(target: TargetConfig, error: TargetError): Promise<void> {
    const update: TargetUpdate = { target: target.name, kind: 'error' };
    await this.run('save the error of', () =>
      this.redis.multi().set(this.key('error', target.name), JSON.stringify(error)).publish(this.channel, JSON.stringify(update)).exec(),
    );
  }

  /**
   * Every target's forecast document and error text, read in batches (one
   * round trip per 200 targets).
   * @throws PrescientError PRESCIENT_ERR_PERSISTENCE when Redis is unreachable
   */
  async loadAll(names: readonly string[]): Promise<Map<string, { forecast: string | null; error: string | null }>> {
    const out = new Map<string, { forecast: string | null; error: string | null }>();
    for (let i = 0; i < names.length; i += 200) {
      const batch = names.slice(i, i + 200);
      const keys = batch.flatMap((name) => [this.key('forecast', name), this.key('error', name)]);
      const values = await this.run('read', () => this.redis.mget(...keys));
      batch.forEach((name, j) => out.set(name, { forecast: values[2 * j] ?? null, error: values[2 * j + 1] ?? null }));
    }
    return out;
  }

  private async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (cause) {
      throw new PrescientError('PRESCIENT_ERR_PERSISTENCE', `cannot ${what} target state in Redis: ${(cause as Error).message}`, { cause });
    }
  }
}
