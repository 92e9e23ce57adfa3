import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyArgs, readStages, ROOT, stageEnv } from '../support/dockerfile.js';

/**
 * The image's promises, read from the Dockerfile itself (hadolint is in
 * neither Debian's nor npm's registry, and no container engine runs here;
 * test/server.slow.test.ts runs the laid-out image). The compiled start in
 * that suite proves the files are enough; this one proves the rules.
 */
const stages = readStages();
const final = stages.at(-1)!;
const instructions = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword);

describe('Dockerfile', () => {
  it('builds in stages on a supported Node.js LTS line (22 or 24), pinned to a slim Debian', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.base).toMatch(/^node:(22|24)-(bookworm|trixie)-slim$/);
    expect(stages[0]?.instructions.some((i) => i.keyword === 'RUN' && i.args.includes('npm run build'))).toBe(true);
  });

  it('runs node dist/server.js as PID 1, as a numeric non-root user', () => {
    expect(instructions('CMD').map((i) => JSON.parse(i.args) as string[])).toEqual([['node', 'dist/server.js']]);
    expect(final.instructions.some((i) => i.keyword === 'ENTRYPOINT')).toBe(false);
    const users = instructions('USER');
    expect(users).toHaveLength(1);
    expect(users[0]?.args).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
  });

  it('ships no TypeScript source, compiler or tsx start in the final stage', () => {
    const copies = instructions('COPY').map((i) => copyArgs(i.args));
    expect(copies.flatMap((c) => c.sources)).not.toContain('src');
    expect(copies.find((c) => c.dest.includes('dist'))?.from).toBe(stages[0]?.name);
    expect(stages[0]?.instructions.find((i) => i.args.includes('npm run build'))?.args).toContain('npm prune --omit=dev');
  });

  it('binds beyond loopback and needs a mounted configuration (the demo only with PRESCIENT_DEMO=1)', () => {
    const env = stageEnv(final);
    expect(env).toMatchObject({ HOST: '0.0.0.0', PRESCIENT_CONFIG: '/config/prescient.yaml', NODE_ENV: 'production' });
    expect(env).not.toHaveProperty('PRESCIENT_AUTH_TOKEN');
    expect(env).not.toHaveProperty('PRESCIENT_ALLOW_UNAUTHENTICATED');
    expect(env).not.toHaveProperty('PRESCIENT_DEMO');
  });

  it('copies only files that exist and keeps build output and modules out of the context', () => {
    for (const stage of stages) {
      for (const copy of stage.instructions.filter((i) => i.keyword === 'COPY').map((i) => copyArgs(i.args))) {
        if (copy.from) expect(stages.map((s) => s.name)).toContain(copy.from);
        else for (const source of copy.sources) expect(existsSync(join(ROOT, source)), source).toBe(true);
      }
    }
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });
});
