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
import {
  baselineErrors,
  basePlan,
  chooseBaseline,
  defaultLstmOptions,
  type LstmOptions,
  minWindows,
  planFor,
  thinOrigins,
  VALIDATION_SHARE,
} from './tf/plan.js';

export { initTensorflow } from './tf/backend.js';
export { FittedLstm } from './tf/fitted-lstm.js';
export { loadLstm, saveLstm } from './tf/model-io.js';
export { defaultLstmOptions, type LstmOptions } from './tf/plan.js';

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
