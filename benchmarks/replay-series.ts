/**
 * The series of the replay benchmark: those of the accuracy benchmark
 * (data/README.md): the daily-seasonal series of data/ and NAB's ten
 * realTweets series (`tweets_<ticker>`, tweets mentioning a company per
 * 5 minutes, data/nab/realTweets, MIT).
 */
import { ACCURACY_SERIES, type BenchmarkSeries } from './accuracy-series.js';

export const REPLAY_SERIES: readonly BenchmarkSeries[] = ACCURACY_SERIES;
