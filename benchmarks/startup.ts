/**
 * Start-up of the service on the embedded demo configuration: seconds from
 * spawn to the first `/healthz` answer, and the resident memory of the whole
 * process tree (npm, tsx's child node, the server) at that moment and once
 * `/readyz` says every demo target has its first forecast. Compared: the
 * compiled start (`node dist/server.js`, what the image runs) and
 * `npm start` (TypeScript through tsx). Goal (issue 14): compiled ≤ 5 s and
 * ≤ 160 MB on 2 cores.
 *
 * Each run gets a fresh models directory, so no persisted forecast shortens
 * it. Runs alternate between the two starts so a burst of load from other
 * processes on the machine falls on both. RSS is read from /proc for every
 * process in the started process group.
 *
 * Run: npx tsx benchmarks/startup.ts [--runs 5]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from './free-port.js';
import { loadAtStart, loadNote } from './machine-load.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(args.runs);
const root = fileURLToPath(new URL('..', import.meta.url));
const GOAL = { healthzSeconds: 5, rssMiB: 160 };

/** Resident memory (MiB) of every live process whose process group is `pgid`. */
function groupRssMiB(pgid: number): number {
  let kib = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command's closing parenthesis: state ppid pgrp …
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      kib += Number(rss?.[1] ?? 0);
    } catch {
      // The process ended between listing and reading.
    }
  }
  return kib / 1024;
}

async function waitFor(url: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${url} did not answer in time`);
}

interface Run {
  healthzSeconds: number;
  rssAtHealthzMiB: number;
  readySeconds: number;
  rssAtReadyMiB: number;
  processes: number;
}

async function once(command: string, argv: string[]): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'prescient-startup-'));
  const port = await freePort();
  const grpcPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(command, argv, {
    cwd: dir,
    env: {
      ...process.env,
      PRESCIENT_DEMO: '1',
      PORT: String(port),
      GRPC_PORT: String(grpcPort),
      LOG_LEVEL: 'warn',
      PRESCIENT_MODELS_DIR: join(dir, 'models'),
    },
    stdio: 'ignore',
    detached: true,
  });
  const pgid = child.pid as number;
  try {
    await waitFor(`${base}/healthz`, Date.now() + 120_000);
    const healthzSeconds = (performance.now() - started) / 1000;
    const rssAtHealthzMiB = groupRssMiB(pgid);
    const processes = Number(
      execFileSync('ps', ['-o', 'pid=', '-g', String(pgid)], { encoding: 'utf8' })
        .trim()
        .split('\n').length,
    );
    await waitFor(`${base}/readyz`, Date.now() + 300_000);
    const readySeconds = (performance.now() - started) / 1000;
    return { healthzSeconds, rssAtHealthzMiB, readySeconds, rssAtReadyMiB: groupRssMiB(pgid), processes };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-pgid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) process.kill(-pgid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

async function main(): Promise<void> {
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  const starts = {
    compiled: { command: process.execPath, argv: [join(root, 'dist', 'server.js')] },
    npmStart: { command: 'npm', argv: ['start', '--prefix', root] },
  };
  const results: Record<string, Run[]> = { compiled: [], npmStart: [] };
  const loadBefore = loadAtStart();
  for (let i = 0; i < runs; i++) {
    for (const [name, start] of Object.entries(starts)) {
      const run = await once(start.command, start.argv);
      results[name]!.push(run);
      process.stdout.write(
        `${name} run ${i + 1}: /healthz ${run.healthzSeconds.toFixed(2)} s, ${run.rssAtHealthzMiB.toFixed(0)} MiB; /readyz ${run.readySeconds.toFixed(1)} s, ${run.rssAtReadyMiB.toFixed(0)} MiB (${run.processes} processes)\n`,
      );
    }
  }
  const summary = (list: Run[]) => ({
    processes: list[0]?.processes,
    medianHealthzSeconds: round(median(list.map((r) => r.healthzSeconds))),
    medianRssAtHealthzMiB: round(median(list.map((r) => r.rssAtHealthzMiB)), 0),
    medianReadySeconds: round(median(list.map((r) => r.readySeconds)), 1),
    medianRssAtReadyMiB: round(median(list.map((r) => r.rssAtReadyMiB)), 0),
    runs: list.map((r) => ({
      healthzSeconds: round(r.healthzSeconds),
      rssAtHealthzMiB: round(r.rssAtHealthzMiB, 0),
      readySeconds: round(r.readySeconds, 1),
      rssAtReadyMiB: round(r.rssAtReadyMiB, 0),
    })),
  });
  const compiled = summary(results.compiled!);
  const npmStart = summary(results.npmStart!);
  const figures = {
    benchmark: 'startup',
    configuration: 'embedded demo (PRESCIENT_DEMO=1), fresh models directory per run',
    runsPerStart: runs,
    loadAverage1mBefore: round(loadBefore),
    loadAverage1mAfter: round(loadavg()[0] as number),
    command: `npx tsx benchmarks/startup.ts --runs ${runs}`,
    load: loadNote(loadBefore),
    compiled,
    npmStart,
    verdicts: [
      {
        goal: `compiled start: /healthz answers within ${GOAL.healthzSeconds} s (median of ${runs})`,
        figure: `${compiled.medianHealthzSeconds} s`,
        met: compiled.medianHealthzSeconds <= GOAL.healthzSeconds,
      },
      {
        goal: `compiled start: RSS ≤ ${GOAL.rssMiB} MiB at /healthz (median of ${runs})`,
        figure: `${compiled.medianRssAtHealthzMiB} MiB`,
        met: compiled.medianRssAtHealthzMiB <= GOAL.rssMiB,
      },
    ],
  };
  mkdirSync(join(root, 'benchmarks/out'), { recursive: true });
  writeFileSync(join(root, 'benchmarks/out/startup.json'), `${JSON.stringify(figures, null, 2)}\n`);
  process.stdout.write(
    `${JSON.stringify({ compiled: { ...compiled, runs: undefined }, npmStart: { ...npmStart, runs: undefined }, verdicts: figures.verdicts })}\n`,
  );
}

await main();
