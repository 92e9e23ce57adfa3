import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ROOT } from '../support/dockerfile.js';
import { validate } from './k8s-schemas.js';

/**
 * Every manifest under deploy/ validated offline against the Kubernetes
 * OpenAPI schemas, KEDA's and prometheus-operator's CRDs (./k8s-schemas.ts).
 */
const DEPLOY = join(ROOT, 'deploy');
const yamlFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? yamlFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : []));
// A kustomize patch is a fragment: test/deploy/kustomize.test.ts validates it rendered into its overlay.
const manifests = yamlFiles(DEPLOY)
  .filter((f) => !f.endsWith('kustomization.yaml') && !f.endsWith('-patch.yaml'))
  .flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8')).map((doc, i) => ({ file: `${relative(DEPLOY, file)}#${i}`, doc: doc.toJS() as Record<string, unknown> })));

const byKind = (kind: string) => manifests.filter((m) => m.doc.kind === kind).map((m) => m.doc as Record<string, any>);
const dir = mkdtempSync(join(tmpdir(), 'prescient-deploy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deploy/ manifests', () => {
  it.each(manifests.map((m) => [m.file, m.doc] as const))('%s is valid against its schema', (_file, doc) => {
    expect(() => validate(doc)).not.toThrow();
  });

  it('a manifest that breaks its schema is caught (the validation can fail)', () => {
    const deployment = structuredClone(byKind('Deployment')[0]!);
    deployment.spec.replicas = 'one';
    expect(() => validate(deployment)).toThrow(/replicas must be integer/);
    const scaled = structuredClone(byKind('ScaledObject')[0]!);
    scaled.spec.triggers = 'external';
    expect(() => validate(scaled)).toThrow(/triggers/);
  });

  it('lists every base file in the kustomization', () => {
    const kustomization = parseYaml(readFileSync(join(DEPLOY, 'base/kustomization.yaml'), 'utf8')) as { resources: string[] };
    const files = readdirSync(join(DEPLOY, 'base')).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it('runs the image non-root with probes on /healthz and /readyz, resources, the token from the Secret', () => {
    const deployment = byKind('Deployment')[0]!;
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.env).toContainEqual({ name: 'PRESCIENT_AUTH_TOKEN', valueFrom: { secretKeyRef: { name: 'prescient-token', key: 'token' } } });
    expect(container.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: '/config' }));
    const service = byKind('Service')[0]!;
    expect(service.spec.ports.map((p: { port: number }) => p.port).sort()).toEqual([8080, 9090]);
  });

  it('ships a configuration the service accepts, as the image would load it (0.0.0.0 with the Secret token)', () => {
    const configMap = byKind('ConfigMap')[0]!;
    const path = join(dir, 'prescient.yaml');
    writeFileSync(path, configMap.data['prescient.yaml']);
    const token = byKind('Secret').find((s) => s.metadata.name === 'prescient-token')!.stringData.token as string;
    const config = loadConfig(path, { HOST: '0.0.0.0', PRESCIENT_AUTH_TOKEN: token });
    expect(config.targets.map((t) => t.name)).toEqual(['checkout-rps']);
    expect(() => loadConfig(path, { HOST: '0.0.0.0' })).toThrow(/needs a token/);
  });

  it('states the minimum KEDA version in every ScaledObject example', () => {
    const files = yamlFiles(join(DEPLOY, 'keda')).filter((f) => readFileSync(f, 'utf8').includes('kind: ScaledObject'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) expect(readFileSync(file, 'utf8'), file).toMatch(/^# Minimum KEDA: \d+\.\d+/m);
  });
});
