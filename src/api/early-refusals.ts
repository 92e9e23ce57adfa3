import type { FastifyRequest, preValidationHookHandler } from 'fastify';
import { PrescientError, type FieldIssue } from '../errors.js';
import { MAX_ISSUES } from './error-handler.js';
import { REQUEST_BOUNDS } from './schemas.js';

/** `body[key]` of a parsed JSON body, if the body is an object. */
export function field(body: unknown, key: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
}

/** The rule of `seriesValue` (schemas.ts) as a test: a number within ±maxAbsValue, or null. */
export function isSeriesValue(value: unknown): boolean {
  return value === null || (typeof value === 'number' && value >= -REQUEST_BOUNDS.maxAbsValue && value <= REQUEST_BOUNDS.maxAbsValue);
}

/**
 * A preValidation hook for a route whose body carries a long series: when
 * more than MAX_ISSUES of its values break `seriesValue`'s rule, it refuses
 * the body with the first MAX_ISSUES of them and a count of the rest, in one
 * loop — before zod builds an issue object and message per bad value (60,000
 * wrong values cost zod half a second of CPU and a burst of garbage). Fewer
 * bad values, and every other field, are left to the schema, which checks
 * the values again: this hook never lets through what the schema refuses.
 * @param values where the series' values are in the parsed body
 * @param path their path in issues (`body.values`)
 * @throws PrescientError PRESCIENT_ERR_VALIDATION
 */
export function refuseManyBadValues(values: (body: unknown) => unknown, path: string): preValidationHookHandler {
  return async (request: FastifyRequest) => {
    const list = values(request.body);
    if (!Array.isArray(list)) return;
    let bad = 0;
    const issues: FieldIssue[] = [];
    for (let i = 0; i < list.length; i++) {
      if (isSeriesValue(list[i])) continue;
      bad++;
      if (issues.length < MAX_ISSUES) issues.push({ path: `${path}.${i}`, message: `expected a number between -${REQUEST_BOUNDS.maxAbsValue} and ${REQUEST_BOUNDS.maxAbsValue}, or null` });
    }
    if (bad <= MAX_ISSUES) return;
    issues.push({ path: 'body', message: `and ${bad - MAX_ISSUES} more problems like these` });
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', `${bad} of ${list.length} values in ${path} are not numbers within ±${REQUEST_BOUNDS.maxAbsValue} or null`, { issues });
  };
}
