import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RefreshOutcome } from '../../src/engine/scheduler.js';
import { buildTestApp, type TestApp } from '../support/app.js';

let t: TestApp | undefined;
const dirs: string[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await t?.close();
  t = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('Engine refresh schedule', () => {
  it('retries a failing refresh after 5 s, doubling per failure, never waiting longer than the refresh interval', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prescient-backoff-'));
    dirs.push(dir);
    // A source that fails at once (no such file): no fit runs, only the schedule is under test.
    t = await buildTestApp({ targets: [{ name: 'gone', source: { type: 'file', path: join(dir, 'missing.csv') }, refreshInterval: '1m' }] });
    const { engine, states } = t.app.prescient;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const startMs = Date.now();
    const attempts: number[] = [];
    const refresh = engine.refresh.bind(engine);
    let last: Promise<RefreshOutcome> = Promise.resolve('ok');
    vi.spyOn(engine, 'refresh').mockImplementation((name, options) => {
      attempts.push(Date.now() - startMs);
      last = refresh(name, options);
      return last;
    });
    await engine.start();

    // Each attempt is awaited (real file I/O) before the clock moves on, so the next timer is set.
    const advance = async (ms: number): Promise<void> => {
      await vi.advanceTimersByTimeAsync(ms);
      await last;
    };
    await advance(0);
    expect(attempts).toEqual([0]);
    expect(states.get('gone')?.lastError?.code).toBe('PRESCIENT_ERR_SOURCE_FILE');
    await advance(4_999);
    expect(attempts).toEqual([0]);
    await advance(1);
    expect(attempts).toEqual([0, 5_000]);
    await advance(9_999);
    expect(attempts).toHaveLength(2);
    await advance(1);
    expect(attempts).toEqual([0, 5_000, 15_000]);
    await advance(20_000);
    expect(attempts).toEqual([0, 5_000, 15_000, 35_000]);
    await advance(40_000);
    expect(attempts).toEqual([0, 5_000, 15_000, 35_000, 75_000]);
    // The next doubling (80 s) is capped at the refresh interval (60 s).
    await advance(59_999);
    expect(attempts).toHaveLength(5);
    await advance(1);
    expect(attempts).toEqual([0, 5_000, 15_000, 35_000, 75_000, 135_000]);
    await advance(60_000);
    expect(attempts).toEqual([0, 5_000, 15_000, 35_000, 75_000, 135_000, 195_000]);
    expect(states.get('gone')?.lastError?.code).toBe('PRESCIENT_ERR_SOURCE_FILE');
  });
});
