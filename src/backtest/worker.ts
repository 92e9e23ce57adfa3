/**
 * Worker-thread entry of src/backtest/runner.ts: runs one backtest from
 * `workerData` and posts the result, or the coded error as data (a thrown
 * error loses its code when cloned out of a thread).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toPrescientError } from '../errors.js';
import { initAugurs } from '../models/augurs.js';
import type { BacktestJob } from './runner.js';
import { runBacktest } from './run.js';

async function main(): Promise<void> {
  try {
    initAugurs();
    const result = await runBacktest(workerData as BacktestJob);
    parentPort?.postMessage({ ok: true, result });
  } catch (err) {
    parentPort?.postMessage({ ok: false, error: toPrescientError(err).toJSON() });
  }
}

void main();
