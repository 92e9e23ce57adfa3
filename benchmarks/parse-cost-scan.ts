/**
 * What the bodies lane's scan costs (issue 11, item 3): the JSON shape scan with the values scan listening
 * (src/engine/body-task.ts's first step), over parse-cost's bodies, each in shared memory as the bodies
 * thread reads it, repeated in this one thread: CPU ms per MB (process.cpuUsage, which waiting for a core does
 * not inflate, though a loaded machine's shared caches and cores still do: compare runs taken side by side).
 *
 * Run: npx tsx benchmarks/parse-cost-scan.ts [--repeats 300] [--bodies 3,1]
 * (--bodies: indexes into parseCostBodies(); 3 is the refused 60,000 values out of range, 1 the largest accepted body)
 */
import { parseArgs } from 'node:util';
import { seriesBodyOptions } from '../src/api/json-body.js';
import { JsonShapeScanner } from '../src/bodies/json-shape.js';
import { SeriesValuesScan } from '../src/bodies/series-values-scan.js';
import { parseConfig } from '../src/config/load.js';
import { MB, median, round } from './parse-cost-measure.js';
import { parseCostBodies } from './parse-cost-bodies.js';

const { values: args } = parseArgs({ options: { repeats: { type: 'string', default: '300' }, bodies: { type: 'string', default: '3,1' } } });
const repeats = Number(args.repeats);
const config = parseConfig({});
const { jsonBody } = seriesBodyOptions(config);
const shape = { maxDepth: config.server.maxJsonDepth, maxElements: jsonBody.maxElements ?? Infinity, maxValueBytes: config.server.maxJsonValueBytes, maxStrings: jsonBody.maxStrings };
const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};
const bodies = parseCostBodies();
for (const index of args.bodies.split(',').map(Number)) {
  const text = Buffer.from(bodies[index]!.body);
  const raw = new Uint8Array(new SharedArrayBuffer(text.length));
  raw.set(text);
  const ms: number[] = [];
  let answer = '';
  for (let r = 0; r < repeats; r++) {
    const started = cpuMs();
    const values = new SeriesValuesScan(['values'], 'body.values');
    const refusal = new JsonShapeScanner(shape, values).scan(raw) ?? values.refusal();
    ms.push(cpuMs() - started);
    answer = refusal ? `${refusal.code}: ${refusal.message}` : 'passes the scan';
  }
  const mb = raw.length / MB;
  process.stdout.write(`${bodies[index]!.name} (${round(mb)} MB) → ${answer.slice(0, 80)}; CPU ms per MB: min ${round(Math.min(...ms) / mb)}, median ${round(median(ms) / mb)} (${repeats} scans)\n`);
}
