import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * What makes a persisted file survive a power loss cannot be seen in the file
 * afterwards, only in the system calls: a real process runs writeFileAtomic
 * under strace, and the trace must show the temporary fsynced before its
 * rename, and the directory opened and fsynced after it (issue 11, item 10).
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'prescient-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Call {
  readonly name: string;
  readonly args: string;
  result?: string;
}

/** strace -f lines, in the order calls started; an interrupted call (`<unfinished ...>`) gets its result from its `resumed` line. */
function parseTrace(text: string): Call[] {
  const calls: Call[] = [];
  const pending = new Map<string, Call>();
  for (const line of text.split('\n')) {
    const pid = /^(?:\[pid\s+)?(\d+)\]?\s/.exec(line)?.[1] ?? '0';
    const body = line.replace(/^(?:\[pid\s+\d+\]|\d+)\s+/, '');
    const resumed = /^<\.\.\. (\w+) resumed>.*= (-?\d+)/.exec(body);
    if (resumed) {
      const call = pending.get(pid);
      if (call) call.result = resumed[2];
      pending.delete(pid);
      continue;
    }
    const started = /^(\w+)\((.*)/.exec(body);
    if (!started) continue;
    const call: Call = { name: started[1]!, args: started[2]! };
    const result = /\) += (-?\d+)/.exec(body)?.[1];
    if (result !== undefined) call.result = result;
    else if (body.includes('<unfinished')) pending.set(pid, call);
    calls.push(call);
  }
  return calls;
}

describe('writeFileAtomic under strace', () => {
  it('fsyncs the temporary before the rename and the directory after it', () => {
    const target = join(dir, 'state.json');
    const trace = join(dir, 'trace.txt');
    const script = `import { writeFileAtomic } from ${JSON.stringify(join(root, 'src', 'atomic-file.ts'))}; await writeFileAtomic(process.argv[1], '{"ok":true}');`;
    const run = spawnSync('strace', ['-f', '-qq', '-o', trace, '-e', 'trace=openat,fsync,fdatasync,rename,renameat,renameat2', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script, target], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('{"ok":true}');
    expect(readdirSync(dir).sort()).toEqual(['state.json', 'trace.txt']);

    const calls = parseTrace(readFileSync(trace, 'utf8'));
    const quoted = (path: string) => `"${path}"`;
    const openTemp = calls.findIndex((c) => c.name === 'openat' && /state\.json\.\d+\.[0-9a-f]+\.tmp"/.test(c.args) && c.args.includes('O_CREAT'));
    expect(openTemp, 'the temporary is opened').toBeGreaterThanOrEqual(0);
    const tempFd = calls[openTemp]!.result;
    const renameAt = calls.findIndex((c) => c.name.startsWith('rename') && c.args.includes(`${quoted(target)}`));
    expect(renameAt, 'the temporary is renamed over the file').toBeGreaterThan(openTemp);
    const syncTemp = calls.findIndex((c, i) => i > openTemp && (c.name === 'fsync' || c.name === 'fdatasync') && c.args.startsWith(`${tempFd})`));
    expect(syncTemp, 'the temporary is fsynced').toBeGreaterThan(openTemp);
    expect(syncTemp, 'before the rename').toBeLessThan(renameAt);
    const openDir = calls.findIndex((c, i) => i > renameAt && c.name === 'openat' && c.args.includes(`${quoted(dir)},`));
    expect(openDir, 'the directory is opened after the rename').toBeGreaterThan(renameAt);
    const dirFd = calls[openDir]!.result;
    const syncDir = calls.findIndex((c, i) => i > openDir && c.name === 'fsync' && c.args.startsWith(`${dirFd})`));
    expect(syncDir, 'and fsynced').toBeGreaterThan(openDir);
  }, 90_000);
});
