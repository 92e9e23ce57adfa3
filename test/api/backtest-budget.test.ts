import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';

// A Prometheus address that accepts connections and never answers: a pull
// started against it stays in progress, and every connection is counted.
let blackHole: Server;
const sockets: Socket[] = [];
let connections = 0;
let t: TestApp;

beforeAll(async () => {
  blackHole = createServer((socket) => {
    connections++;
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  const { port } = blackHole.address() as AddressInfo;
  t = await buildTestApp({
    prometheus: { url: `http://127.0.0.1:${port}`, timeout: '30s', retries: 0 },
    targets: [{ name: 'web', source: { type: 'prometheus', query: 'up', step: '5m' } }],
  });
});
afterAll(async () => {
  await t.close();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => blackHole.close(resolve));
});

const start = (payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/backtests', payload });

describe('POST /api/v1/backtests on a Prometheus target', () => {
  it('refuses a window past limits.maxPoints before pulling anything', async () => {
    // 60,000 points at 5 m is about 208 days.
    const res = await start({ target: 'web', window: '300d' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'PRESCIENT_ERR_VALIDATION', issues: [{ path: 'body.window', message: expect.stringMatching(/at most/) }] });
    expect(connections).toBe(0);
  });

  it('refuses a window past a year by the schema', async () => {
    const res = await start({ target: 'web', window: '520w' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.issues[0].path).toBe('body.window');
    expect(connections).toBe(0);
  });

  it('counts a pull in progress against the one-at-a-time rule', async () => {
    const first = start({ target: 'web', window: '7d' });
    while (connections === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await start({ target: 'web', window: '7d' });
    expect(second.statusCode).toBe(503);
    expect(second.json().error.code).toBe('PRESCIENT_ERR_POOL_FULL');
    expect(connections).toBe(1);
    // End the first pull: Prometheus "goes away" and the request fails on its own.
    for (const socket of sockets) socket.destroy();
    expect((await first).statusCode).toBe(502);
  });
});
