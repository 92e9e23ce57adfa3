// Worker-thread entry for backend.slow.test.ts: fits the LSTM inside a
// worker_threads Worker (as the piscina pool will) and posts what it saw.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { fitLstm, initTensorflow } = await import('../../../src/models/lstm.ts');
const { tensorflowInfo } = await import('../../../src/models/tf/backend.ts');
await initTensorflow();
const info = await tensorflowInfo();
const fitted = await fitLstm(workerData.values, workerData.ctx, workerData.options);
const forecast = fitted.predict(workerData.horizon, workerData.levels);
fitted.dispose();
parentPort.postMessage({ info, forecast });
