// The compare metric kind: canary against baseline, one look per interval. Pure: the controller
// runs the queries and stores the state this module returns in the AnalysisRun's MetricResult,
// so a restarted controller continues with the next look, none lost or repeated.
//
//   test: sequential, metric: errorRate  → rate mSPRT on the interval's request and error counts;
//   test: sequential, metric: latency    → location mSPRT on log(canary / baseline latency);
//   test: mannWhitney                    → per-interval samples (error ratios or latencies),
//                                          one Mann-Whitney U test at the last look.
//
// A sequential look that fails fails the measurement (and so the metric: a rollback). Before
// the last look "no evidence yet" is a Successful measurement; at the last look (the metric's
// count) it is a pass. Mann-Whitney's last look fails, passes, or is Inconclusive when either
// side has fewer than minSamples values.

import { InvalidSpecError } from './errors.js';
import { formatPromDuration } from './slo/window.js';
import {
  initLocationTest,
  initRateTest,
  judgeLocationTest,
  judgeRateTest,
  logRatio,
  mannWhitney,
  updateLocationTest,
  updateRateTest,
  type ComparisonResult,
} from './stats/index.js';
import type {
  CompareQueries,
  CompareSpec,
  ComparisonState,
  MeasurementPhase,
  MetricComparison,
} from './types.js';

export const WORKLOAD_PLACEHOLDER = /\{\{\s*workload\s*\}\}/g;
export const INTERVAL_PLACEHOLDER = /\{\{\s*interval\s*\}\}/g;
/** Placeholders a compare query keeps until the run starts (templates.ts leaves them alone). */
export const COMPARE_PLACEHOLDERS = ['workload', 'interval'] as const;

const DEFAULT_SEQUENTIAL_ALPHA = 0.005;
const DEFAULT_MW_ALPHA = 0.05;

/** The query keys a metric needs on each side. */
export function neededQueries(spec: CompareSpec): Array<keyof CompareQueries> {
  return spec.metric === 'errorRate' ? ['requests', 'errors'] : ['latency'];
}

/** Checks a compare spec as written in a template; throws InvalidSpecError naming the field. */
export function validateCompare(spec: CompareSpec, field: string): void {
  for (const side of ['canary', 'baseline'] as const) {
    for (const key of neededQueries(spec)) {
      if (spec[side]?.[key] === undefined && spec.queries?.[key] === undefined)
        throw new InvalidSpecError(
          `${field}.queries.${key}`,
          `metric ${spec.metric} needs a "${key}" query, in queries or in ${side}`,
        );
    }
  }
  if (spec.alpha !== undefined && !(spec.alpha > 0 && spec.alpha < 0.5))
    throw new InvalidSpecError(`${field}.alpha`, `must be between 0 and 0.5, got ${spec.alpha}`);
  if (spec.margin !== undefined && !(spec.margin > 0))
    throw new InvalidSpecError(`${field}.margin`, `must be greater than 0, got ${spec.margin}`);
  if (spec.minSamples !== undefined && !(Number.isInteger(spec.minSamples) && spec.minSamples >= 1))
    throw new InvalidSpecError(`${field}.minSamples`, 'must be a whole number of 1 or more');
}

export interface CompareWorkloads {
  canary: string;
  baseline: string;
  intervalMs: number;
}

/**
 * The run's copy of a compare metric: both sides' queries with `{{workload}}` and
 * `{{interval}}` filled in, so the run no longer depends on the Rollout.
 */
export function resolveCompare(spec: CompareSpec, w: CompareWorkloads): CompareSpec {
  const interval = formatPromDuration(w.intervalMs);
  const side = (own: CompareQueries | undefined, workload: string): CompareQueries => {
    const out: CompareQueries = {};
    for (const key of neededQueries(spec)) {
      const q = own?.[key] ?? spec.queries?.[key];
      if (q !== undefined)
        out[key] = q
          .replace(WORKLOAD_PLACEHOLDER, workload)
          .replace(INTERVAL_PLACEHOLDER, interval);
    }
    return out;
  };
  return {
    ...spec,
    canary: side(spec.canary, w.canary),
    baseline: side(spec.baseline, w.baseline),
  };
}

/** One look's numbers, each side's answer to its queries. */
export interface CompareLook {
  canary: { requests?: number; errors?: number; latency?: number };
  baseline: { requests?: number; errors?: number; latency?: number };
}

export interface CompareOutcome {
  phase: MeasurementPhase;
  message: string;
  comparison: MetricComparison;
}

export function initComparison(): ComparisonState {
  return { looks: 0 };
}

function rateOptions(spec: CompareSpec) {
  return { alpha: spec.alpha ?? DEFAULT_SEQUENTIAL_ALPHA, margin: spec.margin ?? 1 };
}

function locationOptions(spec: CompareSpec) {
  return {
    alpha: spec.alpha ?? DEFAULT_SEQUENTIAL_ALPHA,
    margin: Math.log(spec.margin ?? 1),
  };
}

function num(v: number | undefined): number {
  return v ?? 0;
}

/** The per-interval sample Mann-Whitney compares: an error ratio, or the latency itself. */
function sampleOf(spec: CompareSpec, s: CompareLook['canary']): number | undefined {
  if (spec.metric === 'latency') return s.latency;
  const requests = num(s.requests);
  return requests > 0 ? num(s.errors) / requests : undefined;
}

/** Adds one look and judges. `final`: this look is the metric's last (its count). */
export function updateComparison(
  spec: CompareSpec,
  state: ComparisonState,
  look: CompareLook,
  final: boolean,
): CompareOutcome {
  const looks = state.looks + 1;
  if (spec.test === 'mannWhitney') return mannWhitneyLook(spec, state, look, final, looks);
  if (spec.metric === 'errorRate') {
    const opts = rateOptions(spec);
    const rate = updateRateTest(
      state.rate ?? initRateTest(opts),
      {
        canaryTotal: num(look.canary.requests),
        canaryEvents: num(look.canary.errors),
        baselineTotal: num(look.baseline.requests),
        baselineEvents: num(look.baseline.errors),
      },
      opts,
    );
    return outcome({ looks, rate }, judgeRateTest(rate, { ...opts, final }));
  }
  const opts = locationOptions(spec);
  const location = updateLocationTest(
    state.location ?? initLocationTest(),
    logRatio(num(look.canary.latency), num(look.baseline.latency)),
    opts,
  );
  return outcome({ looks, location }, judgeLocationTest(location, { ...opts, final }));
}

function mannWhitneyLook(
  spec: CompareSpec,
  state: ComparisonState,
  look: CompareLook,
  final: boolean,
  looks: number,
): CompareOutcome {
  const c = sampleOf(spec, look.canary);
  const b = sampleOf(spec, look.baseline);
  const samples = {
    canary: [...(state.samples?.canary ?? []), ...(c === undefined ? [] : [c])],
    baseline: [...(state.samples?.baseline ?? []), ...(b === undefined ? [] : [b])],
  };
  const next: ComparisonState = { looks, samples };
  if (!final)
    return {
      phase: 'Successful',
      message: `look ${looks}: sample collected (${samples.canary.length} canary, ${samples.baseline.length} baseline); Mann-Whitney runs at the last look`,
      comparison: { state: next },
    };
  const minSamples = spec.minSamples ?? 3;
  const result = mannWhitney(samples.canary, samples.baseline, {
    alternative: 'greater',
    alpha: spec.alpha ?? DEFAULT_MW_ALPHA,
    minSamples,
  });
  return outcome(next, storable(result));
}

/** JSON has no NaN or Infinity; a statistic that is not finite is stored as 0. */
function storable(r: ComparisonResult): ComparisonResult {
  const clean = (n: number): number => (Number.isFinite(n) ? n : 0);
  return {
    test: r.test,
    statistic: clean(r.statistic),
    pValue: clean(r.pValue),
    ...(r.bound === undefined ? {} : { bound: clean(r.bound) }),
    effect: clean(r.effect),
    effectKind: r.effectKind,
    nCanary: r.nCanary,
    nBaseline: r.nBaseline,
    decision: r.decision,
  };
}

function outcome(state: ComparisonState, raw: ComparisonResult): CompareOutcome {
  const result = storable(raw);
  return {
    phase: phaseOf(result),
    message: describeComparison(result, state.looks),
    comparison: { state, result },
  };
}

function phaseOf(r: ComparisonResult): MeasurementPhase {
  switch (r.decision) {
    case 'fail':
      return 'Failed';
    case 'pass':
      return 'Successful';
    case 'continue':
      // A sequential look with no evidence yet is fine; a last Mann-Whitney look with too few
      // samples proves nothing: a person decides.
      return r.test === 'mann-whitney' ? 'Inconclusive' : 'Successful';
    default: {
      const never: never = r.decision;
      throw new Error(`unknown decision ${String(never)}`);
    }
  }
}

function fmt(n: number): string {
  return Number(n.toPrecision(4)).toString();
}

/** One line: the decision with its numbers, e.g. for a measurement message or the CLI. */
export function describeComparison(r: ComparisonResult, looks: number): string {
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
          : 'no evidence yet';
  return `look ${looks}: ${verdict}: ${r.test} ${evidence}, ${r.effectKind} ${fmt(r.effect)}, n ${r.nCanary}/${r.nBaseline}`;
}
