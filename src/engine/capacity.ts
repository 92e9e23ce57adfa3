import { getHeapStatistics } from 'node:v8';
import type { Config } from '../config/schema.js';
import { PrescientError } from '../errors.js';

/**
 * How many targets one process can hold: memory sets the limit, not a fixed
 * count. Every target's served forecast, scores and (for `auto`) selection
 * live in the JS heap of each process that serves it, so the heap limit
 * (`--max-old-space-size`, or V8's default for the machine) bounds the
 * number of targets. `other`: measured with benchmarks/scale.ts (1,000
 * `mstl` targets; heap used grew 35 MB while 437 more targets got their
 * first forecast: 81 KB each, rounded up). `auto`: not measured in a run
 * yet; estimated from the persisted document, 200 KB for `auto` with its
 * selection against 28 KB for `mstl` (issue 15), so about 7 × `mstl`.
 */
export const HEAP_BYTES_PER_TARGET = { auto: 700_000, other: 100_000 } as const;
/** Heap the service uses with no target (modules, fastify, gRPC, metrics), plus headroom for requests. */
export const BASE_HEAP_BYTES = 256 * 1024 * 1024;

/** Heap the configured targets are expected to need, in bytes. */
export function heapNeededBytes(config: Pick<Config, 'targets'>): number {
  let bytes = BASE_HEAP_BYTES;
  for (const target of config.targets) bytes += target.models[0] === 'auto' ? HEAP_BYTES_PER_TARGET.auto : HEAP_BYTES_PER_TARGET.other;
  return bytes;
}

/**
 * Refuses a configuration whose targets cannot fit in this process's heap,
 * before it runs out of memory hours later.
 * @throws PrescientError PRESCIENT_ERR_CONFIG naming the need, the limit and the ways out
 */
export function assertTargetsFitInMemory(config: Pick<Config, 'targets'>, heapLimitBytes = getHeapStatistics().heap_size_limit): void {
  const needed = heapNeededBytes(config);
  if (needed <= heapLimitBytes) return;
  const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
  throw new PrescientError(
    'PRESCIENT_ERR_CONFIG',
    `${config.targets.length} targets need about ${mb(needed)} MB of heap (${mb(BASE_HEAP_BYTES)} MB base + ` +
      `${mb(HEAP_BYTES_PER_TARGET.auto * 10) / 10} MB per auto target, ${mb(HEAP_BYTES_PER_TARGET.other * 10) / 10} MB per other); ` +
      `this process may use ${mb(heapLimitBytes)} MB. Raise it with NODE_OPTIONS=--max-old-space-size=<MB> or split the targets over several deployments`,
    { issues: [{ path: 'targets', message: `more targets than ${mb(heapLimitBytes)} MB of heap holds` }] },
  );
}
