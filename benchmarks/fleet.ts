/**
 * The fleet of file-sourced targets the many-target benchmarks run
 * (scale.ts, scale-redis.ts, heap-per-target.ts): real 5-minute series of
 * two weeks or more from data/, each target reading its own copy so no two
 * share a file.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const FLEET_SERIES = [
  'nab/rds_cpu_utilization_cc0c53.csv',
  'nab/rds_cpu_utilization_e47b3b.csv',
  'nab/ec2_cpu_utilization_24ae8d.csv',
  'nab/ec2_cpu_utilization_53ea38.csv',
  'nab/ec2_cpu_utilization_825cc2.csv',
  'nab/ec2_network_in_257a54.csv',
  'nab/grok_asg_anomaly.csv',
] as const;

const root = new URL('..', import.meta.url).pathname;

/** Copies `series` round robin into `dir/series`, one file per target name; returns each target's path. */
export function copyFleetSeries(dir: string, names: readonly string[], series: readonly string[] = FLEET_SERIES): string[] {
  mkdirSync(join(dir, 'series'), { recursive: true });
  return names.map((name, i) => {
    const path = join(dir, 'series', `${name}.csv`);
    copyFileSync(join(root, 'data', series[i % series.length] as string), path);
    return path;
  });
}
