import {
  initLocationTest,
  initRateTest,
  judgeLocationTest,
  judgeRateTest,
  logRatio,
  mannWhitney,
  updateLocationTest,
  updateRateTest,
  type LocationTestState,
  type RateTestState,
} from '../../../src/domain/stats/index.js';
import type { Look, TrafficModel } from './generator.js';

// The three ways of judging a canary that the benchmark compares. Each sees the same looks and
// answers, after each one, whether to roll back now. `--location` adds a fourth: Sluice's
// compare metric with `metric: latency` (the location mSPRT on the p99s) instead of slow counts.

export interface Decider {
  readonly name: string;
  /** Called once per look, in order; true means "roll back now". */
  observe(look: Look): boolean;
}

export type DeciderFactory = (model: TrafficModel) => Decider;

/**
 * What Argo Rollouts and Flagger users write: canary error rate above 1.5x the usual 1% or p99
 * above 1.25x the usual p99, each look on its own; failureLimit 1, so the second breach rolls
 * back. The thresholds sit between healthy and regressed, the best a careful user can do.
 */
export const thresholdDecider: DeciderFactory = (model) => {
  const usualP99 = model.latencyMedianMs * Math.exp(model.latencyLogSd * 2.326348);
  let breaches = 0;
  return {
    name: 'threshold',
    observe(look) {
      const { requests, errors, p99 } = look.canary;
      const errorRate = requests > 0 ? errors / requests : 0;
      if (errorRate > 1.5 * model.baseErrorRate || p99 > 1.25 * usualP99) breaches++;
      return breaches > 1;
    },
  };
};

/**
 * Kayenta-style: after each look, Mann-Whitney (one-sided, alpha 0.05) of the canary's per-look
 * error rates and p99s against the baseline's so far; fails when either is significant. Looked
 * at ten times, its false-alarm rate is not 5%.
 */
export const mannWhitneyDecider: DeciderFactory = () => {
  const rates = { canary: [] as number[], baseline: [] as number[] };
  const p99s = { canary: [] as number[], baseline: [] as number[] };
  return {
    name: 'mann-whitney',
    observe(look) {
      if (look.canary.requests > 0 && look.baseline.requests > 0) {
        rates.canary.push(look.canary.errors / look.canary.requests);
        rates.baseline.push(look.baseline.errors / look.baseline.requests);
        p99s.canary.push(look.canary.p99);
        p99s.baseline.push(look.baseline.p99);
      }
      return (
        mannWhitney(rates.canary, rates.baseline).decision === 'fail' ||
        mannWhitney(p99s.canary, p99s.baseline).decision === 'fail'
      );
    },
  };
};

/** One look of the rate mSPRT on error counts (both Sluice deciders use it). */
function updateErrors(
  state: RateTestState,
  look: Parameters<ReturnType<DeciderFactory>['observe']>[0],
): RateTestState {
  return updateRateTest(state, {
    canaryTotal: look.canary.requests,
    canaryEvents: look.canary.errors,
    baselineTotal: look.baseline.requests,
    baselineEvents: look.baseline.errors,
  });
}

/**
 * Sluice: the rate mSPRT on errors and on slow requests (latency SLI events), each at
 * alpha 0.005, so that both together stay within 1% false rollbacks however many looks.
 */
export const sluiceDecider: DeciderFactory = () => {
  let errors: RateTestState = initRateTest();
  let slow: RateTestState = initRateTest();
  return {
    name: 'sluice',
    observe(look) {
      const { canary: c, baseline: b } = look;
      errors = updateErrors(errors, look);
      slow = updateRateTest(slow, {
        canaryTotal: c.requests,
        canaryEvents: c.slow,
        baselineTotal: b.requests,
        baselineEvents: b.slow,
      });
      return judgeRateTest(errors).decision === 'fail' || judgeRateTest(slow).decision === 'fail';
    },
  };
};

/**
 * Sluice with a latency compare metric (`metric: latency`): the rate mSPRT on errors and the
 * location mSPRT on log(canary p99 / baseline p99), each at alpha 0.005.
 */
export const sluiceLocationDecider: DeciderFactory = () => {
  let errors: RateTestState = initRateTest();
  let latency: LocationTestState = initLocationTest();
  return {
    name: 'sluice-location',
    observe(look) {
      const { canary: c, baseline: b } = look;
      errors = updateErrors(errors, look);
      // NaN (an interval without requests) is no data: updateLocationTest ignores it.
      latency = updateLocationTest(latency, logRatio(c.p99, b.p99));
      return (
        judgeRateTest(errors).decision === 'fail' || judgeLocationTest(latency).decision === 'fail'
      );
    },
  };
};

export const DECIDERS: readonly DeciderFactory[] = [
  thresholdDecider,
  mannWhitneyDecider,
  sluiceDecider,
];
