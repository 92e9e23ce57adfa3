import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { buildTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let port: number;

beforeAll(async () => {
  t = await buildTestApp({ server: { connectionTimeout: '1s', requestTimeout: '2s' } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await t.close();
});

describe('request and connection timeouts', () => {
  it('closes a connection whose body stops short of its Content-Length (server.connectionTimeout)', async () => {
    const socket = connect(port, '127.0.0.1');
    const opened = Date.now();
    socket.write('POST /api/v1/forecast HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"values":[1,');
    const closedAfterMs = await new Promise<number>((resolve) => {
      socket.on('close', () => resolve(Date.now() - opened));
      socket.on('error', () => undefined);
      socket.resume();
    });
    // Without a timeout Node keeps it open for minutes; the bound here is generous for a loaded machine.
    expect(closedAfterMs).toBeLessThan(15_000);
    // And the server still serves.
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
  });
});

describe('a whole request the server works on longer than server.connectionTimeout', () => {
  it('keeps its connection and gets its answer', async () => {
    const modelsDir = mkdtempSync(join(tmpdir(), 'prescient-timeouts-'));
    const app = await buildApp({ config: parseConfig({ modelsDir, server: { connectionTimeout: '1s' } }), logger: false, startEngine: false });
    // As a fit queued behind others: the request is whole, and the wait is the server's.
    app.get('/test/slow-answer', async () => {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      return { answered: true };
    });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/test/slow-answer`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ answered: true });
    } finally {
      await app.close();
      rmSync(modelsDir, { recursive: true, force: true });
    }
  });
});
