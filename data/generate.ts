/**
 * Seeded synthetic load: daily and weekly cycles, a slow trend, noise,
 * short bursts, gaps (missing samples) and one level shift. The same seed
 * gives the same series byte for byte, so tests and benchmarks can rely on it.
 *
 *   npx tsx data/generate.ts [--days 28] [--step 300] [--seed 42] [--out data/synthetic.csv]
 *
 * Writes `timestamp,value` CSV (ISO UTC timestamps; a gap is a missing row).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { seededRandom } from '../src/random.js';

export interface SyntheticOptions {
  /** Length in days. */
  readonly days: number;
  /** Step in seconds. */
  readonly stepSeconds: number;
  readonly seed: number;
  /** First timestamp, ms since epoch (default 2024-01-01T00:00:00Z, a Monday). */
  readonly startMs?: number;
  /** Mean level (load units, e.g. requests per second). */
  readonly base?: number;
  /** Daily amplitude as a share of the base. */
  readonly dailyAmplitude?: number;
  /** Weekend dip as a share of the base. */
  readonly weekendDip?: number;
  /** Trend per day as a share of the base. */
  readonly trendPerDay?: number;
  /** Noise standard deviation as a share of the base. */
  readonly noise?: number;
  /** Bursts per day (on average). */
  readonly burstsPerDay?: number;
  /** Share of samples dropped as gaps. */
  readonly gapShare?: number;
  /** Level shift: from this day on the load is multiplied by `levelShiftFactor`. */
  readonly levelShiftDay?: number;
  readonly levelShiftFactor?: number;
}

export interface SyntheticSeries {
  readonly timestampsMs: number[];
  /** NaN where a sample is missing (a gap). */
  readonly values: number[];
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Generates the series (see the file comment). */
export function generateSynthetic(options: SyntheticOptions): SyntheticSeries {
  const random = seededRandom(options.seed);
  const startMs = options.startMs ?? Date.UTC(2024, 0, 1);
  const base = options.base ?? 1000;
  const dailyAmplitude = options.dailyAmplitude ?? 0.6;
  const weekendDip = options.weekendDip ?? 0.25;
  const trendPerDay = options.trendPerDay ?? 0.004;
  const noise = options.noise ?? 0.04;
  const burstsPerDay = options.burstsPerDay ?? 0.5;
  const gapShare = options.gapShare ?? 0.005;
  const levelShiftDay = options.levelShiftDay ?? Math.floor(options.days * 0.7);
  const levelShiftFactor = options.levelShiftFactor ?? 1.2;
  const stepsPerDay = Math.round(86_400 / options.stepSeconds);
  const length = Math.round(options.days * stepsPerDay);
  const burstProbability = burstsPerDay / stepsPerDay;

  const timestampsMs: number[] = [];
  const values: number[] = [];
  let burstLeft = 0;
  let burstHeight = 0;
  for (let i = 0; i < length; i++) {
    const tMs = startMs + i * options.stepSeconds * 1000;
    const dayFraction = ((tMs / 1000) % 86_400) / 86_400;
    const dayOfWeek = (Math.floor(tMs / 86_400_000) + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
    const day = i / stepsPerDay;
    // Trough at 04:00, peak at 16:00 with a sharper morning ramp (a second harmonic).
    const phase = 2 * Math.PI * (dayFraction - 4 / 24);
    const daily = -Math.cos(phase) * 0.85 - 0.15 * Math.cos(2 * phase);
    const weekend = dayOfWeek === 0 || dayOfWeek === 6 ? -weekendDip : 0;
    let level = base * (1 + trendPerDay * day) * (1 + dailyAmplitude * daily + weekend);
    if (day >= levelShiftDay) level *= levelShiftFactor;
    if (burstLeft === 0 && random() < burstProbability) {
      burstLeft = 1 + Math.floor(random() * 6);
      burstHeight = base * (0.3 + random() * 0.5);
    }
    if (burstLeft > 0) {
      level += burstHeight;
      burstLeft--;
    }
    const value = Math.max(0, level * (1 + noise * gaussian(random)));
    timestampsMs.push(tMs);
    values.push(random() < gapShare ? Number.NaN : Math.round(value * 100) / 100);
  }
  return { timestampsMs, values };
}

/** CSV with a `timestamp,value` header; gaps are left out. */
export function toCsv(series: SyntheticSeries): string {
  const lines = ['timestamp,value'];
  series.timestampsMs.forEach((t, i) => {
    const v = series.values[i] as number;
    if (Number.isFinite(v)) lines.push(`${new Date(t).toISOString().replace('.000Z', 'Z')},${v}`);
  });
  return `${lines.join('\n')}\n`;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      days: { type: 'string', default: '28' },
      step: { type: 'string', default: '300' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string', default: 'data/synthetic.csv' },
    },
  });
  const days = Number(values.days);
  const stepSeconds = Number(values.step);
  const seed = Number(values.seed);
  if (!(days > 0) || !(stepSeconds > 0) || !Number.isInteger(seed)) {
    process.stderr.write('usage: tsx data/generate.ts [--days N>0] [--step SECONDS>0] [--seed INT] [--out FILE]\n');
    process.exit(2);
  }
  const series = generateSynthetic({ days, stepSeconds, seed });
  writeFileSync(values.out, toCsv(series));
  process.stdout.write(`wrote ${values.out}: ${series.values.length} steps of ${stepSeconds} s, seed ${seed}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
