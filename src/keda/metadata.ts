import { z } from 'zod';
import { parseDurationSeconds } from '../config/duration.js';
import { PrescientError, type FieldIssue } from '../errors.js';

/**
 * The keys Prescient reads from a KEDA trigger's `metadata` (it arrives whole
 * as `scalerMetadata`). Documented in docs/keda.md.
 */
export type ScalerMode = 'replicas' | 'load';

export interface ScalerMetadata {
  /** A configured target's name. */
  readonly target: string;
  /** `replicas`: metric = recommended replicas, target size 1. `load`: metric = forecast load, target size = capacity per replica. */
  readonly mode: ScalerMode;
  /** Overrides the target's scaling quantile (its interval level 2q−1 must be forecast). */
  readonly quantile?: number;
  /** Overrides the target's lead time, seconds. */
  readonly leadTimeSeconds?: number;
  /** Active (scale from zero) when the metric value is above this; default 0. */
  readonly activationThreshold: number;
}

/**
 * Keys KEDA itself reads from the same trigger metadata (connection and TLS)
 * and forwards anyway: accepted and ignored.
 */
const KEDA_OWN_KEYS = new Set(['scalerAddress', 'caCert', 'tlsCertFile', 'tlsClientCert', 'tlsClientKey', 'enableTLS', 'unsafeSsl']);

const number = z
  .string()
  .trim()
  .regex(/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/, 'expected a number')
  .transform(Number);

const schema = z
  .object({
    target: z.string().trim().min(1, 'expected a configured target name'),
    mode: z.enum(['replicas', 'load'], { error: 'expected "replicas" or "load"' }).default('replicas'),
    quantile: number.pipe(z.number().gt(0.5, 'expected a quantile in (0.5, 1)').lt(1, 'expected a quantile in (0.5, 1)')).optional(),
    leadTime: z
      .string()
      .transform((text, ctx) => {
        // A bare number is seconds, as in the config file.
        const seconds = /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : parseDurationSeconds(text);
        if (seconds === undefined || !(seconds > 0) || !Number.isFinite(seconds)) {
          ctx.addIssue({ code: 'custom', message: 'expected a positive duration such as "5m", "90s" or a number of seconds' });
          return z.NEVER;
        }
        return seconds;
      })
      .optional(),
    activationThreshold: number.pipe(z.number().min(0, 'expected a number ≥ 0')).default(0),
  })
  .strict();

/**
 * Parses KEDA `scalerMetadata`. `<key>FromEnv` (resolved by KEDA from the
 * workload's environment) counts as `<key>`.
 * @throws PrescientError PRESCIENT_ERR_VALIDATION (gRPC INVALID_ARGUMENT) naming every bad or unknown key
 */
export function parseScalerMetadata(metadata: Readonly<Record<string, string>>): ScalerMetadata {
  const input: Record<string, string> = {};
  for (const [rawKey, value] of Object.entries(metadata)) {
    if (KEDA_OWN_KEYS.has(rawKey)) continue;
    const key = rawKey.endsWith('FromEnv') ? rawKey.slice(0, -'FromEnv'.length) : rawKey;
    input[key] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues: FieldIssue[] = result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: `scalerMetadata.${key}`, message: 'unknown key (known: target, mode, quantile, leadTime, activationThreshold)' }))
        : [{ path: `scalerMetadata.${issue.path.join('.')}`, message: issue.message }],
    );
    const missingTarget = issues.find((i) => i.path === 'scalerMetadata.target' && !('target' in input));
    const fixed = missingTarget ? issues.map((i) => (i === missingTarget ? { ...i, message: 'required: a configured target name' } : i)) : issues;
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', fixed.map((i) => `${i.path}: ${i.message}`).join('; '), { issues: fixed });
  }
  const { target, mode, quantile, leadTime, activationThreshold } = result.data;
  return {
    target,
    mode,
    activationThreshold,
    ...(quantile === undefined ? {} : { quantile }),
    ...(leadTime === undefined ? {} : { leadTimeSeconds: leadTime }),
  };
}

/** The metric name Prescient reports for a target and mode: `prescient-<target>-<mode>`. */
export function metricNameOf(target: string, mode: ScalerMode): string {
  return `prescient-${target}-${mode}`;
}
