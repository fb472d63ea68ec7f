import type { Duration } from '../types.js';

// The model of a ServiceLevelObjective. The CRD (manifests/) and the controller that reads it
// come later; these are the shapes the SLO math and the rule generator work on.

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

export interface ServiceLevelObjective {
  metadata: { name: string; namespace?: string };
  spec: ServiceLevelObjectiveSpec;
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
