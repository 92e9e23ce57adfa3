import { AutoETS } from '@bsull/augurs/ets';
import { MSTL } from '@bsull/augurs/mstl';
import { PrescientError } from '../errors.js';
import { initAugurs } from './augurs.js';
import type { FitContext, FitInfo, Fitted, Forecast, Forecaster } from './forecaster.js';

/** augurs needs two full cycles of a season to estimate it. */
const CYCLES_PER_SEASON = 2;
/** AutoETS alone needs a handful of points to choose among its variants. */
const MIN_ETS_POINTS = 10;

/** The seasonal periods this series is long enough to estimate. */
function usablePeriods(length: number, ctx: FitContext): number[] {
  return ctx.seasonalPeriods.filter((p) => p >= 2 && length >= CYCLES_PER_SEASON * p);
}

/**
 * MSTL decomposition (one STL per seasonal period) with an AutoETS trend, from
 * Grafana's augurs. Periods without two full cycles in the data are dropped;
 * with none left it is plain AutoETS. Intervals come from the ETS trend
 * model's state-space variance.
 */
export const mstl: Forecaster = {
  name: 'mstl',
  minLength() {
    return MIN_ETS_POINTS;
  },
  async fit(values, ctx) {
    if (values.length < MIN_ETS_POINTS) {
      throw new PrescientError(
        'PRESCIENT_ERR_SERIES_TOO_SHORT',
        `mstl needs at least ${MIN_ETS_POINTS} values, got ${values.length}`,
      );
    }
    initAugurs();
    const periods = usablePeriods(values.length, ctx);
    const dropped = ctx.seasonalPeriods.filter((p) => !periods.includes(p));
    const notes = dropped.map((p) => `season of ${p} steps dropped: fewer than ${CYCLES_PER_SEASON} full cycles of history`);
    const y = Float64Array.from(values);
    try {
      if (periods.length === 0) {
        const model = new AutoETS(1, 'ZZN');
        model.fit(y);
        return new FittedAugurs(model, { model: 'mstl', notes: [...notes, 'no usable season: AutoETS alone'] });
      }
      const model = MSTL.ets(periods);
      model.fit(y);
      return new FittedAugurs(model, { model: 'mstl', notes });
    } catch (cause) {
      throw new PrescientError('PRESCIENT_ERR_FIT_FAILED', `mstl fit failed: ${String(cause)}`, { cause });
    }
  },
};

interface AugursModel {
  predict(horizon: number, level?: number | null): { point: number[]; intervals?: { lower: number[]; upper: number[] } | undefined };
  free(): void;
}

class FittedAugurs implements Fitted {
  private model: AugursModel | undefined;

  constructor(
    model: AugursModel,
    readonly info: FitInfo,
  ) {
    this.model = model;
  }

  predict(horizon: number, levels: readonly number[]): Forecast {
    const model = this.model;
    if (!model) throw new PrescientError('PRESCIENT_ERR_INTERNAL', 'mstl model used after dispose');
    // augurs computes one interval level per call; the point forecast is the same in each.
    const point = Array.from(model.predict(horizon, null).point);
    const intervals = levels.map((level) => {
      const forecast = model.predict(horizon, level);
      if (!forecast.intervals) {
        throw new PrescientError('PRESCIENT_ERR_FIT_FAILED', `mstl returned no interval at level ${level}`);
      }
      return { level, lower: Array.from(forecast.intervals.lower), upper: Array.from(forecast.intervals.upper) };
    });
    return { point, intervals };
  }

  dispose(): void {
    this.model?.free();
    this.model = undefined;
  }
}
