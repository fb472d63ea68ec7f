// Human-readable outcomes of an analysis run, for rollback and pause messages and for the
// Rollout's status.lastMeasurements.

import { formatValues } from './measurement.js';
import type {
  AnalysisPhase,
  AnalysisRunStatus,
  LastMeasurement,
  Measurement,
  MetricResult,
} from './types.js';

/** What describing a metric needs; a MetricSpec and a ResolvedMetric both fit. */
export interface MetricConditionsRef {
  name: string;
  successCondition?: string | undefined;
  failureCondition?: string | undefined;
}

// Which metric explains a run best: the worst one.
const EXPLAINS: Record<AnalysisPhase, number> = {
  Failed: 6,
  Error: 5,
  Inconclusive: 4,
  Terminated: 3,
  Running: 2,
  Pending: 1,
  Successful: 0,
};

/** The condition a measurement was judged against, e.g. "result[0] >= 0.95". */
export function decidingCondition(
  m: Measurement,
  metric: MetricConditionsRef | undefined,
): string | undefined {
  const success = metric?.successCondition?.trim() || undefined;
  const failure = metric?.failureCondition?.trim() || undefined;
  if (failure !== undefined && m.message?.includes(`failure condition ${failure}`)) return failure;
  return success ?? failure;
}

/** The newest measurement of a metric, shaped for Rollout status. */
export function lastMeasurementOf(
  result: MetricResult,
  metric: MetricConditionsRef | undefined,
): LastMeasurement | undefined {
  const m = result.measurements.at(-1);
  if (m === undefined) return undefined;
  const condition = decidingCondition(m, metric);
  return {
    metric: result.name,
    phase: m.phase,
    ...(m.value === undefined ? {} : { value: m.value }),
    ...(condition === undefined ? {} : { condition }),
    ...(m.message === undefined ? {} : { message: m.message }),
    at: m.finishedAt,
    ...(result.comparison?.result === undefined ? {} : { comparison: result.comparison.result }),
  };
}

function explain(r: MetricResult, metric: MetricConditionsRef | undefined): string {
  const m = r.measurements.at(-1);
  const base = `metric ${r.name} ${r.phase.toLowerCase()}: ${r.message ?? 'no measurement yet'}`;
  if (m === undefined) return base;
  const condition = decidingCondition(m, metric);
  const value = m.value === undefined || m.value.length === 0 ? 'none' : formatValues(m.value);
  const judged =
    condition === undefined || base.includes(condition) ? '' : `; judged against ${condition}`;
  const shown = base.includes(value) || value === 'none' ? '' : `; last value ${value}`;
  return `${base}${shown}${judged}`;
}

/**
 * One line saying why a run ended as it did, naming the metric, its last value and the
 * condition, e.g. "metric success-rate failed: 0.78 fails result[0] >= 0.95 (1 failed
 * measurement, failureLimit 0)".
 */
export function describeOutcome(
  status: AnalysisRunStatus,
  metrics: readonly MetricConditionsRef[],
): string {
  if (status.phase === 'Terminated')
    return `analysis terminated: ${status.message ?? 'ended before it finished'}`;
  const results = status.metricResults;
  if (results.length === 0) return 'analysis has no metrics';
  const worst = results.reduce((a, b) => (EXPLAINS[b.phase] > EXPLAINS[a.phase] ? b : a));
  if (worst.phase === 'Successful')
    return `analysis successful: ${results.map((r) => `${r.name} ${r.message ?? ''}`.trim()).join('; ')}`;
  return explain(
    worst,
    metrics.find((m) => m.name === worst.name),
  );
}
