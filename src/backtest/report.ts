/**
 * A self-contained HTML report of a backtest (no scripts, fonts or other
 * external assets; the plots are hand-written SVG): the actual load with each
 * model's forecasts and 80 %/95 % intervals at every origin, the replicas each
 * policy kept ready against the replicas the load needed, and both tables.
 */
import type { BacktestResult, ModelSummary } from './result.js';
import { fallbackLabel, frontierRows, frontierVerdict, knobsLabel, markedIndex, servedFallback } from './frontier-view.js';
import { policyLabel, replayCadenceHint, replayVerdict } from './table.js';

const WIDTH = 1100;
const PLOT_HEIGHT = 260;
const MARGIN = { left: 70, right: 20, top: 28, bottom: 34 };
const MAX_POINTS = 4000;
const POLICY_COLOURS: Record<string, string> = { reactive: '#d62728', predictive: '#1f77b4', snaive: '#ff7f0e', oracle: '#2ca02c', headroom: '#9467bd' };

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

interface Scale {
  x(tMs: number): number;
  y(value: number): number;
}

function makeScale(t0: number, t1: number, y0: number, y1: number): Scale {
  const w = WIDTH - MARGIN.left - MARGIN.right;
  const h = PLOT_HEIGHT - MARGIN.top - MARGIN.bottom;
  const span = y1 - y0 || 1;
  return {
    x: (t) => MARGIN.left + ((t - t0) / (t1 - t0 || 1)) * w,
    y: (v) => MARGIN.top + h - ((v - y0) / span) * h,
  };
}

function fmt(n: number): string {
  return n.toFixed(1);
}

/** Every k-th index so a line has at most MAX_POINTS vertices. */
function stride(length: number): number {
  return Math.max(1, Math.ceil(length / MAX_POINTS));
}

function polyline(times: readonly number[], values: readonly number[], s: Scale, attrs: string, step = false): string {
  const k = stride(values.length);
  const pts: string[] = [];
  for (let i = 0; i < values.length; i += k) {
    const x = s.x(times[i] as number);
    const y = s.y(values[i] as number);
    if (step && pts.length > 0) {
      const prevY = pts[pts.length - 1]?.split(',')[1] ?? fmt(y);
      pts.push(`${fmt(x)},${prevY}`);
    }
    pts.push(`${fmt(x)},${fmt(y)}`);
  }
  return `<polyline fill="none" ${attrs} points="${pts.join(' ')}"/>`;
}

function band(times: readonly number[], lower: readonly number[], upper: readonly number[], s: Scale, fill: string): string {
  const k = stride(lower.length);
  const top: string[] = [];
  const bottom: string[] = [];
  for (let i = 0; i < lower.length; i += k) {
    top.push(`${fmt(s.x(times[i] as number))},${fmt(s.y(upper[i] as number))}`);
    bottom.push(`${fmt(s.x(times[i] as number))},${fmt(s.y(lower[i] as number))}`);
  }
  return `<polygon fill="${fill}" stroke="none" points="${[...top, ...bottom.reverse()].join(' ')}"/>`;
}

function axes(s: Scale, t0: number, t1: number, y0: number, y1: number, yLabel: string): string {
  const parts: string[] = [];
  const bottom = PLOT_HEIGHT - MARGIN.bottom;
  parts.push(`<line x1="${MARGIN.left}" y1="${bottom}" x2="${WIDTH - MARGIN.right}" y2="${bottom}" stroke="#888"/>`);
  parts.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${bottom}" stroke="#888"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = y0 + ((y1 - y0) * k) / 4;
    const y = s.y(v);
    parts.push(`<line x1="${MARGIN.left}" y1="${fmt(y)}" x2="${WIDTH - MARGIN.right}" y2="${fmt(y)}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${fmt(y + 4)}" text-anchor="end" font-size="11">${escapeXml(v.toPrecision(3))}</text>`);
  }
  // One tick per day (or per 1/8 of the span when shorter).
  const day = 86_400_000;
  const tickMs = t1 - t0 > 2 * day ? day : Math.max(60_000, (t1 - t0) / 8);
  for (let t = Math.ceil(t0 / tickMs) * tickMs; t <= t1; t += tickMs) {
    const x = s.x(t);
    const label = new Date(t).toISOString().slice(tickMs >= day ? 5 : 11, tickMs >= day ? 10 : 16);
    parts.push(`<line x1="${fmt(x)}" y1="${bottom}" x2="${fmt(x)}" y2="${bottom + 4}" stroke="#888"/>`);
    parts.push(`<text x="${fmt(x)}" y="${bottom + 16}" text-anchor="middle" font-size="11">${label}</text>`);
  }
  parts.push(`<text x="14" y="${MARGIN.top + 10}" font-size="11" transform="rotate(-90 14 ${MARGIN.top + 10})" text-anchor="end">${escapeXml(yLabel)}</text>`);
  return parts.join('');
}

function legend(items: readonly { label: string; colour: string }[]): string {
  // Spread over the plot's width, so any number of items fits.
  const spacing = Math.min(190, (WIDTH - MARGIN.left - MARGIN.right - 10) / Math.max(1, items.length));
  return items
    .map((item, i) => {
      const x = MARGIN.left + 10 + i * spacing;
      return `<rect x="${x}" y="8" width="14" height="4" fill="${item.colour}"/><text x="${x + 20}" y="14" font-size="11">${escapeXml(item.label)}</text>`;
    })
    .join('');
}

function svg(body: string, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${PLOT_HEIGHT}" viewBox="0 0 ${WIDTH} ${PLOT_HEIGHT}" role="img" aria-label="${escapeXml(title)}"><title>${escapeXml(title)}</title>${body}</svg>`;
}

/** Actual load with one model's forecasts and intervals at each origin. */
export function forecastPlot(result: BacktestResult, model: ModelSummary): string {
  const { actual, series } = result;
  const stepMs = series.stepSeconds * 1000;
  const times = actual.values.map((_, i) => actual.startMs + i * stepMs);
  const t0 = actual.startMs;
  const t1 = times[times.length - 1] ?? t0;
  let y1 = Math.max(...actual.values);
  let y0 = Math.min(0, ...actual.values);
  for (const o of model.origins) {
    const widest = o.forecast?.intervals[o.forecast.intervals.length - 1];
    if (widest) {
      y1 = Math.max(y1, ...widest.upper);
      y0 = Math.min(y0, ...widest.lower);
    }
  }
  const s = makeScale(t0, t1, y0, y1);
  const parts: string[] = [axes(s, t0, t1, y0, y1, 'load')];
  for (const o of model.origins) {
    const x = s.x(o.originMs);
    parts.push(`<line x1="${fmt(x)}" y1="${MARGIN.top}" x2="${fmt(x)}" y2="${PLOT_HEIGHT - MARGIN.bottom}" stroke="#bbb" stroke-dasharray="3,3"/>`);
    if (!o.forecast) continue;
    const ft = o.forecast.point.map((_, i) => o.originMs + i * stepMs).filter((t) => t <= t1);
    const n = ft.length;
    const sorted = [...o.forecast.intervals].sort((a, b) => b.level - a.level);
    sorted.forEach((interval, k) => {
      parts.push(band(ft, interval.lower.slice(0, n), interval.upper.slice(0, n), s, k === 0 ? 'rgba(31,119,180,0.15)' : 'rgba(31,119,180,0.3)'));
    });
    parts.push(polyline(ft, o.forecast.point.slice(0, n), s, 'stroke="#1f77b4" stroke-width="1.3"'));
  }
  parts.push(polyline(times, actual.values, s, 'stroke="#222" stroke-width="1"'));
  parts.push(
    legend([
      { label: 'actual load', colour: '#222' },
      { label: `${model.model} forecast`, colour: '#1f77b4' },
      { label: '95 % / 80 % intervals', colour: 'rgba(31,119,180,0.4)' },
    ]),
  );
  return svg(parts.join(''), `${model.model}: forecasts at each origin against the actual load`);
}

/** Ready replicas per policy against the replicas the load needed (load / capacity). */
export function replicaPlot(result: BacktestResult): string {
  const replay = result.replay;
  if (!replay) return '';
  const { timesMs, load, readyReplicas } = replay.timeline;
  const needed = load.map((l) => l / replay.params.capacityPerReplica);
  const t0 = timesMs[0] ?? 0;
  const t1 = timesMs[timesMs.length - 1] ?? t0;
  const all = [...needed, ...Object.values(readyReplicas).flat()];
  const s = makeScale(t0, t1, 0, Math.max(1, ...all) * 1.05);
  const parts: string[] = [axes(s, t0, t1, 0, Math.max(1, ...all) * 1.05, 'replicas')];
  parts.push(polyline(timesMs, needed, s, 'stroke="#999" stroke-width="1"', true));
  const order = ['reactive', 'headroom', 'snaive', 'oracle', 'predictive'] as const;
  for (const name of order) {
    parts.push(polyline(timesMs, readyReplicas[name], s, `stroke="${POLICY_COLOURS[name]}" stroke-width="1.2" stroke-opacity="0.85"`, true));
  }
  parts.push(
    legend([
      { label: 'needed (load / capacity)', colour: '#999' },
      ...order.map((name) => ({ label: name, colour: POLICY_COLOURS[name] ?? '#000' })),
    ]),
  );
  return svg(parts.join(''), 'ready replicas of each policy against the replicas the load needed');
}

/**
 * Under-provisioned minutes against replica-hours: one point per knob
 * setting, the plain HPA as a line through its targets, and a ring on what
 * is served: the budget's choice, the reactive scaling served instead when
 * that choice did not beat headroom, or without a budget the setting replayed.
 */
export function frontierPlot(result: BacktestResult): string {
  const replay = result.replay;
  const frontier = replay?.frontier;
  if (!replay || !frontier) return '';
  const hpa = [...frontier.plainHpa].sort((a, b) => a.replicaHours - b.replicaHours);
  const fallback = servedFallback(replay);
  const shown = [...frontier.points, ...hpa, ...(fallback ? [fallback] : [])];
  const xs = shown.map((p) => p.replicaHours);
  const ys = shown.map((p) => p.underProvisionedMinutes);
  const x0 = Math.min(...xs) * 0.97;
  const x1 = Math.max(...xs) * 1.03;
  const y1 = Math.max(1, ...ys) * 1.08;
  const s = makeScale(x0, x1, 0, y1);
  const bottom = PLOT_HEIGHT - MARGIN.bottom;
  const parts: string[] = [];
  parts.push(`<line x1="${MARGIN.left}" y1="${bottom}" x2="${WIDTH - MARGIN.right}" y2="${bottom}" stroke="#888"/>`);
  parts.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${bottom}" stroke="#888"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = (y1 * k) / 4;
    parts.push(`<line x1="${MARGIN.left}" y1="${fmt(s.y(v))}" x2="${WIDTH - MARGIN.right}" y2="${fmt(s.y(v))}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${fmt(s.y(v) + 4)}" text-anchor="end" font-size="11">${escapeXml(v.toPrecision(3))}</text>`);
    const h = x0 + ((x1 - x0) * k) / 4;
    parts.push(`<text x="${fmt(s.x(h))}" y="${bottom + 16}" text-anchor="middle" font-size="11">${escapeXml(h.toPrecision(4))}</text>`);
  }
  parts.push(`<text x="14" y="${MARGIN.top + 10}" font-size="11" transform="rotate(-90 14 ${MARGIN.top + 10})" text-anchor="end">under-provisioned min</text>`);
  parts.push(`<text x="${WIDTH - MARGIN.right}" y="${bottom - 6}" text-anchor="end" font-size="11">replica-hours</text>`);
  parts.push(polyline(hpa.map((h) => h.replicaHours), hpa.map((h) => h.underProvisionedMinutes), s, `stroke="${POLICY_COLOURS.reactive}" stroke-width="1.5"`));
  for (const h of hpa) {
    parts.push(`<circle cx="${fmt(s.x(h.replicaHours))}" cy="${fmt(s.y(h.underProvisionedMinutes))}" r="2.5" fill="${POLICY_COLOURS.reactive}"><title>plain HPA at ${(h.utilisation * 100).toFixed(0)} %</title></circle>`);
  }
  const marked = markedIndex(replay);
  frontier.points.forEach((p, k) => {
    const cx = fmt(s.x(p.replicaHours));
    const cy = fmt(s.y(p.underProvisionedMinutes));
    parts.push(`<circle cx="${cx}" cy="${cy}" r="3.5" fill="${POLICY_COLOURS.predictive}" fill-opacity="0.75"><title>${escapeXml(knobsLabel(p.knobs))}</title></circle>`);
    if (k === marked) parts.push(ring(cx, cy, `served: ${knobsLabel(p.knobs)}`));
  });
  if (fallback) parts.push(ring(fmt(s.x(fallback.replicaHours)), fmt(s.y(fallback.underProvisionedMinutes)), `served: ${fallbackLabel(fallback.utilisation)}`));
  parts.push(
    legend([
      { label: 'a knob setting (predictive)', colour: POLICY_COLOURS.predictive ?? '#000' },
      { label: 'plain HPA through its targets', colour: POLICY_COLOURS.reactive ?? '#000' },
      { label: ringLegend(frontier), colour: '#000' },
    ]),
  );
  return svg(parts.join(''), 'the frontier: under-provisioned minutes against replica-hours, one point per knob setting, the plain HPA as a line');
}

function ring(cx: string, cy: string, title: string): string {
  return `<circle cx="${cx}" cy="${cy}" r="8" fill="none" stroke="#000" stroke-width="1.5"><title>${escapeXml(title)}</title></circle>`;
}

function ringLegend(frontier: NonNullable<NonNullable<BacktestResult['replay']>['frontier']>): string {
  if (frontier.chosen?.fallback) return 'ringed: the reactive scaling served instead of the budget’s choice';
  return frontier.chosen ? 'ringed: the budget’s choice' : 'ringed: the setting replayed above';
}

function htmlTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = header.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table>`;
}

const n = (v: number | null, d: number): string => (v === null ? '—' : v.toFixed(d));

/** The whole report as one HTML document. */
export function renderReport(result: BacktestResult): string {
  const accuracy = htmlTable(
    ['model', 'MASE', 'sMAPE %', 'coverage 80 %', 'coverage 95 %', `pinball q${result.settings.quantile}`, 'fit time (s)', 'origins scored'],
    result.models.map((m) => [
      m.model,
      n(m.mase, 3),
      n(m.smape, 2),
      n(m.coverage80 === null ? null : m.coverage80 * 100, 1),
      n(m.coverage95 === null ? null : m.coverage95 * 100, 1),
      n(m.pinball, 3),
      n(m.fitTimeMs === null ? null : m.fitTimeMs / 1000, 2),
      `${m.originsScored}/${m.originsScored + m.failures}`,
    ]),
  );
  const replayed = result.replay;
  const replay = replayed
    ? htmlTable(
        ['policy', 'under-provisioned min', 'shortfall (load·min)', 'peak shortfall', 'replica-hours', 'scale events', 'under-prov. vs HPA', 'replica-h vs HPA'],
        replayed.policies.map((p) => [
          policyLabel(p, replayed.params),
          p.underProvisionedMinutes.toFixed(1),
          p.shortfallLoadMinutes.toPrecision(4),
          p.peakShortfall.toPrecision(4),
          p.replicaHours.toFixed(1),
          String(p.scaleEvents),
          n(p.ratiosToReactive.underProvisionedMinutes, 2),
          n(p.ratiosToReactive.replicaHours, 3),
        ]),
      )
    : '<p>Replay skipped.</p>';
  const params = result.replay?.params;
  const hint = replayCadenceHint(result);
  const forecastPlots = result.models
    .filter((m) => m.origins.some((o) => o.forecast))
    .map((m) => `<h3>${escapeXml(m.model)}</h3>${forecastPlot(result, m)}`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Prescient backtest — ${escapeXml(result.source)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}svg{display:block;margin:6px 0 16px;background:#fff}</style>
</head><body>
<h1>Prescient backtest</h1>
<p>Source: <code>${escapeXml(result.source)}</code>; ${result.series.length} steps of ${result.series.stepSeconds} s from ${new Date(result.series.startMs).toISOString()} (${result.series.filledGaps} gaps filled).
${result.settings.origins} origins, ${result.settings.spacingSeconds} s apart, horizon ${result.settings.horizonSeconds} s, history ≤ ${result.settings.historySeconds} s, seasonal periods ${result.settings.seasonalPeriodsSeconds.join(', ') || 'none'} s.</p>
<h2>Forecast accuracy</h2>
${accuracy}
<h2>Forecasts at each origin</h2>
${forecastPlots}
<h2>Autoscaling replay</h2>
${params ? `<p>Capacity per replica ${params.capacityPerReplica.toPrecision(4)} (reactive HPA target ${params.hpaTargetPerReplica.toPrecision(4)} per pod; forecast policies scale on ${params.policyCapacityPerReplica.toPrecision(4)}${params.reactiveTrigger ? ', beside the reactive trigger' : ', alone'}), pod start-up ${params.startupDelaySeconds} s, metric lag ${params.metricLagSeconds} s, lead time ${params.leadTimeSeconds} s, quantile ${params.quantile}, replicas ${params.minReplicas}–${params.maxReplicas}, predictive model ${escapeXml(params.model)} refitted every ${params.refitEverySeconds} s.
${escapeXml(params.sizing)}.
<code>headroom</code> is the reactive HPA with its target lowered to ${(params.headroomUtilisation * 100).toFixed(1)} % of a replica's capacity, the lowest at which it runs no more replica-hours than the predictive policy: the same budget spent on spare capacity instead of a forecast.</p>` : ''}
${replay}
${replayed ? `<p>${escapeXml(replayVerdict(result))}</p>` : ''}
${hint ? `<p><strong>Note:</strong> ${escapeXml(hint)}</p>` : ''}
${replicaPlot(result)}
${replayed?.frontier ? `<h2>Frontier: every knob setting on the same forecasts</h2>
${frontierPlot(result)}
${(() => { const t = frontierRows(replayed); return htmlTable(t.header, t.rows); })()}
<p>${escapeXml(frontierVerdict(replayed))}</p>` : ''}
<p><small>Generated ${new Date().toISOString()} by prescient backtest.</small></p>
</body></html>
`;
}
