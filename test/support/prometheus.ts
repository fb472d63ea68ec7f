import {
  startPrometheus,
  type PrometheusOptions,
  type RunningPrometheus,
} from '../../src/sandbox/prometheus.js';

export interface PrometheusHandle {
  /** The running instance; throws when called before the suite's `before` hook ran. */
  readonly current: RunningPrometheus;
}

/**
 * Starts a real Prometheus in the calling suite's `before` hook and stops it in its `after`
 * hook (even when tests fail). `targets` is read when the hook runs, so a suite can start its
 * scrape targets in an earlier `before`. Call inside `describe`.
 */
export function prometheusForSuite(
  targets: () => string[],
  options: Omit<PrometheusOptions, 'scrapeTargets'> = {},
): PrometheusHandle {
  let running: RunningPrometheus | undefined;
  before(async function () {
    this.timeout(30_000);
    running = await startPrometheus({ ...options, scrapeTargets: targets() });
  });
  after(async function () {
    this.timeout(15_000);
    await running?.stop();
    running = undefined;
  });
  return {
    get current(): RunningPrometheus {
      if (!running) throw new Error('Prometheus is not running: use it inside a test or hook');
      return running;
    },
  };
}

/** One instant query straight to the HTTP API; resolves to Prometheus's JSON `data` field. */
export async function instantQuery(url: string, query: string): Promise<unknown> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`, {
    signal: AbortSignal.timeout(5000),
  });
  const body = (await res.json()) as { status?: string; data?: unknown; error?: string };
  if (body.status !== 'success') throw new Error(`query failed: ${body.error ?? res.status}`);
  return body.data;
}

/**
 * Polls until `predicate` accepts the query's result, e.g. until a scrape has landed.
 * Fails with the last result when it never does within `timeoutMs`.
 */
export async function waitForQuery(
  url: string,
  query: string,
  predicate: (data: unknown) => boolean,
  timeoutMs = 15_000,
): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await instantQuery(url, query);
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${query} did not reach the expected result in ${timeoutMs} ms: ${JSON.stringify(last)}`,
  );
}
