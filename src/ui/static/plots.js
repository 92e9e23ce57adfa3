// uPlot charts: per target the observed load, the served forecast with its
// bands and the recommended replicas (right axis), events as vertical
// markers; the frontier of policy settings when the service has one.

const COLOURS = { actual: '#1d2330', forecast: '#1f6feb', band95: 'rgba(31,111,235,0.12)', band80: 'rgba(31,111,235,0.22)', replicas: '#bf5700', marker: '#8250df', settings: '#1f6feb', hpa: '#cf222e', chosen: '#1a7f37' };
const HEIGHT = { wide: 300, narrow: 220 };

function plotHeight(width) {
  return width < 600 ? HEIGHT.narrow : HEIGHT.wide;
}

/** One ascending time axis (seconds) for every series; each series null where it has no value. */
export function timelineData({ actuals, forecast, replicas }) {
  const times = new Set();
  const add = (ts) => ts.forEach((t) => times.add(t));
  add(actuals.map((p) => p.t));
  if (forecast) add(forecast.t);
  add(replicas.map((p) => p.t));
  const x = [...times].sort((a, b) => a - b);
  const index = new Map(x.map((t, i) => [t, i]));
  const column = () => new Array(x.length).fill(null);
  const actual = column();
  actuals.forEach((p) => (actual[index.get(p.t)] = p.v));
  const point = column();
  const bands = (forecast?.intervals ?? []).map(() => ({ lower: column(), upper: column() }));
  forecast?.t.forEach((t, i) => {
    const at = index.get(t);
    point[at] = forecast.point[i];
    forecast.intervals.forEach((iv, k) => {
      bands[k].lower[at] = iv.lower[i];
      bands[k].upper[at] = iv.upper[i];
    });
  });
  const reps = column();
  replicas.forEach((p) => (reps[index.get(p.t)] = p.v));
  return { x, actual, point, bands, replicas: reps };
}

/** Vertical lines with a short label at each event time, drawn over the plot area. */
function markerPlugin(getEvents) {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx } = u;
          const { left, top, width, height } = u.bbox;
          ctx.save();
          ctx.strokeStyle = COLOURS.marker;
          ctx.fillStyle = COLOURS.marker;
          ctx.setLineDash([4, 3]);
          ctx.lineWidth = devicePixelRatio;
          ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
          for (const event of getEvents()) {
            const x = u.valToPos(event.t, 'x', true);
            if (x < left || x > left + width) continue;
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.fillText(event.label, Math.min(x + 3 * devicePixelRatio, left + width - 60 * devicePixelRatio), top + 12 * devicePixelRatio);
          }
          ctx.restore();
        },
      ],
    },
  };
}

/**
 * Creates the target's chart in `container`, sized to it and kept so on
 * resize. `levels` are the forecast's interval levels (ascending).
 */
export function targetChart(container, { unit, levels, getEvents }) {
  const series = [
    {},
    { label: 'actual load', stroke: COLOURS.actual, width: 1.5, scale: 'load' },
    { label: 'forecast', stroke: COLOURS.forecast, width: 2, scale: 'load' },
  ];
  const bands = [];
  // Widest band first so the narrower one is drawn over it.
  [...levels].reverse().forEach((level) => {
    const fill = level >= 0.9 ? COLOURS.band95 : COLOURS.band80;
    const upper = series.push({ label: `${Math.round(level * 100)} % upper`, stroke: fill, scale: 'load', width: 1 }) - 1;
    const lower = series.push({ label: `${Math.round(level * 100)} % lower`, stroke: fill, scale: 'load', width: 1 }) - 1;
    bands.push({ series: [upper, lower], fill });
  });
  series.push({ label: 'recommended replicas', stroke: COLOURS.replicas, width: 2, scale: 'replicas', paths: uPlot.paths.stepped({ align: 1 }) });
  const width = container.clientWidth;
  const options = {
    width,
    height: plotHeight(width),
    series,
    bands,
    scales: { x: { time: true }, replicas: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.15))] } },
    axes: [{}, { scale: 'load', label: unit, size: 60 }, { scale: 'replicas', side: 1, label: 'replicas', grid: { show: false }, size: 45 }],
    legend: { live: width >= 600 },
    plugins: [markerPlugin(getEvents)],
  };
  const chart = new uPlot(options, [[], ...series.slice(1).map(() => [])], container);
  new ResizeObserver(() => {
    const w = container.clientWidth;
    if (w > 0 && Math.abs(w - chart.width) > 1) chart.setSize({ width: w, height: plotHeight(w) });
  }).observe(container);
  return chart;
}

/** Data columns in the order targetChart made its series. */
export function targetColumns(data) {
  return [data.x, data.actual, data.point, ...[...data.bands].reverse().flatMap((b) => [b.upper, b.lower]), data.replicas];
}

/**
 * The frontier: under-provisioned minutes per week against replica-hours for
 * each policy setting, beside the plain HPA at each target utilisation. The
 * served point is marked: the budget's choice, or the reactive scaling served
 * instead when that choice did not beat headroom on the target's own history.
 */
export function frontierChart(container, frontier) {
  const fallback = frontier.chosen?.fallback;
  const spanMinutes = (frontier.endMs - frontier.startMs) / 60_000;
  const rows = [
    ...(frontier.points ?? []).map((p, i) => ({ x: p.replicaHours, setting: p.underProvisionedMinutesPerWeek, served: !fallback && frontier.chosen?.index === i })),
    ...(frontier.plainHpa ?? []).map((p) => ({ x: p.replicaHours, hpa: p.underProvisionedMinutesPerWeek })),
    ...(fallback && spanMinutes > 0 ? [{ x: fallback.replicaHours, hpa: (fallback.underProvisionedMinutes * 7 * 24 * 60) / spanMinutes, served: true }] : []),
  ].sort((a, b) => a.x - b.x);
  const col = (key) => rows.map((r) => r[key] ?? null);
  const served = rows.map((r) => (r.served ? (r.setting ?? r.hpa) : null));
  const points = (stroke, size) => ({ show: true, size, stroke, fill: stroke });
  const width = container.clientWidth;
  const chart = new uPlot(
    {
      width,
      height: plotHeight(width),
      scales: { x: { time: false } },
      axes: [{ label: 'replica-hours' }, { label: 'under-provisioned min / week', size: 60 }],
      series: [
        {},
        { label: 'policy settings', stroke: COLOURS.settings, paths: () => null, points: points(COLOURS.settings, 7) },
        { label: 'plain HPA', stroke: COLOURS.hpa, paths: () => null, points: points(COLOURS.hpa, 7) },
        { label: fallback ? 'served: reactive fallback' : 'chosen', stroke: COLOURS.chosen, paths: () => null, points: points(COLOURS.chosen, 12) },
      ],
    },
    [col('x'), col('setting'), col('hpa'), served],
    container,
  );
  new ResizeObserver(() => {
    const w = container.clientWidth;
    if (w > 0 && Math.abs(w - chart.width) > 1) chart.setSize({ width: w, height: plotHeight(w) });
  }).observe(container);
  return chart;
}
