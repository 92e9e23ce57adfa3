/**
 * Feature layout of the LSTM (pure arithmetic, no TF.js): which history goes
 * into a window, how the target is formed, and the calendar encoding. Shared
 * by training, prediction and persistence so the three cannot drift apart.
 *
 * The model forecasts a *correction* to a baseline: the mean of the same
 * time over the last few seasons (the seasonal profile; with one season it
 * is seasonal naive), or the last value when there is no season; or the
 * *level profile*: the median of the same time over the last few seasons,
 * shifted by how far the last `levelSteps` values sit above or below that
 * median profile. The level profile follows a level shift at once (seasonal
 * naive repeats yesterday's level for a day) and its median ignores a
 * one-day excursion; which baseline a fit uses is chosen on its validation
 * tail (lstm.ts). A model
 * whose output is zero is exactly that baseline, which is where training
 * starts (zero-initialised output layer) and what early stopping falls back
 * to when learning does not help on the validation tail.
 */

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** Per-step inputs of the recurrent part: level, deviation from a season ago, 4 calendar terms. */
export const SEQUENCE_FEATURES = 6;
/** Calendar terms in the side input: those of the first forecast step. */
const SIDE_CALENDAR_FEATURES = 4;
/**
 * Mean deviation from the baseline over the last 1, 3, 12 and all input
 * steps. They reach the output layer linearly too, so a level shift far
 * outside the training range is carried forward instead of being squashed
 * by the LSTM's tanh.
 */
const DEVIATION_SPANS = [1, 3, 12] as const;
const SIDE_DEVIATION_FEATURES = DEVIATION_SPANS.length + 1;

export interface Layout {
  /** Steps of recent history fed at full resolution to the LSTM. */
  readonly inputSteps: number;
  /** Shortest seasonal period in steps (daily), 0 when the series has none. */
  readonly seasonSteps: number;
  /** Seasons averaged by the baseline (1 = seasonal naive); 1 when there is no season. */
  readonly baselineSeasons: number;
  /**
   * Seasons averaged into the "seasonal profile" side input (profile minus
   * baseline, per block), 0 when not used. Through it the model can learn how
   * much to smooth seasonal naive's noise, while its zero output stays the
   * baseline, which follows level shifts after one season.
   */
  readonly profileSeasons: number;
  /**
   * 0: the baseline is the mean profile above (seasonal naive with one season).
   * > 0: the level profile: the *median* of the last baselineSeasons seasons,
   * plus the mean deviation from that median over the levelSteps steps
   * before the origin. At most inputSteps.
   */
  readonly levelSteps: number;
  /** Longer (weekly) period in steps used as an extra input, 0 when not used. */
  readonly weeklySteps: number;
  /** Steps forecast in one block (the training horizon). ≤ seasonSteps when there is a season. */
  readonly horizonSteps: number;
  /**
   * Output block edges in steps: block j covers [edges[j], edges[j+1]).
   * Fine near the origin, coarser further out, so the output layer stays
   * small at long seasons (1-minute data) without blurring the next minutes.
   */
  readonly blockEdges: readonly number[];
  /** Step of the series in ms. */
  readonly stepMs: number;
  /** Normalisation fitted on the training part only. */
  readonly mean: number;
  readonly std: number;
}

/** Number of outputs (correction blocks) of a layout. */
export function blockCount(layout: Pick<Layout, 'blockEdges'>): number {
  return layout.blockEdges.length - 1;
}

/** Width of the side (dense) input for a layout. */
export function sideFeatureCount(layout: Pick<Layout, 'blockEdges' | 'weeklySteps' | 'profileSeasons'>): number {
  const blocks = blockCount(layout);
  return (
    SIDE_CALENDAR_FEATURES +
    SIDE_DEVIATION_FEATURES +
    blocks +
    (layout.weeklySteps > 0 ? blocks : 0) +
    (layout.profileSeasons > 1 ? blocks : 0)
  );
}

/**
 * Block edges for a horizon: width 1 for the first steps, growing by one
 * every `growEvery` steps, capped so that there are about `targetBlocks`
 * blocks at most. 24 steps → 24 blocks; 288 steps → ~47; 1,440 → ~70.
 */
export function makeBlockEdges(horizonSteps: number, targetBlocks = 32, growEvery = 8): number[] {
  const maxWidth = Math.max(1, Math.ceil(horizonSteps / targetBlocks));
  const edges = [0];
  let start = 0;
  while (start < horizonSteps) {
    const width = Math.min(maxWidth, Math.max(1, Math.ceil((start + 1) / growEvery)));
    start = Math.min(horizonSteps, start + width);
    edges.push(start);
  }
  return edges;
}

/** Calendar encoding of a time (UTC): sin/cos of time of day, sin/cos of time of week. */
export function calendar(timeMs: number): [number, number, number, number] {
  const day = (2 * Math.PI * (((timeMs % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS;
  // Epoch day 0 was a Thursday; the phase only has to be consistent.
  const week = (2 * Math.PI * (((timeMs % WEEK_MS) + WEEK_MS) % WEEK_MS)) / WEEK_MS;
  return [Math.sin(day), Math.cos(day), Math.sin(week), Math.cos(week)];
}

/** Steps of history a window needs before its origin. */
export function historyNeeded(
  layout: Pick<Layout, 'inputSteps' | 'seasonSteps' | 'weeklySteps' | 'baselineSeasons' | 'profileSeasons' | 'levelSteps'>,
): number {
  const lag = Math.max(layout.seasonSteps * Math.max(layout.baselineSeasons, layout.profileSeasons), layout.weeklySteps, 1);
  return Math.max(layout.inputSteps, layout.levelSteps) + lag;
}

type BaselineLayout = Pick<Layout, 'seasonSteps' | 'baselineSeasons' | 'levelSteps'>;

/**
 * The seasonal profile at step `index` (absolute): the same time over the
 * last baselineSeasons seasons before it, averaged (levelSteps = 0) or their
 * median (levelSteps > 0). Needs a season (seasonSteps > 0).
 */
export function profileAt(values: ArrayLike<number>, index: number, layout: BaselineLayout): number {
  const { seasonSteps, baselineSeasons } = layout;
  if (layout.levelSteps > 0 && baselineSeasons > 2) {
    const same: number[] = [];
    for (let k = 1; k <= baselineSeasons; k++) same.push(values[index - k * seasonSteps] as number);
    same.sort((a, b) => a - b);
    const middle = same.length >> 1;
    return same.length % 2 === 1 ? (same[middle] as number) : ((same[middle - 1] as number) + (same[middle] as number)) / 2;
  }
  let sum = 0;
  for (let k = 1; k <= baselineSeasons; k++) sum += values[index - k * seasonSteps] as number;
  return sum / baselineSeasons;
}

/** Level correction of the level profile for a window at `origin`: mean of value − profile over the levelSteps before it (0 for the plain baselines). */
export function levelOffset(values: ArrayLike<number>, origin: number, layout: BaselineLayout): number {
  if (layout.levelSteps <= 0 || layout.seasonSteps <= 0) return 0;
  let sum = 0;
  for (let i = origin - layout.levelSteps; i < origin; i++) sum += (values[i] as number) - profileAt(values, i, layout);
  return sum / layout.levelSteps;
}

/**
 * Baseline for step `index` (absolute) of a series whose forecast origin is
 * `origin`: the profile at that time (reading only seasons before `index`,
 * never `origin` or later, since horizons are at most one season) plus the
 * window's level offset, or the last value before the origin without a season.
 * @param offset levelOffset(values, origin, layout), passed in by callers that evaluate many steps of one window
 */
export function baselineAt(
  values: ArrayLike<number>,
  origin: number,
  index: number,
  layout: BaselineLayout,
  offset = levelOffset(values, origin, layout),
): number {
  if (layout.seasonSteps <= 0) return values[origin - 1] as number;
  return profileAt(values, index, layout) + offset;
}

/**
 * Writes the inputs of the window whose first forecast step is `origin`
 * (an index into `values`; values before it are history).
 * @param originMs time of values[origin] in ms since epoch
 */
export function writeInputs(
  values: ArrayLike<number>,
  origin: number,
  originMs: number,
  layout: Layout,
  sequence: Float32Array,
  sequenceOffset: number,
  side: Float32Array,
  sideOffset: number,
): void {
  const { inputSteps, seasonSteps, weeklySteps, stepMs, std } = layout;
  // With the level profile every level-like input is taken relative to the
  // window's own recent level (and deviations relative to the shifted
  // profile), so a level shift far outside the training range does not move
  // the inputs: the network cannot learn to undo the baseline's level
  // correction by extrapolating a mean reversion it saw in training.
  const leveled = layout.levelSteps > 0 && seasonSteps > 0;
  const offset = levelOffset(values, origin, layout);
  let center = layout.mean;
  if (leveled) {
    center = 0;
    for (let i = origin - layout.levelSteps; i < origin; i++) center += values[i] as number;
    center /= layout.levelSteps;
  }
  let o = sequenceOffset;
  for (let i = origin - inputSteps; i < origin; i++) {
    const y = values[i] as number;
    const [a, b, c, d] = calendar(originMs + (i - origin) * stepMs);
    // Deviation from the baseline at that past step: what the model learns to carry forward.
    const usual = seasonSteps > 0 ? profileAt(values, i, layout) + offset : (values[i - 1] as number);
    sequence[o++] = (y - center) / std;
    sequence[o++] = (y - usual) / std;
    sequence[o++] = a;
    sequence[o++] = b;
    sequence[o++] = c;
    sequence[o++] = d;
  }
  let s = sideOffset;
  for (const term of calendar(originMs)) side[s++] = term;
  // The deviation feature is the second of each step's SEQUENCE_FEATURES.
  const deviationAt = (back: number): number => sequence[sequenceOffset + (inputSteps - back) * SEQUENCE_FEATURES + 1] as number;
  for (const span of [...DEVIATION_SPANS, inputSteps]) {
    const steps = Math.min(span, inputSteps);
    let sum = 0;
    for (let back = 1; back <= steps; back++) sum += deviationAt(back);
    side[s++] = sum / steps;
  }
  const edges = layout.blockEdges;
  for (let j = 0; j + 1 < edges.length; j++) {
    let sum = 0;
    for (let h = edges[j] as number; h < (edges[j + 1] as number); h++) sum += baselineAt(values, origin, origin + h, layout, offset);
    side[s++] = (sum / ((edges[j + 1] as number) - (edges[j] as number)) - center) / std;
  }
  if (weeklySteps > 0) {
    for (let j = 0; j + 1 < edges.length; j++) {
      let sum = 0;
      for (let h = edges[j] as number; h < (edges[j + 1] as number); h++) {
        const t = origin + h;
        sum += (values[t - weeklySteps] as number) - baselineAt(values, origin, t, layout, offset);
      }
      side[s++] = sum / ((edges[j + 1] as number) - (edges[j] as number)) / std;
    }
  }
  if (layout.profileSeasons > 1) {
    const profile = { seasonSteps, baselineSeasons: layout.profileSeasons, levelSteps: 0 };
    for (let j = 0; j + 1 < edges.length; j++) {
      let sum = 0;
      for (let h = edges[j] as number; h < (edges[j + 1] as number); h++) {
        const t = origin + h;
        sum += baselineAt(values, origin, t, profile) - baselineAt(values, origin, t, layout, offset);
      }
      side[s++] = sum / ((edges[j + 1] as number) - (edges[j] as number)) / std;
    }
  }
}

/** Writes the training target of a window: per block, the mean normalised correction to the baseline. */
export function writeTarget(values: ArrayLike<number>, origin: number, layout: Layout, target: Float32Array, offset: number): void {
  const edges = layout.blockEdges;
  const level = levelOffset(values, origin, layout);
  for (let j = 0; j + 1 < edges.length; j++) {
    let sum = 0;
    for (let h = edges[j] as number; h < (edges[j + 1] as number); h++) {
      const t = origin + h;
      sum += (values[t] as number) - baselineAt(values, origin, t, layout, level);
    }
    target[offset + j] = sum / ((edges[j + 1] as number) - (edges[j] as number)) / layout.std;
  }
}

/**
 * Turns the model's block corrections for one window into point forecasts
 * for the horizonSteps after `origin` (values[origin…] need not exist yet:
 * the baseline only reads values a season back, and horizonSteps ≤ seasonSteps).
 */
export function decodeBlock(values: ArrayLike<number>, origin: number, layout: Layout, corrections: ArrayLike<number>): number[] {
  const edges = layout.blockEdges;
  const offset = levelOffset(values, origin, layout);
  const point: number[] = [];
  for (let j = 0; j + 1 < edges.length; j++) {
    const correction = (corrections[j] as number) * layout.std;
    for (let h = edges[j] as number; h < (edges[j + 1] as number); h++) {
      point.push(baselineAt(values, origin, origin + h, layout, offset) + correction);
    }
  }
  return point;
}

/** Fisher–Yates shuffle in place with a given PRNG. */
export function shuffleInPlace(items: number[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as number;
    items[i] = items[j] as number;
    items[j] = tmp;
  }
}
