import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { ROOT } from './support/dockerfile.js';

/** Every example configuration loads as the image would load it: on 0.0.0.0, with a token in the environment. */
const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml'));

describe('examples/', () => {
  it('has the KEDA external-scaler and HPA external-metrics examples', () => {
    expect(EXAMPLES).toEqual(expect.arrayContaining(['keda-external-scaler.yaml', 'hpa-external-metrics.yaml', 'shadow-mode.yaml']));
  });

  it('has a shadow-mode example that compares with the replicas that ran and serves the reactive recommendation meanwhile', () => {
    const config = loadConfig(join(ROOT, 'examples', 'shadow-mode.yaml'), { PRESCIENT_AUTH_TOKEN: 'an-example-token-0123456789' });
    const [target] = config.targets;
    expect(target?.scaling?.mode).toBe('shadow');
    expect(target?.scaling?.shadow?.replicasQuery).toMatch(/^kube_deployment_status_replicas\{/);
    expect(config.prometheus).toBeDefined();
  });

  it.each(EXAMPLES)('%s loads, with a Prometheus target that has scaling', (file) => {
    const config = loadConfig(join(ROOT, 'examples', file), { PRESCIENT_AUTH_TOKEN: 'an-example-token-0123456789' });
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.targets.length).toBeGreaterThan(0);
    for (const target of config.targets) {
      expect(target.source.type).toBe('prometheus');
      expect(target.scaling?.capacityPerReplica).toBeGreaterThan(0);
    }
    // Without the token the exposed service refuses to start.
    expect(() => loadConfig(join(ROOT, 'examples', file), {})).toThrow(/needs a token/);
  });
});
