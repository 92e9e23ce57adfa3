import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { FitContext, Forecast } from '../../../src/models/forecaster.js';
import { fitLstm } from '../../../src/models/lstm.js';
import { initTensorflow, type TensorflowInfo, tensorflowInfo } from '../../../src/models/tf/backend.js';

const DAY = 24;
const values = Array.from({ length: 12 * DAY }, (_, i) => 30 + 10 * Math.sin((2 * Math.PI * i) / DAY) + ((i * 7919) % 13) / 4);
const ctx: FitContext = {
  stepSeconds: 3600,
  startMs: Date.UTC(2026, 2, 1),
  seasonalPeriods: [DAY],
  deadlineMs: Date.now() + 100_000,
  seed: 3,
};
const options = { maxEpochs: 2 };

function fitInWorker(): Promise<{ info: TensorflowInfo; forecast: Forecast }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./fit-in-worker.mjs', import.meta.url), {
      workerData: { values, ctx, options, horizon: DAY, levels: [0.9] },
    });
    worker.once('message', (message: { info: TensorflowInfo; forecast: Forecast }) => {
      void worker.terminate();
      resolve(message);
    });
    worker.once('error', reject);
  });
}

describe('TensorFlow.js backend', () => {
  it('is initialised once, idempotently, on WASM with SIMD and without threads (TF.js disables them in Node)', async () => {
    await Promise.all([initTensorflow(), initTensorflow()]);
    await initTensorflow();
    expect(await tensorflowInfo()).toEqual({ backend: 'wasm', simd: true, threads: false });
  });

  it('fits inside a worker thread on WASM, with the same forecast as the main thread', async () => {
    const [inWorker, here] = await Promise.all([fitInWorker(), fitLstm(values, ctx, options)]);
    try {
      expect(inWorker.info.backend).toBe('wasm');
      expect(inWorker.forecast).toEqual(here.predict(DAY, [0.9]));
    } finally {
      here.dispose();
    }
  });
});
