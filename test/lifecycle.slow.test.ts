import * as grpc from '@grpc/grpc-js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExternalScalerClient as ExternalScaler } from './keda/helpers.js';

/**
 * The process's life (issue 11, item 8), through the README's own start
 * command: `npm start` is one serving process that drains on SIGTERM sent to
 * npm alone (as a terminal or a supervisor that knows only npm's pid does),
 * a port in use says so in one line, and --help/--version answer.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; scripts: Record<string, string> };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Whether a new TCP connection to the port is accepted now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const work = mkdtempSync(join(tmpdir(), 'prescient-lifecycle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** One target on a real series with a fast model, so the service is ready in seconds. */
function writeConfig(): string {
  const path = join(work, 'prescient.yaml');
  writeFileSync(
    path,
    [
      `modelsDir: ${join(work, 'models')}`,
      'server:',
      '  shutdownGrace: 20s',
      'targets:',
      '  - name: taxi',
      '    source:',
      `      path: ${join(root, 'data', 'nab', 'nyc_taxi.csv')}`,
      '      type: file',
      '      shiftToNow: true',
      '    history: 14d',
      '    horizon: 1d',
      '    models: [snaive]',
      '    scaling: { capacityPerReplica: 2500, minReplicas: 1, maxReplicas: 30 }',
      '',
    ].join('\n'),
  );
  return path;
}

describe('npm start and SIGTERM sent to npm alone', () => {
  let npm: ChildProcess;
  let port: number;
  let grpcPort: number;
  let serverPid = 0;
  let stdout = '';
  let stderr = '';
  let exited: Promise<{ code: number | null; atMs: number }>;

  beforeAll(async () => {
    port = await freePort();
    grpcPort = await freePort();
    npm = spawn('npm', ['start', '--prefix', root, '--', '--config', writeConfig()], {
      cwd: work,
      env: { ...process.env, PORT: String(port), GRPC_PORT: String(grpcPort), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = new Promise((resolve) => npm.once('exit', (code) => resolve({ code, atMs: Date.now() })));
    npm.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    npm.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false)) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const ready = /"pid":(\d+)[^\n]*"msg":"prescient ready"/.exec(stdout);
    if (!ready) throw new Error(`the service did not become ready:\n${stdout}\n${stderr}`);
    serverPid = Number(ready[1]);
    // The first fit on the requests lane waits for its worker to start: do it now, not during the drain.
    const warm = await fetch(`http://127.0.0.1:${port}/api/v1/forecast`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ values: [1, 2, 3, 4, 1, 2, 3, 4], step: 60, horizon: 2, model: 'snaive' }),
    });
    if (warm.status !== 200) throw new Error(`warm-up forecast answered ${warm.status}`);
  }, 240_000);

  afterAll(() => {
    // Only if a test failed half-way: nothing of this test may outlive it.
    if (serverPid && isAlive(serverPid)) process.kill(serverPid, 'SIGKILL');
    if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
  });

  it('serves from the process npm started, with no shell or tsx process between them', () => {
    expect(pkg.scripts.start).toMatch(/^exec node /);
    const parent = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1];
    expect(Number(parent)).toBe(npm.pid);
  });

  it('finishes the request and the stream in flight, refuses new connections, and exits 0 within the grace', async () => {
    // A request in flight: its headers and half its body sent before the signal, the rest after.
    const body = JSON.stringify({ values: [5, 6, 7, 8, 5, 6, 7, 8, 5, 6, 7, 8], step: 60, horizon: 180, model: 'snaive' });
    const socket: Socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    const responded = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(`POST /api/v1/forecast HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`);
    socket.write(body.slice(0, 20));

    // A KEDA stream open on the target.
    const client = new ExternalScaler(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const stream = client.StreamIsActive!({ name: 'taxi', namespace: 'demo', scalerMetadata: { target: 'taxi' } }) as grpc.ClientReadableStream<{ result: boolean }>;
    const answers: boolean[] = [];
    stream.on('data', (message: { result: boolean }) => answers.push(message.result));
    const streamStatus = new Promise<grpc.StatusObject>((resolve) => stream.once('status', resolve));
    stream.on('error', () => undefined);
    while (answers.length === 0) await new Promise((r) => setTimeout(r, 50));

    const signalledAt = Date.now();
    process.kill(npm.pid as number, 'SIGTERM');

    // New connections are refused while the running request is still open.
    let refusedAfterMs = Number.NaN;
    while (Date.now() - signalledAt < 15_000) {
      if (!(await accepts(port))) {
        refusedAfterMs = Date.now() - signalledAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(refusedAfterMs).toBeLessThan(15_000);
    expect(isAlive(serverPid)).toBe(true);

    socket.write(body.slice(20));
    await responded;
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(response).toContain('"point":[8,8,8]');

    // KEDA's stream was ended cleanly (KEDA reopens it on another replica), not cut.
    expect((await streamStatus).code).toBe(grpc.status.OK);
    client.close();

    const exit = await exited;
    expect(exit.code).toBe(0);
    expect(exit.atMs - signalledAt).toBeLessThan(20_000);
    // No orphan: the serving process is gone and neither port answers.
    expect(isAlive(serverPid)).toBe(false);
    expect(await accepts(port)).toBe(false);
    expect(await accepts(grpcPort)).toBe(false);
    expect(stdout).toContain('"msg":"drained, exiting"');
    expect(stderr).not.toMatch(/Error|failed/);
  }, 120_000);
});

/** The server as npm starts it, without npm's own lines on stderr. */
function serverCommand(): string[] {
  const [node, ...args] = pkg.scripts.start!.replace(/^exec /, '').split(' ');
  expect(node).toBe('node');
  return args;
}

describe('a request that does not finish within server.shutdownGrace', () => {
  it('is cut when the grace runs out, and the process exits 1 then, not later', async () => {
    const port = await freePort();
    const config = join(work, 'short-grace.yaml');
    writeFileSync(config, `modelsDir: ${join(work, 'models-short')}\nserver:\n  shutdownGrace: 2s\n`);
    const child = spawn(process.execPath, [...serverCommand(), '--config', config], {
      cwd: root,
      env: { ...process.env, PORT: String(port), GRPC_PORT: String(await freePort()), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<{ code: number | null; atMs: number }>((resolve) => child.once('exit', (code) => resolve({ code, atMs: Date.now() })));
    try {
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline && !(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false))) await new Promise((r) => setTimeout(r, 200));
      // A body that never arrives in full: it holds its request open past any grace.
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => undefined);
      socket.write('POST /api/v1/forecast HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"values":');
      await new Promise((r) => setTimeout(r, 300));
      const signalledAt = Date.now();
      child.kill('SIGTERM');
      const exit = await exited;
      await closed;
      expect(exit.code).toBe(1);
      const tookMs = exit.atMs - signalledAt;
      expect(tookMs).toBeGreaterThanOrEqual(2_000);
      expect(tookMs).toBeLessThan(10_000);
      expect(stdout).toContain('drain did not finish within server.shutdownGrace');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 180_000);
});

describe('a port already in use', () => {
  let blocker: Server;
  let taken: number;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    taken = (blocker.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  const start = (env: Record<string, string>) =>
    spawnSync(process.execPath, [...serverCommand(), '--config', writeConfig()], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });

  it('stops with one line naming the HTTP port and PORT', async () => {
    const result = start({ PORT: String(taken), GRPC_PORT: String(await freePort()) });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `prescient: PRESCIENT_ERR_PORT_IN_USE: the HTTP port ${taken} on 127.0.0.1 is already in use; set PORT to a free port`,
    ]);
  }, 130_000);

  it('stops with one line naming the gRPC port and GRPC_PORT, having released the HTTP port', async () => {
    const httpPort = await freePort();
    const result = start({ PORT: String(httpPort), GRPC_PORT: String(taken) });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `prescient: PRESCIENT_ERR_PORT_IN_USE: the gRPC port ${taken} on 127.0.0.1 is already in use; set GRPC_PORT to a free port`,
    ]);
    expect(await accepts(httpPort)).toBe(false);
  }, 130_000);
});

describe('prescient --help and --version', () => {
  it('prints the usage and exits 0', () => {
    const result = spawnSync('npm', ['start', '--silent', '--prefix', root, '--', '--help'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: prescient \[--config FILE\]/);
    expect(result.stdout).toContain('GRPC_PORT');
    expect(result.stdout).toContain('shutdownGrace');
  }, 70_000);

  it('prints the version from package.json and exits 0', () => {
    const result = spawnSync(process.execPath, [...serverCommand(), '--version'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`prescient ${pkg.version}\n`);
  }, 70_000);

  it('refuses an unknown option in one line and exits 2', () => {
    const result = spawnSync(process.execPath, [...serverCommand(), '--bogus'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain("--bogus");
  }, 70_000);
});
