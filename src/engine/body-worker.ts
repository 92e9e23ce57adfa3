/**
 * Entry point of the bodies lane's thread. Reading a request's series body
 * needs no model, so this thread loads neither WASM nor TF.js: it starts in
 * a fraction of a second, and a body waits for no fit (a 400 must not queue
 * behind ad-hoc fits, nor behind a requests thread restarting after a
 * timed-out fit).
 */
import { runBodyTask } from './body-task.js';
import type { PoolTask, TaskOutcome } from './pool.js';

export default async function handle(task: PoolTask): Promise<TaskOutcome> {
  if (task.kind === 'ready') return { ok: true, ready: true };
  if (task.kind === 'body') return runBodyTask(task.body);
  throw new Error(`the bodies lane runs no ${task.kind} task`);
}
