import type { IncomingMessage, ServerResponse } from 'node:http';
import { NO_VARIANT, type AppMetrics } from './ab.js';
import type { AppConfig } from './config.js';

// The example workload Sluice rolls out: says which version it is, fails a set share of its
// requests and adds a set delay, so a canary can be made good or bad on purpose.

/** A route the app serves; later features (e.g. Unleash flags) add their own. */
export type AppRoute = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface AppHandlerOptions {
  /** More routes by exact path, tried before the built-in ones. */
  routes?: Record<string, AppRoute>;
  /** The user's flag variant for a request (A/B); sent back in x-variant. */
  variantOf?: (req: IncomingMessage) => string;
  /** Variant → failure share and extra delay, overriding FAIL_RATE for that variant. */
  variantFailRates?: Record<string, number>;
  variantLatencyMs?: Record<string, number>;
  /** Counted per request of GET / and served at /metrics. */
  metrics?: AppMetrics;
}

/**
 * Failure n (counting from 0) happens when floor((n + 1) * rate) grows, so any run of k
 * requests holds floor(k * rate) or one more failures: with rate 0.2 exactly requests
 * 4, 9, 14, ... fail, and every 1,000 requests hold 200 failures.
 */
export function failureSchedule(rate: number): () => boolean {
  let n = 0;
  return () => {
    const fails = Math.floor((n + 1) * rate) > Math.floor(n * rate);
    n++;
    return fails;
  };
}

/** mulberry32: a small seeded PRNG, so the jitter repeats from run to run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createAppHandler(config: AppConfig, options: AppHandlerOptions = {}) {
  const schedules = new Map<string, () => boolean>();
  // One deterministic schedule per variant, so each keeps its own exact failure share.
  const nextFails = (variant: string): boolean => {
    let next = schedules.get(variant);
    if (!next) {
      next = failureSchedule(options.variantFailRates?.[variant] ?? config.failRate);
      schedules.set(variant, next);
    }
    return next();
  };
  const random = seededRandom(config.seed);
  const delay = (variant: string): number =>
    config.latencyMs +
    (options.variantLatencyMs?.[variant] ?? 0) +
    Math.floor(random() * (config.latencyJitterMs + 1));

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('x-version', config.version);
    res.setHeader('x-pod', config.podName);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const extra = options.routes?.[path];
    if (extra) return extra(req, res);

    if (path === '/healthz') return send(res, 200, 'ok\n');
    if (path === '/metrics' && options.metrics) {
      res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
      res.end(await options.metrics.registry.metrics());
      return;
    }
    if (path !== '/') return send(res, 404, 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'method not allowed\n');

    const started = process.hrtime.bigint();
    const variant = options.variantOf ? options.variantOf(req) : NO_VARIANT;
    if (options.variantOf) res.setHeader('x-variant', variant);
    const fails = nextFails(variant);
    const wait = delay(variant);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const code = fails ? 500 : 200;
    options.metrics?.observe(variant, code, Number(process.hrtime.bigint() - started) / 1e9);
    if (fails) return send(res, 500, `error from ${config.version}\n`);
    send(res, 200, `hello from ${config.version}\n`);
  };
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}
