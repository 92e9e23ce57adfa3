import type { TargetConfig } from '../config/schema.js';
import { toPrescientError } from '../errors.js';
import type { ShadowPlan } from '../feedback/shadow.js';
import type { Samples, Series } from '../series/series.js';
import type { RangeQuerier } from '../sources/history.js';
import type { FeedbackLoop } from './feedback-loop.js';
import { sharedRecommender } from './recommender.js';
import type { TargetStates } from './target-state.js';

export interface ShadowStepDeps {
  readonly feedback: FeedbackLoop;
  readonly states: TargetStates;
  readonly prometheus?: RangeQuerier;
  readonly log: { warn(obj: object, msg: string): void };
  readonly nowMs: number;
}

/**
 * Shadow mode after a refresh (the new forecast already stored): fetches
 * the replicas that ran since the last scored step, scores them and the
 * recommendations planned before against the load just pulled, and plans
 * this forecast's recommendations until past the next refresh. A failed
 * replicas query is logged and retried at the next refresh (the record
 * fetches from its last scored step); the forecast stands either way.
 */
export async function shadowStep(target: TargetConfig, load: Series, deps: ShadowStepDeps): Promise<void> {
  const shadow = target.scaling?.shadow;
  if (!shadow) return;
  const { feedback, nowMs, log } = deps;
  const fromMs = feedback.shadowOf(target.name, load.stepSeconds).fetchFromMs();
  let ran: Samples | undefined;
  if (fromMs !== undefined && fromMs <= nowMs && deps.prometheus) {
    try {
      ran = await deps.prometheus.queryRange(shadow.replicasQuery, fromMs, nowMs, load.stepSeconds, shadow.aggregate ? { aggregate: shadow.aggregate } : {});
    } catch (err) {
      log.warn({ target: target.name, err: toPrescientError(err).toJSON() }, 'shadow mode: could not read the replicas that ran');
    }
  }
  let plan: ShadowPlan | undefined;
  try {
    // The policy the faces would serve were the target active (risk-budget knobs included), until well past the next refresh.
    const hours = Math.max(2 * target.refreshIntervalSeconds, (target.scaling?.leadTimeSeconds ?? 0) + target.refreshIntervalSeconds, 3600) / 3600;
    const schedule = sharedRecommender(deps.states).schedule(target.name, nowMs, hours);
    plan = { generatedAtMs: nowMs, atMs: schedule.steps.map((s) => Date.parse(s.at)), replicas: schedule.steps.map((s) => s.replicas) };
  } catch (err) {
    log.warn({ target: target.name, err: toPrescientError(err).toJSON() }, 'shadow mode: no recommendation to plan');
  }
  feedback.afterShadow(target, load, ran, plan, nowMs);
}
