import type { EventCounts } from './types.js';

// Error-budget arithmetic.
//
// With objective O percent, the budget is the share of events allowed to be bad: B = 1 - O/100.
// Over a window with `good` of `total` events, the error ratio is e = 1 - good/total; the budget
// consumed is e / B and the remaining budget 1 - e/B (negative once overspent). The burn rate
// over any window is e_window / B: 1 spends the budget exactly over the SLO window, 14.4 spends
// a 30-day budget in 50 hours.
//
// Worked example (a test in test/unit/slo/budget.test.ts): objective 99.99, 1,000,000 requests,
// 999,950 good. B = 0.0001, e = 0.00005, consumed 0.5, remaining 0.5, burn rate 0.5.

/**
 * 1 - objective/100, rounded to 12 significant digits so that 99.99 gives exactly 0.0001 and
 * not the 0.00009999999999998899 of plain floating point.
 */
export function allowedErrorRatio(objectivePercent: number): number {
  return Number(((100 - objectivePercent) / 100).toPrecision(12));
}

/** The share of bad events; undefined when there were no events (no data, not "perfect"). */
export function errorRatio(counts: EventCounts): number | undefined {
  if (!(counts.total > 0) || !Number.isFinite(counts.good)) return undefined;
  // Counter resets and rate() extrapolation can make good exceed total by a hair: clamp.
  // (More than a hair is a broken SLI: invalidSliMessage, checked by the evaluator.)
  // (total - good) / total, not 1 - good/total: exact for the integer counts of a fixture.
  return Math.min(1, Math.max(0, (counts.total - counts.good) / counts.total));
}

/**
 * How far good may exceed total, relative to total, before the SLI is called broken: rate()
 * extrapolates good and total separately, so a correct SLI can overshoot by a hair.
 */
export const GOOD_EXCESS_TOLERANCE = 0.001;

/**
 * Why these counts cannot come from a correct SLI, or undefined when they can: good above total
 * by more than GOOD_EXCESS_TOLERANCE (e.g. a latency goodQuery without le= sums every bucket).
 * errorRatio would clamp that to a perfect 0, a budget that never moves.
 */
export function invalidSliMessage(counts: EventCounts, window: string): string | undefined {
  if (!(counts.total > 0) || !Number.isFinite(counts.good)) return undefined;
  if (counts.good <= counts.total * (1 + GOOD_EXCESS_TOLERANCE)) return undefined;
  const ratio = significant(counts.good / counts.total);
  const amounts =
    counts.total === 1
      ? `good/total = ${ratio}`
      : `${significant(counts.good)} > ${significant(counts.total)}, good/total = ${ratio}`;
  return `good events exceed total events over ${window} (${amounts}): check goodQuery/totalQuery (a latency goodQuery needs one le= bucket; both must count the same requests)`;
}

/** A number for a message: four significant digits, no trailing zeros ("0.0001", "2"). */
export function significant(n: number): string {
  return Number(n.toPrecision(4)).toString();
}

/** How many times faster than "exactly on budget" errors arrive. */
export function burnRate(ratio: number, objectivePercent: number): number {
  return ratio / allowedErrorRatio(objectivePercent);
}

export interface ErrorBudget {
  objective: number;
  /** The share of events allowed to be bad, 1 - objective/100. */
  allowedErrorRatio: number;
  /** Undefined when the window had no events. */
  errorRatio: number | undefined;
  /** Share of the budget spent; 1 = all of it, above 1 = overspent. 0 without data. */
  consumed: number;
  /** 1 - consumed; negative when overspent. */
  remaining: number;
  /** Bad events in the window, and how many the objective allows. */
  badEvents: number;
  allowedBadEvents: number;
  /** The burn rate over the whole window (equal to consumed). */
  burnRate: number;
}

export function errorBudget(counts: EventCounts, objectivePercent: number): ErrorBudget {
  const allowed = allowedErrorRatio(objectivePercent);
  const ratio = errorRatio(counts);
  const consumed = ratio === undefined ? 0 : ratio / allowed;
  const total = counts.total > 0 ? counts.total : 0;
  return {
    objective: objectivePercent,
    allowedErrorRatio: allowed,
    errorRatio: ratio,
    consumed,
    remaining: 1 - consumed,
    badEvents: Math.max(0, total - counts.good),
    allowedBadEvents: total * allowed,
    burnRate: consumed,
  };
}
