import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The controller's own Prometheus metrics, on a registry of its own (no globals). */
export interface ControllerMetrics {
  registry: Registry;
  transitions: Counter<'namespace' | 'rollout' | 'reason'>;
  canaryWeight: Gauge<'namespace' | 'rollout'>;
  phase: Gauge<'namespace' | 'rollout' | 'phase'>;
  reconcileSeconds: Histogram<'kind'>;
  reconcileErrors: Counter<'kind' | 'code'>;
  measurements: Counter<'namespace' | 'rollout' | 'metric' | 'phase'>;
}

export function createControllerMetrics(): ControllerMetrics {
  const registry = new Registry();
  return {
    registry,
    transitions: new Counter({
      name: 'sluice_rollout_transitions_total',
      help: 'Rollout state transitions, by reason.',
      labelNames: ['namespace', 'rollout', 'reason'],
      registers: [registry],
    }),
    canaryWeight: new Gauge({
      name: 'sluice_rollout_canary_weight',
      help: 'Share of traffic (percent) the candidate receives.',
      labelNames: ['namespace', 'rollout'],
      registers: [registry],
    }),
    phase: new Gauge({
      name: 'sluice_rollout_phase',
      help: '1 for the phase the rollout is in, 0 for the others.',
      labelNames: ['namespace', 'rollout', 'phase'],
      registers: [registry],
    }),
    reconcileSeconds: new Histogram({
      name: 'sluice_reconcile_duration_seconds',
      help: 'Time one reconcile took.',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: 'sluice_reconcile_errors_total',
      help: 'Reconciles that ended in an error, by error code.',
      labelNames: ['kind', 'code'],
      registers: [registry],
    }),
    measurements: new Counter({
      name: 'sluice_analysis_measurements_total',
      help: 'Analysis measurements taken, by outcome.',
      labelNames: ['namespace', 'rollout', 'metric', 'phase'],
      registers: [registry],
    }),
  };
}
