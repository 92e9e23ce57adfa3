// `npm run build`: tsc compiles src/ to dist/ (tsconfig.build.json), then the
// files the compiled code reads beside itself are copied over: the KEDA
// .proto and the page's static files under src/ui/static. dist/ is emptied
// first so a module deleted from src/ cannot linger and be loaded.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

// Source-only files: the tsx bootstraps for worker threads are never needed by compiled code.
const SOURCE_ONLY = new Set(['engine/worker-source.cjs', 'engine/body-worker-source.cjs']);

function* assets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* assets(path);
    else if (extname(name) !== '.ts' && !SOURCE_ONLY.has(relative(src, path))) yield path;
  }
}

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
let copied = 0;
for (const path of assets(src)) {
  cpSync(path, join(dist, relative(src, path)));
  copied += 1;
}
process.stdout.write(`build: dist/ compiled, ${copied} asset file(s) copied\n`);
