import { PrescientError } from '../../errors.js';
import type { FitInfo, Fitted, Forecast, Interval } from '../forecaster.js';
import { tf } from './backend.js';
import { gridQuantile } from './calibration.js';
import { blockCount, decodeBlock, type Layout, SEQUENCE_FEATURES, sideFeatureCount, writeInputs } from './features.js';

/** Everything besides the network that a fitted LSTM needs to predict (and that is persisted). */
export interface LstmState {
  readonly layout: Layout;
  /** The last historyNeeded(layout) values of the fitted series. */
  readonly tail: readonly number[];
  /** Time of the first forecast step (the step after the last value), ms since epoch. */
  readonly nextMs: number;
  /** Error quantiles per output block (see calibration.ts). */
  readonly calibration: readonly (readonly number[])[];
}

/** How training went (absent on a model loaded from disk). MAE in the series' units. */
export interface LstmTraining {
  readonly epochs: number;
  /** 0 when no epoch beat the untrained model, whose forecasts are the baseline. */
  readonly bestEpoch: number;
  readonly validationMae: number;
  /** MAE of the baseline (seasonal naive, or last value) on the same validation windows. */
  readonly baselineMae: number;
  readonly trainWindows: number;
  readonly stoppedAtDeadline: boolean;
  /** Weight of the network's correction in the forecast (0 = the baseline), chosen on the validation tail. */
  readonly correctionWeight: number;
}

/**
 * A fitted LSTM. Forecasts one training horizon (layout.horizonSteps) per
 * forward pass; longer horizons are forecast block after block, each block
 * fed the previous blocks' forecasts as history, and the calibrated error
 * quantiles are widened by √(blocks ahead) there, as seasonal naive does.
 */
export class FittedLstm implements Fitted {
  private model: tf.LayersModel | undefined;

  constructor(
    model: tf.LayersModel,
    readonly state: LstmState,
    readonly info: FitInfo,
    readonly training?: LstmTraining,
  ) {
    this.model = model;
  }

  /** The network, for persistence. @throws PrescientError PRESCIENT_ERR_INTERNAL after dispose. */
  network(): tf.LayersModel {
    if (!this.model) throw new PrescientError('PRESCIENT_ERR_INTERNAL', 'lstm model used after dispose');
    return this.model;
  }

  /**
   * @param horizon steps, ≥ 1
   * @param levels fractions in (0, 1)
   * @throws PrescientError PRESCIENT_ERR_VALIDATION (bad horizon or level),
   *   PRESCIENT_ERR_MODEL_OUTPUT_INVALID (non-finite output), PRESCIENT_ERR_INTERNAL (after dispose)
   */
  predict(horizon: number, levels: readonly number[]): Forecast {
    const model = this.network();
    if (!Number.isInteger(horizon) || horizon < 1) {
      throw new PrescientError('PRESCIENT_ERR_VALIDATION', `horizon must be a whole number of steps ≥ 1, got ${horizon}`);
    }
    for (const level of levels) {
      if (!(level > 0 && level < 1)) throw new PrescientError('PRESCIENT_ERR_VALIDATION', `interval level must be in (0, 1), got ${level}`);
    }
    const { layout, calibration } = this.state;
    const buffer = [...this.state.tail];
    const point: number[] = [];
    const sequence = new Float32Array(layout.inputSteps * SEQUENCE_FEATURES);
    const side = new Float32Array(sideFeatureCount(layout));
    while (point.length < horizon) {
      const origin = buffer.length;
      const originMs = this.state.nextMs + point.length * layout.stepMs;
      writeInputs(buffer, origin, originMs, layout, sequence, 0, side, 0);
      const corrections = tf.tidy(() => {
        const output = model.predict([
          tf.tensor3d(sequence, [1, layout.inputSteps, SEQUENCE_FEATURES]),
          tf.tensor2d(side, [1, side.length]),
        ]) as tf.Tensor;
        return output.dataSync();
      });
      const block = decodeBlock(buffer, origin, layout, corrections);
      for (const value of block) {
        if (!Number.isFinite(value)) throw new PrescientError('PRESCIENT_ERR_MODEL_OUTPUT_INVALID', 'lstm produced a non-finite forecast');
        buffer.push(value);
        point.push(value);
      }
    }
    point.length = horizon;

    const blockOfStep = new Array<number>(layout.horizonSteps);
    for (let j = 0; j < blockCount(layout); j++) {
      for (let h = layout.blockEdges[j] as number; h < (layout.blockEdges[j + 1] as number); h++) blockOfStep[h] = j;
    }
    const intervals: Interval[] = levels.map((level) => {
      const lower: number[] = [];
      const upper: number[] = [];
      for (let h = 0; h < horizon; h++) {
        const grid = calibration[blockOfStep[h % layout.horizonSteps] as number] as readonly number[];
        const widen = Math.sqrt(Math.floor(h / layout.horizonSteps) + 1);
        const p = point[h] as number;
        lower.push(Math.min(p, p + widen * gridQuantile(grid, (1 - level) / 2)));
        upper.push(Math.max(p, p + widen * gridQuantile(grid, (1 + level) / 2)));
      }
      return { level, lower, upper };
    });
    return { point, intervals };
  }

  dispose(): void {
    this.model?.dispose();
    this.model = undefined;
  }
}
