import { randomUUID } from 'node:crypto';
import type { KnownEvent } from './event.js';
import { FileEventStore, MemoryEventStore, type EventStore } from './event-store.js';

/** An event before the book stamps it (`id` given by Alertmanager drafts, made up for the API's). */
export type EventDraft = Omit<KnownEvent, 'id' | 'receivedAtMs'> & { readonly id?: string };

export interface EventBookOptions {
  /** Where events persist; default a file when `file` is given, else memory (tests of pure effects). */
  readonly store?: EventStore;
  /** The events file (JSON, written atomically) when no store is given. */
  readonly file?: string;
  /** Events that ended longer ago than this are forgotten (seconds). */
  readonly keepSeconds: number;
  /** Most events kept; the oldest finished ones go first. */
  readonly maxEvents: number;
  readonly now: () => number;
}

export interface AddOutcome {
  /** New events: their effects are to be applied. */
  readonly added: KnownEvent[];
  /** Known events a later notification changed (an alert resolved: its end). */
  readonly updated: KnownEvent[];
}

/**
 * Every known event, in memory and in its store (a file, or Redis shared by
 * every replica): an event is persisted before the request that brought it
 * is answered, so a restart loses nothing that was acknowledged. Adds are
 * serialised here and atomic in the store, so neither two requests nor two
 * replicas lose each other's events.
 */
export class EventBook {
  private events: KnownEvent[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly store: EventStore;

  constructor(private readonly options: EventBookOptions) {
    this.store = options.store ?? (options.file ? new FileEventStore(options.file) : new MemoryEventStore());
  }

  /**
   * Reads the persisted events (none when nothing was persisted yet).
   * @throws PrescientError PRESCIENT_ERR_PERSISTENCE when unreadable or corrupt: refusing to start beats forgetting incidents
   */
  async load(): Promise<void> {
    this.events = await this.store.read();
  }

  /**
   * Reads the events again (another replica added some) and returns those
   * that are new, changed or gone, so their targets can be reshaped.
   * @throws PrescientError PRESCIENT_ERR_PERSISTENCE
   */
  async reload(): Promise<KnownEvent[]> {
    const read = this.queue.then(() => this.store.read());
    this.queue = read.catch(() => undefined);
    const next = await read;
    const before = new Map(this.events.map((e) => [e.id, JSON.stringify(e)]));
    const changed = next.filter((e) => before.get(e.id) !== JSON.stringify(e));
    const ids = new Set(next.map((e) => e.id));
    const gone = this.events.filter((e) => !ids.has(e.id));
    this.events = next;
    return [...changed, ...gone];
  }

  /**
   * Adds new events and updates known ones (same id: a later end), then persists.
   * @throws PrescientError PRESCIENT_ERR_PERSISTENCE (nothing is kept in memory then either)
   */
  add(drafts: readonly EventDraft[]): Promise<AddOutcome> {
    // One add at a time: each reads what the previous one wrote, so none is lost to a race.
    const run = this.queue.then(() => this.addNow(drafts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async addNow(drafts: readonly EventDraft[]): Promise<AddOutcome> {
    const nowMs = this.options.now();
    // Stamped once: the store may run the merge again on newer events, and the ids must not change.
    const stamped = drafts.map((d) => ({ ...d, id: d.id ?? `ev-${randomUUID()}`, receivedAtMs: nowMs }) as KnownEvent);
    const { events, result } = await this.store.update((current) => {
      const merged = merge(current, stamped);
      if (merged.added.length === 0 && merged.updated.length === 0) return { result: merged };
      return { events: this.prune(merged.next, nowMs), result: merged };
    });
    this.events = events;
    return { added: result.added, updated: result.updated };
  }

  /** Events, oldest start first; filtered by target name and kind, and to those overlapping [fromMs, toMs]. */
  list(filter: { target?: string; kind?: string; fromMs?: number; toMs?: number } = {}): KnownEvent[] {
    return this.events
      .filter((e) => filter.target === undefined || e.targets.includes(filter.target))
      .filter((e) => filter.kind === undefined || e.kind === filter.kind)
      .filter((e) => filter.toMs === undefined || e.startMs <= filter.toMs)
      .filter((e) => filter.fromMs === undefined || (e.endMs ?? Number.POSITIVE_INFINITY) >= filter.fromMs)
      .sort((a, b) => a.startMs - b.startMs);
  }

  /** A target's events (what the engine applies). */
  forTarget(name: string): KnownEvent[] {
    return this.list({ target: name });
  }

  /** Forgets events that ended before the keep window, then the oldest finished ones past the cap. */
  private prune(events: KnownEvent[], nowMs: number): KnownEvent[] {
    const horizonMs = nowMs - this.options.keepSeconds * 1000;
    const kept = events.filter((e) => e.endMs === undefined ? e.kind !== 'deploy' || e.startMs >= horizonMs : e.endMs >= horizonMs);
    if (kept.length <= this.options.maxEvents) return kept;
    const byAge = [...kept].sort((a, b) => (a.endMs ?? a.startMs) - (b.endMs ?? b.startMs));
    const drop = new Set(byAge.slice(0, kept.length - this.options.maxEvents).map((e) => e.id));
    return kept.filter((e) => !drop.has(e.id));
  }
}

/** The known events with the new ones added and known ones given their later end. */
function merge(current: readonly KnownEvent[], stamped: readonly KnownEvent[]): { next: KnownEvent[]; added: KnownEvent[]; updated: KnownEvent[] } {
  const next = [...current];
  const added: KnownEvent[] = [];
  const updated: KnownEvent[] = [];
  for (const event of stamped) {
    const index = next.findIndex((e) => e.id === event.id);
    if (index < 0) {
      next.push(event);
      added.push(event);
      continue;
    }
    const known = next[index] as KnownEvent;
    if (event.endMs !== undefined && known.endMs !== event.endMs) {
      const changed = { ...known, endMs: event.endMs };
      next[index] = changed;
      updated.push(changed);
    }
  }
  return { next, added, updated };
}
