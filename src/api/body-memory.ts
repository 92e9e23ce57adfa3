/**
 * Touches, once at start-up, the memory the first request bodies will be
 * written into (issue 11, item 3), so that the first requests of a new
 * process do not pay the kernel for mapping it. A page touched for the first
 * time costs a minor page fault: about 15 µs of the event loop's CPU on the
 * machines measured (paravirtualised paging), ~280 of them for a 1.09 MB body,
 * most of what the first bodies of a process cost beyond later ones
 * (benchmarks/parse-cost.ts).
 *
 * Two kinds of memory are written for a body on the event loop:
 * - Node's HTTP parser copies each piece of a body (≤ 64 KiB) into a fresh
 *   `malloc` allocation, freed only when V8 collects the piece, some MB of
 *   bodies later; until then every piece lands on pages never touched.
 *   Here the same allocator is made to hold `heapBytes` of touched, free
 *   memory: pieces of the same size are allocated and written, then freed
 *   by a full collection. One piece in FENCE_EVERY is kept, so the freed
 *   runs lie between live allocations and the allocator never hands them
 *   back to the kernel (glibc returns free memory only from the top of its
 *   heap, when more than its trim threshold is free there).
 * - The shared buffers of ./body-arenas.ts: the kept ones are written once.
 *
 * It runs in server.ts before the server listens, and in
 * benchmarks/parse-cost.ts at the same point; tests' apps skip it.
 *
 * A fork undoes it. Forking write-protects every page of this process, so the
 * next write to each page faults again, warmed or not. The service forks
 * nothing itself, but run from TypeScript source (`npm start`), a worker
 * thread's tsx starts an esbuild process the first time it transpiles a file
 * missing from tsx's cache. After any change to the code, that happens when a
 * pool lane's thread first starts, i.e. on the first request or refresh, after
 * the warm-up. (Found with strace; it is why parse-cost's first run after an
 * integration paid ~280 faults per 1.09 MB body and the next run ~6.)
 * `rewarmAfterFork`, called by the pool once a lane's threads are set up,
 * checks for that and warms the memory again.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { prefaultArenas } from './body-arenas.js';

/** Node's HTTP parser reads a socket 64 KiB at a time: its body pieces are at most this. */
const PIECE_BYTES = 64 * 1024;
const PAGE_BYTES = 4096;
/** One piece in this many stays allocated, so the free memory between them is never trimmed (1/64 of heapBytes stays in use). */
const FENCE_EVERY = 64;

/** The pieces kept as fences, for the life of the process. */
const fences: Buffer[] = [];
/** What the last warm-up was given, so that rewarmAfterFork can redo it; undefined before any warm-up. */
let warmed: { readonly heapBytes: number; readonly arenaCapacity: number } | undefined;

export interface BodyMemoryWarmUp {
  /** Bytes of allocator memory touched and left free. */
  readonly heapBytes: number;
  /** Bytes of the shared body buffers touched. */
  readonly arenaBytes: number;
  /** Minor page faults of this thread meanwhile (Linux; NaN elsewhere). */
  readonly pageFaults: number;
  readonly ms: number;
}

/**
 * Touches `heapBytes` of allocator memory and the kept body buffers of `arenaCapacity` bytes (see above).
 * @param heapBytes ≥ 0; what bodies arrive between two collections (every COLLECT_EVERY_BYTES once warmed, see bodyReceived)
 * @param arenaCapacity a series route's byte limit (seriesBodyOptions(config).bodyLimit)
 */
export function warmBodyMemory(heapBytes: number, arenaCapacity: number): BodyMemoryWarmUp {
  const started = performance.now();
  const faultsBefore = threadPageFaults();
  warmed = { heapBytes, arenaCapacity };
  touchPieces(Math.ceil(heapBytes / PIECE_BYTES));
  fullCollection();
  const arenaBytes = prefaultArenas(arenaCapacity);
  return { heapBytes, arenaBytes, pageFaults: threadPageFaults() - faultsBefore, ms: performance.now() - started };
}

/**
 * Bytes of bodies after which their pieces are collected (a minor collection). Left to V8, Node's body
 * pieces are freed only once their memory presses as external memory: after ~36 MB of bodies in
 * parse-cost's sequence (--trace-gc), past the warmed memory, so the bodies between ~28 and ~36 MB landed
 * on fresh pages (118–282 faults each), and the young generation grew onto fresh pages meanwhile (~35 faults
 * a 1.09 MB body). Collected every 4 MiB, they reuse the warmed memory: 60 bodies of 1.09 MB faulted 2.4–3.3
 * times each instead of 34–35, for the same loop CPU, the collections included (mean 4.7–4.8 ms against 5.0–5.3).
 */
const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;
let sinceCollection = 0;
/** V8's `gc`, kept from the warm-up's full collection; undefined until a warm-up ran (tests' apps). */
let collect: ((options?: { type: 'minor' }) => void) | undefined;

/**
 * Counts a request body's bytes, read or refused; after every COLLECT_EVERY_BYTES of them, a minor
 * collection on the next turn of the loop (its pieces are garbage by then). Nothing before a warm-up.
 */
export function bodyReceived(bytes: number): void {
  if (!collect) return;
  sinceCollection += bytes;
  if (sinceCollection < COLLECT_EVERY_BYTES) return;
  sinceCollection = 0;
  setImmediate(() => collect?.({ type: 'minor' }));
}

/**
 * Warms the memory again (warmBodyMemory, with what it was last given) if this process has forked since
 * it was warmed (see above); otherwise does nothing. Costs ~10 µs when nothing forked, and a warm-up
 * (~8,000 faults, 0.1–0.2 s of the event loop) when something did: once per fork, paid while the
 * request that started the forking thread waits for that thread anyway.
 * @returns the new warm-up's figures, or undefined when none was needed (or none was ever done)
 */
export function rewarmAfterFork(): BodyMemoryWarmUp | undefined {
  if (!warmed || !forkedSinceWarmUp()) return undefined;
  return warmBodyMemory(warmed.heapBytes, warmed.arenaCapacity);
}

/**
 * Whether a fork write-protected the warmed memory: one byte is written to a page of every fence (kept,
 * never used for bodies, last written by the warm-up or the previous check). Each such write faults only
 * after a fork, so a fork shows as at least one fault per fence; anything else this thread does meanwhile
 * (reading /proc) adds a fault or two at most, never one per fence. The byte is one page into the fence, on
 * a page wholly inside it: the fence's first page also holds the allocator's header and the previous
 * chunk's tail, which malloc may write after the fork (taking that page's fault itself, so the check missed
 * the fork about once in ten runs of its test).
 */
function forkedSinceWarmUp(): boolean {
  if (fences.length === 0) return false;
  const before = threadPageFaults();
  for (const fence of fences) fence[PAGE_BYTES] = 0;
  return threadPageFaults() - before >= fences.length;
}

/** Allocates and writes `count` pieces, all alive at once (so none reuses another's memory); all but the fences die with this call. */
function touchPieces(count: number): void {
  const pieces: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    // allocUnsafeSlow: a malloc of its own, as each of Node's body pieces is (not Node's shared 8 KiB pool).
    const piece = Buffer.allocUnsafeSlow(PIECE_BYTES);
    for (let at = 0; at < piece.length; at += PAGE_BYTES) piece[at] = 0;
    (i % FENCE_EVERY === FENCE_EVERY - 1 ? fences : pieces).push(piece);
  }
}

/**
 * One full garbage collection now, so the pieces' memory goes back to the allocator before the
 * first request. V8 exposes `gc` only to contexts made after the flag is set (as Jest's leak
 * detector does it); the flag gives this process nothing else.
 */
function fullCollection(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options?: { type: 'minor' }) => void;
  collect = gc;
  gc();
}

/** This thread's minor page faults so far (/proc, Linux), NaN elsewhere. */
function threadPageFaults(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
  } catch {
    return Number.NaN;
  }
}
