import { Gauge, type Registry } from 'prom-client';

/** The SLO gauges on the controller's /metrics (see docs/slo.md). */
export interface SloMetrics {
  budgetRemaining: Gauge<'namespace' | 'slo' | 'service'>;
  burnRate: Gauge<'namespace' | 'slo' | 'service' | 'window'>;
  objective: Gauge<'namespace' | 'slo' | 'service'>;
}

export function createSloMetrics(registry: Registry): SloMetrics {
  return {
    budgetRemaining: new Gauge({
      name: 'sluice_slo_error_budget_remaining_ratio',
      help: 'Share of the error budget left over the SLO window (1 untouched, negative overspent); absent without data.',
      labelNames: ['namespace', 'slo', 'service'],
      registers: [registry],
    }),
    burnRate: new Gauge({
      name: 'sluice_slo_burn_rate',
      help: 'Error ratio over the window divided by the allowed error ratio; absent without data.',
      labelNames: ['namespace', 'slo', 'service', 'window'],
      registers: [registry],
    }),
    objective: new Gauge({
      name: 'sluice_slo_objective_ratio',
      help: 'The objective as a ratio (99.9% = 0.999).',
      labelNames: ['namespace', 'slo', 'service'],
      registers: [registry],
    }),
  };
}
