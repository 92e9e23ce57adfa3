import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { unreadableBodyError, validationError } from '../bodies/issues.js';
import { PrescientError, toPrescientError, type FieldIssue } from '../errors.js';

/** The one shape of every HTTP error body. */
export interface ErrorBody {
  error: { code: string; message: string; retryable: boolean; issues: FieldIssue[] };
}

function errorBody(error: PrescientError): ErrorBody {
  // 5xx messages may carry internals (paths, stack-ish text): clients get the summary only.
  const message = error.httpStatus >= 500 && error.code === 'PRESCIENT_ERR_INTERNAL' ? 'internal error' : error.message;
  return { error: { code: error.code, message, retryable: error.retryable, issues: [...error.issues] } };
}

/** `querystring` → `query`: the path a client recognises. */
const CONTEXT_NAMES: Record<string, string> = { querystring: 'query', body: 'body', params: 'params', headers: 'headers' };

function fromFastify(error: FastifyError): PrescientError {
  if (hasZodFastifySchemaValidationErrors(error)) return validationError(CONTEXT_NAMES[error.validationContext ?? 'body'] ?? 'body', error.validation);
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new PrescientError('PRESCIENT_ERR_BODY_TOO_LARGE', 'the request body is larger than server.bodyLimitBytes', { cause: error });
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.statusCode === 415) {
    return new PrescientError('PRESCIENT_ERR_UNSUPPORTED_MEDIA_TYPE', 'the body must be JSON (Content-Type: application/json)', {
      cause: error,
      issues: [{ path: 'headers.content-type', message: 'expected application/json' }],
    });
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    // Malformed JSON, wrong content type, empty body…: the client's to fix.
    return unreadableBodyError(error.message, error);
  }
  return toPrescientError(error);
}

/**
 * Errors the router meets before any route or hook runs (a malformed URL, a
 * path parameter past routerOptions.maxParamLength): fastify's
 * `frameworkErrors` option, so they leave in the one body shape too.
 */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const prescient =
    error.code === 'FST_ERR_BAD_URL'
      ? new PrescientError('PRESCIENT_ERR_VALIDATION', 'the URL is malformed (bad percent-encoding)', { cause: error, issues: [{ path: 'url', message: 'not a valid URL' }] })
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new PrescientError('PRESCIENT_ERR_VALIDATION', 'a path parameter is too long', { cause: error, issues: [{ path: 'params', message: 'at most 200 characters' }] })
        : fromFastify(error);
  void reply.status(prescient.httpStatus).send(errorBody(prescient));
}

/**
 * 503s a retry cures (no forecast before the first fit, a full queue,
 * draining) are the service working as documented: one info line, no stack.
 * Prometheus's failures (502) are warnings without stack. Only
 * the rest — bugs, failed writes — is an error with its stack (issue 11, item 8).
 */
function logFailure(request: FastifyRequest, error: PrescientError, raw: unknown): void {
  if (error.httpStatus < 500) return;
  const line = { code: error.code, method: request.method, url: request.url.split('?')[0] };
  if (error.retryable && error.httpStatus === 503) request.log.info(line, error.message);
  else if (error.httpStatus === 502) request.log.warn(line, error.message);
  else request.log.error({ err: raw }, 'request failed');
}

/** Every error leaves as `{error: {code, message, retryable, issues}}` with the catalogue's status. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const error = raw instanceof PrescientError ? raw : fromFastify(raw);
    logFailure(request, error, raw);
    void reply.status(error.httpStatus).send(errorBody(error));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new PrescientError('PRESCIENT_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`);
    void reply.status(404).send(errorBody(error));
  });
}

/**
 * Once the app closes (SIGTERM), the listener stops accepting connections,
 * but a kept-alive connection can still carry a new request: it gets
 * 503 PRESCIENT_ERR_SHUTTING_DOWN with `Connection: close`, so the client
 * reconnects to another replica, while requests already running finish.
 * Registered before every route's own hooks (the token check included).
 */
export function refuseWhileDraining(app: FastifyInstance): void {
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  // A response finished while draining closes its connection: an idle kept-alive socket would hold the close until the grace ran out.
  app.addHook('onSend', async (_request, reply) => {
    if (draining) void reply.header('connection', 'close');
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!draining) return;
    void reply.header('connection', 'close');
    throw new PrescientError('PRESCIENT_ERR_SHUTTING_DOWN', 'the service is shutting down; retry on a new connection');
  });
}
