/**
 * The `prescient` command line. One subcommand for now:
 *
 *   prescient backtest --file load.csv [options]
 *   prescient backtest --config prescient.yaml --target web [options]
 *   prescient backtest --prometheus-url URL --query PROMQL --window 28d [options]
 *
 * Exit codes: 0 success, 2 bad arguments, 1 the backtest failed (the coded
 * error is printed).
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BacktestResult } from './backtest/result.js';
import { runBacktest, targetReplayDefaults, type BacktestOptions, type ReplaySettings } from './backtest/run.js';
import { createProgress, type ProgressStream } from './backtest/progress.js';
import { renderReport } from './backtest/report.js';
import { frontierVerdict } from './backtest/frontier-view.js';
import { accuracyTable, frontierTable, replayCadenceHint, replaySummary, replayTable, replayVerdict } from './backtest/table.js';
import { parseDurationSeconds } from './config/duration.js';
import type { TargetConfig } from './config/schema.js';
import { PrescientError, toPrescientError } from './errors.js';
import { eventsSummary } from './events/effects.js';
import { readEventsFile } from './events/events-file.js';
import { regularize } from './series/regularize.js';
import type { Samples } from './series/series.js';

const USAGE = `usage: prescient backtest (--file PATH | --config FILE --target NAME | --prometheus-url URL --query PROMQL) [options]

history
  --file PATH               CSV (timestamp,value) or JSON [{timestamp,value}]
  --column NAME             value column of a CSV with several
  --config FILE             configuration file; with --target, that target's source and scaling
  --target NAME             a configured target
  --prometheus-url URL      Prometheus base URL (with --query)
  --query PROMQL            range query (with --prometheus-url)
  --aggregate sum|avg|max|min   combine several returned series
  --window DURATION         history to pull from Prometheus (default 28d, or the target's history)
  --step DURATION           resample to this grid (default: the file's median spacing; 5m for Prometheus)

evaluation
  --origins N               rolling origins (default 7)
  --spacing DURATION        between origins (default: the horizon)
  --horizon DURATION        forecast horizon (default 1d)
  --history DURATION        history fitted per origin, at most (default 28d)
  --models LIST             comma-separated: auto and named models (default auto,snaive,mstl,sarima as registered)
  --levels LIST             interval levels (default 0.8,0.95)
  --quantile Q              scaling quantile (default 0.9, or the target's)
  --periods LIST            seasonal periods, e.g. 1d,1w (default: detected)

replay
  --no-replay               skip the autoscaling replay
  --replay-model NAME       model feeding the predictive policy (default auto)
  --refit-every DURATION    refit cadence (default: a configured target's refreshInterval; else the origin spacing, reusing the scored forecasts)
  --capacity N              load one replica serves (default: HPA at 70 % needs 20 replicas at the p95 of history)
  --hpa-utilisation F       reactive HPA target as a share of capacity (default 0.7)
  --policy-utilisation F    forecast policies scale on capacity × F (default 0.9: under the HPA's 10 % tolerance)
  --no-reactive-trigger     forecast policies drive the HPA alone (default: beside the reactive trigger, as docs/keda.md)
  --startup-delay DURATION  pod start-up (default 120s)
  --metric-lag DURATION     metric delay (default 60s)
  --lead-time DURATION      policy lead time (default start-up + lag)
  --min-replicas N          (default 1)
  --max-replicas N          (default 1000)

output
  --json FILE               write the full result (schema: src/backtest/result.ts)
  --report FILE             write a self-contained HTML report with plots
  --timeout DURATION        stop fitting after this long (default 30m)
  --fit-timeout DURATION    time limit of one fit, as the service's pool.fitTimeout (default: the config's, else 120s)
  --events FILE             known events to replay (JSON: POST /api/v1/events bodies, or GET /api/v1/events' answer):
                            incidents leave fitting and scoring, campaigns/maintenance shape the replay's forecasts
  --watchdog                the feedback loop's watchdog judges the predictive forecasts; while it has the target
                            reactive, the predictive policy is fed the observed load (compare a run without it)
  -h, --help
`;

/** A bad command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}

const OPTIONS = {
  file: { type: 'string' },
  column: { type: 'string' },
  config: { type: 'string' },
  target: { type: 'string' },
  'prometheus-url': { type: 'string' },
  query: { type: 'string' },
  aggregate: { type: 'string' },
  window: { type: 'string' },
  step: { type: 'string' },
  origins: { type: 'string' },
  spacing: { type: 'string' },
  horizon: { type: 'string' },
  history: { type: 'string' },
  models: { type: 'string' },
  levels: { type: 'string' },
  quantile: { type: 'string' },
  periods: { type: 'string' },
  'no-replay': { type: 'boolean' },
  'replay-model': { type: 'string' },
  'refit-every': { type: 'string' },
  capacity: { type: 'string' },
  'hpa-utilisation': { type: 'string' },
  'policy-utilisation': { type: 'string' },
  'no-reactive-trigger': { type: 'boolean' },
  'startup-delay': { type: 'string' },
  'metric-lag': { type: 'string' },
  'lead-time': { type: 'string' },
  'min-replicas': { type: 'string' },
  'max-replicas': { type: 'string' },
  json: { type: 'string' },
  report: { type: 'string' },
  timeout: { type: 'string' },
  'fit-timeout': { type: 'string' },
  events: { type: 'string' },
  watchdog: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function duration(values: Values, key: keyof Values): number | undefined {
  const raw = values[key];
  if (raw === undefined) return undefined;
  const seconds = typeof raw === 'string' ? parseDurationSeconds(raw) : undefined;
  if (seconds === undefined || !(seconds > 0)) throw new UsageError(`--${key}: expected a duration such as 30s, 5m, 1d or 1w, got "${String(raw)}"`);
  return seconds;
}

function nonNegativeDuration(values: Values, key: keyof Values): number | undefined {
  const raw = values[key];
  if (raw === '0' || raw === '0s') return 0;
  return duration(values, key);
}

function number(values: Values, key: keyof Values, check: (n: number) => boolean, expected: string): number | undefined {
  const raw = values[key];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${key}: expected ${expected}, got "${String(raw)}"`);
  return n;
}

function list(values: Values, key: keyof Values): string[] | undefined {
  const raw = values[key];
  if (raw === undefined) return undefined;
  const items = String(raw)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`--${key}: expected a comma-separated list`);
  return items;
}

const isInt = (min: number) => (n: number) => Number.isInteger(n) && n >= min;

/** The parsed command: where the history comes from and what to run. */
export interface BacktestCommand {
  readonly load: () => Promise<{ samples: Samples; stepSeconds?: number; source: string; fitTimeoutMs?: number; targetName?: string }>;
  readonly options: Omit<BacktestOptions, 'series' | 'source' | 'filledGaps'>;
  readonly stepSeconds?: number;
  readonly jsonPath?: string;
  /** Known events to replay (--events). */
  readonly eventsPath?: string;
  readonly reportPath?: string;
}

/**
 * Parses `backtest` arguments (after the subcommand).
 * @throws UsageError for anything wrong with them (nothing is read yet)
 */
export function parseBacktestArgs(args: readonly string[]): BacktestCommand | 'help' {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);

  const sources = [values.file !== undefined, values.target !== undefined, values['prometheus-url'] !== undefined].filter(Boolean).length;
  if (sources !== 1) throw new UsageError('give exactly one history source: --file, --config with --target, or --prometheus-url with --query');
  if (values.target !== undefined && values.config === undefined) throw new UsageError('--target needs --config');
  if (values['prometheus-url'] !== undefined && values.query === undefined) throw new UsageError('--prometheus-url needs --query');
  if (values.query !== undefined && values['prometheus-url'] === undefined) throw new UsageError('--query needs --prometheus-url');
  const aggregate = values.aggregate;
  if (aggregate !== undefined && !['sum', 'avg', 'max', 'min'].includes(aggregate)) throw new UsageError(`--aggregate: expected sum, avg, max or min, got "${aggregate}"`);

  const stepSeconds = duration(values, 'step');
  const windowSeconds = duration(values, 'window');
  const levels = list(values, 'levels')?.map((l) => {
    const n = Number(l);
    if (!(n > 0 && n < 1)) throw new UsageError(`--levels: each level must be a fraction in (0, 1), got "${l}"`);
    return n;
  });
  const periods = list(values, 'periods')?.map((p) => {
    const s = parseDurationSeconds(p);
    if (s === undefined || !(s > 0)) throw new UsageError(`--periods: expected durations such as 1d,1w, got "${p}"`);
    return s;
  });
  const quantileArg = number(values, 'quantile', (n) => n > 0.5 && n < 1, 'a quantile in (0.5, 1)');
  const replay: ReplaySettings = dropUndefined({
    model: values['replay-model'],
    refitEverySeconds: duration(values, 'refit-every'),
    capacityPerReplica: number(values, 'capacity', (n) => n > 0, 'a positive number'),
    hpaUtilisation: number(values, 'hpa-utilisation', (n) => n > 0 && n <= 1, 'a fraction in (0, 1]'),
    policyUtilisation: number(values, 'policy-utilisation', (n) => n > 0 && n <= 1, 'a fraction in (0, 1]'),
    reactiveTrigger: values['no-reactive-trigger'] ? false : undefined,
    startupDelaySeconds: nonNegativeDuration(values, 'startup-delay'),
    metricLagSeconds: nonNegativeDuration(values, 'metric-lag'),
    leadTimeSeconds: nonNegativeDuration(values, 'lead-time'),
    minReplicas: number(values, 'min-replicas', isInt(1), 'an integer ≥ 1'),
    maxReplicas: number(values, 'max-replicas', isInt(1), 'an integer ≥ 1'),
  });
  if (replay.minReplicas !== undefined && replay.maxReplicas !== undefined && replay.maxReplicas < replay.minReplicas) {
    throw new UsageError('--max-replicas must be ≥ --min-replicas');
  }
  const timeoutSeconds = duration(values, 'timeout') ?? 30 * 60;
  const fitTimeoutSeconds = duration(values, 'fit-timeout');

  let targetName: string | undefined;
  let scalingFromTarget: Partial<ReplaySettings> & { quantile?: number } = {};
  const options: BacktestCommand['options'] = dropUndefined({
    models: list(values, 'models'),
    origins: number(values, 'origins', isInt(1), 'a positive integer'),
    spacingSeconds: duration(values, 'spacing'),
    horizonSeconds: duration(values, 'horizon'),
    historySeconds: duration(values, 'history'),
    levels,
    quantile: quantileArg,
    seasonalPeriodsSeconds: periods,
    deadlineMs: Date.now() + timeoutSeconds * 1000,
    fitTimeoutMs: fitTimeoutSeconds === undefined ? undefined : fitTimeoutSeconds * 1000,
    replay: values['no-replay'] ? (false as const) : replay,
    watchdog: values.watchdog === true ? true : undefined,
  });

  const load = async (): Promise<{ samples: Samples; stepSeconds?: number; source: string; fitTimeoutMs?: number; targetName?: string }> => {
    if (values.file !== undefined) {
      const { readSamplesFile } = await import('./sources/file.js');
      const samples = await readSamplesFile(values.file, values.column === undefined ? {} : { column: values.column });
      return { samples, source: values.file };
    }
    if (values.config !== undefined && values.target !== undefined) {
      const { loadConfig } = await import('./config/load.js');
      const config = loadConfig(values.config);
      targetName = values.target;
      const target: TargetConfig | undefined = config.targets.find((t) => t.name === targetName);
      if (!target) throw new PrescientError('PRESCIENT_ERR_TARGET_NOT_FOUND', `no target "${targetName}" in ${values.config}`);
      // The replay refits as the service would for this target, and scales as it is configured to.
      const defaults = targetReplayDefaults(target);
      scalingFromTarget = { ...defaults.replay, ...(defaults.quantile === undefined ? {} : { quantile: defaults.quantile }) };
      const { loadHistory } = await import('./sources/history.js');
      const { createPrometheusClient } = await import('./sources/prometheus.js');
      const client = config.prometheus ? createPrometheusClient(config.prometheus) : undefined;
      try {
        const history = await loadHistory({ ...target, historySeconds: windowSeconds ?? target.historySeconds }, Date.now(), client);
        const source = target.source.type === 'prometheus' ? target.source.query : target.source.path;
        return { samples: history.samples, stepSeconds: history.stepSeconds, source: `${target.name}: ${source}`, fitTimeoutMs: config.pool.fitTimeoutMs, targetName: target.name };
      } finally {
        client?.close();
      }
    }
    const { createPrometheusClient } = await import('./sources/prometheus.js');
    const { prometheusSchema } = await import('./config/schema.js');
    const parsed = prometheusSchema.safeParse({ url: values['prometheus-url'] });
    if (!parsed.success) throw new PrescientError('PRESCIENT_ERR_VALIDATION', `--prometheus-url: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    const client = createPrometheusClient(parsed.data);
    try {
      const nowMs = Date.now();
      const step = stepSeconds ?? 300;
      const samples = await client.queryRange(
        values.query as string,
        nowMs - (windowSeconds ?? 28 * 86_400) * 1000,
        nowMs,
        step,
        aggregate === undefined ? {} : { aggregate: aggregate as 'sum' | 'avg' | 'max' | 'min' },
      );
      return { samples, stepSeconds: step, source: values.query as string };
    } finally {
      client.close();
    }
  };

  return {
    load: async () => {
      const loaded = await load();
      // A configured target's scaling section fills the replay's defaults (the command line wins).
      if (options.replay !== false && options.replay !== undefined) Object.assign(options, { replay: { ...dropUndefined(scalingFromTarget), ...options.replay } });
      if (options.quantile === undefined && scalingFromTarget.quantile !== undefined) Object.assign(options, { quantile: scalingFromTarget.quantile });
      return loaded;
    },
    options,
    ...(stepSeconds === undefined ? {} : { stepSeconds }),
    ...(values.json === undefined ? {} : { jsonPath: values.json }),
    ...(values.events === undefined ? {} : { eventsPath: values.events }),
    ...(values.report === undefined ? {} : { reportPath: values.report }),
  };
}

function dropUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}

export interface CliIo {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
}

/** Runs `prescient backtest …`; returns the exit code. */
export async function backtestCommand(args: readonly string[], io: CliIo): Promise<number> {
  let command: BacktestCommand | 'help';
  try {
    command = parseBacktestArgs(args);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`prescient backtest: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (command === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  try {
    const loaded = await command.load();
    const stepSeconds = command.stepSeconds ?? loaded.stepSeconds;
    const { series, filledGaps } = regularize(loaded.samples, stepSeconds === undefined ? {} : { stepSeconds });
    io.stderr.write(`${loaded.source}: ${series.values.length} steps of ${series.stepSeconds} s, ${filledGaps} gaps filled\n`);
    const events = command.eventsPath === undefined ? undefined : readEventsFile(command.eventsPath, loaded.targetName);
    if (events) io.stdout.write(`${eventsSummary(events, series)}\n`);
    const progress = createProgress(io.stderr);
    let phase = '';
    const result = await runBacktest({
      ...command.options,
      ...(loaded.fitTimeoutMs !== undefined && command.options.fitTimeoutMs === undefined ? { fitTimeoutMs: loaded.fitTimeoutMs } : {}),
      series,
      filledGaps,
      source: loaded.source,
      ...(events ? { events } : {}),
      onProgress: (p) => {
        if (p.phase !== phase && phase !== '') progress.finish();
        phase = p.phase;
        progress.update(p.phase, p.done, p.total, p.model);
      },
    });
    progress.finish();
    io.stdout.write(`\nForecast accuracy (${result.settings.origins} origins, horizon ${result.settings.horizonSeconds} s)\n${accuracyTable(result)}\n`);
    if (result.replay) {
      const hint = replayCadenceHint(result);
      io.stdout.write(`\nAutoscaling replay: ${replaySummary(result)}\n${replayTable(result)}\n${replayVerdict(result)}\n${hint ? `${hint}\n` : ''}`);
      if (result.replay.watchdog) io.stdout.write(`\n${watchdogTable(result.replay)}\n`);
      if (result.replay?.frontier) {
        io.stdout.write(`\nFrontier (every knob setting on the same forecasts; * served):\n${frontierTable(result.replay)}\n${frontierVerdict(result.replay)}\n`);
      }
    }
    io.stdout.write(`\ndone in ${(result.timings.totalMs / 1000).toFixed(1)} s${result.deadlineHit ? ' (deadline hit: some fits did not run)' : ''}\n`);
    if (command.jsonPath) {
      writeFileSync(command.jsonPath, `${JSON.stringify(result)}\n`);
      io.stderr.write(`wrote ${command.jsonPath}\n`);
    }
    if (command.reportPath) {
      writeFileSync(command.reportPath, renderReport(result));
      io.stderr.write(`wrote ${command.reportPath}\n`);
    }
    return 0;
  } catch (err) {
    const e = toPrescientError(err);
    io.stderr.write(`prescient backtest: ${e.code}: ${e.message}\n`);
    return 1;
  }
}

/** Entry point: dispatches the subcommand. */
export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === 'backtest') return backtestCommand(rest, io);
  if (subcommand === undefined || subcommand === '-h' || subcommand === '--help') {
    io.stdout.write(USAGE);
    return subcommand === undefined ? 2 : 0;
  }
  io.stderr.write(`prescient: unknown command "${subcommand}"\n\n${USAGE}`);
  return 2;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`prescient: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

/** The replay's watchdog on/off table (`--watchdog`): the reactive HPA, the predictive policy without and with the watchdog. */
export function watchdogTable(replay: NonNullable<BacktestResult['replay']>): string {
  const watchdog = replay.watchdog;
  if (!watchdog) return '';
  const row = (policy: string) => replay.policies.find((p) => p.policy === policy);
  const rows: [string, number | undefined, number | undefined][] = [
    ['reactive', row('reactive')?.underProvisionedMinutes, row('reactive')?.replicaHours],
    ['predictive, watchdog off', row('predictive')?.underProvisionedMinutes, row('predictive')?.replicaHours],
    ['predictive, watchdog on', watchdog.underProvisionedMinutes, watchdog.replicaHours],
  ];
  const reactive = watchdog.states.filter((s) => s.state === 'reactive').length;
  const first = watchdog.states.find((s) => s.state !== 'trusted');
  const lines = [
    'Watchdog on/off (the same forecasts; while the watchdog has the target reactive, the policy is fed the observed load):',
    `${'policy'.padEnd(26)}${'under-provisioned min'.padStart(23)}${'replica-hours'.padStart(15)}`,
    ...rows.map(([name, minutes, hours]) => `${name.padEnd(26)}${(minutes ?? Number.NaN).toFixed(0).padStart(23)}${(hours ?? Number.NaN).toFixed(1).padStart(15)}`),
    `reactive at ${reactive} of ${watchdog.states.length} refits${first ? `; first ${first.state} at ${new Date(first.atMs).toISOString()}` : ''}`,
  ];
  return lines.join('\n');
}
