// What a metric source answers, before the domain judges it (see measurement.ts).
// An adapter turns its raw answer into one of these; NaN and ±Inf are passed through as
// numbers so the domain can treat them as "no data" under the metric's policy.

export type ProviderAnswer =
  { kind: 'values'; values: number[] } | { kind: 'error'; message: string; timeout: boolean };

export interface MetricQuery {
  /** The rendered query (arguments already substituted). */
  query: string;
  /** Provider address; undefined means the configured default. */
  address?: string | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** One metric source (Prometheus today). Never throws: failures come back as `kind: 'error'`. */
export interface MetricProvider {
  measure(q: MetricQuery): Promise<ProviderAnswer>;
}
