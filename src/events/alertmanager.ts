import { createHash } from 'node:crypto';
import { PrescientError } from '../errors.js';
import { ALERT_LABELS, EVENT_KINDS, matchTargets, type AlertmanagerAlert, type AlertmanagerPayload, type EventKind } from './event.js';
import type { EventDraft } from './event-book.js';

/** The only webhook payload version this receiver reads (Alertmanager ≥ 0.7 sends "4"). */
export const ALERTMANAGER_VERSION = '4';

/** An alert that became no event, and why (the webhook's answer lists them: a label to fix). */
export interface IgnoredAlert {
  readonly fingerprint?: string;
  readonly alertname?: string;
  readonly reason: string;
}

/** Alertmanager writes this for "no end yet". */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Turns one Alertmanager notification into event drafts. An alert becomes an
 * event when its labels (or annotations) say which target: `prescient_target`
 * (a name, or a glob with `*`); `prescient_kind` picks the kind (default
 * `incident`: an alert is most often one); `prescient_multiplier` and
 * `prescient_floor` shape a campaign or maintenance window. A resolved alert
 * carries its end. Alerts that name no configured target, or say something
 * invalid, are listed as ignored: the notification as a whole is accepted, so
 * Alertmanager does not retry it forever.
 * @throws PrescientError PRESCIENT_ERR_WEBHOOK_VERSION for a payload version other than 4
 */
export function draftsFromAlertmanager(payload: AlertmanagerPayload, names: readonly string[]): { drafts: EventDraft[]; ignored: IgnoredAlert[] } {
  if (payload.version !== ALERTMANAGER_VERSION) {
    throw new PrescientError('PRESCIENT_ERR_WEBHOOK_VERSION', `Alertmanager webhook payload version "${payload.version}" is not supported; this receiver reads version 4`, {
      issues: [{ path: 'body.version', message: 'expected "4"' }],
    });
  }
  const drafts: EventDraft[] = [];
  const ignored: IgnoredAlert[] = [];
  for (const alert of payload.alerts) {
    const read = (key: string): string | undefined => alert.labels[key] ?? alert.annotations[key] ?? payload.commonLabels[key];
    const about = { ...(alert.fingerprint ? { fingerprint: alert.fingerprint } : {}), ...(alert.labels['alertname'] ? { alertname: alert.labels['alertname'] } : {}) };
    const result = draftFrom(alert, read, names);
    if (typeof result === 'string') ignored.push({ ...about, reason: result });
    else drafts.push(result);
  }
  return { drafts, ignored };
}

function draftFrom(alert: AlertmanagerAlert, read: (key: string) => string | undefined, names: readonly string[]): EventDraft | string {
  const named = read(ALERT_LABELS.target);
  if (!named) return `no ${ALERT_LABELS.target} label`;
  const by = named.includes('*') ? { selector: named } : { target: named };
  const targets = matchTargets(names, by);
  if (targets.length === 0) return `${ALERT_LABELS.target}="${named}" matches no configured target`;
  const kindText = read(ALERT_LABELS.kind) ?? 'incident';
  if (!(EVENT_KINDS as readonly string[]).includes(kindText)) return `${ALERT_LABELS.kind}="${kindText}" is not one of ${EVENT_KINDS.join(', ')}`;
  const kind = kindText as EventKind;
  const multiplier = numberOf(read(ALERT_LABELS.multiplier));
  const floor = numberOf(read(ALERT_LABELS.floor));
  if (multiplier === null || (multiplier !== undefined && (multiplier < 0 || multiplier > 1000))) return `${ALERT_LABELS.multiplier} must be a number in [0, 1000]`;
  if (floor === null || (floor !== undefined && floor < 0)) return `${ALERT_LABELS.floor} must be a number ≥ 0`;
  if ((multiplier !== undefined || floor !== undefined) && kind !== 'campaign' && kind !== 'maintenance') return 'multiplier and floor apply to campaign and maintenance events only';
  const startMs = Date.parse(alert.startsAt);
  const endMs = alert.status === 'resolved' && alert.endsAt !== ZERO_TIME ? Date.parse(alert.endsAt) : undefined;
  if (endMs !== undefined && !(endMs > startMs)) return 'endsAt is not after startsAt';
  const fingerprint = alert.fingerprint ?? createHash('sha256').update(JSON.stringify(Object.entries(alert.labels).sort())).digest('hex').slice(0, 16);
  return {
    // One alert firing from startsAt is one event: re-notifications and its resolution update it.
    id: `am-${fingerprint}-${startMs}`,
    kind,
    targets,
    ...by,
    startMs,
    ...(endMs === undefined ? {} : { endMs }),
    note: alert.annotations['summary'] ?? alert.annotations['description'] ?? alert.labels['alertname'] ?? 'Alertmanager alert',
    ...(multiplier === undefined ? {} : { multiplier }),
    ...(floor === undefined ? {} : { floor }),
    source: 'alertmanager',
    fingerprint,
  };
}

/** undefined when absent, null when not a finite number. */
function numberOf(text: string | undefined): number | undefined | null {
  if (text === undefined) return undefined;
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) ? value : null;
}
