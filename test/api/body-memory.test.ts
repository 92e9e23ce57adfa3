import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rewarmAfterFork, warmBodyMemory } from '../../src/api/body-memory.js';

/** This thread's minor page faults so far (Linux /proc). */
function threadFaults(): number {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

// Small sizes (one piece in 64 is kept as a fence, so at least 4 MiB): the module's state is shared with the other files of `test:fast` (--no-isolate).
const HEAP_BYTES = 8 * 1024 * 1024;
const ARENA_BYTES = 64 * 1024;

describe('warming body memory again after a fork (src/api/body-memory.ts)', () => {
  it('does nothing again while this process has not forked since the warm-up', () => {
    warmBodyMemory(HEAP_BYTES, ARENA_BYTES);
    expect(rewarmAfterFork()).toBeUndefined();
    expect(rewarmAfterFork()).toBeUndefined();
  });

  it('warms again, once, after a child process was started (a fork write-protects every page)', () => {
    const first = warmBodyMemory(HEAP_BYTES, ARENA_BYTES);
    // A real fork: what tsx does when a worker thread first transpiles a file it has not cached.
    expect(spawnSync(process.execPath, ['-e', '0']).status).toBe(0);
    const again = rewarmAfterFork();
    expect(again?.heapBytes).toBe(HEAP_BYTES);
    // It wrote the pages the fork had protected: each faulted again (at least the 8 MiB of pieces' 2,048 pages).
    expect(again?.pageFaults).toBeGreaterThanOrEqual(HEAP_BYTES / 4096);
    expect(first.pageFaults).toBeGreaterThan(0);
    // Done: the next check finds the memory writable.
    expect(rewarmAfterFork()).toBeUndefined();
  });

  it('after a fork, memory from the warm-up is written without faults once warmed again', () => {
    warmBodyMemory(HEAP_BYTES, ARENA_BYTES);
    spawnSync(process.execPath, ['-e', '0']);
    rewarmAfterFork();
    // Pieces of a body's size now reuse the warmed, writable memory (as Node's body pieces do).
    const before = threadFaults();
    const pieces = Array.from({ length: 8 }, () => Buffer.allocUnsafeSlow(64 * 1024).fill(1));
    const faults = threadFaults() - before;
    expect(pieces).toHaveLength(8);
    // 8 pieces of 16 pages: 128 faults if they landed on protected or fresh pages.
    expect(faults).toBeLessThan(32);
  });
});
