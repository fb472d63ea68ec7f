// Which kind a metric is, and the checks each kind needs beyond its CRD schema: a query judged
// by conditions (provider), canary against baseline (compare), or an SLO's burn rate
// (burnRate). Exactly one per metric.

import { validateBurnRate } from './burn-rate.js';
import { validateCompare } from './compare-validate.js';
import { InvalidSpecError } from './errors.js';
import type { BurnRateSpec, MetricSpec } from './types.js';

export const METRIC_KINDS = ['provider', 'compare', 'burnRate'] as const;
export type MetricKind = (typeof METRIC_KINDS)[number];

/** The kinds a metric sets; a valid metric sets exactly one. */
export function metricKindsOf(m: MetricSpec): MetricKind[] {
  return METRIC_KINDS.filter((k) => m[k] !== undefined);
}

export interface MetricKindOptions {
  /**
   * The metric is an AnalysisRun's copy, already resolved: a burnRate there holds its SLO's
   * name together with the SLO's sli and objective copied in.
   */
  run?: boolean;
}

/** Problems of one metric's kind, each naming its field under `field` (e.g. spec.metrics[0]). */
export function metricKindProblems(
  field: string,
  m: MetricSpec,
  options: MetricKindOptions = {},
): Array<{ field: string; message: string }> {
  const kinds = metricKindsOf(m);
  if (kinds.length !== 1)
    return [
      {
        field,
        message:
          kinds.length === 0
            ? 'needs one of provider (a query with conditions), compare or burnRate'
            : `sets ${kinds.join(' and ')}; give exactly one of provider, compare or burnRate`,
      },
    ];
  const kind = kinds[0] as MetricKind;
  const conditions = m.successCondition !== undefined || m.failureCondition !== undefined;
  try {
    switch (kind) {
      case 'provider':
        if (!conditions)
          return [
            {
              field,
              message: 'needs a successCondition or a failureCondition to judge measurements',
            },
          ];
        return [];
      case 'compare':
        if (m.compare) validateCompare(m.compare, `${field}.compare`);
        break;
      case 'burnRate':
        if (m.burnRate && !options.run) refuseSloWithInline(m.burnRate, `${field}.burnRate`);
        if (m.burnRate) validateBurnRate(m.burnRate, `${field}.burnRate`);
        break;
      default: {
        const never: never = kind;
        throw new Error(`unknown metric kind ${String(never)}`);
      }
    }
  } catch (err) {
    if (!(err instanceof InvalidSpecError)) throw err;
    return [{ field: err.field, message: err.message.replace(`${err.field}: `, '') }];
  }
  if (conditions)
    return [
      {
        field: `${field}.${m.successCondition !== undefined ? 'successCondition' : 'failureCondition'}`,
        message: `a ${kind} metric judges itself; remove the condition`,
      },
    ];
  return [];
}

/**
 * In a template, a burnRate names an SLO or carries an inline sli with objective, not both:
 * the run would silently take the SLO's and drop the inline ones.
 */
function refuseSloWithInline(spec: BurnRateSpec, field: string): void {
  if (spec.slo === undefined) return;
  const inline = (['sli', 'objective'] as const).filter((k) => spec[k] !== undefined);
  if (inline.length === 0) return;
  throw new InvalidSpecError(
    `${field}.${inline[0] ?? 'sli'}`,
    `sets slo "${spec.slo}" and an inline ${inline.join(' and ')}; keep slo (the ServiceLevelObjective's SLI and objective are used) and remove ${inline.join(' and ')}, or remove slo to judge the inline ones`,
  );
}
