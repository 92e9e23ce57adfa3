import { Gauge, type Registry } from 'prom-client';
import { formatDuration } from '../config/duration.js';
import { forecastAgeMs, isStale, type TargetState, type TargetStates } from './target-state.js';
import { sharedRecommender, type Recommender } from './recommender.js';
import type { Recommendation } from '../scaling/policy.js';

/** Targets whose recommendations a scrape computes before it lets the event loop serve others. */
export const RECOMMENDATIONS_PER_SLICE = 50;

/** Horizons the forecast gauges are exported at, seconds ahead of now. */
export const GAUGE_HORIZONS_SECONDS = [300, 900, 3600] as const;

/**
 * Index of the first forecast step at or after `atMs` (a forecast value holds
 * for its step, so coarse data still reports its next step at 5 m), or
 * undefined past the horizon.
 */
function stepIndexAt(state: TargetState, atMs: number): number | undefined {
  const forecast = state.forecast;
  if (!forecast) return undefined;
  const index = Math.max(0, Math.ceil((atMs - forecast.startMs) / (forecast.stepSeconds * 1000)));
  return index < forecast.point.length ? index : undefined;
}

/**
 * Registers forecast gauges on `registry`, computed from TargetStates at each
 * scrape (Grafana ML style names, prescient_ prefix):
 * - prescient_forecast_yhat{target, horizon}: point forecast horizon ahead ("5m", "15m", "1h")
 * - prescient_forecast_yhat_lower / _upper{target, level, horizon}: interval bounds; the
 *   interval at level L spans quantiles (1−L)/2 … (1+L)/2, so the scaling quantile q is
 *   yhat_upper at level 2q−1
 * - prescient_recommended_replicas{target}: what the scaling policy recommends now
 * - prescient_scaling_window_load{target}: the quantile-q load over the lead window (what replicas are sized for)
 * - prescient_forecast_age_seconds{target}, prescient_forecast_stale{target} (1 = stale)
 * - prescient_observed_load{target}: the last observed value of the history behind the served
 *   forecast (what the reactive floor sizes on), so a dashboard can set the actual load beside
 *   the forecast made for that time without knowing each target's own query
 * Labels are bounded: targets come from configuration, levels (≤ 5 per target) from
 * configuration, horizons from GAUGE_HORIZONS_SECONDS. Targets without a
 * forecast (or without scaling, for the replica gauges) are left out, never reported as 0.
 * @param now clock, ms since epoch
 * @param recommender defaults to sharedRecommender(states), the one the KEDA scaler and REST routes use
 */
export function registerForecastGauges(
  registry: Registry,
  states: TargetStates,
  now: () => number = Date.now,
  recommender: Recommender = sharedRecommender(states),
): void {
  const horizons = GAUGE_HORIZONS_SECONDS.map((seconds) => ({ seconds, label: formatDuration(seconds) }));
  /** Calls `visit` with each target's forecast step at each gauge horizon from now (when the forecast reaches it). */
  const eachStepAhead = (visit: (state: TargetState, step: number, horizon: string) => void): void => {
    const nowMs = now();
    for (const state of states.list()) {
      for (const h of horizons) {
        const i = stepIndexAt(state, nowMs + h.seconds * 1000);
        if (i !== undefined) visit(state, i, h.label);
      }
    }
  };

  new Gauge({
    name: 'prescient_forecast_yhat',
    help: 'Point forecast of the target series, horizon ahead of now.',
    labelNames: ['target', 'horizon'],
    registers: [registry],
    collect() {
      this.reset();
      eachStepAhead((state, i, horizon) => {
        const value = state.forecast?.point[i];
        if (value !== undefined && Number.isFinite(value)) this.set({ target: state.config.name, horizon }, value);
      });
    },
  });

  for (const bound of ['lower', 'upper'] as const) {
    new Gauge({
      name: `prescient_forecast_yhat_${bound}`,
      help: `${bound === 'lower' ? 'Lower' : 'Upper'} bound of the forecast interval at level (quantile ${bound === 'lower' ? '(1−level)/2' : '(1+level)/2'}), horizon ahead of now.`,
      labelNames: ['target', 'level', 'horizon'],
      registers: [registry],
      collect() {
        this.reset();
        eachStepAhead((state, i, horizon) => {
          for (const interval of state.forecast?.intervals ?? []) {
            const value = interval[bound][i];
            if (value !== undefined && Number.isFinite(value)) {
              this.set({ target: state.config.name, level: String(interval.level), horizon }, value);
            }
          }
        });
      },
    });
  }

  /**
   * Recommendations for scaled targets at this scrape; a target that cannot
   * be recommended is left out. One computation serves both gauges of a
   * scrape (prom-client collects every metric at once), and it runs in
   * slices with the event loop free between them: a recommendation costs
   * ~0.2 ms, so 1,000 targets done in one go held KEDA's calls for ~0.2 s
   * per gauge at every scrape.
   */
  const computeRecommendations = async (): Promise<{ target: string; rec: Recommendation }[]> => {
    const nowMs = now();
    const scaled = states.list().filter((state) => state.config.scaling && state.forecast);
    const out: { target: string; rec: Recommendation }[] = [];
    for (let from = 0; from < scaled.length; from += RECOMMENDATIONS_PER_SLICE) {
      if (from > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const state of scaled.slice(from, from + RECOMMENDATIONS_PER_SLICE)) {
        try {
          out.push({ target: state.config.name, rec: recommender.recommend(state.config.name, nowMs) });
        } catch {
          // Not recommendable now (e.g. stale): left out, never a fake value.
        }
      }
    }
    return out;
  };
  let pending: Promise<{ target: string; rec: Recommendation }[]> | undefined;
  const recommendations = (): Promise<{ target: string; rec: Recommendation }[]> => {
    if (!pending) {
      const computing = computeRecommendations();
      pending = computing;
      // Both gauges ask in the same tick; the next scrape computes afresh.
      void computing.finally(() => {
        if (pending === computing) pending = undefined;
      });
    }
    return pending;
  };

  new Gauge({
    name: 'prescient_recommended_replicas',
    help: 'Replicas the scaling policy recommends now.',
    labelNames: ['target'],
    registers: [registry],
    async collect() {
      const list = await recommendations();
      this.reset();
      for (const { target, rec } of list) this.set({ target }, rec.replicas);
    },
  });

  new Gauge({
    name: 'prescient_scaling_window_load',
    help: 'Highest forecast load at the scaling quantile over the lead window: what the recommended replicas are sized for.',
    labelNames: ['target'],
    registers: [registry],
    async collect() {
      const list = await recommendations();
      this.reset();
      for (const { target, rec } of list) this.set({ target }, rec.basis.windowMaxLoad);
    },
  });

  new Gauge({
    name: 'prescient_observed_load',
    help: 'Last observed value of the history behind the served forecast (the load the reactive floor sizes on), in the series unit; updated at each refresh.',
    labelNames: ['target'],
    registers: [registry],
    collect() {
      this.reset();
      for (const state of states.list()) {
        const value = state.forecast?.lastObserved.value;
        if (value !== undefined && Number.isFinite(value)) this.set({ target: state.config.name }, value);
      }
    },
  });

  new Gauge({
    name: 'prescient_forecast_age_seconds',
    help: 'Age of the data behind the served forecast, seconds: from the end of its fitted history (or when it was made, if earlier) to now.',
    labelNames: ['target'],
    registers: [registry],
    collect() {
      this.reset();
      const nowMs = now();
      for (const state of states.list()) {
        if (state.forecast) this.set({ target: state.config.name }, forecastAgeMs(state.forecast, nowMs) / 1000);
      }
    },
  });

  new Gauge({
    name: 'prescient_forecast_stale',
    help: '1 when the served forecast is stale (last refresh failed, or its age past staleAfter), else 0.',
    labelNames: ['target'],
    registers: [registry],
    collect() {
      this.reset();
      const nowMs = now();
      for (const state of states.list()) {
        if (state.forecast) this.set({ target: state.config.name }, isStale(state, nowMs) ? 1 : 0);
      }
    },
  });
}
