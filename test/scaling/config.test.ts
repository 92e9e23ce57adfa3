import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';

/** Parses a config whose one target has the given scaling section; returns the failing paths. */
function problems(scaling: Record<string, unknown>): string[] {
  const result = configSchema.safeParse({
    targets: [{ name: 'web', source: { type: 'file', path: 'data/web.csv' }, scaling }],
  });
  return result.success ? [] : [...new Set(result.error.issues.map((i) => i.path.join('.')))];
}

describe('scaling configuration', () => {
  it('accepts a minimal scaling section with defaults filled', () => {
    const result = configSchema.parse({ targets: [{ name: 'web', source: { type: 'file', path: 'x.csv' }, scaling: { capacityPerReplica: 50 } }] });
    expect(result.targets[0]?.scaling).toEqual({
      capacityPerReplica: 50,
      quantile: 0.9,
      scaleInGuardQuantile: 0.975,
      utilisation: 1,
      leadTimeSeconds: 300,
      minReplicas: 1,
      maxReplicas: 100,
      scaleIn: { intervalSeconds: 60, stabilizationWindowSeconds: 300 },
      ownHistoryCheck: true,
      mode: 'active',
      knobsStated: false,
    });
  });

  it('tells knobs stated from knobs defaulted: any one of quantile, guard, utilisation stated counts, lead time does not', () => {
    const parse = (scaling: Record<string, unknown>) =>
      configSchema.parse({ targets: [{ name: 'web', source: { type: 'file', path: 'x.csv' }, scaling: { capacityPerReplica: 50, ...scaling } }] }).targets[0]?.scaling;
    expect(parse({ leadTime: '2m' })?.knobsStated).toBe(false);
    // A knob stated at its default value is still stated: the user asked for it.
    expect(parse({ quantile: 0.9 })).toMatchObject({ knobsStated: true, quantile: 0.9, scaleInGuardQuantile: 0.975, utilisation: 1 });
    expect(parse({ scaleInGuardQuantile: 'none' })).toMatchObject({ knobsStated: true, quantile: 0.9, scaleInGuardQuantile: null });
    expect(parse({ utilisation: 0.8 })).toMatchObject({ knobsStated: true, utilisation: 0.8, scaleInGuardQuantile: 0.975 });
  });

  it('reads the knobs: a guard quantile or "none", a utilisation in (0, 1]', () => {
    const parse = (scaling: Record<string, unknown>) =>
      configSchema.parse({ targets: [{ name: 'web', source: { type: 'file', path: 'x.csv' }, scaling: { capacityPerReplica: 50, ...scaling } }] }).targets[0]?.scaling;
    expect(parse({ scaleInGuardQuantile: 'none' })?.scaleInGuardQuantile).toBeNull();
    expect(parse({ scaleInGuardQuantile: 0.95, utilisation: 0.8 })).toMatchObject({ scaleInGuardQuantile: 0.95, utilisation: 0.8 });
    expect(problems({ capacityPerReplica: 1, scaleInGuardQuantile: 0.4 })).toEqual(['targets.0.scaling.scaleInGuardQuantile']);
    expect(problems({ capacityPerReplica: 1, scaleInGuardQuantile: 'off' })).toEqual(['targets.0.scaling.scaleInGuardQuantile']);
    expect(problems({ capacityPerReplica: 1, utilisation: 0 })).toEqual(['targets.0.scaling.utilisation']);
    expect(problems({ capacityPerReplica: 1, utilisation: 1.2 })).toEqual(['targets.0.scaling.utilisation']);
  });

  it('rejects zero or negative capacity per replica at start', () => {
    expect(problems({ capacityPerReplica: 0 })).toEqual(['targets.0.scaling.capacityPerReplica']);
    expect(problems({ capacityPerReplica: -5 })).toEqual(['targets.0.scaling.capacityPerReplica']);
  });

  it('rejects negative or zero durations, negative replica counts and inverted bounds', () => {
    expect(problems({ capacityPerReplica: 10, leadTime: '-5m' })).toEqual(['targets.0.scaling.leadTime']);
    expect(problems({ capacityPerReplica: 10, leadTime: 0 })).toEqual(['targets.0.scaling.leadTime']);
    expect(problems({ capacityPerReplica: 10, minReplicas: -1 })).toEqual(['targets.0.scaling.minReplicas']);
    expect(problems({ capacityPerReplica: 10, maxReplicas: 0 })).toEqual(['targets.0.scaling.maxReplicas']);
    expect(problems({ capacityPerReplica: 10, minReplicas: 5, maxReplicas: 3 })).toEqual(['targets.0.scaling.maxReplicas']);
    expect(problems({ capacityPerReplica: 10, scaleIn: { maxReplicas: 0 } })).toEqual(['targets.0.scaling.scaleIn.maxReplicas']);
    expect(problems({ capacityPerReplica: 10, scaleIn: { maxPercent: -10 } })).toEqual(['targets.0.scaling.scaleIn.maxPercent']);
    expect(problems({ capacityPerReplica: 10, scaleIn: { stabilizationWindow: '-1m' } })).toEqual(['targets.0.scaling.scaleIn.stabilizationWindow']);
  });

  it('rejects a scaling quantile at or below the median, or at 1', () => {
    expect(problems({ capacityPerReplica: 10, quantile: 0.5 })).toEqual(['targets.0.scaling.quantile']);
    expect(problems({ capacityPerReplica: 10, quantile: 1 })).toEqual(['targets.0.scaling.quantile']);
  });

  it('rejects unknown keys in the scaling section', () => {
    expect(problems({ capacityPerReplica: 10, capacity: 3 })).toEqual(['targets.0.scaling']);
  });
});
