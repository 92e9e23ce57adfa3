import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { buildTestApp, DATA_DIR, type TestApp } from '../support/app.js';

/**
 * The set-up both event suites share: the real NYC taxi series (30 min) with
 * the last day's 12:00–18:00 ten times over (the "incident"), served by the
 * app on a loopback port with a token. event-routes.test.ts tests the routes
 * (coded errors, Alertmanager, persistence); event-effects.slow.test.ts what
 * each kind of event does to the forecast, with real fits.
 */
export const TOKEN = 'events-test-token-0123456789';
export const FILE_END = Date.parse('2015-01-31T23:30:00Z');
export const NOW = FILE_END + 1_800_000;
export const HOUR = 3_600_000;
export const SPIKE_FROM = Date.parse('2015-01-31T12:00:00Z');
export const SPIKE_TO = Date.parse('2015-01-31T18:00:00Z');
export const iso = (ms: number): string => new Date(ms).toISOString();

function config(file: string): Record<string, unknown> {
  return {
    server: { authToken: TOKEN },
    targets: [
      {
        name: 'taxi',
        source: { type: 'file', path: file },
        history: '14d',
        horizon: '1d',
        models: ['snaive'],
        seasonalPeriods: ['1d'],
        scaling: { capacityPerReplica: 1000, leadTime: '30m', maxReplicas: 200 },
      },
      { name: 'taxi-copy', source: { type: 'file', path: join(DATA_DIR, 'nab/nyc_taxi.csv') }, history: '14d', horizon: '1d', models: ['snaive'], seasonalPeriods: ['1d'] },
    ],
  };
}

export interface TaxiEventsServer {
  /** The spiked copy of the series (written before the suite's tests). */
  readonly spiked: string;
  /** The app serving now, if any. */
  readonly app: TestApp | undefined;
  /** Starts the app on `file` (stopped after each test), with a models directory to keep state across a restart. */
  start(file: string, modelsDir?: string): Promise<TestApp>;
  stop(): Promise<void>;
  /** POST with the token and a JSON body, unless other headers are given. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string): Promise<Record<string, unknown>>;
  /** The value of a labelled series on /metrics, 0 when absent. */
  metric(name: string, labels: string): Promise<number>;
}

/** Registers the suite's hooks (call it at the top of a test file) and returns the server's handle. */
export function useTaxiEventsServer(): TaxiEventsServer {
  let dir = '';
  let spiked = '';
  let current: TestApp | undefined;
  let base = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'prescient-events-'));
    const lines = readFileSync(join(DATA_DIR, 'nab/nyc_taxi.csv'), 'utf8').trim().split('\n');
    const out = lines.map((line, i) => {
      if (i === 0) return line;
      const [ts, value] = line.split(',') as [string, string];
      const t = Date.parse(`${ts.replace(' ', 'T')}Z`);
      return t >= SPIKE_FROM && t < SPIKE_TO ? `${ts},${Number(value) * 10}` : line;
    });
    spiked = join(dir, 'taxi-spiked.csv');
    writeFileSync(spiked, `${out.join('\n')}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const stop = async (): Promise<void> => {
    await current?.close();
    current = undefined;
  };
  afterEach(stop);
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  return {
    get spiked() {
      return spiked;
    },
    get app() {
      return current;
    },
    async start(file, modelsDir) {
      current = await buildTestApp(config(file), { now: () => NOW, ...(modelsDir ? { modelsDir } : {}) });
      await current.app.listen({ host: '127.0.0.1', port: 0 });
      const address = current.app.server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      return current;
    },
    stop,
    post: (path, body, headers = auth) => fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }),
    get: async (path) => (await fetch(`${base}${path}`)).json() as Promise<Record<string, unknown>>,
    async metric(name, labels) {
      const text = await (await fetch(`${base}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
      return line ? Number(line.split(' ').pop()) : 0;
    },
  };
}
