import { parseSampleValue } from '../../adapters/prometheus/classify.js';

// Compares the variants of an A/B flag from the example app's own metrics in Prometheus
// (app_requests_total{variant,code}, app_request_duration_seconds by variant) and says which
// wins: the lower error rate, then, when the error rates are within `errorRateTie`, the lower
// p99 latency. Variants with too few requests are reported but never declared the winner.

export interface VariantStats {
  variant: string;
  requests: number;
  errors: number;
  /** errors / requests. */
  errorRate: number;
  /** From the histogram's buckets; undefined without samples. */
  p99Seconds: number | undefined;
  meanSeconds: number | undefined;
}

export interface AbVerdict {
  /** Undefined when fewer than two variants have enough requests. */
  winner: string | undefined;
  reason: string;
  stats: VariantStats[];
}

export interface AbOptions {
  /** Variants to leave out, e.g. "disabled" and "none" (users outside the test). */
  ignore?: string[];
  /** Fewer requests than this and a variant cannot win. Default 100. */
  minRequests?: number;
  /** Error rates closer than this count as equal. Default 0.005 (half a percentage point). */
  errorRateTie?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export async function queryVariantStats(
  prometheusUrl: string,
  options: Pick<AbOptions, 'signal' | 'timeoutMs'> = {},
): Promise<VariantStats[]> {
  const q = (query: string) => instantByVariant(prometheusUrl, query, options);
  const [requests, errors, p99, mean] = await Promise.all([
    q('sum by (variant) (app_requests_total)'),
    q('sum by (variant) (app_requests_total{code=~"5.."})'),
    q('histogram_quantile(0.99, sum by (variant, le) (app_request_duration_seconds_bucket))'),
    q(
      'sum by (variant) (app_request_duration_seconds_sum) / sum by (variant) (app_request_duration_seconds_count)',
    ),
  ]);
  return [...requests.keys()].sort().map((variant) => {
    const n = requests.get(variant) ?? 0;
    const e = errors.get(variant) ?? 0;
    return {
      variant,
      requests: n,
      errors: e,
      errorRate: n > 0 ? e / n : 0,
      p99Seconds: p99.get(variant),
      meanSeconds: mean.get(variant),
    };
  });
}

/** Pure: which variant wins, and why, in words with the numbers. */
export function judgeVariants(all: VariantStats[], options: AbOptions = {}): AbVerdict {
  const ignore = new Set(options.ignore ?? []);
  const minRequests = options.minRequests ?? 100;
  const tie = options.errorRateTie ?? 0.005;
  const stats = all.filter((s) => !ignore.has(s.variant));
  const eligible = stats.filter((s) => s.requests >= minRequests);
  if (eligible.length < 2)
    return {
      winner: undefined,
      reason: `need two variants with at least ${minRequests} requests each; have ${describeAll(stats)}`,
      stats,
    };
  const ranked = [...eligible].sort(
    (a, b) =>
      (Math.abs(a.errorRate - b.errorRate) <= tie ? 0 : a.errorRate - b.errorRate) ||
      (a.p99Seconds ?? Infinity) - (b.p99Seconds ?? Infinity),
  );
  const [best, second] = ranked as [VariantStats, VariantStats];
  const byErrors = Math.abs(best.errorRate - second.errorRate) > tie;
  const reason = byErrors
    ? `${best.variant} wins on error rate: ${pct(best.errorRate)} against ${second.variant}'s ${pct(second.errorRate)} (${describeAll(eligible)})`
    : `error rates tie within ${pct(tie)}; ${best.variant} wins on p99 latency ${ms(best.p99Seconds)} against ${ms(second.p99Seconds)} (${describeAll(eligible)})`;
  return { winner: best.variant, reason, stats };
}

function describeAll(stats: VariantStats[]): string {
  if (stats.length === 0) return 'none';
  return stats
    .map(
      (s) =>
        `${s.variant}: ${s.errors}/${s.requests} errors = ${pct(s.errorRate)}, p99 ${ms(s.p99Seconds)}`,
    )
    .join('; ');
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function ms(seconds: number | undefined): string {
  return seconds === undefined ? 'n/a' : `${Math.round(seconds * 1000)} ms`;
}

async function instantByVariant(
  url: string,
  query: string,
  options: Pick<AbOptions, 'signal' | 'timeoutMs'>,
): Promise<Map<string, number>> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 5000);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`, { signal });
  const body = (await res.json()) as {
    status?: unknown;
    error?: unknown;
    data?: { result?: Array<{ metric?: Record<string, string>; value?: unknown }> };
  };
  if (body.status !== 'success' || !Array.isArray(body.data?.result))
    throw new Error(`Prometheus query ${query} failed: ${String(body.error ?? res.status)}`);
  const out = new Map<string, number>();
  for (const r of body.data.result) {
    const variant = r.metric?.variant;
    const value = Array.isArray(r.value) ? parseSampleValue(r.value[1]) : undefined;
    if (typeof variant === 'string' && value !== undefined && Number.isFinite(value))
      out.set(variant, value);
  }
  return out;
}
