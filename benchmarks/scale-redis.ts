/**
 * Fit throughput of worker replicas on Redis (issue 15): fits per minute
 * with 1 worker process and with 2 (each one fit thread), on a real
 * redis-server, and the sizing rule that follows for 10,000 targets.
 * N `mstl` targets (copies of real series from data/) with a long refresh
 * interval, so each worker only takes first-fit jobs; a fit counts when its
 * forecast is announced on the updates channel. The first 30 s of each
 * phase (thread start-up) are not counted.
 *
 * Goal: ≥ 1.8 × the fits per minute with 2 workers as with 1.
 *
 * Two workers can only double the rate when two cores are free for them:
 * the result records the machine's load (machine-load.ts).
 *
 *   npx tsx benchmarks/scale-redis.ts [--targets 3000] [--minutes 1.5]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { copyFleetSeries, FLEET_SERIES } from './fleet.js';
import { freePort } from './free-port.js';
import { loadAtStart, loadNote } from './machine-load.js';

const { values: args } = parseArgs({ options: { targets: { type: 'string', default: '3000' }, minutes: { type: 'string', default: '3' } } });
const root = new URL('..', import.meta.url).pathname;
const count = Number(args.targets);
const windowMs = Number(args.minutes) * 60_000;
const WARMUP_MS = 30_000;
const startLoad = loadAtStart();
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'prescient-scale-redis-'));
const killAll = (): void => {
  for (const child of children) {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
};
process.on('exit', () => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

const redisPort = await freePort();
const redisServer = spawn(
  'redis-server',
  ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
  { stdio: 'ignore', detached: true },
);
children.push(redisServer);
const url = `redis://127.0.0.1:${redisPort}`;
const admin = new Redis(url, { maxRetriesPerRequest: null });
await admin.ping();

const names = Array.from({ length: count }, (_, i) => `t${String(i).padStart(5, '0')}`);
// The five CPU series only: the throughput figures in RESULTS.md were measured on them.
const paths = copyFleetSeries(dir, names, FLEET_SERIES.slice(0, 5));
const targets = names.map((name, i) => {
  return {
    name,
    source: { type: 'file', path: paths[i] as string, shiftToNow: true },
    history: '14d',
    horizon: '1d',
    models: ['mstl'],
    refreshInterval: '6h',
  };
});
const configPath = join(dir, 'prescient.json');
writeFileSync(configPath, JSON.stringify({ pool: { threads: 1 }, cluster: { redis: { url } }, targets }));

async function phase(workers: number): Promise<{ workers: number; fits: number; fitsPerMinute: number }> {
  await admin.flushall();
  const subscriber = new Redis(url, { maxRetriesPerRequest: null });
  const fitTimes: number[] = [];
  await subscriber.subscribe('prescient:updates');
  subscriber.on('message', (_channel: string, message: string) => {
    if ((JSON.parse(message) as { kind: string }).kind === 'forecast') fitTimes.push(Date.now());
  });
  const started: ChildProcess[] = [];
  for (let i = 0; i < workers; i++) {
    const child = spawn(join(root, 'node_modules/.bin/tsx'), ['src/server.ts', '--config', configPath], {
      cwd: root,
      env: { ...process.env, PRESCIENT_ROLE: 'worker', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
      detached: true,
    });
    children.push(child);
    started.push(child);
  }
  // Count from 30 s after the first fit (every worker's threads are up by then) for the window.
  while (fitTimes.length === 0) await new Promise((r) => setTimeout(r, 500));
  const fromMs = (fitTimes[0] as number) + WARMUP_MS;
  await new Promise((r) => setTimeout(r, fromMs + windowMs - Date.now()));
  const fits = fitTimes.filter((t) => t >= fromMs && t < fromMs + windowMs).length;
  for (const child of started) if (child.pid) process.kill(-child.pid, 'SIGKILL');
  subscriber.disconnect();
  // Every target fits once: when all of them were fitted before the window closed, the workers sat idle for part of it
  // and the rate is not theirs (a quiet run with 400 targets counted 0 fits for 2 workers: all done during the warm-up).
  if (fitTimes.length >= count) throw new Error(`${workers} worker(s) fitted all ${count} targets before the window closed: use more --targets`);
  const result = { workers, fits, fitsPerMinute: round(fits / (windowMs / 60_000)) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return result;
}

const one = await phase(1);
const two = await phase(2);
admin.disconnect();
killAll();
const ratio = round(two.fitsPerMinute / one.fitsPerMinute, 2);
const perWorkerPer15Min = one.fitsPerMinute * 15;
const result = {
  benchmark: 'scale-redis (fit throughput of worker replicas)',
  machine: loadNote(startLoad),
  command: `npx tsx benchmarks/scale-redis.ts --targets ${count} --minutes ${args.minutes}`,
  model: 'mstl (first fits)',
  windowMinutes: Number(args.minutes),
  oneWorker: one,
  twoWorkers: two,
  ratio,
  sizing: {
    mstlRefreshesPerWorkerPer15Minutes: round(perWorkerPer15Min),
    workersFor10000TargetsAt15Minutes: Math.ceil(10_000 / perWorkerPer15Min),
    rule: 'workers = ceil(targets / (fits per minute per worker × refresh interval in minutes)), one fit thread (one core) each, plus one spare',
  },
  verdicts: [
    {
      goal: 'fits per minute with 2 workers ≥ 1.8 × with 1 (each one fit thread)',
      figure: `${ratio} × (${two.fitsPerMinute} vs ${one.fitsPerMinute} per minute)`,
      met: ratio >= 1.8,
    },
  ],
};
mkdirSync(join(root, 'benchmarks/out'), { recursive: true });
writeFileSync(join(root, 'benchmarks/out', 'scale-redis.json'), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
