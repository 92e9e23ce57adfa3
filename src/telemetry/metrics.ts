import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prescient's own metrics, on a registry of its own (never prom-client's
 * global one, so several apps in one process — tests — don't collide).
 * Label values are bounded: target names come from configuration, model
 * names from the registry, outcomes from a fixed set.
 */
/**
 * Exposition text of metric families computed at scrape time by their owner,
 * appended to the registries' at each scrape: for families of many series
 * that prom-client would set and format in one go (the forecast gauges,
 * src/engine). Given as UTF-8 pieces whose concatenation is the text (HELP,
 * TYPE and sample lines, each ending in a line break; a blank line between
 * families), so that no one string holds it all.
 */
export type ScrapeCollector = () => Promise<Buffer[]>;

export interface Metrics {
  readonly registry: Registry;
  /** Families written at scrape time beside the registry's (ScrapeCollector). */
  readonly scrapeCollectors: ScrapeCollector[];
  /** By model only: a histogram per target is 15 series each, and 1,000 targets made /metrics 2.8 MB. */
  readonly fitDurationSeconds: Histogram<'model'>;
  readonly fits: Counter<'target' | 'model'>;
  readonly frontierDurationSeconds: Histogram<'target'>;
  readonly fitFailures: Counter<'target' | 'model' | 'code'>;
  readonly fallbacks: Counter<'target' | 'from' | 'to'>;
  readonly forecastAdjustments: Counter<'target' | 'kind'>;
  readonly prometheusRequestSeconds: Histogram<'outcome'>;
  readonly prometheusErrors: Counter<'code'>;
  readonly filledGaps: Gauge<'target'>;
  readonly droppedSamples: Counter<'target'>;
  readonly refreshLagSeconds: Histogram<'kind'>;
  /** Where `prescient_refreshes_waiting` reads its value at scrape time (the engine's scheduler). */
  readonly refreshesWaiting: { read: () => number };
  /** Live accuracy of served forecasts (src/feedback), per target and window (1h, 1d, 1w). */
  readonly liveMase: Gauge<'target' | 'window'>;
  readonly liveBias: Gauge<'target' | 'window'>;
  readonly liveCoverage: Gauge<'target' | 'window' | 'level'>;
  /** 1 for the watchdog state the target is in, 0 for the others. */
  readonly targetState: Gauge<'target' | 'state'>;
  readonly stateTransitions: Counter<'target' | 'from' | 'to'>;
  /** Refreshes run out of schedule: watchdog (degraded, changepoint) or event (deploy). */
  readonly earlyRefits: Counter<'target' | 'reason'>;
  /** Shadow mode: under-provisioned minutes and replica-hours of what ran vs what was recommended, per window (1d, 1w). */
  readonly shadowUnderProvisionedMinutes: Gauge<'target' | 'window' | 'basis'>;
  readonly shadowReplicaHours: Gauge<'target' | 'window' | 'basis'>;
  /** Known events received (src/events). */
  readonly events: Counter<'kind' | 'source'>;
  /** 1 for the state Prometheus' circuit breaker is in (closed, open, half-open), 0 for the others. */
  readonly prometheusCircuitState: Gauge<'state'>;
  readonly prometheusCircuitTransitions: Counter<'from' | 'to'>;
}

/**
 * Node's process metrics (prom-client's defaults), collected once per
 * process: collectDefaultMetrics starts an event-loop-delay sampler that
 * wakes the loop 100 times a second and a GC observer, and nothing can stop
 * them. One per app kept waking the loop after `app.close()` and piled up
 * where one process builds many apps (the test suites: 89 wake-ups a second
 * after 20 apps).
 */
let processRegistry: Registry | undefined;
/**
 * How often the event-loop-delay sampler wakes the loop, ms (prom-client's default: 10). Each wake-up costs the
 * loop ~50 µs of CPU on the machines measured: at 10 ms, 5 ms of CPU a second with nothing to do, and ~0.4 ms
 * billed to every request of 80 ms (benchmarks/parse-cost.ts). At 20 ms that is halved, and the lag gauges keep
 * their meaning: each sample is a delay measured to the nanosecond, every stall of 20 ms or more (what a 4 MB body
 * may cost at issue 11's 5 ms per MB) delays a sample, and a shorter one with a chance of its length in 20 ms.
 */
export const EVENT_LOOP_SAMPLE_MS = 20;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'prescient_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  }
  return processRegistry;
}

/** Series a scrape formats before it lets the event loop serve others (a few ms of formatting). */
export const SERIES_PER_SLICE = 1000;

/** A label value or HELP text as the text format wants it: backslash and line break escaped (and quotes, in a label value). */
const escapeText = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const labelText = (labels: Readonly<Record<string, string | number | undefined>>): string => {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (value !== undefined) parts.push(`${name}="${typeof value === 'string' ? escapeText(value).replace(/"/g, '\\"') : value}"`);
  }
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
};
const valueText = (value: number): string =>
  Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value);

/**
 * The `/metrics` exposition, as bytes: the process's metrics and this app's,
 * then the families written at scrape time. The registries' series are
 * formatted here, SERIES_PER_SLICE at a time with the event loop free between
 * slices, rather than by prom-client's own exposition, which formats every
 * series in one go: 1,000 targets a day old hold ~18,000 series there (live
 * accuracy, watchdog states), 60–500 ms in one go, that long a wait for every
 * KEDA call arriving during a scrape. The text is prom-client's, line for line
 * (test/telemetry). Each slice is encoded as it is made and the bytes put
 * together at the end: joining the text into one string first cost 16–36 ms
 * of one turn for a 2 MB scrape, concatenating the bytes ~1 ms.
 */
export async function exposition(metrics: Metrics): Promise<Buffer> {
  const written = Promise.all(metrics.scrapeCollectors.map((collect) => collect()));
  const chunks: Buffer[] = [];
  let lines: string[] = [];
  const endSlice = (): void => {
    if (lines.length === 0) return;
    lines.push('');
    chunks.push(Buffer.from(lines.join('\n')));
    lines = [];
  };
  for (const registry of [processMetrics(), metrics.registry]) {
    for (const { name } of registry.getMetricsAsArray()) {
      const metric = registry.getSingleMetric(name);
      if (!metric) continue;
      const { help, type, values } = await metric.get();
      if (chunks.length > 0 || lines.length > 0) lines.push('');
      lines.push(`# HELP ${name} ${escapeText(help)}`, `# TYPE ${name} ${type}`);
      for (const series of values as ReadonlyArray<{ value: number; labels: Record<string, string | number | undefined>; metricName?: string }>) {
        lines.push(`${series.metricName ?? name}${labelText(series.labels)} ${valueText(series.value)}`);
        if (lines.length >= SERIES_PER_SLICE) {
          endSlice();
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    }
  }
  endSlice();
  // A blank line before each collector's families, as between the registries' own.
  for (const pieces of await written) chunks.push(BLANK_LINE, ...pieces);
  return Buffer.concat(chunks);
}

const BLANK_LINE = Buffer.from('\n');

export function createMetrics(): Metrics {
  const registry = new Registry();
  const refreshesWaiting = { read: () => 0 };
  processMetrics(); // started with the first app, so that its first scrape has samples
  new Gauge({
    name: 'prescient_refreshes_waiting',
    help: 'Targets due for a refresh and waiting for a free slot.',
    registers: [registry],
    collect() {
      this.set(refreshesWaiting.read());
    },
  });
  return {
    registry,
    scrapeCollectors: [],
    fitDurationSeconds: new Histogram({
      name: 'prescient_fit_duration_seconds',
      help: 'Time to fetch nothing but fit one model and forecast, in the worker pool, by model (per target: prescient_fits_total).',
      labelNames: ['model'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    fits: new Counter({
      name: 'prescient_fits_total',
      help: 'Fits that served a forecast, per target and the model that served it.',
      labelNames: ['target', 'model'],
      registers: [registry],
    }),
    frontierDurationSeconds: new Histogram({
      name: 'prescient_frontier_duration_seconds',
      help: 'Time to replay the knob settings of a risk-budget frontier, or the configured knobs for the own-history check, after a model selection (HPA simulations only; part of the fit).',
      labelNames: ['target'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    fitFailures: new Counter({
      name: 'prescient_fit_failures_total',
      help: 'Fits that failed or were rejected, by error code.',
      labelNames: ['target', 'model', 'code'],
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: 'prescient_model_fallbacks_total',
      help: 'Forecasts served by a fallback model because the preferred one failed.',
      labelNames: ['target', 'from', 'to'],
      registers: [registry],
    }),
    forecastAdjustments: new Counter({
      name: 'prescient_forecast_adjustments_total',
      help: 'Forecasts served after a repair instead of refused: kind interval_clipped (bands beyond 3x the history range), bounds_clipped (the target bounds), point_replaced (a point beyond that range; the next model served).',
      labelNames: ['target', 'kind'],
      registers: [registry],
    }),
    prometheusRequestSeconds: new Histogram({
      name: 'prescient_prometheus_request_duration_seconds',
      help: 'Latency of query_range requests to Prometheus.',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    prometheusErrors: new Counter({
      name: 'prescient_prometheus_errors_total',
      help: 'Failed history pulls from Prometheus, by error code.',
      labelNames: ['code'],
      registers: [registry],
    }),
    droppedSamples: new Counter({
      name: 'prescient_history_dropped_samples_total',
      help: 'Samples a source returned outside the history window asked for (e.g. dated in the future), dropped before fitting.',
      labelNames: ['target'],
      registers: [registry],
    }),
    refreshLagSeconds: new Histogram({
      name: 'prescient_refresh_lag_seconds',
      help: 'How long a scheduled refresh waited past its due time for a free slot, by kind (refit or full selection).',
      labelNames: ['kind'],
      buckets: [0.1, 1, 5, 15, 60, 180, 450, 900, 1800, 3600],
      registers: [registry],
    }),
    refreshesWaiting,
    filledGaps: new Gauge({
      name: 'prescient_history_filled_gaps',
      help: 'Steps of the last fitted history that were gaps filled by interpolation.',
      labelNames: ['target'],
      registers: [registry],
    }),
    liveMase: new Gauge({
      name: 'prescient_live_mase',
      help: 'MASE of the served forecasts at the lead time the policy scales on, over the window (1h, 1d, 1w).',
      labelNames: ['target', 'window'],
      registers: [registry],
    }),
    liveBias: new Gauge({
      name: 'prescient_live_bias',
      help: 'Mean (forecast − actual) over mean |actual| of the served forecasts, over the window: > 0 means over-forecast.',
      labelNames: ['target', 'window'],
      registers: [registry],
    }),
    liveCoverage: new Gauge({
      name: 'prescient_live_coverage',
      help: 'Share of actuals inside the served interval at the level, over the window.',
      labelNames: ['target', 'window', 'level'],
      registers: [registry],
    }),
    targetState: new Gauge({
      name: 'prescient_target_state',
      help: "1 for the watchdog's state of the target (trusted, degraded, reactive), 0 for the others.",
      labelNames: ['target', 'state'],
      registers: [registry],
    }),
    stateTransitions: new Counter({
      name: 'prescient_target_state_transitions_total',
      help: 'Watchdog transitions between trusted, degraded and reactive.',
      labelNames: ['target', 'from', 'to'],
      registers: [registry],
    }),
    prometheusCircuitState: new Gauge({
      name: 'prescient_prometheus_circuit_state',
      help: "1 for the state of Prometheus' circuit breaker (closed, open, half-open), 0 for the others.",
      labelNames: ['state'],
      registers: [registry],
    }),
    prometheusCircuitTransitions: new Counter({
      name: 'prescient_prometheus_circuit_transitions_total',
      help: "Changes of state of Prometheus' circuit breaker.",
      labelNames: ['from', 'to'],
      registers: [registry],
    }),
    earlyRefits: new Counter({
      name: 'prescient_early_refits_total',
      help: 'Refits run ahead of the refresh interval, by reason (watchdog, deploy, incident).',
      labelNames: ['target', 'reason'],
      registers: [registry],
    }),
    shadowUnderProvisionedMinutes: new Gauge({
      name: 'prescient_shadow_under_provisioned_minutes',
      help: 'Shadow mode: minutes the load exceeded the capacity of the replicas that ran (basis="ran") or would have exceeded the recommended ones (basis="recommended"), over the window.',
      labelNames: ['target', 'window', 'basis'],
      registers: [registry],
    }),
    shadowReplicaHours: new Gauge({
      name: 'prescient_shadow_replica_hours',
      help: 'Shadow mode: replica-hours that ran (basis="ran") and that were recommended (basis="recommended"), over the window.',
      labelNames: ['target', 'window', 'basis'],
      registers: [registry],
    }),
    events: new Counter({
      name: 'prescient_events_total',
      help: 'Known events received, by kind (deploy, incident, campaign, maintenance) and source (api, alertmanager).',
      labelNames: ['kind', 'source'],
      registers: [registry],
    }),
  };
}
