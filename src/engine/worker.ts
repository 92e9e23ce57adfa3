/**
 * Entry point of a pool worker thread. WASM set-up happens here, before the
 * worker takes its first task, so no fit pays for it.
 */
import { initAugurs } from '../models/augurs.js';
import { runFitTask, type FitOutcome, type FitTask } from './fit-task.js';

initAugurs();

export default async function handle(task: FitTask): Promise<FitOutcome> {
  return runFitTask(task);
}
