import { readFile } from 'node:fs/promises';
import { PrescientError } from '../errors.js';
import type { Samples } from '../series/series.js';

export interface FileReadOptions {
  /** Value column of a CSV with several (default: the second column). */
  readonly column?: string;
}

/**
 * Parses a timestamp: ISO-8601 (no zone means UTC) or epoch seconds.
 * Returns NaN when it is neither.
 */
export function parseTimestampMs(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const iso = trimmed.includes('T') ? trimmed : trimmed.replace(' ', 'T');
  const zoned = /([zZ]|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`;
  return Date.parse(zoned);
}

/**
 * Reads samples from a CSV (`timestamp,value` with a header; other column
 * names allowed, first column is the time) or a JSON file
 * (`[{"timestamp": …, "value": …}]`). Unparseable values become NaN gaps;
 * an unparseable timestamp is an error naming the line.
 * @throws PrescientError PRESCIENT_ERR_SOURCE_FILE
 */
export async function readSamplesFile(path: string, options: FileReadOptions = {}): Promise<Samples> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new PrescientError('PRESCIENT_ERR_SOURCE_FILE', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  return path.endsWith('.json') ? parseJsonSamples(text, path) : parseCsvSamples(text, path, options);
}

export function parseCsvSamples(text: string, path: string, options: FileReadOptions = {}): Samples {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines[0]?.split(',').map((h) => h.trim());
  if (!header || header.length < 2) {
    throw new PrescientError('PRESCIENT_ERR_SOURCE_FILE', `${path}: expected a header line such as "timestamp,value"`);
  }
  const column = options.column === undefined ? 1 : header.indexOf(options.column);
  if (column < 1) {
    throw new PrescientError('PRESCIENT_ERR_SOURCE_FILE', `${path}: no column "${options.column}" (columns: ${header.join(', ')})`);
  }
  const timestampsMs: number[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = (lines[i] as string).split(',');
    const t = parseTimestampMs(cells[0] ?? '');
    if (Number.isNaN(t)) {
      throw new PrescientError('PRESCIENT_ERR_SOURCE_FILE', `${path}:${i + 1}: cannot parse timestamp "${cells[0] ?? ''}"`);
    }
    const cell = cells[column]?.trim() ?? '';
    timestampsMs.push(t);
    values.push(cell === '' ? Number.NaN : Number(cell));
  }
  if (timestampsMs.length === 0) throw new PrescientError('PRESCIENT_ERR_SOURCE_FILE', `${path}: no data rows`);
  return { timestampsMs, values };
}

function parseJsonSamples(text: string, path: string): Samples {
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch (cause) {
    throw new PrescientError('PRESCIENT_ERR_SOURCE_FILE', `${path}: invalid JSON`, { cause });
  }
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new PrescientError('PRESCIENT_ERR_SOURCE_FILE', `${path}: expected a non-empty array of {timestamp, value}`);
  }
  const timestampsMs: number[] = [];
  const values: number[] = [];
  rows.forEach((row: unknown, i) => {
    const { timestamp, value } = (row ?? {}) as { timestamp?: unknown; value?: unknown };
    const t = typeof timestamp === 'number' ? timestamp * 1000 : parseTimestampMs(String(timestamp));
    if (Number.isNaN(t)) throw new PrescientError('PRESCIENT_ERR_SOURCE_FILE', `${path}: row ${i}: bad timestamp`);
    timestampsMs.push(t);
    values.push(typeof value === 'number' ? value : Number(value ?? Number.NaN));
  });
  return { timestampsMs, values };
}
