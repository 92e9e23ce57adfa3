/**
 * parse-cost over several runs (issue 11, item 3): one run's stall and busy rows are wall time, and on
 * this 2-core machine they swing by half from one quiet run to the next (9.60, then 8.71 ms per MB for the same
 * row, both at load ≤ 1.4). This reads the results of runs already made (`parse-cost.ts --out NAME`) and
 * gives each goal row across them: in how many runs it was met, and its least, median and greatest figure.
 * A row counts as met here only if it was met in every run.
 *
 * Run: for i in 1 2 3 4 5 6 7 8; do npx tsx benchmarks/parse-cost.ts --repeats 5 --out pc-run$i; done
 *      npx tsx benchmarks/parse-cost-runs.ts [--runs pc-run1,pc-run2,...] [--out parse-cost-runs]
 * (without --runs: every parse-cost result in benchmarks/out made by the newest one's version of the benchmark)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, round } from './parse-cost-measure.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string' }, out: { type: 'string', default: 'parse-cost-runs' } } });
if (!/^[\w-]+$/.test(args.out)) throw new Error(`--out ${args.out}: a name (letters, digits, - and _), not a path`);
const OUT = fileURLToPath(new URL('./out/', import.meta.url));

interface Verdict {
  readonly goal: string;
  readonly figure: number | string;
  readonly met: boolean;
}
interface Run {
  readonly date: string;
  readonly loadAverage1m: { readonly before: number; readonly after: number };
  readonly verdicts: readonly Verdict[];
}

/** Some goal texts carry a figure of their run (the idle loop's CPU per second): rows are matched without them. */
const NUMBER = /\d+(?:\.\d+)?/g;
const goalOf = (text: string) => text.replace(NUMBER, '#');
const goalRows = (run: Run) => run.verdicts.map((v) => goalOf(v.goal)).join('\n');

/**
 * Without --runs: the parse-cost results in benchmarks/out made by the same version of the benchmark as the
 * newest (the same goal rows), oldest first.
 */
function parseCostResults(): Array<{ name: string; run: Run }> {
  const dated = readdirSync(OUT)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ name: f.slice(0, -'.json'.length), run: readResult(f.slice(0, -'.json'.length)) as Run & { benchmark?: string } }))
    .filter((r) => r.run.benchmark === 'parse-cost' && typeof r.run.date === 'string' && Array.isArray(r.run.verdicts))
    .sort((a, b) => a.run.date.localeCompare(b.run.date));
  const newest = dated.at(-1);
  return newest ? dated.filter((r) => goalRows(r.run) === goalRows(newest.run)) : [];
}

function readResult(name: string): Run {
  return JSON.parse(readFileSync(join(OUT, `${name}.json`), 'utf8')) as Run;
}

const chosen = args.runs ? args.runs.split(',').map((name) => ({ name, run: readResult(name) })) : parseCostResults();
if (chosen.length < 2) {
  // Nothing to compare (`npm run bench` on a machine with one parse-cost result or none): no result is written.
  process.stdout.write(`parse-cost-runs: ${chosen.length} parse-cost result(s) in benchmarks/out; run parse-cost.ts --out NAME at least twice\n`);
  process.exit(0);
}
const names = chosen.map((c) => c.name);
const runs = chosen.map((c) => c.run);
const goals = runs[0]!.verdicts.map((v) => v.goal);
for (const [i, run] of runs.entries()) {
  // Runs of another version of the benchmark would be compared row by row under the wrong goals.
  if (goalRows(run) !== goalRows(runs[0]!)) throw new Error(`${names[i]}: its goal rows differ from ${names[0]}'s`);
}

/** A goal's text as every run states it: a figure that differs between runs is shown as "…". */
function commonGoal(texts: readonly string[]): string {
  const figures = texts.map((text) => text.match(NUMBER) ?? []);
  let at = 0;
  return texts[0]!.replace(NUMBER, (figure) => {
    const same = figures.every((f) => f[at] === figure);
    at++;
    return same ? figure : '…';
  });
}

/** A row's figure as a number: the stack-floor rows state theirs in words after it ("4.47 (second pass…)"). */
const leadingNumber = (figure: number | string) => (typeof figure === 'number' ? figure : Number.parseFloat(figure));

const rows = goals.map((_, g) => {
  const verdicts = runs.map((run) => run.verdicts[g]!);
  const goal = commonGoal(verdicts.map((v) => v.goal));
  const numbers = verdicts.map((v) => leadingNumber(v.figure)).filter((f) => Number.isFinite(f));
  const metIn = verdicts.filter((v) => v.met).length;
  const spread = numbers.length === runs.length ? `; least ${round(Math.min(...numbers))}, median ${round(median(numbers))}, greatest ${round(Math.max(...numbers))}` : '';
  return { goal: `${goal}, in each of ${runs.length} runs`, figure: `met in ${metIn} of ${runs.length}${spread}`, met: metIn === runs.length };
});

const result = {
  benchmark: 'parse-cost-runs',
  command: `npx tsx benchmarks/parse-cost-runs.ts --runs ${names.join(',')}`,
  runs: runs.map((run, i) => ({ name: names[i], date: run.date, loadBefore: run.loadAverage1m.before, loadAfter: run.loadAverage1m.after })),
  verdicts: rows,
};
writeFileSync(join(OUT, `${args.out}.json`), `${JSON.stringify(result, null, 2)}\n`);
for (const row of rows) process.stdout.write(`${row.met ? 'met ' : 'NOT '} ${row.figure} | ${row.goal}\n`);
