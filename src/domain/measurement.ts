// Judging one metric answer. The order of the rules is the point of this module:
//   1. the provider failed (error, timeout)            → Error, never counted as success;
//   2. no data: an empty answer, or any NaN or ±Inf     → the metric's noData policy, never Error;
//   3. failureCondition true                           → Failed;
//   4. successCondition true                           → Successful;
//   5. both conditions present, neither true           → Inconclusive;
//      only successCondition, false                    → Failed;
//      only failureCondition, false                    → Successful;
//      no condition at all                             → Successful.
// A condition that cannot be evaluated (type error, index out of range) is an Error.

import { errorMessage, ExpressionError } from './errors.js';
import { formatDuration } from './duration.js';
import { evaluateCondition, parseExpression } from './expression.js';
import type { ProviderAnswer } from './provider.js';
import type { Measurement, MeasurementPhase, NoDataPolicy } from './types.js';

export interface MetricConditions {
  successCondition?: string | undefined;
  failureCondition?: string | undefined;
  noData: NoDataPolicy;
  /** The query timeout, to say "timeout after 5s" when the provider timed out. */
  timeoutMs?: number | undefined;
}

export interface MeasurementInput {
  answer: ProviderAnswer;
  metric: MetricConditions;
  startedAt: string;
  finishedAt: string;
}

/** The phase a no-data answer gets under a policy. */
export function noDataPhase(policy: NoDataPolicy): MeasurementPhase {
  switch (policy) {
    case 'pass':
      return 'Successful';
    case 'fail':
      return 'Failed';
    case 'inconclusive':
      return 'Inconclusive';
    default: {
      const never: never = policy;
      throw new Error(`unknown noData policy ${String(never)}`);
    }
  }
}

/** "0.78" for one value, "[0.78, 0.5]" for several. */
export function formatValues(values: readonly number[]): string {
  return values.length === 1 ? String(values[0]) : `[${values.join(', ')}]`;
}

function noDataReason(values: readonly number[]): string | undefined {
  if (values.length === 0) return 'the query returned an empty result';
  for (const v of values) {
    if (Number.isNaN(v)) return 'the query returned NaN';
    if (v === Number.POSITIVE_INFINITY) return 'the query returned +Inf';
    if (v === Number.NEGATIVE_INFINITY) return 'the query returned -Inf';
  }
  return undefined;
}

function errorText(answer: ProviderAnswer & { kind: 'error' }, timeoutMs?: number): string {
  if (!answer.timeout || /\btime(d)? ?out\b/i.test(answer.message)) return answer.message;
  const after = timeoutMs === undefined ? '' : ` after ${formatDuration(timeoutMs)}`;
  return answer.message === '' ? `timeout${after}` : `timeout${after}: ${answer.message}`;
}

function check(condition: string, values: readonly number[]): boolean {
  return evaluateCondition(parseExpression(condition), { result: values });
}

function judge(
  values: readonly number[],
  metric: MetricConditions,
): { phase: MeasurementPhase; message: string } {
  const shown = formatValues(values);
  const success = metric.successCondition?.trim() || undefined;
  const failure = metric.failureCondition?.trim() || undefined;
  if (failure !== undefined && check(failure, values))
    return { phase: 'Failed', message: `${shown} meets failure condition ${failure}` };
  if (success !== undefined && check(success, values))
    return { phase: 'Successful', message: `${shown} passes ${success}` };
  if (success !== undefined && failure !== undefined)
    return {
      phase: 'Inconclusive',
      message: `${shown} is inconclusive: it neither passes ${success} nor meets failure condition ${failure}`,
    };
  if (success !== undefined) return { phase: 'Failed', message: `${shown} fails ${success}` };
  if (failure !== undefined)
    return { phase: 'Successful', message: `${shown} does not meet failure condition ${failure}` };
  return { phase: 'Successful', message: `${shown} recorded; the metric has no condition` };
}

/**
 * Classifies one provider answer into a Measurement. Never throws for a bad condition: that is
 * an Error measurement with the expression's message. No-data values are not stored (NaN and
 * ±Inf do not survive JSON); an empty answer stores `value: []`.
 */
export function classifyMeasurement(input: MeasurementInput): Measurement {
  const { answer, metric, startedAt, finishedAt } = input;
  if (answer.kind === 'error')
    return { phase: 'Error', startedAt, finishedAt, message: errorText(answer, metric.timeoutMs) };

  const values = answer.values;
  const reason = noDataReason(values);
  if (reason !== undefined) {
    const phase = noDataPhase(metric.noData);
    return {
      phase,
      noData: true,
      ...(values.length === 0 ? { value: [] } : {}),
      startedAt,
      finishedAt,
      message: `no data: ${reason}`,
    };
  }

  try {
    const { phase, message } = judge(values, metric);
    return { phase, value: [...values], startedAt, finishedAt, message };
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    return {
      phase: 'Error',
      value: [...values],
      startedAt,
      finishedAt,
      message: errorMessage(err),
    };
  }
}
