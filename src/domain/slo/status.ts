import { type AlertSummary, type BurnRateAlertRule, evaluateBurnRateAlerts } from './alerts.js';
import { burnRate, errorBudget, errorRatio, type ErrorBudget } from './budget.js';
import type { EventCounts, ServiceLevelObjectiveSpec } from './types.js';

export interface SloObservation {
  /** Counts over the SLO window. */
  window: EventCounts;
  /** Counts per burn-rate window, keyed by range text ("5m", "1h"...); absent = not measured. */
  burnWindows: Readonly<Record<string, EventCounts | undefined>>;
}

export interface SloStatus {
  budget: ErrorBudget;
  /** Burn rate per window (including the SLO window under its own range text); undefined = no data. */
  burnRates: Record<string, number | undefined>;
  alerts: AlertSummary;
}

/** Everything the API, the CLI and /metrics show for one SLO, from counts already measured. */
export function computeSloStatus(
  spec: Pick<ServiceLevelObjectiveSpec, 'objective'>,
  windowText: string,
  observation: SloObservation,
  rules?: readonly BurnRateAlertRule[],
): SloStatus {
  const budget = errorBudget(observation.window, spec.objective);
  const burnRates: Record<string, number | undefined> = {};
  for (const [window, counts] of Object.entries(observation.burnWindows)) {
    const ratio = counts === undefined ? undefined : errorRatio(counts);
    burnRates[window] = ratio === undefined ? undefined : burnRate(ratio, spec.objective);
  }
  burnRates[windowText] = budget.errorRatio === undefined ? undefined : budget.burnRate;
  return { budget, burnRates, alerts: evaluateBurnRateAlerts(burnRates, rules) };
}
