import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusSchema, type PrometheusConfig } from '../../src/config/schema.js';
import { PrescientError } from '../../src/errors.js';
import { createPrometheusClient, type PrometheusClient, type PrometheusClientOptions } from '../../src/sources/prometheus.js';
import { startPrometheus, type PrometheusHarness } from '../support/prometheus.js';

/**
 * The Prometheus client against a real Prometheus holding 28 days of
 * backfilled synthetic history (test/support/prometheus.ts), and against tiny
 * real HTTP servers on loopback for what a healthy Prometheus never does
 * (garbage, 503s, hangs, auth checks).
 */

const STEP_S = 300;
const STEP_MS = STEP_S * 1000;

function config(url: string, extra: Record<string, unknown> = {}): PrometheusConfig {
  return prometheusSchema.parse({ url, timeout: '5s', retries: 2, maxPointsPerRequest: 1000, ...extra });
}

interface Attempts {
  success: number;
  error: number;
}

function client(cfg: PrometheusConfig, attempts?: Attempts, options: PrometheusClientOptions = {}): PrometheusClient {
  return createPrometheusClient(cfg, {
    backoffBaseMs: 10,
    backoffMaxMs: 50,
    ...options,
    onRequest: (seconds, outcome) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      if (attempts) attempts[outcome]++;
    },
  });
}

async function rejection(promise: Promise<unknown>): Promise<PrescientError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(PrescientError);
    return err as PrescientError;
  }
  throw new Error('expected the promise to reject');
}

describe('Prometheus client against a real Prometheus', () => {
  let prometheus: PrometheusHarness;
  let prom: PrometheusClient;

  beforeAll(async () => {
    prometheus = await startPrometheus();
    prom = client(config(prometheus.url));
  }, 300_000);

  afterAll(async () => {
    prom?.close();
    await prometheus?.close();
  });

  it('returns all 8,064 points of 28 days at 5 min, split into 9 requests, in order and without duplicates', async () => {
    const { history } = prometheus;
    const attempts = { success: 0, error: 0 };
    const c = client(config(prometheus.url), attempts);
    try {
      const samples = await c.queryRange('prescient_test_multi{instance="a"}', history.startMs, history.endMs, STEP_S);
      const expected = history.multi[0];
      expect(samples.timestampsMs).toHaveLength(8064);
      expect(samples.timestampsMs).toEqual(expected?.timestampsMs);
      expect(samples.values).toEqual(expected?.values);
      expect(attempts).toEqual({ success: 9, error: 0 });
    } finally {
      c.close();
    }
  });

  it('shows the 3-hour gap as missing points and NaN samples as NaN', async () => {
    const { history } = prometheus;
    const samples = await prom.queryRange('prescient_test_load', history.startMs, history.endMs, STEP_S);
    const gapSteps = (history.gapEndMs - history.gapStartMs) / STEP_MS;
    const inGap = samples.timestampsMs.filter((t) => t >= history.gapStartMs && t < history.gapEndMs);
    // Prometheus' 5-minute lookback still sees the last sample before the gap at the gap's first step, no later.
    expect(inGap.every((t) => t <= history.gapStartMs)).toBe(true);
    expect(samples.timestampsMs.length).toBe(8064 - gapSteps + inGap.length);
    for (const t of history.nanTimestampsMs) {
      expect(samples.values[samples.timestampsMs.indexOf(t)]).toBeNaN();
    }
    expect(samples.values.filter(Number.isNaN)).toHaveLength(history.nanTimestampsMs.length);
    // Everything else is exactly what was backfilled.
    const written = new Map(history.load.timestampsMs.map((t, i) => [t, history.load.values[i]]));
    const mismatches = samples.timestampsMs.filter((t, i) => written.has(t) && !Object.is(written.get(t), samples.values[i]));
    expect(mismatches).toEqual([]);
  });

  it('gives non-negative rates that follow the true rate across the counter reset', async () => {
    const { history } = prometheus;
    const samples = await prom.queryRange('rate(prescient_test_requests_total[5m])', history.startMs, history.endMs, STEP_S);
    expect(samples.timestampsMs.length).toBeGreaterThan(8000);
    expect(samples.values.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    const trueMean = history.requestRatePerSecond.reduce((a, b) => a + b, 0) / history.requestRatePerSecond.length;
    const mean = samples.values.reduce((a, b) => a + b, 0) / samples.values.length;
    expect(Math.abs(mean - trueMean) / trueMean).toBeLessThan(0.05);
    // Around the reset the rate stays in the normal range: no spike, no drop to a negative delta.
    const near = samples.values.filter((_, i) => Math.abs((samples.timestampsMs[i] as number) - history.resetAtMs) <= 30 * 60_000);
    expect(near.length).toBeGreaterThan(5);
    const maxTrue = Math.max(...history.requestRatePerSecond);
    expect(Math.max(...near)).toBeLessThan(maxTrue * 1.5);
    expect(Math.min(...near)).toBeGreaterThan(0);
  });

  it('throws PRESCIENT_ERR_PROMETHEUS_MULTIPLE_SERIES naming the count and label sets when several series come back', async () => {
    const { history } = prometheus;
    const err = await rejection(prom.queryRange('prescient_test_multi', history.startMs, history.endMs, STEP_S));
    expect(err.code).toBe('PRESCIENT_ERR_PROMETHEUS_MULTIPLE_SERIES');
    expect(err.message).toContain('3 series');
    expect(err.message).toMatch(/instance="[abc]"/);
  });

  it('sums several series per timestamp when aggregate is sum', async () => {
    const { history } = prometheus;
    const samples = await prom.queryRange('prescient_test_multi', history.startMs, history.endMs, STEP_S, { aggregate: 'sum' });
    const [a, b, c] = history.multi;
    const expected = a?.values.map((v, i) => v + (b?.values[i] ?? Number.NaN) + (c?.values[i] ?? Number.NaN));
    expect(samples.timestampsMs).toEqual(a?.timestampsMs);
    expect(samples.values).toEqual(expected);
  });

  it('throws PRESCIENT_ERR_PROMETHEUS_NO_DATA for a metric that does not exist and for a window before the history', async () => {
    const { history } = prometheus;
    const none = await rejection(prom.queryRange('prescient_metric_that_does_not_exist', history.startMs, history.endMs, STEP_S));
    expect(none.code).toBe('PRESCIENT_ERR_PROMETHEUS_NO_DATA');
    const before = await rejection(prom.queryRange('prescient_test_load', history.startMs - 86_400_000, history.startMs - 3_600_000, STEP_S));
    expect(before.code).toBe('PRESCIENT_ERR_PROMETHEUS_NO_DATA');
  });

  it("throws PRESCIENT_ERR_PROMETHEUS_QUERY with Prometheus' own message for bad PromQL, without retrying", async () => {
    const attempts = { success: 0, error: 0 };
    const c = client(config(prometheus.url), attempts);
    try {
      const err = await rejection(c.queryRange('sum(rate(prescient_test_requests_total[5m]', Date.now() - 3_600_000, Date.now(), STEP_S));
      expect(err.code).toBe('PRESCIENT_ERR_PROMETHEUS_QUERY');
      expect(err.message).toContain('bad_data');
      expect(err.message).toMatch(/parse error/);
      expect(attempts).toEqual({ success: 0, error: 1 });
    } finally {
      c.close();
    }
  });

  it('passes a fractional timeout Prometheus accepts', async () => {
    const c = client(config(prometheus.url, { timeout: '2.5s' }));
    try {
      const samples = await c.queryRange('prescient_test_load', Date.now() - 3_600_000, Date.now(), STEP_S);
      expect(samples.timestampsMs.length).toBeGreaterThan(0);
    } finally {
      c.close();
    }
  });

  it('finds data in a window ending now (the backfill reaches the last step)', async () => {
    const samples = await prom.queryRange('prescient_test_load', Date.now() - 3_600_000, Date.now(), STEP_S);
    // If a step boundary passed since the backfill, the 5-minute lookback repeats the last sample one step later.
    expect(samples.timestampsMs).toContain(prometheus.history.endMs);
    expect(samples.timestampsMs.at(-1)).toBeLessThanOrEqual(prometheus.history.endMs + STEP_MS);
  });

  // Last: it stops the shared Prometheus.
  it('throws PRESCIENT_ERR_PROMETHEUS_UNREACHABLE after its retries when Prometheus is stopped, and works again after restart', async () => {
    const { history } = prometheus;
    const attempts = { success: 0, error: 0 };
    const c = client(config(prometheus.url, { retries: 2 }), attempts);
    try {
      await prometheus.stop();
      const err = await rejection(c.queryRange('prescient_test_load', history.endMs - 86_400_000, history.endMs, STEP_S));
      expect(err.code).toBe('PRESCIENT_ERR_PROMETHEUS_UNREACHABLE');
      expect(err.message).toMatch(/ECONNREFUSED|ECONNRESET/);
      expect(attempts).toEqual({ success: 0, error: 3 });
      await prometheus.restart();
      const samples = await c.queryRange('prescient_test_load', history.endMs - 86_400_000, history.endMs, STEP_S);
      expect(samples.timestampsMs.at(-1)).toBe(history.endMs);
    } finally {
      c.close();
    }
  }, 120_000);
});

// --- Against tiny real HTTP servers on loopback -------------------------------------------

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly form: URLSearchParams;
}

type Responder = (req: Recorded, res: ServerResponse) => void;

interface FakeServer {
  readonly url: string;
  readonly requests: Recorded[];
  close(): Promise<void>;
}

/** A server answering request n with responders[n] (the last one repeats). */
async function fakeServer(responders: Responder[]): Promise<FakeServer> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, form: new URLSearchParams(Buffer.concat(parts).toString()) };
      requests.push(recorded);
      const responder = responders[Math.min(requests.length - 1, responders.length - 1)] as Responder;
      responder(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A valid query_range answer evaluated at the request's own grid, value = index. */
const validMatrix: Responder = (req, res) => {
  const start = Number(req.form.get('start'));
  const end = Number(req.form.get('end'));
  const step = Number(req.form.get('step'));
  const values: [number, string][] = [];
  for (let t = start, i = 0; t <= end; t += step, i++) values.push([t, String(i)]);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { job: 'x' }, values }] } }));
};

const reply =
  (status: number, body: string): Responder =>
  (_req, res) => {
    res.statusCode = status;
    res.end(body);
  };

describe('Prometheus client against loopback HTTP servers', () => {
  const servers: FakeServer[] = [];
  const clients: PrometheusClient[] = [];
  const serve = async (responders: Responder[]): Promise<FakeServer> => {
    const s = await fakeServer(responders);
    servers.push(s);
    return s;
  };
  const make = (...args: Parameters<typeof client>): PrometheusClient => {
    const c = client(...args);
    clients.push(c);
    return c;
  };
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  const endMs = 1_700_000_100_000 - (1_700_000_100_000 % STEP_MS);
  const startMs = endMs - 3_600_000;

  it('sends the bearer token, the form-encoded query and aligned times by POST to the API path under the URL prefix', async () => {
    const server = await serve([validMatrix]);
    const samples = await make(config(`${server.url}/prom/`, { bearerToken: 's3cret-token' })).queryRange('up{job="x"}', startMs + 1, endMs + 1, STEP_S);
    expect(samples.timestampsMs).toHaveLength(12);
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/prom/api/v1/query_range');
    expect(req?.headers['authorization']).toBe('Bearer s3cret-token');
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req?.form.get('query')).toBe('up{job="x"}');
    expect(Number(req?.form.get('start')) * 1000).toBe(startMs + STEP_MS);
    expect(Number(req?.form.get('end')) * 1000).toBe(endMs);
    expect(req?.form.get('step')).toBe('300');
    expect(req?.form.get('timeout')).toBe('5');
  });

  it('sends basic auth credentials', async () => {
    const server = await serve([validMatrix]);
    await make(config(server.url, { basicAuth: { username: 'ops', password: 'pä:ss' } })).queryRange('up', startMs, endMs, STEP_S);
    const expected = `Basic ${Buffer.from('ops:pä:ss', 'utf8').toString('base64')}`;
    expect(server.requests[0]?.headers['authorization']).toBe(expected);
  });

  it('retries after a 503 and succeeds', async () => {
    const server = await serve([reply(503, 'overloaded'), validMatrix]);
    const attempts = { success: 0, error: 0 };
    const samples = await make(config(server.url), attempts).queryRange('up', startMs, endMs, STEP_S);
    expect(samples.timestampsMs).toHaveLength(13);
    expect(attempts).toEqual({ success: 1, error: 1 });
  });

  it('retries after a garbage body and succeeds', async () => {
    const server = await serve([reply(200, '<html>proxy error</html>'), reply(200, '{"status":"success","data":'), validMatrix]);
    const attempts = { success: 0, error: 0 };
    await make(config(server.url), attempts).queryRange('up', startMs, endMs, STEP_S);
    expect(attempts).toEqual({ success: 1, error: 2 });
  });

  it('throws PRESCIENT_ERR_PROMETHEUS_UNREACHABLE when every attempt gets garbage or a 5xx', async () => {
    const garbage = await serve([reply(200, 'not json at all')]);
    const err = await rejection(make(config(garbage.url, { retries: 1 })).queryRange('up', startMs, endMs, STEP_S));
    expect(err.code).toBe('PRESCIENT_ERR_PROMETHEUS_UNREACHABLE');
    expect(err.message).toContain('not a Prometheus API response');
    expect(garbage.requests).toHaveLength(2);
    const failing = await serve([reply(500, JSON.stringify({ status: 'error', errorType: 'internal', error: 'disk on fire' }))]);
    const err500 = await rejection(make(config(failing.url, { retries: 3 })).queryRange('up', startMs, endMs, STEP_S));
    expect(err500.code).toBe('PRESCIENT_ERR_PROMETHEUS_UNREACHABLE');
    expect(err500.message).toContain('disk on fire');
    expect(failing.requests).toHaveLength(4);
  });

  it('throws PRESCIENT_ERR_PROMETHEUS_QUERY without retrying on a 4xx', async () => {
    const server = await serve([reply(401, 'Unauthorized')]);
    const err = await rejection(make(config(server.url)).queryRange('up', startMs, endMs, STEP_S));
    expect(err.code).toBe('PRESCIENT_ERR_PROMETHEUS_QUERY');
    expect(err.message).toContain('401');
    expect(server.requests).toHaveLength(1);
  });

  it('gives up on a server that never answers after the timeout, on every attempt', async () => {
    const server = await serve([() => undefined]);
    const started = Date.now();
    const err = await rejection(make(config(server.url, { timeout: '0.2s', retries: 1 })).queryRange('up', startMs, endMs, STEP_S));
    expect(err.code).toBe('PRESCIENT_ERR_PROMETHEUS_UNREACHABLE');
    expect(err.message).toContain('no complete answer within 0.2 s');
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses an answer larger than the size limit with PRESCIENT_ERR_PROMETHEUS_QUERY', async () => {
    const server = await serve([validMatrix]);
    const err = await rejection(make(config(server.url), undefined, { maxResponseBytes: 200 }).queryRange('up', startMs, endMs, STEP_S));
    expect(err.code).toBe('PRESCIENT_ERR_PROMETHEUS_QUERY');
    expect(err.message).toContain('larger than 200 bytes');
    expect(server.requests).toHaveLength(1);
  });

  it('turns NaN, +Inf and -Inf into NaN and refuses a non-matrix result', async () => {
    const server = await serve([
      reply(200, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, 'NaN'], [2, '+Inf'], [3, '-Inf'], [4, '7']] }] } })),
      reply(200, JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '1'] } })),
    ]);
    const c = make(config(server.url));
    const samples = await c.queryRange('x', 0, 3000, 1);
    expect(samples.values.slice(0, 3).every(Number.isNaN)).toBe(true);
    expect(samples.values[3]).toBe(7);
    expect((await rejection(c.queryRange('x', 0, 3000, 1))).code).toBe('PRESCIENT_ERR_PROMETHEUS_QUERY');
  });

  it('reads gzip-compressed answers', async () => {
    const { gzipSync } = await import('node:zlib');
    const server = await serve([
      (req, res) => {
        expect(req.headers['accept-encoding']).toContain('gzip');
        res.setHeader('content-encoding', 'gzip');
        res.end(gzipSync(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, '5']] }] } })));
      },
    ]);
    const samples = await make(config(server.url)).queryRange('x', 1000, 1000, 1);
    expect(samples).toEqual({ timestampsMs: [1000], values: [5] });
  });
});

describe('Prometheus client over TLS', () => {
  let dir: string;
  let server: ReturnType<typeof createHttpsServer>;
  let url: string;
  const clientNames: (string | undefined)[] = [];

  /** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
  function makeCertificates(): void {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    const run = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=prescient-test-ca');
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
    run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
    run('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=prescient-client');
    run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2');
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prescient-tls-'));
    makeCertificates();
    server = createHttpsServer(
      { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')), ca: readFileSync(join(dir, 'ca.crt')), requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const socket = req.socket as import('node:tls').TLSSocket;
        clientNames.push(socket.authorized ? String(socket.getPeerCertificate().subject?.CN) : undefined);
        const parts: Buffer[] = [];
        req.on('data', (p: Buffer) => parts.push(p));
        req.on('end', () => validMatrix({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, form: new URLSearchParams(Buffer.concat(parts).toString()) }, res));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the server against caFile and presents the client certificate', async () => {
    const c = client(config(url, { tls: { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') } }));
    try {
      const samples = await c.queryRange('up', 0, 3_600_000, STEP_S);
      expect(samples.timestampsMs).toHaveLength(13);
      expect(clientNames.at(-1)).toBe('prescient-client');
    } finally {
      c.close();
    }
  });

  it('refuses a server its CA does not vouch for (PRESCIENT_ERR_PROMETHEUS_UNREACHABLE), unless insecureSkipVerify', async () => {
    const strict = client(config(url, { retries: 0 }));
    const lax = client(config(url, { tls: { insecureSkipVerify: true } }));
    try {
      const err = await rejection(strict.queryRange('up', 0, 3_600_000, STEP_S));
      expect(err.code).toBe('PRESCIENT_ERR_PROMETHEUS_UNREACHABLE');
      expect(err.message).toMatch(/certificate/i);
      expect((await lax.queryRange('up', 0, 3_600_000, STEP_S)).timestampsMs).toHaveLength(13);
    } finally {
      strict.close();
      lax.close();
    }
  });

  it('throws PRESCIENT_ERR_CONFIG at creation when a TLS file cannot be read', () => {
    let error: unknown;
    try {
      createPrometheusClient(config(url, { tls: { caFile: join(dir, 'missing.crt') } }));
    } catch (err) {
      error = err;
    }
    expect((error as PrescientError).code).toBe('PRESCIENT_ERR_CONFIG');
    expect((error as PrescientError).message).toContain('prometheus.tls.caFile');
  });
});
