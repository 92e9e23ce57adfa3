import type { RateLimitOptions } from '@fastify/rate-limit';
import type { Config } from '../config/schema.js';

/**
 * The per-client limit of a route that fits or backtests (limits.fitRequests),
 * as @fastify/rate-limit route options. Clients are told apart by address;
 * each such route counts on its own.
 */
export function fitRateLimit(config: Readonly<Pick<Config, 'limits'>>): RateLimitOptions {
  const { max, windowSeconds } = config.limits.fitRequests;
  return { max, timeWindow: windowSeconds * 1000 };
}
