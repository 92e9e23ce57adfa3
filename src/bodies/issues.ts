/**
 * How an invalid request is answered: PRESCIENT_ERR_VALIDATION naming the
 * fields at fault, at most MAX_ISSUES of them and a count of the rest. One
 * definition for the main thread (fastify's validation, src/api/error-handler.ts)
 * and the requests lane's worker (series bodies, ./parse-body.ts), so a
 * client gets the same answer wherever its body was checked.
 */
import { PrescientError, type FieldIssue } from '../errors.js';
import { isSeriesValue, REQUEST_BOUNDS } from './fields.js';

/** Field issues answered for one invalid request; the rest are counted in one more issue. */
export const MAX_ISSUES = 20;

/** One schema issue as fastify-type-provider-zod reports it (`/values/3`, zod's message). */
export interface SchemaIssue {
  readonly instancePath: string;
  readonly message?: string | undefined;
}

/**
 * The answer to a request its schema refused.
 * @param context where the issues are (`body`, `query`, `params`, `headers`)
 * @returns PRESCIENT_ERR_VALIDATION with the first MAX_ISSUES issues (paths like `body.values.3`) and a count
 */
export function validationError(context: string, validation: readonly SchemaIssue[]): PrescientError {
  // A body of 60,000 wrong values has 60,000 issues: answering each would cost a 9 MB body and a second of CPU.
  const issues: FieldIssue[] = validation.slice(0, MAX_ISSUES).map((v) => ({
    path: [context, ...v.instancePath.split('/').filter(Boolean)].join('.'),
    message: v.message ?? 'invalid',
  }));
  const more = validation.length - issues.length;
  if (more > 0) issues.push({ path: context, message: `and ${more} more problems like these` });
  return new PrescientError('PRESCIENT_ERR_VALIDATION', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}

/** The answer to a body that cannot be read at all (malformed JSON, an empty body…): the client's to fix. */
export function unreadableBodyError(message: string, cause?: unknown): PrescientError {
  return new PrescientError('PRESCIENT_ERR_VALIDATION', message, { cause, issues: [{ path: 'body', message }] });
}

/**
 * Checks a long series before its schema does: when more than MAX_ISSUES of
 * its values break `seriesValue`'s rule, the answer is the first MAX_ISSUES
 * of them and a count, from one loop — before zod builds an issue object and
 * message per bad value (60,000 wrong values cost zod half a second of CPU
 * and a burst of garbage). Fewer bad values, and every other field, are
 * left to the schema, which checks the values again: this never lets
 * through what the schema refuses.
 * @param list the series' values as parsed (anything: the schema has not run)
 * @param path their path in issues (`body.values`)
 * @returns PRESCIENT_ERR_VALIDATION, or undefined when the schema should answer
 */
export function manyBadValuesError(list: unknown, path: string): PrescientError | undefined {
  if (!Array.isArray(list)) return undefined;
  let bad = 0;
  const firstBad: number[] = [];
  for (let i = 0; i < list.length; i++) {
    if (isSeriesValue(list[i])) continue;
    if (++bad <= MAX_ISSUES) firstBad.push(i);
  }
  return bad > MAX_ISSUES ? badValuesError(firstBad, bad, list.length, path) : undefined;
}

/**
 * The answer to a series with more than MAX_ISSUES bad values, found after the
 * parse (manyBadValuesError) or by the scan before it (./series-values-scan.ts).
 * @param firstBad the indexes of the first MAX_ISSUES bad values
 * @param bad how many values are bad
 * @param total how many values the series has
 * @param path their path in issues (`body.values`)
 */
export function badValuesError(firstBad: readonly number[], bad: number, total: number, path: string): PrescientError {
  const issues: FieldIssue[] = firstBad.map((i) => ({ path: `${path}.${i}`, message: `expected a number between -${REQUEST_BOUNDS.maxAbsValue} and ${REQUEST_BOUNDS.maxAbsValue}, or null` }));
  issues.push({ path: 'body', message: `and ${bad - firstBad.length} more problems like these` });
  return new PrescientError('PRESCIENT_ERR_VALIDATION', `${bad} of ${total} values in ${path} are not numbers within ±${REQUEST_BOUNDS.maxAbsValue} or null`, { issues });
}
