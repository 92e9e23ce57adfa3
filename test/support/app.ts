import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';

export const DATA_DIR = fileURLToPath(new URL('../../data', import.meta.url));

export interface TestApp {
  readonly app: FastifyInstance;
  readonly modelsDir: string;
  close(): Promise<void>;
}

/** A file target on a real sample series, with fast models unless told otherwise. */
export function fileTarget(name: string, file: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    source: { type: 'file', path: join(DATA_DIR, file) },
    history: '14d',
    horizon: '1d',
    models: ['mstl'],
    seasonalPeriods: ['1d'],
    ...extra,
  };
}

/**
 * Builds the real app on a raw configuration object, with a private models
 * directory and no logging. The engine does not start by itself unless
 * asked: tests drive refreshes with `app.prescient.engine.refresh(name)`.
 */
export async function buildTestApp(
  raw: Record<string, unknown>,
  options: { startEngine?: boolean; modelsDir?: string; now?: () => number } = {},
): Promise<TestApp> {
  const modelsDir = options.modelsDir ?? mkdtempSync(join(tmpdir(), 'prescient-models-'));
  const config = parseConfig({ pool: { threads: 1, fitTimeout: '60s' }, ...raw, modelsDir });
  const app = await buildApp({ config, logger: false, startEngine: options.startEngine ?? false, ...(options.now ? { now: options.now } : {}) });
  await app.ready();
  return {
    app,
    modelsDir,
    async close() {
      await app.close();
      if (!options.modelsDir) rmSync(modelsDir, { recursive: true, force: true });
    },
  };
}

/**
 * For a test file that builds apps and temporary folders in its tests:
 * registers an afterEach that closes every app `start` built and removes
 * every `tempDir` made during the test. Call it at the top of the file.
 */
export function useTestApps(): { start: typeof buildTestApp; tempDir(): string } {
  const open: TestApp[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    async start(raw, options = {}) {
      const t = await buildTestApp(raw, options);
      open.push(t);
      return t;
    },
    tempDir() {
      const dir = mkdtempSync(join(tmpdir(), 'prescient-test-'));
      dirs.push(dir);
      return dir;
    },
  };
}
