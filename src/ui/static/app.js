// The page's loop: every few seconds it reads the targets (state, model,
// live accuracy, recommendation) and updates the table and the plots in
// place; a target's plot data is read again when its forecast changes.
// State changes seen while the page is open become markers on the plot.
import { ApiError, enc, getJson, postJson, routes, setToken, token } from './api.js';
import { backtestSummary, renderBacktests, renderEvents, renderMeta, renderTargetRows, stateOf, targetCard } from './panels.js';
import { frontierChart, targetChart, targetColumns, timelineData } from './plots.js';

const POLL_MS = 5000;
/** Recommendations remembered per target for the past part of the replica line. */
const MAX_PAST = 720;

const $ = (id) => document.getElementById(id);
const toSec = (iso) => Math.floor(Date.parse(iso) / 1000);
const targets = new Map();
let available = new Set();
let tracked = [];

function status(text) {
  $('status').textContent = text;
}

/** Whether the service has a route, by its OpenAPI path. */
function has(path) {
  return available.has(path);
}

/** A per-target route that some versions of the service have (e.g. the frontier), by the first match. */
function optionalTargetRoute(word) {
  return [...available].find((p) => p.startsWith('/api/v1/targets/{name}/') && p.endsWith(word));
}

async function maybe(promise) {
  try {
    return await promise;
  } catch (err) {
    // A target without scaling or without a forecast answers 4xx/503 for some routes: nothing to show.
    if (err instanceof ApiError && err.status >= 400 && err.status < 600 && err.status !== 401) return undefined;
    throw err;
  }
}

function entry(summary) {
  let t = targets.get(summary.name);
  if (!t) {
    const parts = targetCard(summary.name);
    $('plots').append(parts.card);
    t = { parts, events: [], past: [], lastState: undefined, fitKey: undefined, chart: undefined, frontier: undefined };
    targets.set(summary.name, t);
  }
  return t;
}

function noteEvent(t, atSec, label) {
  if (t.events.some((e) => e.t === atSec && e.label === label)) return;
  t.events.push({ t: atSec, label });
  t.events.sort((a, b) => a.t - b.t);
  if (t.events.length > 200) t.events.shift();
}

/** Events the service knows (fits, errors, the watchdog's changes), plus changes this page saw. */
function collectEvents(t, summary) {
  const state = stateOf(summary).label;
  if (t.lastState !== undefined && t.lastState !== state) noteEvent(t, Math.floor(Date.now() / 1000), `${t.lastState} → ${state}`);
  t.lastState = state;
  if (summary.lastFitAt) noteEvent(t, toSec(summary.lastFitAt), `fit ${summary.model ?? ''}`.trim());
  if (summary.lastError) noteEvent(t, toSec(summary.lastError.at), `error ${summary.lastError.code}`);
  if (summary.health?.since) noteEvent(t, toSec(summary.health.since), summary.health.state);
  if (summary.health?.changepointAt) noteEvent(t, toSec(summary.health.changepointAt), 'changepoint');
}

async function refreshTimeline(t, summary) {
  const [actuals, forecast, schedule] = await Promise.all([
    maybe(getJson(`/api/v1/targets/${enc(summary.name)}/actuals`)),
    maybe(getJson(`/api/v1/targets/${enc(summary.name)}/forecast`)),
    maybe(getJson(`/api/v1/targets/${enc(summary.name)}/schedule`)),
  ]);
  t.actuals = (actuals?.timestamps ?? []).map((ts, i) => ({ t: toSec(ts), v: actuals.values[i] }));
  t.forecast = forecast && { t: forecast.timestamps.map(toSec), point: forecast.point, intervals: forecast.intervals };
  t.schedule = (schedule?.steps ?? []).map((s) => ({ t: toSec(s.at), v: s.replicas }));
}

function draw(t) {
  const levels = (t.forecast?.intervals ?? []).map((iv) => iv.level);
  const key = levels.join(',');
  if (!t.chart || t.chartLevels !== key) {
    t.chart?.destroy();
    t.parts.plot.replaceChildren();
    t.chart = targetChart(t.parts.plot, { unit: 'load', levels, getEvents: () => t.events });
    t.chartLevels = key;
  }
  const data = timelineData({ actuals: t.actuals ?? [], forecast: t.forecast, replicas: [...t.past, ...(t.schedule ?? [])] });
  t.chart.setData(targetColumns(data));
}

async function refreshFrontier(t, summary, recommendation) {
  const route = optionalTargetRoute('frontier');
  // Only a target whose knobs were chosen on the grid (a risk budget, or the own-history rule) has one; the others answer 409.
  if (!route || !['budget', 'own-history'].includes(recommendation?.basis?.knobsFrom)) return;
  const frontier = await maybe(getJson(route.replace('{name}', enc(summary.name))));
  const points = frontier?.points ?? frontier?.frontier?.points;
  if (!points?.length) return;
  const data = frontier.points ? frontier : frontier.frontier;
  t.parts.frontierBox.hidden = false;
  t.frontier?.destroy();
  t.parts.frontier.replaceChildren();
  t.frontier = frontierChart(t.parts.frontier, data);
  t.parts.frontierBox.querySelector('.frontier-meta').textContent = data.chosen?.reason ?? `${points.length} settings replayed with ${data.model ?? 'the served model'}`;
}

async function tick() {
  const { targets: list } = await getJson('/api/v1/targets');
  const extra = new Map();
  const accuracyRoute = has('/api/v1/targets/{name}/accuracy');
  const eventsRoute = has('/api/v1/events');
  await Promise.all(
    list.map(async (summary) => {
      const t = entry(summary);
      const [recommendation, accuracy, known] = await Promise.all([
        maybe(getJson(`/api/v1/targets/${enc(summary.name)}/recommendation`)),
        accuracyRoute ? maybe(getJson(`/api/v1/targets/${enc(summary.name)}/accuracy`)) : undefined,
        eventsRoute ? maybe(getJson(`/api/v1/events?target=${enc(summary.name)}`)) : undefined,
      ]);
      // Deploys, incidents, campaigns the platform told the service about (POST /api/v1/events, Alertmanager).
      for (const e of known?.events ?? []) noteEvent(t, toSec(e.start), `${e.kind}: ${e.note}`);
      extra.set(summary.name, { recommendation, accuracy });
      if (recommendation) {
        t.past.push({ t: toSec(recommendation.at), v: recommendation.replicas });
        if (t.past.length > MAX_PAST) t.past.shift();
      }
      collectEvents(t, summary);
      const fitKey = `${summary.lastFitAt ?? ''}|${summary.state}`;
      if (fitKey !== t.fitKey) {
        await refreshTimeline(t, summary);
        await refreshFrontier(t, summary, recommendation);
        t.fitKey = fitKey;
      }
      // The past part of the replica line is what this page saw; the schedule starts at the forecast.
      if (t.schedule?.length) t.past = t.past.filter((p) => p.t < t.schedule[0].t);
      draw(t);
      renderMeta(t.parts, summary, extra.get(summary.name));
      renderEvents(t.parts.events, t.events);
    }),
  );
  renderTargetRows($('targets').tBodies[0], list, extra, accuracyRoute);
  fillTargetChoice(list);
  status(`${list.length} targets · updated ${new Date().toLocaleTimeString()}`);
}

function fillTargetChoice(list) {
  const select = $('bt-target');
  const names = list.map((t) => t.name);
  if ([...select.options].map((o) => o.value).join() === names.join()) return;
  select.replaceChildren(...names.map((n) => Object.assign(document.createElement('option'), { value: n, textContent: n })));
}

async function refreshBacktests() {
  const { backtests } = await getJson('/api/v1/backtests');
  const jobs = await Promise.all(
    backtests.map(async (job) => {
      if (job.status === 'running' || job.status === 'queued') return job;
      const known = tracked.find((j) => j.id === job.id && j.status === job.status);
      if (known) return known;
      const full = await getJson(`/api/v1/backtests/${enc(job.id)}`);
      return { ...job, error: full.error, summary: full.result ? backtestSummary(full.result) : undefined };
    }),
  );
  tracked = jobs;
  renderBacktests($('backtests').tBodies[0], jobs, (id) => {
    const frame = $('report');
    frame.hidden = false;
    // The report is this service's own page (its own route; the id is not a secret, the token never goes in a URL).
    frame.src = `/api/v1/backtests/${enc(id)}/report`;
    frame.focus();
  });
}

function wireForms() {
  $('token').value = token() ? '••••••••' : '';
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('token').value.trim();
    if (value && !/^•+$/.test(value)) setToken(value);
    $('token').value = token() ? '••••••••' : '';
    status(token() ? 'Token kept for this tab.' : 'No token.');
  });
  $('token-forget').addEventListener('click', () => {
    setToken('');
    $('token').value = '';
    status('Token forgotten.');
  });
  $('backtest-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { target: $('bt-target').value, origins: Number($('bt-origins').value), horizon: $('bt-horizon').value, models: $('bt-models').value.split(',') };
    $('bt-status').textContent = `Starting a backtest of ${body.target}…`;
    try {
      const accepted = await postJson('/api/v1/backtests', body);
      $('bt-status').textContent = `Backtest ${accepted.id} is ${accepted.status}.`;
      await refreshBacktests();
    } catch (err) {
      $('bt-status').textContent = err instanceof ApiError && err.status === 401 ? 'The service needs a token for backtests: enter it above.' : `Could not start: ${err.message}`;
    }
  });
}

async function loop() {
  try {
    await tick();
    if (has('/api/v1/backtests')) await refreshBacktests();
  } catch (err) {
    status(`Could not update: ${err.message}`);
  }
  setTimeout(loop, POLL_MS);
}

async function main() {
  wireForms();
  available = await routes();
  await loop();
}

main();
