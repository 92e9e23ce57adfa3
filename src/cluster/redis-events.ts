import type { Redis } from 'ioredis';
import { PrescientError } from '../errors.js';
import type { KnownEvent } from '../events/event.js';
import { eventsDocument, parseEventsDocument, type EventStore } from '../events/event-store.js';

/** Writers that lost a race to another replica try again this many times before the request fails. */
const MAX_ATTEMPTS = 20;

/**
 * Every known event shared by all replicas: one Redis value holding the
 * same document as the one-replica events file, changed with optimistic
 * locking (WATCH, then MULTI/EXEC: a replica that lost the race merges its
 * events into the newer ones and tries again), and a message on the events
 * channel after each change so every replica reloads at once.
 *
 * `connection` is this store's own: WATCH holds per connection, and another
 * caller's EXEC on a shared one would drop it.
 */
export class RedisEventStore implements EventStore {
  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  get key(): string {
    return `${this.prefix}:events`;
  }

  /** The channel every change is announced on. */
  get channel(): string {
    return `${this.prefix}:events-changed`;
  }

  async read(): Promise<KnownEvent[]> {
    const text = await this.run('read', () => this.connection.get(this.key));
    return text === null ? [] : parseEventsDocument(text, `Redis key ${this.key}`);
  }

  async update<T>(change: (current: readonly KnownEvent[]) => { events?: KnownEvent[]; result: T }): Promise<{ events: KnownEvent[]; result: T }> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const text = await this.run('read', async () => {
        await this.connection.watch(this.key);
        return this.connection.get(this.key);
      });
      let current: KnownEvent[];
      try {
        current = text === null ? [] : parseEventsDocument(text, `Redis key ${this.key}`);
      } catch (err) {
        await this.connection.unwatch().catch(() => undefined);
        throw err;
      }
      const { events, result } = change(current);
      if (!events) {
        await this.run('read', () => this.connection.unwatch());
        return { events: current, result };
      }
      const done = await this.run('write', () => this.connection.multi().set(this.key, eventsDocument(events)).publish(this.channel, String(Date.now())).exec());
      // null: another replica changed the events since WATCH; nothing was written.
      if (done !== null) return { events, result };
    }
    throw new PrescientError('PRESCIENT_ERR_PERSISTENCE', `cannot write the events in Redis: ${MAX_ATTEMPTS} attempts lost the race to other replicas`);
  }

  private async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (cause) {
      throw new PrescientError('PRESCIENT_ERR_PERSISTENCE', `cannot ${what} the events in Redis: ${(cause as Error).message}`, { cause });
    }
  }
}
