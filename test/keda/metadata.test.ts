import { describe, expect, it } from 'vitest';
import { PrescientError } from '../../src/errors.js';
import { metricNameOf, parseScalerMetadata } from '../../src/keda/metadata.js';

function errorOf(metadata: Record<string, string>): PrescientError {
  try {
    parseScalerMetadata(metadata);
  } catch (err) {
    if (err instanceof PrescientError) return err;
    throw err;
  }
  throw new Error('expected a PrescientError');
}

describe('parseScalerMetadata', () => {
  it('reads every key and defaults mode and activationThreshold', () => {
    expect(parseScalerMetadata({ target: 'web' })).toEqual({ target: 'web', mode: 'replicas', activationThreshold: 0 });
    expect(parseScalerMetadata({ target: 'web', mode: 'load', quantile: '0.975', leadTime: '2m', activationThreshold: '3.5' })).toEqual({
      target: 'web',
      mode: 'load',
      quantile: 0.975,
      leadTimeSeconds: 120,
      activationThreshold: 3.5,
    });
    expect(parseScalerMetadata({ target: 'web', leadTime: '90' }).leadTimeSeconds).toBe(90);
  });

  it("ignores KEDA's own connection keys and reads <key>FromEnv as <key>", () => {
    expect(parseScalerMetadata({ scalerAddress: 'prescient:9090', unsafeSsl: 'false', targetFromEnv: 'web' }).target).toBe('web');
  });

  it('rejects unknown keys with PRESCIENT_ERR_VALIDATION naming the key', () => {
    const err = errorOf({ target: 'web', qunatile: '0.9' });
    expect(err.code).toBe('PRESCIENT_ERR_VALIDATION');
    expect(err.grpcStatus).toBe(3);
    expect(err.message).toContain('scalerMetadata.qunatile');
    expect(err.issues.map((i) => i.path)).toEqual(['scalerMetadata.qunatile']);
  });

  it('rejects bad values naming each key', () => {
    expect(errorOf({}).message).toContain('scalerMetadata.target: required');
    expect(errorOf({ target: 'web', mode: 'cpu' }).issues.map((i) => i.path)).toEqual(['scalerMetadata.mode']);
    expect(errorOf({ target: 'web', quantile: '0.3' }).issues.map((i) => i.path)).toEqual(['scalerMetadata.quantile']);
    expect(errorOf({ target: 'web', quantile: 'high' }).issues.map((i) => i.path)).toEqual(['scalerMetadata.quantile']);
    expect(errorOf({ target: 'web', leadTime: '-5m' }).issues.map((i) => i.path)).toEqual(['scalerMetadata.leadTime']);
    expect(errorOf({ target: 'web', leadTime: '1h30m' }).issues.map((i) => i.path)).toEqual(['scalerMetadata.leadTime']);
    expect(errorOf({ target: 'web', activationThreshold: '-1' }).issues.map((i) => i.path)).toEqual(['scalerMetadata.activationThreshold']);
    expect(errorOf({ target: 'web', activationThreshold: 'NaN' }).issues.map((i) => i.path)).toEqual(['scalerMetadata.activationThreshold']);
  });

  it('names metrics prescient-<target>-<mode>', () => {
    expect(metricNameOf('web', 'replicas')).toBe('prescient-web-replicas');
    expect(metricNameOf('web', 'load')).toBe('prescient-web-load');
  });

  it("ignores every key KEDA reads for itself (connection and TLS), whatever its value", () => {
    const own = ['scalerAddress', 'caCert', 'tlsCertFile', 'tlsClientCert', 'tlsClientKey', 'enableTLS', 'unsafeSsl'];
    for (const key of own) expect(parseScalerMetadata({ target: 'web', [key]: 'anything' }), key).toEqual({ target: 'web', mode: 'replicas', activationThreshold: 0 });
  });

  it('reads every key from <key>FromEnv, and a plain key named like the suffix is still unknown', () => {
    expect(
      parseScalerMetadata({ targetFromEnv: 'web', modeFromEnv: 'load', quantileFromEnv: '0.9', leadTimeFromEnv: '30s', activationThresholdFromEnv: '2' }),
    ).toEqual({ target: 'web', mode: 'load', quantile: 0.9, leadTimeSeconds: 30, activationThreshold: 2 });
    expect(errorOf({ target: 'web', FromEnvx: '1' }).issues.map((i) => i.path)).toEqual(['scalerMetadata.FromEnvx']);
  });

  it('reads numbers as KEDA writes them: blanks around, a sign, a leading dot, an exponent', () => {
    const threshold = (text: string) => parseScalerMetadata({ target: 'web', activationThreshold: text }).activationThreshold;
    expect(threshold(' 2.5 ')).toBe(2.5);
    expect(threshold('+3')).toBe(3);
    expect(threshold('.5')).toBe(0.5);
    expect(threshold('4.')).toBe(4);
    expect(threshold('1e2')).toBe(100);
    expect(threshold('1.5E-1')).toBe(0.15);
    expect(parseScalerMetadata({ target: 'web', quantile: '9.75e-1' }).quantile).toBe(0.975);
    expect(threshold('0')).toBe(0);
    // Several digits in each part: before the dot, after a leading dot, in the exponent.
    expect(threshold('12.5')).toBe(12.5);
    expect(threshold('.25')).toBe(0.25);
    expect(threshold('1e10')).toBe(1e10);
  });

  it('refuses what is not a whole number: words, hex, Infinity, trailing text, a bare sign or dot', () => {
    for (const text of ['', 'ten', '0x10', 'Infinity', '5 replicas', '1e', '+', '.', '1.2.3', '--1', '5,5']) {
      const err = errorOf({ target: 'web', activationThreshold: text });
      expect(err.issues, JSON.stringify(text)).toEqual([{ path: 'scalerMetadata.activationThreshold', message: 'expected a number' }]);
    }
  });

  it('says what each bad value should be', () => {
    expect(errorOf({ target: 'web', quantile: '0.5' }).issues).toEqual([{ path: 'scalerMetadata.quantile', message: 'expected a quantile in (0.5, 1)' }]);
    expect(errorOf({ target: 'web', quantile: '1' }).issues).toEqual([{ path: 'scalerMetadata.quantile', message: 'expected a quantile in (0.5, 1)' }]);
    expect(errorOf({ target: 'web', mode: 'cpu' }).issues).toEqual([{ path: 'scalerMetadata.mode', message: 'expected "replicas" or "load"' }]);
    expect(errorOf({ target: 'web', activationThreshold: '-0.1' }).issues).toEqual([{ path: 'scalerMetadata.activationThreshold', message: 'expected a number ≥ 0' }]);
    expect(errorOf({ target: 'web', leadTime: '0' }).issues).toEqual([
      { path: 'scalerMetadata.leadTime', message: 'expected a positive duration such as "5m", "90s" or a number of seconds' },
    ]);
    expect(errorOf({ target: '  ' }).issues).toEqual([{ path: 'scalerMetadata.target', message: 'expected a configured target name' }]);
    expect(errorOf({}).issues).toEqual([{ path: 'scalerMetadata.target', message: 'required: a configured target name' }]);
    expect(errorOf({ target: 'web', qunatile: '0.9' }).issues).toEqual([
      { path: 'scalerMetadata.qunatile', message: 'unknown key (known: target, mode, quantile, leadTime, activationThreshold)' },
    ]);
  });

  it('lists every problem at once, path by path, in the message too', () => {
    const err = errorOf({ mode: 'cpu', quantile: '2', extra: 'x' });
    expect(err.issues.map((i) => i.path).sort()).toEqual(['scalerMetadata.extra', 'scalerMetadata.mode', 'scalerMetadata.quantile', 'scalerMetadata.target']);
    for (const issue of err.issues) expect(err.message).toContain(`${issue.path}: ${issue.message}`);
    expect(err.message.split('; ')).toHaveLength(4);
  });

  it('leaves out the overrides not given, and keeps each problem\'s own message when the target is missing', () => {
    const parsed = parseScalerMetadata({ target: 'web' });
    expect(parsed).not.toHaveProperty('quantile');
    expect(parsed).not.toHaveProperty('leadTimeSeconds');
    const issues = errorOf({ mode: 'cpu' }).issues;
    expect(issues).toHaveLength(2);
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'scalerMetadata.target', message: 'required: a configured target name' },
        { path: 'scalerMetadata.mode', message: 'expected "replicas" or "load"' },
      ]),
    );
    // A bare number of seconds is the whole value, not its last digits.
    expect(errorOf({ target: 'web', leadTime: '0x10' }).issues.map((i) => i.path)).toEqual(['scalerMetadata.leadTime']);
    expect(parseScalerMetadata({ target: 'web', leadTime: '1.25' }).leadTimeSeconds).toBe(1.25);
  });

  it('reads a lead time as a duration or as seconds, with decimals, and trims a target name', () => {
    expect(parseScalerMetadata({ target: ' web ', leadTime: ' 1.5 ' })).toEqual({ target: 'web', mode: 'replicas', activationThreshold: 0, leadTimeSeconds: 1.5 });
    expect(parseScalerMetadata({ target: 'web', leadTime: '1h' }).leadTimeSeconds).toBe(3600);
    expect(errorOf({ target: 'web', leadTime: '5 minutes' }).issues.map((i) => i.path)).toEqual(['scalerMetadata.leadTime']);
    expect(errorOf({ target: 'web', leadTime: '1.' }).issues.map((i) => i.path)).toEqual(['scalerMetadata.leadTime']);
  });
});
