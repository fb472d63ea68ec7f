import type { Condition, Duration, ObjectMeta } from '../types.js';
import type { AlertSeverity } from './alerts.js';

// The model of a ServiceLevelObjective (sluice.dev/v1alpha1, manifests/crds/
// servicelevelobjectives.yaml). The spec is what the SLO math and the rule generator work on;
// the status is written by the controller's SLO evaluator (src/controller/slo-evaluator.ts).

export const SLI_KINDS = ['availability', 'latency'] as const;
/** availability: good = answered without a server error; latency: good = answered fast enough. */
export type SliKind = (typeof SLI_KINDS)[number];

export interface SliSpec {
  kind: SliKind;
  /**
   * PromQL for the rate of good events, with `{{window}}` where the range goes, e.g.
   * sum(rate(istio_requests_total{destination_service="shop",response_code!~"5.."}[{{window}}]))
   */
  goodQuery: string;
  /** PromQL for the rate of all events, with `{{window}}` where the range goes. */
  totalQuery: string;
}

export interface ServiceLevelObjectiveSpec {
  service: string;
  sli: SliSpec;
  /** Percent of good events, 0 < objective < 100, e.g. 99.99. */
  objective: number;
  /** The compliance window, e.g. "28d" or "4w". Default 28d. */
  window?: Duration;
  /** An operator-facing description, copied into alert annotations. */
  description?: string;
}

/** An alert pair burning above its factor over both of its windows at evaluation time. */
export interface FiringAlert {
  severity: AlertSeverity;
  longWindow: string;
  shortWindow: string;
  /** The factor both windows exceeded. */
  burnRate: number;
}

export const SLO_CONDITION_TYPE = 'Evaluated';
export const SLO_CONDITION_REASONS = [
  'Evaluated',
  'NoData',
  'QueryFailed',
  'InvalidSpec',
  'InvalidSli',
] as const;
export type SloConditionReason = (typeof SLO_CONDITION_REASONS)[number];

/**
 * Written by the controller. NOTE: the budget fields and evaluatedAt always describe the last
 * evaluation whose queries all answered; a failed evaluation only changes the condition, so a
 * reader judges freshness by evaluatedAt. errorBudgetRemaining is absent when there was no data.
 */
export interface ServiceLevelObjectiveStatus {
  observedGeneration?: number;
  /** RFC 3339 time of the last evaluation whose queries all answered. */
  evaluatedAt?: string;
  /** Share of the budget left: 1 = untouched, 0 = spent, negative = overspent. */
  errorBudgetRemaining?: number;
  /** Share of the budget spent (1 - errorBudgetRemaining). */
  errorBudgetConsumed?: number;
  /** Bad events / all events over the SLO window. */
  errorRatio?: number;
  /** Burn rate per window ("5m", ..., and the SLO window); a window without data is absent. */
  burnRates?: Record<string, number>;
  /** The most severe firing alert, or none. */
  alertSeverity?: AlertSeverity | 'none';
  firingAlerts?: FiringAlert[];
  conditions?: Condition[];
}

export interface ServiceLevelObjective {
  apiVersion?: string;
  kind?: 'ServiceLevelObjective';
  metadata: ObjectMeta;
  spec: ServiceLevelObjectiveSpec;
  status?: ServiceLevelObjectiveStatus;
}

/** Good and total event counts over one window. */
export interface EventCounts {
  good: number;
  total: number;
}

/** The windows Sluice computes burn rates over, besides the SLO window itself. */
export const BURN_WINDOWS = ['5m', '30m', '1h', '6h', '3d'] as const;
export type BurnWindow = (typeof BURN_WINDOWS)[number];

export const DEFAULT_SLO_WINDOW = '28d';
