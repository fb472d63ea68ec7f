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
// count) it is a pass after minSamples informative looks, else Inconclusive. Mann-Whitney's last
// look fails, passes, or is Inconclusive when either side has fewer than minSamples values.
// A look where either side has no data (no requests, no latency) adds nothing to the test and
// follows the metric's noData policy: no evidence is never a pass.

import { describeComparison } from './compare-text.js';
import { noDataPhase } from './measurement.js';
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
  NoDataPolicy,
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

export { describeComparison, formatCount } from './compare-text.js';

/** Default minSamples: informative looks (sequential) or samples per side (Mann-Whitney). */
export const DEFAULT_MIN_LOOKS = { sequential: 2, mannWhitney: 3 } as const;

function minSamplesOf(spec: CompareSpec): number {
  return spec.minSamples ?? DEFAULT_MIN_LOOKS[spec.test];
}

type Side = CompareLook['canary'];

/** A positive finite number, else undefined. */
function positive(v: number | undefined): number | undefined {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : undefined;
}

/**
 * Why one side's numbers carry no evidence this look, or undefined when they do: a side that
 * served no request (or whose latency is missing, zero or not finite) cannot be compared.
 */
function sideProblem(spec: CompareSpec, name: string, s: Side): string | undefined {
  if (spec.metric === 'latency')
    return positive(s.latency) === undefined
      ? `${name} latency is ${String(s.latency ?? 'missing')}`
      : undefined;
  if (positive(s.requests) === undefined)
    return `${name} served no requests (${String(s.requests ?? 'missing')})`;
  if (s.errors === undefined || !Number.isFinite(s.errors) || s.errors < 0)
    return `${name} errors are ${String(s.errors ?? 'missing')}`;
  return undefined;
}

function lookProblem(spec: CompareSpec, look: CompareLook): string | undefined {
  const problems = [
    sideProblem(spec, 'canary', look.canary),
    sideProblem(spec, 'baseline', look.baseline),
  ].filter((p): p is string => p !== undefined);
  return problems.length === 0 ? undefined : problems.join(', ');
}

/** The per-interval sample Mann-Whitney compares: an error ratio, or the latency itself. */
function sampleOf(spec: CompareSpec, s: Side): number {
  if (spec.metric === 'latency') return s.latency ?? 0;
  return (s.errors ?? 0) / (s.requests ?? 1);
}

/**
 * Adds one look and judges. `final`: this look is the metric's last (its count). A look where
 * either side has no data (no requests, no latency) adds nothing to the test and gets the
 * metric's noData policy (Inconclusive by default), unless the evidence so far already fails.
 * The last look passes only with enough informative looks (minSamples); with fewer it is
 * Inconclusive, whatever the policy: no evidence is never a pass.
 */
export function updateComparison(
  spec: CompareSpec,
  state: ComparisonState,
  look: CompareLook,
  final: boolean,
  noData: NoDataPolicy = 'inconclusive',
): CompareOutcome {
  const looks = state.looks + 1;
  const problem = lookProblem(spec, look);
  const verdict = { final, noData, problem };
  if (spec.test === 'mannWhitney') return mannWhitneyLook(spec, state, look, verdict, looks);
  if (spec.metric === 'errorRate') {
    const opts = { ...rateOptions(spec), minLooks: minSamplesOf(spec) };
    const before = state.rate ?? initRateTest(opts);
    const rate =
      problem === undefined
        ? updateRateTest(
            before,
            {
              canaryTotal: look.canary.requests ?? 0,
              canaryEvents: look.canary.errors ?? 0,
              baselineTotal: look.baseline.requests ?? 0,
              baselineEvents: look.baseline.errors ?? 0,
            },
            opts,
          )
        : { ...before, looks: before.looks + 1 };
    return outcome({ looks, rate }, judgeRateTest(rate, { ...opts, final }), verdict);
  }
  const opts = { ...locationOptions(spec), minLooks: minSamplesOf(spec) };
  const before = state.location ?? initLocationTest();
  const location =
    problem === undefined
      ? updateLocationTest(
          before,
          logRatio(look.canary.latency ?? 0, look.baseline.latency ?? 0),
          opts,
        )
      : before;
  return outcome({ looks, location }, judgeLocationTest(location, { ...opts, final }), verdict);
}

interface Verdict {
  final: boolean;
  noData: NoDataPolicy;
  /** Why this look had no data, if it had none. */
  problem: string | undefined;
}

function mannWhitneyLook(
  spec: CompareSpec,
  state: ComparisonState,
  look: CompareLook,
  verdict: Verdict,
  looks: number,
): CompareOutcome {
  const prior = state.samples ?? { canary: [], baseline: [] };
  const samples =
    verdict.problem === undefined
      ? {
          canary: [...prior.canary, sampleOf(spec, look.canary)],
          baseline: [...prior.baseline, sampleOf(spec, look.baseline)],
        }
      : { canary: [...prior.canary], baseline: [...prior.baseline] };
  const next: ComparisonState = { looks, samples };
  if (!verdict.final) {
    const collected = `(${samples.canary.length} canary, ${samples.baseline.length} baseline)`;
    return verdict.problem === undefined
      ? {
          phase: 'Successful',
          message: `look ${looks}: sample collected ${collected}; Mann-Whitney runs at the last look`,
          comparison: { state: next },
        }
      : {
          phase: noDataPhase(verdict.noData),
          message: `look ${looks}: no data: ${verdict.problem}; no sample taken ${collected}`,
          comparison: { state: next },
        };
  }
  const result = mannWhitney(samples.canary, samples.baseline, {
    alternative: 'greater',
    alpha: spec.alpha ?? DEFAULT_MW_ALPHA,
    minSamples: Math.max(1, minSamplesOf(spec)),
  });
  return outcome(next, result, verdict);
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

function outcome(state: ComparisonState, raw: ComparisonResult, verdict: Verdict): CompareOutcome {
  const result = storable(raw);
  const phase = phaseOf(result, verdict);
  const described = describeComparison(result, state.looks, verdict.final);
  const message =
    verdict.problem === undefined
      ? described
      : `look ${state.looks}: no data: ${verdict.problem}; ${described.replace(/^look \d+: /, '')}`;
  return { phase, message, comparison: { state, result } };
}

/**
 * A failure is a failure, data this look or not. Otherwise a look without data follows the
 * noData policy, except that a last look without enough evidence to pass is never Successful.
 * With data, a pass is Successful and "no evidence yet" is fine before the last look and
 * Inconclusive at it (too few informative looks or samples: a person decides).
 */
function phaseOf(r: ComparisonResult, v: Verdict): MeasurementPhase {
  switch (r.decision) {
    case 'fail':
      return 'Failed';
    case 'pass':
      return v.problem === undefined ? 'Successful' : noDataPhase(v.noData);
    case 'continue': {
      if (v.problem === undefined) return v.final ? 'Inconclusive' : 'Successful';
      const phase = noDataPhase(v.noData);
      return v.final && phase === 'Successful' ? 'Inconclusive' : phase;
    }
    default: {
      const never: never = r.decision;
      throw new Error(`unknown decision ${String(never)}`);
    }
  }
}
