import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { validate } from './k8s-schemas.js';
import { DEPLOY, find, imageEnv, matches, podEnv, render, type Doc } from './kustomize-render.js';

/**
 * deploy/base and the Redis overlay deploy/redis rendered by kustomize (the
 * one built into kubectl, as `kubectl apply -k` would) and every rendered
 * document validated offline against its schema; then the overlay's roles
 * checked: what each container is told (env as Kubernetes expands it, on
 * top of the image's ENV) is loaded by the service's own configuration
 * loader, as each pod would load it.
 */

const base = render('base');
const redis = render('redis');
const dir = mkdtempSync(join(tmpdir(), 'prescient-kustomize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kustomize renders of deploy/', () => {
  it.each([
    ['base', base],
    ['redis', redis],
  ] as const)('every document of deploy/%s is valid against its schema', (_name, docs) => {
    expect(docs.length).toBeGreaterThan(10);
    for (const doc of docs) expect(() => validate(doc), `${doc.kind}/${doc.metadata?.name}`).not.toThrow();
  });

  it('lists every manifest of each kustomization as a resource or a patch', () => {
    for (const overlay of ['base', 'redis']) {
      const k = parseYaml(readFileSync(join(DEPLOY, overlay, 'kustomization.yaml'), 'utf8')) as { resources: string[]; patches?: { path: string }[] };
      const listed = [...k.resources.filter((r) => !r.startsWith('..')), ...(k.patches ?? []).map((p) => p.path)].sort();
      const files = readdirSync(join(DEPLOY, overlay)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
      expect(listed, overlay).toEqual(files.sort());
    }
  });

  it.each([
    ['base', base],
    ['redis', redis],
  ] as const)('deploy/%s puts every namespaced document in prescient, but the auth-reader RoleBinding in kube-system', (_name, docs) => {
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'APIService']);
    // extension-apiserver-authentication-reader is a Role of kube-system: a binding elsewhere grants nothing.
    expect(find(docs, 'RoleBinding', 'prescient-auth-reader').metadata.namespace).toBe('kube-system');
    for (const doc of docs.filter((d) => !clusterScoped.has(d.kind) && d.kind !== 'RoleBinding')) {
      expect(doc.metadata.namespace, `${doc.kind}/${doc.metadata.name}`).toBe('prescient');
    }
    for (const doc of docs.filter((d) => clusterScoped.has(d.kind))) expect(doc.metadata.namespace, `${doc.kind}/${doc.metadata.name}`).toBeUndefined();
  });
});

describe('deploy/grafana', () => {
  it("renders the dashboard as a ConfigMap for Grafana's sidecar, byte for byte", () => {
    const docs = render('grafana');
    expect(docs).toHaveLength(1);
    const [configMap] = docs as [Doc];
    expect(() => validate(configMap)).not.toThrow();
    expect(configMap.metadata).toMatchObject({ name: 'prescient-dashboard', labels: { grafana_dashboard: '1' } });
    expect(configMap.data['prescient.json']).toBe(readFileSync(join(DEPLOY, 'grafana/prescient.json'), 'utf8'));
  });
});

describe('deploy/redis: api and worker roles on Redis', () => {
  const api = find(redis, 'Deployment', 'prescient');
  const worker = find(redis, 'Deployment', 'prescient-worker');
  const redisSet = find(redis, 'StatefulSet', 'prescient-redis');
  const password = find(redis, 'Secret', 'prescient-redis').stringData.password as string;
  const token = find(redis, 'Secret', 'prescient-token').stringData.token as string;
  const secrets = { 'prescient-redis/password': password, 'prescient-token/token': token };
  const configFile = join(dir, 'prescient.yaml');
  writeFileSync(configFile, find(redis, 'ConfigMap', 'prescient-config').data['prescient.yaml']);

  it('turns the base Deployment into ≥ 2 api replicas that keep their probes, token and ports', () => {
    expect(api.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(api.spec.strategy.type).toBe('RollingUpdate');
    const [container] = api.spec.template.spec.containers;
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.ports.map((p: Doc) => p.containerPort).sort()).toEqual([8080, 9090]);
  });

  it('loads the configuration as the api pod would: role api, the Redis Service with its password, 0.0.0.0 with the token', () => {
    const env = podEnv(api.spec.template.spec.containers[0], secrets);
    expect(env['HOST']).toBe('0.0.0.0');
    const config = loadConfig(configFile, env);
    expect(config.cluster.role).toBe('api');
    const url = new URL(config.cluster.redis!.url);
    expect(decodeURIComponent(url.password)).toBe(password);
    const redisService = find(redis, 'Service', 'prescient-redis');
    expect(url.hostname).toBe(redisService.metadata.name);
    expect(Number(url.port)).toBe(redisService.spec.ports[0].port);
    expect(config.server.authToken).toBe(token);
  });

  it('loads the configuration as the worker pod would: role worker on loopback without the API token, which the image alone would refuse', () => {
    const [container] = worker.spec.template.spec.containers;
    expect(container.ports).toBeUndefined();
    expect(container.readinessProbe ?? container.livenessProbe).toBeUndefined();
    const env = podEnv(container, secrets);
    expect(env['PRESCIENT_AUTH_TOKEN']).toBeUndefined();
    const config = loadConfig(configFile, env);
    expect(config.cluster.role).toBe('worker');
    expect(new URL(config.cluster.redis!.url).hostname).toBe('prescient-redis');
    // Without its HOST override it would inherit the image's 0.0.0.0 and be refused for want of a token.
    const imageHost = imageEnv()['HOST'];
    expect(imageHost).toBe('0.0.0.0');
    expect(() => loadConfig(configFile, { ...env, HOST: imageHost })).toThrow(/needs a token/);
    expect(worker.spec.template.spec.volumes).toContainEqual({ name: 'config', configMap: { name: 'prescient-config' } });
  });

  it('sends HTTP and gRPC to api pods only, and lets both roles, and nothing else, reach Redis', () => {
    const apiLabels = api.spec.template.metadata.labels;
    const workerLabels = worker.spec.template.metadata.labels;
    const service = find(redis, 'Service', 'prescient');
    expect(matches(service.spec.selector, apiLabels)).toBe(true);
    expect(matches(service.spec.selector, workerLabels)).toBe(false);
    const policy = find(redis, 'NetworkPolicy', 'prescient-redis');
    expect(matches(policy.spec.podSelector.matchLabels, redisSet.spec.template.metadata.labels)).toBe(true);
    const from = policy.spec.ingress[0].from[0].podSelector.matchLabels;
    expect(matches(from, apiLabels) && matches(from, workerLabels)).toBe(true);
    const pdbs = redis.filter((d) => d.kind === 'PodDisruptionBudget');
    expect(pdbs.filter((p) => matches(p.spec.selector.matchLabels, apiLabels))).toHaveLength(1);
    expect(pdbs.filter((p) => matches(p.spec.selector.matchLabels, workerLabels))).toHaveLength(1);
  });

  it('runs Redis with the append-only file on a volume, noeviction (BullMQ) and the password', () => {
    const [container] = redisSet.spec.template.spec.containers;
    const args: string[] = container.args;
    const arg = (flag: string) => args[args.indexOf(flag) + 1];
    expect(arg('--appendonly')).toBe('yes');
    expect(arg('--maxmemory-policy')).toBe('noeviction');
    expect(arg('--requirepass')).toBe('$(REDIS_PASSWORD)');
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: arg('--dir') });
    expect(redisSet.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(redisSet.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
  });
});
