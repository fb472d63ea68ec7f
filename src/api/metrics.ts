import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// The API's own metrics, on its own registry so tests and other components never collide.

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
  commands: Counter<'command' | 'outcome'>;
  webhooks: Counter<'event' | 'outcome'>;
}

export function createApiMetrics(options: { defaultMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'sluice_api_' });
  return {
    registry,
    requests: new Counter({
      name: 'sluice_api_requests_total',
      help: 'HTTP requests answered, by route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'sluice_api_request_duration_seconds',
      help: 'Time to answer an HTTP request',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    commands: new Counter({
      name: 'sluice_api_commands_total',
      help: 'Rollout commands, by kind and outcome (accepted, pending, refused)',
      labelNames: ['command', 'outcome'] as const,
      registers: [registry],
    }),
    webhooks: new Counter({
      name: 'sluice_api_webhook_deliveries_total',
      help: 'GitHub deliveries, by event and outcome',
      labelNames: ['event', 'outcome'] as const,
      registers: [registry],
    }),
  };
}
