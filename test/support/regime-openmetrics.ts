/**
 * A workload whose regime changes mid-way, in OpenMetrics text for
 * backfilling a real Prometheus (test/support/prometheus.ts). Seeded.
 *
 * `prescient_regime_load` (gauge, 5 min): before `changeMs` the daily and
 * weekly cycle of loadShape(); from `changeMs` on the load doubles, the daily
 * peak comes 3 hours later and the weekly cycle is gone.
 * `prescient_regime_replicas` (gauge, 5 min): the replicas a plain HPA ran
 * (observed load 5 min earlier over 100 per replica), for shadow mode.
 */
import { seededRandom } from '../../src/random.js';
import { loadShape } from './synthetic-openmetrics.js';

const DAY_MS = 86_400_000;
const STEP_MS = 300_000;

export interface RegimeHistory {
  readonly openMetrics: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly changeMs: number;
  /** Noiseless load at t (ms). */
  readonly shape: (tMs: number) => number;
}

/** The load after the change: doubled, peak 3 h later, no weekly cycle. */
export function changedShape(tMs: number): number {
  const shifted = tMs - 3 * 3_600_000;
  const daily = Math.sin((2 * Math.PI * (((shifted % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS - Math.PI / 2);
  return 2 * (200 + 80 * daily);
}

export function generateRegimeHistory(options: { endMs?: number; days?: number; changeDaysBeforeEnd?: number; seed?: number } = {}): RegimeHistory {
  const endMs = Math.floor((options.endMs ?? Date.now()) / STEP_MS) * STEP_MS;
  const startMs = endMs - (options.days ?? 25) * DAY_MS;
  const changeMs = endMs - (options.changeDaysBeforeEnd ?? 4) * DAY_MS;
  const random = seededRandom(options.seed ?? 7);
  const shape = (t: number) => (t < changeMs ? loadShape(t) : changedShape(t));
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const load: string[] = ['# HELP prescient_regime_load Load that changes regime.', '# TYPE prescient_regime_load gauge'];
  const replicas: string[] = ['# HELP prescient_regime_replicas Replicas a reactive HPA ran.', '# TYPE prescient_regime_replicas gauge'];
  let previous = shape(startMs);
  for (let t = startMs; t <= endMs; t += STEP_MS) {
    const value = Math.max(0, shape(t) + 8 * gaussian());
    load.push(`prescient_regime_load{job="regime"} ${value.toFixed(3)} ${t / 1000}`);
    replicas.push(`prescient_regime_replicas{job="regime"} ${Math.max(1, Math.ceil(previous / 100))} ${t / 1000}`);
    previous = value;
  }
  return { openMetrics: [...load, ...replicas, '# EOF', ''].join('\n'), startMs, endMs, changeMs, shape };
}
