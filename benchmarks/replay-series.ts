/**
 * The series of the replay benchmark: the daily-seasonal series of the
 * accuracy benchmark (data/README.md) and NAB's ten realTweets series
 * (tweets mentioning a company per 5 minutes, data/nab/realTweets, MIT).
 */
import { ACCURACY_SERIES, type BenchmarkSeries } from './accuracy.js';

const TWEETS = ['AAPL', 'AMZN', 'CRM', 'CVS', 'FB', 'GOOG', 'IBM', 'KO', 'PFE', 'UPS'] as const;

export const TWEET_SERIES: readonly BenchmarkSeries[] = TWEETS.map((t) => ({
  name: `Twitter_volume_${t}`,
  file: `nab/realTweets/Twitter_volume_${t}.csv`,
  stepSeconds: 300,
}));

export const REPLAY_SERIES: readonly BenchmarkSeries[] = [...ACCURACY_SERIES, ...TWEET_SERIES];
