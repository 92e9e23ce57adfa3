import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { assertTargetsFitInMemory, BASE_HEAP_BYTES, HEAP_BYTES_PER_RECORD_NUMBER, HEAP_BYTES_PER_TARGET, heapNeededBytes, liveRecordBytes } from '../../src/engine/capacity.js';
import { PrescientError } from '../../src/errors.js';

const many = (n: number, models: string[]) =>
  parseConfig({ targets: Array.from({ length: n }, (_, i) => ({ name: `t${i}`, source: { type: 'file', path: '/dev/null', shiftToNow: true }, models })) });
const prometheus = (step: string) => ({ type: 'prometheus', query: 'sum(rate(http_requests_total[5m]))', step });
const withPrometheus = { prometheus: { url: 'http://127.0.0.1:9090' } };

describe('target capacity', () => {
  it('accepts more than 500 targets: no fixed cap', () => {
    expect(many(2_000, ['mstl']).targets).toHaveLength(2_000);
  });

  it('counts auto targets (which keep a selection) heavier than others', () => {
    expect(heapNeededBytes(many(10, ['auto']))).toBe(BASE_HEAP_BYTES + 10 * HEAP_BYTES_PER_TARGET.auto);
    expect(heapNeededBytes(many(10, ['mstl', 'snaive']))).toBe(BASE_HEAP_BYTES + 10 * HEAP_BYTES_PER_TARGET.other);
  });

  it('counts a live target’s week of live accuracy, none for a file replayed as if it ended now', () => {
    const replayed = many(1, ['mstl']).targets[0];
    const live = parseConfig({ ...withPrometheus, targets: [{ name: 'a', source: prometheus('5m'), models: ['mstl'], refreshInterval: '15m' }] }).targets[0];
    expect(liveRecordBytes(replayed!)).toBe(0);
    // What benchmarks/heap-per-target.ts filled: 22,724 numbers for a 5-minute series refreshed every 15 minutes (default levels).
    expect(liveRecordBytes(live!) / HEAP_BYTES_PER_RECORD_NUMBER).toBeGreaterThan(20_000);
    expect(liveRecordBytes(live!) / HEAP_BYTES_PER_RECORD_NUMBER).toBeLessThan(26_000);
    expect(heapNeededBytes({ targets: [live!] })).toBe(BASE_HEAP_BYTES + HEAP_BYTES_PER_TARGET.other + liveRecordBytes(live!));
  });

  it('counts a finer step and a shorter refresh as a larger record', () => {
    const at = (step: string, refreshInterval: string) =>
      liveRecordBytes(parseConfig({ ...withPrometheus, targets: [{ name: 'a', source: prometheus(step), models: ['mstl'], refreshInterval }] }).targets[0]!);
    expect(at('1m', '15m')).toBeGreaterThan(4 * at('5m', '15m'));
    expect(at('5m', '1m')).toBeGreaterThan(at('5m', '15m'));
  });

  it('refuses with PRESCIENT_ERR_CONFIG more targets than the heap holds, saying how to raise it', () => {
    const config = parseConfig({ ...withPrometheus, targets: Array.from({ length: 3_000 }, (_, i) => ({ name: `t${i}`, source: prometheus('5m'), models: ['auto'] })) });
    let caught: unknown;
    try {
      assertTargetsFitInMemory(config, 1024 * 2 ** 20);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PrescientError);
    expect((caught as PrescientError).code).toBe('PRESCIENT_ERR_CONFIG');
    expect((caught as PrescientError).message).toMatch(/3000 targets need about \d+ MB of heap.*\d+ MB of live-accuracy records.*may use 1024 MB.*max-old-space-size/);
    expect(() => assertTargetsFitInMemory(config, 16 * 1024 * 2 ** 20)).not.toThrow();
  });
});
