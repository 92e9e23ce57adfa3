import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PassThrough } from 'node:stream';
import { readJsonBody } from '../../src/api/json-body.js';
import { JsonShapeScanner } from '../../src/bodies/json-shape.js';
import { buildTestApp, type TestApp } from '../support/app.js';

/**
 * JSON bodies are checked while they stream in (src/api/json-body.ts; the
 * scanner on its own: test/bodies/json-shape.test.ts), or for a series
 * route by the bodies lane's thread before it parses them: each refusal
 * over real HTTP on a listening app whose series routes allow 2,000 points.
 */

const MAX_POINTS = 2_000;
/** seriesBodyLimits: maxPoints × 40 B + 64 KiB. */
const SERIES_BODY_BYTES = MAX_POINTS * 40 + 64 * 1024;

let t: TestApp;
let base: string;

beforeAll(async () => {
  t = await buildTestApp({ limits: { maxPoints: MAX_POINTS, fitRequests: { max: 1000 } } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t.close();
});

async function post(path: string, body: string, { chunked = false } = {}): Promise<{ status: number; code?: string }> {
  const bytes = Buffer.from(body);
  // Without Content-Length (chunked), the server learns the size only as the body arrives.
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
      controller.close();
    },
  });
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    ...(chunked ? { body: stream, duplex: 'half' } : { body: bytes }),
  } as RequestInit);
  const text = await res.text();
  return { status: res.status, code: (JSON.parse(text) as { error?: { code: string } }).error?.code };
}

/** Values written as long as a number needs (17 significant digits, sign, exponent), one a line, indented: a maximal honest body. */
function longValues(n: number, indent: string): string {
  return Array.from({ length: n }, (_, i) => `${indent}-1.${String(i).padStart(16, '7')}e-7`).join(',\n');
}

describe('readJsonBody', () => {
  it('reads a body already waiting in full over several turns of the event loop, not in one', async () => {
    // 1 MB of values in 64 KiB chunks, all buffered before reading starts (as in a socket a fast client filled).
    const body = Buffer.from(`[${Array.from({ length: 120_000 }, (_, i) => String(1_000_000 + i)).join(',')}]`);
    const payload = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
    for (let i = 0; i < body.length; i += 64 * 1024) payload.write(body.subarray(i, i + 64 * 1024));
    payload.end();
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const turns = new Set<number>();
    payload.on('data', () => turns.add(turn));
    const read = await new Promise<Uint8Array | undefined>((resolve, reject) => {
      const limits = { maxBytes: 2 * body.length, maxDepth: 4, maxElements: 200_000, maxValueBytes: 64 };
      readJsonBody({ headers: {} }, payload, limits, 2 * body.length, false, (error, bytes) => (error ? reject(error) : resolve(bytes)));
    });
    ticking = false;
    expect(Buffer.compare(Buffer.from(read!), body)).toBe(0);
    // 1 MB at 256 KiB a turn: at least 4 turns (without the pauses every chunk arrives in the first).
    expect(turns.size).toBeGreaterThanOrEqual(4);
  });
});

describe('JSON bodies refused while they stream in (real HTTP)', () => {
  it('returns 413 PRESCIENT_ERR_BODY_VALUE_TOO_LONG for a string longer than server.maxJsonValueBytes', async () => {
    const res = await post('/api/v1/forecast', JSON.stringify({ values: [1, 2, 3], step: 60, horizon: 60, model: 'x'.repeat(70_000) }), { chunked: true });
    expect(res).toEqual({ status: 413, code: 'PRESCIENT_ERR_BODY_VALUE_TOO_LONG' });
  });

  it('returns 413 PRESCIENT_ERR_BODY_VALUE_TOO_LONG for a number of 70,000 digits', async () => {
    const res = await post('/api/v1/forecast', `{"values":[1,2,${'9'.repeat(70_000)}],"step":60,"horizon":60}`);
    expect(res).toEqual({ status: 413, code: 'PRESCIENT_ERR_BODY_VALUE_TOO_LONG' });
  });

  it('returns 413 PRESCIENT_ERR_BODY_TOO_LARGE for a series body beyond maxPoints × 40 B + 64 KiB, by its Content-Length', async () => {
    // Valid JSON, few values, padded with spaces: only its size is wrong (it is far below server.bodyLimitBytes).
    const body = `{"values":[1,2,3,4],${' '.repeat(SERIES_BODY_BYTES)}"step":60,"horizon":60,"model":"snaive"}`;
    expect(await post('/api/v1/forecast', body)).toEqual({ status: 413, code: 'PRESCIENT_ERR_BODY_TOO_LARGE' });
    expect(await post('/api/v1/backtests', `{"series":{"values":[1,2,3,4,5,6,7,8,9,10],"step":60},${' '.repeat(SERIES_BODY_BYTES)}"origins":1}`)).toEqual({
      status: 413,
      code: 'PRESCIENT_ERR_BODY_TOO_LARGE',
    });
  });

  it('returns 413 PRESCIENT_ERR_BODY_TOO_LARGE for the same body sent without Content-Length, once it passes the limit', async () => {
    const body = `{"values":[1,2,3,4],${' '.repeat(SERIES_BODY_BYTES)}"step":60,"horizon":60,"model":"snaive"}`;
    expect(await post('/api/v1/forecast', body, { chunked: true })).toEqual({ status: 413, code: 'PRESCIENT_ERR_BODY_TOO_LARGE' });
  });

  it('returns 413 PRESCIENT_ERR_BODY_TOO_COMPLEX for more than maxPoints + 1,000 values on a series route (below server.maxJsonElements)', async () => {
    const body = `{"values":[${'1,'.repeat(MAX_POINTS + 1_001)}1],"step":60,"horizon":60}`;
    expect(await post('/api/v1/forecast', body, { chunked: true })).toEqual({ status: 413, code: 'PRESCIENT_ERR_BODY_TOO_COMPLEX' });
  });

  it('returns 413 PRESCIENT_ERR_BODY_TOO_COMPLEX for a series of strings (more than 1,000 strings on a series route)', async () => {
    const body = JSON.stringify({ values: Array.from({ length: 1_500 }, (_, i) => String(i)), step: 60, horizon: 60 });
    expect(await post('/api/v1/forecast', body, { chunked: true })).toEqual({ status: 413, code: 'PRESCIENT_ERR_BODY_TOO_COMPLEX' });
    expect(await post('/api/v1/backtests', JSON.stringify({ series: { values: Array.from({ length: 1_500 }, () => 'x'), step: 60 } }))).toEqual({
      status: 413,
      code: 'PRESCIENT_ERR_BODY_TOO_COMPLEX',
    });
  });

  it('answers a body refused in its first bytes with its 413 after reading the rest (no reset while the client still sends)', async () => {
    // 3 MB, refused at its 17th byte, on a route with the server's 4 MiB limit; sent in 64 KiB chunks.
    const body = `${'['.repeat(1_500_000)}${']'.repeat(1_500_000)}`;
    for (let i = 0; i < 3; i++) expect(await post('/api/v1/events', body, { chunked: true })).toEqual({ status: 413, code: 'PRESCIENT_ERR_BODY_TOO_COMPLEX' });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('answers a series body beyond its route limit but within server.bodyLimitBytes with its 413, sent either way (no reset)', async () => {
    const body = `{"values":[${'1,'.repeat(1_000)}1],${' '.repeat(3_000_000)}"step":60,"horizon":60}`;
    for (let i = 0; i < 3; i++) {
      expect(await post('/api/v1/forecast', body)).toEqual({ status: 413, code: 'PRESCIENT_ERR_BODY_TOO_LARGE' });
      expect(await post('/api/v1/forecast', body, { chunked: true })).toEqual({ status: 413, code: 'PRESCIENT_ERR_BODY_TOO_LARGE' });
    }
  });

  it('accepts a maximal honest body: maxPoints values of 17 significant digits, pretty-printed', async () => {
    const forecast = `{\n    "values": [\n${longValues(MAX_POINTS, '        ')}\n    ],\n    "step": 60,\n    "horizon": 600,\n    "model": "snaive"\n}`;
    expect(forecast.length).toBeGreaterThan(MAX_POINTS * 30);
    expect(await post('/api/v1/forecast', forecast, { chunked: true })).toEqual({ status: 200, code: undefined });
    const backtest = `{\n    "series": {\n        "values": [\n${longValues(MAX_POINTS, '            ')}\n        ],\n        "step": 60\n    },\n    "horizon": 600,\n    "origins": 1,\n    "models": ["snaive"],\n    "replay": false\n}`;
    expect((await post('/api/v1/backtests', backtest)).status).toBe(202);
  });
});

describe('the shape of a series body', () => {
  it('is checked by the bodies lane\'s thread, never on the event loop, with the same 413s', async () => {
    // The spy sees this thread only (the app's event loop): the bodies lane's thread has its own copy of the module.
    const scan = vi.spyOn(JsonShapeScanner.prototype, 'scan');
    try {
      const strings = JSON.stringify({ values: Array.from({ length: 1_500 }, (_, i) => String(i)), step: 60, horizon: 60 });
      expect(await post('/api/v1/forecast', strings)).toEqual({ status: 413, code: 'PRESCIENT_ERR_BODY_TOO_COMPLEX' });
      expect(await post('/api/v1/forecast', `{"values":[1,2,${'9'.repeat(70_000)}],"step":60,"horizon":60}`, { chunked: true })).toEqual({
        status: 413,
        code: 'PRESCIENT_ERR_BODY_VALUE_TOO_LONG',
      });
      expect(await post('/api/v1/backtests', `{"series":{"values":${'['.repeat(100)}1${']'.repeat(100)},"step":60}}`)).toEqual({ status: 413, code: 'PRESCIENT_ERR_BODY_TOO_COMPLEX' });
      expect(scan).not.toHaveBeenCalled();
      // A body parsed on the event loop is still scanned there as it streams in: the spy does see this thread's scans.
      expect(await post('/api/v1/events', `${'['.repeat(100)}${']'.repeat(100)}`)).toEqual({ status: 413, code: 'PRESCIENT_ERR_BODY_TOO_COMPLEX' });
      expect(scan).toHaveBeenCalled();
    } finally {
      scan.mockRestore();
    }
  });
});
