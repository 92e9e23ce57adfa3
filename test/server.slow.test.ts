import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTO_PATH } from '../src/keda/server.js';

/**
 * What a new user runs: `npm start` with no configuration. The service comes
 * up on the embedded demo targets, answers REST and, as KEDA would call it,
 * gRPC; and it stops cleanly on SIGTERM.
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

let child: ChildProcess;
let base: string;
let grpcPort: number;
let stderr = '';
const cwd = mkdtempSync(join(tmpdir(), 'prescient-start-'));

beforeAll(async () => {
  const port = await freePort();
  grpcPort = await freePort();
  base = `http://127.0.0.1:${port}`;
  // Started from another directory, as a user might: the demo data must still be found.
  child = spawn('npm', ['start', '--prefix', new URL('..', import.meta.url).pathname], {
    cwd,
    // Its own models directory: forecasts persisted by an earlier local run would be served first.
    env: { ...process.env, PORT: String(port), GRPC_PORT: String(grpcPort), LOG_LEVEL: 'warn', PRESCIENT_MODELS_DIR: join(cwd, 'models') },
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
}, 300_000);

afterAll(() => {
  if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  rmSync(cwd, { recursive: true, force: true });
});

describe('npm start on the embedded default', () => {
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

  it('stops on SIGTERM, closing its ports without an error', async () => {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // The whole group: npm passes the signal on, and the server shuts down by itself.
    process.kill(-(child.pid as number), 'SIGTERM');
    await exited;
    expect(await fetch(`${base}/healthz`).then(() => 'answered', () => 'closed')).toBe('closed');
    expect(stderr).not.toMatch(/failed|Error/);
  });
});
