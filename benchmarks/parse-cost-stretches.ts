/**
 * What the event loop's stalls during one body are made of (issue 11, item 3): the loop's thread sampled on
 * its core by `perf record -e cpu-clock -t <loop tid>` (Linux, perf installed; PERF_HZ, default 10 kHz), beside
 * each request's worst stall (monitorEventLoopDelay), the loop's CPU and the time it waited for a core
 * (/proc schedstat's run delay). A stretch is a run of samples less than 2.5 sampling periods apart: time the
 * thread spent on a core without leaving it. A stall much longer than the longest stretch, in a request whose
 * loop waited long for a core, is the machine's (other processes, or this process's other threads, on the
 * cores), not the loop's own work. perf's sampling costs the sampled thread CPU too: the loop's CPU and the
 * stretches read high (upper bounds), by about 2x at 10 kHz on the machine measured.
 *
 * Run: npx tsx benchmarks/parse-cost-stretches.ts [sends, default 20] [body index, default 1 (the accepted 1.09 MB)]
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config/load.js';
import { seriesBodyOptions } from '../src/api/json-body.js';
import { warmBodyMemory } from '../src/api/body-memory.js';
import { startClient, loopThread } from './parse-cost-measure.js';

const N = Number(process.argv[2] ?? 20);
const index = Number(process.argv[3] ?? 1);
const config = parseConfig({ modelsDir: mkdtempSync(join(tmpdir(), 'prescient-parse-cost-stretches-')), limits: { fitRequests: { max: 100_000 } }, pool: { requestThreads: 1 } });
const { sendTo, stop } = await startClient();
const app = await buildApp({ config, logger: false, startEngine: false });
warmBodyMemory(config.server.bodyWarmUpBytes, seriesBodyOptions(config).bodyLimit);
await app.listen({ host: '127.0.0.1', port: 0 });
const a = app.server.address();
const send = sendTo(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
await send(0, 1, false);
for (let r = 0; r < 10; r++) await send(index, 1, false, r % 2 === 1);
const data = '/tmp/i11-perf.data';
const perf = spawn('perf', ['record', '-q', '-F', String(Number(process.env.PERF_HZ ?? 10000)), '-e', 'cpu-clock', '-k', 'CLOCK_MONOTONIC', '-t', String(process.pid), '-o', data], { stdio: 'inherit' });
await new Promise((resolve) => setTimeout(resolve, 500));
const h = monitorEventLoopDelay({ resolution: 1 });
const windows: Array<{ from: number; to: number; stall: number; waitMs: number; cpuMs: number; ms: number }> = [];
for (let r = 0; r < N; r++) {
  h.reset(); h.enable();
  const before = loopThread();
  const from = Number(process.hrtime.bigint()) / 1e9;
  const res = await send(index, 1, false, r % 2 === 1);
  const to = Number(process.hrtime.bigint()) / 1e9;
  const after = loopThread();
  h.disable();
  windows.push({ from, to, stall: h.max / 1e6, waitMs: after.waitMs - before.waitMs, cpuMs: after.cpuMs - before.cpuMs, ms: res.ms });
}
perf.kill('SIGINT');
await new Promise((resolve) => perf.once('close', resolve));
stop(); await app.close();
const HZ = Number(process.env.PERF_HZ ?? 10000);
const times = execFileSync('perf', ['script', '-i', data, '-F', 'time'], { encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n').map((l) => Number.parseFloat(l)).filter((t) => Number.isFinite(t));
for (const w of windows) {
  const ts = times.filter((t) => t >= w.from && t <= w.to);
  // Samples further apart than 2.5 periods: the thread left the core between them.
  const gap = 2.5 / HZ;
  let longest = 0;
  let runStart = ts[0] ?? 0;
  let prev = runStart;
  for (const t of [...ts, Infinity]) {
    if (t - prev > gap) {
      longest = Math.max(longest, prev - runStart);
      runStart = t;
    }
    prev = t;
  }
  console.log(`wall ${(w.to - w.from) * 1e3 | 0} ms: stall ${w.stall.toFixed(2)} ms; loop CPU ${w.cpuMs.toFixed(2)} ms (perf samples ${((ts.length * 1000) / HZ).toFixed(1)} ms); waited for a core ${w.waitMs.toFixed(2)} ms; longest stretch on a core ${(longest * 1e3 + 1000 / HZ).toFixed(2)} ms`);
}
