/**
 * Replays `auto`'s choice and calibration on cached M4 backtests
 * (benchmarks/m4-dump.ts), for variants of them, in seconds: no model is
 * fitted. The variant `current` is what `auto` does (its own functions are
 * called); the others change one thing each. Tuning looks at the dev dump
 * only (series outside m4.ts's evaluation sample).
 *
 *   npx tsx benchmarks/m4-offline.ts --dumps dev-0,dev-1 [--variants a,b] [--without m] [--require m] [--per-series]
 *
 * Dumps of the same series (a later dump of one new member) are merged;
 * --without drops candidates (and their @1d variants), to compare auto
 * with and without a member; --require keeps only the series whose dumps
 * hold that member, so both compare the same series.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mase, maseScale } from '../src/models/evaluation/metrics.js';
import { aggregateOrigins, scoreForecast, type OriginResult } from '../src/models/evaluation/rolling-origin.js';
import { decideCalibration } from '../src/models/auto/calibration.js';
import { rankCandidates, type Candidate } from '../src/models/auto/candidates.js';
import { blendForecasts, chooseBlend, COMBINATION_SIZE, MEMBER_MASE_RATIO } from '../src/models/auto/combination.js';
import { medianForecast } from '../src/models/auto/ensemble.js';
import type { AutoOptions } from '../src/models/auto/options.js';
import { applyCalibration, tailReference } from '../src/models/conformal.js';
import type { Forecast, Forecaster } from '../src/models/forecaster.js';
import { reviewForecast } from '../src/models/validate.js';
import { readM4Hourly } from './m4.js';
import type { DumpSeries } from './m4-dump.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const LEVELS = [0.8, 0.95];
const Q = 0.9;

/** What a variant serves before calibration: member names, weights, blended backtest origins and test forecast. */
interface Served {
  readonly name: string;
  readonly origins: readonly OriginResult[];
  readonly test: Forecast;
}

interface Variant {
  readonly serve: (ranked: readonly Candidate[], tests: ReadonlyMap<string, Forecast>, train: readonly number[], day: number) => Served | undefined;
  readonly calibration: AutoOptions;
}

function toOrigins(c: DumpSeries['candidates'][number]): OriginResult[] {
  return c.origins.map((o) => ({
    originIndex: o.originIndex,
    originMs: 0,
    historyStartIndex: 0,
    actual: o.actual,
    fitTimeMs: 0,
    predictTimeMs: 0,
    scale: o.scale,
    ...(o.forecast ? { forecast: o.forecast, metrics: scoreForecast(o.actual, o.forecast, o.scale, Q) } : { error: { code: 'PRESCIENT_ERR_INTERNAL', message: 'failed' } as never }),
  }));
}

function blendOf(ranked: readonly Candidate[], names: readonly string[], weights: readonly number[], tests: ReadonlyMap<string, Forecast>): Served | undefined {
  const members = names.map((n) => ranked.find((c) => c.name === n) as Candidate);
  const memberTests = names.map((n) => tests.get(n));
  if (memberTests.some((t) => t === undefined)) return undefined;
  const origins = members[0]?.origins.map((origin, k) => {
    const forecast = blendForecasts(members.map((m) => m.origins[k]?.forecast as Forecast), weights);
    return { ...origin, forecast, metrics: scoreForecast(origin.actual, forecast, origin.scale, Q) };
  }) ?? [];
  return { name: names.join('+'), origins, test: blendForecasts(memberTests as Forecast[], weights) };
}

/** auto's choice: chooseBlend over the ranked singles (at least `minMembers`), falling down the ranking when a final fit is missing. */
const serveWith = (minMembers?: number): Variant['serve'] => (ranked, tests) => {
  const chosen = ranked.length >= 2 ? chooseBlend(ranked, Q, minMembers) : undefined;
  if (chosen && chosen.blend.members.length > 1) {
    const served = blendOf(ranked, chosen.blend.members, chosen.blend.weights, tests);
    if (served) return { ...served, name: chosen.blend.name };
  }
  for (const c of ranked) {
    const test = tests.get(c.name);
    if (test) return { name: c.name, origins: c.origins, test };
  }
  return undefined;
};
const currentServe = serveWith();

/** Members as chooseBlend takes them (best COMBINATION_SIZE within MEMBER_MASE_RATIO of the best). */
function membersOf(ranked: readonly Candidate[], size = COMBINATION_SIZE, ratio = MEMBER_MASE_RATIO): Candidate[] {
  const byMase = [...ranked].sort((a, b) => a.mase - b.mase);
  const best = byMase[0];
  return best ? byMase.filter((c) => c.mase <= best.mase * ratio && c.origins.every((o) => o.forecast)).slice(0, size) : [];
}

function medianOf(members: readonly Candidate[], tests: ReadonlyMap<string, Forecast>): Served | undefined {
  const memberTests = members.map((m) => tests.get(m.name));
  if (memberTests.some((t) => t === undefined) || members.length === 0) return undefined;
  const origins = (members[0] as Candidate).origins.map((origin, k) => {
    const forecast = medianForecast(members.map((m) => m.origins[k]?.forecast as Forecast));
    return { ...origin, forecast, metrics: scoreForecast(origin.actual, forecast, origin.scale, Q) };
  });
  return { name: `median:${members.map((m) => m.name).join('+')}`, origins, test: medianForecast(memberTests as Forecast[]) };
}

/** Mean absolute distance of each forecast's point from the members' median point, per step, in units of `scale`. */
function spread(forecasts: readonly Forecast[], scale: number, steps: number): number[] {
  const mid = medianForecast(forecasts).point;
  return forecasts.map((f) => f.point.slice(0, steps).reduce((sum, p, h) => sum + Math.abs(p - (mid[h] as number)), 0) / steps / scale);
}

/**
 * Guard: a member whose test forecast strays from the members' median by
 * more than `factor` × its largest stray over the backtest origins (and by
 * more than `floor` MASE units) is dropped; the rest are combined equally.
 */
function guarded(factor: number, floor: number, combine: 'mean' | 'median'): Variant['serve'] {
  return (ranked, tests, train, day) => {
    let members = membersOf(ranked);
    if (members.length >= 3) {
      const scale = maseScale(train, day);
      const testSpread = spread(members.map((m) => tests.get(m.name) as Forecast), scale, (tests.get(members[0]?.name as string) as Forecast).point.length);
      const backSpread = members.map(() => 0);
      (members[0] as Candidate).origins.forEach((o, k) => {
        const d = spread(members.map((m) => m.origins[k]?.forecast as Forecast), o.scale, o.actual.length);
        d.forEach((x, j) => (backSpread[j] = Math.max(backSpread[j] as number, x)));
      });
      const kept = members.filter((_, j) => !((testSpread[j] as number) > floor && (testSpread[j] as number) > factor * (backSpread[j] as number)));
      if (kept.length >= 2) members = kept;
    }
    if (members.length === 0) return currentServe(ranked, tests, train, day);
    if (combine === 'median') return medianOf(members, tests);
    return blendOf(ranked, members.map((m) => m.name), members.map(() => 1 / members.length), tests);
  };
}

/** One member per model family (a model and its `@1d` variant are one family: the better of them by backtest). */
function byFamily(ranked: readonly Candidate[]): Candidate[] {
  const seen = new Set<string>();
  return [...ranked].sort((a, b) => a.mase - b.mase).filter((c) => {
    const family = c.name.replace(/@.*$/, '');
    if (seen.has(family)) return false;
    seen.add(family);
    return true;
  });
}

const equalTop = (size: number, ratio: number, family = false): Variant['serve'] => (ranked, tests, train, day) => {
  const members = membersOf(family ? byFamily(ranked) : ranked, size, ratio);
  return members.length === 0 ? currentServe(ranked, tests, train, day) : blendOf(ranked, members.map((m) => m.name), members.map(() => 1 / members.length), tests);
};

const inverseMase: Variant['serve'] = (ranked, tests, train, day) => {
  const members = membersOf(ranked);
  const inv = members.map((m) => 1 / m.mase);
  const total = inv.reduce((a, b) => a + b, 0);
  return members.length === 0 ? currentServe(ranked, tests, train, day) : blendOf(ranked, members.map((m) => m.name), inv.map((w) => w / total), tests);
};

const medianServe: Variant['serve'] = (ranked, tests, train, day) => medianOf(membersOf(ranked), tests) ?? currentServe(ranked, tests, train, day);

/** As auto, but never one model alone for being the only one within MEMBER_MASE_RATIO: then the best two, equally. */
const atLeastTwo: Variant['serve'] = (ranked, tests, train, day) => {
  const chosen = ranked.length >= 2 ? chooseBlend(ranked, Q) : undefined;
  if (chosen && chosen.blend.members.length === 1) {
    const two = [...ranked].sort((a, b) => a.mase - b.mase).slice(0, 2);
    return blendOf(ranked, two.map((m) => m.name), [0.5, 0.5], tests) ?? currentServe(ranked, tests, train, day);
  }
  return currentServe(ranked, tests, train, day);
};

/**
 * As auto, but a single model with strong evidence (see chooseBlend) takes
 * max(0.5, 1 − its MASE / the combination's) of the weight instead of a
 * fixed half: the share of the combination's backtest error it removes.
 */
const evidenceWeighted: Variant['serve'] = (ranked, tests, train, day) => {
  const chosen = ranked.length >= 2 ? chooseBlend(ranked, Q) : undefined;
  if (!chosen || !chosen.blend.name.startsWith('shrunk:')) return currentServe(ranked, tests, train, day);
  const names = chosen.blend.members;
  const best = ranked.find((c) => c.name === chosen.blend.name.slice('shrunk:'.length).split('|')[0]) as Candidate;
  const members = names.map((n) => ranked.find((c) => c.name === n) as Candidate);
  const equal = names.map(() => 1 / names.length);
  const combo = blendOf(ranked, names, equal, tests);
  if (!combo) return currentServe(ranked, tests, train, day);
  const comboMase = combo.origins.reduce((s, o) => s + (o.metrics?.mase ?? 0), 0) / combo.origins.length;
  const w = Math.max(0.5, 1 - best.mase / comboMase);
  const weights = members.map((m) => (m === best ? w : 0) + (1 - w) / names.length);
  const served = blendOf(ranked, names, weights, tests);
  return served ? { ...served, name: `${chosen.blend.name}@${w.toFixed(2)}` } : currentServe(ranked, tests, train, day);
};

const VARIANTS: Record<string, Variant> = {
  'evidence-weighted': { serve: evidenceWeighted, calibration: {} },
  'at-least-two': { serve: atLeastTwo, calibration: {} },
  current: { serve: currentServe, calibration: {} },
  'min-members-1': { serve: serveWith(1), calibration: {} },
  'min-members-1-slack-1.5': { serve: serveWith(1), calibration: { crossCheckSlack: 1.5 } },
  'current-slack-1': { serve: currentServe, calibration: { crossCheckSlack: 1 } },
  'current-slack-1.645': { serve: currentServe, calibration: { crossCheckSlack: 1.645 } },
  'current-slack-3': { serve: currentServe, calibration: { crossCheckSlack: 3 } },
  'current-slack-2': { serve: currentServe, calibration: { crossCheckSlack: 2 } },
  'no-cross-check': { serve: currentServe, calibration: { crossCheck: false } },
  'slack-1': { serve: currentServe, calibration: { crossCheckSlack: 1 } },
  'slack-1.5': { serve: currentServe, calibration: { crossCheckSlack: 1.5 } },
  'slack-2': { serve: currentServe, calibration: { crossCheckSlack: 2 } },
  'binomial-3': { serve: currentServe, calibration: { crossCheckSlack: 3, crossCheckEffectiveSize: false } },
  'eff-1.645': { serve: currentServe, calibration: { crossCheckSlack: 1.645, crossCheckEffectiveSize: true } },
  'eff-1': { serve: currentServe, calibration: { crossCheckSlack: 1, crossCheckEffectiveSize: true } },
  'eff-2': { serve: currentServe, calibration: { crossCheckSlack: 2, crossCheckEffectiveSize: true } },
  'eff-3': { serve: currentServe, calibration: { crossCheckSlack: 3, crossCheckEffectiveSize: true } },
  'no-tail': { serve: currentServe, calibration: { tailWidening: false } },
  'tail-ratio': { serve: currentServe, calibration: { tailMethod: 'ratio' } },
  median: { serve: medianServe, calibration: {} },
  'equal-top3': { serve: equalTop(3, MEMBER_MASE_RATIO), calibration: {} },
  'equal-top2': { serve: equalTop(2, MEMBER_MASE_RATIO), calibration: {} },
  'equal-top4': { serve: equalTop(4, MEMBER_MASE_RATIO), calibration: {} },
  'equal-top3-r1.25': { serve: equalTop(3, 1.25), calibration: {} },
  'equal-top3-r2': { serve: equalTop(3, 2), calibration: {} },
  'inverse-mase': { serve: inverseMase, calibration: {} },
  'equal-top4-r2': { serve: equalTop(4, 2), calibration: {} },
  'equal-top4-r1.25': { serve: equalTop(4, 1.25), calibration: {} },
  'equal-top4-r1.75': { serve: equalTop(4, 1.75), calibration: {} },
  'equal-top5': { serve: equalTop(5, MEMBER_MASE_RATIO), calibration: {} },
  'family-top3': { serve: equalTop(3, MEMBER_MASE_RATIO, true), calibration: {} },
  'family-top4': { serve: equalTop(4, MEMBER_MASE_RATIO, true), calibration: {} },
  'family-top4-r1.75': { serve: equalTop(4, 1.75, true), calibration: {} },
  'family-top4-slack-1.5': { serve: equalTop(4, MEMBER_MASE_RATIO, true), calibration: { crossCheckSlack: 1.5 } },
  'equal-all': { serve: equalTop(99, 99), calibration: {} },
  'median-top4': { serve: (ranked, tests, train, day) => medianOf(membersOf(ranked, 4), tests) ?? currentServe(ranked, tests, train, day), calibration: {} },
  'top4-slack-1.5': { serve: equalTop(4, MEMBER_MASE_RATIO), calibration: { crossCheckSlack: 1.5 } },
  'top4-slack-2': { serve: equalTop(4, MEMBER_MASE_RATIO), calibration: { crossCheckSlack: 2 } },
  'guard-2-0.3': { serve: guarded(2, 0.3, 'mean'), calibration: {} },
  'guard-3-0.3': { serve: guarded(3, 0.3, 'mean'), calibration: {} },
  'guard-2-0.5': { serve: guarded(2, 0.5, 'mean'), calibration: {} },
  'guard-1.5-0.2': { serve: guarded(1.5, 0.2, 'mean'), calibration: {} },
};

async function main(): Promise<void> {
  const { values: args } = parseArgs({ options: { dumps: { type: 'string', default: 'dev-0,dev-1' }, variants: { type: 'string' }, without: { type: 'string' }, require: { type: 'string' }, 'per-series': { type: 'boolean' } } });
  const all = new Map((await readM4Hourly()).map((s) => [s.id, s]));
  const byId = new Map<string, DumpSeries>();
  for (const name of (args.dumps as string).split(',')) {
    for (const d of JSON.parse(await readFile(join(HERE, 'out', 'dump', `${name}.json`), 'utf8')) as DumpSeries[]) {
      const earlier = byId.get(d.id);
      byId.set(d.id, earlier ? { ...earlier, candidates: [...earlier.candidates, ...d.candidates] } : d);
    }
  }
  const without = new Set(args.without?.split(',') ?? []);
  const family = (name: string): string => name.replace(/@.*$/, '');
  // --require: only the series whose dumps hold that model (a new member dumped for fewer series than the others).
  const required = args.require?.split(',') ?? [];
  const dumps = [...byId.values()]
    .filter((d) => required.every((r) => d.candidates.some((c) => family(c.name) === r)))
    .map((d) => ({ ...d, candidates: d.candidates.filter((c) => !without.has(family(c.name))) }));
  const names = args.variants ? args.variants.split(',') : Object.keys(VARIANTS);
  // Scores per variant and series (an accuracy-benchmark series has one entry per origin, averaged as the benchmark does).
  const rows: Record<string, Record<string, { mase: number[]; c80: number[]; c95: number[] }>> = {};
  const singles: Record<string, Record<string, number[]>> = {};
  const push = (table: Record<string, Record<string, number[]>>, name: string, group: string, x: number): number => ((table[name] ??= {})[group] ??= []).push(x);
  for (const d of dumps) {
    // M4 entries are read from the data; accuracy-benchmark entries carry their history, actuals and day.
    const s = d.history && d.actual ? { train: d.history, test: d.actual } : all.get(d.id);
    if (!s) continue;
    const day = d.day ?? 24;
    const group = d.id.split('#')[0] as string;
    const scale = maseScale(s.train, day);
    // The accuracy benchmark scores auto's own output (evaluate()); M4's goes through the fit task's review.
    const review = (f: Forecast): Forecast => (d.history ? f : reviewForecast(f, s.train).forecast);
    const tests = new Map(d.candidates.filter((c) => c.test).map((c) => [c.name, c.test as Forecast]));
    for (const [name, test] of tests) push(singles, name, group, scoreForecast(s.test, review(test), scale, Q).mase);
    const snaive1d = s.test.map((_, h) => s.train[s.train.length - day + (h % day)] as number);
    push(singles, 'snaive-1d', group, mase(s.test, snaive1d, scale));
    const cands: Candidate[] = [];
    for (const c of d.candidates) {
      const origins = toOrigins(c);
      const a = aggregateOrigins(origins);
      if (a.failures === 0 && Number.isFinite(a.mase)) cands.push({ name: c.name, members: [{ name: c.name } as Forecaster], origins, mase: a.mase, pinball: a.pinball });
    }
    const ranked = rankCandidates(cands);
    const tail = tailReference(s.train, day, 3 * day, 3, { blockSteps: day, method: 'max' });
    const line: string[] = [d.id];
    for (const v of names) {
      const variant = VARIANTS[v];
      if (!variant) throw new Error(`unknown variant ${v}`);
      const served = variant.serve(ranked, tests, s.train, day);
      if (!served) throw new Error(`${d.id}: nothing served`);
      const samples = served.origins.map((o) => ({ actual: o.actual, forecast: o.forecast as Forecast }));
      const calibration = decideCalibration(samples, variant.calibration, [], variant.calibration.tailWidening === false ? undefined : tail);
      const raw = calibration ? applyCalibration(served.test, calibration, LEVELS) : served.test;
      const m = scoreForecast(s.test, review(raw), scale, Q);
      const row = ((rows[v] ??= {})[group] ??= { mase: [], c80: [], c95: [] });
      row.mase.push(m.mase);
      row.c80.push(m.coverage['0.8'] ?? Number.NaN);
      row.c95.push(m.coverage['0.95'] ?? Number.NaN);
      line.push(`${v}=${m.mase.toFixed(4)}/${(m.coverage['0.8'] ?? 0).toFixed(3)}/${(m.coverage['0.95'] ?? 0).toFixed(3)}(${served.name})`);
    }
    if (args['per-series']) console.log(line.join(' '));
  }
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const median = (xs: readonly number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? (s[s.length >> 1] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
  };
  const perSeries = (groups: Record<string, number[]>): number[] => Object.values(groups).map(mean);
  console.log(`${dumps.length} entries, ${Object.keys(singles['snaive-1d'] ?? {}).length} series`);
  for (const [name, groups] of Object.entries(singles)) {
    const xs = perSeries(groups);
    console.log(`single ${name.padEnd(22)} n=${xs.length} mean ${mean(xs).toFixed(4)} median ${median(xs).toFixed(4)}`);
  }
  for (const [v, groups] of Object.entries(rows)) {
    const pick = (f: (r: { mase: number[]; c80: number[]; c95: number[] }) => number[]): number[] => Object.values(groups).map((r) => mean(f(r)));
    console.log(`${v.padEnd(28)} mean MASE ${mean(pick((r) => r.mase)).toFixed(4)} median ${median(pick((r) => r.mase)).toFixed(4)} cov80 ${(100 * mean(pick((r) => r.c80))).toFixed(1)} cov95 ${(100 * mean(pick((r) => r.c95))).toFixed(1)}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
