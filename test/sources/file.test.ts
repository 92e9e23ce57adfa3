import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PrescientError } from '../../src/errors.js';
import { parseTimestampMs, readSamplesFile } from '../../src/sources/file.js';
import { regularize } from '../../src/series/regularize.js';

const dir = mkdtempSync(join(tmpdir(), 'prescient-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function errorOf(promise: Promise<unknown>): Promise<PrescientError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof PrescientError) return err;
  throw new Error(`expected a PrescientError, got ${String(err)}`);
}

describe('file source', () => {
  it('parses ISO times (no zone is UTC) and epoch seconds', () => {
    expect(parseTimestampMs('2026-03-02 08:00:00')).toBe(Date.parse('2026-03-02T08:00:00Z'));
    expect(parseTimestampMs('2026-03-02T08:00:00+01:00')).toBe(Date.parse('2026-03-02T07:00:00Z'));
    expect(parseTimestampMs('1772438400')).toBe(1_772_438_400_000);
    expect(parseTimestampMs('1772438400.5')).toBe(1_772_438_400_500);
    expect(parseTimestampMs('yesterday')).toBeNaN();
  });

  it('reads a CSV with epoch-second times; an empty value is a gap (NaN)', async () => {
    const path = file('epoch.csv', 'time,rps\n1772438400,10\n1772438700,\n1772439000,12.5\n');
    expect(await readSamplesFile(path)).toEqual({ timestampsMs: [1_772_438_400_000, 1_772_438_700_000, 1_772_439_000_000], values: [10, Number.NaN, 12.5] });
  });

  it('reads a named column of a CSV with several', async () => {
    const path = file('columns.csv', 'timestamp,cpu,rps\n2026-03-02 08:00:00,0.5,100\n2026-03-02 08:05:00,0.6,110\n');
    expect((await readSamplesFile(path, { column: 'rps' })).values).toEqual([100, 110]);
    const err = await errorOf(readSamplesFile(path, { column: 'mem' }));
    expect(err.code).toBe('PRESCIENT_ERR_SOURCE_FILE');
    expect(err.message).toContain('no column "mem" (columns: timestamp, cpu, rps)');
  });

  it('reads JSON rows with ISO or epoch-second timestamps and numeric or string values', async () => {
    const path = file(
      'rows.json',
      JSON.stringify([
        { timestamp: '2026-03-02T08:00:00Z', value: 1 },
        { timestamp: 1_772_438_700, value: '2' },
        { timestamp: '1772439000', value: null },
      ]),
    );
    const samples = await readSamplesFile(path);
    expect(samples.timestampsMs).toEqual([Date.parse('2026-03-02T08:00:00Z'), 1_772_438_700_000, 1_772_439_000_000]);
    expect(samples.values).toEqual([1, 2, Number.NaN]);
  });

  it('infers the step from the median spacing of the file', async () => {
    // Five minutes apart except one late sample and one missing one.
    const rows = [0, 300, 600, 960, 1200, 1800, 2100].map((s) => `${1_772_438_400 + s},${s}`);
    const samples = await readSamplesFile(file('uneven.csv', `t,v\n${rows.join('\n')}\n`));
    const { series, filledGaps } = regularize(samples);
    expect(series.stepSeconds).toBe(300);
    expect(series.values).toHaveLength(8);
    expect(filledGaps).toBe(1);
  });

  it('names the line of an unparseable CSV timestamp', async () => {
    const path = file('bad-line.csv', 'timestamp,value\n2026-03-02 08:00:00,1\n2026-03-02 08:05:00,2\nnot-a-time,3\n');
    const err = await errorOf(readSamplesFile(path));
    expect(err.code).toBe('PRESCIENT_ERR_SOURCE_FILE');
    expect(err.message).toBe(`${path}:4: cannot parse timestamp "not-a-time"`);
  });

  it('names the row of a bad JSON timestamp, and refuses invalid or empty JSON', async () => {
    const badRow = file('bad-row.json', JSON.stringify([{ timestamp: 1_772_438_400, value: 1 }, { timestamp: 'soon', value: 2 }]));
    const err = await errorOf(readSamplesFile(badRow));
    expect(err.code).toBe('PRESCIENT_ERR_SOURCE_FILE');
    expect(err.message).toBe(`${badRow}: row 1: bad timestamp`);
    for (const [name, text, message] of [
      ['broken.json', '[{"timestamp": 1,', 'invalid JSON'],
      ['empty.json', '[]', 'expected a non-empty array'],
      ['object.json', '{"timestamp": 1, "value": 2}', 'expected a non-empty array'],
    ] as const) {
      const e = await errorOf(readSamplesFile(file(name, text)));
      expect(e.code, name).toBe('PRESCIENT_ERR_SOURCE_FILE');
      expect(e.message, name).toContain(message);
    }
  });

  it('refuses a missing file, a CSV without a header and one without rows', async () => {
    for (const [path, message] of [
      [join(dir, 'missing.csv'), 'cannot read'],
      [file('no-header.csv', '1772438400\n'), 'expected a header line'],
      [file('no-rows.csv', 'timestamp,value\n'), 'no data rows'],
    ] as const) {
      const e = await errorOf(readSamplesFile(path));
      expect(e.code, path).toBe('PRESCIENT_ERR_SOURCE_FILE');
      expect(e.message, path).toContain(message);
    }
  });
});
