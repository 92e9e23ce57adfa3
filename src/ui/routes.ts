/**
 * The built-in page: `GET /` and its static files under `/ui/`. Everything
 * it loads comes from this service — its own files beside this module
 * (copied to dist/ui/static by the build) and uPlot from the installed npm
 * package — so it works with no network, and a Content-Security-Policy of
 * 'self' makes the browser refuse anything else.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));
const PAGE_FILES = ['index.html', 'app.css', 'app.js', 'api.js', 'plots.js', 'panels.js'];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/**
 * Same-origin only; the backtest report (its own route, framed) carries inline
 * styles, which frame-src 'self' allows without loosening this page's rules.
 */
const CSP = "default-src 'self'; img-src 'self' data:; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** Reads every file once at start: a missing one fails the start, not a later request. */
function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of PAGE_FILES) {
    assets.set(name, { body: readFileSync(join(STATIC_DIR, name)), type: TYPES[extname(name)] ?? 'application/octet-stream' });
  }
  const require = createRequire(import.meta.url);
  const uplotDist = join(dirname(require.resolve('uplot/package.json')), 'dist');
  assets.set('uplot.js', { body: readFileSync(join(uplotDist, 'uPlot.iife.min.js')), type: TYPES['.js'] as string });
  assets.set('uplot.css', { body: readFileSync(join(uplotDist, 'uPlot.min.css')), type: TYPES['.css'] as string });
  return assets;
}

export const uiRoutes: FastifyPluginAsync = async (app) => {
  const assets = loadAssets();

  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    const page = assets.get('index.html') as Asset;
    return reply.header('content-security-policy', CSP).header('cache-control', 'no-cache').type(page.type).send(page.body);
  });

  app.get<{ Params: { file: string } }>('/ui/:file', { schema: { hide: true } }, async (request, reply) => {
    const asset = request.params.file === 'index.html' ? undefined : assets.get(request.params.file);
    if (!asset) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').type(asset.type).send(asset.body);
  });
};
