/**
 * The series of the accuracy benchmark (DESIGN.md §5, issue 3; data/README.md), shared by the
 * benchmarks that score or replay them (accuracy, never-refuse, lstm-fit, r-baselines, replay).
 */

export interface BenchmarkSeries {
  readonly name: string;
  /** Path under the data directory. */
  readonly file: string;
  /** Grid step in seconds (the series is resampled onto it). */
  readonly stepSeconds: number;
  readonly column?: string;
}

/** The series of issue 3's accuracy benchmark (data/README.md). */
export const ACCURACY_SERIES: readonly BenchmarkSeries[] = [
  { name: 'rds_cpu_utilization_cc0c53', file: 'nab/rds_cpu_utilization_cc0c53.csv', stepSeconds: 300 },
  { name: 'rds_cpu_utilization_e47b3b', file: 'nab/rds_cpu_utilization_e47b3b.csv', stepSeconds: 300 },
  { name: 'ec2_cpu_utilization_53ea38', file: 'nab/ec2_cpu_utilization_53ea38.csv', stepSeconds: 300 },
  { name: 'ec2_network_in_257a54', file: 'nab/ec2_network_in_257a54.csv', stepSeconds: 300 },
  { name: 'grok_asg_anomaly', file: 'nab/grok_asg_anomaly.csv', stepSeconds: 300 },
  { name: 'cpu_utilization_asg_misconfiguration', file: 'nab/cpu_utilization_asg_misconfiguration.csv', stepSeconds: 300 },
  { name: 'nyc_taxi', file: 'nab/nyc_taxi.csv', stepSeconds: 1800 },
  // 1-minute counts resampled to 5 minutes (mean requests per minute in each step).
  { name: 'worldcup98', file: 'worldcup98/invocation_count.csv', stepSeconds: 300 },
  { name: 'pedestrians', file: 'prophet-examples/example_pedestrians_multivariate.csv', stepSeconds: 3600, column: 'location_4' },
  // Issue 16: ten series nobody tuned on, Twitter mentions per 5 minutes (daily and weekly cycles, bursts).
  ...['AAPL', 'AMZN', 'CRM', 'CVS', 'FB', 'GOOG', 'IBM', 'KO', 'PFE', 'UPS'].map((ticker) => ({
    name: `tweets_${ticker}`,
    file: `nab/realTweets/Twitter_volume_${ticker}.csv`,
    stepSeconds: 300,
  })),
];
