import {
  applyMetricResults,
  isLastLook,
  newRunStatus,
  nextMeasurementAt,
  recordMeasurement,
  resolveMetric,
  type ResolvedMetric,
} from '../domain/analysis.js';
import { burnRateQueries, judgeBurnRate } from '../domain/burn-rate.js';
import {
  initComparison,
  neededQueries,
  updateComparison,
  type CompareLook,
} from '../domain/compare.js';
import { classifyMeasurement, noDataPhase } from '../domain/measurement.js';
import type { MetricProvider, ProviderAnswer } from '../domain/provider.js';
import type {
  AnalysisRun,
  AnalysisRunStatus,
  CompareQueries,
  Measurement,
  MetricComparison,
  MetricResult,
} from '../domain/types.js';
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
      const { measurement: m, comparison } = await measure(
        { provider, now, signal, namespace: run.metadata.namespace ?? 'default' },
        metric,
        result,
      );
      logger.debug('measurement', {
        analysisRun: run.metadata.name,
        metric: metric.name,
        query: metric.query,
        phase: m.phase,
        value: m.value,
        message: m.message,
      });
      changed = true;
      return recordMeasurement(result, m, metric, comparison);
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

interface MeasureContext {
  provider: MetricProvider;
  now: () => number;
  signal?: AbortSignal | undefined;
  namespace: string;
}

interface Measured {
  measurement: Measurement;
  /** A compare metric's state after this look; undefined when no look was added. */
  comparison?: MetricComparison | undefined;
}

/** One measurement of a metric of any kind (see domain/analysis-kinds.ts). */
async function measure(
  ctx: MeasureContext,
  metric: ResolvedMetric,
  result: MetricResult,
): Promise<Measured> {
  const startedAt = new Date(ctx.now()).toISOString();
  const ask = (query: string): Promise<ProviderAnswer> =>
    ctx.provider.measure({
      query,
      address: metric.address,
      timeoutMs: metric.timeoutMs,
      signal: ctx.signal,
    });
  const done = (m: Omit<Measurement, 'startedAt' | 'finishedAt'>): Measurement => ({
    ...m,
    startedAt,
    finishedAt: new Date(ctx.now()).toISOString(),
  });
  if (metric.compare) return measureCompare(metric, result, ask, done);
  if (metric.burnRate) return { measurement: await measureBurnRate(ctx, metric, ask, done) };
  const answer = await ask(metric.query);
  return {
    measurement: classifyMeasurement({
      answer,
      metric,
      startedAt,
      finishedAt: new Date(ctx.now()).toISOString(),
    }),
  };
}

type Ask = (query: string) => Promise<ProviderAnswer>;
type Done = (m: Omit<Measurement, 'startedAt' | 'finishedAt'>) => Measurement;

/** The first value of each answer; the first error wins, then the first no-data answer. */
async function askAll(
  ask: Ask,
  queries: Record<string, string>,
): Promise<
  | { kind: 'values'; values: Record<string, number> }
  | { kind: 'error'; message: string }
  | { kind: 'noData'; message: string }
> {
  const keys = Object.keys(queries);
  const answers = await Promise.all(keys.map((k) => ask(queries[k] ?? '')));
  const values: Record<string, number> = {};
  let noData: string | undefined;
  for (const [i, a] of answers.entries()) {
    const key = keys[i] ?? '';
    if (a.kind === 'error')
      return {
        kind: 'error',
        message: `${key}: ${a.message || (a.timeout ? 'timeout' : 'error')}`,
      };
    const v = a.values[0];
    if (v === undefined || !Number.isFinite(v))
      noData ??= `${key} query returned ${v === undefined ? 'an empty result' : String(v)}`;
    else values[key] = v;
  }
  return noData === undefined ? { kind: 'values', values } : { kind: 'noData', message: noData };
}

async function measureCompare(
  metric: ResolvedMetric,
  result: MetricResult,
  ask: Ask,
  done: Done,
): Promise<Measured> {
  const spec = metric.compare;
  if (!spec) throw new Error('measureCompare needs a compare metric');
  const queries: Record<string, string> = {};
  for (const side of ['canary', 'baseline'] as const)
    for (const key of neededQueries(spec)) {
      const q = (spec[side] as CompareQueries | undefined)?.[key];
      if (q === undefined)
        return {
          measurement: done({
            phase: 'Error',
            message: `compare.${side}.${key} was not resolved when the run started`,
          }),
        };
      queries[`${side}.${key}`] = q;
    }
  const answer = await askAll(ask, queries);
  if (answer.kind === 'error')
    return { measurement: done({ phase: 'Error', message: answer.message }) };
  if (answer.kind === 'noData')
    return {
      measurement: done({
        phase: noDataPhase(metric.noData),
        noData: true,
        message: `no data: ${answer.message}; no look taken`,
      }),
    };
  const side = (name: 'canary' | 'baseline'): CompareLook['canary'] => {
    const v = answer.values;
    const pick = (k: string): number | undefined => v[`${name}.${k}`];
    return { requests: pick('requests'), errors: pick('errors'), latency: pick('latency') };
  };
  const look: CompareLook = { canary: side('canary'), baseline: side('baseline') };
  const state = result.comparison?.state ?? initComparison();
  const out = updateComparison(spec, state, look, isLastLook(result, metric), metric.noData);
  const shown = Object.values(answer.values);
  return {
    measurement: done({ phase: out.phase, value: shown, message: out.message }),
    comparison: out.comparison,
  };
}

async function measureBurnRate(
  ctx: MeasureContext,
  metric: ResolvedMetric,
  ask: Ask,
  done: Done,
): Promise<Measurement> {
  const spec = metric.burnRate;
  const windows = spec ? burnRateQueries(spec) : undefined;
  if (!spec || !windows)
    return done({
      phase: 'Error',
      message: spec?.slo
        ? `ServiceLevelObjective "${spec.slo}" was not found in namespace ${ctx.namespace} when the run started`
        : 'burnRate has no sli and objective',
    });
  const answers = await Promise.all(
    windows.map(async (w) => {
      const [good, total] = await Promise.all([ask(w.good), ask(w.total)]);
      return { window: w.window, good, total };
    }),
  );
  const counts = new Map<string, { good: number; total: number }>();
  for (const { window, good, total } of answers) {
    if (good.kind === 'error')
      return done({ phase: 'Error', message: errorOf('good', window, good) });
    if (total.kind === 'error')
      return done({ phase: 'Error', message: errorOf('total', window, total) });
    const g = good.values[0];
    const t = total.values[0];
    if (g !== undefined && t !== undefined && Number.isFinite(g) && Number.isFinite(t))
      counts.set(window, { good: g, total: t });
  }
  return done(judgeBurnRate(spec, counts, metric.noData));
}

function errorOf(what: string, window: string, a: ProviderAnswer & { kind: 'error' }): string {
  return `${what} query for ${window}: ${a.message || (a.timeout ? 'timeout' : 'error')}`;
}
