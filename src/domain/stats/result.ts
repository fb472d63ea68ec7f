// What every comparison of canary against baseline returns, fixed-horizon or sequential, so the
// AnalysisRun and the CLI can store and show any of them the same way.

export const DECISIONS = ['fail', 'pass', 'continue'] as const;
/** fail: the canary is worse; pass: no evidence it is worse at the horizon; continue: look again. */
export type Decision = (typeof DECISIONS)[number];

export const ALTERNATIVES = ['two-sided', 'greater', 'less'] as const;
/**
 * Which departure the test looks for. 'greater' means the canary's values are larger than the
 * baseline's (higher latency, more errors): "canary worse" for the metrics Sluice compares.
 */
export type Alternative = (typeof ALTERNATIVES)[number];

export const COMPARISON_TESTS = ['mann-whitney', 'rate-msprt', 'location-msprt'] as const;
export type ComparisonTest = (typeof COMPARISON_TESTS)[number];

export const EFFECT_KINDS = ['rank-biserial', 'rate-ratio', 'log-shift'] as const;
export type EffectKind = (typeof EFFECT_KINDS)[number];

export interface ComparisonResult {
  test: ComparisonTest;
  /** The test statistic: U for Mann-Whitney, the log of the mixture likelihood ratio for mSPRTs. */
  statistic: number;
  /** Fixed-horizon p-value, or for a sequential test an always-valid p-value (min over looks). */
  pValue: number;
  /** For sequential tests: the threshold the statistic must reach to fail, log(1/alpha). */
  bound?: number;
  /** The estimated effect, in the unit named by effectKind. */
  effect: number;
  effectKind: EffectKind;
  nCanary: number;
  nBaseline: number;
  decision: Decision;
}
