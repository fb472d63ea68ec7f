import type { ComparisonResult, Decision } from './result.js';

// A mixture sequential probability ratio test (mSPRT) that the canary's error rate is higher
// than the baseline's, valid however often it is looked at.
//
// Each look brings, for each side, the requests and the errors of that interval. Model errors as
// Poisson with rates p_c (canary) and p_b (baseline); given the interval's k = x_c + x_b errors,
// x_c is Binomial(k, theta) with theta = rho*n_c / (rho*n_c + n_b), rho = p_c / p_b. Conditioning
// removes p_b, so drift and bursts that hit both sides alike cancel, and n_c/n_b may change
// from look to look (the canary's weight grows). For one alternative rho1 against the null rho0
// the interval's log likelihood ratio is
//   x_c * log(theta1/theta0) + x_b * log((1 - theta1)/(1 - theta0)),
// summed over looks it is a martingale with mean 1 under the null; an average of such
// martingales over a grid of alternatives (the mixture) is one too, so by Ville's inequality
// P(the mixture ever reaches 1/alpha) <= alpha. We fail when it does; the always-valid p-value
// is min(1, 1 / the largest mixture value seen so far). Capping what one look may add (each
// look's factor becomes min(LR, c)) keeps the mean at most 1, so the bound still holds.
//
// Worked example (a test in test/unit/stats/rate-sequential.test.ts): one look, 1000 requests and
// 20 errors on the canary, 1000 requests and 10 errors on the baseline, a single alternative
// rho1 = 2. theta0 = 1/2, theta1 = 2/3, log LR = 20*log(4/3) + 10*log(2/3) = 20*0.28768 -
// 10*0.40547 = 1.69897, LR = 5.4684, so the always-valid p-value is 1/5.4684 = 0.18287.

export interface RateTestOptions {
  /** Type I error bound over all looks. Default 0.005. */
  alpha?: number;
  /** Rate ratios canary/baseline the mixture weighs, each > 1. Default DEFAULT_RATE_RATIOS. */
  ratios?: readonly number[];
  /** The null is "ratio <= margin". Default 1 (any increase counts). */
  margin?: number;
  /**
   * Most evidence (log likelihood ratio, per alternative) one look may add. Default
   * log(1/alpha)/2.5: no interval (a slow pod, a cold cache, a GC pause on one side) can fail
   * a canary on its own, nor can two; it takes at least three. Infinity turns the cap off.
   */
  maxLogEvidencePerLook?: number;
}

export const DEFAULT_ALPHA = 0.005;

export const DEFAULT_RATE_RATIOS = [1.25, 1.5, 2, 3, 5] as const;

/** One interval's counts. Non-negative; errors are counted events such as 5xx answers. */
export interface RateLook {
  canaryTotal: number;
  canaryEvents: number;
  baselineTotal: number;
  baselineEvents: number;
}

/** Plain JSON, so it can be stored in an AnalysisRun between looks. */
export interface RateTestState {
  /** Log likelihood ratio of each alternative in `ratios`, in order. */
  logLikelihoodRatios: number[];
  /** Largest log mixture value seen at any look (for the always-valid p-value). */
  maxLogMixture: number;
  looks: number;
  canaryTotal: number;
  canaryEvents: number;
  baselineTotal: number;
  baselineEvents: number;
}

export function initRateTest(options: RateTestOptions = {}): RateTestState {
  const ratios = options.ratios ?? DEFAULT_RATE_RATIOS;
  return {
    logLikelihoodRatios: ratios.map(() => 0),
    maxLogMixture: 0,
    looks: 0,
    canaryTotal: 0,
    canaryEvents: 0,
    baselineTotal: 0,
    baselineEvents: 0,
  };
}

/** Adds one interval. Returns a new state; the input is not changed. */
export function updateRateTest(
  state: RateTestState,
  look: RateLook,
  options: RateTestOptions = {},
): RateTestState {
  const ratios = options.ratios ?? DEFAULT_RATE_RATIOS;
  const margin = options.margin ?? 1;
  const cap = options.maxLogEvidencePerLook ?? Math.log(1 / (options.alpha ?? DEFAULT_ALPHA)) / 2.5;
  const { canaryTotal: nc, canaryEvents: xc, baselineTotal: nb, baselineEvents: xb } = look;
  const next: RateTestState = {
    ...state,
    logLikelihoodRatios: [...state.logLikelihoodRatios],
    looks: state.looks + 1,
    canaryTotal: state.canaryTotal + nc,
    canaryEvents: state.canaryEvents + xc,
    baselineTotal: state.baselineTotal + nb,
    baselineEvents: state.baselineEvents + xb,
  };
  // An interval with no traffic on one side, or no events at all, carries no information.
  if (nc > 0 && nb > 0 && xc + xb > 0) {
    const theta0 = (margin * nc) / (margin * nc + nb);
    ratios.forEach((rho, i) => {
      const theta1 = (rho * margin * nc) / (rho * margin * nc + nb);
      const step = xc * Math.log(theta1 / theta0) + xb * Math.log((1 - theta1) / (1 - theta0));
      next.logLikelihoodRatios[i] = (next.logLikelihoodRatios[i] ?? 0) + Math.min(step, cap);
    });
  }
  next.maxLogMixture = Math.max(state.maxLogMixture, logMeanExp(next.logLikelihoodRatios));
  return next;
}

/**
 * The result after the looks so far. `final` marks the last planned look: with no failure by
 * then the canary passes; before it, no failure means 'continue'.
 */
export function judgeRateTest(
  state: RateTestState,
  options: RateTestOptions & { final?: boolean } = {},
): ComparisonResult {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const statistic = logMeanExp(state.logLikelihoodRatios);
  const pValue = Math.min(1, Math.exp(-state.maxLogMixture));
  const failed = pValue <= alpha;
  const decision: Decision = failed ? 'fail' : options.final ? 'pass' : 'continue';
  return {
    test: 'rate-msprt',
    statistic,
    pValue,
    bound: Math.log(1 / alpha),
    effect: rateRatio(state),
    effectKind: 'rate-ratio',
    nCanary: state.canaryTotal,
    nBaseline: state.baselineTotal,
    decision,
  };
}

/**
 * Canary rate over baseline rate, with half an event added to each side so that a side with
 * no events still gives a finite ratio (JSON has no Infinity).
 */
export function rateRatio(state: RateTestState): number {
  if (state.canaryTotal <= 0 || state.baselineTotal <= 0) return 1;
  const canaryRate = (state.canaryEvents + 0.5) / state.canaryTotal;
  const baselineRate = (state.baselineEvents + 0.5) / state.baselineTotal;
  return canaryRate / baselineRate;
}

/** log(mean(exp(values))) without overflow: the log of an equal-weight mixture. */
export function logMeanExp(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const top = Math.max(...values);
  if (top === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - top);
  return top + Math.log(sum / values.length);
}
