import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/backtest/run.js';
import { backtestCommand } from '../../src/cli.js';
import { readEventsFile } from '../../src/events/events-file.js';
import { regularize } from '../../src/series/regularize.js';
import type { Series } from '../../src/series/series.js';
import { readSamplesFile } from '../../src/sources/file.js';
import { DATA_DIR } from '../support/app.js';

/**
 * Known events replayed in the backtest (`--events FILE`) on a real series
 * (NYC taxi, 30 min, last two weeks): an incident's spike leaves fitting,
 * a campaign's multiplier shapes the forecasts the replay feeds its policy.
 */
const DAY = 86_400_000;
let dir: string;
let clean: Series;
let spiked: Series;
let spikeFrom = 0;
let spikeTo = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prescient-bt-events-'));
  const { series } = regularize(await readSamplesFile(join(DATA_DIR, 'nab/nyc_taxi.csv')));
  // The last 14 days: one origin a day before the end.
  const n = (14 * DAY) / (series.stepSeconds * 1000);
  clean = { ...series, startMs: series.startMs + (series.values.length - n) * series.stepSeconds * 1000, values: series.values.slice(-n) };
  const originMs = clean.startMs + clean.values.length * 1_800_000 - DAY;
  spikeFrom = originMs - DAY + 12 * 3_600_000;
  spikeTo = spikeFrom + 6 * 3_600_000;
  spiked = { ...clean, values: clean.values.map((v, i) => (clean.startMs + i * 1_800_000 >= spikeFrom && clean.startMs + i * 1_800_000 < spikeTo ? v * 10 : v)) };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const iso = (ms: number) => new Date(ms).toISOString();
const options = { source: 'taxi', models: ['snaive'], origins: 1, horizonSeconds: 86_400, seasonalPeriodsSeconds: [86_400], replay: { capacityPerReplica: 2000 } };

describe('events in the backtest', () => {
  it('an incident window leaves the fitting: the forecast repeats the clean day, not the spike', async () => {
    const events = readEventsFile(writeEvents([{ target: 'taxi', kind: 'incident', start: iso(spikeFrom), end: iso(spikeTo), note: 'outage' }]));
    const without = await runBacktest({ ...options, series: spiked, replay: false });
    const withEvents = await runBacktest({ ...options, series: spiked, replay: false, events });
    const reference = await runBacktest({ ...options, series: clean, replay: false });
    const point = (r: typeof without) => r.models[0]?.origins[0]?.forecast?.point as number[];
    // Seasonal naive repeats the day before the origin: spiked without the event, filled a season earlier with it.
    const k = 13 * 2; // 13:00 the next day
    expect(point(without)[k]).toBeGreaterThan(5 * (point(reference)[k] as number));
    // The spiked steps (the day before the origin, 12:00–18:00) were filled from the same hours a day earlier.
    const twoDaysBefore = (i: number) => clean.values[clean.values.length - 3 * 48 + i] as number;
    for (let i = 24; i < 36; i++) expect(point(withEvents)[i]).toBeCloseTo(twoDaysBefore(i), 6);
    expect(point(withEvents)[10]).toBeCloseTo(point(reference)[10] as number, 6);
    // Scored against the filled load too, so the spike does not count against the model.
    expect(withEvents.models[0]?.mase).toBeLessThan(without.models[0]?.mase as number);
  });

  it("a campaign multiplies the replay's fed forecasts over its window and nothing else", async () => {
    const originMs = clean.startMs + clean.values.length * 1_800_000 - DAY;
    const from = originMs + 6 * 3_600_000;
    const to = originMs + 9 * 3_600_000;
    const events = readEventsFile(writeEvents([{ target: 'taxi', kind: 'campaign', start: iso(from), end: iso(to), note: 'sale', multiplier: 2 }]));
    const plain = await runBacktest({ ...options, series: clean });
    const shaped = await runBacktest({ ...options, series: clean, events });
    const fed = (r: typeof plain) => r.replay?.fedForecasts.find((f) => f.policy === 'predictive');
    const a = fed(plain);
    const b = fed(shaped);
    expect(a && b).toBeTruthy();
    let inside = 0;
    a?.load.forEach((v, i) => {
      const t = (a.issuedAtMs as number) + i * a.stepSeconds * 1000;
      const factor = t >= from && t < to ? 2 : 1;
      if (factor === 2) inside++;
      expect(b?.load[i]).toBeCloseTo(v * factor, 6);
    });
    expect(inside).toBe(6);
  });

  it('--events on the CLI: the events line, and a coded error naming the bad field', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) > 0 }, stderr: { write: (s: string) => err.push(s) > 0 } } as never;
    const csv = join(dir, 'taxi.csv');
    writeFileSync(csv, `timestamp,value\n${clean.values.map((v, i) => `${iso(clean.startMs + i * 1_800_000)},${v}`).join('\n')}\n`);
    const good = writeEvents([{ selector: '*', kind: 'incident', start: iso(spikeFrom), end: iso(spikeTo), note: 'outage' }]);
    const args = ['--file', csv, '--models', 'snaive', '--origins', '1', '--periods', '1d', '--no-replay'];
    expect(await backtestCommand([...args, '--events', good], io)).toBe(0);
    expect(out.join('')).toContain('events: 1 (1 incidents covering 12 steps, left out of fitting and scoring');
    const bad = writeEvents([{ target: 'taxi', kind: 'incident', start: iso(spikeFrom) }]);
    expect(await backtestCommand([...args, '--events', bad], io)).toBe(1);
    expect(err.join('')).toContain('PRESCIENT_ERR_VALIDATION');
    expect(err.join('')).toContain('events[0].note');
  });

  it('--watchdog on the CLI: a watchdog on/off table beside the replay, and how often it had the target reactive', async () => {
    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) > 0 }, stderr: { write: () => true } } as never;
    const csv = join(dir, 'taxi-watchdog.csv');
    writeFileSync(csv, `timestamp,value\n${clean.values.map((v, i) => `${iso(clean.startMs + i * 1_800_000)},${v}`).join('\n')}\n`);
    expect(await backtestCommand(['--file', csv, '--models', 'snaive', '--origins', '2', '--periods', '1d', '--refit-every', '6h', '--watchdog'], io)).toBe(0);
    const text = out.join('');
    expect(text).toContain('Watchdog on/off');
    expect(text).toMatch(/predictive, watchdog off\s+\d+\s+[\d.]+\n/);
    expect(text).toMatch(/predictive, watchdog on\s+\d+\s+[\d.]+\n/);
    expect(text).toMatch(/reactive at \d+ of 8 refits/);
  });
});

let written = 0;
function writeEvents(events: unknown[]): string {
  const path = join(dir, `events-${written++}.json`);
  writeFileSync(path, JSON.stringify(events));
  return path;
}
