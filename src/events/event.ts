import { z } from 'zod';

/**
 * Known events (DESIGN.md §7, docs/events.md): what platform teams already
 * emit — deploys, incidents, campaigns, maintenance — turned into effects on
 * a target's forecasts:
 *
 * - `deploy`: refit at once, judge live accuracy from the deploy on, and
 *   refresh often for the watch window after it (events.deployWatch).
 * - `incident`: its window is excluded from training and from scoring.
 * - `campaign` / `maintenance`: with a `multiplier` and/or a load `floor`,
 *   the forecast (and so the recommendation) is shaped over the window.
 */
export const EVENT_KINDS = ['deploy', 'incident', 'campaign', 'maintenance'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** A stored event. Times ms since epoch; `targets` are the names it matched when it arrived. */
export interface KnownEvent {
  readonly id: string;
  readonly kind: EventKind;
  readonly targets: readonly string[];
  /** What the sender named: a target, or a selector (a glob over target names). */
  readonly target?: string;
  readonly selector?: string;
  readonly startMs: number;
  /** Absent: open (an incident still firing; a deploy is a moment). */
  readonly endMs?: number;
  readonly note: string;
  /** Forecast load is multiplied by this over the window (campaign, maintenance). */
  readonly multiplier?: number;
  /** Forecast load is at least this over the window, in the target's unit (campaign, maintenance). */
  readonly floor?: number;
  readonly source: 'api' | 'alertmanager';
  /** Alertmanager's alert fingerprint: a resolved notification closes the event it opened. */
  readonly fingerprint?: string;
  readonly receivedAtMs: number;
}

/** What an event says, as POST /api/v1/events takes it and GET /api/v1/events returns it (times in ISO 8601). */
interface EventText {
  readonly kind: EventKind;
  readonly target?: string | undefined;
  readonly selector?: string | undefined;
  readonly start: string;
  readonly end?: string | undefined;
  readonly note: string;
  readonly multiplier?: number | undefined;
  readonly floor?: number | undefined;
}

/** The fields of a known event that its text gives, times in ms; the caller adds who matched it, where it came from and when. */
export function eventFields(e: EventText): Pick<KnownEvent, 'kind' | 'target' | 'selector' | 'startMs' | 'endMs' | 'note' | 'multiplier' | 'floor'> {
  return {
    kind: e.kind,
    ...(e.target === undefined ? {} : { target: e.target }),
    ...(e.selector === undefined ? {} : { selector: e.selector }),
    startMs: Date.parse(e.start),
    ...(e.end === undefined ? {} : { endMs: Date.parse(e.end) }),
    note: e.note,
    ...(e.multiplier === undefined ? {} : { multiplier: e.multiplier }),
    ...(e.floor === undefined ? {} : { floor: e.floor }),
  };
}

/** Effects with a window: they need an end, else they would shape every forecast from then on. */
const SHAPING = new Set<EventKind>(['campaign', 'maintenance']);

const isoTime = z.iso.datetime({ offset: true, message: 'an ISO 8601 time with a zone, e.g. 2026-12-06T15:00:00Z' });
const SELECTOR = /^[a-z0-9._*-]{1,63}$/;

/** POST /api/v1/events: one event `{target | selector, kind, start, end?, note, multiplier?, floor?}`. */
export const eventBodySchema = z
  .object({
    target: z.string().min(1).max(63).optional(),
    /** A glob over target names: `*` matches any run of characters ("checkout-*", "*"). */
    selector: z.string().regex(SELECTOR, 'lower-case letters, digits, ".", "_", "-" and "*", at most 63').optional(),
    kind: z.enum(EVENT_KINDS),
    start: isoTime,
    end: isoTime.optional(),
    note: z.string().min(1).max(2000),
    multiplier: z.number().min(0).max(1000).optional(),
    floor: z.number().min(0).max(1e15).optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.target === undefined) === (e.selector === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: 'give exactly one of target or selector' });
    }
    if (e.end !== undefined && Date.parse(e.end) <= Date.parse(e.start)) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'end must be after start' });
    }
    const shapes = e.multiplier !== undefined || e.floor !== undefined;
    if (shapes && !SHAPING.has(e.kind)) {
      ctx.addIssue({ code: 'custom', path: ['multiplier'], message: 'multiplier and floor apply to campaign and maintenance events only' });
    }
    if (shapes && e.end === undefined) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'a multiplier or floor needs the end of its window' });
    }
  });
export type EventBody = z.infer<typeof eventBodySchema>;

/**
 * Alertmanager's webhook payload, version 4 (prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 * Unknown fields are allowed: newer Alertmanagers add some, and what is read here is stable.
 */
const labelSet = z.record(z.string(), z.string());
export const alertmanagerAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: isoTime,
  /** "0001-01-01T00:00:00Z" while firing. */
  endsAt: z.string().default('0001-01-01T00:00:00Z'),
  generatorURL: z.string().optional(),
  fingerprint: z.string().max(64).optional(),
});
export const alertmanagerPayloadSchema = z.object({
  version: z.string(),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet.default({}),
  commonLabels: labelSet.default({}),
  commonAnnotations: labelSet.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(alertmanagerAlertSchema).max(1000),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;
export type AlertmanagerAlert = z.infer<typeof alertmanagerAlertSchema>;

/** The labels an alert sets to become an event (docs/events.md). */
export const ALERT_LABELS = {
  target: 'prescient_target',
  kind: 'prescient_kind',
  multiplier: 'prescient_multiplier',
  floor: 'prescient_floor',
} as const;

/** Whether `name` matches a selector glob (`*` any run of characters). */
export function matchesSelector(selector: string, name: string): boolean {
  const pattern = selector.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${pattern}$`).test(name);
}

/** The configured names an event's target or selector matches. */
export function matchTargets(names: readonly string[], by: { target?: string; selector?: string }): string[] {
  if (by.target !== undefined) return names.filter((n) => n === by.target);
  if (by.selector !== undefined) return names.filter((n) => matchesSelector(by.selector as string, n));
  return [];
}

/** Whether an event covers time t (ms): open events run until now. */
export function covers(event: KnownEvent, tMs: number): boolean {
  return tMs >= event.startMs && (event.endMs === undefined || tMs < event.endMs);
}

/** The event as the API shows it (ISO times). */
export function eventJson(e: KnownEvent): EventJson {
  return {
    id: e.id,
    kind: e.kind,
    targets: [...e.targets],
    ...(e.target === undefined ? {} : { target: e.target }),
    ...(e.selector === undefined ? {} : { selector: e.selector }),
    start: new Date(e.startMs).toISOString(),
    ...(e.endMs === undefined ? {} : { end: new Date(e.endMs).toISOString() }),
    note: e.note,
    ...(e.multiplier === undefined ? {} : { multiplier: e.multiplier }),
    ...(e.floor === undefined ? {} : { floor: e.floor }),
    source: e.source,
    receivedAt: new Date(e.receivedAtMs).toISOString(),
  };
}

export const eventJsonSchema = z.object({
  id: z.string(),
  kind: z.enum(EVENT_KINDS),
  targets: z.array(z.string()),
  target: z.string().optional(),
  selector: z.string().optional(),
  start: z.string(),
  end: z.string().optional(),
  note: z.string(),
  multiplier: z.number().optional(),
  floor: z.number().optional(),
  source: z.enum(['api', 'alertmanager']),
  receivedAt: z.string(),
});
export type EventJson = z.infer<typeof eventJsonSchema>;
