import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTO_PATH } from '../src/keda/server.js';
import { layOutStages, readStages, stageEnv } from './support/dockerfile.js';

/**
 * What a new user runs: `npm start` with no configuration; and what the image
 * runs: the compiled build, `node dist/server.js`. Each comes up on the
 * embedded demo targets, answers REST and, as KEDA would call it, gRPC; and
 * stops cleanly on SIGTERM.
 */

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** The node process that serves: `pid` itself, or under `npm start` the descendant running the server (npm's shell execs node). */
function servingPid(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const queue = [pid];
  for (let at = 0; at < queue.length; at++) {
    const candidate = queue[at]!;
    if (/server\.(ts|js)/.test(readFileSync(`/proc/${candidate}/cmdline`, 'utf8'))) return candidate;
    queue.push(...(children.get(candidate) ?? []));
  }
  throw new Error(`no server process under ${pid}`);
}

/** Minor page faults so far of a process's main thread (its event loop). */
function mainThreadFaults(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

// The image's files, laid out from the Dockerfile's COPY lines and built by its `npm run build`, here,
// from the code under test: a dist/ left from an older checkout is never what passes, and a file the
// image forgets to copy fails the compiled start.
const imageDir = mkdtempSync(join(tmpdir(), 'prescient-image-'));
const stages = readStages();
const finalStage = stages.at(-1)!;
const app = join(imageDir, String(stages.length - 1));
beforeAll(() => {
  layOutStages(imageDir, stages);
}, 300_000);
afterAll(() => rmSync(imageDir, { recursive: true, force: true }));

/** The two ways to start the service, each from another directory than the project's, as a user might. */
const STARTS = [
  // tsx's cache off: as the first start after any change to the code, each worker thread then transpiles its files,
  // which starts an esbuild process: a fork of the server after its warm-up of body memory (src/api/body-memory.ts).
  { name: 'npm start', command: 'npm', args: ['start', '--prefix', root], env: { TSX_DISABLE_CACHE: '1' } },
  // As the image's CMD, with its ENV and the demo asked for; on loopback, since a test binds no wider.
  {
    name: 'the compiled start (node dist/server.js in the image layout)',
    command: process.execPath,
    args: [join(app, 'dist', 'server.js')],
    env: { ...stageEnv(finalStage), PRESCIENT_DEMO: '1', HOST: '127.0.0.1' },
  },
] as const;

describe.each(STARTS)('$name on the embedded default', (start) => {
  let child: ChildProcess;
  let base: string;
  let grpcPort: number;
  let stderr = '';
  const cwd = mkdtempSync(join(tmpdir(), 'prescient-start-'));

  beforeAll(async () => {
    const port = await freePort();
    grpcPort = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(start.command, [...start.args], {
      cwd,
      // Its own models directory: forecasts persisted by an earlier local run would be served first.
      env: { ...process.env, ...start.env, PORT: String(port), GRPC_PORT: String(grpcPort), LOG_LEVEL: 'warn', PRESCIENT_MODELS_DIR: join(cwd, 'models') },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      const ready = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
      if (ready) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`the service did not become ready: ${stderr}`);
  }, 420_000);

  afterAll(() => {
    if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  });

  it('serves forecasts for the demo targets', async () => {
    const { targets } = (await (await fetch(`${base}/api/v1/targets`)).json()) as { targets: Array<{ name: string; state: string }> };
    expect(targets.map((t) => t.name)).toEqual(['demo-worldcup-rpm', 'demo-taxi', 'demo-ec2-cpu']);
    expect(targets.every((t) => t.state === 'fitted')).toBe(true);
    const forecast = (await (await fetch(`${base}/api/v1/targets/demo-taxi/forecast?horizon=6h`)).json()) as { point: number[]; timestamps: string[] };
    expect(forecast.point).toHaveLength(12);
    // Replayed as if it ended now: the forecast starts within a step of the present.
    expect(Math.abs(Date.parse(forecast.timestamps[0] as string) - Date.now())).toBeLessThan(2 * 1800_000);
  });

  it('answers KEDA on the gRPC port with both value fields filled', async () => {
    const definition = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_PATH, { keepCase: true, longs: String, defaults: true }));
    const ExternalScaler = (definition.externalscaler as grpc.GrpcObject).ExternalScaler as grpc.ServiceClientConstructor;
    const client = new ExternalScaler(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const scaledObjectRef = { name: 'taxi', namespace: 'demo', scalerMetadata: { target: 'demo-taxi', mode: 'replicas' } };
    const response = await new Promise<{ metricValues: Array<{ metricName: string; metricValue: string; metricValueFloat: number }> }>((resolve, reject) =>
      client.GetMetrics!({ scaledObjectRef, metricName: 'prescient-demo-taxi' }, (err: Error | null, res: never) => (err ? reject(err) : resolve(res))),
    );
    client.close();
    const value = response.metricValues[0];
    expect(value?.metricValueFloat).toBeGreaterThanOrEqual(1);
    expect(Number(value?.metricValue)).toBe(Math.ceil(value?.metricValueFloat ?? Number.NaN));
  });

  it('writes its first series bodies into memory touched at start-up, not fresh pages (server.bodyWarmUpBytes)', async () => {
    // 60,000 values of 17 digits (1.09 MB, parse-cost's largest accepted body): 280 pages of 4 KiB that Node copies it into.
    const values = Array.from({ length: 60_000 }, (_, i) => (100 + 50 * Math.sin(i / 229) + i * 1e-9).toPrecision(17));
    const body = `{"values":[${values.join(',')}],"step":60,"horizon":3600,"model":"snaive"}`;
    const pid = servingPid(child.pid as number);
    // A small series first: it starts the bodies' and the requests' threads (from source, each start forks the server).
    const small = await fetch(`${base}/api/v1/forecast`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ values: values.slice(0, 1000).map(Number), step: 60, horizon: 3600, model: 'snaive' }) });
    expect(small.status).toBe(200);
    await small.arrayBuffer();
    const faults: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = mainThreadFaults(pid);
      const res = await fetch(`${base}/api/v1/forecast`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      faults.push(mainThreadFaults(pid) - before);
    }
    // 6 × 280 pages written. Without the warm-up they faulted 1,185 (npm start) and 1,645 (compiled) times on the
    // event loop's thread, ~15 µs each; the first body alone ~600 (its pieces and the fresh shared buffer).
    // With the warm-up but without warming it again once a thread's start had forked the server (npm start, tsx's cache off):
    // 2,309 (585, 567, 284, 290, 285, 298): every warmed page faulted again.
    expect(faults.reduce((a, b) => a + b), `page faults per body: ${faults.join(', ')}`).toBeLessThan(600);
  });

  it('stops on SIGTERM, closing its ports without an error', async () => {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // The whole group: npm passes the signal on, and the server shuts down by itself.
    process.kill(-(child.pid as number), 'SIGTERM');
    await exited;
    expect(await fetch(`${base}/healthz`).then(() => 'answered', () => 'closed')).toBe('closed');
    expect(stderr).not.toMatch(/failed|Error/);
  });
});

describe('the compiled start as the image runs it (PRESCIENT_CONFIG=/config/prescient.yaml)', () => {
  const startCompiled = async (env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> => {
    const child = spawn(process.execPath, [join(app, 'dist', 'server.js')], { env: { ...process.env, ...stageEnv(finalStage), LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, stderr };
  };

  it('stops with a clear message when no configuration is mounted and the demo was not asked for', async () => {
    const { code, stderr } = await startCompiled({});
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot read configuration file \/config\/prescient.yaml.*PRESCIENT_DEMO=1/);
  });

  it('refuses to bind beyond loopback without a token', async () => {
    // The image's HOST is 0.0.0.0: without a token the service must stop before it binds anything.
    const { code, stderr } = await startCompiled({ PRESCIENT_DEMO: '1', PORT: '0', GRPC_PORT: '0' });
    expect(code).toBe(1);
    expect(stderr).toContain('server.host: binding beyond loopback needs a token');
  });
});
