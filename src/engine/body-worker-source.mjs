// Entry of the bodies lane's thread when Prescient runs from TypeScript source: as ./worker-source.mjs, for ./body-worker.ts.
import { register } from 'tsx/esm/api';

register();
const { default: handler } = await import('./body-worker.ts');
export default handler;
