/**
 * The one catalogue of Prescient's errors. Every error that crosses a module
 * edge is a PrescientError with a stable code from this table; codes are never
 * reused or renamed. `docs/errors.md` lists the same codes (a test keeps them
 * in step).
 */

/** gRPC status codes used here (numeric values from the gRPC spec). */
export const GrpcStatus = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

interface ErrorSpec {
  /** HTTP status when the error reaches a REST client. */
  readonly httpStatus: number;
  /** gRPC status when the error reaches a KEDA client. */
  readonly grpcStatus: number;
  /** Whether the same call may succeed later without the caller changing anything. */
  readonly retryable: boolean;
  /** One line for people: what went wrong, in general. */
  readonly summary: string;
}

export const errorCatalogue = {
  PRESCIENT_ERR_VALIDATION: {
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    summary: 'A request field is missing or invalid.',
  },
  PRESCIENT_ERR_CONFIG: {
    httpStatus: 500,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    summary: 'The configuration file or environment is invalid.',
  },
  PRESCIENT_ERR_NOT_FOUND: {
    httpStatus: 404,
    grpcStatus: GrpcStatus.NOT_FOUND,
    retryable: false,
    summary: 'No such route.',
  },
  PRESCIENT_ERR_TARGET_NOT_FOUND: {
    httpStatus: 404,
    grpcStatus: GrpcStatus.NOT_FOUND,
    retryable: false,
    summary: 'No target with that name is configured.',
  },
  PRESCIENT_ERR_FORECAST_UNAVAILABLE: {
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    retryable: true,
    summary: 'The target has no forecast yet, or its last one is too old to trust.',
  },
  PRESCIENT_ERR_HORIZON_TOO_LONG: {
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    summary: 'The requested horizon is longer than the limit or than the fitted forecast.',
  },
  PRESCIENT_ERR_LEVEL_UNAVAILABLE: {
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    summary: 'The requested interval level is not among the levels the target forecasts.',
  },
  PRESCIENT_ERR_MODEL_UNKNOWN: {
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    summary: 'No model with that name is registered.',
  },
  PRESCIENT_ERR_SERIES_TOO_SHORT: {
    httpStatus: 422,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    summary: 'The series has too few points for the model.',
  },
  PRESCIENT_ERR_SERIES_INVALID: {
    httpStatus: 422,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    summary: 'The series cannot be put on a regular grid (no finite values, or too many gaps).',
  },
  PRESCIENT_ERR_FIT_FAILED: {
    httpStatus: 422,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    summary: 'The model could not be fitted to this series.',
  },
  PRESCIENT_ERR_MODEL_OUTPUT_INVALID: {
    httpStatus: 422,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    summary: 'The model produced a non-finite or malformed forecast, which was rejected.',
  },
  PRESCIENT_ERR_MODEL_OUTPUT_IMPLAUSIBLE: {
    httpStatus: 422,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    summary: "The model's point forecast left three times the history's range; the next model of the ladder serves instead.",
  },
  PRESCIENT_ERR_FIT_TIMEOUT: {
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    retryable: true,
    summary: 'Fitting took longer than its time limit and was cancelled.',
  },
  PRESCIENT_ERR_POOL_FULL: {
    httpStatus: 503,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
    retryable: true,
    summary: 'The fitting queue is full; try again shortly.',
  },
  PRESCIENT_ERR_PROMETHEUS_UNREACHABLE: {
    httpStatus: 502,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    retryable: true,
    summary: 'Prometheus did not answer, or answered with a server error, after retries.',
  },
  PRESCIENT_ERR_PROMETHEUS_QUERY: {
    httpStatus: 502,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    summary: 'Prometheus rejected the query (bad PromQL, or too many points).',
  },
  PRESCIENT_ERR_PROMETHEUS_MULTIPLE_SERIES: {
    httpStatus: 502,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    summary: 'The query returned several series and the target does not say how to aggregate them.',
  },
  PRESCIENT_ERR_PROMETHEUS_NO_DATA: {
    httpStatus: 502,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    retryable: true,
    summary: 'The query returned no samples in the history window.',
  },
  PRESCIENT_ERR_SOURCE_FILE: {
    httpStatus: 500,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    summary: 'A file source could not be read or parsed.',
  },
  PRESCIENT_ERR_UNAUTHORIZED: {
    httpStatus: 401,
    grpcStatus: GrpcStatus.UNAUTHENTICATED,
    retryable: false,
    summary: 'The request needs a valid token.',
  },
  PRESCIENT_ERR_BODY_TOO_LARGE: {
    httpStatus: 413,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    summary: 'The request body is larger than the limit.',
  },
  PRESCIENT_ERR_PERSISTENCE: {
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
    retryable: true,
    summary: 'A persisted file could not be read or written.',
  },
  PRESCIENT_ERR_SCALING_NOT_CONFIGURED: {
    httpStatus: 409,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    summary: 'The target has no scaling section, so it has no replica recommendation.',
  },
  PRESCIENT_ERR_RATE_LIMITED: {
    httpStatus: 429,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
    retryable: true,
    summary: 'Too many requests that fit or backtest from this client; retry after the Retry-After header.',
  },
  PRESCIENT_ERR_BODY_TOO_COMPLEX: {
    httpStatus: 413,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    summary: 'The JSON body nests too deep or holds too many values.',
  },
  PRESCIENT_ERR_BODY_VALUE_TOO_LONG: {
    httpStatus: 413,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    summary: 'A string or number in the JSON body is longer than the limit.',
  },
  PRESCIENT_ERR_UNSUPPORTED_MEDIA_TYPE: {
    httpStatus: 415,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    summary: 'The request body is not JSON.',
  },
  PRESCIENT_ERR_PROMETHEUS_CIRCUIT_OPEN: {
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    retryable: true,
    summary: 'Prometheus failed repeatedly, so its circuit breaker is open and queries fail fast until a probe succeeds.',
  },
  PRESCIENT_ERR_WEBHOOK_VERSION: {
    httpStatus: 400,
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    summary: 'The Alertmanager webhook payload has a version other than 4.',
  },
  PRESCIENT_ERR_EVENT_NO_TARGET: {
    httpStatus: 422,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    summary: "The event's target or selector matches no configured target.",
  },
  PRESCIENT_ERR_SHADOW_NOT_CONFIGURED: {
    httpStatus: 409,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    summary: 'The target does not run in shadow mode (scaling.mode: shadow), so it has no shadow report.',
  },
  PRESCIENT_ERR_PORT_IN_USE: {
    httpStatus: 500,
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    summary: 'The HTTP or gRPC port is already taken by another process, so the service cannot start.',
  },
  PRESCIENT_ERR_SHUTTING_DOWN: {
    httpStatus: 503,
    grpcStatus: GrpcStatus.UNAVAILABLE,
    retryable: true,
    summary: 'The service is draining after SIGTERM: requests already running finish, new ones go to another replica.',
  },
  PRESCIENT_ERR_INTERNAL: {
    httpStatus: 500,
    grpcStatus: GrpcStatus.INTERNAL,
    retryable: true,
    summary: 'An unexpected internal error.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalogue;

/** One problem with one field: `path` is dotted (`targets.0.source.query`). */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export interface PrescientErrorOptions {
  readonly cause?: unknown;
  /** Field-level problems, for validation errors. */
  readonly issues?: readonly FieldIssue[];
}

export class PrescientError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly grpcStatus: number;
  readonly retryable: boolean;
  readonly issues: readonly FieldIssue[];

  constructor(code: ErrorCode, message: string, options: PrescientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const spec: ErrorSpec = errorCatalogue[code];
    this.name = 'PrescientError';
    this.code = code;
    this.httpStatus = spec.httpStatus;
    this.grpcStatus = spec.grpcStatus;
    this.retryable = spec.retryable;
    this.issues = options.issues ?? [];
  }

  /** A plain object that survives structured clone (worker threads) and JSON. */
  toJSON(): SerializedError {
    return { code: this.code, message: this.message, issues: [...this.issues] };
  }
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  issues: FieldIssue[];
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
}

/**
 * Turns anything thrown into a PrescientError. Errors that crossed a worker
 * boundary arrive as plain objects or Errors with a `code` property; those
 * keep their code. Anything else becomes PRESCIENT_ERR_INTERNAL with the
 * original as `cause` (never shown to clients).
 */
export function toPrescientError(err: unknown): PrescientError {
  if (err instanceof PrescientError) return err;
  if (typeof err === 'object' && err !== null) {
    const { code, message, issues } = err as Partial<SerializedError>;
    if (isErrorCode(code)) {
      return new PrescientError(code, typeof message === 'string' ? message : code, {
        cause: err,
        issues: Array.isArray(issues) ? issues : [],
      });
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return new PrescientError('PRESCIENT_ERR_INTERNAL', message, { cause: err });
}
