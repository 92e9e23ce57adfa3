/**
 * Shared buffers that a series body is written into as it arrives (unscanned: its shape is checked where it is read), kept and
 * reused from one body to the next (issue 11, item 3). A fresh 1 MB buffer
 * per body cost the event loop about 2.5 ms per MB, most of it the kernel
 * mapping its new pages on first write (measured with perf on the
 * parse-cost benchmark's accepted body); writing into pages already mapped is
 * a plain memory copy, about a tenth of that. The buffer is a
 * SharedArrayBuffer, so the bodies lane's thread reads it where it is: it is
 * neither copied nor moved to the worker.
 */

/** Buffers kept for reuse beyond those in use: each is a series route's byte limit (2.5 MB by default). */
const KEPT = 2;

/** A buffer lent to one body until `release`, which is idempotent (a second call does nothing). */
export interface BodyArena {
  readonly bytes: Uint8Array;
  readonly release: () => void;
}

const kept: SharedArrayBuffer[] = [];

/**
 * A buffer of at least `capacity` bytes for one body, kept ones first.
 * Its owner calls `release` once nothing reads it any more (the worker's
 * task settled, or the body was refused); a buffer never released is
 * collected like any other, so a forgotten release costs memory, never a body.
 */
export function lendArena(capacity: number): BodyArena {
  const at = kept.findIndex((buffer) => buffer.byteLength >= capacity);
  const buffer = at >= 0 ? kept.splice(at, 1)[0]! : new SharedArrayBuffer(capacity);
  let lent = true;
  return {
    bytes: new Uint8Array(buffer),
    release: () => {
      // Once only: a buffer released twice could be lent to two bodies at once.
      if (!lent) return;
      lent = false;
      kept.push(buffer);
      // The largest are kept: any can serve a smaller body, and small ones must not crowd out a route's size.
      if (kept.length > KEPT) kept.sort((a, b) => b.byteLength - a.byteLength).pop();
    },
  };
}

/**
 * Lends and writes the buffers kept for reuse (KEPT of `capacity` bytes), so that the first bodies
 * do not pay the kernel for mapping their pages (./body-memory.ts, at start-up).
 * @returns the bytes touched
 */
export function prefaultArenas(capacity: number): number {
  const arenas = Array.from({ length: KEPT }, () => lendArena(capacity));
  for (const arena of arenas) arena.bytes.fill(0);
  for (const arena of arenas) arena.release();
  return KEPT * capacity;
}
