import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PrescientError } from '../errors.js';

export interface JsonLimits {
  /** Deepest nesting of arrays and objects. */
  readonly maxDepth: number;
  /** Most values (array elements and object members, at any depth). */
  readonly maxElements: number;
}

/**
 * Checks a JSON text's nesting depth and element count in one pass over its
 * characters, before it is parsed: a body that is too deep or too wide is
 * refused for the cost of reading it (a few ms per MB), never after
 * `JSON.parse` and schema validation have built and walked millions of
 * values on the event loop. The text is not validated as JSON here.
 * @throws PrescientError PRESCIENT_ERR_BODY_TOO_COMPLEX
 */
export function checkJsonShape(text: string, limits: JsonLimits): void {
  let depth = 0;
  let elements = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limits.maxDepth) {
        throw new PrescientError('PRESCIENT_ERR_BODY_TOO_COMPLEX', `the JSON body nests deeper than ${limits.maxDepth} levels`, {
          issues: [{ path: 'body', message: `at most ${limits.maxDepth} levels of nesting (server.maxJsonDepth)` }],
        });
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
    else if (c === 0x2c /* , */ && ++elements > limits.maxElements) {
      throw new PrescientError('PRESCIENT_ERR_BODY_TOO_COMPLEX', `the JSON body holds more than ${limits.maxElements} values`, {
        issues: [{ path: 'body', message: `at most ${limits.maxElements} values in all (server.maxJsonElements)` }],
      });
    }
  }
}

/**
 * Replaces fastify's JSON body parser with one that checks the shape first
 * (checkJsonShape), then parses with fastify's own parser (which also
 * refuses `__proto__` and `constructor` poisoning).
 */
export function installJsonParser(app: FastifyInstance, limits: JsonLimits): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request: FastifyRequest, body: string | Buffer, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    try {
      checkJsonShape(text, limits);
    } catch (err) {
      done(err as PrescientError, undefined);
      return;
    }
    parse(request, text, done);
  });
}
