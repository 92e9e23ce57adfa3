import { PrescientError } from '../errors.js';
import type { FitContext, Forecaster } from './forecaster.js';
import { initTensorflow, tf } from './tf/backend.js';
import { calibrate } from './tf/calibration.js';
import { FittedLstm } from './tf/fitted-lstm.js';
import {
  blockCount,
  decodeBlock,
  historyNeeded,
  type Layout,
  makeBlockEdges,
  SEQUENCE_FEATURES,
  shuffleInPlace,
  sideFeatureCount,
  writeInputs,
  writeTarget,
} from './tf/features.js';
import { seededRandom } from '../random.js';

export { initTensorflow } from './tf/backend.js';
export { FittedLstm } from './tf/fitted-lstm.js';
export { loadLstm, saveLstm } from './tf/model-io.js';

/**
 * A small LSTM forecaster (TensorFlow.js, WASM backend; see tf/backend.ts).
 *
 * Inputs per forecast origin: the last `inputSteps` values at full
 * resolution (level, deviation from the baseline at that step, calendar:
 * sin/cos time of day and of week), and a side vector (calendar of the first
 * forecast step; recent mean deviations over 1, 3, 12 and all input steps;
 * the baseline over the horizon, per output block; with
 * enough history the week-ago minus day-ago difference per block). The side
 * vector reaches the output both through a ReLU layer and linearly.
 * Output: direct multi-step corrections to the baseline for one training
 * horizon (one daily season, at most 2,016 steps, or 48 steps without a
 * season), in blocks that are single steps near the origin and coarser
 * further out. Longer horizons are forecast block after block, each block
 * fed the previous ones' forecasts (fitted-lstm.ts).
 *
 * The baseline is chosen per fit, before training, between seasonal naive
 * and the level profile (features.ts: median of up to 7 days, shifted to the
 * level of the last input window), by their MAE over every window of the
 * history (benchmarks/lstm-fit.ts: on NAB's level-shifting series the level
 * profile wins; on clean daily repeats seasonal naive does). With the level
 * profile the inputs are relative to the window's own level.
 *
 * Training: MAE on the normalised corrections (a median forecast, matching
 * MASE), Adam, seeded weight init and seeded shuffles (ctx.seed: the same
 * data gives the same model, also across threads), early stopping on the
 * MAE of the last 20 % of origins (held out, with a gap of one horizon so no
 * training target overlaps them), best weights restored. Normalisation is
 * fitted on the training part only. The output layer starts at zero and the
 * untrained model (= the baseline) takes part in the choice of best
 * weights, so the LSTM is never worse than its baseline *on its validation
 * tail* (it can be on the future). Training stops at ctx.deadlineMs or after
 * maxTrainMs, whichever is first; at most maxTrainWindows windows (evenly
 * thinned) keep an epoch's cost bounded. After training the correction is
 * weighted (0, ¼, ½, ¾ or 1, folded into the output layer) by its MAE on the
 * validation tail: a blend of network and baseline. Intervals: empirical error
 * quantiles on the validation tail (calibration.ts).
 *
 * History needed (minLength): inputSteps + season + horizon − 1 +
 * max(2 seasons, 192) steps, i.e. about 4.1 days at 5 minutes, 6.7 days at
 * 30 minutes and 11 days hourly, so there are windows to train and to validate.
 */

export interface LstmOptions {
  /** LSTM units. */
  readonly units: number;
  /** Most epochs; early stopping usually ends sooner. */
  readonly maxEpochs: number;
  /** Epochs without a better validation MAE before stopping. */
  readonly patience: number;
  /** Training windows at most (origins are thinned evenly above it: cost is linear in it). */
  readonly maxTrainWindows: number;
  /** Validation windows at most. */
  readonly maxValidationWindows: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Most steps of recent history fed to the LSTM (fewer for short seasons); its cost is linear in it. */
  readonly inputSteps: number;
  /**
   * Training time budget in ms, on top of ctx.deadlineMs (whichever comes
   * first): keeps a fit under a minute on two busy cores whatever the data.
   */
  readonly maxTrainMs: number;
  /** Seasons averaged by the baseline (fewer when the history is short; 1 = seasonal naive). */
  readonly baselineSeasons: number;
  /** Seasons averaged into the seasonal-profile input (fewer, or none, when the history is short). */
  readonly profileSeasons: number;
  /** Use the weekly season as an input when the history holds enough windows with it. */
  readonly weeklyInput: boolean;
  /**
   * Most seasons in the median of the level-profile baseline (features.ts),
   * the alternative to seasonal naive tried on the validation tail; fewer
   * when the history is short, 0 = never try it.
   */
  readonly levelProfileSeasons: number;
}

export const defaultLstmOptions: LstmOptions = Object.freeze({
  units: 32,
  inputSteps: 36,
  maxTrainMs: 40_000,
  maxEpochs: 20,
  patience: 3,
  maxTrainWindows: 1000,
  maxValidationWindows: 300,
  batchSize: 128,
  learningRate: 4e-3,
  // Seasonal naive as the baseline: a level shift (deploy, migration) is
  // absorbed after one season instead of three, as measured on NAB's rds_cpu.
  baselineSeasons: 1,
  // Off by default: on the data/ series it did not beat seasonal naive more often (benchmarks/lstm-fit.ts).
  profileSeasons: 0,
  weeklyInput: true,
  // A week: the median of 7 days skips one odd day (a weekend, an incident).
  levelProfileSeasons: 7,
});

const VALIDATION_SHARE = 0.2;
/** Training horizon without a season, and the longest training horizon with one. */
const HORIZON_WITHOUT_SEASON = 48;
const MAX_HORIZON_STEPS = 2016;

function minWindows(seasonSteps: number): number {
  return Math.max(2 * seasonSteps, 192);
}

interface Plan {
  readonly inputSteps: number;
  readonly seasonSteps: number;
  readonly baselineSeasons: number;
  readonly profileSeasons: number;
  readonly weeklySteps: number;
  readonly horizonSteps: number;
  readonly levelSteps: number;
}

function basePlan(ctx: FitContext, maxInputSteps = defaultLstmOptions.inputSteps): Plan {
  const season = ctx.seasonalPeriods[0];
  const seasonSteps = season !== undefined && season >= 2 ? Math.round(season) : 0;
  const horizonSteps = seasonSteps > 0 ? Math.min(seasonSteps, MAX_HORIZON_STEPS) : HORIZON_WITHOUT_SEASON;
  const inputSteps = seasonSteps > 0 ? Math.min(maxInputSteps, Math.max(Math.min(24, maxInputSteps), seasonSteps)) : maxInputSteps;
  return { inputSteps, seasonSteps, baselineSeasons: 1, profileSeasons: 0, weeklySteps: 0, horizonSteps, levelSteps: 0 };
}

function windowCount(length: number, plan: Plan): number {
  return length - plan.horizonSteps - historyNeeded(plan) + 1;
}

function planFor(length: number, ctx: FitContext, options: LstmOptions): Plan {
  let plan = basePlan(ctx, options.inputSteps);
  if (plan.seasonSteps > 0) {
    for (let seasons = Math.max(1, options.baselineSeasons); seasons > 1; seasons--) {
      const averaged = { ...plan, baselineSeasons: seasons };
      if (windowCount(length, averaged) >= 2 * minWindows(plan.seasonSteps)) {
        plan = averaged;
        break;
      }
    }
  }
  if (plan.seasonSteps > 0) {
    for (let seasons = options.profileSeasons; seasons > 1; seasons--) {
      const profiled = { ...plan, profileSeasons: seasons };
      if (windowCount(length, profiled) >= 2 * minWindows(plan.seasonSteps)) {
        plan = profiled;
        break;
      }
    }
  }
  const weekly = ctx.seasonalPeriods.find((p) => p > plan.seasonSteps && p > 0);
  if (options.weeklyInput && weekly !== undefined && plan.seasonSteps > 0) {
    const withWeekly = { ...plan, weeklySteps: Math.round(weekly) };
    if (windowCount(length, withWeekly) >= 2 * minWindows(plan.seasonSteps)) return withWeekly;
  }
  return plan;
}

/**
 * The level-profile variant of a plan (features.ts): the median of as many
 * seasons as leave at least the minimum number of windows (a level shift
 * three days ago is outvoted in a median of seven), the level measured over
 * the recent input window. Undefined without a season or history for it.
 */
function levelProfilePlan(length: number, plan: Plan, options: LstmOptions): Plan | undefined {
  if (plan.seasonSteps <= 0 || options.levelProfileSeasons < 1) return undefined;
  for (let seasons = options.levelProfileSeasons; seasons >= 1; seasons--) {
    const candidate = { ...plan, baselineSeasons: seasons, profileSeasons: 0, levelSteps: plan.inputSteps };
    if (windowCount(length, candidate) >= minWindows(plan.seasonSteps)) return candidate;
  }
  return undefined;
}

/** Baseline-only errors (actual − baseline) per window at `origins` and step. */
function baselineErrors(values: readonly number[], origins: readonly number[], layout: Layout): number[][] {
  const zeros = new Float32Array(blockCount(layout));
  return origins.map((origin) => decodeBlock(values, origin, layout, zeros).map((p, h) => (values[origin + h] as number) - p));
}

/** Baseline-only MAE (what a zero network forecasts) over the windows at `origins`. */
function baselineOnlyMae(values: readonly number[], origins: readonly number[], plan: Plan): number {
  const layout = { ...plan, blockEdges: [0, plan.horizonSteps] };
  let sum = 0;
  for (const origin of origins) {
    const point = decodeBlock(values, origin, { ...layout, stepMs: 1, mean: 0, std: 1 }, [0]);
    point.forEach((p, h) => (sum += Math.abs((values[origin + h] as number) - p)));
  }
  return sum / (origins.length * plan.horizonSteps);
}

interface BaselineChoice {
  readonly plan: Plan;
  readonly seasonalNaiveMae: number;
  readonly levelProfileMae: number | undefined;
}

/**
 * Chooses the baseline the network corrects: seasonal naive (or the plan's
 * averaged profile) or the level profile, whichever has the lower MAE over
 * every window of the history where both can be computed. Both baselines
 * have no fitted parameters, so each window is an honest out-of-sample test
 * for them, and the whole history gives a steadier choice than the short
 * validation tail (on which a lucky day can flip it). Cheap (no network):
 * the zero network *is* the baseline, so this also decides what early
 * stopping falls back to.
 */
function chooseBaseline(values: readonly number[], plan: Plan, options: LstmOptions): BaselineChoice {
  const leveled = levelProfilePlan(values.length, plan, options);
  const last = values.length - plan.horizonSteps;
  const first = Math.max(historyNeeded(plan), leveled ? historyNeeded(leveled) : 0);
  const origins = thinOrigins(first, last, options.maxValidationWindows);
  const seasonalNaiveMae = baselineOnlyMae(values, origins, plan);
  if (!leveled) return { plan, seasonalNaiveMae, levelProfileMae: undefined };
  const levelProfileMae = baselineOnlyMae(values, origins, leveled);
  const weekly =
    plan.weeklySteps > 0 && windowCount(values.length, { ...leveled, weeklySteps: plan.weeklySteps }) >= minWindows(plan.seasonSteps);
  const chosen = levelProfileMae < seasonalNaiveMae ? { ...leveled, weeklySteps: weekly ? plan.weeklySteps : 0 } : plan;
  return { plan: chosen, seasonalNaiveMae, levelProfileMae };
}

/** Origins from `first` to `last` (inclusive), thinned evenly to at most `max`, always keeping the last. */
function thinOrigins(first: number, last: number, max: number): number[] {
  const count = last - first + 1;
  const stride = Math.max(1, Math.ceil(count / max));
  const origins: number[] = [];
  for (let o = last; o >= first; o -= stride) origins.push(o);
  return origins.reverse();
}

interface Batch {
  readonly sequence: Float32Array;
  readonly side: Float32Array;
  readonly target: Float32Array;
  readonly count: number;
}

function buildBatch(values: readonly number[], origins: readonly number[], ctx: FitContext, layout: Layout): Batch {
  const seqSize = layout.inputSteps * SEQUENCE_FEATURES;
  const sideSize = sideFeatureCount(layout);
  const blocks = blockCount(layout);
  const sequence = new Float32Array(origins.length * seqSize);
  const side = new Float32Array(origins.length * sideSize);
  const target = new Float32Array(origins.length * blocks);
  origins.forEach((origin, i) => {
    writeInputs(values, origin, ctx.startMs + origin * layout.stepMs, layout, sequence, i * seqSize, side, i * sideSize);
    writeTarget(values, origin, layout, target, i * blocks);
  });
  return { sequence, side, target, count: origins.length };
}

function permuted(batch: Batch, order: readonly number[], layout: Layout): Batch {
  const sizes = [layout.inputSteps * SEQUENCE_FEATURES, sideFeatureCount(layout), blockCount(layout)] as const;
  const out = [
    new Float32Array(batch.sequence.length),
    new Float32Array(batch.side.length),
    new Float32Array(batch.target.length),
  ] as const;
  const src = [batch.sequence, batch.side, batch.target] as const;
  order.forEach((from, to) => {
    for (let k = 0; k < 3; k++) {
      const size = sizes[k] as number;
      (out[k] as Float32Array).set((src[k] as Float32Array).subarray(from * size, (from + 1) * size), to * size);
    }
  });
  return { sequence: out[0], side: out[1], target: out[2], count: batch.count };
}

function buildNetwork(layout: Layout, options: LstmOptions, seed: number): tf.LayersModel {
  const sequenceInput = tf.input({ shape: [layout.inputSteps, SEQUENCE_FEATURES] });
  const sideInput = tf.input({ shape: [sideFeatureCount(layout)] });
  const recurrent = tf.layers
    .lstm({
      units: options.units,
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      // Glorot rather than orthogonal: seeded too, and without the orthogonal initialiser's QR and console warning.
      recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    })
    .apply(sequenceInput) as tf.SymbolicTensor;
  const merged = tf.layers.concatenate().apply([recurrent, sideInput]) as tf.SymbolicTensor;
  const hidden = tf.layers
    .dense({ units: 2 * options.units, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) })
    .apply(merged) as tf.SymbolicTensor;
  // The side inputs also reach the output linearly (see features.ts). Zero
  // output layer: the untrained model is exactly the baseline.
  const joined = tf.layers.concatenate().apply([hidden, sideInput]) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: blockCount(layout), kernelInitializer: 'zeros' }).apply(joined) as tf.SymbolicTensor;
  return tf.model({ inputs: [sequenceInput, sideInput], outputs: output });
}

function baselineName(layout: Layout): string {
  if (layout.seasonSteps <= 0) return 'last value';
  if (layout.levelSteps > 0) return `level profile (median of ${layout.baselineSeasons} seasons, level over ${layout.levelSteps} steps)`;
  return layout.baselineSeasons > 1 ? `${layout.baselineSeasons}-season mean profile` : 'seasonal naive';
}

/**
 * Scales the output layer (kernel and bias: the correction is linear in
 * them), so the saved network itself forecasts baseline + weight × correction;
 * weight 0 is the baseline.
 */
function scaleOutput(model: tf.LayersModel, weight: number): void {
  const outputLayer = model.layers[model.layers.length - 1] as tf.layers.Layer;
  tf.tidy(() => outputLayer.setWeights(outputLayer.getWeights().map((w) => tf.mul(w, weight))));
}

/**
 * Weights of the network's correction tried on the validation tail after
 * training: shrinking a correction learned on a few weeks towards the
 * baseline is the blend of the network with the baseline.
 */
const CORRECTION_WEIGHTS = [0, 0.25, 0.5, 0.75, 1] as const;

/** Forecast errors (actual − forecast) per validation origin and step, from one batched forward pass. */
function validationErrors(
  model: tf.LayersModel,
  values: readonly number[],
  origins: readonly number[],
  batch: Batch,
  layout: Layout,
  weight = 1,
): number[][] {
  const corrections = tf.tidy(() => {
    const output = model.predict([
      tf.tensor3d(batch.sequence, [batch.count, layout.inputSteps, SEQUENCE_FEATURES]),
      tf.tensor2d(batch.side, [batch.count, sideFeatureCount(layout)]),
    ]) as tf.Tensor;
    return output.dataSync();
  });
  const blocks = blockCount(layout);
  return origins.map((origin, i) => {
    const point = decodeBlock(
      values,
      origin,
      layout,
      corrections.subarray(i * blocks, (i + 1) * blocks).map((c) => c * weight),
    );
    return point.map((p, h) => (values[origin + h] as number) - p);
  });
}

function meanAbsolute(errors: readonly (readonly number[])[]): number {
  let sum = 0;
  let count = 0;
  for (const row of errors) {
    for (const e of row) {
      sum += Math.abs(e);
      count++;
    }
  }
  return count === 0 ? Number.POSITIVE_INFINITY : sum / count;
}

function tooShort(length: number, need: number): PrescientError {
  return new PrescientError(
    'PRESCIENT_ERR_SERIES_TOO_SHORT',
    `lstm needs at least ${need} values (recent window, a season of lag, a horizon, and windows to train and validate), got ${length}`,
  );
}

/** Builds an LSTM forecaster; `lstm` below is the registered one with default options. */
export function createLstm(overrides: Partial<LstmOptions> = {}): Forecaster {
  const options: LstmOptions = { ...defaultLstmOptions, ...overrides };
  return {
    name: 'lstm',
    minLength: (ctx) => lstmMinLength(ctx, options.inputSteps),
    fit(values, ctx) {
      return fitLstm(values, ctx, options);
    },
  };
}

/** Fewest values fitLstm accepts for this context (see the note at the top). */
export function lstmMinLength(ctx: FitContext, maxInputSteps = defaultLstmOptions.inputSteps): number {
  const plan = basePlan(ctx, maxInputSteps);
  return historyNeeded(plan) + plan.horizonSteps - 1 + minWindows(plan.seasonSteps);
}

/**
 * Fits an LSTM (the typed form of `lstm.fit`, for callers that persist it with saveLstm).
 * @param values finite values on a regular grid, oldest first
 * @throws PrescientError PRESCIENT_ERR_SERIES_TOO_SHORT (fewer than lstmMinLength(ctx) values),
 *   PRESCIENT_ERR_SERIES_INVALID (a non-finite value), PRESCIENT_ERR_FIT_TIMEOUT (deadline
 *   passed before one epoch finished), PRESCIENT_ERR_FIT_FAILED (TF.js failed).
 */
export async function fitLstm(values: readonly number[], ctx: FitContext, overrides: Partial<LstmOptions> = {}): Promise<FittedLstm> {
  const options: LstmOptions = { ...defaultLstmOptions, ...overrides };
  const need = lstmMinLength(ctx, options.inputSteps);
  if (values.length < need) throw tooShort(values.length, need);
  if (!values.every(Number.isFinite)) {
    throw new PrescientError('PRESCIENT_ERR_SERIES_INVALID', 'lstm needs finite values (regularise and fill gaps first)');
  }
  if (Date.now() >= ctx.deadlineMs) throw new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', 'lstm fit started after its deadline');
  await initTensorflow();
  return train(values, ctx, options);
}

export const lstm: Forecaster = createLstm();

async function train(values: readonly number[], ctx: FitContext, options: LstmOptions): Promise<FittedLstm> {
  const choice = chooseBaseline(values, planFor(values.length, ctx, options), options);
  const { plan } = choice;
  const first = historyNeeded(plan);
  const last = values.length - plan.horizonSteps;
  const windows = last - first + 1;
  const validationCount = Math.max(32, Math.round(VALIDATION_SHARE * windows));
  const validationFirst = last - validationCount + 1;
  const trainLast = validationFirst - plan.horizonSteps;
  if (trainLast - first + 1 < 32) throw tooShort(values.length, values.length + 32 - (trainLast - first + 1));

  // Normalisation from the training part only: the validation tail stays unseen.
  let sum = 0;
  for (let i = 0; i < validationFirst; i++) sum += values[i] as number;
  const mean = sum / validationFirst;
  let squares = 0;
  for (let i = 0; i < validationFirst; i++) squares += ((values[i] as number) - mean) ** 2;
  const sd = Math.sqrt(squares / validationFirst);
  const std = sd > 1e-9 * Math.max(1, Math.abs(mean)) ? sd : 1;

  const layout: Layout = {
    ...plan,
    blockEdges: makeBlockEdges(plan.horizonSteps),
    stepMs: ctx.stepSeconds * 1000,
    mean,
    std,
  };
  const trainOrigins = thinOrigins(first, trainLast, options.maxTrainWindows);
  const validationOrigins = thinOrigins(validationFirst, last, options.maxValidationWindows);
  const trainBatch = buildBatch(values, trainOrigins, ctx, layout);
  const validationBatch = buildBatch(values, validationOrigins, ctx, layout);

  const model = buildNetwork(layout, options, ctx.seed);
  const optimizer = tf.train.adam(options.learningRate);
  let best: tf.Tensor[] | undefined;
  try {
    model.compile({ optimizer, loss: 'meanAbsoluteError' });
    const baselineMae = meanAbsolute(validationErrors(model, values, validationOrigins, validationBatch, layout));
    let bestMae = baselineMae;
    let bestEpoch = 0;
    let epochs = 0;
    let hitDeadline = false;
    const random = seededRandom(ctx.seed);
    const stopAtMs = Math.min(ctx.deadlineMs, Date.now() + options.maxTrainMs);
    const order = trainOrigins.map((_, i) => i);
    for (let epoch = 1; epoch <= options.maxEpochs && !hitDeadline; epoch++) {
      shuffleInPlace(order, random);
      const shuffled = permuted(trainBatch, order, layout);
      const inputs = [
        tf.tensor3d(shuffled.sequence, [shuffled.count, layout.inputSteps, SEQUENCE_FEATURES]),
        tf.tensor2d(shuffled.side, [shuffled.count, sideFeatureCount(layout)]),
      ];
      const target = tf.tensor2d(shuffled.target, [shuffled.count, blockCount(layout)]);
      try {
        await model.fit(inputs, target, {
          epochs: 1,
          batchSize: options.batchSize,
          shuffle: false,
          verbose: 0,
          callbacks: {
            onBatchEnd: async () => {
              if (Date.now() >= stopAtMs) {
                hitDeadline = true;
                model.stopTraining = true;
              }
            },
          },
        });
      } finally {
        tf.dispose([...inputs, target]);
      }
      // Past the caller's deadline with nothing learned is a timeout; the time budget alone is not.
      if (hitDeadline && epochs === 0 && Date.now() >= ctx.deadlineMs) {
        throw new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', 'lstm reached its deadline before finishing one epoch');
      }
      epochs = epoch;
      const mae = meanAbsolute(validationErrors(model, values, validationOrigins, validationBatch, layout));
      if (process.env['PRESCIENT_LSTM_DEBUG']) console.error(`lstm epoch ${epoch}: validation MAE ${mae} (baseline ${baselineMae})`);
      if (mae < bestMae) {
        bestMae = mae;
        bestEpoch = epoch;
        tf.dispose(best ?? []);
        best = tf.tidy(() => model.getWeights().map((w) => w.clone()));
      } else if (epoch - bestEpoch >= options.patience) {
        break;
      }
    }
    // Nothing beat the baseline: restore the zero output layer, i.e. the baseline itself.
    let correctionWeight = 0;
    if (best) {
      model.setWeights(best);
      // Blend with the baseline. The weight must help on both halves of the
      // validation tail (the worst of the two MAE ratios to the baseline is
      // what counts, ties going to the smaller weight): a correction that
      // only wins on a few lucky days of a short tail is not trusted.
      const baselineErrors = validationErrors(model, values, validationOrigins, validationBatch, layout, 0);
      const half = Math.floor(validationOrigins.length / 2);
      const baseHalves = [meanAbsolute(baselineErrors.slice(0, half)), meanAbsolute(baselineErrors.slice(half))];
      let worstRatio = Number.POSITIVE_INFINITY;
      let blendMae = baselineMae;
      for (const weight of CORRECTION_WEIGHTS) {
        const errors = validationErrors(model, values, validationOrigins, validationBatch, layout, weight);
        const halves = [meanAbsolute(errors.slice(0, half)), meanAbsolute(errors.slice(half))];
        const ratio = Math.max(...halves.map((mae, k) => mae / Math.max(baseHalves[k] as number, Number.MIN_VALUE)));
        if (ratio < worstRatio - 1e-9) {
          worstRatio = ratio;
          correctionWeight = weight;
          blendMae = meanAbsolute(errors);
        }
      }
      bestMae = blendMae;
    }
    if (correctionWeight !== 1) scaleOutput(model, correctionWeight);
    // Intervals from the validation tail's errors; when the forecast is the
    // baseline alone (weight 0), which has no fitted parameters, from its
    // errors over every window of the history instead: more days, so the
    // tails of the error distribution are better estimated.
    const errors =
      correctionWeight === 0
        ? baselineErrors(values, thinOrigins(first, last, options.maxValidationWindows), layout)
        : validationErrors(model, values, validationOrigins, validationBatch, layout);
    const tail = values.slice(values.length - historyNeeded(layout));
    const notes = [
      `trained ${epochs} epoch(s) on ${trainOrigins.length} windows of ${layout.inputSteps} steps; best epoch ${bestEpoch}`,
      `validation MAE ${bestMae.toPrecision(4)} vs ${baselineMae.toPrecision(4)} for the ${baselineName(layout)} baseline`,
      `direct forecast of ${layout.horizonSteps} steps per pass; longer horizons are forecast block after block`,
    ];
    if (choice.levelProfileMae !== undefined) {
      notes.push(
        `baseline chosen on the history's windows: level profile MAE ${choice.levelProfileMae.toPrecision(4)}, seasonal naive MAE ${choice.seasonalNaiveMae.toPrecision(4)}`,
      );
    }
    if (layout.weeklySteps > 0) notes.push(`weekly season of ${layout.weeklySteps} steps used as an input`);
    if (layout.profileSeasons > 1) notes.push(`profile of the last ${layout.profileSeasons} seasons used as an input`);
    if (bestEpoch === 0) notes.push('nothing beat the baseline on the validation tail: forecasts equal the baseline');
    else notes.push(`network correction weighted ${correctionWeight} (blend with the baseline chosen on the validation tail)`);
    if (hitDeadline) notes.push('training stopped at the fit deadline or time budget');
    notes.push(
      correctionWeight === 0
        ? 'intervals from the baseline errors over the whole history'
        : 'intervals from the errors on the validation tail',
    );
    return new FittedLstm(
      model,
      { layout, tail, nextMs: ctx.startMs + values.length * layout.stepMs, calibration: calibrate(errors, layout.blockEdges) },
      { model: 'lstm', notes },
      {
        epochs,
        bestEpoch,
        validationMae: bestMae,
        baselineMae,
        trainWindows: trainOrigins.length,
        stoppedAtDeadline: hitDeadline,
        correctionWeight,
      },
    );
  } catch (cause) {
    model.dispose();
    if (cause instanceof PrescientError) throw cause;
    throw new PrescientError('PRESCIENT_ERR_FIT_FAILED', `lstm fit failed: ${String(cause)}`, { cause });
  } finally {
    tf.dispose(best ?? []);
    optimizer.dispose();
  }
}
