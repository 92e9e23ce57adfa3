import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './redis.js';

/**
 * Prescient replicas as a deployment runs them: each `src/server.ts` in its
 * own process (and process group), its role and Redis from the
 * environment, its JSON log lines kept for the test to read.
 */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Replica {
  readonly name: string;
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  /** http://127.0.0.1:port of an api (or both) replica. */
  readonly base?: string;
}

export async function startReplica(name: string, role: 'api' | 'worker' | 'both', configPath: string, redisUrl: string, env: NodeJS.ProcessEnv = {}): Promise<Replica> {
  const port = await freePort();
  const grpcPort = await freePort();
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['src/server.ts', '--config', configPath], {
    cwd: ROOT,
    env: { ...process.env, PRESCIENT_ROLE: role, PRESCIENT_REDIS_URL: redisUrl, PORT: String(port), GRPC_PORT: String(grpcPort), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so kill -9 reaches tsx's node child too.
    detached: true,
  });
  const replica: Replica = { name, child, lines: [], ...(role === 'worker' ? {} : { base: `http://127.0.0.1:${port}` }) };
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      try {
        replica.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  return replica;
}

/** kill -9 of the replica's process group. */
export function kill9(replica: Replica): void {
  if (!replica.child.pid || replica.child.exitCode !== null) return;
  try {
    process.kill(-replica.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Polls `probe` every 250 ms until it gives a value. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * GET (or another method with a JSON body) and the parsed answer; undefined when the replica does not answer
 * within 15 s. A replica's first series body starts its bodies-lane thread, which took over 5 s on a loaded
 * machine (a backtest POST answered nothing within 5 s at load 15 and failed the test).
 */
export async function requestJson(url: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  try {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      signal: AbortSignal.timeout(15_000),
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}
