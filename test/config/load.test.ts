import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configPath, embeddedDefault, loadConfig, parseConfig } from '../../src/config/load.js';
import { PrescientError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'prescient-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configError(input: unknown): PrescientError {
  try {
    parseConfig(input);
  } catch (err) {
    if (err instanceof PrescientError) return err;
    throw err;
  }
  throw new Error('expected a configuration error');
}

describe('configuration', () => {
  it('accepts the embedded default and fills every default', () => {
    const config = parseConfig(embeddedDefault());
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8080, grpcPort: 9090 });
    expect(config.targets.length).toBeGreaterThanOrEqual(3);
    const target = config.targets[0];
    expect(target).toMatchObject({ historySeconds: 14 * 86_400, horizonSeconds: 86_400, refreshIntervalSeconds: 900, levels: [0.8, 0.95] });
    expect(target?.scaling).toMatchObject({ quantile: 0.9, leadTimeSeconds: 300 });
  });

  it('parses durations to seconds', () => {
    const config = parseConfig({
      prometheus: { url: 'http://127.0.0.1:9090', timeout: '30s' },
      targets: [{ name: 'api', source: { type: 'prometheus', query: 'sum(rate(x[5m]))', step: '1m' }, history: '2w', horizon: '90m', seasonalPeriods: ['1d', '1w'] }],
    });
    expect(config.prometheus?.timeoutSeconds).toBe(30);
    expect(config.targets[0]).toMatchObject({ historySeconds: 14 * 86_400, horizonSeconds: 5400, seasonalPeriodsSeconds: [86_400, 604_800] });
    expect(config.targets[0]?.source).toMatchObject({ stepSeconds: 60 });
  });

  it('is frozen after parsing', () => {
    const config = parseConfig(embeddedDefault());
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.targets[0])).toBe(true);
  });

  it('lists every problem by path in one PRESCIENT_ERR_CONFIG', () => {
    const error = configError({
      server: { port: 70_000 },
      targets: [
        { name: 'Bad Name', source: { type: 'prometheus', query: '', step: 'often' }, levels: [1.5] },
        { name: 'ok', source: { type: 'ftp' } },
        { name: 'scaled', source: { type: 'file', path: 'x.csv' }, scaling: { capacityPerReplica: 0, minReplicas: 5, maxReplicas: 2 } },
      ],
    });
    expect(error.code).toBe('PRESCIENT_ERR_CONFIG');
    const paths = error.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'server.port',
        'targets.0.name',
        'targets.0.source.query',
        'targets.0.source.step',
        'targets.0.levels.0',
        'targets.1.source.type',
        'targets.2.scaling.capacityPerReplica',
      ]),
    );
    expect(error.message).toContain('targets.0.source.step');
  });

  it('rejects a Prometheus target without the prometheus section, and duplicate names', () => {
    const error = configError({
      targets: [
        { name: 'a', source: { type: 'prometheus', query: 'up', step: '1m' } },
        { name: 'a', source: { type: 'file', path: 'x.csv' } },
      ],
    });
    expect(error.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'targets.0.source' }),
        expect.objectContaining({ path: 'targets.1.name', message: 'duplicate target name "a"' }),
      ]),
    );
  });

  it('rejects negative replicas, a non-positive lead time and unknown keys', () => {
    const error = configError({
      targets: [{ name: 'a', source: { type: 'file', path: 'x.csv' }, scaling: { capacityPerReplica: -3, minReplicas: -1, leadTime: '0s', surprise: 1 } }],
    });
    expect(error.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['targets.0.scaling.capacityPerReplica', 'targets.0.scaling.minReplicas', 'targets.0.scaling.leadTime', 'targets.0.scaling']),
    );
  });

  it('takes bounds per target ({lower: null} removes the default), and rejects an upper not above lower', () => {
    const config = parseConfig({
      targets: [
        { name: 'cpu', source: { type: 'file', path: 'x.csv' }, bounds: { lower: 0, upper: 100 } },
        { name: 'delta', source: { type: 'file', path: 'y.csv' }, bounds: { lower: null } },
        { name: 'plain', source: { type: 'file', path: 'z.csv' } },
      ],
    });
    expect(config.targets.map((t) => t.bounds)).toEqual([{ lower: 0, upper: 100 }, { lower: null }, undefined]);
    const error = configError({ targets: [{ name: 'a', source: { type: 'file', path: 'x.csv' }, bounds: { lower: 5, upper: 5, other: 1 } }] });
    expect(error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['targets.0.bounds']));
    expect(configError({ targets: [{ name: 'a', source: { type: 'file', path: 'x.csv' }, bounds: { lower: 5, upper: 4 } }] }).issues.map((i) => i.path)).toEqual([
      'targets.0.bounds.upper',
    ]);
  });

  it('reads YAML, resolves file paths against the file, and lets the environment override the server', () => {
    const path = join(dir, 'prescient.yaml');
    writeFileSync(path, 'server:\n  port: 9000\ntargets:\n  - name: local\n    source: { type: file, path: series.csv }\n');
    const config = loadConfig(path, { PORT: '9100', HOST: '0.0.0.0', PRESCIENT_AUTH_TOKEN: 'a-token-of-sixteen-chars', PRESCIENT_MODELS_DIR: 'state' });
    expect(config.server).toMatchObject({ port: 9100, host: '0.0.0.0' });
    expect(config.targets[0]?.source).toMatchObject({ path: join(dir, 'series.csv') });
    expect(config.modelsDir).toBe(join(dir, 'state'));
    expect(loadConfig(path, {}).modelsDir).toBe(join(dir, 'models'));
  });

  it('requires an authToken of at least 16 characters', () => {
    const target = { name: 'a', source: { type: 'file', path: 'x.csv' } };
    expect(parseConfig({ server: { authToken: 'a'.repeat(16) }, targets: [target] }).server.authToken).toBe('a'.repeat(16));
    const error = configError({ server: { authToken: 'a'.repeat(15) }, targets: [target] });
    expect(error.code).toBe('PRESCIENT_ERR_CONFIG');
    expect(error.issues.map((i) => i.path)).toEqual(['server.authToken']);
  });

  it('lets PRESCIENT_AUTH_TOKEN override the file, under the same length rule', () => {
    const path = join(dir, 'token.yaml');
    writeFileSync(path, `server:\n  authToken: ${'f'.repeat(20)}\ntargets:\n  - name: local\n    source: { type: file, path: series.csv }\n`);
    expect(loadConfig(path, {}).server.authToken).toBe('f'.repeat(20));
    expect(loadConfig(path, { PRESCIENT_AUTH_TOKEN: 'e'.repeat(24) }).server.authToken).toBe('e'.repeat(24));
    let error: unknown;
    try {
      loadConfig(path, { PRESCIENT_AUTH_TOKEN: 'short' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PrescientError);
    expect((error as PrescientError).code).toBe('PRESCIENT_ERR_CONFIG');
    expect((error as PrescientError).issues.map((i) => i.path)).toEqual(['server.authToken']);
  });

  it('refuses a host beyond loopback without a token unless allowUnauthenticated says so', () => {
    const error = configError({ server: { host: '0.0.0.0' } });
    expect(error.code).toBe('PRESCIENT_ERR_CONFIG');
    expect(error.issues).toEqual([expect.objectContaining({ path: 'server.host', message: expect.stringContaining('PRESCIENT_AUTH_TOKEN') })]);
    expect(configError({ server: { host: '::' } }).issues?.[0]?.path).toBe('server.host');
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(parseConfig({ server: { host } }).server.host).toBe(host);
    expect(parseConfig({ server: { host: '0.0.0.0', authToken: 'a-token-of-sixteen-chars' } }).server.host).toBe('0.0.0.0');
    expect(parseConfig({ server: { host: '0.0.0.0', allowUnauthenticated: true } }).server.allowUnauthenticated).toBe(true);
    expect(loadConfig(undefined, { HOST: '0.0.0.0', PRESCIENT_ALLOW_UNAUTHENTICATED: '1' }).server.allowUnauthenticated).toBe(true);
    expect(() => loadConfig(undefined, { HOST: '0.0.0.0', PRESCIENT_ALLOW_UNAUTHENTICATED: '0' })).toThrow(/binding beyond loopback needs a token/);
  });

  it('serves the demo only when no file is named or PRESCIENT_DEMO=1 asks for it', () => {
    expect(configPath(undefined, {})).toBeUndefined();
    expect(configPath(undefined, { PRESCIENT_CONFIG: '/config/prescient.yaml' })).toBe('/config/prescient.yaml');
    expect(configPath(undefined, { PRESCIENT_CONFIG: '/config/prescient.yaml', PRESCIENT_DEMO: '1' })).toBeUndefined();
    expect(configPath('mine.yaml', { PRESCIENT_CONFIG: '/config/prescient.yaml', PRESCIENT_DEMO: '1' })).toBe('mine.yaml');
    expect(() => loadConfig(join(dir, 'not-mounted.yaml'), {})).toThrow(/PRESCIENT_DEMO=1/);
  });

  it('reports invalid YAML and a missing file as PRESCIENT_ERR_CONFIG', () => {
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, 'targets: [\n');
    expect(() => loadConfig(path, {})).toThrow(/not valid YAML/);
    expect(() => loadConfig(join(dir, 'absent.yaml'), {})).toThrow(/cannot read configuration file/);
  });

});
