import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'prescient-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(text: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('${VAR} in the configuration file', () => {
  it('is replaced by the environment variable', () => {
    const config = loadConfig(file('prometheus:\n  url: http://prom:9090\n  bearerToken: ${PROM_TOKEN}\n'), { PROM_TOKEN: 's3cret-token' });
    expect(config.prometheus?.bearerToken).toBe('s3cret-token');
  });

  it('fails with PRESCIENT_ERR_CONFIG naming every variable that is not set', () => {
    const path = file('prometheus:\n  url: ${PROM_URL}\n  bearerToken: ${PROM_TOKEN}\n');
    expect(() => loadConfig(path, {})).toThrow(expect.objectContaining({ code: 'PRESCIENT_ERR_CONFIG', message: expect.stringMatching(/\$\{PROM_URL\}, \$\{PROM_TOKEN\}.*not set/) }));
  });

  it('keeps $${X} as a literal ${X}', () => {
    const config = loadConfig(file('prometheus:\n  url: http://prom:9090\n  bearerToken: "a$${B}c-literal-token"\n'), {});
    expect(config.prometheus?.bearerToken).toBe('a${B}c-literal-token');
  });
});
