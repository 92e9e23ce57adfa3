/**
 * deploy/ as Kubernetes would see it: kustomizations rendered by kubectl's
 * built-in kustomize, and a container's environment as a pod gets it.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT, readStages, stageEnv } from '../support/dockerfile.js';
import { findExecutable } from '../support/prometheus.js';

// Rendered manifests are read field by field (the schemas validated them already).
export type Doc = Record<string, any>;
export const DEPLOY = join(ROOT, 'deploy');

function kubectl(): string {
  const path = findExecutable('kubectl');
  if (!path) throw new Error('kubectl not found on PATH: rendering deploy/ needs its built-in kustomize (kubectl ≥ 1.27).');
  return path;
}

/** The documents `kubectl kustomize deploy/<overlay>` renders. */
export function render(overlay: string): Doc[] {
  const out = execFileSync(kubectl(), ['kustomize', join(DEPLOY, overlay)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(out).map((d) => d.toJS() as Doc);
}

export function find(docs: Doc[], kind: string, name: string): Doc {
  const doc = docs.find((d) => d.kind === kind && d.metadata?.name === name);
  if (!doc) throw new Error(`${kind}/${name} not rendered`);
  return doc;
}

/** The ENV of the Dockerfile's final stage (what every pod starts with). */
export function imageEnv(): Record<string, string> {
  const stages = readStages();
  return stageEnv(stages[stages.length - 1]!);
}

/** Kubernetes' $(VAR) expansion (container env values, command and args), from `env`; an unknown $(VAR) stays as written. */
export function expand(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\((\w+)\)/g, (whole, name: string) => env[name] ?? whole);
}

/** A container's env as Kubernetes gives it: the image's ENV, then the manifest's values with $(VAR) expanded; secrets from `secrets` ("name/key"). */
export function podEnv(container: Doc, secrets: Readonly<Record<string, string>>, image: Readonly<Record<string, string>> = imageEnv()): Record<string, string> {
  const env: Record<string, string> = { ...image };
  for (const e of container.env ?? []) {
    if (e.valueFrom?.secretKeyRef) {
      const value = secrets[`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`];
      if (value === undefined) throw new Error(`no Secret key ${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
      env[e.name] = value;
    } else {
      // Only variables declared earlier in the list expand.
      env[e.name] = expand(String(e.value), env);
    }
  }
  return env;
}

export const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);
