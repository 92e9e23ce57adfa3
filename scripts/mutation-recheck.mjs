// Re-checks the mutants a Stryker run left alive against the tests as they are
// now, one at a time, by putting each into the source by hand:
//
//   node scripts/mutation-recheck.mjs reports/mutation/src-models-validate.ts.report.json test/models/validate.test.ts
//
// For each mutant that survived or had no test, it writes the mutated module,
// runs `npx vitest run <test files>`, and counts the mutant killed when the
// run fails. The module is restored after each mutant (also on Ctrl-C). The
// score printed counts the run's killed and timed-out mutants as still
// detected, which holds when tests were only added since the run. It is a
// check of new tests in minutes where a Stryker re-run takes most of an hour
// on shared cores; test/mutation/REPORT.md says which figure is which.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const [reportPath, ...tests] = process.argv.slice(2);
if (!reportPath || tests.length === 0) {
  console.error('usage: node scripts/mutation-recheck.mjs <stryker report .json> <test file>...');
  process.exit(2);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8'));

/** Offset in `text` of a 1-based line and column, as Stryker's report gives them. */
function offsetOf(text, { line, column }) {
  let offset = 0;
  for (let l = 1; l < line; l++) offset = text.indexOf('\n', offset) + 1;
  return offset + column - 1;
}

for (const [file, { mutants, source }] of Object.entries(report.files)) {
  const current = readFileSync(file, 'utf8');
  if (current !== source) {
    console.error(`${file} changed since the run: its mutants' positions no longer hold; re-run Stryker instead`);
    process.exit(1);
  }
  const restore = () => writeFileSync(file, source);
  process.on('SIGINT', () => {
    restore();
    process.exit(130);
  });
  const alive = mutants.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage');
  const detected = mutants.filter((m) => m.status === 'Killed' || m.status === 'Timeout').length;
  const valid = detected + alive.length;
  let killedNow = 0;
  try {
    for (const m of alive.sort((a, b) => a.location.start.line - b.location.start.line)) {
      const from = offsetOf(source, m.location.start);
      const to = offsetOf(source, m.location.end);
      writeFileSync(file, source.slice(0, from) + (m.replacement ?? '') + source.slice(to));
      let killed = false;
      try {
        execFileSync('npx', ['vitest', 'run', '--reporter=dot', ...tests], { stdio: 'ignore' });
      } catch {
        killed = true;
      }
      if (killed) killedNow++;
      const original = source.slice(from, to).split('\n')[0].slice(0, 70);
      console.log(`  ${killed ? 'killed  ' : 'survives'} L${m.location.start.line}:${m.location.start.column} ${m.mutatorName}: ${JSON.stringify(original)} → ${JSON.stringify((m.replacement ?? '').slice(0, 70))}`);
    }
  } finally {
    restore();
  }
  const score = valid === 0 ? 'n/a' : `${((100 * (detected + killedNow)) / valid).toFixed(1)} %`;
  console.log(`${file}: ${alive.length} mutants left alive by the run, ${killedNow} now killed → ${detected + killedNow} / ${valid} detected, score ${score}`);
}
