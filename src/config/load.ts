import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { PrescientError, type FieldIssue } from '../errors.js';
import { configSchema, type Config } from './schema.js';

/** The project root: sample data and the default models/ folder are found from here. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The embedded default, used when no configuration file is given: demo
 * targets from the real sample series in data/, replayed as if they ended
 * now, so a newcomer sees forecasts at once without a Prometheus.
 */
export function embeddedDefault(): unknown {
  const demo = (name: string, file: string, scaling: object, step?: string) => ({
    name,
    source: { type: 'file', path: resolve(PROJECT_ROOT, 'data', file), shiftToNow: true, ...(step ? { step } : {}) },
    history: '14d',
    horizon: '1d',
    models: ['auto'],
    scaling,
  });
  return {
    targets: [
      // Requests per minute to the World Cup 98 site, on a 5-minute grid: daily cycle and match-day bursts.
      demo('demo-worldcup-rpm', 'worldcup98/invocation_count.csv', { capacityPerReplica: 500, minReplicas: 1, maxReplicas: 40 }, '5m'),
      // NYC taxi demand per 30 minutes: daily and weekly cycles.
      demo('demo-taxi', 'nab/nyc_taxi.csv', { capacityPerReplica: 2500, minReplicas: 1, maxReplicas: 30 }),
      // EC2 CPU % with a daily spike at the same hour.
      demo('demo-ec2-cpu', 'nab/ec2_cpu_utilization_24ae8d.csv', { capacityPerReplica: 10, minReplicas: 1, maxReplicas: 20 }),
    ],
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Every zod issue as `{path, message}`, path dotted. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/**
 * Validates a configuration object and freezes it.
 * @throws PrescientError PRESCIENT_ERR_CONFIG listing every problem by path
 */
export function parseConfig(input: unknown, baseDir = process.cwd()): Readonly<Config> {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    const issues = fieldIssues(result.error);
    throw new PrescientError(
      'PRESCIENT_ERR_CONFIG',
      `invalid configuration:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
      { issues },
    );
  }
  const config = result.data;
  // Relative paths in a config file are relative to the file, not to wherever the service was started.
  for (const target of config.targets) {
    if (target.source.type === 'file' && !isAbsolute(target.source.path)) {
      target.source.path = resolve(baseDir, target.source.path);
    }
  }
  if (!isAbsolute(config.modelsDir)) config.modelsDir = resolve(baseDir, config.modelsDir);
  const tls = config.server.grpcTls;
  if (tls) {
    tls.certFile = resolve(baseDir, tls.certFile);
    tls.keyFile = resolve(baseDir, tls.keyFile);
    if (tls.clientCaFile !== undefined) tls.clientCaFile = resolve(baseDir, tls.clientCaFile);
  }
  return deepFreeze(config);
}

/**
 * Loads the configuration: the YAML file at `path` when given (from
 * `--config` or PRESCIENT_CONFIG), else the embedded default. PORT, HOST,
 * GRPC_PORT, PRESCIENT_AUTH_TOKEN and PRESCIENT_ALLOW_UNAUTHENTICATED override the file.
 * @throws PrescientError PRESCIENT_ERR_CONFIG
 */
/**
 * Which configuration file to load: `--config` first; else PRESCIENT_CONFIG,
 * unless PRESCIENT_DEMO=1 asks for the embedded demo (the image sets
 * PRESCIENT_CONFIG to its mount point, so the demo is only ever served when asked for).
 */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? (env.PRESCIENT_DEMO === '1' ? undefined : env.PRESCIENT_CONFIG);
}

export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  let raw: unknown;
  let baseDir = PROJECT_ROOT;
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      // The image points PRESCIENT_CONFIG at a mount: say how to get the demo instead of a bare ENOENT.
      const hint = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? ' (mount one there, or set PRESCIENT_DEMO=1 to serve the demo targets)' : '';
      throw new PrescientError('PRESCIENT_ERR_CONFIG', `cannot read configuration file ${path}: ${(cause as Error).message}${hint}`, { cause });
    }
    text = substituteEnv(text, env, path);
    try {
      raw = parseYaml(text) ?? {};
    } catch (cause) {
      throw new PrescientError('PRESCIENT_ERR_CONFIG', `configuration file ${path} is not valid YAML: ${(cause as Error).message}`, { cause });
    }
    baseDir = dirname(resolve(path));
  } else {
    raw = embeddedDefault();
  }
  return parseConfig(applyEnv(raw, env), baseDir);
}

/**
 * Replaces every `${NAME}` in the configuration text with the environment
 * variable NAME (so secrets such as `bearerToken: ${PROM_TOKEN}` stay out of
 * the file); `$${` writes a literal `${`.
 * @throws PrescientError PRESCIENT_ERR_CONFIG naming every variable that is not set
 */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv, path: string): string {
  const missing = new Set<string>();
  const result = text.replace(/\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1);
    const value = env[name];
    if (value === undefined) missing.add(name);
    return value ?? '';
  });
  if (missing.size > 0) {
    const names = [...missing];
    throw new PrescientError('PRESCIENT_ERR_CONFIG', `configuration file ${path} uses ${names.map((n) => `\${${n}}`).join(', ')} but the environment does not set ${names.length === 1 ? 'it' : 'them'}`, {
      issues: names.map((n) => ({ path: `\${${n}}`, message: 'environment variable not set' })),
    });
  }
  return result;
}

function applyEnv(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const config = raw as Record<string, unknown>;
  const server = { ...((config.server as Record<string, unknown> | undefined) ?? {}) };
  // Numbers from the environment go through as numbers when they look like one, so zod reports bad ones.
  const asNumber = (text: string): number | string => (/^\d+$/.test(text) ? Number(text) : text);
  if (env.PORT !== undefined) server.port = asNumber(env.PORT);
  if (env.GRPC_PORT !== undefined) server.grpcPort = asNumber(env.GRPC_PORT);
  if (env.HOST !== undefined) server.host = env.HOST;
  if (env.PRESCIENT_AUTH_TOKEN !== undefined) server.authToken = env.PRESCIENT_AUTH_TOKEN;
  if (env.PRESCIENT_ALLOW_UNAUTHENTICATED !== undefined) server.allowUnauthenticated = env.PRESCIENT_ALLOW_UNAUTHENTICATED === '1';
  // Roles of a replica and the shared Redis: one image, configured per deployment (docs/scaling.md).
  const cluster = { ...((config.cluster as Record<string, unknown> | undefined) ?? {}) };
  if (env.PRESCIENT_ROLE !== undefined) cluster.role = env.PRESCIENT_ROLE;
  if (env.PRESCIENT_REDIS_URL !== undefined) cluster.redis = { ...((cluster.redis as Record<string, unknown> | undefined) ?? {}), url: env.PRESCIENT_REDIS_URL };
  // Where forecasts persist: a volume in a container, a fresh directory in a test.
  return { ...config, server, cluster, ...(env.PRESCIENT_MODELS_DIR === undefined ? {} : { modelsDir: env.PRESCIENT_MODELS_DIR }) };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
