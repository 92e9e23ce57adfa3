import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { PrescientError } from '../errors.js';
import { draftsFromAlertmanager } from '../events/alertmanager.js';
import { alertmanagerPayloadSchema, EVENT_KINDS, eventBodySchema, eventFields, eventJson, eventJsonSchema, matchTargets, type KnownEvent } from '../events/event.js';
import type { EventBook } from '../events/event-book.js';
import type { Metrics } from '../telemetry/metrics.js';
import { requireToken } from './auth.js';
import { errorBodySchema } from './schemas.js';

export interface EventRoutesOptions {
  readonly config: Readonly<Config>;
  readonly events: EventBook;
  /** Applies new events' effects (the engine: refit, reshape). */
  readonly apply: (added: readonly KnownEvent[], updated: readonly KnownEvent[]) => void;
  readonly metrics: Metrics;
}

const isoQuery = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const listQuery = z
  .object({
    target: z.string().min(1).max(63).optional(),
    kind: z.enum(EVENT_KINDS).optional(),
    /** Events overlapping [from, to]. */
    from: isoQuery.optional(),
    to: isoQuery.optional(),
  })
  .strict();

const webhookAnswer = z.object({
  added: z.array(eventJsonSchema),
  updated: z.array(eventJsonSchema),
  ignored: z.array(z.object({ fingerprint: z.string().optional(), alertname: z.string().optional(), reason: z.string() })),
});

const writeErrors = { 400: errorBodySchema, 401: errorBodySchema, 413: errorBodySchema, 415: errorBodySchema, 500: errorBodySchema };

/** One event's body: its note (≤ 2,000 characters) written with every character escaped is 12 KB; the rest is small. */
const EVENT_BODY_BYTES = 64 * 1024;

/**
 * Known events (docs/events.md): POST /api/v1/events (one generic event),
 * POST /api/v1/webhooks/alertmanager (Alertmanager's webhook, version 4),
 * GET /api/v1/events. Writes need the token; an event is persisted before
 * it is acknowledged, then its effects run (refit, reshape).
 */
export const eventRoutes: FastifyPluginAsyncZod<EventRoutesOptions> = async (app, { config, events, apply, metrics }) => {
  const names = config.targets.map((t) => t.name);

  app.post('/api/v1/events', {
    onRequest: requireToken(config.server.authToken),
    // One event (a note of at most 2,000 characters): a larger body is refused while it arrives, never parsed.
    bodyLimit: EVENT_BODY_BYTES,
    config: { jsonBody: { maxElements: 100 } },
    schema: {
      summary: 'Record a known event (deploy, incident, campaign, maintenance) for a target or a selector of targets',
      body: eventBodySchema,
      response: { 201: eventJsonSchema, ...writeErrors, 422: errorBodySchema },
    },
  }, async (request, reply) => {
    const body = request.body;
    const targets = matchTargets(names, body);
    if (targets.length === 0) {
      const field = body.target === undefined ? 'selector' : 'target';
      throw new PrescientError('PRESCIENT_ERR_EVENT_NO_TARGET', `${field} "${body.target ?? body.selector ?? ''}" matches no configured target`, {
        issues: [{ path: `body.${field}`, message: 'matches no configured target' }],
      });
    }
    const { added } = await events.add([
      { ...eventFields(body), targets, source: 'api' },
    ]);
    for (const e of added) metrics.events.inc({ kind: e.kind, source: e.source });
    apply(added, []);
    void reply.status(201);
    return eventJson(added[0] as KnownEvent);
  });

  app.post('/api/v1/webhooks/alertmanager', {
    onRequest: requireToken(config.server.authToken),
    schema: {
      summary: "Alertmanager's webhook (payload version 4): alerts labelled prescient_target become events",
      body: alertmanagerPayloadSchema,
      response: { 200: webhookAnswer, ...writeErrors },
    },
  }, async (request) => {
    const { drafts, ignored } = draftsFromAlertmanager(request.body, names);
    const { added, updated } = await events.add(drafts);
    for (const e of added) metrics.events.inc({ kind: e.kind, source: e.source });
    if (ignored.length > 0) request.log.warn({ ignored }, 'Alertmanager alerts that became no event');
    apply(added, updated);
    return { added: added.map(eventJson), updated: updated.map(eventJson), ignored };
  });

  app.get('/api/v1/events', {
    schema: {
      summary: 'Known events, oldest first, filtered by target, kind and time',
      querystring: listQuery,
      response: { 200: z.object({ events: z.array(eventJsonSchema) }), 400: errorBodySchema },
    },
  }, async (request) => {
    const q = request.query;
    return { events: events.list({ ...(q.target ? { target: q.target } : {}), ...(q.kind ? { kind: q.kind } : {}), ...(q.from === undefined ? {} : { fromMs: q.from }), ...(q.to === undefined ? {} : { toMs: q.to }) }).map(eventJson) };
  });
};
