import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { PrescientError } from '../errors.js';

/**
 * A fastify preHandler that requires `Authorization: Bearer <token>` (or the
 * KEDA metrics-api style `X-Api-Key: <token>`). With no token configured the
 * route is open: the default binds to loopback only.
 * @throws PrescientError PRESCIENT_ERR_UNAUTHORIZED
 */
export function requireToken(token: string | undefined): (request: FastifyRequest) => Promise<void> {
  const expected = token === undefined ? undefined : Buffer.from(token);
  return async (request) => {
    if (!expected) return;
    const header = request.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice(7) : request.headers['x-api-key'];
    const buffer = Buffer.from(typeof given === 'string' ? given : '');
    if (buffer.length !== expected.length || !timingSafeEqual(buffer, expected)) {
      throw new PrescientError('PRESCIENT_ERR_UNAUTHORIZED', 'missing or wrong token (Authorization: Bearer … or X-Api-Key)');
    }
  };
}
