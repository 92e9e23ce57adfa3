import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { requireToken } from '../../src/api/auth.js';
import { rejectionOf } from '../support/errors.js';

// The hook on its own: only the request's headers matter to it. The routes
// that use it are covered through HTTP in auth-and-limits and scaling-routes.
const TOKEN = 'a-token-of-sixteen-chars';
const check = requireToken(TOKEN);
const requestWith = (headers: Record<string, string | string[]>): FastifyRequest => ({ headers }) as unknown as FastifyRequest;

async function refused(headers: Record<string, string | string[]>): Promise<string> {
  const err = await rejectionOf(check(requestWith(headers)));
  expect(err.code).toBe('PRESCIENT_ERR_UNAUTHORIZED');
  expect(err.httpStatus).toBe(401);
  return err.message;
}

describe('requireToken', () => {
  it('lets every request through when no token is configured', async () => {
    const open = requireToken(undefined);
    await expect(open(requestWith({}))).resolves.toBeUndefined();
    await expect(open(requestWith({ authorization: 'Bearer whatever' }))).resolves.toBeUndefined();
  });

  it('accepts the token after Bearer (any case, spaces or tabs between, blanks after) or in X-Api-Key', async () => {
    for (const authorization of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `Bearer  ${TOKEN}`, `Bearer\t${TOKEN}`, `Bearer ${TOKEN} `, `Bearer ${TOKEN}\t `]) {
      await expect(check(requestWith({ authorization })), JSON.stringify(authorization)).resolves.toBeUndefined();
    }
    await expect(check(requestWith({ 'x-api-key': TOKEN }))).resolves.toBeUndefined();
  });

  it('refuses with 401 PRESCIENT_ERR_UNAUTHORIZED, saying how to send the token, when there is none', async () => {
    const message = await refused({});
    expect(message).toMatch(/Authorization: Bearer/);
    expect(message).toMatch(/X-Api-Key/);
  });

  it('refuses a wrong token of the same length, a prefix of the token and the token with more after it', async () => {
    const sameLength = TOKEN.slice(0, -1) + 'x';
    expect(sameLength).toHaveLength(TOKEN.length);
    await refused({ authorization: `Bearer ${sameLength}` });
    await refused({ 'x-api-key': sameLength });
    await refused({ authorization: `Bearer ${TOKEN.slice(0, -1)}` });
    await refused({ authorization: `Bearer ${TOKEN}x` });
    await refused({ 'x-api-key': `${TOKEN} ` });
  });

  it('refuses a header that only contains "Bearer <token>" inside other text', async () => {
    // Not the Bearer scheme: another scheme's name ending in "bearer", text after the token, no blank after the scheme.
    await refused({ authorization: `xBearer ${TOKEN}` });
    await refused({ authorization: `Bearer ${TOKEN} ${TOKEN}` });
    await refused({ authorization: `Bearer${TOKEN}` });
    await refused({ authorization: `Basic ${TOKEN}` });
    await refused({ authorization: TOKEN });
  });

  it('does not let a right X-Api-Key rescue a wrong Bearer token', async () => {
    await refused({ authorization: 'Bearer wrong-token-sixteen-ch', 'x-api-key': TOKEN });
  });

  it('refuses an X-Api-Key sent twice (an array of values), even if one is right', async () => {
    await refused({ 'x-api-key': [TOKEN, TOKEN] });
  });
});
