/**
 * Entry point of a pool worker thread. WASM and TF.js set-up finish here,
 * before the worker takes its first task, so no task pays for it. The
 * handler is exported as a promise (piscina awaits it) rather than behind a
 * top-level await, which tsx cannot load into a worker thread.
 */
import { runBacktest } from '../backtest/run.js';
import { toPrescientError } from '../errors.js';
import { initAugurs } from '../models/augurs.js';
import { initTensorflow } from '../models/tf/backend.js';
import { runBodyTask } from './body-task.js';
import { runFitTask } from './fit-task.js';
import type { PoolTask, TaskOutcome } from './pool.js';
import { runPrepareTask } from './prepare-task.js';

async function handle(task: PoolTask): Promise<TaskOutcome> {
  if (task.kind === 'ready') return { ok: true, ready: true };
  if (task.kind === 'fit') return runFitTask(task.fit);
  if (task.kind === 'prepare') return runPrepareTask(task.prepare);
  if (task.kind === 'body') return runBodyTask(task.body);
  // Errors travel as data: a thrown error loses its code when cloned out of the thread.
  return runBacktest(task.job).then(
    (result) => ({ ok: true, result }),
    (err: unknown) => ({ ok: false, error: toPrescientError(err).toJSON() }),
  );
}

async function ready(): Promise<typeof handle> {
  initAugurs();
  await initTensorflow();
  return handle;
}

export default ready();
