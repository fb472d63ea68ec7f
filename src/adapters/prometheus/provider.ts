import { PrometheusDriver } from 'prometheus-query';
import type { MetricProvider, MetricQuery, ProviderAnswer } from '../../domain/provider.js';
import type { Logger } from '../../logging.js';
import { classifyPrometheusText } from './classify.js';

export interface PrometheusProviderOptions {
  /** Used when a metric names no address, e.g. "http://prometheus.monitoring:9090". */
  defaultAddress?: string | undefined;
  /** Rendered queries and raw answers are logged at debug level. */
  logger?: Logger | undefined;
}

/** The raw HTTP answer, captured before prometheus-query reshapes it. */
interface RawAnswer {
  status: number;
  text: string;
}

/**
 * A MetricProvider over Prometheus's instant-query API, through prometheus-query's
 * PrometheusDriver. Never throws and never outlives `timeoutMs` (or the caller's signal).
 */
export function createPrometheusProvider(options: PrometheusProviderOptions = {}): MetricProvider {
  return { measure: (q) => measurePrometheus(q, options) };
}

export async function measurePrometheus(
  q: MetricQuery,
  options: PrometheusProviderOptions = {},
): Promise<ProviderAnswer> {
  const address = q.address ?? options.defaultAddress;
  const endpoint = parseAddress(address);
  if (typeof endpoint !== 'string') return endpoint;
  if (q.signal?.aborted) return aborted();

  // One controller ends the HTTP request whichever comes first: our timeout or the caller.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, q.timeoutMs);
  const onCallerAbort = (): void => controller.abort();
  q.signal?.addEventListener('abort', onCallerAbort, { once: true });

  // NOTE: axios' own `timeout` is a socket-idle timer, so a server that trickles bytes can
  // outlast it; racing the abort guarantees the bound whatever the transport does.
  const cut = new Promise<'cut'>((resolve) =>
    controller.signal.addEventListener('abort', () => resolve('cut'), { once: true }),
  );

  options.logger?.debug('prometheus query', { address: endpoint, query: q.query });
  try {
    const outcome = await Promise.race([send(endpoint, q, controller.signal), cut]);
    if (outcome === 'cut') {
      return timedOut
        ? {
            kind: 'error',
            message: `Prometheus query timed out after ${q.timeoutMs} ms (${endpoint})`,
            timeout: true,
          }
        : aborted();
    }
    if ('unreachable' in outcome) return outcome.unreachable;
    const answer = classifyPrometheusText(outcome.text, outcome.status);
    options.logger?.debug('prometheus answer', {
      address: endpoint,
      status: outcome.status,
      kind: answer.kind,
      body: outcome.text.slice(0, 500),
    });
    return answer;
  } finally {
    clearTimeout(timer);
    q.signal?.removeEventListener('abort', onCallerAbort);
  }
}

async function send(
  endpoint: string,
  q: MetricQuery,
  signal: AbortSignal,
): Promise<RawAnswer | { unreachable: ProviderAnswer }> {
  let raw: RawAnswer | undefined;
  const keep = (res: unknown): void => {
    if (isRecord(res) && typeof res['status'] === 'number') {
      const data = res['data'];
      raw = { status: res['status'], text: typeof data === 'string' ? data : String(data ?? '') };
    }
  };
  const driver = new PrometheusDriver({
    endpoint,
    // In the body, not the URL: a long query (big regexes, generated SLIs) would otherwise hit
    // the server's URL limit and come back as a misleading connection reset.
    preferPost: true,
    // A last resort only: the race in measurePrometheus is the real bound.
    timeout: q.timeoutMs + 1000,
    requestInterceptor: {
      onFulfilled: (config) => {
        config.signal = signal;
        // Keep the body as text: prometheus-query's parser turns "+Inf" into NaN and hides
        // malformed JSON; classify.ts reads the raw answer instead.
        config.responseType = 'text';
        config.transitional = { ...config.transitional, forcedJSONParsing: false };
        // The controller talks to Prometheus directly; an HTTP(S)_PROXY meant for the
        // internet must not capture in-cluster traffic.
        config.proxy = false;
        return config;
      },
    },
    responseInterceptor: {
      onFulfilled: (res) => {
        keep(res);
        return res;
      },
      onRejected: (err: unknown) => {
        if (isRecord(err)) keep(err['response']);
        throw err;
      },
    },
  });

  try {
    // Prometheus stops evaluating at its own timeout too, so a heavy query frees the server.
    await driver.instantQuery(q.query, undefined, `${Math.max(1, q.timeoutMs)}ms`);
  } catch (err) {
    if (raw) return raw;
    return { unreachable: unreachable(endpoint, err) };
  }
  if (raw) return raw;
  return { unreachable: { kind: 'error', message: 'Prometheus answer was lost', timeout: false } };
}

/** prometheus-query throws plain objects {errorType, error, code} for transport failures. */
function unreachable(endpoint: string, err: unknown): ProviderAnswer {
  const code = isRecord(err) && typeof err['code'] === 'string' ? err['code'] : undefined;
  const text =
    isRecord(err) && typeof err['error'] === 'string'
      ? err['error']
      : err instanceof Error
        ? err.message
        : String(err);
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
    return {
      kind: 'error',
      message: `Prometheus query timed out (${endpoint}): ${text}`,
      timeout: true,
    };
  }
  const what = code === 'ECONNREFUSED' ? 'connection refused' : 'cannot reach Prometheus';
  return { kind: 'error', message: `${what} at ${endpoint}: ${text}`, timeout: false };
}

function parseAddress(address: string | undefined): string | ProviderAnswer {
  if (!address) {
    return {
      kind: 'error',
      message: 'no Prometheus address: set provider.prometheus.address or the controller default',
      timeout: false,
    };
  }
  try {
    const url = new URL(address);
    if (url.protocol === 'http:' || url.protocol === 'https:') return address.replace(/\/+$/, '');
  } catch {
    // reported below
  }
  return {
    kind: 'error',
    message: `"${address}" is not an http(s) URL; use e.g. http://prometheus.monitoring:9090`,
    timeout: false,
  };
}

function aborted(): ProviderAnswer {
  return { kind: 'error', message: 'Prometheus query aborted by the caller', timeout: false };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
