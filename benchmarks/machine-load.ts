/**
 * What the machine was doing while a benchmark ran, measured rather than
 * assumed: the 1-minute load average at the start and at the end, beside the
 * core count. Speed figures taken at a load above the core count are
 * pessimistic; accuracy figures do not depend on it.
 */
import { cpus, loadavg } from 'node:os';

export function loadAtStart(): number {
  return loadavg()[0] ?? 0;
}

export function loadNote(startLoad: number): string {
  const end = loadavg()[0] ?? 0;
  const cores = cpus().length;
  const busy = Math.max(startLoad, end) > cores;
  return `${cores} cores; 1-minute load average ${startLoad.toFixed(1)} at the start, ${end.toFixed(1)} at the end${busy ? ': busier than the cores, so times are pessimistic' : ''}`;
}
