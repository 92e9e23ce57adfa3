/**
 * How benchmarks/parse-cost.ts measures each body (issue 11, item 3): the client process that sends them, the
 * event loop's thread from /proc (CPU, wake-ups, minor page faults), the idle loop's own CPU, and the per-body
 * figures (stall, busy time, process and loop CPU). Kept apart from the script's runs and goals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';

const root = fileURLToPath(new URL('..', import.meta.url));
export const MB = 1024 * 1024;

/**
 * The event loop's own thread, from /proc (Linux; NaN elsewhere): CPU time (ms), time it waited for a core while
 * runnable (ms: schedstat's run delay; a stall of the loop that is not its own work), times it was
 * put on a core (each a wake-up, or a return after preemption), and minor page faults (each a
 * page of memory touched for the first time: Node copies every piece of a body into fresh memory).
 */
export function loopThread(): { cpuMs: number; waitMs: number; wakeups: number; faults: number } {
  try {
    const schedstat = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    // Fields after the command's closing parenthesis: state is the 3rd of stat(5), minflt the 10th.
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { cpuMs: Number(schedstat[0]) / 1e6, waitMs: Number(schedstat[1]) / 1e6, wakeups: Number(schedstat[2]), faults: Number(fields[7]) };
  } catch {
    return { cpuMs: Number.NaN, waitMs: Number.NaN, wakeups: Number.NaN, faults: Number.NaN };
  }
}

/**
 * What touching one page of fresh memory costs this thread (µs of CPU per minor page fault): Node's
 * HTTP parser copies every piece of a body into freshly allocated memory, so a body whose
 * pieces land in pages never touched before pays this per 4 KiB (it is most of a bare
 * server's cost on this machine, whose page faults are slow).
 */
export function pageFaultMicros(): number {
  const fresh = Buffer.allocUnsafeSlow(32 * 1024 * 1024);
  const before = loopThread();
  for (let i = 0; i < fresh.length; i += 4096) fresh[i] = 1;
  const after = loopThread();
  return ((after.cpuMs - before.cpuMs) * 1000) / Math.max(1, after.faults - before.faults);
}

/** The idle loop's own CPU, ms per second (timers that run whatever the requests: prom-client's event-loop-lag sampler in the app, every 20 ms: src/telemetry/metrics.ts). */
export async function idleLoopCpuMsPerS(seconds = 1): Promise<number> {
  const before = loopThread().cpuMs;
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return (loopThread().cpuMs - before) / seconds;
}

export interface ClientResult {
  statuses: string[];
  ms: number;
  healthzMaxMs: number;
  healthzCount: number;
}

export type Send = (index: number, copies: number, healthz: boolean, chunked?: boolean) => Promise<ClientResult>;

/**
 * Starts the client process (it builds and sends the bodies, so that never costs this process); `sizes` are the bodies' bytes,
 * `sendTo(base)` sends to a server. Started before the server, as a server in production forks nothing: a fork
 * write-protects every page the parent has touched, so that its next write to each faults again (measured: a
 * server whose memory was touched before its client was spawned paid ~280 faults a 1.09 MB body all the same).
 */
export async function startClient(): Promise<{ sendTo: (base: string) => Send; sizes: number[]; stop: () => void }> {
  const client = spawn(process.execPath, ['--import', 'tsx', join(root, 'benchmarks', 'parse-cost-client.ts')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const sizes = await new Promise<number[]>((resolve) => client.once('message', (m: { sizes: number[] }) => resolve(m.sizes)));
  const sendTo = (base: string): Send => (index, copies, healthz, chunked = false) =>
    new Promise<ClientResult>((resolve) => {
      client.once('message', (m: ClientResult) => resolve(m));
      client.send({ base, index, copies, healthz, chunked });
    });
  return { sendTo, sizes, stop: () => client.kill() };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Sends each body `repeats` times with the delay histogram on (its stall; and after each, an idle window as long, the
 * machine's own stall then: `maxIdleStallMs`), then `repeats` times
 * with it off (what the loop's thread spent: CPU, wake-ups, page faults; the time it was busy;
 * the process's CPU), one at a time, and gives the figures per body.
 * `idleMsPerS`: the idle loop's CPU rate, so the part of a request's loop CPU that is only the
 * idle loop's timers running during its wall time is shown apart (`medianNetLoopCpuMs`).
 */
export async function measureBodies(send: Send, runs: ReadonlyArray<{ index: number; name: string; bytes: number; chunked: boolean }>, idleMsPerS: number, repeats: number) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const perBody = [];
  for (const { index, name, bytes, chunked } of runs) {
    const stalls: number[] = [];
    const actives: number[] = [];
    const cpus: number[] = [];
    const loopCpus: number[] = [];
    const netLoopCpus: number[] = [];
    const walls: number[] = [];
    const wakeups: number[] = [];
    const faults: number[] = [];
    const waits: number[] = [];
    let statuses: string[] = [];
    // The stall is measured in repeats of its own: the delay histogram wakes the loop every millisecond
    // (about 20 µs of the loop's CPU each, measured), which would bill the loop for the request's wall time.
    // After each, the same histogram over an idle window as long as the request took: what the machine alone (other processes
    // taking the cores, timer slack) stalls a loop that runs nothing, over the same time — the stall's floor at that moment.
    const idleStalls: number[] = [];
    /** The loop thread's wait for a core during each stall repeat's request. */
    const stallWaits: number[] = [];
    for (let r = 0; r < repeats; r++) {
      histogram.reset();
      histogram.enable();
      const waitBefore = loopThread().waitMs;
      const result = await send(index, 1, false, chunked);
      stallWaits.push(loopThread().waitMs - waitBefore);
      histogram.disable();
      stalls.push(histogram.max / 1e6);
      statuses = result.statuses;
      histogram.reset();
      histogram.enable();
      await new Promise((resolve) => setTimeout(resolve, result.ms));
      histogram.disable();
      idleStalls.push(histogram.max / 1e6);
    }
    for (let r = 0; r < repeats; r++) {
      const before = performance.eventLoopUtilization();
      const cpuBefore = process.cpuUsage();
      const loopBefore = loopThread();
      const started = performance.now();
      await send(index, 1, false, chunked);
      const wallMs = performance.now() - started;
      const loop = loopThread();
      loopCpus.push(loop.cpuMs - loopBefore.cpuMs);
      netLoopCpus.push(loop.cpuMs - loopBefore.cpuMs - (idleMsPerS * wallMs) / 1000);
      walls.push(wallMs);
      wakeups.push(loop.wakeups - loopBefore.wakeups);
      waits.push(loop.waitMs - loopBefore.waitMs);
      faults.push(loop.faults - loopBefore.faults);
      const cpu = process.cpuUsage(cpuBefore);
      // CPU this process used (user + system; every thread, GC included): not inflated by waiting for a core.
      cpus.push((cpu.user + cpu.system) / 1000);
      // Time the loop spent running callbacks during the request (not waiting): less inflated by other processes than the stall.
      actives.push(performance.eventLoopUtilization(before).active);
    }
    const mb = bytes / MB;
    const maxStallMs = Math.max(...stalls);
    const medianStallMs = median(stalls);
    const medianActiveMs = median(actives);
    const medianCpuMs = median(cpus);
    const medianLoopCpuMs = median(loopCpus);
    const medianNetLoopCpuMs = median(netLoopCpus);
    perBody.push({
      name,
      mb: round(mb),
      answer: statuses[0],
      medianStallMs: round(medianStallMs),
      maxStallMs: round(maxStallMs),
      maxStallMsPerMb: round(maxStallMs / mb),
      medianIdleStallMs: round(median(idleStalls)),
      maxIdleStallMs: round(Math.max(...idleStalls)),
      /** How long the loop's thread waited for a core (runnable, not running) during the request of the worst stall. */
      worstStallLoopWaitMs: round(stallWaits[stalls.indexOf(maxStallMs)] ?? Number.NaN),
      medianLoopWaitMs: round(median(waits)),
      medianActiveMs: round(medianActiveMs),
      medianActiveMsPerMb: round(medianActiveMs / mb),
      medianCpuMs: round(medianCpuMs),
      medianCpuMsPerMb: round(medianCpuMs / mb),
      medianLoopCpuMs: round(medianLoopCpuMs),
      medianLoopCpuMsPerMb: round(medianLoopCpuMs / mb),
      medianWallMs: round(median(walls)),
      medianNetLoopCpuMs: round(medianNetLoopCpuMs),
      medianNetLoopCpuMsPerMb: round(medianNetLoopCpuMs / mb),
      medianLoopWakeups: median(wakeups),
      medianLoopPageFaults: median(faults),
    });
    process.stdout.write(
      `${name}: ${round(mb)} MB → ${statuses[0]}; stall median ${round(medianStallMs)} ms, max ${round(maxStallMs)} ms (${round(maxStallMs / mb)} ms/MB; idle windows as long: median ${round(median(idleStalls))}, max ${round(Math.max(...idleStalls))} ms); ` +
        `loop busy ${round(medianActiveMs)} ms (${round(medianActiveMs / mb)} ms/MB); process CPU ${round(medianCpuMs)} ms (${round(medianCpuMs / mb)} ms/MB); ` +
        `loop thread CPU ${round(medianLoopCpuMs)} ms (${round(medianLoopCpuMs / mb)} ms/MB; ${round(medianNetLoopCpuMs)} ms without the idle loop's timers over ${round(median(walls))} ms), ` +
        `${median(wakeups)} wake-ups, ${median(faults)} page faults; the loop waited for a core ${round(median(waits))} ms (${round(stallWaits[stalls.indexOf(maxStallMs)] ?? Number.NaN)} ms in the worst stall's request)\n`,
    );
  }
  return perBody;
}

/** Both ways of sending each body: with its Content-Length, and chunked without one. */
export function bothWays(bodies: ReadonlyArray<{ index: number; name: string; bytes: number }>) {
  return bodies.flatMap((body) => [false, true].map((chunked) => ({ ...body, chunked, name: `${body.name}, ${chunked ? 'chunked' : 'Content-Length'}` })));
}

export function round(x: number): number {
  return Math.round(x * 100) / 100;
}
