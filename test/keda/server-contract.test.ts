/**
 * The KEDA external-scaler contract (IsActive, StreamIsActive, GetMetricSpec,
 * GetMetrics, StreamMetricSpec) against ONE real gRPC server on a free
 * loopback port, reused by every test with a real @grpc/grpc-js client, so
 * the file runs in about a second and Stryker can score src/keda/server.ts
 * with it (test/mutation/REPORT.md). Only the re-check test starts a server of
 * its own (its interval is what it checks); binding, close(graceMs) and a
 * server without a log are in server-lifecycle.test.ts.
 * test/keda/server.slow.test.ts keeps the older one-server-per-case suite.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../src/config/schema.js';
import { sharedRecommender } from '../../src/engine/recommender.js';
import { TargetStates, type TargetState } from '../../src/engine/target-state.js';
import { toPrescientError } from '../../src/errors.js';
import { parseScalerMetadata } from '../../src/keda/metadata.js';
import { capDetails, MAX_STATUS_DETAILS, startKedaServer, type KedaServer } from '../../src/keda/server.js';
import { ExternalScalerClient as ExternalScaler, forecastAt, statusOn, unaryOn, type ScalerClient } from './helpers.js';

type Client = ScalerClient;

// The shared server re-checks streams only every minute, so a push seen within a test came from a
// forecast event; the re-check test starts a server of its own with a short interval.
const RECHECK_MS = 60_000;
const ref = (scalerMetadata: Record<string, string>) => ({ name: 'web-app', namespace: 'shop', scalerMetadata });

function config(server: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    server: { grpcPort: 0, authToken: 'test-token-0123456789', ...server },
    targets: [
      {
        name: 'web',
        source: { type: 'file', path: 'data/web.csv' },
        levels: [0.8, 0.95],
        staleAfter: '1h',
        scaling: { capacityPerReplica: 100, quantile: 0.9, leadTime: '5m', minReplicas: 1, maxReplicas: 50 },
      },
      { name: 'batch', source: { type: 'file', path: 'data/batch.csv' } },
      { name: 'boom', source: { type: 'file', path: 'data/boom.csv' } },
      // Never given a forecast.
      { name: 'idle', source: { type: 'file', path: 'data/idle.csv' }, scaling: { capacityPerReplica: 10 } },
    ],
  });
}

/**
 * The service's TargetStates with two test handles: `web`'s capacity per
 * replica can be changed as a configuration reload would, and looking up
 * `boom` fails with an unexpected (non-catalogue) error, as a bug would.
 */
class TestStates extends TargetStates {
  capacity: number | undefined;
  override get(name: string): TargetState | undefined {
    if (name === 'boom') throw new Error('secret internal detail /var/lib/prescient');
    const state = super.get(name);
    if (!state?.config.scaling || this.capacity === undefined) return state;
    return { ...state, config: { ...state.config, scaling: { ...state.config.scaling, capacityPerReplica: this.capacity } } };
  }
}

const T0 = Date.parse('2026-03-02T08:00:00Z');
// Each test starts a day after the previous one: the shared scale-in memory must not carry over.
let day = T0;
let nowMs = T0;
let states: TestStates;
let server: KedaServer;
let client: Client;
let closed = false;
/** What the shared server logged (internal errors only). */
const logged: Array<{ obj: object; msg: string }> = [];

const unary = <T>(method: string, request: unknown) => unaryOn<T>(client, method, request);
const statusOf = (method: string, request: unknown, c: Client = client) => statusOn(c, method, request);

/** A server stream: `next()` waits for the next message, `ended` settles with the final status. */
function openStream<T>(method: string, request: unknown) {
  const call = client[method]!(request) as grpc.ClientReadableStream<T>;
  const received: T[] = [];
  const waiters: Array<(value: T) => void> = [];
  const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.on('data', (msg: T) => {
    const waiter = waiters.shift();
    if (waiter) waiter(msg);
    else received.push(msg);
  });
  call.on('error', () => undefined); // the status carries it
  return {
    call,
    ended,
    pending: () => received.length,
    next: (timeoutMs = 2_000): Promise<T> => {
      const queued = received.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${method} message within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((msg) => {
          clearTimeout(timer);
          resolve(msg);
        });
      });
    },
  };
}

/** Resolves when the server has added (or removed) its forecast listener. */
async function listeners(count: number): Promise<void> {
  const started = Date.now();
  while (states.listenerCount('forecast') !== count) {
    if (Date.now() - started > 2_000) throw new Error(`forecast listeners stayed ${states.listenerCount('forecast')}, expected ${count}`);
    await new Promise((r) => setImmediate(r));
  }
}

beforeAll(async () => {
  const c = config();
  states = new TestStates(c.targets);
  server = await startKedaServer({ states, config: c, host: '127.0.0.1', port: 0, now: () => nowMs, streamRecheckMs: RECHECK_MS,
    log: { error: (obj, msg) => logged.push({ obj, msg }) },
  });
  client = new ExternalScaler(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as Client;
});

afterAll(async () => {
  client?.close();
  if (!closed) await server?.close();
});

beforeEach(async () => {
  day += 86_400_000;
  nowMs = day;
  states.capacity = undefined;
  logged.length = 0;
  // The previous test's streams are cancelled; wait until the server has let them go.
  if (!closed) await listeners(0);
});

describe('capDetails', () => {
  it('keeps details of up to MAX_STATUS_DETAILS characters and cuts longer ones, saying how much', () => {
    expect(MAX_STATUS_DETAILS).toBe(1024);
    const full = 'x'.repeat(1024);
    expect(capDetails(full)).toBe(full);
    const long = 'y'.repeat(1025);
    expect(capDetails(long)).toBe(`${'y'.repeat(984)} … (41 more characters)`);
    expect(capDetails(long).length).toBeLessThanOrEqual(1024);
  });
});

describe('KEDA external scaler contract (one server)', () => {
  it('GetMetricSpec: target 1 in replicas mode, the capacity per replica in load mode, int64 rounded up', async () => {
    expect(await unary('GetMetricSpec', ref({ target: 'web' }))).toEqual({
      metricSpecs: [{ metricName: 'prescient-web-replicas', targetSize: '1', targetSizeFloat: 1 }],
    });
    expect(await unary('GetMetricSpec', ref({ target: 'web', mode: 'load' }))).toEqual({
      metricSpecs: [{ metricName: 'prescient-web-load', targetSize: '100', targetSizeFloat: 100 }],
    });
    states.capacity = 120.25;
    expect(await unary('GetMetricSpec', ref({ target: 'web', mode: 'load' }))).toEqual({
      metricSpecs: [{ metricName: 'prescient-web-load', targetSize: '121', targetSizeFloat: 120.25 }],
    });
    // Replicas mode stays at 1 whatever the capacity.
    expect(await unary('GetMetricSpec', ref({ target: 'web' }))).toEqual({
      metricSpecs: [{ metricName: 'prescient-web-replicas', targetSize: '1', targetSizeFloat: 1 }],
    });
  });

  it('GetMetrics: replicas, or the larger of the window load and the observed load; the asked metric name or the own one', async () => {
    // Forecast 220 with a 450.5 spike at +3 min (inside the 5-minute lead), observed 180.
    const spiky = Array.from({ length: 120 }, (_, i) => (i === 3 ? 450.5 : 220));
    states.setForecast('web', forecastAt(nowMs, spiky, { observed: 180 }));
    expect(await unary('GetMetrics', { scaledObjectRef: ref({ target: 'web' }), metricName: 's0-prescient-web-replicas' })).toEqual({
      metricValues: [{ metricName: 's0-prescient-web-replicas', metricValue: '5', metricValueFloat: 5 }],
    });
    expect(await unary('GetMetrics', { scaledObjectRef: ref({ target: 'web', mode: 'load' }), metricName: '' })).toEqual({
      metricValues: [{ metricName: 'prescient-web-load', metricValue: '451', metricValueFloat: 450.5 }],
    });
    // The lead time and quantile from the metadata reach the recommender: 1 minute leaves the spike out;
    // quantile 0.8 is not forecast here (its interval level 0.6 is not configured).
    expect(await unary('GetMetrics', { scaledObjectRef: ref({ target: 'web', mode: 'load', leadTime: '1m' }), metricName: 'm' })).toEqual({
      metricValues: [{ metricName: 'm', metricValue: '220', metricValueFloat: 220 }],
    });
    expect(await statusOf('GetMetrics', { scaledObjectRef: ref({ target: 'web', quantile: '0.8' }), metricName: 'm' })).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/^PRESCIENT_ERR_LEVEL_UNAVAILABLE: /),
    });
    // The observed load above the forecast is the reactive floor of load mode.
    states.setForecast('web', forecastAt(nowMs, 150, { observed: 480.5 }));
    expect(await unary('GetMetrics', { scaledObjectRef: ref({ target: 'web', mode: 'load' }), metricName: 'm' })).toEqual({
      metricValues: [{ metricName: 'm', metricValue: '481', metricValueFloat: 480.5 }],
    });
  });

  it('IsActive: active only when the metric is above activationThreshold (equal is inactive)', async () => {
    states.setForecast('web', forecastAt(nowMs, 250)); // ceil(250 / 100) = 3 replicas
    expect(await unary('IsActive', ref({ target: 'web', activationThreshold: '2.99' }))).toEqual({ result: true });
    expect(await unary('IsActive', ref({ target: 'web', activationThreshold: '3' }))).toEqual({ result: false });
    expect(await unary('IsActive', ref({ target: 'web', mode: 'load', activationThreshold: '249.5' }))).toEqual({ result: true });
    expect(await unary('IsActive', ref({ target: 'web', mode: 'load', activationThreshold: '250' }))).toEqual({ result: false });
    // The same metadata in another key order is the same trigger.
    expect(await unary('IsActive', { ...ref({ activationThreshold: '2.99', target: 'web' }) })).toEqual({ result: true });
  });

  it('answers each catalogue error with its gRPC status and "<code>: <message>"', async () => {
    expect(await statusOf('IsActive', ref({ target: 'idle' }))).toEqual({
      code: grpc.status.UNAVAILABLE,
      details: 'PRESCIENT_ERR_FORECAST_UNAVAILABLE: target "idle" has no forecast yet (the first fit has not finished)',
    });
    expect(await statusOf('GetMetrics', { scaledObjectRef: ref({ target: 'nope' }), metricName: 'm' })).toEqual({
      code: grpc.status.NOT_FOUND,
      details: 'PRESCIENT_ERR_TARGET_NOT_FOUND: no target named "nope" is configured',
    });
    const noScaling = await statusOf('GetMetricSpec', ref({ target: 'batch' }));
    expect(noScaling.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(noScaling.details).toMatch(/^PRESCIENT_ERR_SCALING_NOT_CONFIGURED: target "batch" has no scaling section/);
    const unknownKey = await statusOf('GetMetricSpec', ref({ target: 'web', capacity: '3' }));
    expect(unknownKey.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(unknownKey.details).toMatch(/^PRESCIENT_ERR_VALIDATION: .*scalerMetadata\.capacity/);
    // GetMetrics without a scaledObjectRef is read as empty metadata: the target is missing.
    const noRef = await statusOf('GetMetrics', { metricName: 'm' });
    expect(noRef.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(noRef.details).toMatch(/^PRESCIENT_ERR_VALIDATION: .*scalerMetadata\.target/);
    // KEDA's mistakes are answered, not logged: a log line per poll would flood the service's log.
    expect(logged).toEqual([]);
  });

  it('answers UNAVAILABLE once the forecast is older than twice staleAfter (an autoscaler is asking)', async () => {
    states.setForecast('web', forecastAt(nowMs, 250, { steps: 600 }));
    nowMs += 119 * 60_000; // stale (> 1 h), not yet twice staleAfter: still served
    expect(await unary('GetMetrics', { scaledObjectRef: ref({ target: 'web' }), metricName: 'm' })).toEqual({
      metricValues: [{ metricName: 'm', metricValue: '3', metricValueFloat: 3 }],
    });
    nowMs += 2 * 60_000;
    const tooStale = await statusOf('IsActive', ref({ target: 'web' }));
    expect(tooStale.code).toBe(grpc.status.UNAVAILABLE);
    expect(tooStale.details).toMatch(/^PRESCIENT_ERR_FORECAST_UNAVAILABLE: target "web": the forecast is \d+ s old, more than twice staleAfter/);
  });

  it('hides an internal error behind "internal error" (code INTERNAL), on unary calls and on stream open, and logs its detail', async () => {
    const expected = { code: grpc.status.INTERNAL, details: 'PRESCIENT_ERR_INTERNAL: internal error' };
    expect(await statusOf('GetMetrics', { scaledObjectRef: ref({ target: 'boom' }), metricName: 'm' })).toEqual(expected);
    expect(await statusOf('GetMetricSpec', ref({ target: 'boom' }))).toEqual(expected);
    const stream = openStream('StreamIsActive', ref({ target: 'boom' }));
    expect(await stream.ended).toMatchObject(expected);
    const line = { obj: { component: 'keda', err: new Error('secret internal detail /var/lib/prescient') }, msg: 'internal error answering KEDA: secret internal detail /var/lib/prescient' };
    expect(logged).toEqual([line, line, line]);
  });

  it('never hands KEDA a negative metric: a forecast and observed load below 0 is an INTERNAL error, 0 is served', async () => {
    // The recommender passes negative loads through (a metric that can go negative); KEDA would read one as 0.
    states.setForecast('web', forecastAt(nowMs, -50, { observed: -10 }));
    expect(await statusOf('GetMetrics', { scaledObjectRef: ref({ target: 'web', mode: 'load' }), metricName: 'm' })).toEqual({
      code: grpc.status.INTERNAL,
      details: 'PRESCIENT_ERR_INTERNAL: internal error',
    });
    expect(logged.map((l) => l.msg)).toEqual(['internal error answering KEDA: metric value -10 is negative or not finite']);
    states.setForecast('web', forecastAt(nowMs, 0, { observed: 0 }));
    expect(await unary('GetMetrics', { scaledObjectRef: ref({ target: 'web', mode: 'load' }), metricName: 'm' })).toEqual({
      metricValues: [{ metricName: 'm', metricValue: '0', metricValueFloat: 0 }],
    });
  });

  it('cuts a long status message to MAX_STATUS_DETAILS characters, saying how many were cut', async () => {
    const metadata: Record<string, string> = { target: 'web' };
    for (let k = 0; k < 120; k++) metadata[`unknownKeyNumber${k}`] = '1';
    let message = '';
    try {
      parseScalerMetadata(metadata);
    } catch (err) {
      message = `PRESCIENT_ERR_VALIDATION: ${toPrescientError(err).message}`;
    }
    expect(message.length).toBeGreaterThan(MAX_STATUS_DETAILS);
    const status = await statusOf('GetMetricSpec', ref(metadata));
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toBe(`${message.slice(0, 984)} … (${message.length - 984} more characters)`);
  });

  it('StreamIsActive: the state on open, then a push only when a forecast of this target changes it', async () => {
    states.setForecast('web', forecastAt(nowMs, 200));
    const before = states.listenerCount('forecast');
    const stream = openStream<{ result: boolean }>('StreamIsActive', ref({ target: 'web', activationThreshold: '4' }));
    expect(await stream.next()).toEqual({ result: false });
    await listeners(before + 1);
    // Below the threshold still: nothing. Crossing it: pushed at once.
    states.setForecast('web', forecastAt(nowMs, 300));
    states.setForecast('web', forecastAt(nowMs, 900));
    expect(await stream.next()).toEqual({ result: true });
    // Still above: nothing (a stream keeps its order, so the next message being the crossing back proves it).
    states.setForecast('web', forecastAt(nowMs, 950));
    nowMs += 10 * 60_000; // past the scale-in stabilisation
    states.setForecast('web', forecastAt(nowMs, 200));
    expect(await stream.next()).toEqual({ result: false });
    expect(stream.pending()).toBe(0);
    stream.call.cancel();
    expect((await stream.ended).code).toBe(grpc.status.CANCELLED);
    await listeners(before);
  });

  it('StreamIsActive ends with the status on bad metadata, keeping no listener', async () => {
    const before = states.listenerCount('forecast');
    const stream = openStream('StreamIsActive', ref({ target: 'web', mode: 'cpu' }));
    const status = await stream.ended;
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toMatch(/^PRESCIENT_ERR_VALIDATION: .*scalerMetadata\.mode/);
    expect(stream.pending()).toBe(0);
    expect(states.listenerCount('forecast')).toBe(before);
  });

  it('StreamIsActive keeps the last answer while the target errs, and pushes again once it answers', async () => {
    states.setForecast('web', forecastAt(nowMs, 900, { steps: 600 }));
    const stream = openStream<{ result: boolean }>('StreamIsActive', ref({ target: 'web', activationThreshold: '4' }));
    expect(await stream.next()).toEqual({ result: true });
    // Too stale to scale on: every re-check now throws; the stream stays open and silent.
    nowMs += 3 * 3_600_000;
    states.setForecast('batch', forecastAt(nowMs, 1)); // any forecast event; web's is the one that counts
    // A fresh low forecast answers again: the next message is `false`, so nothing was pushed for the errors.
    states.setForecast('web', forecastAt(nowMs, 200));
    expect(await stream.next()).toEqual({ result: false });
    stream.call.cancel();
    await stream.ended;
  });

  it("StreamMetricSpec re-sends on a change, reacting to this target's forecasts only", async () => {
    states.setForecast('web', forecastAt(nowMs, 200));
    const before = states.listenerCount('forecast');
    const stream = openStream<{ metricSpecs: unknown[] }>('StreamMetricSpec', ref({ target: 'web', mode: 'load' }));
    const spec = (size: string, float: number) => ({ metricSpecs: [{ metricName: 'prescient-web-load', targetSize: size, targetSizeFloat: float }] });
    expect(await stream.next()).toEqual(spec('100', 100));
    await listeners(before + 1);
    // All in one tick, so no re-check timer runs in between: another target's forecast while web's
    // capacity is 150 sends nothing; by web's next forecast it is back to 100, unchanged: nothing.
    states.capacity = 150;
    states.setForecast('batch', forecastAt(nowMs, 1));
    states.capacity = 100;
    states.setForecast('web', forecastAt(nowMs, 300));
    states.capacity = 120.5;
    states.setForecast('web', forecastAt(nowMs, 300));
    expect(await stream.next()).toEqual(spec('121', 120.5));
    expect(stream.pending()).toBe(0);
    stream.call.cancel();
    await listeners(before);
  });

  it('StreamIsActive re-checks on its timer without a new forecast: the lead window slides onto a peak', async () => {
    const c = config();
    const localStates = new TargetStates(c.targets);
    // A peak 30 minutes ahead, outside the 5-minute lead window at first.
    const load = Array.from({ length: 120 }, (_, i) => (i >= 30 && i < 40 ? 900 : 200));
    localStates.setForecast('web', forecastAt(nowMs, load));
    const local = await startKedaServer({ states: localStates, config: c, host: '127.0.0.1', port: 0, now: () => nowMs, streamRecheckMs: 50 });
    const shared = client;
    client = new ExternalScaler(`127.0.0.1:${local.port}`, grpc.credentials.createInsecure()) as Client;
    try {
      const stream = openStream<{ result: boolean }>('StreamIsActive', ref({ target: 'web', activationThreshold: '4' }));
      expect(await stream.next()).toEqual({ result: false });
      nowMs += 27 * 60_000; // time passes, no forecast event: only the re-check can notice
      expect(await stream.next(2_000)).toEqual({ result: true });
      stream.call.cancel();
      await stream.ended;
    } finally {
      client.close();
      client = shared;
      await local.close();
    }
  });

  it('shares scale-in memory with the other faces (one recommender by default)', async () => {
    states.setForecast('web', forecastAt(nowMs, 730));
    // A peak answered by another face (REST and /metrics use sharedRecommender(states) too) ...
    expect(sharedRecommender(states).recommend('web', nowMs, { leadTimeSeconds: 240 }).replicas).toBe(8);
    // A lead time of its own gives this trigger a fresh memory (the recommender keeps one per setting).
    const metric = async () =>
      ((await unary<{ metricValues: Array<{ metricValueFloat: number }> }>('GetMetrics', { scaledObjectRef: ref({ target: 'web', leadTime: '4m' }), metricName: 'm' }))
        .metricValues[0]?.metricValueFloat);
    nowMs += 60_000;
    states.setForecast('web', forecastAt(nowMs, 240));
    expect(await metric()).toBe(8); // ... holds gRPC's answer within the 300 s stabilisation window
    nowMs += 10 * 60_000;
    states.setForecast('web', forecastAt(nowMs, 240));
    expect(await metric()).toBe(3);
  });

  // Last: it closes the shared server.
  it('close() ends open streams at once, drops their listeners and refuses new calls', async () => {
    states.setForecast('web', forecastAt(nowMs, 200));
    const stream = openStream<{ result: boolean }>('StreamIsActive', ref({ target: 'web' }));
    await stream.next();
    const started = Date.now();
    closed = true;
    await server.close();
    expect(Date.now() - started).toBeLessThan(1_500); // not the 2 s forced cut
    expect((await stream.ended).code).toBe(grpc.status.OK);
    expect(states.listenerCount('forecast')).toBe(0);
    expect((await statusOf('IsActive', ref({ target: 'web' }))).code).toBe(grpc.status.UNAVAILABLE);
  });
});
