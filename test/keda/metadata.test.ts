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
  });
});
