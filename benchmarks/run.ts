/**
 * `npm run bench`: runs every benchmark script in benchmarks/ (each top-level
 * *.ts that writes a result, except this one, one after the other so they do not compete for the
 * two cores), then writes benchmarks/RESULTS.md with the machine, the date,
 * how each script ended and every figure from benchmarks/out/*.json.
 *
 *   npx tsx benchmarks/run.ts [--only a,b] [--skip a,b] [--report-only] [--retire a,b] [--timeout 30m]
 *
 * A section of the previous RESULTS.md is carried until its script writes a
 * new result; `--retire a,b` drops the named carried sections instead (a
 * superseded experiment or the shards of a merged run), so the goal tables
 * keep what still stands.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDurationSeconds } from '../src/config/duration.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const OUT = join(HERE, 'out');
/** Figures that state a goal or whether it was met (top-level or nested), shown again at the top. */
const GOAL_FIGURE = /^(goals?|met|goalMet|beatsSnaive|medianAutoToBestRRatio|pooled|autoImprovementOverSnaive|autoImprovementOverDailySnaive)(\.|$)|\.(met|goal)$/;
/** Rows a section shows at most. */
const MAX_SECTION_ROWS = 1500;
/** Arrays longer than this are summarised (count, min, max), not listed. */
const MAX_LISTED = 24;

interface Verdict {
  goal: string;
  figure: string | number;
  met: boolean;
}

/** What an earlier RESULTS.md said of one benchmark: its section and its goal rows. */
interface CarriedSection {
  body: string;
  goalRows: string[];
  /** The command its goal table named, when it did. */
  command?: string;
}

interface ScriptRun {
  name: string;
  exitCode: number | null;
  seconds: number;
  tail: string;
}

/**
 * Benchmark scripts: top-level *.ts files that write a result file. Helpers
 * (shared fixtures, load clients another benchmark spawns) write none and are
 * not run on their own.
 */
function scripts(): string[] {
  return readdirSync(HERE)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts'))
    .filter((f) => /writeFile/.test(readFileSync(join(HERE, f), 'utf8')))
    .sort();
}

function runScript(file: string, timeoutMs: number): ScriptRun {
  const name = basename(file, '.ts');
  process.stdout.write(`\n=== ${name} ===\n`);
  const started = performance.now();
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  const child = spawnSync(tsx, [join(HERE, file)], { cwd: ROOT, timeout: timeoutMs, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = `${child.stdout ?? ''}${child.stderr ?? ''}`;
  process.stdout.write(output);
  const tail = output.trim().split('\n').slice(-3).join(' / ');
  return { name, exitCode: child.status, seconds: (performance.now() - started) / 1000, tail: child.error ? `${child.error.message}; ${tail}` : tail };
}

function machine(): Record<string, string> {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: String(cpu.length),
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

function fmt(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  if (typeof value === 'string') return value.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return JSON.stringify(value);
}

/** Flattens a JSON value to (path, value) rows; long numeric arrays become a summary. */
function flatten(value: unknown, path: string, rows: [string, string][]): void {
  if (Array.isArray(value)) {
    if (value.length > MAX_LISTED && value.every((v) => typeof v === 'number')) {
      const nums = value as number[];
      rows.push([path, `${nums.length} numbers, min ${fmt(Math.min(...nums))}, max ${fmt(Math.max(...nums))}`]);
      return;
    }
    value.forEach((v, i) => {
      // Name array items by their own name-like field when they have one.
      const label = typeof v === 'object' && v !== null ? (['name', 'series', 'model', 'policy', 'benchmark'].map((k) => (v as Record<string, unknown>)[k]).find((x) => typeof x === 'string') as string | undefined) : undefined;
      const item = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
      const extra =
        (typeof item.startupDelaySeconds === 'number' ? `@${item.startupDelaySeconds}s` : '') +
        (typeof item.reactiveTrigger === 'boolean' ? (item.reactiveTrigger ? '@beside' : '@alone') : '');
      flatten(v, `${path}[${label ? `${label}${extra}` : i}]`, rows);
    });
    return;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k, rows);
    return;
  }
  rows.push([path, fmt(value)]);
}

function isVerdict(v: unknown): v is Verdict {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.goal === 'string' && (typeof r.figure === 'string' || typeof r.figure === 'number') && typeof r.met === 'boolean';
}

/** The goal rows of one benchmark: its stated verdicts, or (older results) figures whose names say goal or met. */
function goalRows(name: string, data: unknown, rows: readonly [string, string][]): string[] {
  const record = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const verdicts = Array.isArray(record.verdicts) ? record.verdicts.filter(isVerdict) : [];
  if (verdicts.length > 0) return verdicts.map((v) => `| ${name} | ${fmt(v.goal)} | ${fmt(v.figure)} | ${v.met ? 'met' : 'NOT met'} |`);
  // Per-item figures (paths through arrays: one per run or series) stay in the section below.
  return rows.filter(([k]) => GOAL_FIGURE.test(k) && !k.includes('[')).map(([k, v]) => `| ${name} | ${k} | ${v} | |`);
}

/** Sections and goal rows of the RESULTS.md written last time, by benchmark name. */
function previousSections(): Map<string, CarriedSection> {
  const file = join(HERE, 'RESULTS.md');
  const carried = new Map<string, CarriedSection>();
  if (!existsSync(file)) return carried;
  const text = readFileSync(file, 'utf8');
  const date = /^- date: (.+)$/m.exec(text)?.[1] ?? 'an earlier run';
  const parts = text.split(/^## /m).slice(1);
  const goalPart = parts.find((p) => p.startsWith('Goals'));
  for (const part of parts) {
    const newline = part.indexOf('\n');
    const name = part.slice(0, newline).replace(/ \(carried.*$/, '').trim();
    if (name.startsWith('Goals') || name === 'Scripts') continue;
    const already = /^\(carried from (.+?); not re-run since\)$/m.exec(part)?.[1];
    const body = part
      .slice(newline + 1)
      .replace(/^\(carried from .+?; not re-run since\)$/m, '')
      .trim();
    // Rows of the older three-column table get an empty verdict cell.
    const rows = (goalPart ?? '')
      .split('\n')
      .filter((l) => l.startsWith(`| ${name} |`))
      .map((l) => (l.split('|').length === 5 ? `${l} |` : l));
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const command = new RegExp(`^\\*\\*${escaped}\\*\\* — \`(.+)\`$`, 'm').exec(goalPart ?? '')?.[1];
    carried.set(name, { body: `(carried from ${already ?? date}; not re-run since)\n\n${body}`, goalRows: rows, ...(command ? { command } : {}) });
  }
  return carried;
}

function results(runs: readonly ScriptRun[], retired: readonly string[]): string {
  const m = machine();
  const lines: string[] = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (benchmarks/run.ts); every figure below is read from benchmarks/out/*.json as the scripts wrote it,',
    'or carried, with its date, from the previous RESULTS.md when that script was not run again.',
    '',
    `- date: ${new Date().toISOString()}`,
    `- cpu: ${m.cpu}`,
    `- cores: ${m.cores}`,
    `- memory: ${m.memory}`,
    `- node: ${m.node}`,
    `- os: ${m.os}`,
    '',
  ];
  const carried = previousSections();
  for (const name of retired) {
    if (!carried.delete(name)) throw new Error(`--retire ${name}: no such section in the previous RESULTS.md`);
  }
  const files = existsSync(OUT) ? readdirSync(OUT).filter((f) => f.endsWith('.json')).sort() : [];
  const sections = new Map<string, string>();
  const goals = new Map<string, string[]>();
  const commands = new Map<string, string>();
  for (const file of files) {
    const name = basename(file, '.json');
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(join(OUT, file), 'utf8'));
    } catch (err) {
      sections.set(name, `(unreadable: ${(err as Error).message})`);
      continue;
    }
    const rows: [string, string][] = [];
    flatten(data, '', rows);
    // A result with thousands of figures (the forecasts a replay fed its policies) is a raw dump: the
    // report keeps its first rows and says where the rest is.
    const shown = rows.slice(0, MAX_SECTION_ROWS).map(([k, v]) => `| ${k || '(value)'} | ${v} |`);
    const more = rows.length > MAX_SECTION_ROWS ? [`| … | ${rows.length - MAX_SECTION_ROWS} more figures in benchmarks/out/${file} |`] : [];
    sections.set(name, ['| figure | value |', '|---|---|', ...shown, ...more].join('\n'));
    goals.set(name, goalRows(name, data, rows));
    const command = (data as Record<string, unknown> | null)?.command;
    if (typeof command === 'string') commands.set(name, command);
  }
  for (const [name, old] of carried) {
    if (sections.has(name)) continue;
    sections.set(name, old.body);
    goals.set(name, old.goalRows);
    if (old.command) commands.set(name, old.command);
  }
  const names = [...sections.keys()].sort();
  if (names.length === 0) lines.push('No results in benchmarks/out/.', '');
  const goalNames = names.filter((n) => (goals.get(n) ?? []).length > 0);
  if (goalNames.length > 0) {
    lines.push('## Goals', '', 'One table per benchmark: each goal, the measured figure, and whether it was met. Details in the sections below.', '');
    for (const name of goalNames) {
      lines.push(`**${name}**${commands.has(name) ? ` — \`${commands.get(name)}\`` : ''}`, '', '| benchmark | goal | figure | met |', '|---|---|---|---|', ...(goals.get(name) ?? []), '');
    }
  }
  if (runs.length > 0) {
    lines.push('## Scripts', '', '| script | exit | seconds | last lines |', '|---|---|---|---|');
    for (const r of runs) lines.push(`| ${r.name} | ${r.exitCode ?? 'killed'} | ${r.seconds.toFixed(1)} | ${fmt(r.tail).slice(0, 300)} |`);
    lines.push('');
  }
  for (const name of names) lines.push(`## ${name}`, '', sections.get(name) ?? '', '');
  return `${lines.join('\n').trimEnd()}\n`;
}

function main(): void {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, skip: { type: 'string' }, 'report-only': { type: 'boolean' }, retire: { type: 'string' }, timeout: { type: 'string', default: '30m' } },
  });
  const only = values.only?.split(',');
  const skip = values.skip?.split(',') ?? [];
  const timeoutText = values.timeout ?? '';
  const timeoutSeconds = /^\d+(\.\d+)?$/.test(timeoutText) ? Number(timeoutText) : parseDurationSeconds(timeoutText);
  if (timeoutSeconds === undefined) throw new Error(`--timeout: expected a duration such as 30m or a number of seconds, got "${values.timeout}"`);
  const timeoutMs = Math.round(timeoutSeconds * 1000);
  const runs: ScriptRun[] = [];
  if (!values['report-only']) {
    for (const file of scripts()) {
      const name = basename(file, '.ts');
      if ((only && !only.includes(name)) || skip.includes(name)) continue;
      runs.push(runScript(file, timeoutMs));
    }
  }
  writeFileSync(join(HERE, 'RESULTS.md'), results(runs, values.retire?.split(',') ?? []));
  process.stdout.write(`\nwrote benchmarks/RESULTS.md (${runs.length} scripts run)\n`);
  if (runs.some((r) => r.exitCode !== 0)) process.exitCode = 1;
}

main();
