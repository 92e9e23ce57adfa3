/**
 * The bare servers parse-cost.ts measures beside the app (issue 11, item 3):
 * what Node and fastify alone cost the event loop to receive the same body,
 * with nothing of Prescient's in the way. Each answers every POST with a
 * small fixed JSON once the whole body has arrived, and keeps nothing of it.
 * - `node:http`: a bare `http.createServer` that reads the request's
 *   stream to its end and discards each chunk.
 * - `fastify`: a bare fastify app whose only route takes `application/json`
 *   through a content-type parser that reads the stream to its end and
 *   discards each chunk (no JSON.parse, no schema, no hooks).
 */
import Fastify from 'fastify';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BareServer {
  readonly base: string;
  readonly close: () => Promise<void>;
}

const ANSWER = '{"ok":true}';

export async function startBareHttp(): Promise<BareServer> {
  const server: Server = createServer((request, response) => {
    request.on('data', () => {});
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
      response.end(ANSWER);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export async function startBareFastify(bodyLimitBytes: number): Promise<BareServer> {
  const app = Fastify({ logger: false, bodyLimit: bodyLimitBytes });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', (_request, payload, done) => {
    payload.on('data', () => {});
    payload.on('end', () => done(null, null));
  });
  app.post('/api/v1/forecast', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, close: () => app.close() };
}
