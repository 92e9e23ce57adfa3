import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TargetStates } from '../engine/target-state.js';
import type { CircuitState } from '../sources/circuit-breaker.js';
import { exposition, type Metrics } from '../telemetry/metrics.js';

export interface HealthRoutesOptions {
  readonly states: TargetStates;
  readonly metrics: Metrics;
  /** Prometheus' circuit breaker, when a Prometheus is configured. */
  readonly prometheus?: { state(): CircuitState };
}

const readySchema = z.object({
  ready: z.boolean(),
  /** Targets that have neither a forecast nor a recorded error yet. */
  pending: z.array(z.string()),
  /** Targets whose last refresh failed (they may still serve a stale forecast). */
  failing: z.array(z.string()),
  /**
   * Prometheus' circuit breaker: `open` while it fails (targets serve their
   * last forecasts, stale). Informative: readiness stays per target, so a
   * Prometheus outage does not take the scaler's endpoints away from KEDA.
   */
  prometheus: z.object({ circuit: z.enum(['closed', 'open', 'half-open']) }).optional(),
});

export const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = async (app, { states, metrics, prometheus }) => {
  app.get('/healthz', { schema: { summary: 'Liveness: the process serves requests', response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  // Ready means "can answer the autoscaler": every target has had its first refresh (a forecast or a recorded
  // error) and at least one holds a forecast. All targets failing with nothing to serve is not ready.
  app.get('/readyz', {
    schema: { summary: 'Readiness: every target tried once, and at least one has a forecast to serve', response: { 200: readySchema, 503: readySchema } },
  }, async (_request, reply) => {
    const all = states.list();
    const pending = all.filter((s) => !s.forecast && !s.lastError).map((s) => s.config.name);
    const failing = all.filter((s) => s.lastError).map((s) => s.config.name);
    const serving = all.length === 0 || all.some((s) => s.forecast);
    const body = { ready: pending.length === 0 && serving, pending, failing, ...(prometheus ? { prometheus: { circuit: prometheus.state() } } : {}) };
    return reply.status(body.ready ? 200 : 503).send(body);
  });

  app.get('/metrics', { schema: { summary: 'Prometheus exposition', hide: true } }, async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await exposition(metrics));
  });
};
