import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
