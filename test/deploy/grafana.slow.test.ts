import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { findExecutable, freePort, startPrometheus, type PrometheusHarness } from '../support/prometheus.js';
import { generateRegimeHistory, type RegimeHistory } from '../support/regime-openmetrics.js';
import {
  EXTERNAL_METRICS,
  SCRAPE_INTERVAL_SECONDS,
  customValues,
  dashboardQueries,
  expandQuery,
  metricNames,
  readDashboard,
  type Dashboard,
} from './grafana-dashboard.js';

/**
 * The Grafana dashboard (deploy/grafana/prescient.json) against the real
 * thing: a real Prometheus (Debian's) scrapes a running Prescient every
 * second over loopback HTTP while Prescient reads its targets' history from
 * that same Prometheus (backfilled, 15 days). Prescient's clock walks the
 * last 5 hours of that history an hour at a time (refreshing every target
 * each hour, as its scheduler would) so that live accuracy, watchdog states,
 * fits, a failed fit with its fallback and a failed history pull all exist
 * on /metrics. Then every panel's expression is expanded as Grafana would
 * (each value of the custom variables, the query variables from
 * Prometheus' label API) and must parse (promtool check rules) and return
 * a series with a finite value through Prometheus' HTTP API (query_range,
 * as Grafana runs panels). A renamed metric therefore breaks the test.
 *
 * kube-state-metrics (the "running replicas" line) cannot run here: its
 * one expression must parse and run, and is the only one allowed no data.
 */

const execFileAsync = promisify(execFile);
const HOUR_MS = 3_600_000;

let prometheus: PrometheusHarness<RegimeHistory>;
let t: TestApp;
let dashboard: Dashboard;
let clockMs = 0;
/** Real time at which Prometheus began scraping (s since epoch). */
let scrapedFromS = 0;

interface PromAnswer {
  status: string;
  error?: string;
  data?: { result?: { metric: Record<string, string>; values?: [number, string][] }[] } | string[];
}

async function api(path: string, params: Record<string, string>): Promise<PromAnswer> {
  const response = await fetch(`${prometheus.url}${path}?${new URLSearchParams(params).toString()}`);
  return (await response.json()) as PromAnswer;
}

async function rangeQuery(expr: string): Promise<PromAnswer> {
  // Ends $horizon (≤ 1 h) past now: an `offset 1h` line shows what was served from its first scrape on.
  const end = Date.now() / 1000 + HOUR_MS / 1000 + 60;
  return api('/api/v1/query_range', { query: expr, start: String(scrapedFromS - 5), end: String(end), step: '5' });
}

/** Series of a range answer with at least one finite value. */
function finiteSeries(answer: PromAnswer): number {
  const result = Array.isArray(answer.data) ? [] : (answer.data?.result ?? []);
  return result.filter((s) => (s.values ?? []).some(([, v]) => Number.isFinite(Number(v)))).length;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Every value each variable offers: the custom ones from the dashboard;
 * $target as "All" (one target alone may rightly have no failed fits); $level as Prometheus lists it (or
 * 0.8 before anything is scraped); $namespace and $deployment, which come
 * from kube-state-metrics, as placeholders.
 */
function variableValues(levels: readonly string[] = ['0.8']): Record<string, readonly string[]> {
  return { ...customValues(dashboard), target: ['.*'], level: levels, namespace: ['default'], deployment: ['checkout'] };
}

beforeAll(async () => {
  dashboard = readDashboard();
  // No regime change within the walk (changeMs a day past the end): this test is about the dashboard, not the watchdog.
  const history = generateRegimeHistory({ days: 15, changeDaysBeforeEnd: -1 });
  clockMs = history.endMs - 5 * HOUR_MS;
  const load = (extra: Record<string, unknown>) => ({
    source: { type: 'prometheus', query: 'prescient_regime_load', step: '5m' },
    horizon: '6h',
    models: ['mstl'],
    seasonalPeriods: ['1d'],
    refreshInterval: '1h',
    staleAfter: '3h',
    ...extra,
  });
  // Prometheus scrapes Prescient and Prescient reads from Prometheus: Prescient's port is chosen first, Prometheus starts (its scrapes fail until Prescient listens), then Prescient.
  const port = await freePort();
  prometheus = await startPrometheus({
    history,
    readyQuery: 'prescient_regime_load',
    scrape: [{ job: 'prescient', address: `127.0.0.1:${port}`, intervalSeconds: SCRAPE_INTERVAL_SECONDS }],
  });
  t = await buildTestApp(
    {
      prometheus: { url: prometheus.url, timeout: '5s', retries: 0 },
      targets: [
        load({ name: 'shop', history: '14d', scaling: { capacityPerReplica: 100, quantile: 0.9, leadTime: '5m', minReplicas: 1, maxReplicas: 50 } }),
        // Half an hour is 6 or 7 values, fewer than mstl's 10: mstl fails, seasonal naive serves (a failed fit and a fallback on /metrics).
        load({ name: 'short', history: '30m' }),
        // Shadow mode against the replicas a reactive HPA ran (backfilled beside the load): the shadow panels' gauges.
        load({
          name: 'trial',
          history: '14d',
          scaling: { capacityPerReplica: 100, quantile: 0.9, leadTime: '5m', minReplicas: 1, maxReplicas: 50, mode: 'shadow', shadow: { replicasQuery: 'prescient_regime_replicas' } },
        }),
        // Prometheus refuses the query: a failed history pull on /metrics.
        { ...load({ name: 'broken', history: '1d' }), source: { type: 'prometheus', query: 'sum(prescient_regime_load', step: '5m' } },
      ],
    },
    { now: () => clockMs },
  );
  await t.app.listen({ host: '127.0.0.1', port });
}, 300_000);

afterAll(async () => {
  await t?.close();
  await prometheus?.close();
});

describe('deploy/grafana/prescient.json', () => {
  it('is importable: unique panel ids, inside 24 columns, no overlaps, every query on the ${datasource} variable', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let row = y; row < y + h; row++) {
        for (let col = x; col < x + w; col++) {
          expect(cells.has(`${row},${col}`), `${p.title} overlaps another panel at ${row},${col}`).toBe(false);
          cells.add(`${row},${col}`);
        }
      }
      if (p.type === 'row') continue;
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const q of p.targets ?? []) expect(q.datasource?.uid, `${p.title} ${q.refId}`).toBe('${datasource}');
    }
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')?.query).toBe('prometheus');
  });

  it('shows what the issue asks for: load vs forecast bands, recommended vs running replicas, live accuracy, fit durations and failures, target states', () => {
    const metricsOf = (title: RegExp) => {
      const panel = dashboard.panels.find((p) => title.test(p.title));
      expect(panel, `a panel titled ${String(title)}`).toBeDefined();
      return new Set((panel?.targets ?? []).flatMap((q) => metricNames(q.expr)));
    };
    expect([...metricsOf(/observed load vs the forecast/i)]).toEqual(
      expect.arrayContaining(['prescient_observed_load', 'prescient_forecast_yhat', 'prescient_forecast_yhat_lower', 'prescient_forecast_yhat_upper']),
    );
    expect([...metricsOf(/recommended vs running replicas/i)]).toEqual(['prescient_recommended_replicas', 'kube_deployment_status_replicas']);
    expect([...metricsOf(/live mase/i)]).toEqual(['prescient_live_mase']);
    expect([...metricsOf(/live interval coverage/i)]).toEqual(['prescient_live_coverage']);
    expect([...metricsOf(/fit duration/i)]).toEqual(['prescient_fit_duration_seconds_bucket']);
    expect([...metricsOf(/failed fits/i)]).toContain('prescient_fit_failures_total');
    expect([...metricsOf(/watchdog state/i)]).toEqual(['prescient_target_state']);
    expect([...metricsOf(/shadow: under-provisioned/i)]).toEqual(['prescient_shadow_under_provisioned_minutes']);
    expect([...metricsOf(/shadow: replica-hours/i)]).toEqual(['prescient_shadow_replica_hours']);
  });

  it("names only metrics Prescient's /metrics exports, besides kube-state-metrics' replicas", async () => {
    const exposition = (await t.app.inject('/metrics')).body;
    const families = new Set([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
      type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name as string],
    ));
    const used = new Set(dashboardQueries(dashboard).flatMap((q) => metricNames(q.expr)));
    const unknown = [...used].filter((name) => !families.has(name) && !EXTERNAL_METRICS.has(name));
    expect(unknown).toEqual([]);
    expect([...used].filter((name) => EXTERNAL_METRICS.has(name))).toEqual([...EXTERNAL_METRICS]);
  });
});

describe('the dashboard against a real Prometheus scraping a running Prescient', () => {
  beforeAll(async () => {
    scrapedFromS = Date.now() / 1000;
    // The walk: one refresh of every target per hour of Prescient's clock, with real time between for Prometheus to scrape each state.
    const endMs = prometheus.history.endMs;
    for (; clockMs <= endMs; clockMs += HOUR_MS) {
      for (const name of ['shop', 'short', 'trial', 'broken']) await t.app.prescient.engine.refresh(name).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 2 * SCRAPE_INTERVAL_SECONDS * 1000));
    }
    clockMs = endMs;
    // Enough scrapes after the last refresh for every rate window.
    await waitFor('scrapes after the walk', async () => {
      const answer = await api('/api/v1/query', { query: `count_over_time(up{job="prescient"}[20s]) >= 10 and up{job="prescient"} == 1` });
      return !Array.isArray(answer.data) && (answer.data?.result?.length ?? 0) > 0;
    });
  }, 600_000);

  it('has live accuracy, a failed fit with its fallback and a failed history pull to show (the walk did its job)', async () => {
    const body = (await t.app.inject('/metrics')).body;
    expect(body).toMatch(/prescient_live_mase\{target="shop",window="1h"\} \d/);
    expect(body).toMatch(/prescient_fit_failures_total\{target="short",model="mstl",code="PRESCIENT_ERR_[A-Z_]+"\} [1-9]/);
    expect(body).toMatch(/prescient_model_fallbacks_total\{target="short",from="mstl",to="snaive"\} [1-9]/);
    expect(body).toMatch(/prescient_prometheus_errors_total\{code="PRESCIENT_ERR_PROMETHEUS_QUERY"\} [1-9]/);
    expect(body).toMatch(/prescient_shadow_replica_hours\{target="trial",window="1d",basis="recommended"\} [1-9]/);
  });

  it("the variable queries list the service's targets and levels", async () => {
    const values = async (label: string, match: string) => {
      const answer = await api(`/api/v1/label/${label}/values`, { 'match[]': match, start: String(scrapedFromS - 5) });
      expect(answer.status).toBe('success');
      return answer.data as string[];
    };
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(v.definition ?? '');
      expect(m, v.name).not.toBeNull();
      const [, selector, label] = m as RegExpExecArray;
      const found = await values(label as string, (selector as string).replace('$target', '.*').replace('$namespace', '.*'));
      if (v.name === 'target') expect(found.sort()).toEqual(['shop', 'short', 'trial']);
      else if (v.name === 'level') expect(found.sort()).toEqual(['0.8', '0.95']);
      else expect(metricNames(selector as string).every((n) => EXTERNAL_METRICS.has(n)), v.name).toBe(true);
    }
  });

  it('every expression parses (promtool check rules), and a broken one is refused', async () => {
    const promtool = findExecutable('promtool') as string;
    const expanded = dashboardQueries(dashboard).flatMap((q) => expandQuery(q.expr, variableValues()).map((expr) => ({ ...q, expr })));
    const dir = await mkdtemp(join(tmpdir(), 'prescient-grafana-'));
    try {
      const rules = (exprs: readonly string[]) =>
        ['groups:', '  - name: dashboard', '    rules:', ...exprs.flatMap((expr, i) => [`      - record: dashboard:expr_${i}`, `        expr: ${JSON.stringify(expr)}`]), ''].join('\n');
      await writeFile(join(dir, 'dashboard.rules.yml'), rules(expanded.map((q) => q.expr)));
      const { stdout } = await execFileAsync(promtool, ['check', 'rules', join(dir, 'dashboard.rules.yml')]);
      expect(stdout).toContain(`SUCCESS: ${expanded.length} rules found`);
      expect(expanded.length).toBeGreaterThan(20);

      await writeFile(join(dir, 'broken.rules.yml'), rules(['max by (target) (prescient_observed_load{target=~".*"}']));
      await expect(execFileAsync(promtool, ['check', 'rules', join(dir, 'broken.rules.yml')])).rejects.toThrow(/parse error|unclosed|expected/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('every expression on Prescient\'s metrics returns a series with a finite value, for every value of its variables', async () => {
    const levels = await api('/api/v1/label/level/values', { 'match[]': 'prescient_forecast_yhat_upper', start: String(scrapedFromS - 5) });
    const values = variableValues(levels.data as string[]);
    const empty: string[] = [];
    let checked = 0;
    for (const q of dashboardQueries(dashboard)) {
      const external = metricNames(q.expr).some((name) => EXTERNAL_METRICS.has(name));
      for (const expr of expandQuery(q.expr, values)) {
        const answer = await rangeQuery(expr);
        expect(answer.status, `${q.panel} ${q.refId}: ${expr}: ${answer.error ?? ''}`).toBe('success');
        checked++;
        if (!external && finiteSeries(answer) === 0) empty.push(`${q.panel} ${q.refId}: ${expr}`);
      }
    }
    expect(empty).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it("Prescient's own metrics pass promtool's lint (prom-client's default process metrics and the shadow report's units aside)", async () => {
    const promtool = findExecutable('promtool') as string;
    const exposition = (await t.app.inject('/metrics')).body;
    const findings = await new Promise<string>((resolve) => {
      const child = execFile(promtool, ['check', 'metrics'], (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
      child.stdin?.end(exposition);
    });
    const lines = findings.split('\n').filter((line) => line.trim() !== '');
    // prom-client names its handle/request/resource gauges *_total; they are not ours to rename. The shadow
    // report's gauges keep the units the REST report and the backtest use (minutes, replica-hours), not seconds.
    const accepted = [
      /^prescient_nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/,
      /^prescient_shadow_replica_hours use base unit "seconds" instead of "hours"$/,
      /^prescient_shadow_under_provisioned_minutes use base unit "seconds" instead of "minutes"$/,
    ];
    const ours = lines.filter((line) => !accepted.some((pattern) => pattern.test(line.trim())));
    expect(ours).toEqual([]);
    // The lint runs: a gauge named like a counter is reported.
    const control = await new Promise<string>((resolve) => {
      const child = execFile(promtool, ['check', 'metrics'], (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
      child.stdin?.end('# HELP prescient_bad_total A gauge.\n# TYPE prescient_bad_total gauge\nprescient_bad_total 1\n');
    });
    expect(control).toMatch(/prescient_bad_total non-counter metrics should not have "_total" suffix/);
  });

  it('a renamed metric returns nothing (what the check above would report)', async () => {
    const q = dashboardQueries(dashboard).find((x) => x.expr.includes('prescient_recommended_replicas'));
    const [expr] = expandQuery(q?.expr ?? '', variableValues());
    expect(finiteSeries(await rangeQuery(expr as string))).toBeGreaterThan(0);
    expect(finiteSeries(await rangeQuery((expr as string).replace('prescient_recommended_replicas', 'prescient_recommended_replica_count')))).toBe(0);
  });
});

