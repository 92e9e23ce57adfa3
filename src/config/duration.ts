import { z } from 'zod';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/;

/**
 * Parses a Prometheus-style duration ("30s", "5m", "14d", "1w") to seconds.
 * Returns undefined for anything else (no compound forms like "1h30m").
 */
export function parseDurationSeconds(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  return Number(amount) * (UNIT_SECONDS[unit ?? ''] ?? Number.NaN);
}

/** Formats seconds back to the largest whole unit ("300" → "5m"). */
export function formatDuration(seconds: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit] ?? 1;
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/**
 * A zod schema for a duration in configuration: a string like "5m" or a
 * number of seconds; the parsed value is always seconds (> 0).
 */
export const durationSeconds = z
  .union([z.number(), z.string()])
  .transform((input, ctx) => {
    const seconds = typeof input === 'number' ? input : parseDurationSeconds(input);
    if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a positive duration such as "30s", "5m", "14d" or a number of seconds, got ${JSON.stringify(input)}`,
      });
      return z.NEVER;
    }
    return seconds;
  });

/**
 * A duration (as `durationSeconds`) that must lie in [minSeconds, maxSeconds]:
 * out-of-range values are a validation issue on the field, never a number
 * that overflows a date later.
 */
export function boundedDuration(minSeconds: number, maxSeconds: number): z.ZodPipe<typeof durationSeconds, z.ZodNumber> {
  return durationSeconds.pipe(
    z
      .number()
      .min(minSeconds, `must be at least ${formatDuration(minSeconds)}`)
      .max(maxSeconds, `must be at most ${formatDuration(maxSeconds)}`),
  );
}
