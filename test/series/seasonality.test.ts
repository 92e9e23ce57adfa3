import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { regularize } from '../../src/series/regularize.js';
import { autocorrelation, centredMovingAverage, detectSeasonalPeriods, scoreSeasonalPeriods } from '../../src/series/seasonality.js';
import { readSamplesFile } from '../../src/sources/file.js';

const DATA = join(import.meta.dirname, '..', '..', 'data');

async function load(file: string, stepSeconds: number, column?: string): Promise<number[]> {
  const samples = await readSamplesFile(join(DATA, file), column === undefined ? {} : { column });
  return [...regularize(samples, { stepSeconds }).series.values];
}

describe('detectSeasonalPeriods on real series', () => {
  it('finds the daily and weekly cycles of NYC taxi demand (30 min: 48 and 336 steps)', async () => {
    const values = await load('nab/nyc_taxi.csv', 1800);
    expect(detectSeasonalPeriods(values, 1800)).toEqual([48, 336]);
  });

  it('finds the daily cycle of hourly pedestrian counts and no weekly one', async () => {
    const values = await load('prophet-examples/example_pedestrians_multivariate.csv', 3600, 'location_4');
    expect(detectSeasonalPeriods(values, 3600)).toEqual([24]);
  });

  it('finds the daily cycle of the World Cup 98 requests resampled to 5 minutes (last 28 days)', async () => {
    const values = await load('worldcup98/invocation_count.csv', 300);
    expect(detectSeasonalPeriods(values.slice(-28 * 288), 300)).toContain(288);
  });

  it('finds the nightly spike of EC2 24ae8d: a daily season, small but exact', async () => {
    // data/README lists this series as non-seasonal, but every day has a
    // spike at the same hour (see the hourly means), which snaive can use.
    const values = await load('nab/ec2_cpu_utilization_24ae8d.csv', 300);
    const [daily] = scoreSeasonalPeriods(values, 300);
    expect(daily?.acf).toBeGreaterThan(0.5);
    expect(detectSeasonalPeriods(values, 300)).toEqual([288]);
  });

  it.each([
    'nab/ec2_cpu_utilization_825cc2.csv',
    'nab/grok_asg_anomaly.csv',
    'nab/rds_cpu_utilization_e47b3b.csv',
    'nab/ec2_network_in_257a54.csv',
    'nab/cpu_utilization_asg_misconfiguration.csv',
  ])('finds no season in %s (level shifts and noise, no cycle)', async (file) => {
    const values = await load(file, 300);
    const scores = scoreSeasonalPeriods(values, 300);
    expect(scores.length).toBeGreaterThan(0);
    for (const s of scores) expect(s.acf).toBeLessThan(0.15);
    expect(detectSeasonalPeriods(values, 300)).toEqual([]);
  });
});

describe('detectSeasonalPeriods on constructed series', () => {
  const day = 288;

  it('needs two full cycles: 1.9 days of a clean daily sine give nothing', () => {
    const values = Array.from({ length: Math.floor(1.9 * day) }, (_, i) => Math.sin((2 * Math.PI * i) / day));
    expect(detectSeasonalPeriods(values, 300)).toEqual([]);
    expect(detectSeasonalPeriods([...values, ...values], 300)).toEqual([day]);
  });

  it('sees a daily cycle through a strong trend and a level shift', () => {
    const values = Array.from({ length: 10 * day }, (_, i) => 5 * Math.sin((2 * Math.PI * i) / day) + i * 0.05 + (i > 6 * day ? 20 : 0));
    expect(detectSeasonalPeriods(values, 300)).toEqual([day]);
  });

  it('rejects a random walk, which correlates with itself at every lag', () => {
    let state = 42;
    let level = 0;
    const values = Array.from({ length: 14 * day }, () => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      level += state / 2_147_483_648 - 0.5;
      return level;
    });
    expect(detectSeasonalPeriods(values, 300)).toEqual([]);
  });

  it('only considers calendar periods the step divides', () => {
    const values = Array.from({ length: 5000 }, (_, i) => Math.sin(i));
    expect(detectSeasonalPeriods(values, 7)).toEqual([]);
  });
});

describe('helpers', () => {
  it('autocorrelation of an alternating series is −1 at lag 1 (scaled by (n−1)/n) and 0 for a constant', () => {
    expect(autocorrelation([1, -1, 1, -1], 1)).toBeCloseTo(-0.75, 12);
    expect(autocorrelation([3, 3, 3], 1)).toBe(0);
  });

  it('centred moving average repeats the nearest full window at the ends', () => {
    expect(centredMovingAverage([1, 2, 3, 4, 5], 3)).toEqual([2, 2, 3, 4, 4]);
  });
});
