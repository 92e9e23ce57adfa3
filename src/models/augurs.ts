import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { initSync as initEts } from '@bsull/augurs/ets';
import { initSync as initMstl } from '@bsull/augurs/mstl';

let initialised = false;

/**
 * Loads augurs' WASM modules synchronously, once per thread. The package's
 * default async init fetches by URL, which Node cannot do for file paths, so
 * the bytes are read from the installed package instead.
 */
export function initAugurs(): void {
  if (initialised) return;
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@bsull/augurs/mstl'));
  initMstl({ module: readFileSync(join(dir, 'mstl_bg.wasm')) });
  initEts({ module: readFileSync(join(dir, 'ets_bg.wasm')) });
  initialised = true;
}
