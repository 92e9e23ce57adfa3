/**
 * Is a parse cache for KEDA's scalerMetadata worth its code? (issue 17,
 * session 7.) The gRPC server parsed each trigger's metadata once and kept it
 * in a map keyed by the sorted entries; this times, per call, a parse of a
 * fresh map (grpc-js decodes one for every call) against that cache's hit
 * (build the key, look it up), for three realistic maps. Prints the figures
 * and writes no result file, so `npm run bench` does not run it on its own.
 *
 * Run: nice -n 19 npx tsx benchmarks/keda-metadata-parse.ts [calls=300000] [rounds=5]
 */
import { parseScalerMetadata, type ScalerMetadata } from '../src/keda/metadata.js';

const [callsArg = '300000', roundsArg = '5'] = process.argv.slice(2);
const calls = Number(callsArg);
const rounds = Number(roundsArg);

const maps: Array<Record<string, string>> = [
  { target: 'web' },
  { scalerAddress: 'prescient.monitoring:9090', target: 'web', mode: 'load' },
  { scalerAddress: 'prescient.monitoring:9090', target: 'web', mode: 'load', leadTime: '5m', quantile: '0.9', activationThreshold: '2' },
];

/** The removed cache's key: the entries sorted by key, as JSON. */
const cacheKey = (map: Record<string, string>): string => JSON.stringify(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Mean µs per call of `f`; what it returns is summed into `sink` so the work cannot be optimised away. */
let sink = 0;
function microsPerCall(f: () => ScalerMetadata | undefined): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink += f()?.target.length ?? 0;
  return Number(process.hrtime.bigint() - started) / calls / 1000;
}

for (const map of maps) {
  const cache = new Map([[cacheKey(map), parseScalerMetadata(map)]]);
  const parse: number[] = [];
  const hit: number[] = [];
  for (let r = 0; r < rounds; r++) {
    parse.push(microsPerCall(() => parseScalerMetadata({ ...map })));
    hit.push(microsPerCall(() => cache.get(cacheKey({ ...map }))));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(2);
  console.log(`${Object.keys(map).length} keys: parse ${median(parse)} µs, cache hit ${median(hit)} µs (median of ${rounds} rounds of ${calls} calls)`);
}
if (sink === 0) throw new Error('nothing was parsed');
