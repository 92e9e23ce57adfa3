import { PrescientError } from '../errors.js';

/** One query_range request: evaluation times startMs, startMs + step, …, endMs (both ends included). */
export interface QueryChunk {
  readonly startMs: number;
  readonly endMs: number;
  /** Evaluation points in this chunk: (endMs - startMs) / step + 1. */
  readonly points: number;
}

/**
 * Splits [startMs, endMs] into query_range requests of at most `maxPoints`
 * evaluation points each. Both ends are aligned down to a multiple of the
 * step (so timestamps land on the same grid on every pull, and the end never
 * asks about the future); consecutive chunks meet without sharing or skipping
 * a grid point. Times in ms since the epoch, step in seconds (> 0, whole ms).
 * Returns no chunk when the aligned window is empty (start after end).
 * @throws PrescientError PRESCIENT_ERR_VALIDATION for a non-finite time, a
 *   step that is not positive, or fewer than one point per request.
 */
export function planQueryChunks(startMs: number, endMs: number, stepSeconds: number, maxPoints: number): QueryChunk[] {
  const stepMs = Math.round(stepSeconds * 1000);
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) {
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', `query window must be finite times, got ${startMs}..${endMs}`);
  }
  if (!Number.isFinite(stepMs) || stepMs <= 0) {
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', `query step must be at least 1 ms, got ${stepSeconds} s`);
  }
  if (!Number.isInteger(maxPoints) || maxPoints < 1) {
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', `maxPoints must be a positive integer, got ${maxPoints}`);
  }
  // Align up at the start: a point before the requested window is not wanted.
  const firstMs = Math.ceil(startMs / stepMs) * stepMs;
  const lastMs = Math.floor(endMs / stepMs) * stepMs;
  if (lastMs < firstMs) return [];
  const total = (lastMs - firstMs) / stepMs + 1;
  const chunks: QueryChunk[] = [];
  for (let first = 0; first < total; first += maxPoints) {
    const points = Math.min(maxPoints, total - first);
    chunks.push({ startMs: firstMs + first * stepMs, endMs: firstMs + (first + points - 1) * stepMs, points });
  }
  return chunks;
}
