/**
 * Entry point of a pool worker thread. WASM and TF.js set-up finish here,
 * before the worker takes its first task, so no fit pays for it. The
 * handler is exported as a promise (piscina awaits it) rather than behind a
 * top-level await, which tsx cannot load into a worker thread.
 */
import { initAugurs } from '../models/augurs.js';
import { initTensorflow } from '../models/tf/backend.js';
import { runFitTask, type FitOutcome, type FitTask } from './fit-task.js';

async function ready(): Promise<(task: FitTask) => Promise<FitOutcome>> {
  initAugurs();
  await initTensorflow();
  return runFitTask;
}

export default ready();
