// How a comparison result reads for people: one line for a measurement message, and sample
// sizes rounded (they are requests summed from rates times seconds).

import type { ComparisonResult } from './stats/index.js';

function fmt(n: number): string {
  return Number(n.toPrecision(4)).toString();
}

/**
 * A sample size for people: requests are rates times seconds (121.39...), so a whole number,
 * or 3 significant digits below 10 (0.5 requests is still worth seeing as such).
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 10 ? String(Math.round(n)) : Number(n.toPrecision(3)).toString();
}

/** One line: the decision with its numbers, e.g. for a measurement message or the CLI. */
export function describeComparison(r: ComparisonResult, looks: number, final = false): string {
  const evidence =
    r.bound === undefined
      ? `p=${fmt(r.pValue)}`
      : `p=${fmt(r.pValue)} (log LR ${fmt(r.statistic)}, bound ${fmt(r.bound)})`;
  const verdict =
    r.decision === 'fail'
      ? 'canary worse than baseline'
      : r.decision === 'pass'
        ? 'no evidence the canary is worse'
        : r.test === 'mann-whitney'
          ? 'too few samples for a verdict'
          : final
            ? 'too few looks with data on both sides for a verdict'
            : 'no evidence yet';
  return `look ${looks}: ${verdict}: ${r.test} ${evidence}, ${r.effectKind} ${fmt(r.effect)}, n ${formatCount(r.nCanary)}/${formatCount(r.nBaseline)}`;
}
