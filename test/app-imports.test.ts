import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const HEAVY = String.raw`node_modules/(@tensorflow|arima|@bsull)`;

/** The heavy model packages a fresh Node process has loaded after importing `module` (a path under src/). */
async function heavyModulesAfterImporting(module: string): Promise<string[]> {
  const script = [
    "import { createRequire } from 'node:module';",
    `await import(${JSON.stringify(`${root}${module}`)});`,
    'const require = createRequire(import.meta.url);',
    `console.log(JSON.stringify(Object.keys(require.cache).filter((k) => new RegExp(${JSON.stringify(HEAVY)}).test(k))));`,
  ].join('\n');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as string[];
}

describe("the service's main thread", () => {
  // TF.js and the WASM models cost seconds of start-up and tens of MB; only the pool's workers fit models.
  it('imports no model library: only the workers load TF.js, arima and augurs', async () => {
    expect(await heavyModulesAfterImporting('src/app.ts')).toEqual([]);
  });

  it('would show them if something imported the registry (the check can fail)', async () => {
    expect((await heavyModulesAfterImporting('src/models/registry.ts')).length).toBeGreaterThan(0);
  });
});
