import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lendArena } from '../../src/api/body-arenas.js';
import { buildTestApp, type TestApp } from '../support/app.js';

/**
 * A series body is written into a shared buffer that is kept and lent to the
 * next body once the bodies lane's thread has read it (src/api/body-arenas.ts):
 * reusing mapped pages spares the event loop a fresh buffer's page faults. A
 * buffer must never be lent to two bodies at once.
 */

describe('lendArena', () => {
  it('lends a released buffer again instead of a new one, and a shared one (the worker reads it where it is)', () => {
    // Larger than any other suite's body (a test worker may run several files): only this buffer fits.
    const first = lendArena(20_000_000);
    expect(first.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(first.bytes.byteLength).toBeGreaterThanOrEqual(20_000_000);
    const buffer = first.bytes.buffer;
    first.release();
    const second = lendArena(19_000_000);
    expect(second.bytes.buffer).toBe(buffer);
    second.release();
  });

  it('never lends a buffer in use, nor one released twice to two bodies', () => {
    // Larger than the buffers the other tests leave kept (pages never touched cost no memory): only this test's match.
    const size = 30_000_000;
    const a = lendArena(size);
    const b = lendArena(size);
    expect(b.bytes.buffer).not.toBe(a.bytes.buffer);
    a.release();
    a.release();
    const c = lendArena(size);
    const d = lendArena(size);
    expect(c.bytes.buffer).toBe(a.bytes.buffer);
    expect(d.bytes.buffer).not.toBe(c.bytes.buffer);
    expect(d.bytes.buffer).not.toBe(b.bytes.buffer);
    for (const arena of [b, c, d]) arena.release();
  });

  it('lends a buffer of at least the size asked, and keeps the largest (small ones never crowd out a route\'s size)', () => {
    // Other suites in this worker may have left buffers kept: nothing here assumes an empty pool.
    const small = lendArena(100);
    const large = lendArena(40_000_000);
    expect(large.bytes.byteLength).toBeGreaterThanOrEqual(40_000_000);
    expect(large.bytes.buffer).not.toBe(small.bytes.buffer);
    const buffer = large.bytes.buffer;
    small.release();
    large.release();
    const smalls = [lendArena(64), lendArena(64), lendArena(64)];
    for (const arena of smalls) arena.release();
    const again = lendArena(40_000_000);
    expect(again.bytes.buffer).toBe(buffer);
    again.release();
  });
});

describe('series bodies in reused buffers', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await buildTestApp({ limits: { maxPoints: 60_000, fitRequests: { max: 1000 } }, pool: { requestMaxQueue: 16 } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers each of many concurrent bodies, of different sizes, from its own values', async () => {
    // Seasonal naive repeats the last day: each answer shows which body the worker read.
    // Bodies of tens of thousands of values: several arrive while the bodies lane's thread still reads an earlier one.
    const bodies = Array.from({ length: 10 }, (_, k) => ({ k, values: Array.from({ length: 4_000 + 5_000 * k }, (_, i) => 1000 * k + (i % 24)) }));
    const answers = await Promise.all(
      bodies.map(async ({ values }) => {
        const res = await fetch(`${base}/api/v1/forecast`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ values, step: 3600, start: 0, horizon: 24 * 3600, model: 'snaive', seasonalPeriods: [86_400] }),
        });
        return { status: res.status, body: (await res.json()) as { point: number[] } };
      }),
    );
    for (const [k, answer] of answers.entries()) {
      expect(answer.status).toBe(200);
      const { values } = bodies[k]!;
      expect(answer.body.point).toEqual(values.slice(-24));
    }
  });
});
