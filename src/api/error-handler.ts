import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
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
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = CONTEXT_NAMES[error.validationContext ?? 'body'] ?? 'body';
    const issues: FieldIssue[] = error.validation.map((v) => ({
      path: [context, ...v.instancePath.split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'invalid',
    }));
    return new PrescientError('PRESCIENT_ERR_VALIDATION', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  }
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
    return new PrescientError('PRESCIENT_ERR_VALIDATION', error.message, { cause: error, issues: [{ path: 'body', message: error.message }] });
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

/** Every error leaves as `{error: {code, message, retryable, issues}}` with the catalogue's status. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const error = raw instanceof PrescientError ? raw : fromFastify(raw);
    if (error.httpStatus >= 500) request.log.error({ err: raw }, 'request failed');
    void reply.status(error.httpStatus).send(errorBody(error));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new PrescientError('PRESCIENT_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`);
    void reply.status(404).send(errorBody(error));
  });
}
