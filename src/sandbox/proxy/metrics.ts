import { Counter, Histogram, Registry } from 'prom-client';

// Istio's standard request metrics, as a destination sidecar reports them, so the analysis
// templates written for a real mesh run unchanged against the sandbox (see docs/metrics.md).

export const ISTIO_LABELS = [
  'reporter',
  'source_workload',
  'destination_service_name',
  'destination_service_namespace',
  'destination_workload',
  'destination_workload_namespace',
  'destination_version',
  'response_code',
  'request_protocol',
  'response_flags',
] as const;

export type IstioLabel = (typeof ISTIO_LABELS)[number];
export type IstioLabels = Record<IstioLabel, string>;

/** Istio's default buckets for istio_request_duration_milliseconds. */
export const ISTIO_DURATION_BUCKETS_MS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
  1800000, 3600000,
];

export interface IstioMetrics {
  registry: Registry;
  record(labels: IstioLabels, durationMs: number): void;
}

/** A registry of its own, so several proxies (and the controller) never share series. */
export function createIstioMetrics(): IstioMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'istio_requests_total',
    help: 'Requests handled, by destination and response (Istio standard metric).',
    labelNames: ISTIO_LABELS,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'istio_request_duration_milliseconds',
    help: 'Request duration in milliseconds (Istio standard metric).',
    labelNames: ISTIO_LABELS,
    buckets: ISTIO_DURATION_BUCKETS_MS,
    registers: [registry],
  });
  return {
    registry,
    record(labels, durationMs) {
      requests.inc(labels);
      duration.observe(labels, durationMs);
    },
  };
}
