import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createGunzip } from 'node:zlib';
import { PrescientError, toPrescientError } from '../errors.js';
import type { PrometheusConfig } from '../config/schema.js';
import type { Samples } from '../series/series.js';
import { planQueryChunks, type QueryChunk } from './prometheus-window.js';
import { apiResponseSchema, mergeChunks, readMatrix, toSamples, type Aggregate, type RawSeries } from './prometheus-result.js';

export type { Aggregate } from './prometheus-result.js';

export interface PrometheusClientOptions {
  /** Called once per HTTP attempt (retries included), for latency and error metrics. */
  readonly onRequest?: (durationSeconds: number, outcome: 'success' | 'error') => void;
  /** First retry waits about this long; each further retry doubles it (default 200 ms). */
  readonly backoffBaseMs?: number;
  /** Upper bound of one backoff wait (default 5,000 ms). */
  readonly backoffMaxMs?: number;
  /** Largest (decompressed) response body accepted (default 64 MiB). */
  readonly maxResponseBytes?: number;
  /** Requests of one split window in flight at once (default 4). */
  readonly concurrency?: number;
}

export interface QueryRangeOptions {
  /** Combine several returned series per timestamp; without it several series are an error. */
  readonly aggregate?: Aggregate;
}

export interface PrometheusClient {
  /**
   * Runs a PromQL range query over [startMs, endMs] (ms since the epoch, both
   * aligned to the step: the start up, the end down) at `stepSeconds`, split
   * into requests of at most `maxPointsPerRequest` points. Returns the samples
   * sorted by time, without duplicates; missing evaluation points are absent
   * and NaN/±Inf values are NaN (gaps for the series layer).
   * @throws PrescientError PRESCIENT_ERR_PROMETHEUS_QUERY (rejected query,
   *   4xx, non-matrix result, over-large body), PRESCIENT_ERR_PROMETHEUS_UNREACHABLE
   *   (network errors, timeouts, 5xx or malformed answers after every retry),
   *   PRESCIENT_ERR_PROMETHEUS_MULTIPLE_SERIES, PRESCIENT_ERR_PROMETHEUS_NO_DATA,
   *   PRESCIENT_ERR_VALIDATION (bad window or step).
   */
  queryRange(query: string, startMs: number, endMs: number, stepSeconds: number, options?: QueryRangeOptions): Promise<Samples>;
  /** Closes kept-alive connections. The client must not be used afterwards. */
  close(): void;
}

/** The `data` member of a successful Prometheus API answer. */
interface ApiData {
  readonly resultType: string;
  readonly result: unknown;
}

/** A failed attempt worth retrying: the next one may succeed unchanged. */
class TransientError extends Error {}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Prometheus error bodies are short; more than this of one is not kept for messages. */
const ERROR_TEXT_LIMIT = 500;

/**
 * Builds a query_range client from the parsed `prometheus` configuration.
 * TLS files are read once, here.
 * @throws PrescientError PRESCIENT_ERR_CONFIG when a TLS file cannot be read.
 */
export function createPrometheusClient(config: PrometheusConfig, options: PrometheusClientOptions = {}): PrometheusClient {
  const base = new URL(config.url);
  const isHttps = base.protocol === 'https:';
  const endpoint = new URL(`${base.pathname.replace(/\/+$/, '')}/api/v1/query_range`, base);
  const agent = isHttps ? new https.Agent({ keepAlive: true, ...tlsOptions(config.tls) }) : new http.Agent({ keepAlive: true });
  const authorization = config.bearerToken
    ? `Bearer ${config.bearerToken}`
    : config.basicAuth
      ? `Basic ${Buffer.from(`${config.basicAuth.username}:${config.basicAuth.password}`, 'utf8').toString('base64')}`
      : undefined;
  const timeoutMs = config.timeoutSeconds * 1000;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const backoffBaseMs = options.backoffBaseMs ?? 200;
  const backoffMaxMs = options.backoffMaxMs ?? 5000;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let closed = false;

  /** One HTTP attempt; resolves with the `data` of a successful answer. */
  function attempt(form: string): Promise<ApiData> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(form),
        accept: 'application/json',
        'accept-encoding': 'gzip',
        'user-agent': 'prescient',
      };
      if (authorization) headers['authorization'] = authorization;
      const request = (isHttps ? https : http).request(endpoint, { method: 'POST', agent, headers });
      let settled = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err instanceof TransientError || err instanceof PrescientError ? err : new TransientError(describeNetworkError(err)));
      };
      // Settle first, then tear down: the errors the teardown raises (ECONNRESET, "aborted") are ignored.
      const abort = (reason: Error): void => {
        fail(reason);
        request.destroy();
      };
      const timer = setTimeout(() => abort(new TransientError(`no complete answer within ${config.timeoutSeconds} s`)), timeoutMs);
      request.on('error', fail);
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const body = response.headers['content-encoding'] === 'gzip' ? response.pipe(createGunzip()) : response;
        const parts: Buffer[] = [];
        let bytes = 0;
        body.on('data', (part: Buffer) => {
          bytes += part.length;
          if (status < 300) {
            if (bytes > maxResponseBytes) {
              abort(new PrescientError('PRESCIENT_ERR_PROMETHEUS_QUERY', `answer larger than ${maxResponseBytes} bytes; narrow the query or the window`));
              return;
            }
            parts.push(part);
          } else if (bytes <= ERROR_TEXT_LIMIT * 4) {
            // An error answer is only read for its message.
            parts.push(part);
          }
        });
        body.on('error', fail);
        response.on('error', fail);
        body.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          try {
            resolve(interpret(status, Buffer.concat(parts).toString('utf8')));
          } catch (err) {
            reject(err);
          }
        });
      });
      request.end(form);
    });
  }

  /** Runs one request with retries on transient failures. */
  async function fetchChunk(query: string, chunk: QueryChunk, stepSeconds: number): Promise<RawSeries[]> {
    const form = new URLSearchParams({
      query,
      start: (chunk.startMs / 1000).toString(),
      end: (chunk.endMs / 1000).toString(),
      step: stepSeconds.toString(),
      // Plain seconds: Prometheus reads a float here, but not a fractional "0.5s".
      timeout: config.timeoutSeconds.toString(),
    }).toString();
    let lastError = 'no attempt';
    for (let tries = 0; tries <= config.retries; tries++) {
      if (closed) throw new PrescientError('PRESCIENT_ERR_PROMETHEUS_UNREACHABLE', 'the Prometheus client is closed');
      if (tries > 0) await sleep(backoffMs(tries, backoffBaseMs, backoffMaxMs));
      const started = performance.now();
      try {
        const series = readMatrix(await attempt(form));
        options.onRequest?.((performance.now() - started) / 1000, 'success');
        return series;
      } catch (err) {
        options.onRequest?.((performance.now() - started) / 1000, 'error');
        if (!(err instanceof TransientError)) throw toPrescientError(err);
        lastError = err.message;
      }
    }
    throw new PrescientError(
      'PRESCIENT_ERR_PROMETHEUS_UNREACHABLE',
      `Prometheus at ${base.origin} failed ${config.retries + 1} time(s); last: ${lastError}`,
    );
  }

  return {
    async queryRange(query, startMs, endMs, stepSeconds, queryOptions = {}) {
      const chunks = planQueryChunks(startMs, endMs, stepSeconds, config.maxPointsPerRequest);
      if (chunks.length === 0) {
        throw new PrescientError('PRESCIENT_ERR_VALIDATION', `query window ${startMs}..${endMs} holds no step of ${stepSeconds} s`);
      }
      const results = new Array<RawSeries[]>(chunks.length);
      let next = 0;
      let failed = false;
      // A few requests in flight: long windows arrive faster without flooding Prometheus.
      const workers = Array.from({ length: Math.min(concurrency, chunks.length) }, async () => {
        while (next < chunks.length && !failed) {
          const index = next++;
          try {
            results[index] = await fetchChunk(query, chunks[index] as QueryChunk, stepSeconds);
          } catch (err) {
            failed = true;
            throw err;
          }
        }
      });
      await Promise.all(workers);
      return toSamples(query, mergeChunks(results), queryOptions.aggregate);
    },
    close() {
      closed = true;
      agent.destroy();
    },
  };
}

/**
 * Maps an HTTP answer to data, a non-retryable PrescientError, or a
 * TransientError (5xx, and bodies that are not a Prometheus answer at all,
 * such as a proxy's error page, which may pass).
 */
function interpret(status: number, text: string): ApiData {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = apiResponseSchema.safeParse(json);
  if (status >= 500) {
    const reason = parsed.success && parsed.data.status === 'error' ? parsed.data.error : excerpt(text);
    throw new TransientError(`HTTP ${status}: ${reason ?? ''}`);
  }
  if (parsed.success && parsed.data.status === 'error') {
    throw new PrescientError(
      'PRESCIENT_ERR_PROMETHEUS_QUERY',
      `Prometheus rejected the query (${parsed.data.errorType ?? `HTTP ${status}`}): ${parsed.data.error ?? 'no message'}`,
    );
  }
  if (status >= 300) {
    throw new PrescientError('PRESCIENT_ERR_PROMETHEUS_QUERY', `Prometheus answered HTTP ${status}: ${excerpt(text)}`);
  }
  if (!parsed.success) {
    throw new TransientError(`answer is not a Prometheus API response: ${excerpt(text)}`);
  }
  if (parsed.data.status !== 'success') throw new TransientError('answer has neither data nor error');
  return parsed.data.data;
}

function tlsOptions(tls: PrometheusConfig['tls']): https.AgentOptions {
  if (!tls) return {};
  const read = (path: string | undefined, what: string): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (cause) {
      throw new PrescientError('PRESCIENT_ERR_CONFIG', `prometheus.tls.${what}: cannot read ${path}: ${(cause as Error).message}`, { cause });
    }
  };
  const result: https.AgentOptions = { rejectUnauthorized: !tls.insecureSkipVerify };
  const ca = read(tls.caFile, 'caFile');
  const cert = read(tls.certFile, 'certFile');
  const key = read(tls.keyFile, 'keyFile');
  if (ca) result.ca = ca;
  if (cert) result.cert = cert;
  if (key) result.key = key;
  return result;
}

/**
 * Wait before retry number `retry` (1, 2, …), in ms: exponential backoff with
 * jitter, uniform in [0.5, 1] × min(max, base × 2^(retry-1)), so clients
 * that failed together do not retry together.
 */
export function backoffMs(retry: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (retry - 1));
  return ceiling * (0.5 + Math.random() * 0.5);
}

function describeNetworkError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > ERROR_TEXT_LIMIT ? `${flat.slice(0, ERROR_TEXT_LIMIT)}…` : flat || '(empty body)';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
