/**
 * The worker threads' entries when Prescient runs from TypeScript source
 * (src/engine/*-source.cjs). piscina require()s its worker file before it
 * tries import(), and on Node 20 a require() of an ES module can abort the
 * whole process (a FATAL ERROR in v8::Module::IsGraphAsync, seen once in a CI
 * run with the entries as ES modules with a top-level await). So each entry is
 * CommonJS: required plainly, it loads the TypeScript handler by import().
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const entry = (name: string) => fileURLToPath(new URL(`../../src/engine/${name}`, import.meta.url));

describe('worker entries from source', () => {
  it('are CommonJS: a plain require() gives the thread handler, which answers a task', async () => {
    // The bodies lane's entry loads no model, so it can run here.
    const handler = require(entry('body-worker-source.cjs')) as (task: { kind: 'ready' }) => Promise<unknown>;
    expect(typeof handler).toBe('function');
    await expect(handler({ kind: 'ready' })).resolves.toEqual({ ok: true, ready: true });
  });
});
