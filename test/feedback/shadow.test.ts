import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { PrescientError } from '../../src/errors.js';
import { ShadowRecord } from '../../src/feedback/shadow.js';

const STEP_MS = 300_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const at = (k: number) => T0 + k * STEP_MS;

describe('ShadowRecord', () => {
  it('scores each step against the newest plan made before it and the replicas that ran', () => {
    const record = new ShadowRecord(300);
    expect(record.fetchFromMs()).toBeUndefined();
    // Plan made at step 0: 3 replicas for steps 0–5. A later plan at step 3: 5 replicas from there.
    record.plan({ generatedAtMs: at(0), atMs: [0, 1, 2, 3, 4, 5].map(at), replicas: [3, 3, 3, 3, 3, 3] });
    record.plan({ generatedAtMs: at(3), atMs: [3, 4, 5].map(at), replicas: [5, 5, 5] });
    expect(record.fetchFromMs()).toBe(at(0));
    const load = { startMs: at(0), stepSeconds: 300, values: [250, 350, 250, 450, 450, 250] };
    const ran = { timestampsMs: [0, 1, 2, 3, 4, 5].map(at), values: [3, 3, 4, 4, 4, 4] };
    expect(record.observe(load, ran)).toBe(6);
    expect(record.fetchFromMs()).toBe(at(6));

    const [day, week] = record.report(at(6), 100);
    // Ran: under at steps 1 (350 > 300), 3 and 4 (450 > 400): 15 min. Recommended: under at step 1 only (350 > 300).
    expect(day).toMatchObject({ window: '1d', count: 6, fromMs: at(0), toMs: at(5), underProvisionedMinutes: { ran: 15, recommended: 5 } });
    // Replica-hours: ran 3+3+4+4+4+4 = 22 steps × 5 min; recommended 3+3+3+5+5+5 = 24.
    expect(day?.replicaHours.ran).toBeCloseTo(22 / 12, 10);
    expect(day?.replicaHours.recommended).toBeCloseTo(24 / 12, 10);
    expect(week?.count).toBe(6);
  });

  it('never scores a step twice, nor a step without a plan, a replica count or a finite load', () => {
    const record = new ShadowRecord(300);
    record.plan({ generatedAtMs: at(2), atMs: [2, 3].map(at), replicas: [2, 2] });
    const load = { startMs: at(0), stepSeconds: 300, values: [100, 100, 100, Number.NaN] };
    const ran = { timestampsMs: [0, 1, 2, 3].map(at), values: [1, 1, 1, 1] };
    // Steps 0–1 precede every plan; step 3 has no finite load.
    expect(record.observe(load, ran)).toBe(1);
    expect(record.observe(load, ran)).toBe(0);
    // Missing replicas for a step: not scored.
    record.plan({ generatedAtMs: at(4), atMs: [4, 5].map(at), replicas: [2, 2] });
    expect(record.observe({ startMs: at(4), stepSeconds: 300, values: [100, 100] }, { timestampsMs: [at(5)], values: [2] })).toBe(1);
  });

  it('round-trips through JSON, and drops a record made on another step', () => {
    const record = new ShadowRecord(300);
    record.plan({ generatedAtMs: at(0), atMs: [at(0)], replicas: [2] });
    record.observe({ startMs: at(0), stepSeconds: 300, values: [300] }, { timestampsMs: [at(0)], values: [2] });
    const json = JSON.parse(JSON.stringify(record.toJSON()));
    expect(ShadowRecord.fromJSON(json, 300).report(at(1), 100)).toEqual(record.report(at(1), 100));
    expect(ShadowRecord.fromJSON(json, 60).report(at(1), 100)[0]?.count).toBe(0);
  });
});

describe('shadow mode configuration', () => {
  const target = (scaling: Record<string, unknown>) => ({ name: 'shop', source: { type: 'prometheus', query: 'load', step: '5m' }, scaling: { capacityPerReplica: 100, ...scaling } });
  const issues = (raw: Record<string, unknown>): string[] => {
    try {
      parseConfig(raw);
      return [];
    } catch (err) {
      expect((err as PrescientError).code).toBe('PRESCIENT_ERR_CONFIG');
      return (err as PrescientError).issues.map((i) => `${i.path}: ${i.message}`);
    }
  };

  it('refuses mode: shadow without shadow.replicasQuery, naming the path', () => {
    expect(issues({ prometheus: { url: 'http://p:9090' }, targets: [target({ mode: 'shadow' })] })).toEqual([
      'targets.0.scaling.shadow: mode: shadow needs shadow.replicasQuery (the replicas that actually ran)',
    ]);
  });

  it('refuses an unknown mode, and a shadow block with unknown keys', () => {
    expect(issues({ prometheus: { url: 'http://p:9090' }, targets: [target({ mode: 'dry-run' })] })[0]).toMatch(/^targets\.0\.scaling\.mode:/);
    expect(issues({ prometheus: { url: 'http://p:9090' }, targets: [target({ mode: 'shadow', shadow: { replicasQuery: 'r', query: 'x' } })] })[0]).toMatch(/^targets\.0\.scaling\.shadow/);
  });

  it('refuses shadow mode on a file target when there is no prometheus section to read the replicas from', () => {
    const file = { name: 'demo', source: { type: 'file', path: 'x.csv' }, scaling: { capacityPerReplica: 1, mode: 'shadow', shadow: { replicasQuery: 'r' } } };
    expect(issues({ targets: [file] })).toEqual(['targets.0.scaling.shadow: shadow mode reads the replicas that ran from Prometheus: it needs the top-level "prometheus" section']);
  });

  it('defaults to active', () => {
    expect(parseConfig({ prometheus: { url: 'http://p:9090' }, targets: [target({})] }).targets[0]?.scaling?.mode).toBe('active');
  });
});
