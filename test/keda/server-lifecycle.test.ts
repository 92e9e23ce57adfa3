/**
 * The KEDA gRPC server's life around the contract: binding (the config's
 * host and port, IPv6 brackets, an address that cannot be bound, grpc-js's
 * log lines), close(graceMs) cutting a call that outlives the grace time, and
 * a server given no log. Each test starts a short-lived real server on a
 * loopback port, since that is what it checks; a real @grpc/grpc-js client
 * calls it. Scored with server-contract.test.ts (test/mutation/REPORT.md).
 */
import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { getLogger } from '@grpc/grpc-js/build/src/logging.js';
import { describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../src/config/schema.js';
import { TargetStates, type TargetState } from '../../src/engine/target-state.js';
import { routeGrpcLogs, startKedaServer } from '../../src/keda/server.js';
import { ExternalScalerClient as ExternalScaler, statusOn, type ScalerClient as Client } from './helpers.js';

const statusOf = (method: string, request: unknown, client: Client) => statusOn(client, method, request);
const ref = (scalerMetadata: Record<string, string>) => ({ name: 'web-app', namespace: 'shop', scalerMetadata });

function config(server: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    server: { grpcPort: 0, authToken: 'test-token-0123456789', ...server },
    targets: [{ name: 'web', source: { type: 'file', path: 'data/web.csv' }, scaling: { capacityPerReplica: 100 } }],
  });
}

/** Looking up `boom` fails with an unexpected (non-catalogue) error, as a bug would. */
class TestStates extends TargetStates {
  override get(name: string): TargetState | undefined {
    if (name === 'boom') throw new Error('secret internal detail /var/lib/prescient');
    return super.get(name);
  }
}

describe('close(graceMs)', () => {
  it('cuts a call still open after graceMs, not before, and then resolves', async () => {
    const c = config();
    const local = await startKedaServer({ states: new TargetStates(c.targets), config: c, host: '127.0.0.1', port: 0 });
    const localClient = new ExternalScaler(`127.0.0.1:${local.port}`, grpc.credentials.createInsecure()) as Client;
    try {
      // A peer that never finishes its request: IsActive opened as a client stream and never
      // half-closed, so the server's handler never runs and close() cannot end the call itself.
      const raw = (b: Buffer) => b;
      const held = new Promise<{ code: number | undefined; atMs: number }>((resolve) => {
        localClient.makeClientStreamRequest('/externalscaler.ExternalScaler/IsActive', raw, raw, (err) => resolve({ code: err?.code, atMs: performance.now() }));
      });
      // Calls on one channel reach the server in order: once this one is answered, the held call is open there.
      expect((await statusOf('IsActive', ref({ target: 'web' }), localClient)).code).toBe(grpc.status.UNAVAILABLE);
      const graceMs = 300;
      const started = performance.now();
      await local.close(graceMs);
      const closedAfterMs = performance.now() - started;
      const cut = await held;
      expect(cut.code).toBe(grpc.status.CANCELLED);
      // Timers never fire early; the 1 ms is the clock's rounding.
      expect(cut.atMs - started).toBeGreaterThanOrEqual(graceMs - 1);
      expect(closedAfterMs).toBeGreaterThanOrEqual(graceMs - 1);
    } finally {
      localClient.close();
    }
  }, 10_000); // without the cut, close() never resolves: fail in seconds, not at the file's 60 s limit
});

/** A port free on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('binding', () => {
  it("binds the config's host and port when none is given, insecure without TLS", async () => {
    const port = await freePort();
    const c = config({ host: '127.0.0.1', grpcPort: port });
    const local = await startKedaServer({ states: new TargetStates(c.targets), config: c });
    const localClient = new ExternalScaler(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as Client;
    try {
      expect(local.port).toBe(port);
      expect((await statusOf('IsActive', ref({ target: 'web' }), localClient)).code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      localClient.close();
      await local.close();
    }
  });

  it('puts an IPv6 host in brackets (and leaves a bracketed one alone)', async () => {
    for (const host of ['::1', '[::1]']) {
      const c = config();
      const local = await startKedaServer({ states: new TargetStates(c.targets), config: c, host, port: 0 });
      const localClient = new ExternalScaler(`[::1]:${local.port}`, grpc.credentials.createInsecure()) as Client;
      try {
        expect((await statusOf('IsActive', ref({ target: 'web' }), localClient)).details).toMatch(/^PRESCIENT_ERR_FORECAST_UNAVAILABLE: /);
      } finally {
        localClient.close();
        await local.close();
      }
    }
  });

  it("rejects an address it cannot bind, grpc-js's own log line going to the service's log", async () => {
    const previous = getLogger();
    const warnings: Array<{ obj: object; msg: string }> = [];
    routeGrpcLogs({ warn: (obj, msg) => warnings.push({ obj, msg }) });
    try {
      const c = config();
      // 203.0.113.0/24 is reserved for documentation: never an address of this machine.
      await expect(startKedaServer({ states: new TargetStates(c.targets), config: c, host: '203.0.113.7', port: 0 })).rejects.toThrow(/EADDRNOTAVAIL/);
      expect(warnings).toContainEqual({ obj: { component: 'grpc-js' }, msg: 'No address added out of total 1 resolved' });
      // Several arguments are joined with blanks, whatever their type.
      getLogger().error?.('first', 2, 'third');
      expect(warnings.at(-1)).toEqual({ obj: { component: 'grpc-js' }, msg: 'first 2 third' });
    } finally {
      grpc.setLogger(previous);
    }
  });
});

describe('internal errors', () => {
  it('answers an internal error with INTERNAL also when given no log (the detail is dropped)', async () => {
    const c = config();
    const local = await startKedaServer({ states: new TestStates(c.targets), config: c, host: '127.0.0.1', port: 0 });
    const localClient = new ExternalScaler(`127.0.0.1:${local.port}`, grpc.credentials.createInsecure()) as Client;
    try {
      expect(await statusOf('IsActive', ref({ target: 'boom' }), localClient)).toEqual({ code: grpc.status.INTERNAL, details: 'PRESCIENT_ERR_INTERNAL: internal error' });
    } finally {
      localClient.close();
      await local.close();
    }
  });
});
