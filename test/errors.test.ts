import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCatalogue, PrescientError, toPrescientError, type ErrorCode } from '../src/errors.js';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
const GRPC_NAMES: Record<number, string> = { 3: 'INVALID_ARGUMENT', 5: 'NOT_FOUND', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 13: 'INTERNAL', 14: 'UNAVAILABLE', 16: 'UNAUTHENTICATED' };

/** Rows of the docs table: code → [http, grpc]. */
function documented(): Map<string, [string, string]> {
  const rows = new Map<string, [string, string]>();
  for (const line of doc.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells[1]?.startsWith('PRESCIENT_ERR_')) rows.set(cells[1], [cells[2] ?? '', cells[3] ?? '']);
  }
  return rows;
}

describe('error catalogue', () => {
  it('documents every code in docs/errors.md with its HTTP and gRPC status, and nothing else', () => {
    const rows = documented();
    expect([...rows.keys()].sort()).toEqual(Object.keys(errorCatalogue).sort());
    for (const [code, spec] of Object.entries(errorCatalogue)) {
      const [http, grpc] = rows.get(code) ?? ['', ''];
      expect(Number(http), code).toBe(spec.httpStatus);
      expect(grpc, code).toBe(`${GRPC_NAMES[spec.grpcStatus]} (${spec.grpcStatus})`);
    }
  });

  it('marks exactly the errors a retry can cure as retryable', () => {
    // Pinned per code: a flipped flag tells KEDA, clients and the engine to retry what cannot succeed, or
    // to give up on what would. Codes added later are held to the rule below until pinned here.
    const pinned: Partial<Record<ErrorCode, boolean>> = {
      PRESCIENT_ERR_VALIDATION: false,
      PRESCIENT_ERR_CONFIG: false,
      PRESCIENT_ERR_NOT_FOUND: false,
      PRESCIENT_ERR_TARGET_NOT_FOUND: false,
      PRESCIENT_ERR_FORECAST_UNAVAILABLE: true,
      PRESCIENT_ERR_HORIZON_TOO_LONG: false,
      PRESCIENT_ERR_LEVEL_UNAVAILABLE: false,
      PRESCIENT_ERR_MODEL_UNKNOWN: false,
      PRESCIENT_ERR_SERIES_TOO_SHORT: false,
      PRESCIENT_ERR_SERIES_INVALID: false,
      PRESCIENT_ERR_FIT_FAILED: false,
      PRESCIENT_ERR_MODEL_OUTPUT_INVALID: false,
      PRESCIENT_ERR_FIT_TIMEOUT: true,
      PRESCIENT_ERR_POOL_FULL: true,
      PRESCIENT_ERR_PROMETHEUS_UNREACHABLE: true,
      PRESCIENT_ERR_PROMETHEUS_QUERY: false,
      PRESCIENT_ERR_PROMETHEUS_MULTIPLE_SERIES: false,
      PRESCIENT_ERR_PROMETHEUS_NO_DATA: true,
      PRESCIENT_ERR_SOURCE_FILE: false,
      PRESCIENT_ERR_UNAUTHORIZED: false,
      PRESCIENT_ERR_BODY_TOO_LARGE: false,
      PRESCIENT_ERR_PERSISTENCE: true,
      PRESCIENT_ERR_SCALING_NOT_CONFIGURED: false,
      PRESCIENT_ERR_INTERNAL: true,
    };
    for (const [code, spec] of Object.entries(errorCatalogue) as Array<[ErrorCode, (typeof errorCatalogue)[ErrorCode]]>) {
      const expected = pinned[code];
      if (expected !== undefined) expect(spec.retryable, code).toBe(expected);
      // A client error other than 408/429 never cures itself.
      const status: number = spec.httpStatus;
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) expect(spec.retryable, code).toBe(false);
      // The flag travels with every error made from the code.
      expect(new PrescientError(code, 'x').retryable, code).toBe(spec.retryable);
      expect(toPrescientError(structuredClone(new PrescientError(code, 'x').toJSON())).retryable, code).toBe(spec.retryable);
    }
  });

  it('names every code PRESCIENT_ERR_*', () => {
    for (const code of Object.keys(errorCatalogue)) expect(code).toMatch(/^PRESCIENT_ERR_[A-Z_]+$/);
  });

  it('keeps the code through a worker boundary (plain object) and wraps unknown errors as internal', () => {
    const original = new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', 'too slow', { issues: [{ path: 'x', message: 'y' }] });
    const cloned = structuredClone(original.toJSON());
    const back = toPrescientError(cloned);
    expect(back.code).toBe('PRESCIENT_ERR_FIT_TIMEOUT');
    expect(back.retryable).toBe(true);
    expect(back.issues).toEqual([{ path: 'x', message: 'y' }]);
    const internal = toPrescientError(new TypeError('boom'));
    expect(internal.code).toBe('PRESCIENT_ERR_INTERNAL' satisfies ErrorCode);
    expect(internal.cause).toBeInstanceOf(TypeError);
  });
});
