import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { APIService } from 'kubernetes-models/apiregistration.k8s.io/v1/APIService';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ROOT } from '../support/dockerfile.js';

/**
 * Every manifest under deploy/ validated offline against the Kubernetes
 * OpenAPI schemas (kubernetes-models), KEDA's CRDs (@kubernetes-models/keda)
 * and prometheus-operator's (@kubernetes-models/prometheus-operator).
 */
interface Validatable {
  validate(): void;
}
type Model = new (data: never) => Validatable;

const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'apiregistration.k8s.io/v1/APIService': APIService,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

const DEPLOY = join(ROOT, 'deploy');
const yamlFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? yamlFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : []));
const manifests = yamlFiles(DEPLOY)
  .filter((f) => !f.endsWith('kustomization.yaml'))
  .flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8')).map((doc, i) => ({ file: `${relative(DEPLOY, file)}#${i}`, doc: doc.toJS() as Record<string, unknown> })));

function validate(doc: Record<string, unknown>): void {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion}/${doc.kind}`);
  new Model(doc as never).validate();
}

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
