import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '../support/redis.js';
import { kill9, requestJson, ROOT, startReplica as start, until, type Replica } from '../support/replicas.js';

/**
 * Scale-out on a real redis-server: two api processes and two worker
 * processes, each `src/server.ts` with its role from the environment, as a
 * deployment runs them. Bounded: three targets refreshing every 40 s.
 */

const DATA = join(ROOT, 'data');
const INTERVAL_MS = 40_000;

const dir = mkdtempSync(join(tmpdir(), 'prescient-cluster-'));
const replicas: Replica[] = [];
let redis: RedisServer;
let configPath: string;

function target(name: string, file: string, models: string[]): Record<string, unknown> {
  return {
    name,
    // Replayed as if it ended now, so recommendations are for the present (a past forecast has none).
    source: { type: 'file', path: join(DATA, file), shiftToNow: true },
    history: '14d',
    horizon: '1d',
    models,
    seasonalPeriods: ['1d'],
    refreshInterval: `${INTERVAL_MS / 1000}s`,
    scaling: { capacityPerReplica: 10, maxReplicas: 50 },
  };
}

async function startReplica(name: string, role: 'api' | 'worker'): Promise<Replica> {
  const replica = await start(name, role, configPath, redis.url);
  replicas.push(replica);
  return replica;
}

const getJson = (url: string) => requestJson(url);

async function generatedAt(api: Replica, name: string): Promise<number | undefined> {
  const got = await getJson(`${api.base}/api/v1/targets/${name}/forecast?horizon=1h`);
  return got?.status === 200 ? Date.parse(got.body.generatedAt as string) : undefined;
}

/** What must be the same on every api replica: the replicas and their basis (scale-in memory aside). */
async function recommendation(api: Replica, name: string): Promise<unknown> {
  const got = await getJson(`${api.base}/api/v1/targets/${name}/recommendation`);
  if (got?.status !== 200) throw new Error(`${api.name}: recommendation for ${name} answered ${got?.status}: ${JSON.stringify(got?.body)}`);
  const { previousReplicas: _memory, ...basis } = got.body.basis as Record<string, unknown>;
  return { replicas: got.body.replicas, basis, stale: got.body.stale };
}

/** Fits that completed (a forecast was stored), from every worker's log: target → generatedAt times. */
function fitsByTarget(): Map<string, number[]> {
  const fits = new Map<string, number[]>();
  for (const replica of replicas) {
    for (const line of replica.lines) {
      if (line.msg !== 'fit job done' || line.outcome !== 'ok') continue;
      const list = fits.get(line.target as string) ?? [];
      list.push(line.generatedAtMs as number);
      fits.set(line.target as string, list);
    }
  }
  return fits;
}

const NAMES = ['rds', 'ec2', 'chosen'];
let apis: Replica[] = [];
let workers: Replica[] = [];
let killed: { replica: Replica; atMs: number } | undefined;

beforeAll(async () => {
  redis = new RedisServer(await freePort(), dir);
  await redis.start();
  configPath = join(dir, 'prescient.yaml');
  const config = {
    pool: { threads: 1, fitTimeout: '120s' },
    cluster: { lockDuration: '5s', resync: '10s' },
    modelsDir: join(dir, 'models'),
    targets: [
      target('rds', 'nab/rds_cpu_utilization_cc0c53.csv', ['mstl']),
      target('ec2', 'nab/ec2_cpu_utilization_24ae8d.csv', ['mstl']),
      // auto's first fit is a full selection: seconds of work, long enough to kill its worker in the middle.
      target('chosen', 'nab/ec2_cpu_utilization_53ea38.csv', ['auto']),
    ],
  };
  writeFileSync(configPath, JSON.stringify(config));
  workers = [await startReplica('worker-a', 'worker'), await startReplica('worker-b', 'worker')];
  // kill -9 the worker that starts the auto selection, as soon as it starts it.
  const victim = await until(
    'a worker to start fitting "chosen"',
    () => workers.find((w) => w.lines.some((l) => l.msg === 'fit job started' && l.target === 'chosen')),
    240_000,
  );
  kill9(victim);
  killed = { replica: victim, atMs: Date.now() };
  apis = [await startReplica('api-1', 'api'), await startReplica('api-2', 'api')];
}, 300_000);

afterAll(async () => {
  for (const replica of replicas) kill9(replica);
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('scale-out on Redis: two api and two worker processes', () => {
  it('completes on the other worker the fit whose worker was killed with -9 mid-fit', { timeout: 180_000 }, async () => {
    const survivor = workers.find((w) => w !== killed?.replica) as Replica;
    const victimFinished = killed?.replica.lines.some((l) => l.msg === 'fit job done' && l.target === 'chosen');
    expect(victimFinished).toBe(false);
    await until(
      'the surviving worker to fit "chosen"',
      () => (survivor.lines.some((l) => l.msg === 'fit job done' && l.target === 'chosen' && l.outcome === 'ok') ? true : undefined),
      150_000,
    );
    for (const api of apis) expect(await until(`${api.name} to serve chosen`, () => generatedAt(api, 'chosen'), 30_000)).toBeGreaterThan(killed?.atMs ?? 0);
  });

  it('serves every target from both api replicas, with the same recommendation, before and after a refit', { timeout: 180_000 }, async () => {
    const [one, two] = apis as [Replica, Replica];
    for (const name of NAMES) for (const api of apis) await until(`${api.name} to serve ${name}`, () => generatedAt(api, name), 120_000);
    for (const name of NAMES) expect(await recommendation(two, name)).toEqual(await recommendation(one, name));
    const before = (await generatedAt(one, 'rds')) as number;
    const after = await until('a refit of rds', async () => {
      const at = await generatedAt(one, 'rds');
      return at !== undefined && at > before ? at : undefined;
    }, INTERVAL_MS + 60_000);
    // The other replica has the refit within moments (pushed through Redis, not polled).
    await until('api-2 to hold the refit', async () => ((await generatedAt(two, 'rds')) === after ? true : undefined), 5_000);
    for (const name of NAMES) expect(await recommendation(two, name)).toEqual(await recommendation(one, name));
  });

  it('keeps serving while Redis is down and recovers by itself when it is back', { timeout: 240_000 }, async () => {
    const [one, two] = apis as [Replica, Replica];
    const held = await Promise.all(apis.map((api) => generatedAt(api, 'ec2')));
    await redis.stop();
    const downAtMs = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    // Still served from memory, the same forecast as before.
    expect(await Promise.all(apis.map((api) => generatedAt(api, 'ec2')))).toEqual(held);
    expect(await recommendation(one, 'ec2')).toMatchObject({ replicas: expect.any(Number) });
    await redis.start();
    // No process restarted: workers resume the schedules, apis reload what they write.
    const fresh = await until('a forecast made after Redis came back', async () => {
      const at = await generatedAt(two, 'ec2');
      return at !== undefined && at > downAtMs ? at : undefined;
    }, INTERVAL_MS + 90_000);
    await until('api-1 to hold it too', async () => ((await generatedAt(one, 'ec2')) === fresh ? true : undefined), 15_000);
  });

  it('never fitted a target twice within half an interval, across both workers', () => {
    const fits = fitsByTarget();
    for (const name of NAMES) {
      const times = (fits.get(name) ?? []).sort((a, b) => a - b);
      expect(times.length).toBeGreaterThanOrEqual(1);
      const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(INTERVAL_MS / 2);
    }
    // Every refresh of rds in the run: first fit, then about one per interval, never a pile-up.
    const rds = fits.get('rds') ?? [];
    expect(rds.length).toBeGreaterThanOrEqual(2);
  });
});
