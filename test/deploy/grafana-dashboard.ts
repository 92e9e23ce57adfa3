/**
 * Reading deploy/grafana/prescient.json as Grafana would: its panels'
 * queries, their variables expanded (Grafana's own substitution, reduced to
 * what the dashboard uses), and the metric names they read.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_PATH = fileURLToPath(new URL('../../deploy/grafana/prescient.json', import.meta.url));

/** How often the test's Prometheus scrapes Prescient. */
export const SCRAPE_INTERVAL_SECONDS = 1;

/** Metrics the dashboard reads that Prescient does not export (kube-state-metrics'). */
export const EXTERNAL_METRICS: ReadonlySet<string> = new Set(['kube_deployment_status_replicas']);

/**
 * Grafana's built-in variables, as it would set them for a Prometheus
 * scraped every SCRAPE_INTERVAL_SECONDS and a 5 s step: $__rate_interval is
 * max($__interval + scrape interval, 4 × scrape interval), rounded up here
 * to leave room for a late scrape.
 */
const BUILT_INS: Readonly<Record<string, string>> = { __rate_interval: '10s', __interval: '5s' };

export interface DashboardQuery {
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly expr: string;
  readonly refId: string;
  readonly legendFormat?: string;
}

export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets?: readonly DashboardQuery[];
}

export interface Variable {
  readonly type: 'datasource' | 'query' | 'custom';
  readonly name: string;
  readonly query?: string | { readonly query: string };
  readonly definition?: string;
  readonly allValue?: string;
  readonly includeAll?: boolean;
  readonly options?: readonly { readonly value: string }[];
}

export interface Dashboard {
  readonly title: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
}

/** Every query of every panel, with its panel's title. */
export function dashboardQueries(dashboard: Dashboard): (DashboardQuery & { readonly panel: string })[] {
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((q) => ({ ...q, panel: p.title })));
}

/** Metric names an expression reads (Prescient's and kube-state-metrics' prefixes: the only ones the dashboard may use). */
export function metricNames(expr: string): string[] {
  return [...new Set(expr.match(/\b(?:prescient|kube)_[a-z0-9_]+\b/g) ?? [])];
}

/** The values a custom variable offers (every one is checked, not only the default). */
export function customValues(dashboard: Dashboard): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {};
  for (const v of dashboard.templating.list) if (v.type === 'custom') out[v.name] = (v.options ?? []).map((o) => o.value);
  return out;
}

/**
 * The expression once per combination of the values of the variables it
 * uses ($name or ${name}); built-ins get BUILT_INS.
 * @throws Error for a variable with no values (an undefined variable in the dashboard)
 */
export function expandQuery(expr: string, values: Readonly<Record<string, readonly string[]>>): string[] {
  const used = [...new Set([...expr.matchAll(/\$\{?(\w+)\}?/g)].map((m) => m[1] as string))];
  let out = [expr];
  for (const name of used) {
    const choices = BUILT_INS[name] !== undefined ? [BUILT_INS[name]] : values[name];
    if (!choices || choices.length === 0) throw new Error(`variable $${name} has no values (is it defined?): ${expr}`);
    const pattern = new RegExp(`\\$\\{${name}\\}|\\$${name}\\b`, 'g');
    out = out.flatMap((e) => choices.map((value) => e.replace(pattern, value)));
  }
  return out;
}
