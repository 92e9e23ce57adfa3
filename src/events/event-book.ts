import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { removeStrayTemporaries, writeFileAtomic } from '../atomic-file.js';
import { PrescientError } from '../errors.js';
import { EVENT_KINDS, type KnownEvent } from './event.js';

/** An event before the book stamps it (`id` given by Alertmanager drafts, made up for the API's). */
export type EventDraft = Omit<KnownEvent, 'id' | 'receivedAtMs'> & { readonly id?: string };

export interface EventBookOptions {
  /** Where events persist (JSON, written atomically); undefined keeps them in memory (tests of pure effects). */
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

const FILE_VERSION = 1;
const fileSchema = z.object({
  version: z.literal(FILE_VERSION),
  kind: z.literal('prescient-events'),
  events: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(EVENT_KINDS),
      targets: z.array(z.string()),
      target: z.string().optional(),
      selector: z.string().optional(),
      startMs: z.number(),
      endMs: z.number().optional(),
      note: z.string(),
      multiplier: z.number().optional(),
      floor: z.number().optional(),
      source: z.enum(['api', 'alertmanager']),
      fingerprint: z.string().optional(),
      receivedAtMs: z.number(),
    }),
  ),
});

/**
 * Every known event, in memory and on disk: an event is written (atomically:
 * temporary file, then rename) before the request that brought it is
 * answered, so a restart loses nothing that was acknowledged. Adds are
 * serialised, so two requests never lose each other's events.
 */
export class EventBook {
  private events: KnownEvent[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EventBookOptions) {}

  /**
   * Reads the persisted events (none when the file does not exist).
   * @throws PrescientError PRESCIENT_ERR_PERSISTENCE when the file is unreadable or corrupt: refusing to start beats forgetting incidents
   */
  async load(): Promise<void> {
    const { file } = this.options;
    if (!file) return;
    // A write killed half-way leaves its temporary: remove it, the file itself is whole.
    await removeStrayTemporaries(dirname(file), (name) => name === basename(file)).catch(() => undefined);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new PrescientError('PRESCIENT_ERR_PERSISTENCE', `cannot read ${file}: ${(cause as Error).message}`, { cause });
    }
    try {
      this.events = fileSchema.parse(JSON.parse(text)).events as KnownEvent[];
    } catch (cause) {
      throw new PrescientError('PRESCIENT_ERR_PERSISTENCE', `${file} is corrupt or not a Prescient events file; move it away to start without its events`, { cause });
    }
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
    const next = [...this.events];
    const added: KnownEvent[] = [];
    const updated: KnownEvent[] = [];
    for (const draft of drafts) {
      const index = draft.id === undefined ? -1 : next.findIndex((e) => e.id === draft.id);
      if (index >= 0) {
        const known = next[index] as KnownEvent;
        if (draft.endMs !== undefined && known.endMs !== draft.endMs) {
          const changed = { ...known, endMs: draft.endMs };
          next[index] = changed;
          updated.push(changed);
        }
        continue;
      }
      const event: KnownEvent = { ...draft, id: draft.id ?? `ev-${randomUUID()}`, receivedAtMs: nowMs };
      next.push(event);
      added.push(event);
    }
    if (added.length === 0 && updated.length === 0) return { added, updated };
    const kept = this.prune(next, nowMs);
    await this.persist(kept);
    this.events = kept;
    return { added, updated };
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

  private async persist(events: readonly KnownEvent[]): Promise<void> {
    const { file } = this.options;
    if (!file) return;
    const body = JSON.stringify({ version: FILE_VERSION, kind: 'prescient-events', events });
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeFileAtomic(file, body);
    } catch (cause) {
      throw new PrescientError('PRESCIENT_ERR_PERSISTENCE', `cannot write ${file}: ${(cause as Error).message}`, { cause });
    }
  }
}
