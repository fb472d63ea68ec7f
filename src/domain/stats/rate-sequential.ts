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
  /**
   * Informative looks (traffic on both sides) needed before the last look may pass. Default 1.
   * With fewer, the last look's decision stays 'continue': no evidence is never a pass.
   */
  minLooks?: number;
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

/**
 * Plain JSON, so it can be stored in an AnalysisRun between looks. The totals and the
 * Mantel-Haenszel sums count informative looks only (traffic on both sides). The optional
 * fields are absent from states stored by older versions.
 */
export interface RateTestState {
  /** Log likelihood ratio of each alternative in `ratios`, in order. */
  logLikelihoodRatios: number[];
  /** Largest log mixture value seen at any look (for the always-valid p-value). */
  maxLogMixture: number;
  /** Every look added, informative or not. */
  looks: number;
  /** Looks with traffic on both sides: the only ones that carry evidence. */
  informativeLooks?: number;
  /** Mantel-Haenszel sums for the effect (see rateRatio): sum x_c n_b / n, sum x_b n_c / n. */
  mhCanary?: number;
  mhBaseline?: number;
  /** sum (n_c / n)(n_b / n) over informative looks: the weight of the smoothing. */
  mhWeight?: number;
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
    informativeLooks: 0,
    mhCanary: 0,
    mhBaseline: 0,
    mhWeight: 0,
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
  };
  // A look without traffic on one side (or with counts that are not counts) carries no
  // information: it changes nothing but the number of looks.
  if (!isInformative(look)) return next;
  const n = nc + nb;
  next.informativeLooks = informativeLooks(state) + 1;
  next.canaryTotal = state.canaryTotal + nc;
  next.canaryEvents = state.canaryEvents + xc;
  next.baselineTotal = state.baselineTotal + nb;
  next.baselineEvents = state.baselineEvents + xb;
  next.mhCanary = (state.mhCanary ?? 0) + (xc * nb) / n;
  next.mhBaseline = (state.mhBaseline ?? 0) + (xb * nc) / n;
  next.mhWeight = (state.mhWeight ?? 0) + (nc / n) * (nb / n);
  // Without any event the likelihood ratio is 1 for every alternative.
  if (xc + xb > 0) {
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
 * then and at least minLooks informative looks the canary passes; otherwise 'continue' (at the
 * last look: not enough evidence for a verdict; the caller decides what that means).
 */
export function judgeRateTest(
  state: RateTestState,
  options: RateTestOptions & { final?: boolean } = {},
): ComparisonResult {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const statistic = logMeanExp(state.logLikelihoodRatios);
  const pValue = Math.min(1, Math.exp(-state.maxLogMixture));
  const failed = pValue <= alpha;
  const enough = informativeLooks(state) >= Math.max(1, options.minLooks ?? 1);
  const decision: Decision = failed ? 'fail' : options.final && enough ? 'pass' : 'continue';
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

/** Both sides served requests, and every count is a finite non-negative number. */
export function isInformative(look: RateLook): boolean {
  const counts = [look.canaryTotal, look.canaryEvents, look.baselineTotal, look.baselineEvents];
  return (
    counts.every((c) => Number.isFinite(c) && c >= 0) &&
    look.canaryTotal > 0 &&
    look.baselineTotal > 0
  );
}

/** Looks with traffic on both sides; a state stored before the count existed falls back. */
export function informativeLooks(state: RateTestState): number {
  if (state.informativeLooks !== undefined) return state.informativeLooks;
  return state.canaryTotal > 0 && state.baselineTotal > 0 ? state.looks : 0;
}

/**
 * Canary rate over baseline rate: the Mantel-Haenszel estimate over the informative looks,
 * each look a stratum with its own traffic split (the canary's weight grows between looks),
 *   RR = (C + h) / (B + h),  C = sum x_c n_b / n,  B = sum x_b n_c / n,  n = n_c + n_b,
 *   h = 1/2 * mean over looks of (n_c / n)(n_b / n).
 * h is half an event shared between the sides in proportion to their traffic, i.e. 1/(2n)
 * added to both sides' rates: it keeps the ratio finite (JSON has no Infinity) and pulls it
 * toward 1, never toward the traffic split. No event on either side gives exactly 1, as does
 * no informative look. One look, 1000 requests and 20 errors against 1000 and 10:
 * C = 10, B = 5, h = 0.125, RR = 10.125 / 5.125 = 1.9756.
 */
export function rateRatio(state: RateTestState): number {
  const looks = informativeLooks(state);
  if (looks === 0) return 1;
  if (state.mhCanary === undefined || state.mhBaseline === undefined) {
    // A state stored before the Mantel-Haenszel sums: the pooled rates, smoothed the same way.
    const half = 0.5 / (state.canaryTotal + state.baselineTotal);
    const canaryRate = state.canaryEvents / state.canaryTotal + half;
    const baselineRate = state.baselineEvents / state.baselineTotal + half;
    return canaryRate / baselineRate;
  }
  const h = (0.5 * (state.mhWeight ?? 0)) / looks;
  if (state.mhCanary === 0 && state.mhBaseline === 0) return 1;
  return (state.mhCanary + h) / (state.mhBaseline + h);
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
