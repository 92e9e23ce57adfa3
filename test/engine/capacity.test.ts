import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { assertTargetsFitInMemory, BASE_HEAP_BYTES, HEAP_BYTES_PER_TARGET, heapNeededBytes } from '../../src/engine/capacity.js';
import { PrescientError } from '../../src/errors.js';

const many = (n: number, models: string[]) =>
  parseConfig({ targets: Array.from({ length: n }, (_, i) => ({ name: `t${i}`, source: { type: 'file', path: '/dev/null' }, models })) });

describe('target capacity', () => {
  it('accepts more than 500 targets: no fixed cap', () => {
    expect(many(2_000, ['mstl']).targets).toHaveLength(2_000);
  });

  it('counts auto targets (which keep a selection) heavier than others', () => {
    expect(heapNeededBytes(many(10, ['auto']))).toBe(BASE_HEAP_BYTES + 10 * HEAP_BYTES_PER_TARGET.auto);
    expect(heapNeededBytes(many(10, ['mstl', 'snaive']))).toBe(BASE_HEAP_BYTES + 10 * HEAP_BYTES_PER_TARGET.other);
  });

  it('refuses with PRESCIENT_ERR_CONFIG more targets than the heap holds, saying how to raise it', () => {
    const config = many(3_000, ['auto']);
    let caught: unknown;
    try {
      assertTargetsFitInMemory(config, 1024 * 2 ** 20);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PrescientError);
    expect((caught as PrescientError).code).toBe('PRESCIENT_ERR_CONFIG');
    expect((caught as PrescientError).message).toMatch(/3000 targets need about \d+ MB of heap.*may use 1024 MB.*max-old-space-size/);
    expect(() => assertTargetsFitInMemory(config, 8 * 1024 * 2 ** 20)).not.toThrow();
  });
});
