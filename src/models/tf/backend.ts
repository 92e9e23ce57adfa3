import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { PrescientError } from '../../errors.js';

/**
 * TensorFlow.js backend selection for Node, once per thread (main thread or
 * piscina worker: each has its own TF.js engine).
 *
 * Order of preference: `tensorflow` (native, only when @tensorflow/tfjs-node
 * happens to be resolvable, e.g. a production image built with internet
 * access; it is never required), then `wasm` (@tensorflow/tfjs-backend-wasm,
 * measured ~6x faster than `cpu` for our LSTM), then plain `cpu`.
 */

/** The specifier is held in a variable so TypeScript and bundlers do not try to resolve it. */
const TFJS_NODE = '@tensorflow/tfjs-node';

let ready: Promise<void> | undefined;

/** Directory (with a trailing slash) that holds the backend's .wasm files. */
export function wasmDirectory(): string {
  // The package's `main` is dist/tf-backend-wasm.node.js, next to the .wasm files.
  const require = createRequire(import.meta.url);
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

async function tryNative(): Promise<boolean> {
  try {
    await import(TFJS_NODE);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

async function select(): Promise<void> {
  if (await tryNative()) return;
  try {
    setWasmPaths(wasmDirectory());
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return;
    }
  } catch {
    // fall through to cpu: slower, but correct
  }
  if (!(await tf.setBackend('cpu'))) {
    throw new PrescientError('PRESCIENT_ERR_INTERNAL', 'no TensorFlow.js backend could be initialised (tensorflow, wasm, cpu)');
  }
  await tf.ready();
}

/**
 * Initialises TensorFlow.js for this thread: picks the backend and waits for
 * it. Idempotent and safe to call concurrently; a piscina worker awaits it
 * before taking tasks, and every LSTM fit/load awaits it too.
 * @throws PrescientError PRESCIENT_ERR_INTERNAL when no backend can start.
 */
export function initTensorflow(): Promise<void> {
  ready ??= select().catch((err: unknown) => {
    ready = undefined;
    throw err;
  });
  return ready;
}

export interface TensorflowInfo {
  /** Active backend: 'tensorflow', 'wasm' or 'cpu'. */
  readonly backend: string;
  /** WASM only: whether the SIMD build is in use. */
  readonly simd?: boolean;
  /** WASM only: whether the multi-threaded build is in use. */
  readonly threads?: boolean;
}

/** What initTensorflow chose (call after it resolved). */
export async function tensorflowInfo(): Promise<TensorflowInfo> {
  const backend = tf.getBackend();
  if (backend !== 'wasm') return { backend };
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threads = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  return { backend, simd, threads };
}

export { tf };
