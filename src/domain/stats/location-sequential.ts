import type { ComparisonResult, Decision } from './result.js';
import { logMeanExp } from './rate-sequential.js';

// A sequential test that the canary's latency is shifted up against the baseline's, valid
// however often it is looked at, with the noise level unknown.
//
// Each look brings one paired difference d = log(canary latency) - log(baseline latency) for the
// same interval (e.g. of the two p99s), so drift shared by both sides cancels. Model d as
// Normal(delta * sigma, sigma^2) with sigma unknown. Scaling every d by c > 0 changes nothing a
// test should care about, so we use the likelihood ratio of the scale-free part of the data (the
// maximal invariant), obtained by integrating sigma out under the scale group's Haar measure
// dsigma/sigma. With n looks, T = sum d, S = sum d^2, r = T / sqrt(S), v = sqrt(S)/sigma:
//   LR(delta) = exp(-n delta^2 / 2) * I(delta r) / I(0),   I(a) = int_0^inf v^(n-1) e^(-v^2/2 + a v) dv.
// These ratios form a test martingale under delta = 0 (Perez-Ortiz, Lardy, de Heide and
// Grunwald, "E-statistics, group invariance and anytime-valid testing", 2024), as does their
// average over a grid of delta > 0; Ville's inequality then bounds the chance that it ever
// reaches 1/alpha by alpha. I(a) has no elementary closed form; we integrate it numerically
// around its peak (log domain, Simpson's rule), which is accurate to far below what matters here.
//
// Worked example (a test in test/unit/stats/location-sequential.test.ts): a single look d = 0.3
// gives r = 1 and I(a)/I(0) = 2 Phi(a) e^(a^2/2), so LR(delta) = 2 Phi(delta): at most 2 whatever
// the value, because one number says nothing about its scale. With delta = 1, LR = 2 * 0.84134
// = 1.68269.

export interface LocationTestOptions {
  /** Type I error bound over all looks. Default 0.005. */
  alpha?: number;
  /** Standardised shifts (shift / sd of d) the mixture weighs, each > 0. */
  effects?: readonly number[];
  /** The null is "shift <= margin" on the log scale. Default 0. */
  margin?: number;
  /** Looks (finite differences) before a decision other than 'continue' is possible, pass or
   * fail. Default 2. */
  minLooks?: number;
}

export const DEFAULT_STANDARDISED_EFFECTS = [0.5, 1, 2, 4] as const;

/** Plain JSON, so it can be stored in an AnalysisRun between looks. */
export interface LocationTestState {
  n: number;
  sum: number;
  sumSquares: number;
  maxLogMixture: number;
}

export function initLocationTest(): LocationTestState {
  return { n: 0, sum: 0, sumSquares: 0, maxLogMixture: 0 };
}

/** log(canary / baseline) for positive latencies: the paired difference each look adds. */
export function logRatio(canary: number, baseline: number): number {
  return Math.log(canary) - Math.log(baseline);
}

/** Adds one paired difference (see logRatio). Non-finite values are ignored (no data). */
export function updateLocationTest(
  state: LocationTestState,
  difference: number,
  options: LocationTestOptions = {},
): LocationTestState {
  if (!Number.isFinite(difference)) return state;
  const d = difference - (options.margin ?? 0);
  const next = {
    n: state.n + 1,
    sum: state.sum + d,
    sumSquares: state.sumSquares + d * d,
    maxLogMixture: state.maxLogMixture,
  };
  next.maxLogMixture = Math.max(state.maxLogMixture, logMixture(next, options));
  return next;
}

export function judgeLocationTest(
  state: LocationTestState,
  options: LocationTestOptions & { final?: boolean } = {},
): ComparisonResult {
  const alpha = options.alpha ?? 0.005;
  const minLooks = options.minLooks ?? 2;
  const pValue = Math.min(1, Math.exp(-state.maxLogMixture));
  const enough = state.n >= Math.max(1, minLooks);
  const failed = enough && pValue <= alpha;
  // Too few differences is no evidence either way: never a pass, even at the last look.
  const decision: Decision = failed ? 'fail' : options.final && enough ? 'pass' : 'continue';
  return {
    test: 'location-msprt',
    statistic: logMixture(state, options),
    pValue,
    bound: Math.log(1 / alpha),
    effect: state.n > 0 ? state.sum / state.n + (options.margin ?? 0) : 0,
    effectKind: 'log-shift',
    nCanary: state.n,
    nBaseline: state.n,
    decision,
  };
}

function logMixture(state: LocationTestState, options: LocationTestOptions): number {
  if (state.n === 0 || state.sumSquares <= 0) return 0;
  const r = state.sum / Math.sqrt(state.sumSquares);
  const logI0 = logIntegral(state.n, 0);
  const effects = options.effects ?? DEFAULT_STANDARDISED_EFFECTS;
  return logMeanExp(
    effects.map(
      (delta) => (-state.n * delta * delta) / 2 + logIntegral(state.n, delta * r) - logI0,
    ),
  );
}

const POINTS = 240;
const HALF_WIDTHS = 12;

/** log of int_0^inf v^(n-1) exp(-v^2/2 + a v) dv, by Simpson's rule around the peak. */
export function logIntegral(n: number, a: number): number {
  const k = n - 1;
  const peak = (a + Math.sqrt(a * a + 4 * k)) / 2;
  const curvature = peak > 0 ? k / (peak * peak) + 1 : 1;
  // With one look and a < 0 the integrand is largest at v = 0 and falls off like e^(a v).
  const width = k === 0 && a < 0 ? 1 / Math.max(1, -a) : 1 / Math.sqrt(curvature);
  const lo = Math.max(0, peak - HALF_WIDTHS * width);
  const hi = peak + HALF_WIDTHS * width;
  const h = (hi - lo) / POINTS;
  const logF = (v: number): number =>
    (k === 0 ? 0 : v > 0 ? k * Math.log(v) : -Infinity) - (v * v) / 2 + a * v;
  const top = logF(Math.max(peak, lo));
  let sum = 0;
  for (let i = 0; i <= POINTS; i++) {
    const w = i === 0 || i === POINTS ? 1 : i % 2 === 1 ? 4 : 2;
    sum += w * Math.exp(logF(lo + i * h) - top);
  }
  return top + Math.log((sum * h) / 3);
}
