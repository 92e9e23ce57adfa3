import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSynthetic, toCsv } from '../data/generate.js';
import { backtestResultSchema } from '../src/backtest/result.js';
import { main } from '../src/cli.js';
import { startPrometheus } from './support/prometheus.js';
import { generateSyntheticHistory } from './support/synthetic-openmetrics.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process, as `npm run backtest --` would. */
async function cli(args: readonly string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(TSX, [join(ROOT, 'src/cli.ts'), ...args], { cwd: ROOT, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs the CLI's main in this process, capturing what it writes. */
async function cliInProcess(args: readonly string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } });
  return { code, stdout, stderr };
}

let dir: string;
let csv: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'prescient-cli-'));
  csv = join(dir, 'load.csv');
  writeFileSync(csv, toCsv(generateSynthetic({ days: 8, stepSeconds: 300, seed: 3 })));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prescient backtest (end to end)', () => {
  it('replays a configured target at its own refresh cadence and scaling settings', { timeout: 120_000 }, async () => {
    const config = join(dir, 'prescient.yaml');
    writeFileSync(
      config,
      `targets:\n  - name: web\n    source: { type: file, path: ${csv} }\n    refreshInterval: 6h\n    scaling: { capacityPerReplica: 40, leadTime: 10m, maxReplicas: 50, scaleIn: { maxPercent: 20, stabilizationWindow: 10m } }\n`,
    );
    const json = join(dir, 'target.json');
    const out = await cli(['backtest', '--config', config, '--target', 'web', '--origins', '1', '--models', 'snaive', '--replay-model', 'snaive', '--periods', '1d', '--json', json]);
    expect(out.code).toBe(0);
    const result = backtestResultSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    expect(result.replay?.params).toMatchObject({
      refitEverySeconds: 6 * 3600,
      capacityPerReplica: 40,
      policyCapacityPerReplica: 40,
      reactiveTrigger: true,
      leadTimeSeconds: 600,
      maxReplicas: 50,
      scaleIn: { maxPercent: 20, stabilizationWindowSeconds: 600, intervalSeconds: 60 },
    });
    // The forecast alone, on request.
    const alone = join(dir, 'alone.json');
    const second = await cli(['backtest', '--config', config, '--target', 'web', '--origins', '1', '--models', 'snaive', '--replay-model', 'snaive', '--periods', '1d', '--no-reactive-trigger', '--json', alone]);
    expect(second.code).toBe(0);
    expect(backtestResultSchema.parse(JSON.parse(readFileSync(alone, 'utf8'))).replay?.params.reactiveTrigger).toBe(false);
  });

  it('backtests a small file: exit 0, both tables, a JSON result matching its schema and an HTML report', { timeout: 120_000 }, async () => {
    const json = join(dir, 'result.json');
    const report = join(dir, 'report.html');
    const out = await cli(['backtest', '--file', csv, '--origins', '2', '--models', 'snaive,mstl', '--periods', '1d', '--json', json, '--report', report]);
    expect(out.stderr).not.toMatch(/PRESCIENT_ERR/);
    expect(out.code).toBe(0);
    // Accuracy table: a header and one row per model with numbers.
    expect(out.stdout).toMatch(/model\s+MASE\s+sMAPE %\s+cov 80\s+cov 95\s+pinball q0\.9\s+fit time/);
    expect(out.stdout).toMatch(/^snaive\s+\d+\.\d{3}\s+\d+\.\d{2}/m);
    expect(out.stdout).toMatch(/^mstl\s+\d+\.\d{3}\s+\d+\.\d{2}/m);
    // Replay table: every policy.
    for (const policy of ['reactive', 'predictive \\(snaive\\)', 'snaive \\(snaive\\)', 'oracle', 'headroom \\(HPA at \\d+ %\\)']) expect(out.stdout).toMatch(new RegExp(`^${policy}\\s+\\d`, 'm'));
    expect(out.stdout).toMatch(/^Under-provisioned minutes and replica-hours against the reactive HPA: predictive .*; oracle .*\.$/m);
    // Refitted once per origin (a day), unlike the service: said, with the way to replay the service's cadence.
    expect(out.stdout).toMatch(/^The predictive model was refitted every 86400 s, .* --refit-every 15m replays that cadence/m);
    // Not a terminal: plain progress lines on stderr.
    expect(out.stderr).toMatch(/^accuracy 4\/4 mstl$/m);

    const result = backtestResultSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
    expect(result.models.map((m) => m.model)).toEqual(['snaive', 'mstl']);
    expect(result.originsMs).toHaveLength(2);
    expect(result.settings.seasonalPeriodsSeconds).toEqual([86_400]);
    expect(result.models[0]?.origins[0]?.forecast?.point).toHaveLength(288);
    expect(result.replay?.policies.map((p) => p.policy)).toEqual(['reactive', 'predictive', 'snaive', 'oracle', 'headroom']);
    expect(result.replay?.timeline.load).toHaveLength(2 * 288);

    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<svg /g)).toHaveLength(4); // one forecast plot per model, the replica plot and the frontier
    expect(html).toContain('aria-label="the frontier: under-provisioned minutes against replica-hours');
    expect(html).toContain('ready replicas');
    expect(html).toMatch(/<td>headroom \(HPA at \d+ %\)<\/td>/);
    expect(html).toMatch(/against the reactive HPA: predictive (?:[\d.]+×|—) at [\d.]+×; the same replica-hours as spare capacity \(HPA at \d+ %\) (?:[\d.]+×|—) at [\d.]+×/);
    expect(html).not.toMatch(/<script|src="http|href="http/); // self-contained
    expect(html).toContain('<strong>Note:</strong> The predictive model was refitted every 86400 s');

    // At the service's cadence there is nothing to warn about.
    const refreshed = await cli(['backtest', '--file', csv, '--origins', '1', '--models', 'snaive', '--periods', '1d', '--refit-every', '15m']);
    expect(refreshed.code).toBe(0);
    expect(refreshed.stdout).toMatch(/refit every 900 s/);
    expect(refreshed.stdout).not.toMatch(/The predictive model was refitted every/);
  });

  it('rejects bad arguments with a clear message and exit code 2', { timeout: 150_000 }, async () => {
    const cases: [string[], RegExp][] = [
      [['backtest'], /exactly one history source/],
      [['backtest', '--file', csv, '--origins', 'seven'], /--origins: expected a positive integer, got "seven"/],
      [['backtest', '--file', csv, '--horizon', '1 day'], /--horizon: expected a duration/],
      [['backtest', '--file', csv, '--quantile', '0.3'], /--quantile: expected a quantile in \(0\.5, 1\)/],
      [['backtest', '--file', csv, '--bogus'], /Unknown option '--bogus'/],
      [['backtest', '--target', 'web'], /--target needs --config/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    // The argument checks run in-process through the CLI's own main (what the binary calls): seven child
    // processes at once each loading the whole model stack once timed out on a loaded machine.
    for (const [args, message] of cases) {
      const out = await cliInProcess(args);
      expect(out.code, args.join(' ')).toBe(2);
      expect(out.stderr, args.join(' ')).toMatch(message);
      expect(out.stderr, args.join(' ')).toContain('usage: prescient backtest');
      expect(out.stdout, args.join(' ')).toBe('');
    }
    // And once through a real process: the exit code reaches the shell.
    const child = await cli(['backtest', '--file', csv, '--origins', 'seven']);
    expect(child.code).toBe(2);
    expect(child.stderr).toMatch(/--origins: expected a positive integer, got "seven"/);
  });

  it('exits 1 with the coded error when the backtest itself fails', { timeout: 60_000 }, async () => {
    const missing = await cli(['backtest', '--file', join(dir, 'nope.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/PRESCIENT_ERR_SOURCE_FILE: cannot read/);
    const unknown = await cli(['backtest', '--file', csv, '--models', 'nosuchmodel', '--origins', '1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/PRESCIENT_ERR_MODEL_UNKNOWN/);
  });

  it('backtests a PromQL query against a real Prometheus with backfilled history', { timeout: 180_000 }, async () => {
    const prometheus = await startPrometheus({ history: generateSyntheticHistory({ days: 8 }) });
    try {
      const json = join(dir, 'prom.json');
      const out = await cli([
        'backtest', '--prometheus-url', prometheus.url, '--query', 'prescient_test_load', '--window', '8d', '--step', '5m',
        '--origins', '1', '--models', 'snaive', '--periods', '1d', '--json', json,
      ]);
      expect(out.stderr).not.toMatch(/PRESCIENT_ERR/);
      expect(out.code).toBe(0);
      const result = backtestResultSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
      expect(result.source).toBe('prescient_test_load');
      expect(result.series.stepSeconds).toBe(300);
      // Eight days at 5 minutes, less what the window's edges and the history's gap leave out.
      expect(result.series.length).toBeGreaterThan(7 * 288);
      expect(result.models[0]?.originsScored).toBe(1);
    } finally {
      await prometheus.close();
    }
  });
});
