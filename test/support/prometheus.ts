/**
 * A real Prometheus for tests and benchmarks: history is written as
 * OpenMetrics, backfilled with `promtool tsdb create-blocks-from openmetrics`,
 * and served by `prometheus` on a free loopback port from its own temp dir.
 *
 * Needs Debian's prometheus package (`bash scripts/ensure-debian.sh prometheus prometheus promtool` installs it).
 * A missing binary is an error, never a silent skip.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { generateSyntheticHistory, type SyntheticHistory } from './synthetic-openmetrics.js';

const execFileAsync = promisify(execFile);

export interface BackfillHistory {
  readonly openMetrics: string;
  /** A time (ms) at which `readyQuery` has data: readiness waits for it. */
  readonly endMs: number;
}

export interface StartPrometheusOptions<H extends BackfillHistory> {
  /** What to backfill; default: generateSyntheticHistory() (28 days ending now). */
  readonly history?: H;
  /** An instant query that returns data once the backfill is served. */
  readonly readyQuery?: string;
  /** How long start and restart may take (default 60 s). */
  readonly startTimeoutMs?: number;
  /** Live targets to scrape besides the backfill (default none), e.g. a running Prescient's /metrics. */
  readonly scrape?: readonly ScrapeTarget[];
}

export interface ScrapeTarget {
  /** The `job` label. */
  readonly job: string;
  /** host:port */
  readonly address: string;
  /** Default 1 s, so a test sees several scrapes within seconds. */
  readonly intervalSeconds?: number;
}

export interface PrometheusHarness<H extends BackfillHistory = SyntheticHistory> {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly history: H;
  /** True while the prometheus process runs. */
  running(): boolean;
  /** Stops Prometheus (SIGTERM, SIGKILL after 10 s); data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data, and waits until it serves. */
  restart(): Promise<void>;
  /** Stops it and removes its temp dir. */
  close(): Promise<void>;
}

/** Finds an executable on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function requireBinaries(): { prometheus: string; promtool: string } {
  const prometheus = findExecutable('prometheus');
  const promtool = findExecutable('promtool');
  if (!prometheus || !promtool) {
    const missing = [prometheus ? undefined : 'prometheus', promtool ? undefined : 'promtool'].filter(Boolean).join(' and ');
    throw new Error(
      `${missing} not found on PATH${process.env['CI'] === 'true' ? ' (CI)' : ''}: the real-Prometheus tests need them. ` +
        'Run `bash scripts/ensure-debian.sh prometheus prometheus promtool` (installs Debian\'s "prometheus" package).',
    );
  }
  return { prometheus, promtool };
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// Children still running when the test process exits are killed, so no Prometheus outlives its test run.
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

/** Prometheus' configuration: without `scrape` every sample comes from the backfilled blocks. */
function prometheusConfig(scrape: readonly ScrapeTarget[]): string {
  const lines = ['global:', '  scrape_interval: 1h', '  evaluation_interval: 1h'];
  if (scrape.length === 0) return [...lines, 'scrape_configs: []', ''].join('\n');
  lines.push('scrape_configs:');
  for (const t of scrape) {
    const interval = `${t.intervalSeconds ?? 1}s`;
    lines.push(`  - job_name: ${JSON.stringify(t.job)}`, `    scrape_interval: ${interval}`, `    scrape_timeout: ${interval}`, `    static_configs:`, `      - targets: [${JSON.stringify(t.address)}]`);
  }
  return [...lines, ''].join('\n');
}

/**
 * Backfills `history` into a fresh TSDB and starts Prometheus on it.
 * Resolves once /-/ready answers and `readyQuery` at `history.endMs` returns data.
 * @throws Error when prometheus/promtool are missing, promtool fails, or
 *   Prometheus does not become ready in time (with the tail of its log).
 */
export async function startPrometheus<H extends BackfillHistory = SyntheticHistory>(
  options: StartPrometheusOptions<H> = {},
): Promise<PrometheusHarness<H>> {
  const binaries = requireBinaries();
  const history = (options.history ?? generateSyntheticHistory()) as H;
  const readyQuery = options.readyQuery ?? 'count({__name__=~".+"})';
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;

  const root = await mkdtemp(join(tmpdir(), 'prescient-prometheus-'));
  const dataDir = join(root, 'data');
  const configFile = join(root, 'prometheus.yml');
  try {
    await writeFile(configFile, prometheusConfig(options.scrape ?? []));
    await backfill(binaries.promtool, history.openMetrics, root, dataDir);
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }

  let port = 0;
  let child: ChildProcess | undefined;
  let logTail = '';

  const launch = async (): Promise<void> => {
    logTail = '';
    const proc = spawn(
      binaries.prometheus,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Retention counts back from the newest block, but keep it long so nothing backfilled is ever dropped.
        '--storage.tsdb.retention.time=3650d',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = proc;
    liveChildren.add(proc);
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (text: string) => {
      logTail = (logTail + text).slice(-4000);
    });
    proc.once('exit', () => liveChildren.delete(proc));
    await waitUntilServing(`http://127.0.0.1:${port}`, proc, readyQuery, history.endMs, startTimeoutMs, () => logTail);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      proc.once('exit', () => {
        clearTimeout(killer);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  };

  // A port can be taken between probing and binding; try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      await stop();
      if (attempt < 3 && /address already in use/i.test(logTail)) continue;
      await rm(root, { recursive: true, force: true });
      throw err;
    }
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    history,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    stop,
    async restart() {
      await stop();
      await launch();
    },
    async close() {
      await stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * Writes `openMetrics` into TSDB blocks under `dataDir`.
 * Why --max-block-duration: by default promtool cuts 2-hour blocks and
 * re-reads its whole input once per block, so 28 days cost 336 passes and
 * 336 block writes (14 s here, 20 s under load). The flag is hidden in
 * promtool's help but present since 2.3x; with it the same history becomes
 * three blocks in about a second. Older promtools fall back to the default.
 */
async function backfill(promtool: string, openMetrics: string, root: string, dataDir: string): Promise<void> {
  const file = join(root, 'history.om');
  await writeFile(file, openMetrics);
  const run = (extra: string[]) =>
    execFileAsync(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', ...extra, file, dataDir], { maxBuffer: 16 * 1024 * 1024 });
  try {
    await run(['--max-block-duration=8760h']).catch(async (err: { stderr?: string }) => {
      if (!/unknown long flag/i.test(err.stderr ?? '')) throw err;
      await run([]);
    });
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string };
    throw new Error(`promtool backfill failed: ${stderr?.trim() || message}`, { cause: err });
  } finally {
    await rm(file, { force: true });
  }
}

async function waitUntilServing(
  url: string,
  proc: ChildProcess,
  readyQuery: string,
  atMs: number,
  timeoutMs: number,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  proc.once('exit', () => {
    exited = true;
  });
  const queryUrl = `${url}/api/v1/query?${new URLSearchParams({ query: readyQuery, time: (atMs / 1000).toString() }).toString()}`;
  let last = 'not started';
  while (Date.now() < deadline) {
    if (exited) throw new Error(`prometheus exited during start-up: ${log().trim()}`);
    try {
      const ready = await fetch(`${url}/-/ready`);
      if (ready.ok) {
        const answer = (await (await fetch(queryUrl)).json()) as { status?: string; data?: { result?: unknown[] } };
        if (answer.status === 'success' && (answer.data?.result?.length ?? 0) > 0) return;
        last = `ready, but ${readyQuery} has no data yet`;
      } else {
        last = `/-/ready answered ${ready.status}`;
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`prometheus at ${url} not serving after ${timeoutMs} ms (${last}): ${log().trim()}`);
}
