/**
 * A bounded, seeded fuzz suite over every REST route and every gRPC method
 * (issue 11). Properties, for every generated request:
 * - no 5xx but the documented 503s (PRESCIENT_ERR_FORECAST_UNAVAILABLE,
 *   PRESCIENT_ERR_POOL_FULL, PRESCIENT_ERR_FIT_TIMEOUT);
 * - every error body in the one documented shape, with a catalogued code and its status;
 * - time: a request that does not fit answers within REQUEST_BOUND_MS (1 s)
 *   plus PER_MB_BOUND_MS (100 ms) per MB of body; one that fits within
 *   FIT_BOUND_MS (the pool's 10 s fitTimeout plus slack);
 * - gRPC: only the catalogue's statuses, never INTERNAL/UNKNOWN, and within GRPC_BOUND_MS;
 * - the process's RSS grows by less than RSS_GROWTH_BOUND_MB over the run.
 * Seeds are fixed (FUZZ_SEED overrides), so a failure replays.
 */
import { writeFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { errorCatalogue, isErrorCode } from '../../src/errors.js';
import { startKedaServer, type KedaServer } from '../../src/keda/server.js';
import { configSchema } from '../../src/config/schema.js';
import { ExternalScalerClient, forecastAt } from '../keda/helpers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_206);
const REQUEST_BOUND_MS = 1_000;
const PER_MB_BOUND_MS = 100;
const GRPC_BOUND_MS = 1_000;
/** pool.fitTimeout below plus the slack of a loaded machine. */
const FIT_BOUND_MS = 15_000;
const RSS_GROWTH_BOUND_MB = 400;
const DOCUMENTED_503 = new Set(['PRESCIENT_ERR_FORECAST_UNAVAILABLE', 'PRESCIENT_ERR_POOL_FULL', 'PRESCIENT_ERR_FIT_TIMEOUT']);
const TOKEN = 'fuzz-token-0123456789';

const T0 = Date.parse('2026-03-02T08:00:00Z');
let app: FastifyInstance;
let keda: KedaServer;
let client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
let rssStartMb = 0;
const failures: string[] = [];
const grpcFailures: string[] = [];

beforeAll(async () => {
  const config = configSchema.parse({
    server: { grpcPort: 0, authToken: TOKEN },
    limits: { fitRequests: { max: 1_000_000 } },
    pool: { threads: 1, requestMaxQueue: 2, fitTimeout: '10s' },
    modelsDir: '/nonexistent/prescient-fuzz',
    targets: [
      { name: 'web', source: { type: 'file', path: 'data/web.csv' }, staleAfter: '1h', scaling: { capacityPerReplica: 100 } },
      { name: 'batch', source: { type: 'file', path: 'data/batch.csv' } },
      { name: 'never', source: { type: 'file', path: 'data/never.csv' }, scaling: { capacityPerReplica: 5 } },
    ],
  });
  app = await buildApp({ config, now: () => T0, logger: false, startEngine: false });
  await app.ready();
  app.prescient.states.setForecast('web', forecastAt(T0, 400));
  app.prescient.states.setForecast('batch', { ...forecastAt(T0 - 2 * 3_600_000, 50), target: 'batch' });
  keda = await startKedaServer({ states: app.prescient.states, config, host: '127.0.0.1', port: 0, now: () => T0 });
  client = new ExternalScalerClient(`127.0.0.1:${keda.port}`, grpc.credentials.createInsecure()) as typeof client;
  // One-time costs are paid here, not counted as a fuzzed request's time: the OpenAPI document is built on
  // its first request, and the requests lane's thread starts on the first ad-hoc fit.
  await app.inject('/docs/json');
  await app.inject({ method: 'POST', url: '/api/v1/forecast', headers: { authorization: `Bearer ${TOKEN}` }, payload: { values: [1, 2, 3, 4], step: 60, horizon: 60, model: 'snaive' } });
  rssStartMb = process.memoryUsage().rss / 2 ** 20;
}, 180_000);

afterAll(async () => {
  // FUZZ_REPORT=file keeps every failure found (the assertion's diff shows only a part of a long list).
  if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, [...failures, ...grpcFailures].join('\n') + '\n');
  client?.close();
  await keda?.close();
  await app?.close();
});

interface Generated {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly auth: boolean;
}

/** Checks one response against the properties; returns the reasons it fails. */
function judge(req: Generated, status: number, text: string, elapsedMs: number): string[] {
  const problems: string[] = [];
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  // /readyz answers 503 with its own documented body ({ready, pending, failing}), not an error.
  if (req.url === '/readyz') return status === 200 || status === 503 ? [] : [`/readyz answered ${status}`];
  if (status >= 400) {
    const shapeOk =
      error !== undefined &&
      Object.keys(body as object).length === 1 &&
      typeof error.message === 'string' &&
      typeof error.retryable === 'boolean' &&
      Array.isArray(error.issues) &&
      (error.issues as unknown[]).every((i) => typeof (i as { path?: unknown }).path === 'string' && typeof (i as { message?: unknown }).message === 'string') &&
      isErrorCode(error.code);
    if (!shapeOk) problems.push(`error body not in the documented shape: ${text.slice(0, 200)}`);
    else if (errorCatalogue[error.code as keyof typeof errorCatalogue].httpStatus !== status) problems.push(`${String(error.code)} answered with ${status}`);
  }
  if (status >= 500 && !(status === 503 && DOCUMENTED_503.has(String(error?.code)))) problems.push(`${status} ${String(error?.code)}`);
  // A forecast request that passed validation ran a fit: its bound is the fit's time limit, not a parse's.
  const fitted = req.method === 'POST' && req.url === '/api/v1/forecast' && (status === 200 || status === 422 || status === 503);
  const boundMs = fitted ? FIT_BOUND_MS : REQUEST_BOUND_MS + PER_MB_BOUND_MS * ((req.body?.length ?? 0) / 2 ** 20);
  if (elapsedMs > boundMs) problems.push(`took ${Math.round(elapsedMs)} ms (bound ${Math.round(boundMs)} ms)`);
  return problems;
}

const nasty = fc.constantFrom('1e300', '-1e300', '1e-300', '0x10', '1e1', 'NaN', 'Infinity', '-0', '9'.repeat(400), '', ' ', '%00', '..%2F..', '\u202e');
const name = fc.oneof(fc.constantFrom('web', 'batch', 'never', 'nope'), fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 300 }), nasty);
const queryValue = fc.oneof(nasty, fc.string({ maxLength: 20 }), fc.double().map(String), fc.integer().map(String), fc.constantFrom('6h', '90m', '1d', '0.8,0.95', '48'));
const enc = encodeURIComponent;

const anyNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(1e300, -1e300, 1e-300, 8_640_000_000_000_000, Number.MAX_SAFE_INTEGER, 0.5, 0, -1, 60, 300, 86_400),
  fc.integer(),
);
const duration = fc.oneof(anyNumber, fc.constantFrom('5m', '1h', '1d', '500ms', '520w', '0s', '1e300s', 'soon'));
const values = fc.array(fc.oneof(anyNumber, fc.constant(null), fc.constant('x')), { maxLength: 60 });
const forecastBody = fc.record(
  { values, step: duration, horizon: duration, start: fc.oneof(anyNumber, fc.constantFrom('2026-03-02T08:00:00Z', '9999-01-01T00:00:00Z', 'yesterday')), model: fc.constantFrom('snaive', 'auto', 'mstl', 'sarima', 'lstm', 'nope'), levels: fc.array(anyNumber, { maxLength: 6 }), seasonalPeriods: fc.array(duration, { maxLength: 4 }) },
  { requiredKeys: [] },
);
const backtestBody = fc.record(
  { target: name, series: fc.record({ values, step: duration, start: anyNumber }, { requiredKeys: [] }), window: duration, origins: anyNumber, horizon: duration, history: duration, models: fc.array(fc.constantFrom('snaive', 'auto', 'nope'), { maxLength: 3 }), replay: fc.oneof(fc.constant(false), fc.record({ capacityPerReplica: anyNumber, leadTime: duration, maxReplicas: anyNumber }, { requiredKeys: [] })) },
  { requiredKeys: [] },
);
/** Bodies that cost parsing: deep nesting, long flat arrays, up to the 4 MB body limit. */
const heavyBody = fc.oneof(
  fc.integer({ min: 1, max: 1_900_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 1, max: 1_000_000 }).map((depth) => '{"values":'.repeat(depth) + '1' + '}'.repeat(depth)),
  // Valid up to the horizon, so the whole body is parsed and validated but nothing is fitted.
  fc.integer({ min: 1, max: 1_900_000 }).map((n) => `{"values":[${'1,'.repeat(n)}1],"step":60,"horizon":"soon"}`),
);
/** A valid body but for one number pushed out of range: each must be a 400 naming the field. */
const nastyNumber = fc.constantFrom(1e300, -1e300, 1e-300, 0.5, 8_640_000_000_000_000, -8_640_000_000_000_000, 1e21, Number.MAX_VALUE);
const oneBadNumber = fc.tuple(fc.constantFrom('step', 'horizon', 'start', 'value'), nastyNumber, fc.constantFrom('snaive', 'auto')).map(([field, bad, model]) => {
  const body: Record<string, unknown> = { values: [3, 1, 4, 1, 5, 9, 2, 6, 5, 3], step: 60, horizon: 600, model };
  if (field === 'value') body.values = [3, 1, bad, 1, 5, 9, 2, 6, 5, 3];
  else body[field] = bad;
  return body;
});
const jsonBody = fc.oneof(
  { weight: 2, arbitrary: oneBadNumber.map((b) => JSON.stringify(b)) },
  { weight: 4, arbitrary: forecastBody.map((b) => JSON.stringify(b)) },
  { weight: 3, arbitrary: backtestBody.map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

const request: fc.Arbitrary<Generated> = fc.oneof(
  fc.tuple(fc.constantFrom('/healthz', '/readyz', '/metrics', '/docs/json', '/api/v1/targets', '/apis/external.metrics.k8s.io/v1beta1'), fc.boolean()).map(([url, auth]) => ({ method: 'GET' as const, url, auth })),
  fc.tuple(name, fc.constantFrom('', '/forecast', '/recommendation', '/schedule'), queryValue, queryValue, fc.boolean()).map(([n, sub, a, b, auth]) => ({
    method: 'GET' as const,
    url: `/api/v1/targets/${enc(n)}${sub}?${sub === '/schedule' ? `hours=${enc(a)}` : `horizon=${enc(a)}&levels=${enc(b)}`}`,
    auth,
  })),
  fc.tuple(name, fc.boolean()).map(([n, auth]) => ({ method: 'GET' as const, url: `/api/v1/keda/${enc(n)}`, auth })),
  fc.tuple(name, name).map(([ns, metric]) => ({ method: 'GET' as const, url: `/apis/external.metrics.k8s.io/v1beta1/namespaces/${enc(ns)}/${enc(metric)}`, auth: false })),
  fc.tuple(name, fc.boolean()).map(([id, auth]) => ({ method: 'GET' as const, url: `/api/v1/backtests/${enc(id)}`, auth })),
  fc.tuple(fc.constantFrom('/api/v1/forecast', '/api/v1/backtests'), jsonBody, fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded'), fc.boolean()).map(
    ([url, body, contentType, auth]) => ({ method: 'POST' as const, url, body, contentType, auth }),
  ),
  oneBadNumber.map((b) => ({ method: 'POST' as const, url: '/api/v1/forecast', body: JSON.stringify(b), contentType: 'application/json', auth: true })),
  fc.tuple(fc.constantFrom('/api/v1/forecast', '/api/v1/backtests'), heavyBody).map(([url, body]) => ({ method: 'POST' as const, url, body, contentType: 'application/json', auth: true })),
  fc.tuple(fc.constantFrom('PUT', 'DELETE', 'POST') as fc.Arbitrary<'PUT' | 'DELETE' | 'POST'>, fc.string({ maxLength: 300 }), fc.boolean()).map(([method, path, auth]) => ({ method, url: `/${enc(path)}`, auth })),
  fc.string({ unit: 'binary', minLength: 150, maxLength: 600 }).map((p) => ({ method: 'GET' as const, url: `/api/v1/targets/${enc(p)}`, auth: false })),
  fc.constantFrom('/%', '/api/v1/targets/%E0%A4%A', '/%%32', '/api/v1/targets/web/forecast?horizon=%').map((url) => ({ method: 'GET' as const, url, auth: false })),
);

async function send(req: Generated): Promise<string[]> {
  const started = performance.now();
  const res = await app.inject({
    method: req.method,
    url: req.url,
    headers: { ...(req.auth ? { authorization: `Bearer ${TOKEN}` } : {}), ...(req.contentType ? { 'content-type': req.contentType } : {}) },
    ...(req.body === undefined ? {} : { payload: req.body }),
  });
  return judge(req, res.statusCode, res.body, performance.now() - started);
}

describe('REST fuzz', () => {
  it('keeps every property over every route (seeded)', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const problems = await send(req);
        if (problems.length > 0) failures.push(`${req.method} ${req.url.slice(0, 120)} ${req.body ? `(${req.body.length} B body: ${req.body.slice(0, 60)}…)` : ''}: ${problems.join('; ')}`);
      }),
      // Every run goes through (failures are collected, not shrunk), so one run reports every kind of defect.
      { seed: SEED, numRuns: Number(process.env.FUZZ_RUNS ?? 400) },
    );
    expect(failures).toEqual([]);
  }, 240_000);
});

const GRPC_ALLOWED = new Set([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.FAILED_PRECONDITION, grpc.status.UNAVAILABLE]);

function callOnce(method: string, request: unknown): Promise<{ code: number; details: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const deadline = new Date(Date.now() + 10_000);
    if (method.startsWith('Stream')) {
      const call = client[method]!(request, new grpc.Metadata(), { deadline }) as grpc.ClientReadableStream<unknown>;
      const done = (code: number, details: string): void => {
        call.removeAllListeners('data');
        call.cancel();
        resolve({ code, details, ms: performance.now() - started });
      };
      call.once('data', () => done(grpc.status.OK, ''));
      call.on('error', (err: grpc.ServiceError) => done(err.code, err.details));
      return;
    }
    client[method]!(request, new grpc.Metadata(), { deadline }, (err: grpc.ServiceError | null) => resolve({ code: err?.code ?? grpc.status.OK, details: err?.details ?? '', ms: performance.now() - started }));
  });
}

describe('gRPC fuzz', () => {
  const metadata = fc.oneof(
    fc.dictionary(fc.constantFrom('target', 'mode', 'quantile', 'leadTime', 'activationThreshold'), fc.oneof(name, queryValue), { maxKeys: 5 }),
    fc.record({ target: fc.constantFrom('web', 'batch', 'never') }).chain((base) => fc.dictionary(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), { maxKeys: 50 }).map((extra) => ({ ...extra, ...base }))),
    // Hundreds of unknown keys: each is named in the error, whose details must stay small.
    fc.tuple(fc.constantFrom('web', 'batch', 'never'), fc.integer({ min: 500, max: 1_500 })).map(([target, n]) => ({
      target,
      ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`unknown-key-${String(i).padStart(5, '0')}-${'x'.repeat(20)}`, 'v'])),
    })),
  );
  const ref = fc.record({ name: fc.string({ maxLength: 80 }), namespace: fc.string({ maxLength: 80 }), scalerMetadata: metadata });
  const call = fc.tuple(fc.constantFrom('IsActive', 'GetMetricSpec', 'GetMetrics', 'StreamIsActive', 'StreamMetricSpec'), ref, fc.string({ maxLength: 60 }));

  it('answers every method with a catalogued status within the bound (seeded)', async () => {
    await fc.assert(
      fc.asyncProperty(call, async ([method, r, metricName]) => {
        const request = method === 'GetMetrics' ? { scaledObjectRef: r, metricName } : r;
        const { code, details, ms } = await callOnce(method, request);
        const problems: string[] = [];
        if (!GRPC_ALLOWED.has(code)) problems.push(`status ${code} ${details.slice(0, 120)}`);
        if (code !== grpc.status.OK && !/^PRESCIENT_ERR_[A-Z_]+: /.test(details)) problems.push(`details not coded: ${details.slice(0, 120)}`);
        if (ms > GRPC_BOUND_MS) problems.push(`took ${Math.round(ms)} ms`);
        if (problems.length > 0) grpcFailures.push(`${method} (${Object.keys(r.scalerMetadata).length} metadata keys): ${problems.join('; ')}`);
      }),
      { seed: SEED, numRuns: Number(process.env.FUZZ_GRPC_RUNS ?? 150) },
    );
    expect(grpcFailures).toEqual([]);
  }, 120_000);
});

describe('after the fuzz', () => {
  it('kept RSS bounded and still serves', async () => {
    const growthMb = process.memoryUsage().rss / 2 ** 20 - rssStartMb;
    expect(growthMb).toBeLessThan(RSS_GROWTH_BOUND_MB);
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });
});
