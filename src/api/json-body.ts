import { errorCodes, type FastifyInstance, type FastifyRequest, type FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { Readable } from 'node:stream';
import type { Config } from '../config/schema.js';
import { JsonShapeScanner, type JsonShapeLimits } from '../bodies/json-shape.js';
import { PrescientError } from '../errors.js';
import { lendArena, type BodyArena } from './body-arenas.js';
import { bodyReceived } from './body-memory.js';

/** What one JSON body may hold; every limit is checked before the body is parsed (its shape by ../bodies/json-shape.ts). */
export interface JsonLimits extends JsonShapeLimits {
  /** Most bytes in the body. */
  readonly maxBytes: number;
}

/**
 * A route's own body options, set in its `config.jsonBody` (fastify route
 * config): its limits (the server's apply otherwise), and `unparsed`: the
 * route gets the body's bytes, checked against every limit but not parsed,
 * and reads them off the event loop itself (the series routes, src/engine/body-task.ts).
 */
export type RouteJsonBody = Partial<Pick<JsonLimits, 'maxElements' | 'maxStrings'>> & { readonly unparsed?: boolean };

declare module 'fastify' {
  interface FastifyContextConfig {
    jsonBody?: RouteJsonBody;
  }
}

/** Bytes a series body may spend on each point: 17 significant digits, a sign, an exponent and pretty-printing. */
const SERIES_BYTES_PER_POINT = 40;
/** Room for the other fields of a series body (model, levels, periods, replay…). */
const SERIES_BODY_SLACK_BYTES = 64 * 1024;
const SERIES_BODY_SLACK_ELEMENTS = 1_000;
/** A series body's strings are its keys and a few fields (model, step, start, periods…); its values are numbers or null. */
const SERIES_BODY_MAX_STRINGS = 1_000;

/**
 * The body options of a route that takes a series of up to `limits.maxPoints`
 * values (POST /api/v1/forecast, POST /api/v1/backtests), as fastify route
 * options. Limits: a maximal legitimate body fits, and a body much larger
 * than one is refused as it arrives (or by its Content-Length) instead of
 * being parsed; so is a body of thousands of strings (values must be
 * numbers), which would otherwise pass every other limit.
 * `server.bodyLimitBytes` stays the ceiling. A body within its byte limit
 * reaches the handler as its bytes, unscanned, unparsed and unvalidated
 * (`withRawBody`): the handler has the bodies lane's thread check its shape,
 * then parse and validate it against the route's schema (FitPool.readBody),
 * which stays in the route for OpenAPI.
 */
export function seriesBodyOptions(config: Readonly<Pick<Config, 'limits' | 'server'>>): { bodyLimit: number; jsonBody: RouteJsonBody; validatorCompiler: FastifySchemaCompiler<unknown> } {
  const { maxPoints } = config.limits;
  return {
    bodyLimit: Math.min(config.server.bodyLimitBytes, maxPoints * SERIES_BYTES_PER_POINT + SERIES_BODY_SLACK_BYTES),
    jsonBody: { maxElements: maxPoints + SERIES_BODY_SLACK_ELEMENTS, maxStrings: SERIES_BODY_MAX_STRINGS, unparsed: true },
    validatorCompiler: validatedOffThread,
  };
}

/** The route's body is validated in the worker that parses it; its other parts (none yet) as everywhere. */
const validatedOffThread: FastifySchemaCompiler<unknown> = (route) =>
  route.httpPart === 'body' ? (bytes: unknown) => ({ value: bytes }) : validatorCompiler(route as Parameters<typeof validatorCompiler>[0]);

/** A body handed to its route unparsed: its bytes, and the shape they must have, not checked yet (its JSON limits). */
export interface RawBody {
  readonly raw: Uint8Array | string | null;
  readonly shape?: JsonShapeLimits;
}

/** Each unparsed body's shape limits and the release of its shared buffer (./body-arenas.ts), by the bytes handed to the route. */
const unparsedOf = new WeakMap<Uint8Array, { readonly shape: JsonShapeLimits; readonly arena?: BodyArena }>();

/**
 * Runs `read` on the body of a route whose JSON is read `unparsed`
 * (seriesBodyOptions): its bytes, in a shared buffer the bodies lane's thread
 * reads where it is, with the JSON shape they must have (`shape`: checked by
 * that thread before it parses them, never on the event loop); or the text fastify's text/plain parser made of a body
 * sent as such (the schema refuses it, as on every route); null when the
 * request has no body. Once `read` settles the buffer goes back for the next
 * body: `read` must not keep the bytes (the worker decodes them at once; a
 * task stopped while it runs has its thread terminated, and its answer is dropped).
 * @throws PrescientError PRESCIENT_ERR_INTERNAL on a route whose JSON body was parsed; what `read` throws
 */
export async function withRawBody<T>(request: FastifyRequest, read: (body: RawBody) => Promise<T>): Promise<T> {
  const body: unknown = request.body;
  if (body === null || body === undefined) return read({ raw: null });
  if (typeof body === 'string') return read({ raw: body });
  if (!(body instanceof Uint8Array)) {
    throw new PrescientError('PRESCIENT_ERR_INTERNAL', `the body of ${request.method} ${request.routeOptions.url ?? ''} was parsed on the event loop, not left unparsed`);
  }
  const unparsed = unparsedOf.get(body);
  try {
    return await read({ raw: body, ...(unparsed ? { shape: unparsed.shape } : {}) });
  } finally {
    unparsed?.arena?.release();
  }
}

/** Bytes of a body read between two turns of the event loop: each costs it well under a millisecond. */
const YIELD_EVERY_BYTES = 256 * 1024;

function tooLarge(maxBytes: number): PrescientError {
  return new PrescientError('PRESCIENT_ERR_BODY_TOO_LARGE', `the request body is larger than ${maxBytes} bytes, this route's limit`, {
    issues: [{ path: 'body', message: `at most ${maxBytes} bytes (server.bodyLimitBytes; for a series, limits.maxPoints × ${SERIES_BYTES_PER_POINT} B + 64 KiB)` }],
  });
}

/**
 * Reads a JSON body from its stream, scanning each chunk as it arrives
 * (JsonShapeScanner), and hands the whole text on only when every limit
 * held; with `unparsed`, only its byte limit is checked here (see below). A body refused — by its shape, or by passing `maxBytes` — is read to
 * its end without being scanned or kept, then answered: a client still
 * sending then reads the 413 instead of a reset connection (a server that
 * answers and closes while the body arrives makes the client's kernel
 * drop the answer). Only past `drainBytes` (server.bodyLimitBytes), by
 * Content-Length or by bytes received, is it answered at once and the
 * connection closed, as fastify does.
 * `unparsed`: the bytes are written, chunk by chunk, into a shared buffer
 * lent for the body (./body-arenas.ts) and handed on as a view of it, not
 * scanned: the bodies lane's thread checks their shape before it parses
 * them (withRawBody gives it `limits`), so the event loop spends nothing per
 * byte of a series body but Node's own reading and one copy (the scan was
 * about 1.5 CPU ms per MB of it). Otherwise they are handed on as one Buffer.
 * Every 256 KiB it pauses the stream until the next turn of the event loop,
 * so a body already waiting in the socket never holds the loop for its whole
 * length (half the median stall of parse-cost's accepted 1.09 MB body).
 */
export function readJsonBody(
  request: Pick<FastifyRequest, 'headers'>,
  payload: Readable,
  limits: JsonLimits,
  drainBytes: number,
  unparsed: boolean,
  done: (error: Error | null, bytes?: Uint8Array) => void,
): void {
  const contentLength = Number(request.headers['content-length']);
  if (contentLength > drainBytes) {
    done(tooLarge(limits.maxBytes));
    return;
  }
  // A series body's shape is checked by the bodies lane's thread, on the whole body (withRawBody).
  const scanner = unparsed ? undefined : new JsonShapeScanner(limits);
  const chunks: Buffer[] = [];
  let arena: BodyArena | undefined;
  let received = 0;
  let refusal: PrescientError | undefined = contentLength > limits.maxBytes ? tooLarge(limits.maxBytes) : undefined;
  const stop = () => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onEnd);
    arena?.release();
  };
  let sinceYield = 0;
  function onData(data: Buffer | string): void {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    received += chunk.length;
    if (received > drainBytes) {
      stop();
      bodyReceived(received);
      done(refusal ?? tooLarge(limits.maxBytes));
      return;
    }
    sinceYield += chunk.length;
    if (sinceYield >= YIELD_EVERY_BYTES) {
      // libuv reads up to 32 socket reads (2 MB) per readiness event, and each read's chunk is parsed,
      // scanned and copied at once: a body already in the socket's buffer held the loop for all of it.
      // Pausing stops the socket's reads after the next chunk; the rest is read on the next turn of the loop.
      sinceYield = 0;
      payload.pause();
      setImmediate(() => payload.resume());
    }
    if (refusal) return;
    refusal = received > limits.maxBytes ? tooLarge(limits.maxBytes) : scanner?.scan(chunk);
    if (refusal) {
      chunks.length = 0;
      arena?.release();
    } else if (unparsed) {
      // received ≤ limits.maxBytes here, the buffer's capacity.
      arena ??= lendArena(limits.maxBytes);
      arena.bytes.set(chunk, received - chunk.length);
    } else chunks.push(chunk);
  }
  function onEnd(error?: Error & { statusCode?: number }): void {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onEnd);
    // Node copied it into pieces of its own: they are collected every few MB (./body-memory.ts).
    bodyReceived(received);
    if (error) {
      if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
      arena?.release();
      done(error);
    } else if (refusal) done(refusal);
    else if (!Number.isNaN(contentLength) && received !== contentLength) {
      arena?.release();
      done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
    } else if (!unparsed) done(null, Buffer.concat(chunks, received));
    else if (!arena) {
      const empty = new Uint8Array(0);
      unparsedOf.set(empty, { shape: limits });
      done(null, empty);
    }
    else {
      // The route's reader (withRawBody) releases the buffer once the worker has read it.
      const bytes = arena.bytes.subarray(0, received);
      unparsedOf.set(bytes, { shape: limits, arena });
      done(null, bytes);
    }
  }
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onEnd);
  payload.resume();
}

/**
 * Replaces fastify's JSON body parser with one that refuses a body past its
 * route's limits while it streams in (readJsonBody), then parses a body that
 * passed once, with fastify's own parser (which also refuses `__proto__`
 * and `constructor` poisoning) — or, on a route whose `config.jsonBody`
 * says `unparsed`, hands it on as bytes, checked against its byte limit
 * only (the bodies lane's thread checks the rest before it parses them). A route's byte limit is its fastify
 * `bodyLimit`; its value count may be set in `config.jsonBody`.
 */
export function installJsonParser(app: FastifyInstance, server: Omit<JsonLimits, 'maxBytes'> & { readonly bodyLimitBytes: number }): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', (request: FastifyRequest, payload, done) => {
    const { maxDepth, maxElements, maxValueBytes } = server;
    const { unparsed, ...routeLimits } = request.routeOptions.config.jsonBody ?? {};
    const limits: JsonLimits = { maxDepth, maxElements, maxValueBytes, maxBytes: request.routeOptions.bodyLimit, ...routeLimits };
    readJsonBody(request, payload, limits, Math.max(server.bodyLimitBytes, limits.maxBytes), unparsed === true, (error, bytes) => {
      if (error) done(error, undefined);
      else if (unparsed) done(null, bytes);
      else parse(request, (bytes as Buffer).toString('utf8'), done);
    });
  });
}
