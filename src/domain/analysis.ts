// The arithmetic of an AnalysisRun: defaults, counters, limits and phases. Pure: times come in
// as ISO strings or epoch milliseconds.
//
// Rules (a limit of N is crossed by the (N+1)th occurrence):
// - failed > failureLimit                        → metric Failed;
// - consecutiveError > consecutiveErrorLimit     → metric Failed ("5 consecutive errors, last: …");
// - inconclusive > inconclusiveLimit             → metric Inconclusive (the rollout pauses);
// - any non-Error measurement resets consecutiveError; Errors never count toward `count`;
// - `count` non-error measurements taken with no limit crossed → Successful when at least one
//   of them was Successful, else Inconclusive: tolerated failures or inconclusive results alone
//   prove nothing, so a person decides. (noData: pass makes a no-data measurement Successful,
//   so such a metric can succeed on no data, as its author asked.)
// - a finished metric ignores further measurements.

export { describeOutcome, lastMeasurementOf, decidingCondition } from './analysis-outcome.js';

import { describeOutcome } from './analysis-outcome.js';
import { parseDuration } from './duration.js';
import { InvalidSpecError } from './errors.js';
import {
  MAX_MEASUREMENTS,
  type AnalysisDefaults,
  type AnalysisPhase,
  type AnalysisRunStatus,
  type BurnRateSpec,
  type CompareSpec,
  type Measurement,
  type MetricResult,
  type MetricSpec,
  type NoDataPolicy,
  type PrometheusProvider,
} from './types.js';

export const DEFAULT_INTERVAL = '30s';
export const DEFAULT_TIMEOUT = '10s';
export const DEFAULT_NO_DATA: NoDataPolicy = 'inconclusive';
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;

export interface ResolvedMetric {
  name: string;
  intervalMs: number;
  initialDelayMs: number;
  /** Non-error measurements to take; 0 = until the run is ended (background analysis). */
  count: number;
  successCondition?: string | undefined;
  failureCondition?: string | undefined;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
  noData: NoDataPolicy;
  timeoutMs: number;
  /** The query with its arguments already substituted (see templates.ts); '' for compare and burnRate. */
  query: string;
  /** Prometheus address; undefined means the controller's default. */
  address?: string | undefined;
  provider?: { prometheus: PrometheusProvider } | undefined;
  compare?: CompareSpec | undefined;
  burnRate?: BurnRateSpec | undefined;
}

export interface ResolveOptions {
  /** Background analysis: an absent `count` means "until the run is ended", not 1. */
  unbounded?: boolean;
  /** Spec path of the metric for errors, e.g. `spec.metrics[0]`. Default `metrics.<name>`. */
  field?: string;
}

const FINISHED: readonly AnalysisPhase[] = [
  'Successful',
  'Failed',
  'Inconclusive',
  'Error',
  'Terminated',
];

export function isFinished(phase: AnalysisPhase): boolean {
  return FINISHED.includes(phase);
}

function limit(value: number | undefined, fallback: number, field: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidSpecError(field, `must be a whole number of 0 or more, got ${n}`);
  return n;
}

/** Applies the Rollout's analysis defaults and the built-in ones; all durations in ms. */
export function resolveMetric(
  metric: MetricSpec,
  defaults: AnalysisDefaults | undefined,
  options: ResolveOptions = {},
): ResolvedMetric {
  const field = options.field ?? `metrics.${metric.name}`;
  const intervalMs = parseDuration(
    metric.interval ?? defaults?.interval ?? DEFAULT_INTERVAL,
    `${field}.interval`,
  );
  const timeoutMs = parseDuration(
    metric.timeout ?? defaults?.timeout ?? DEFAULT_TIMEOUT,
    `${field}.timeout`,
  );
  if (intervalMs <= 0) throw new InvalidSpecError(`${field}.interval`, 'must be longer than 0');
  if (timeoutMs <= 0) throw new InvalidSpecError(`${field}.timeout`, 'must be longer than 0');
  return {
    name: metric.name,
    intervalMs,
    initialDelayMs: parseDuration(metric.initialDelay ?? 0, `${field}.initialDelay`),
    count: limit(metric.count, options.unbounded ? 0 : 1, `${field}.count`),
    successCondition: metric.successCondition,
    failureCondition: metric.failureCondition,
    failureLimit: limit(metric.failureLimit, defaults?.failureLimit ?? 0, `${field}.failureLimit`),
    inconclusiveLimit: limit(
      metric.inconclusiveLimit,
      defaults?.inconclusiveLimit ?? 0,
      `${field}.inconclusiveLimit`,
    ),
    consecutiveErrorLimit: limit(
      metric.consecutiveErrorLimit,
      defaults?.consecutiveErrorLimit ?? DEFAULT_CONSECUTIVE_ERROR_LIMIT,
      `${field}.consecutiveErrorLimit`,
    ),
    noData: metric.noData ?? defaults?.noData ?? DEFAULT_NO_DATA,
    timeoutMs,
    query: metric.provider?.prometheus.query ?? '',
    address: metric.provider?.prometheus.address,
    provider: metric.provider,
    ...(metric.compare ? { compare: metric.compare } : {}),
    ...(metric.burnRate ? { burnRate: metric.burnRate } : {}),
  };
}

export function newMetricResult(name: string): MetricResult {
  return {
    name,
    phase: 'Pending',
    count: 0,
    successful: 0,
    failed: 0,
    inconclusive: 0,
    error: 0,
    consecutiveError: 0,
    measurements: [],
  };
}

export function newRunStatus(
  metrics: ReadonlyArray<{ name: string }>,
  startedAt: string,
): AnalysisRunStatus {
  return {
    phase: 'Running',
    startedAt,
    metricResults: metrics.map((m) => newMetricResult(m.name)),
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function judgeResult(
  r: MetricResult,
  metric: ResolvedMetric,
  last: string,
): Pick<MetricResult, 'phase' | 'message'> {
  if (r.failed > metric.failureLimit)
    return {
      phase: 'Failed',
      message: `${last} (${plural(r.failed, 'failed measurement')}, failureLimit ${metric.failureLimit})`,
    };
  if (r.consecutiveError > metric.consecutiveErrorLimit)
    return {
      phase: 'Failed',
      message: `${plural(r.consecutiveError, 'consecutive error')}, last: ${last}`,
    };
  if (r.inconclusive > metric.inconclusiveLimit)
    return {
      phase: 'Inconclusive',
      message: `${last} (${plural(r.inconclusive, 'inconclusive measurement')}, inconclusiveLimit ${metric.inconclusiveLimit})`,
    };
  if (metric.count > 0 && r.count >= metric.count)
    return r.successful > 0
      ? { phase: 'Successful', message: `${r.successful} of ${r.count} successful, last: ${last}` }
      : { phase: 'Inconclusive', message: `none of ${r.count} successful, last: ${last}` };
  return { phase: 'Running', message: last };
}

/**
 * Adds one measurement to a metric's result and decides its phase. `comparison`: a compare
 * metric's test state after this look (stored with the result, so it survives a restart).
 */
export function recordMeasurement(
  result: MetricResult,
  m: Measurement,
  metric: ResolvedMetric,
  comparison?: MetricResult['comparison'],
): MetricResult {
  if (isFinished(result.phase)) return result;

  const isError = m.phase === 'Error';
  const next: MetricResult = {
    ...result,
    ...(comparison === undefined ? {} : { comparison }),
    count: result.count + (isError ? 0 : 1),
    successful: result.successful + (m.phase === 'Successful' ? 1 : 0),
    failed: result.failed + (m.phase === 'Failed' ? 1 : 0),
    inconclusive: result.inconclusive + (m.phase === 'Inconclusive' ? 1 : 0),
    error: result.error + (isError ? 1 : 0),
    consecutiveError: isError ? result.consecutiveError + 1 : 0,
    measurements: [...result.measurements, m].slice(-MAX_MEASUREMENTS),
  };
  return { ...next, ...judgeResult(next, metric, m.message ?? m.phase) };
}

/** The next non-error measurement is the metric's last one (its count). */
export function isLastLook(result: MetricResult, metric: ResolvedMetric): boolean {
  return metric.count > 0 && result.count + 1 >= metric.count;
}

/**
 * When the metric should be measured next (epoch ms): the initial delay after the run started
 * for the first one, then one interval after the last one finished (after an Error too).
 * undefined when the metric is finished.
 */
export function nextMeasurementAt(
  result: MetricResult,
  metric: ResolvedMetric,
  runStartedAtMs: number,
): number | undefined {
  if (isFinished(result.phase)) return undefined;
  const last = result.measurements.at(-1);
  if (last === undefined) return runStartedAtMs + metric.initialDelayMs;
  return Date.parse(last.finishedAt) + metric.intervalMs;
}

const SEVERITY: Record<AnalysisPhase, number> = {
  Failed: 6,
  Error: 5,
  Inconclusive: 4,
  Running: 3,
  Pending: 2,
  Terminated: 1,
  Successful: 0,
};

/**
 * The run's phase from its metrics: Failed > Error > Inconclusive > Running > Pending >
 * Successful. A run that was Terminated stays Terminated. A run with no metrics is Successful
 * (resolveTemplates never produces one).
 */
export function aggregateRunPhase(
  results: readonly MetricResult[],
  current?: AnalysisPhase,
): AnalysisPhase {
  if (current === 'Terminated') return 'Terminated';
  let worst: AnalysisPhase = 'Successful';
  for (const r of results) if (SEVERITY[r.phase] > SEVERITY[worst]) worst = r.phase;
  if (worst === 'Pending' && results.some((r) => r.phase !== 'Pending')) return 'Running';
  return worst;
}

/** Puts new metric results into a run and updates its phase, message and finish time. */
export function applyMetricResults(
  status: AnalysisRunStatus,
  results: MetricResult[],
  metrics: readonly ResolvedMetric[],
  nowIso: string,
): AnalysisRunStatus {
  if (isFinished(status.phase)) return status;
  const phase = aggregateRunPhase(results, status.phase);
  const next: AnalysisRunStatus = { ...status, phase, metricResults: results };
  if (!isFinished(phase)) return next;
  return { ...next, finishedAt: nowIso, message: describeOutcome(next, metrics) };
}

/**
 * Ends a run that is still going (a promotion, an abort, a new revision): phase Terminated,
 * never Successful. A run that already finished keeps its outcome.
 */
export function terminateRun(
  status: AnalysisRunStatus,
  nowIso: string,
  message: string,
): AnalysisRunStatus {
  if (isFinished(status.phase)) return status;
  return {
    ...status,
    phase: 'Terminated',
    message,
    finishedAt: nowIso,
    metricResults: status.metricResults.map((r) =>
      isFinished(r.phase) ? r : { ...r, phase: 'Terminated' },
    ),
  };
}
