/**
 * What the event loop waits behind during parse-cost (issue 11, item 3): the stall rows are wall time, and
 * parse-cost's own figures show the worst stalls came in requests whose loop waited for a core. This runs
 * parse-cost under `perf record` with the scheduler's switch and wake-up events on every core, then finds each
 * time the app's event loop was woken (or preempted) and had to wait before it ran again (while the app answers
 * its requests, before parse-cost starts its bare servers), and says who held the
 * cores meanwhile during the longest waits: the server's own other threads, by niceness (its pool threads
 * are niced 10; V8's and libuv's helpers are not), other processes (the benchmark's client among them), or
 * nobody (a core was idle, the loop queued on the other). Linux, with perf and root (or perf_event_paranoid ≤ 1).
 *
 * Run: npx tsx benchmarks/parse-cost-waits.ts [--repeats 5] [--longest 40]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { round } from './parse-cost-measure.js';

const { values: args } = parseArgs({ options: { repeats: { type: 'string', default: '5' }, longest: { type: 'string', default: '40' } } });
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'prescient-waits-'));
const data = join(dir, 'sched.data');

interface Switch {
  readonly cpu: number;
  readonly at: number;
  readonly prevTid: number;
  readonly prevState: string;
  readonly nextTid: number;
  readonly nextPrio: number;
  readonly nextComm: string;
}

try {
  const recorded = spawnSync(
    'perf',
    ['record', '-q', '-a', '-e', 'sched:sched_switch', '-e', 'sched:sched_wakeup', '-e', 'sched:sched_process_fork', '-e', 'sched:sched_process_exec', '-o', data, '--', 'npx', 'tsx', 'benchmarks/parse-cost.ts', '--repeats', args.repeats, '--out', 'parse-cost-waits-run'],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (recorded.status !== 0) throw new Error(`perf record exited with ${recorded.status}: perf installed, and run as root?`);
  const script = spawnSync('perf', ['script', '-i', data, '-F', 'pid,tid,cpu,time,event,trace'], { maxBuffer: 1 << 30, encoding: 'utf8' });
  if (script.status !== 0) throw new Error(`perf script exited with ${script.status}`);

  const processOf = new Map<number, number>();
  const switches: Switch[] = [];
  const wakeups: Array<{ at: number; tid: number }> = [];
  const forks: Array<{ at: number; parent: number; child: number }> = [];
  const execsNode = new Set<number>();
  const line = /^\s*(\d+)\/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:(sched_switch|sched_wakeup|sched_process_fork|sched_process_exec):\s+(.*)$/;
  for (const text of script.stdout.split('\n')) {
    const m = line.exec(text);
    if (!m) continue;
    processOf.set(Number(m[2]), Number(m[1]));
    const at = Number(m[4]) * 1000;
    if (m[5] === 'sched_process_fork') {
      forks.push({ at, parent: Number(m[1]), child: Number(/child_pid=(\d+)/.exec(m[6]!)![1]) });
      continue;
    }
    if (m[5] === 'sched_process_exec') {
      if (/filename=\S*\/node /.test(`${m[6]!} `)) execsNode.add(Number(/ pid=(\d+)/.exec(` ${m[6]!}`)![1]));
      continue;
    }
    if (m[5] === 'sched_wakeup') {
      wakeups.push({ at, tid: Number(/ pid=(\d+)/.exec(m[6]!)![1]) });
      continue;
    }
    const s = /prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+) next_prio=(\d+)/.exec(m[6]!)!;
    switches.push({ cpu: Number(m[3]), at, prevTid: Number(s[1]), prevState: s[2]!, nextComm: s[3]!, nextTid: Number(s[4]), nextPrio: Number(s[5]) });
  }
  // The app's event loop: parse-cost's main thread, the one thread woken most often (its 1 ms delay histogram).
  const wakeCount = new Map<number, number>();
  for (const w of wakeups) if (processOf.get(w.tid) === w.tid) wakeCount.set(w.tid, (wakeCount.get(w.tid) ?? 0) + 1);
  const loop = [...wakeCount].sort((a, b) => b[1] - a[1])[0]![0];
  // The app's requests end where its bare servers begin: its first node child is its client, the next ones are the
  // bare servers (./parse-cost.ts runs them last), during which its idle loop's waits are not a request's.
  const nodeChildren = forks.filter((f) => f.parent === loop && execsNode.has(f.child));
  const appPhaseEnd = nodeChildren[1]?.at ?? Number.POSITIVE_INFINITY;

  // Each wait: from a wake-up (or being preempted while runnable) to the switch that runs the loop again.
  const events = [...wakeups.filter((w) => w.tid === loop).map((w) => ({ at: w.at, wake: true as const })), ...switches.map((s) => ({ at: s.at, wake: false as const, s }))].sort((a, b) => a.at - b.at);
  const waits: Array<{ from: number; to: number }> = [];
  let since: number | undefined;
  for (const e of events) {
    if (e.at > appPhaseEnd) break;
    if (e.wake) since ??= e.at;
    else if (e.s.prevTid === loop && e.s.prevState.startsWith('R')) since = e.at;
    else if (e.s.nextTid === loop && since !== undefined) {
      waits.push({ from: since, to: e.at });
      since = undefined;
    }
  }
  waits.sort((a, b) => b.to - b.from - (a.to - a.from));

  // Who ran on each core during the longest waits, ms, by kind.
  const kindOf = (s: Switch) => {
    if (s.nextTid === 0) return 'nobody (the core was idle)';
    if (processOf.get(s.nextTid) === processOf.get(loop)) return `the server's other threads at nice ${s.nextPrio - 120}`;
    return s.nextComm === 'node' ? 'another node process (the benchmark client)' : `other: ${s.nextComm.replace(/\/\d+$/, '')}`;
  };
  const held = new Map<string, number>();
  const longest = waits.slice(0, Number(args.longest));
  for (const w of longest) {
    const running = new Map<number, { kind: string; since: number }>();
    for (const s of switches) {
      if (s.at > w.to) break;
      const previous = running.get(s.cpu);
      if (previous && s.at > w.from) held.set(previous.kind, (held.get(previous.kind) ?? 0) + s.at - Math.max(previous.since, w.from));
      running.set(s.cpu, { kind: kindOf(s), since: s.at });
    }
    for (const r of running.values()) held.set(r.kind, (held.get(r.kind) ?? 0) + w.to - Math.max(r.since, w.from));
  }
  const over = (ms: number) => waits.filter((w) => w.to - w.from > ms).length;
  process.stdout.write(
    `${JSON.stringify({
      loopThread: loop,
      appPhaseMs: round(appPhaseEnd - (events[0]?.at ?? 0)),
      waits: waits.length,
      totalWaitMs: round(waits.reduce((sum, w) => sum + w.to - w.from, 0)),
      over2Ms: over(2),
      over4Ms: over(4),
      longestMs: longest.map((w) => round(w.to - w.from)),
      heldDuringLongestMs: Object.fromEntries([...held].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v)])),
    }, null, 2)}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  // The traced run's own result is perf-inflated: it must not join the plain runs parse-cost-runs.ts reads.
  rmSync(join(root, 'benchmarks', 'out', 'parse-cost-waits-run.json'), { force: true });
}
