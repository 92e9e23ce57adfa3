/**
 * deploy/redis run as its pods are told, on loopback: a real redis-server
 * started with the StatefulSet's own args (password, append-only file,
 * noeviction), and an api and a worker process (`src/server.ts`) with the
 * environment Kubernetes would give their containers (the image's ENV, the
 * manifest's env with $(REDIS_PASSWORD) expanded into PRESCIENT_REDIS_URL).
 * What a laptop must change is changed and nothing else: ports, the Redis
 * host (prescient-redis → 127.0.0.1), the api's HOST (loopback, never
 * 0.0.0.0 in a test), and the configuration (a file target instead of the
 * ConfigMap's cluster Prometheus).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/dockerfile.js';
import { freePort } from '../support/redis.js';
import { expand, find, podEnv, render } from './kustomize-render.js';

const dir = mkdtempSync(join(tmpdir(), 'prescient-redis-overlay-'));
const docs = render('redis');
const password = find(docs, 'Secret', 'prescient-redis').stringData.password as string;
const token = find(docs, 'Secret', 'prescient-token').stringData.token as string;
const secrets = { 'prescient-redis/password': password, 'prescient-token/token': token };
const children: ChildProcess[] = [];
let redisPort = 0;
let apiBase = '';

function spawnLogged(command: string, args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string } {
  // Its own process group, so the stop reaches tsx's node child too.
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let text = '';
  child.stdout?.on('data', (c: Buffer) => (text = (text + c.toString()).slice(-20_000)));
  child.stderr?.on('data', (c: Buffer) => (text = (text + c.toString()).slice(-20_000)));
  return { child, output: () => text };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, log: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${log().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The process env for a role's container: the pod's env, then only what loopback needs. */
function roleEnv(deployment: string, configPath: string, extra: Record<string, string>): Record<string, string> {
  const container = find(docs, 'Deployment', deployment).spec.template.spec.containers[0];
  const env = podEnv(container, secrets);
  const url = new URL(env['PRESCIENT_REDIS_URL'] as string);
  expect(url.hostname).toBe('prescient-redis');
  url.hostname = '127.0.0.1';
  url.port = String(redisPort);
  return { PATH: process.env['PATH'] ?? '', ...env, PRESCIENT_REDIS_URL: url.toString(), PRESCIENT_CONFIG: configPath, ...extra };
}

beforeAll(async () => {
  // Redis with the StatefulSet's args, $(REDIS_PASSWORD) expanded from its env as the kubelet does; its /data mount is a temp dir here.
  const container = find(docs, 'StatefulSet', 'prescient-redis').spec.template.spec.containers[0];
  const args = (container.args as string[]).map((a) => expand(a, { REDIS_PASSWORD: password }));
  args[args.indexOf('--dir') + 1] = dir;
  redisPort = await freePort();
  const redis = spawnLogged('redis-server', [...args, '--port', String(redisPort), '--bind', '127.0.0.1'], { PATH: process.env['PATH'] ?? '' });
  await until('redis-server', async () => (redis.output().includes('Ready to accept connections') ? true : undefined), 20_000, redis.output);

  const configPath = join(dir, 'prescient.yaml');
  writeFileSync(
    configPath,
    JSON.stringify({
      targets: [
        {
          name: 'taxi',
          source: { type: 'file', path: join(ROOT, 'data/nab/nyc_taxi.csv'), shiftToNow: true },
          history: '14d',
          horizon: '1d',
          models: ['mstl'],
          seasonalPeriods: ['1d'],
          scaling: { capacityPerReplica: 2500, maxReplicas: 30 },
        },
      ],
      modelsDir: join(dir, 'models'),
    }),
  );
  const tsx = join(ROOT, 'node_modules/.bin/tsx');
  const apiPort = await freePort();
  const api = spawnLogged(tsx, ['src/server.ts'], roleEnv('prescient', configPath, { HOST: '127.0.0.1', PORT: String(apiPort), GRPC_PORT: String(await freePort()) }));
  const worker = spawnLogged(tsx, ['src/server.ts'], roleEnv('prescient-worker', configPath, {}));
  apiBase = `http://127.0.0.1:${apiPort}`;
  await until(
    'the api to serve the forecast the worker fitted',
    async () => {
      const res = await fetch(`${apiBase}/api/v1/targets/taxi/recommendation`, { headers: { authorization: `Bearer ${token}` } });
      return res.status === 200 ? true : undefined;
    },
    240_000,
    () => `api: ${api.output()}\nworker: ${worker.output()}`,
  );
}, 300_000);

afterAll(async () => {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null || !child.pid) return resolve();
          const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          process.kill(-child.pid, 'SIGTERM');
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
});

describe('deploy/redis run as its pods are told', () => {
  it('the worker fits through the password-protected Redis and the api serves its forecast', async () => {
    const res = await fetch(`${apiBase}/api/v1/targets`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { targets?: { name: string; model?: string }[] } | { name: string; model?: string }[];
    const list = Array.isArray(body) ? body : (body.targets ?? []);
    expect(list.find((t) => t.name === 'taxi')?.model).toBe('mstl');
    const rec = (await (await fetch(`${apiBase}/api/v1/targets/taxi/recommendation`)).json()) as { replicas: number };
    expect(rec.replicas).toBeGreaterThanOrEqual(1);
  });

  it('Redis runs with the manifest settings: no entry without the password, noeviction, the append-only file', async () => {
    const anonymous = new Redis({ host: '127.0.0.1', port: redisPort, lazyConnect: true, maxRetriesPerRequest: 0 });
    const client = new Redis({ host: '127.0.0.1', port: redisPort, password, lazyConnect: true, maxRetriesPerRequest: 0 });
    // The refusal is asserted below; ioredis would also log it as an unhandled error event.
    anonymous.on('error', () => undefined);
    try {
      await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      // The fit queue and the forecast are there, under the default prefix.
      expect(await client.exists('prescient:forecast:taxi')).toBe(1);
    } finally {
      anonymous.disconnect();
      client.disconnect();
    }
  });
});
