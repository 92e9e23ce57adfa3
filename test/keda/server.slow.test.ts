import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TargetStates, type TargetState } from '../../src/engine/target-state.js';
import { startKedaServer, type KedaServer } from '../../src/keda/server.js';
import { sharedRecommender } from '../../src/engine/recommender.js';
import { ExternalScalerClient as ExternalScaler, forecastAt, statesWith, statusOn, testConfig, unaryOn, type ScalerClient } from './helpers.js';

type Metadata = Record<string, string>;
const ref = (scalerMetadata: Metadata) => ({ name: 'web-app', namespace: 'shop', scalerMetadata });

const T0 = Date.parse('2026-03-02T08:00:00Z');
// Each test starts a day after the previous one: the server's scale-in
// memory (shared across calls, as in production) must not carry over.
let start = T0;
let nowMs = T0;
let states: TargetStates;
let server: KedaServer;
let client: ScalerClient;

const unary = <T>(method: string, request: unknown) => unaryOn<T>(client, method, request);
const statusOf = (method: string, request: unknown) => statusOn(client, method, request);

/** Collects stream messages; `next()` waits for the next one. */
function openStream<T>(method: string, request: unknown) {
  const call = client[method]!(request) as grpc.ClientReadableStream<T>;
  const received: T[] = [];
  const waiters: Array<(value: T) => void> = [];
  let status: grpc.StatusObject | undefined;
  let error: grpc.ServiceError | undefined;
  call.on('data', (msg: T) => {
    const waiter = waiters.shift();
    if (waiter) waiter(msg);
    else received.push(msg);
  });
  call.on('error', (err: grpc.ServiceError) => {
    error = err;
  });
  call.on('status', (s: grpc.StatusObject) => {
    status = s;
  });
  return {
    call,
    next: (timeoutMs = 3_000): Promise<T> => {
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
    pending: () => received.length,
    error: () => error,
    status: () => status,
  };
}

async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** TargetStates whose `web` target's capacity per replica can be changed, as a configuration reload would. */
class ReloadableStates extends TargetStates {
  capacity: number | undefined;
  override get(name: string): TargetState | undefined {
    const state = super.get(name);
    if (!state?.config.scaling || this.capacity === undefined) return state;
    return { ...state, config: { ...state.config, scaling: { ...state.config.scaling, capacityPerReplica: this.capacity } } };
  }
}

beforeAll(async () => {
  const config = testConfig();
  states = statesWith(config);
  server = await startKedaServer({ states, config, host: '127.0.0.1', port: 0, now: () => nowMs, streamRecheckMs: 60_000 });
  client = new ExternalScaler(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as typeof client;
});

afterAll(async () => {
  client?.close();
  await server?.close();
});

beforeEach(() => {
  start += 86_400_000;
  nowMs = start;
});

describe('KEDA external scaler over gRPC', () => {
  it('binds an ephemeral port when asked for 0', () => {
    expect(server.port).toBeGreaterThan(0);
  });

  it('answers UNAVAILABLE with the reason while the target has no forecast (never a silent 0)', async () => {
    const status = await statusOf('GetMetrics', { scaledObjectRef: ref({ target: 'web' }), metricName: 's0-prescient-web-replicas' });
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
    expect(status.details).toContain('PRESCIENT_ERR_FORECAST_UNAVAILABLE');
    expect(status.details).toContain('no forecast yet');
    expect((await statusOf('IsActive', ref({ target: 'web' }))).code).toBe(grpc.status.UNAVAILABLE);
  });

  it('GetMetricSpec gives target size 1 in replicas mode and capacity per replica in load mode, both fields filled', async () => {
    const replicas = await unary<{ metricSpecs: unknown[] }>('GetMetricSpec', ref({ scalerAddress: 'prescient:9090', target: 'web' }));
    expect(replicas.metricSpecs).toEqual([{ metricName: 'prescient-web-replicas', targetSize: '1', targetSizeFloat: 1 }]);
    const load = await unary<{ metricSpecs: unknown[] }>('GetMetricSpec', ref({ target: 'web', mode: 'load' }));
    expect(load.metricSpecs).toEqual([{ metricName: 'prescient-web-load', targetSize: '100', targetSizeFloat: 100 }]);
  });

  it('GetMetrics reports recommended replicas, or the window load rounded up in the int64 field', async () => {
    const spiky = Array.from({ length: 120 }, (_, i) => (i === 3 ? 450.5 : 220));
    states.setForecast('web', forecastAt(nowMs, spiky, { observed: 180 }));
    const replicas = await unary<{ metricValues: unknown[] }>('GetMetrics', {
      scaledObjectRef: ref({ target: 'web' }),
      metricName: 's0-prescient-web-replicas',
    });
    // The spike (450.5 at +3 min) is inside the 5-minute lead window: ceil(450.5 / 100) = 5.
    expect(replicas.metricValues).toEqual([{ metricName: 's0-prescient-web-replicas', metricValue: '5', metricValueFloat: 5 }]);
    const load = await unary<{ metricValues: unknown[] }>('GetMetrics', {
      scaledObjectRef: ref({ target: 'web', mode: 'load' }),
      metricName: 's1-prescient-web-load',
    });
    expect(load.metricValues).toEqual([{ metricName: 's1-prescient-web-load', metricValue: '451', metricValueFloat: 450.5 }]);
    // A shorter lead time from the metadata leaves the spike outside the window.
    const shortLead = await unary<{ metricValues: Array<{ metricValueFloat: number }> }>('GetMetrics', {
      scaledObjectRef: ref({ target: 'web', mode: 'load', leadTime: '1m' }),
      metricName: 'm',
    });
    expect(shortLead.metricValues[0]?.metricValueFloat).toBe(220);
  });

  it('IsActive compares the metric with activationThreshold', async () => {
    states.setForecast('web', forecastAt(nowMs, 250));
    expect(await unary('IsActive', ref({ target: 'web', activationThreshold: '2' }))).toEqual({ result: true });
    expect(await unary('IsActive', ref({ target: 'web', activationThreshold: '3' }))).toEqual({ result: false });
  });

  it('rejects bad metadata with INVALID_ARGUMENT naming the key', async () => {
    const unknown = await statusOf('GetMetrics', { scaledObjectRef: ref({ target: 'web', capacity: '3' }), metricName: 'm' });
    expect(unknown.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(unknown.details).toContain('scalerMetadata.capacity');
    const badQuantile = await statusOf('IsActive', ref({ target: 'web', quantile: '2' }));
    expect(badQuantile.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(badQuantile.details).toContain('scalerMetadata.quantile');
    const missing = await statusOf('GetMetricSpec', ref({}));
    expect(missing.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(missing.details).toContain('scalerMetadata.target');
  });

  it('maps catalogue errors to their gRPC statuses', async () => {
    states.setForecast('web', forecastAt(nowMs, 250));
    const notFound = await statusOf('GetMetrics', { scaledObjectRef: ref({ target: 'nope' }), metricName: 'm' });
    expect(notFound).toMatchObject({ code: grpc.status.NOT_FOUND });
    expect(notFound.details).toContain('PRESCIENT_ERR_TARGET_NOT_FOUND');
    const noScaling = await statusOf('GetMetricSpec', ref({ target: 'batch' }));
    expect(noScaling.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(noScaling.details).toContain('PRESCIENT_ERR_SCALING_NOT_CONFIGURED');
    // Quantile 0.95 needs the 90 % interval, which the target does not forecast.
    const level = await statusOf('GetMetrics', { scaledObjectRef: ref({ target: 'web', quantile: '0.95' }), metricName: 'm' });
    expect(level.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(level.details).toContain('PRESCIENT_ERR_LEVEL_UNAVAILABLE');
  });

  it('answers UNAVAILABLE once the forecast is older than twice staleAfter', async () => {
    states.setForecast('web', forecastAt(nowMs, 250, { steps: 600 }));
    nowMs = start + 90 * 60_000; // stale (> 1 h) but still usable
    const stale = await unary<{ metricValues: Array<{ metricValueFloat: number }> }>('GetMetrics', {
      scaledObjectRef: ref({ target: 'web' }),
      metricName: 'm',
    });
    expect(stale.metricValues[0]?.metricValueFloat).toBe(3);
    nowMs = start + 121 * 60_000;
    const tooStale = await statusOf('GetMetrics', { scaledObjectRef: ref({ target: 'web' }), metricName: 'm' });
    expect(tooStale.code).toBe(grpc.status.UNAVAILABLE);
    expect(tooStale.details).toContain('more than twice staleAfter');
  });

  it('StreamIsActive sends the state on open and pushes when a refreshed forecast crosses the threshold', async () => {
    states.setForecast('web', forecastAt(nowMs, 200));
    const listenersBefore = states.listenerCount('forecast');
    const stream = openStream<{ result: boolean }>('StreamIsActive', ref({ target: 'web', activationThreshold: '4' }));
    expect(await stream.next()).toEqual({ result: false });
    await until(() => states.listenerCount('forecast') === listenersBefore + 1);

    // A refresh that stays below the threshold pushes nothing.
    states.setForecast('web', forecastAt(nowMs, 300));
    // A refresh that crosses it is pushed at once.
    states.setForecast('web', forecastAt(nowMs, 900));
    expect(await stream.next()).toEqual({ result: true });
    // Still above it: nothing is pushed. A stream keeps its order, so the next message being the
    // crossing back below proves nothing was sent in between (no sleep needed to see "nothing").
    states.setForecast('web', forecastAt(nowMs, 950));
    // Past the scale-in stabilisation window, a low forecast crosses back below.
    nowMs += 10 * 60_000;
    states.setForecast('web', forecastAt(nowMs, 200));
    expect(await stream.next()).toEqual({ result: false });
    expect(stream.pending()).toBe(0);

    stream.call.cancel();
    await until(() => states.listenerCount('forecast') === listenersBefore);
  });

  it('StreamIsActive ends with INVALID_ARGUMENT on bad metadata and keeps no listener', async () => {
    const listenersBefore = states.listenerCount('forecast');
    const stream = openStream<{ result: boolean }>('StreamIsActive', ref({ target: 'web', mode: 'cpu' }));
    await until(() => stream.error() !== undefined);
    expect(stream.error()?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(stream.error()?.details).toContain('scalerMetadata.mode');
    expect(states.listenerCount('forecast')).toBe(listenersBefore);
  });

  it('StreamMetricSpec sends the current, non-empty spec on open and cleans up on cancel', async () => {
    states.setForecast('web', forecastAt(nowMs, 200));
    const listenersBefore = states.listenerCount('forecast');
    const stream = openStream<{ metricSpecs: unknown[] }>('StreamMetricSpec', ref({ target: 'web', mode: 'load' }));
    expect(await stream.next()).toEqual({ metricSpecs: [{ metricName: 'prescient-web-load', targetSize: '100', targetSizeFloat: 100 }] });
    // (That a forecast which leaves the spec unchanged sends nothing is shown by the reload test below.)
    stream.call.cancel();
    await until(() => states.listenerCount('forecast') === listenersBefore);
  });

  it('StreamMetricSpec sends the spec again when it changes (capacity per replica reloaded)', async () => {
    const config = testConfig();
    const reloadable = new ReloadableStates(config.targets);
    reloadable.setForecast('web', forecastAt(nowMs, 200));
    const local = await startKedaServer({ states: reloadable, config, host: '127.0.0.1', port: 0, now: () => nowMs, streamRecheckMs: 60_000 });
    const localClient = new ExternalScaler(`127.0.0.1:${local.port}`, grpc.credentials.createInsecure()) as typeof client;
    const previous = client;
    client = localClient;
    try {
      const stream = openStream<{ metricSpecs: unknown[] }>('StreamMetricSpec', ref({ target: 'web', mode: 'load' }));
      expect(await stream.next()).toEqual({ metricSpecs: [{ metricName: 'prescient-web-load', targetSize: '100', targetSizeFloat: 100 }] });
      reloadable.capacity = 150;
      reloadable.setForecast('web', forecastAt(nowMs, 200));
      expect(await stream.next()).toEqual({ metricSpecs: [{ metricName: 'prescient-web-load', targetSize: '150', targetSizeFloat: 150 }] });
      // A new forecast that leaves the spec unchanged sends nothing: a stream keeps its order, so the next
      // message being the next real change proves nothing was sent in between (no sleep needed).
      reloadable.setForecast('web', forecastAt(nowMs, 300));
      reloadable.capacity = 120.5;
      reloadable.setForecast('web', forecastAt(nowMs, 300));
      expect(await stream.next()).toEqual({ metricSpecs: [{ metricName: 'prescient-web-load', targetSize: '121', targetSizeFloat: 120.5 }] });
      expect(stream.pending()).toBe(0);
      stream.call.cancel();
    } finally {
      client = previous;
      localClient.close();
      await local.close();
    }
  });

  it('StreamIsActive re-checks on its timer without a new forecast: the lead window slides onto a peak', async () => {
    const config = testConfig();
    const localStates = statesWith(config);
    // A peak 30 minutes ahead, outside the 5-minute lead window at first.
    const load = Array.from({ length: 120 }, (_, i) => (i >= 30 && i < 40 ? 900 : 200));
    localStates.setForecast('web', forecastAt(nowMs, load));
    const local = await startKedaServer({ states: localStates, config, host: '127.0.0.1', port: 0, now: () => nowMs, streamRecheckMs: 25 });
    const localClient = new ExternalScaler(`127.0.0.1:${local.port}`, grpc.credentials.createInsecure()) as typeof client;
    const previous = client;
    client = localClient;
    try {
      const stream = openStream<{ result: boolean }>('StreamIsActive', ref({ target: 'web', activationThreshold: '4' }));
      expect(await stream.next()).toEqual({ result: false });
      // Time passes, no refresh: the recheck alone must notice the peak inside the lead window.
      nowMs += 27 * 60_000;
      expect(await stream.next(5_000)).toEqual({ result: true });
      stream.call.cancel();
    } finally {
      client = previous;
      localClient.close();
      await local.close();
    }
  });

  it('mode load reports the observed load when it is above the forecast (the reactive floor)', async () => {
    states.setForecast('web', forecastAt(nowMs, 150, { observed: 480 }));
    const load = await unary<{ metricValues: unknown[] }>('GetMetrics', { scaledObjectRef: ref({ target: 'web', mode: 'load' }), metricName: 'm' });
    expect(load.metricValues).toEqual([{ metricName: 'm', metricValue: '480', metricValueFloat: 480 }]);
    const replicas = await unary<{ metricValues: unknown[] }>('GetMetrics', { scaledObjectRef: ref({ target: 'web' }), metricName: 'm' });
    expect(replicas.metricValues).toEqual([{ metricName: 'm', metricValue: '5', metricValueFloat: 5 }]);
  });

  it('shares scale-in memory with the other faces (one recommender by default)', async () => {
    // A peak answered elsewhere (REST or /metrics use sharedRecommender(states) too) ...
    states.setForecast('web', forecastAt(nowMs, 730));
    expect(sharedRecommender(states).recommend('web', nowMs).replicas).toBe(8);
    // ... then the load drops: within the 300 s stabilisation window gRPC still answers 8, not 3.
    nowMs += 60_000;
    states.setForecast('web', forecastAt(nowMs, 240));
    const held = await unary<{ metricValues: Array<{ metricValueFloat: number }> }>('GetMetrics', { scaledObjectRef: ref({ target: 'web' }), metricName: 'm' });
    expect(held.metricValues[0]?.metricValueFloat).toBe(8);
    // Past the window it scales in.
    nowMs += 10 * 60_000;
    states.setForecast('web', forecastAt(nowMs, 240));
    const after = await unary<{ metricValues: Array<{ metricValueFloat: number }> }>('GetMetrics', { scaledObjectRef: ref({ target: 'web' }), metricName: 'm' });
    expect(after.metricValues[0]?.metricValueFloat).toBeLessThan(8);
  });

  it('closes with a stream still open', async () => {
    const config = testConfig();
    const localStates = statesWith(config);
    localStates.setForecast('web', forecastAt(nowMs, 200));
    const local = await startKedaServer({ states: localStates, config, host: '127.0.0.1', port: 0, now: () => nowMs });
    const localClient = new ExternalScaler(`127.0.0.1:${local.port}`, grpc.credentials.createInsecure());
    const call = (localClient as unknown as Record<string, (r: unknown) => grpc.ClientReadableStream<unknown>>).StreamIsActive!(ref({ target: 'web' }));
    await new Promise((resolve) => call.once('data', resolve));
    const started = Date.now();
    await local.close();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(localStates.listenerCount('forecast')).toBe(0);
    localClient.close();
  });
});
