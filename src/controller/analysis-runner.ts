import {
  applyMetricResults,
  newRunStatus,
  nextMeasurementAt,
  recordMeasurement,
  resolveMetric,
} from '../domain/analysis.js';
import { classifyMeasurement } from '../domain/measurement.js';
import type { MetricProvider } from '../domain/provider.js';
import type { AnalysisRun, AnalysisRunStatus, MetricResult } from '../domain/types.js';
import type { Logger } from '../logging.js';

export interface RunTick {
  status: AnalysisRunStatus;
  changed: boolean;
  /** When to look again; undefined when the run is finished. */
  nextAt: number | undefined;
  finished: boolean;
}

const TERMINAL = new Set(['Successful', 'Failed', 'Inconclusive', 'Error', 'Terminated']);

/**
 * Takes every measurement that is due, in parallel across metrics, and returns the new status.
 * A slow query only delays its own run: each query is cut at the metric's timeout.
 */
export async function tickRun(
  run: AnalysisRun,
  provider: MetricProvider,
  now: () => number,
  logger: Logger,
  signal?: AbortSignal,
): Promise<RunTick> {
  const startIso = new Date(now()).toISOString();
  const background = run.spec.step < 0;
  let status: AnalysisRunStatus = run.status?.metricResults?.length
    ? structuredClone(run.status)
    : newRunStatus(run.spec.metrics, startIso);
  const changedInit = !run.status?.metricResults?.length;
  if (TERMINAL.has(status.phase))
    return { status, changed: changedInit, nextAt: undefined, finished: true };
  const startedMs = Date.parse(status.startedAt ?? startIso);
  const resolved = run.spec.metrics.map((m) =>
    resolveMetric(m, undefined, { unbounded: background }),
  );
  let changed = changedInit;
  const results: MetricResult[] = await Promise.all(
    status.metricResults.map(async (result, i) => {
      const metric = resolved[i];
      if (!metric) return result;
      const due = nextMeasurementAt(result, metric, startedMs);
      if (due === undefined || due > now()) return result;
      const startedAt = new Date(now()).toISOString();
      const answer = await provider.measure({
        query: metric.query,
        address: metric.address,
        timeoutMs: metric.timeoutMs,
        signal,
      });
      const m = classifyMeasurement({
        answer,
        metric,
        startedAt,
        finishedAt: new Date(now()).toISOString(),
      });
      logger.debug('measurement', {
        analysisRun: run.metadata.name,
        metric: metric.name,
        query: metric.query,
        phase: m.phase,
        value: m.value,
        message: m.message,
      });
      changed = true;
      return recordMeasurement(result, m, metric);
    }),
  );
  const before = status.phase;
  status = applyMetricResults(status, results, resolved, new Date(now()).toISOString());
  if (status.phase !== before) changed = true;
  const finished = TERMINAL.has(status.phase);
  let nextAt: number | undefined;
  if (!finished) {
    for (const [i, r] of results.entries()) {
      const metric = resolved[i];
      const due = metric ? nextMeasurementAt(r, metric, startedMs) : undefined;
      if (due !== undefined) nextAt = nextAt === undefined ? due : Math.min(nextAt, due);
    }
  }
  return { status, changed, nextAt, finished };
}
