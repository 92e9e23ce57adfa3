import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Reads the project's Dockerfile and lays its stages out on disk, so tests
 * can run what the image would run without a container engine (these
 * machines have none that can reach an image registry).
 */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  readonly base: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

/** The Dockerfile's stages, with line continuations joined and comments dropped. */
export function readStages(path = join(ROOT, 'Dockerfile')): Stage[] {
  const lines = readFileSync(path, 'utf8')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const [base = '', as, name] = rest;
      stages.push({ base, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

/** `ENV A=1 B=2` instructions of a stage, merged. */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage.instructions) {
    if (keyword !== 'ENV') continue;
    for (const pair of args.split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return env;
}

/** The parts of `COPY [--from=X] SRC... DEST`. */
export function copyArgs(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
}

/**
 * Lays out each stage's files under `dir/<stage index>/` as its COPY lines
 * say (WORKDIR /app is the stage's root). `node_modules`, which the image
 * installs with `npm ci`, is linked to the project's own instead; of the
 * RUN lines only `npm run build` is run (the rest install modules or make
 * folders outside /app). Returns the final stage's directory.
 */
export function layOutStages(dir: string, stages = readStages()): string {
  const stageDirs = new Map<string, string>();
  let last = '';
  stages.forEach((stage, index) => {
    const root = join(dir, String(index));
    mkdirSync(root, { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    for (const { keyword, args } of stage.instructions) {
      if (keyword === 'RUN' && args.split('&&').some((part) => part.trim() === 'npm run build')) {
        execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
      }
      if (keyword !== 'COPY') continue;
      const { from, sources, dest } = copyArgs(args);
      for (const source of sources) {
        const fromPath = from ? join(stageDirs.get(from) ?? '', posix.relative('/app', source)) : join(ROOT, source);
        if (fromPath.endsWith('node_modules')) continue;
        if (!existsSync(fromPath)) throw new Error(`COPY ${source}: ${fromPath} does not exist`);
        const target = dest.endsWith('/') ? join(root, dest, posix.basename(source)) : join(root, dest);
        mkdirSync(dirname(target), { recursive: true });
        cpSync(fromPath, target, { recursive: true });
      }
    }
    if (stage.name) stageDirs.set(stage.name, root);
    last = root;
  });
  return last;
}
