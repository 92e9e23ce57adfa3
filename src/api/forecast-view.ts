import { formatDuration } from '../config/duration.js';
import { isStale, type TargetForecast, type TargetState } from '../engine/target-state.js';
import { PrescientError } from '../errors.js';
import type { ForecastBody } from './schemas.js';

const LEVEL_TOLERANCE = 1e-6;

/**
 * Cuts a target's stored forecast to a horizon and a set of levels for REST.
 * @param horizonSeconds defaults to the whole stored horizon
 * @param levels defaults to every stored level
 * @throws PrescientError PRESCIENT_ERR_FORECAST_UNAVAILABLE (nothing fitted yet),
 *   PRESCIENT_ERR_HORIZON_TOO_LONG, PRESCIENT_ERR_LEVEL_UNAVAILABLE
 */
export function forecastView(state: TargetState, nowMs: number, horizonSeconds?: number, levels?: readonly number[]): ForecastBody {
  const forecast = state.forecast;
  if (!forecast) {
    const reason = state.lastError ? `last attempt failed: ${state.lastError.code}: ${state.lastError.message}` : 'the first fit has not finished';
    throw new PrescientError('PRESCIENT_ERR_FORECAST_UNAVAILABLE', `no forecast for ${state.config.name} yet (${reason})`);
  }
  const stored = forecast.point.length;
  const steps = horizonSeconds === undefined ? stored : Math.ceil(horizonSeconds / forecast.stepSeconds);
  if (steps > stored) {
    throw new PrescientError(
      'PRESCIENT_ERR_HORIZON_TOO_LONG',
      `horizon of ${steps} steps is longer than the ${stored} steps forecast for ${state.config.name} (${formatDuration(stored * forecast.stepSeconds)})`,
      { issues: [{ path: 'query.horizon', message: `at most ${formatDuration(stored * forecast.stepSeconds)}` }] },
    );
  }
  const intervals = (levels ?? forecast.intervals.map((i) => i.level)).map((level) => {
    const interval = forecast.intervals.find((i) => Math.abs(i.level - level) < LEVEL_TOLERANCE);
    if (!interval) {
      const available = forecast.intervals.map((i) => i.level).join(', ');
      throw new PrescientError('PRESCIENT_ERR_LEVEL_UNAVAILABLE', `level ${level} is not forecast for ${state.config.name}; available: ${available}`, {
        issues: [{ path: 'query.levels', message: `choose among ${available}` }],
      });
    }
    return { level: interval.level, lower: interval.lower.slice(0, steps), upper: interval.upper.slice(0, steps) };
  });
  const stepMs = forecast.stepSeconds * 1000;
  return {
    target: forecast.target,
    model: forecast.model,
    ...(forecast.fallbackFrom ? { fallbackFrom: forecast.fallbackFrom } : {}),
    generatedAt: new Date(forecast.generatedAtMs).toISOString(),
    step: formatDuration(forecast.stepSeconds),
    stepSeconds: forecast.stepSeconds,
    timestamps: Array.from({ length: steps }, (_, i) => new Date(forecast.startMs + i * stepMs).toISOString()),
    point: forecast.point.slice(0, steps),
    intervals,
    stale: isStale(state, nowMs),
    notes: [...forecast.notes],
  };
}

/** Rendered bodies per stored forecast; a new forecast object starts a new cache, the old one is collected. */
const rendered = new WeakMap<TargetForecast, Map<string, string>>();
/** Distinct (horizon, levels, stale) renderings kept per forecast: dashboards ask for a handful. */
const MAX_RENDERINGS = 32;

/**
 * forecastView as JSON text, cached per stored forecast: serving a cached
 * forecast is the hottest path (dashboards, autoscalers), and building 288
 * ISO timestamps and serialising ~40 kB on every request would cap it far
 * below its goal. Same errors as forecastView.
 */
export function forecastJson(state: TargetState, nowMs: number, horizonSeconds?: number, levels?: readonly number[]): string {
  const forecast = state.forecast;
  if (!forecast) return JSON.stringify(forecastView(state, nowMs, horizonSeconds, levels));
  const key = `${horizonSeconds ?? ''}|${levels?.join(',') ?? ''}|${isStale(state, nowMs)}`;
  let cache = rendered.get(forecast);
  if (!cache) {
    cache = new Map();
    rendered.set(forecast, cache);
  }
  let body = cache.get(key);
  if (body === undefined) {
    body = JSON.stringify(forecastView(state, nowMs, horizonSeconds, levels));
    if (cache.size >= MAX_RENDERINGS) cache.clear();
    cache.set(key, body);
  }
  return body;
}
