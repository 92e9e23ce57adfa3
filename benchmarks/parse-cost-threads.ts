/**
 * Where a body's process CPU goes, thread by thread (issue 11, item 3): the app started as parse-cost starts it
 * (warmed, listening; the client in a process of its own), each chosen body sent `--repeats` times each way,
 * and every thread's CPU during each request read from /proc/self/task/<tid>/schedstat (Linux). The event
 * loop's thread is `loop`; the others by name and id (the bodies lane's thread is the one busy on a refused
 * body; V8's helpers are named `V8 DefaultWorke`, or `node` on some builds). Medians per MB of the body.
 * Reading the threads' files costs the loop about a millisecond a request: its figure here is above parse-cost's.
 *
 * Run: npx tsx benchmarks/parse-cost-threads.ts [--repeats 10] [--bodies 2,3]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seriesBodyOptions } from '../src/api/json-body.js';
import { warmBodyMemory } from '../src/api/body-memory.js';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config/load.js';
import { MB, median, round, startClient } from './parse-cost-measure.js';
import { parseCostBodies } from './parse-cost-bodies.js';

const { values: args } = parseArgs({ options: { repeats: { type: 'string', default: '10' }, bodies: { type: 'string', default: '2,3' } } });
const repeats = Number(args.repeats);

/** Every thread's CPU so far, ms, by `name#tid` (`loop` for this thread). */
function threadCpuMs(): Map<string, number> {
  const cpu = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const name = tid === String(process.pid) ? 'loop' : `${readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()}#${tid}`;
      cpu.set(name, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return cpu;
}

const modelsDir = mkdtempSync(join(tmpdir(), 'prescient-parse-cost-threads-'));
const config = parseConfig({ modelsDir, limits: { fitRequests: { max: 100_000 } }, pool: { requestThreads: 1 } });
const { sendTo, sizes, stop } = await startClient();
const app = await buildApp({ config, logger: false, startEngine: false });
warmBodyMemory(config.server.bodyWarmUpBytes, seriesBodyOptions(config).bodyLimit);
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const send = sendTo(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
try {
  // The requests lane's thread starts on the first fit: not a body's cost.
  await send(0, 1, false);
  for (const index of args.bodies.split(',').map(Number)) {
    for (const chunked of [false, true]) {
      const perThread = new Map<string, number[]>();
      const process_: number[] = [];
      let answer = '';
      for (let r = 0; r < repeats; r++) {
        const before = threadCpuMs();
        const used = process.cpuUsage();
        answer = (await send(index, 1, false, chunked)).statuses[0] ?? '';
        const { user, system } = process.cpuUsage(used);
        process_.push((user + system) / 1000);
        for (const [name, ms] of threadCpuMs()) perThread.set(name, [...(perThread.get(name) ?? []), ms - (before.get(name) ?? 0)]);
      }
      const mb = sizes[index]! / MB;
      const threads = [...perThread].map(([name, ms]) => [name, round(median(ms) / mb)] as const).filter(([, perMb]) => perMb >= 0.01);
      process.stdout.write(
        `${parseCostBodies()[index]!.name}, ${chunked ? 'chunked' : 'Content-Length'} → ${answer}: process ${round(median(process_) / mb)} CPU ms/MB (median of ${repeats}; min ${round(Math.min(...process_) / mb)}); ` +
          `${threads.map(([name, perMb]) => `${name} ${perMb}`).join(', ')}\n`,
      );
    }
  }
} finally {
  stop();
  await app.close();
  rmSync(modelsDir, { recursive: true, force: true });
}
