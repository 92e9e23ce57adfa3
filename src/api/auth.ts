import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { PrescientError } from '../errors.js';

/**
 * A fastify `onRequest` hook that requires `Authorization: Bearer <token>`
 * (or the KEDA metrics-api style `X-Api-Key: <token>`). It runs before the
 * body is parsed or validated, so an unauthenticated client learns nothing
 * of the schema and costs no parsing. With no token configured the route is
 * open: the default binds to loopback only.
 * @throws PrescientError PRESCIENT_ERR_UNAUTHORIZED
 */
export function requireToken(token: string | undefined): (request: FastifyRequest) => Promise<void> {
  const expected = token === undefined ? undefined : Buffer.from(token);
  return async (request) => {
    if (!expected) return;
    // `Bearer` in any case (RFC 9110 §11.1: the scheme is case-insensitive), then the token. A literal
    // here, not a module constant, so that mutation testing can change it (Stryker's vitest runner cannot
    // activate a mutant of code that runs at import).
    const bearer = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '')?.[1];
    const given = bearer ?? request.headers['x-api-key'];
    const buffer = Buffer.from(typeof given === 'string' ? given : '');
    if (buffer.length !== expected.length || !timingSafeEqual(buffer, expected)) {
      throw new PrescientError('PRESCIENT_ERR_UNAUTHORIZED', 'missing or wrong token (Authorization: Bearer … or X-Api-Key)');
    }
  };
}
