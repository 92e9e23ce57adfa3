import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '../support/redis.js';
import { generateSynthetic } from '../../data/generate.js';
import { kill9, requestJson, ROOT, startReplica, until, type Replica } from '../support/replicas.js';

/**
 * What every api replica must answer alike, on a real redis-server with two
 * api processes and one worker process (`src/server.ts`, roles from the
 * environment): known events posted to one api (seen by the other, shaping
 * its forecasts, refitted by the worker with the incident left out), live
 * accuracy and health (computed by the worker, read alike by both apis),
 * backtests (queued by one api, run by the worker, read from the other).
 */

const dir = mkdtempSync(join(tmpdir(), 'prescient-shared-'));
const STEP_S = 10;
const replicas: Replica[] = [];
let redis: RedisServer;
let apis: [Replica, Replica];
let worker: Replica;
let appender: NodeJS.Timeout | undefined;

/** A daily-looking load at 10 s steps (a 10-minute season), one row per step up to `untilS`. */
function rows(fromS: number, untilS: number): string {
  let out = '';
  for (let t = fromS; t <= untilS; t += STEP_S) out += `${t},${(100 + 40 * Math.sin((2 * Math.PI * t) / 600) + ((t / STEP_S) % 7)).toFixed(3)}\n`;
  return out;
}

const forecastOf = async (api: Replica, name: string) => {
  const got = await requestJson(`${api.base}/api/v1/targets/${name}/forecast`);
  return got?.status === 200 ? (got.body as { generatedAt: string; timestamps: string[]; point: number[]; notes: string[] }) : undefined;
};

beforeAll(async () => {
  redis = new RedisServer(await freePort(), dir);
  await redis.start();
  // A file that grows every step, as a live source does: what is forecast is later scored.
  const live = join(dir, 'live.csv');
  const nowS = Math.floor(Date.now() / 1000 / STEP_S) * STEP_S;
  writeFileSync(live, `timestamp,value\n${rows(nowS - 3 * 3600, nowS)}`);
  let lastS = nowS;
  appender = setInterval(() => {
    const upToS = Math.floor(Date.now() / 1000 / STEP_S) * STEP_S;
    if (upToS > lastS) appendFileSync(live, rows(lastS + STEP_S, upToS));
    lastS = Math.max(lastS, upToS);
  }, 1_000);
  const configPath = join(dir, 'prescient.json');
  const scaling = { capacityPerReplica: 10, maxReplicas: 50 };
  writeFileSync(
    configPath,
    JSON.stringify({
      pool: { threads: 1 },
      cluster: { lockDuration: '5s', resync: '10s' },
      modelsDir: join(dir, 'models'),
      targets: [
        // Replayed as if it ended now; refreshed hourly, so within the test only events refit it.
        { name: 'shop', source: { type: 'file', path: join(ROOT, 'data/nab/ec2_cpu_utilization_24ae8d.csv'), shiftToNow: true }, history: '7d', horizon: '6h', models: ['snaive'], seasonalPeriods: ['1d'], refreshInterval: '1h', scaling },
        { name: 'live', source: { type: 'file', path: live }, history: '3h', horizon: '10m', models: ['snaive'], seasonalPeriods: ['10m'], refreshInterval: '20s', scaling: { ...scaling, leadTime: '10s' } },
      ],
    }),
  );
  worker = await startReplica('worker', 'worker', configPath, redis.url);
  apis = [await startReplica('api-1', 'api', configPath, redis.url), await startReplica('api-2', 'api', configPath, redis.url)];
  replicas.push(worker, ...apis);
  for (const api of apis) for (const name of ['shop', 'live']) await until(`${api.name} to serve ${name}`, () => forecastOf(api, name), 120_000);
}, 240_000);

afterAll(async () => {
  if (appender) clearInterval(appender);
  for (const replica of replicas) kill9(replica);
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('state every api replica shares through Redis', () => {
  it('shows an event posted to one api on the other, and its campaign shapes the other api’s forecast', { timeout: 60_000 }, async () => {
    const [one, two] = apis;
    const before = (await forecastOf(two, 'shop')) as NonNullable<Awaited<ReturnType<typeof forecastOf>>>;
    const startMs = Date.parse(before.timestamps[0] as string);
    const posted = await requestJson(`${one.base}/api/v1/events`, {
      method: 'POST',
      body: { target: 'shop', kind: 'campaign', start: new Date(startMs - 60_000).toISOString(), end: new Date(startMs + 3 * 3600_000).toISOString(), note: 'winter sale', multiplier: 3 },
    });
    expect(posted?.status).toBe(201);
    const id = posted?.body.id as string;
    const listed = await until('api-2 to list the event', async () => {
      const got = await requestJson(`${two.base}/api/v1/events?target=shop`);
      const events = (got?.body.events ?? []) as Array<{ id: string }>;
      return events.some((e) => e.id === id) ? events : undefined;
    }, 5_000);
    expect(listed.map((e) => e.id)).toContain(id);
    const shaped = await until('api-2 to serve the shaped forecast', async () => {
      const got = await forecastOf(two, 'shop');
      return got && got.notes.some((n) => n.includes('winter sale')) ? got : undefined;
    }, 5_000);
    // Same model forecast, three times the load over the window: on the api that never received the event.
    expect(shaped.generatedAt).toBe(before.generatedAt);
    expect(shaped.point[0]).toBeCloseTo(3 * (before.point[0] as number), 6);
    expect((await forecastOf(one, 'shop'))?.point[0]).toBeCloseTo(shaped.point[0] as number, 6);
  });

  it('refits on the worker for a deploy and an incident posted to an api, leaving the incident out of training', { timeout: 120_000 }, async () => {
    const [one, two] = apis;
    const before = Date.parse(((await forecastOf(two, 'shop')) as { generatedAt: string }).generatedAt);
    const nowMs = Date.now();
    const incident = await requestJson(`${two.base}/api/v1/events`, {
      method: 'POST',
      body: { target: 'shop', kind: 'incident', start: new Date(nowMs - 3 * 3600_000).toISOString(), end: new Date(nowMs - 2 * 3600_000).toISOString(), note: 'database failover' },
    });
    expect(incident?.status).toBe(201);
    const refit = await until('both apis to serve a refit made without the incident window', async () => {
      const got = await Promise.all(apis.map((api) => forecastOf(api, 'shop')));
      const [a, b] = got;
      if (!a || !b || a.generatedAt !== b.generatedAt || Date.parse(a.generatedAt) <= before) return undefined;
      return a.notes.some((n) => n.includes('incident windows were replaced')) ? a : undefined;
    }, 90_000);
    expect(refit.notes.join(' ')).toMatch(/\d+ steps in incident windows were replaced before fitting/);
    // The worker refitted it, not the api that received it (an api fits nothing).
    expect(worker.lines.some((l) => l.msg === 'incident event: refitting now' && l.target === 'shop')).toBe(true);
    for (const api of apis) expect(api.lines.some((l) => typeof l.msg === 'string' && l.msg.includes('refitting now'))).toBe(false);

    const deploy = await requestJson(`${one.base}/api/v1/events`, {
      method: 'POST',
      body: { target: 'shop', kind: 'deploy', start: new Date().toISOString(), note: 'checkout v2.15' },
    });
    expect(deploy?.status).toBe(201);
    await until('the worker to refit for the deploy', () => (worker.lines.some((l) => l.msg === 'deploy event: refitting now' && l.target === 'shop') ? true : undefined), 60_000);
  });

  it('answers the same live accuracy and health on both apis, as the worker scored it', { timeout: 180_000 }, async () => {
    // Polled in pairs: a refit every 20 s changes both, within moments of each other.
    const agreed = await until('both apis to answer the same scored accuracy', async () => {
      const [a, b] = await Promise.all(apis.map((api) => requestJson(`${api.base}/api/v1/targets/live/accuracy`)));
      const windows = (a?.body.windows ?? []) as Array<{ window: string; count: number }>;
      if (!windows.some((w) => w.window === '1h' && w.count > 0)) return undefined;
      return JSON.stringify(a?.body) === JSON.stringify(b?.body) ? a?.body : undefined;
    }, 150_000);
    // Computed once, by the worker after its refit (`at`), not by each api at its own time.
    expect(agreed.at).toEqual(expect.any(String));
    expect(agreed.health).toMatchObject({ state: expect.stringMatching(/^(trusted|degraded|reactive)$/) });
    expect(worker.lines.some((l) => l.msg === 'fit job done' && l.target === 'live')).toBe(true);
  });

  it('runs a backtest posted to one api on the worker, its state and result readable from the other api', { timeout: 150_000 }, async () => {
    const [one, two] = apis;
    const synthetic = generateSynthetic({ days: 4, stepSeconds: 300, seed: 5, gapShare: 0 });
    const posted = await requestJson(`${one.base}/api/v1/backtests`, {
      method: 'POST',
      body: { series: { values: synthetic.values, step: '5m', start: synthetic.timestampsMs[0] }, origins: 2, horizon: '2h', models: ['snaive'], seasonalPeriods: ['1d'], replay: false },
    });
    expect(posted?.status).toBe(202);
    const id = posted?.body.id as string;
    const done = await until('api-2 to hold the finished backtest', async () => {
      const got = await requestJson(`${two.base}/api/v1/backtests/${id}`);
      return got?.status === 200 && got.body.status !== 'queued' && got.body.status !== 'running' ? got.body : undefined;
    }, 120_000);
    expect(done).toMatchObject({ id, status: 'succeeded', result: expect.objectContaining({ models: expect.any(Array) }) });
    // The same record on the api that queued it, and in both lists.
    expect((await requestJson(`${one.base}/api/v1/backtests/${id}`))?.body).toEqual(done);
    for (const api of apis) expect(((await requestJson(`${api.base}/api/v1/backtests`))?.body.backtests as Array<{ id: string }>).map((b) => b.id)).toContain(id);
  });
});
