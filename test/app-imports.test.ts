import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const HEAVY = String.raw`node_modules/(@tensorflow|arima|@bsull)`;

/**
 * The heavy model packages a fresh Node process has loaded after importing each of `modules` (paths under
 * src/) in turn: one list per module, each counting everything imported so far. One process serves both
 * tests below (starting tsx on the whole of src/ costs seconds).
 */
async function heavyModulesAfterImporting(modules: readonly string[]): Promise<string[][]> {
  const script = [
    "import { createRequire } from 'node:module';",
    'const require = createRequire(import.meta.url);',
    'const seen = [];',
    `for (const module of ${JSON.stringify(modules.map((m) => `${root}${m}`))}) {`,
    '  await import(module);',
    `  seen.push(Object.keys(require.cache).filter((k) => new RegExp(${JSON.stringify(HEAVY)}).test(k)));`,
    '}',
    'console.log(JSON.stringify(seen));',
  ].join('\n');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as string[][];
}

// The app first, then the registry: what the app alone loads, and that the check sees a heavy package once one is loaded.
let seen: Promise<string[][]> | undefined;
const afterImporting = (step: number) => (seen ??= heavyModulesAfterImporting(['src/app.ts', 'src/models/registry.ts'])).then((lists) => lists[step]);

describe("the service's main thread", () => {
  // TF.js and the WASM models cost seconds of start-up and tens of MB; only the pool's workers fit models.
  it('imports no model library: only the workers load TF.js, arima and augurs', async () => {
    expect(await afterImporting(0)).toEqual([]);
  });

  it('would show them if something imported the registry (the check can fail)', async () => {
    expect((await afterImporting(1))?.length).toBeGreaterThan(0);
  });
});
