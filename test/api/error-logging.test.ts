import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { fileTarget } from '../support/app.js';

/**
 * Expected 503s (a target asked for before its first fit) are the service
 * working as documented: logged at info without a stack, never as errors
 * (issue 11, item 8). A real bug still is an error with its stack.
 */
describe('logging of failed requests', () => {
  const lines: Array<Record<string, unknown>> = [];
  const modelsDir = mkdtempSync(join(tmpdir(), 'prescient-logging-'));
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  let app: Awaited<ReturnType<typeof buildApp>>;

  beforeAll(async () => {
    const config = parseConfig({ targets: [fileTarget('web', 'nab/nyc_taxi.csv', { scaling: { capacityPerReplica: 100 } })], modelsDir });
    // The engine never starts: the target stays without a forecast, as before its first fit.
    app = await buildApp({ config, startEngine: false, logger: { level: 'info', stream } });
    app.get('/boom', { schema: { hide: true } }, async () => {
      throw new TypeError('a bug');
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it('logs a 503 before the first fit once at info, with its code and no stack', async () => {
    lines.length = 0;
    for (const url of ['/api/v1/targets/web/forecast', '/api/v1/targets/web/recommendation']) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(503);
      expect(response.json().error.code).toBe('PRESCIENT_ERR_FORECAST_UNAVAILABLE');
    }
    const about = lines.filter((l) => l.code === 'PRESCIENT_ERR_FORECAST_UNAVAILABLE');
    expect(about).toHaveLength(2);
    expect(about.every((l) => l.level === 30)).toBe(true);
    expect(lines.some((l) => (l.level as number) >= 50)).toBe(false);
    expect(JSON.stringify(lines)).not.toContain('stack');
  });

  it('still logs an unexpected failure as an error with its stack', async () => {
    lines.length = 0;
    const response = await app.inject({ url: '/boom' });
    expect(response.statusCode).toBe(500);
    const errors = lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors[0])).toContain('TypeError: a bug');
    expect((errors[0]?.err as { stack?: string } | undefined)?.stack).toContain('error-logging.test.ts');
  });
});
