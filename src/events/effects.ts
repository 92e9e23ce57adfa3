import type { Series } from '../series/series.js';
import { covers, type KnownEvent } from './event.js';

/**
 * What known events do to a target's data and forecasts. Pure functions: the
 * engine applies them to the history it fits and the forecast it serves, the
 * backtest to each origin's (docs/events.md).
 */

/** Whether time t (ms) lies in an incident window: such load is not normal, so it is neither trained on nor scored. */
export function incidentExcluder(events: readonly KnownEvent[]): ((tMs: number) => boolean) | undefined {
  const incidents = events.filter((e) => e.kind === 'incident');
  if (incidents.length === 0) return undefined;
  return (tMs) => incidents.some((e) => covers(e, tMs));
}

/**
 * The series with its steps inside incident windows replaced, so no model
 * learns from them: by the value one season earlier (itself already clean)
 * where the series reaches back that far, else by a straight line between
 * the clean neighbours. Returns the series unchanged when every step is
 * excluded (nothing clean to fill from).
 * @param periodSteps the season used to fill (the shortest of the target's, in steps); < 2 interpolates only
 */
export function withoutIncidents(series: Series, events: readonly KnownEvent[], periodSteps: number): { series: Series; replaced: number } {
  const excluded = incidentExcluder(events);
  if (!excluded) return { series, replaced: 0 };
  const stepMs = series.stepSeconds * 1000;
  const n = series.values.length;
  const out = [...series.values];
  const mask = out.map((_, i) => excluded(series.startMs + i * stepMs));
  const clean = mask.map((m) => !m);
  if (!clean.some(Boolean)) return { series, replaced: 0 };
  let replaced = 0;
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    replaced++;
    if (periodSteps >= 2 && i - periodSteps >= 0) {
      // The step a season earlier is clean, or was filled already (we walk forwards).
      out[i] = out[i - periodSteps] as number;
      continue;
    }
    let before = i - 1;
    while (before >= 0 && !clean[before]) before--;
    let after = i + 1;
    while (after < n && !clean[after]) after++;
    const a = before >= 0 ? (out[before] as number) : undefined;
    const b = after < n ? (out[after] as number) : undefined;
    out[i] = a !== undefined && b !== undefined ? a + ((b - a) * (i - before)) / (after - before) : ((a ?? b) as number);
  }
  return { series: { ...series, values: out }, replaced };
}

/** The parts of a forecast shaping reads and writes. */
export interface ShapeableForecast {
  readonly startMs: number;
  readonly stepSeconds: number;
  readonly point: readonly number[];
  readonly intervals: readonly { readonly level: number; readonly lower: readonly number[]; readonly upper: readonly number[] }[];
  readonly notes: readonly string[];
}

/**
 * The forecast as a known event shapes it: over each campaign or maintenance
 * window with a `multiplier`, point and bounds are multiplied by it; with a
 * `floor`, none is below it (load in the target's unit). Several events
 * apply in order of start. The recommendation follows, since it is read from
 * the forecast. Returns the same object when no event touches it.
 */
export function shapeForecast<F extends ShapeableForecast>(forecast: F, events: readonly KnownEvent[]): F {
  const shaping = events.filter((e) => (e.kind === 'campaign' || e.kind === 'maintenance') && (e.multiplier !== undefined || e.floor !== undefined));
  if (shaping.length === 0) return forecast;
  const stepMs = forecast.stepSeconds * 1000;
  const endMs = forecast.startMs + forecast.point.length * stepMs;
  const touching = shaping.filter((e) => e.startMs < endMs && (e.endMs ?? Number.POSITIVE_INFINITY) > forecast.startMs).sort((a, b) => a.startMs - b.startMs);
  if (touching.length === 0) return forecast;
  const apply = (values: readonly number[]): number[] =>
    values.map((v, i) => {
      const t = forecast.startMs + i * stepMs;
      let x = v;
      for (const e of touching) {
        if (!covers(e, t)) continue;
        if (e.multiplier !== undefined) x *= e.multiplier;
        if (e.floor !== undefined) x = Math.max(x, e.floor);
      }
      return x;
    });
  const notes = touching.map((e) => {
    const what = [e.multiplier === undefined ? '' : `× ${e.multiplier}`, e.floor === undefined ? '' : `floor ${e.floor}`].filter(Boolean).join(', ');
    return `${e.kind} ${new Date(e.startMs).toISOString()} – ${e.endMs === undefined ? 'open' : new Date(e.endMs).toISOString()} shapes the forecast (${what}): ${e.note}`;
  });
  return {
    ...forecast,
    point: apply(forecast.point),
    intervals: forecast.intervals.map((iv) => ({ ...iv, lower: apply(iv.lower), upper: apply(iv.upper) })),
    notes: [...forecast.notes, ...notes],
  };
}

/** One line for the backtest's output: which events it replays and what they did to the series. */
export function eventsSummary(events: readonly KnownEvent[], series: Series): string {
  const count = (kind: KnownEvent['kind']) => events.filter((e) => e.kind === kind).length;
  const { replaced } = withoutIncidents(series, events, 0);
  const shaping = events.filter((e) => (e.kind === 'campaign' || e.kind === 'maintenance') && (e.multiplier !== undefined || e.floor !== undefined)).length;
  return (
    `events: ${events.length} (${count('incident')} incidents covering ${replaced} steps, left out of fitting and scoring; ` +
    `${shaping} campaign/maintenance windows shaping the replay's forecasts; ${count('deploy')} deploys, annotations only)`
  );
}
