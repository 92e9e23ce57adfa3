// Worker entry when Prescient runs from TypeScript source (npm start, tests):
// registers tsx's loader inside this thread, then loads the real entry. On
// Node 20 `--import tsx` in a worker's execArgv does not reliably reach the
// worker's own module graph; registering here does.
import { register } from 'tsx/esm/api';

register();
const { default: handler } = await import('./worker.ts');
export default handler;
