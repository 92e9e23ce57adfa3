import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/** The server process reading its configuration (a child process each: seconds), split from load.test.ts. */
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'prescient-config-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('server start-up configuration', () => {
  it('makes the server exit non-zero at start with every problem listed', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'server:\n  port: -1\ntargets:\n  - name: x\n    source: { type: file }\n');
    const failure = await run('npx', ['tsx', 'src/server.ts', '--config', path], { timeout: 30_000 }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('server.port');
    expect(failure?.stderr).toContain('targets.0.source.path');
  });

  it('makes the server read its configuration from PRESCIENT_CONFIG when no --config is given', async () => {
    const path = join(dir, 'from-env.yaml');
    writeFileSync(path, 'server:\n  grpcPort: -7\ntargets:\n  - name: from-env\n    source: { type: file }\n');
    const failure = await run('npx', ['tsx', 'src/server.ts'], { timeout: 30_000, env: { ...process.env, PRESCIENT_CONFIG: path } }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    // Only that file has these problems: the embedded default it would otherwise serve is valid.
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('server.grpcPort');
    expect(failure?.stderr).toContain('targets.0.source.path');
  });
});
