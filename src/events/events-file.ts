import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PrescientError, type FieldIssue } from '../errors.js';
import { eventBodySchema, eventFields, eventJsonSchema, matchesSelector, type KnownEvent } from './event.js';

/**
 * A file of known events for the backtest (`prescient backtest --events
 * FILE`): a JSON array of events as POST /api/v1/events takes them, or the
 * answer of GET /api/v1/events (`{"events": […]}`), so a team can replay
 * what its service received. With a target name, only the events that name
 * it (target, selector or matched targets) are kept; without one (a file or
 * a query as the history), every event applies.
 * @throws PrescientError PRESCIENT_ERR_SOURCE_FILE (unreadable, not JSON),
 *   PRESCIENT_ERR_VALIDATION (an event that is not valid, `issues` naming `events[i].field`)
 */
export function readEventsFile(path: string, targetName?: string): KnownEvent[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new PrescientError('PRESCIENT_ERR_SOURCE_FILE', `cannot read the events file ${path}: ${(cause as Error).message}`, { cause });
  }
  const exported = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
  const parsed = exported ? z.object({ events: z.array(eventJsonSchema) }).safeParse(raw) : z.array(eventBodySchema).safeParse(raw);
  if (!parsed.success) {
    const issues: FieldIssue[] = parsed.error.issues.map((i) => ({
      path: i.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : `${acc}.${String(p)}`), exported ? '' : 'events').replace(/^\./, ''),
      message: i.message,
    }));
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', `${path}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
  }
  const events: KnownEvent[] = !exported
    ? (parsed.data as z.infer<typeof eventBodySchema>[]).map((e, i) => ({
        ...eventFields(e),
        id: `file-${i}`,
        targets: e.target !== undefined ? [e.target] : [],
        source: 'api' as const,
        receivedAtMs: 0,
      }))
    : (parsed.data as { events: z.infer<typeof eventJsonSchema>[] }).events.map((e) => ({
        ...eventFields(e),
        id: e.id,
        targets: e.targets,
        source: e.source,
        receivedAtMs: Date.parse(e.receivedAt),
      }));
  if (targetName === undefined) return events;
  return events.filter((e) => e.targets.includes(targetName) || e.target === targetName || (e.selector !== undefined && matchesSelector(e.selector, targetName)));
}
