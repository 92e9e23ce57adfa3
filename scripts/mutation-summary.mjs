// Summary of a Stryker JSON report (mutation-testing-report-schema), per file:
// the counts and score as test/mutation/REPORT.md records them, then every
// mutant that survived or had no test, with its line and replacement.
//
//   node scripts/mutation-summary.mjs reports/mutation/src-scaling-policy.ts.report.json
//
// Score = (killed + timed out) / (killed + timed out + survived + no coverage),
// Stryker's "mutation score"; compile errors (dropped by the TypeScript
// checker) and ignored mutants do not count.
import { readFileSync } from 'node:fs';

const path = process.argv[2];
if (!path) {
  console.error('usage: node scripts/mutation-summary.mjs <stryker report .json>');
  process.exit(2);
}
const report = JSON.parse(readFileSync(path, 'utf8'));
for (const [file, { mutants, source }] of Object.entries(report.files)) {
  const count = (status) => mutants.filter((m) => m.status === status).length;
  const killed = count('Killed');
  const timedOut = count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const compileErrors = count('CompileError');
  const detected = killed + timedOut;
  const valid = detected + survived + noCoverage;
  const score = valid === 0 ? 'n/a' : `${((100 * detected) / valid).toFixed(1)} %`;
  console.log(
    `${file}: ${mutants.length} mutants, ${killed} killed, ${timedOut} timed out, ${survived} survived, ${noCoverage} no coverage, ${compileErrors} compile errors → score ${score}`,
  );
  const lines = source.split('\n');
  for (const m of mutants.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage').sort((a, b) => a.location.start.line - b.location.start.line)) {
    const { start, end } = m.location;
    const original =
      start.line === end.line
        ? (lines[start.line - 1] ?? '').slice(start.column - 1, end.column - 1)
        : `${(lines[start.line - 1] ?? '').slice(start.column - 1)}…`;
    console.log(`  ${m.status === 'Survived' ? 'survived' : 'no cover'} L${start.line}:${start.column} ${m.mutatorName}: ${JSON.stringify(original.slice(0, 80))} → ${JSON.stringify((m.replacement ?? '').slice(0, 80))}`);
  }
}
