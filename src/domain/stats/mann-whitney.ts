import { SluiceError } from '../errors.js';
import { normalSf } from './normal.js';
import type { Alternative, ComparisonResult, Decision } from './result.js';

// Mann-Whitney U (Wilcoxon rank-sum) test of canary against baseline samples.
//
// U counts the (canary, baseline) pairs in which the canary value is the larger, a tie counting
// one half: U = R - m(m+1)/2, where R is the sum of the canary's ranks in the pooled sample
// (ties get the mean of the ranks they span), m the canary's size and n the baseline's.
// Under "same distribution" U has mean mn/2 and, with tie groups of sizes t,
//   var U = mn/12 * ((N+1) - sum(t^3 - t) / (N(N-1))),  N = m + n.
// Large samples use z = (U - mn/2 -+ 1/2) / sd (continuity correction toward the mean); small
// samples without ties use the exact distribution of U, from the recursion
//   P[m,n](u) = m/N * P[m-1,n](u - n) + n/N * P[m,n-1](u)
// (the largest pooled value is a canary value, beating all n baselines, with probability m/N).
//
// Worked example (a test in test/unit/stats/mann-whitney.test.ts): canary [4, 5, 6], baseline
// [1, 2, 3]: every canary beats every baseline, U = 9 = mn. Of the C(6,3) = 20 equally likely
// arrangements only this one gives U = 9, so the exact one-sided p is 1/20 = 0.05, two-sided 0.1.

export const MANN_WHITNEY_METHODS = ['auto', 'exact', 'asymptotic'] as const;
export type MannWhitneyMethod = (typeof MANN_WHITNEY_METHODS)[number];

export interface MannWhitneyOptions {
  /** Default 'greater': the canary's values are larger (worse). */
  alternative?: Alternative;
  /** 'auto' (default): exact when there are no ties and m*n <= EXACT_MAX_PAIRS. */
  method?: MannWhitneyMethod;
  /** Significance level for the decision. Default 0.05. */
  alpha?: number;
  /** Fewer values than this on either side gives 'continue'. Default 3. */
  minSamples?: number;
}

export interface MannWhitneyResult extends ComparisonResult {
  test: 'mann-whitney';
  method: 'exact' | 'asymptotic';
  /** The normal deviate with continuity correction (asymptotic method only). */
  z?: number;
  /** P(canary > baseline) + P(tie)/2 = U/(mn). 0.5 means no difference. */
  commonLanguageEffect: number;
  /** Median of all pairwise differences canary - baseline; omitted above HL_MAX_PAIRS pairs. */
  hodgesLehmannShift?: number;
}

export const EXACT_MAX_PAIRS = 2500;
export const HL_MAX_PAIRS = 250_000;

export function mannWhitney(
  canary: readonly number[],
  baseline: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  const alternative = options.alternative ?? 'greater';
  const alpha = options.alpha ?? 0.05;
  const minSamples = options.minSamples ?? 3;
  assertFinite('canary', canary);
  assertFinite('baseline', baseline);

  const m = canary.length;
  const n = baseline.length;
  if (m === 0 || n === 0) {
    return {
      test: 'mann-whitney',
      method: 'exact',
      statistic: Number.NaN,
      pValue: 1,
      effect: 0,
      effectKind: 'rank-biserial',
      commonLanguageEffect: 0.5,
      nCanary: m,
      nBaseline: n,
      decision: 'continue',
    };
  }

  const { canaryRankSum, tieTerm } = rankSum(canary, baseline);
  const u = canaryRankSum - (m * (m + 1)) / 2;
  const method = chooseMethod(options.method ?? 'auto', m, n, tieTerm);
  const tail =
    method === 'exact'
      ? exactPValue(u, m, n, alternative)
      : asymptoticPValue(u, m, n, tieTerm, alternative);
  const commonLanguageEffect = u / (m * n);
  const worse = alternative === 'less' ? u < (m * n) / 2 : u > (m * n) / 2;
  const enough = m >= minSamples && n >= minSamples;
  const decision: Decision = !enough ? 'continue' : tail.p < alpha && worse ? 'fail' : 'pass';
  const result: MannWhitneyResult = {
    test: 'mann-whitney',
    method,
    statistic: u,
    pValue: tail.p,
    effect: 2 * commonLanguageEffect - 1,
    effectKind: 'rank-biserial',
    commonLanguageEffect,
    nCanary: m,
    nBaseline: n,
    decision,
  };
  if (tail.z !== undefined) result.z = tail.z;
  if (m * n <= HL_MAX_PAIRS) result.hodgesLehmannShift = hodgesLehmann(canary, baseline);
  return result;
}

/** Sum of the canary's mid-ranks in the pooled sample, and sum(t^3 - t) over tie groups. */
export function rankSum(
  canary: readonly number[],
  baseline: readonly number[],
): { canaryRankSum: number; tieTerm: number } {
  const pooled = [
    ...canary.map((v) => ({ v, canary: true })),
    ...baseline.map((v) => ({ v, canary: false })),
  ].sort((a, b) => a.v - b.v);
  let canaryRankSum = 0;
  let tieTerm = 0;
  for (let i = 0; i < pooled.length;) {
    let j = i;
    while (
      j + 1 < pooled.length &&
      (pooled[j + 1] as { v: number }).v === (pooled[i] as { v: number }).v
    )
      j++;
    const t = j - i + 1;
    const midRank = (i + 1 + j + 1) / 2;
    for (let k = i; k <= j; k++)
      if ((pooled[k] as { canary: boolean }).canary) canaryRankSum += midRank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  return { canaryRankSum, tieTerm };
}

function chooseMethod(
  method: MannWhitneyMethod,
  m: number,
  n: number,
  tieTerm: number,
): 'exact' | 'asymptotic' {
  switch (method) {
    case 'exact':
      if (tieTerm > 0) return 'asymptotic'; // the exact null distribution assumes no ties
      return 'exact';
    case 'asymptotic':
      return 'asymptotic';
    case 'auto':
      return tieTerm === 0 && m * n <= EXACT_MAX_PAIRS ? 'exact' : 'asymptotic';
    default: {
      const never: never = method;
      throw new SluiceError('Internal', `unknown Mann-Whitney method ${String(never)}`);
    }
  }
}

function exactPValue(
  u: number,
  m: number,
  n: number,
  alternative: Alternative,
): { p: number; z?: number } {
  const pmf = exactDistribution(m, n);
  let below = 0; // P(U <= u)
  let above = 0; // P(U >= u)
  for (let k = 0; k < pmf.length; k++) {
    const pk = pmf[k] as number;
    if (k <= u) below += pk;
    if (k >= u) above += pk;
  }
  switch (alternative) {
    case 'greater':
      return { p: Math.min(1, above) };
    case 'less':
      return { p: Math.min(1, below) };
    case 'two-sided':
      return { p: Math.min(1, 2 * Math.min(above, below)) };
    default: {
      const never: never = alternative;
      throw new SluiceError('Internal', `unknown alternative ${String(never)}`);
    }
  }
}

function asymptoticPValue(
  u: number,
  m: number,
  n: number,
  tieTerm: number,
  alternative: Alternative,
): { p: number; z: number } {
  const total = m + n;
  const mean = (m * n) / 2;
  const variance = ((m * n) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  if (!(variance > 0)) return { p: 1, z: 0 }; // every value tied: no evidence either way
  const sd = Math.sqrt(variance);
  switch (alternative) {
    case 'greater': {
      const z = (u - mean - 0.5) / sd;
      return { p: Math.min(1, normalSf(z)), z };
    }
    case 'less': {
      const z = (u - mean + 0.5) / sd;
      return { p: Math.min(1, normalSf(-z)), z };
    }
    case 'two-sided': {
      const z = (Math.max(u, m * n - u) - mean - 0.5) / sd;
      return { p: Math.min(1, 2 * normalSf(z)), z };
    }
    default: {
      const never: never = alternative;
      throw new SluiceError('Internal', `unknown alternative ${String(never)}`);
    }
  }
}

const exactCache = new Map<string, Float64Array>();
const EXACT_CACHE_LIMIT = 256;

/** P(U = u) for u = 0..mn under the null, without ties (see the recursion at the top). */
export function exactDistribution(m: number, n: number): Float64Array {
  const key = `${m},${n}`;
  const cached = exactCache.get(key);
  if (cached) return cached;
  // prev[j] holds P[i-1, j]; cur[j] is built from cur[j-1] (P[i, j-1]) and prev[j].
  let prev: Float64Array[] = [];
  for (let j = 0; j <= n; j++) prev.push(Float64Array.of(1));
  for (let i = 1; i <= m; i++) {
    const cur: Float64Array[] = [Float64Array.of(1)];
    for (let j = 1; j <= n; j++) {
      const dist = new Float64Array(i * j + 1);
      const fromCanary = prev[j] as Float64Array; // P[i-1, j], shifted by j
      const fromBaseline = cur[j - 1] as Float64Array; // P[i, j-1]
      const wc = i / (i + j);
      const wb = j / (i + j);
      for (let k = 0; k < fromCanary.length; k++)
        dist[k + j] = (dist[k + j] as number) + wc * (fromCanary[k] as number);
      for (let k = 0; k < fromBaseline.length; k++)
        dist[k] = (dist[k] as number) + wb * (fromBaseline[k] as number);
      cur.push(dist);
    }
    prev = cur;
  }
  const result = prev[n] as Float64Array;
  if (exactCache.size >= EXACT_CACHE_LIMIT) exactCache.clear();
  exactCache.set(key, result);
  return result;
}

/** Median of all m*n differences canary[i] - baseline[j]: the shift the rank test estimates. */
export function hodgesLehmann(canary: readonly number[], baseline: readonly number[]): number {
  const diffs = new Float64Array(canary.length * baseline.length);
  let k = 0;
  for (const c of canary) for (const b of baseline) diffs[k++] = c - b;
  diffs.sort();
  const mid = diffs.length >> 1;
  return diffs.length % 2 === 1
    ? (diffs[mid] as number)
    : ((diffs[mid - 1] as number) + (diffs[mid] as number)) / 2;
}

function assertFinite(side: string, values: readonly number[]): void {
  values.forEach((v, i) => {
    if (!Number.isFinite(v))
      throw new SluiceError(
        'Internal',
        `${side}[${i}] is ${v}; drop no-data values (NaN, ±Inf) before comparing`,
      );
  });
}
