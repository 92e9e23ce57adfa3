/**
 * Makes (or finds cached) the forecasts of the replay benchmark for every
 * series, without replaying: benchmarks/replay.ts does the same on its way,
 * this lets the fits run ahead while the policy code changes.
 *
 *   npx tsx benchmarks/replay-prepare.ts [--series a,b] [--model auto] [--days 3] [--fresh] [--tuning-refits]
 *
 * `--tuning-refits`: also the tuning days' 15-minute refits (`replay.ts --tuning refits|scored`).
 */
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readSamplesFile } from '../src/sources/file.js';
import { regularize } from '../src/series/regularize.js';
import { seriesForecasts, tuningRefits } from './replay-forecasts.js';
import { REPLAY_SERIES } from './replay-series.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { series: { type: 'string' }, model: { type: 'string', default: 'auto' }, fresh: { type: 'boolean', default: false }, days: { type: 'string' }, 'tuning-refits': { type: 'boolean', default: false } } });
const wanted = values.series?.split(',');
for (const entry of REPLAY_SERIES.filter((e) => !wanted || wanted.includes(e.name))) {
  const samples = await readSamplesFile(join(ROOT, 'data', entry.file), entry.column === undefined ? {} : { column: entry.column });
  const series = regularize(samples, { stepSeconds: entry.stepSeconds }).series;
  const t0 = performance.now();
  const f = await seriesForecasts(entry.name, series, values.model, { fresh: values.fresh, ...(values.days === undefined ? {} : { replayDays: Number(values.days) }), log: (l) => process.stdout.write(`${new Date().toISOString()} ${l}\n`) });
  const log = (l: string) => process.stdout.write(`${new Date().toISOString()} ${l}\n`);
  const refits = values['tuning-refits'] ? await tuningRefits(f, series, { fresh: values.fresh, log }) : undefined;
  process.stdout.write(`${new Date().toISOString()} ${entry.name}: ${refits ? `${refits.origins.length} tuning refits, ` : ''}${f.week.origins.length} refits + ${f.tuning.origins.length} tuning fits, ${f.fitSeconds.toFixed(0)} s fitting (${((performance.now() - t0) / 1000).toFixed(0)} s now; commit ${f.commit}, models ${f.modelsHash})\n`);
}
