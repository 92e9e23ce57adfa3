/**
 * Prints the seasonality detector's scores for every sample series in data/
 * (last 28 days of each): the figures behind data/README.md's "What the
 * series show". Run: npx tsx scripts/seasonality-report.ts
 */
import { regularize } from '../src/series/regularize.js';
import { detectSeasonalPeriods, scoreSeasonalPeriods } from '../src/series/seasonality.js';
import { readSamplesFile } from '../src/sources/file.js';

const FILES: Array<[file: string, stepSeconds?: number, column?: string]> = [
  ['nab/rds_cpu_utilization_cc0c53.csv'],
  ['nab/rds_cpu_utilization_e47b3b.csv'],
  ['nab/ec2_cpu_utilization_53ea38.csv'],
  ['nab/ec2_network_in_257a54.csv'],
  ['nab/grok_asg_anomaly.csv'],
  ['nab/cpu_utilization_asg_misconfiguration.csv'],
  ['nab/nyc_taxi.csv'],
  ['nab/ec2_cpu_utilization_24ae8d.csv'],
  ['nab/ec2_cpu_utilization_825cc2.csv'],
  ['worldcup98/invocation_count.csv', 300],
  ['prophet-examples/example_pedestrians_multivariate.csv', undefined, 'location_4'],
];

const dataDir = new URL('../data/', import.meta.url).pathname;
for (const [file, stepSeconds, column] of FILES) {
  const samples = await readSamplesFile(dataDir + file, column ? { column } : {});
  const { series } = regularize(samples, stepSeconds ? { stepSeconds } : {});
  const tail = series.values.slice(-Math.round((28 * 86_400) / series.stepSeconds));
  const scores = scoreSeasonalPeriods(tail, series.stepSeconds)
    .map((s) => `${s.periodSteps} steps: acf ${s.acf.toFixed(2)}${s.kept ? ' kept' : ''}`)
    .join('; ');
  console.log(`${file.padEnd(55)} step ${series.stepSeconds}s  detected [${detectSeasonalPeriods(tail, series.stepSeconds).join(', ')}]  (${scores})`);
}
