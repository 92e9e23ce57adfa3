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
