import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { removeStrayTemporaries, writeFileAtomic } from '../atomic-file.js';
import { PrescientError } from '../errors.js';
import { EVENT_KINDS, type KnownEvent } from './event.js';

/**
 * Where the known events persist: a file beside the forecasts (one
 * replica), or Redis when several replicas share them
 * (src/cluster/redis-events.ts). Both hold the same document.
 */
export interface EventStore {
  /**
   * Every persisted event (none yet: empty).
   * @throws PrescientError PRESCIENT_ERR_PERSISTENCE when unreadable or corrupt
   */
  read(): Promise<KnownEvent[]>;
  /**
   * Replaces the persisted events with what `change` makes of the current
   * ones, atomically against every other writer (another replica's change
   * is never lost: `change` may run again on the newer events). `change`
   * returning no `events` writes nothing.
   * @returns the events persisted now, and what `change` returned
   * @throws PrescientError PRESCIENT_ERR_PERSISTENCE (nothing was written then)
   */
  update<T>(change: (current: readonly KnownEvent[]) => { events?: KnownEvent[]; result: T }): Promise<{ events: KnownEvent[]; result: T }>;
}

const DOCUMENT_VERSION = 1;
const documentSchema = z.object({
  version: z.literal(DOCUMENT_VERSION),
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

/** The persisted document of every known event (a file's content, a Redis value). */
export function eventsDocument(events: readonly KnownEvent[]): string {
  return JSON.stringify({ version: DOCUMENT_VERSION, kind: 'prescient-events', events });
}

/**
 * Reads a persisted document.
 * @throws PrescientError PRESCIENT_ERR_PERSISTENCE when corrupt: refusing beats forgetting incidents
 */
export function parseEventsDocument(text: string, where: string): KnownEvent[] {
  try {
    return documentSchema.parse(JSON.parse(text)).events as KnownEvent[];
  } catch (cause) {
    throw new PrescientError('PRESCIENT_ERR_PERSISTENCE', `${where} is corrupt or not a Prescient events document; move it away to start without its events`, { cause });
  }
}

/**
 * Events in one JSON file, written atomically (temporary file, then
 * rename). Only this process writes it, so the events it last read or wrote
 * are the current ones.
 */
export class FileEventStore implements EventStore {
  private current: KnownEvent[] = [];

  constructor(private readonly file: string) {}

  async read(): Promise<KnownEvent[]> {
    const { file } = this;
    // A write killed half-way leaves its temporary: remove it, the file itself is whole.
    await removeStrayTemporaries(dirname(file), (name) => name === basename(file)).catch(() => undefined);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return (this.current = []);
      throw new PrescientError('PRESCIENT_ERR_PERSISTENCE', `cannot read ${file}: ${(cause as Error).message}`, { cause });
    }
    return (this.current = parseEventsDocument(text, file));
  }

  async update<T>(change: (current: readonly KnownEvent[]) => { events?: KnownEvent[]; result: T }): Promise<{ events: KnownEvent[]; result: T }> {
    const { events, result } = change(this.current);
    if (!events) return { events: this.current, result };
    try {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, eventsDocument(events));
    } catch (cause) {
      throw new PrescientError('PRESCIENT_ERR_PERSISTENCE', `cannot write ${this.file}: ${(cause as Error).message}`, { cause });
    }
    this.current = events;
    return { events, result };
  }
}

/** Events in memory only (tests of pure effects). */
export class MemoryEventStore implements EventStore {
  private current: KnownEvent[] = [];

  async read(): Promise<KnownEvent[]> {
    return this.current;
  }

  async update<T>(change: (current: readonly KnownEvent[]) => { events?: KnownEvent[]; result: T }): Promise<{ events: KnownEvent[]; result: T }> {
    const { events, result } = change(this.current);
    if (events) this.current = events;
    return { events: this.current, result };
  }
}
