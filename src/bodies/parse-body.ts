/**
 * Reads a series body from its raw bytes: decode, parse, refuse many bad
 * values at once, validate against the route's zod schema. It runs in the
 * requests lane's worker (src/engine/body-task.ts), so that a 1 MB body
 * costs the event loop only the reading of its bytes; it answers exactly
 * as fastify's own JSON parser and validation would on the main thread.
 */
import { validatorCompiler } from 'fastify-type-provider-zod';
import secureJson from 'secure-json-parse';
import type { z } from 'zod';
import { manyBadValuesError, unreadableBodyError, validationError, type SchemaIssue } from './issues.js';

/** fastify's own answers (FST_ERR_CTP_EMPTY_JSON_BODY, FST_ERR_CTP_INVALID_JSON_BODY), so every route reads alike. */
export const EMPTY_JSON_BODY = "Body cannot be empty when content-type is set to 'application/json'";
export const INVALID_JSON_BODY = "Body is not valid JSON but content-type is set to 'application/json'";

/** Where a body's series values are, to refuse many bad ones before the schema builds an issue per value. */
export interface SeriesValuesAt {
  readonly get: (body: unknown) => unknown;
  /** Their path in issues (`body.values`). */
  readonly path: string;
}

/** `body[key]` of a parsed JSON body, if the body is an object. */
export function field(body: unknown, key: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
}

/**
 * The body a route's schema accepts, from what was received.
 * @param raw the body's bytes (JSON, UTF-8); or a text fastify's text/plain parser read, which
 *   is validated as it is (a string, not an object), as on every route; or null for a request without one
 * @param schema the route's body schema (the one its OpenAPI shows)
 * @throws PrescientError PRESCIENT_ERR_VALIDATION: empty or malformed JSON, `__proto__` or
 *   `constructor.prototype` keys (as fastify refuses them), more than 20 bad series values, or the schema's issues
 */
export function parseBody<S extends z.ZodType>(raw: Uint8Array | string | null, schema: S, values: SeriesValuesAt): z.output<S> {
  let body: unknown = raw;
  if (raw instanceof Uint8Array) {
    if (raw.length === 0) throw unreadableBodyError(EMPTY_JSON_BODY);
    // Buffer's decoding, as fastify's parser reads a body: bad UTF-8 becomes U+FFFD, a BOM stays for the parser to skip.
    const text = Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('utf8');
    try {
      body = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (cause) {
      throw unreadableBodyError(INVALID_JSON_BODY, cause);
    }
  }
  const many = manyBadValuesError(values.get(body), values.path);
  if (many) throw many;
  // The very validator fastify runs on the main thread's routes: the same issues, paths and messages.
  const result = validatorCompiler({ schema, method: 'POST', url: values.path, httpPart: 'body' })(body) as { value?: z.output<S>; error?: SchemaIssue[] };
  if (result.error) throw validationError('body', result.error);
  return result.value as z.output<S>;
}
