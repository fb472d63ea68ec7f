import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from './config.js';

// The example workload Sluice rolls out: says which version it is, fails a set share of its
// requests and adds a set delay, so a canary can be made good or bad on purpose.

/** A route the app serves; later features (e.g. Unleash flags) add their own. */
export type AppRoute = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface AppHandlerOptions {
  /** More routes by exact path, tried before the built-in ones. */
  routes?: Record<string, AppRoute>;
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
  const nextFails = failureSchedule(config.failRate);
  const random = seededRandom(config.seed);
  const delay = (): number =>
    config.latencyMs + Math.floor(random() * (config.latencyJitterMs + 1));

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('x-version', config.version);
    res.setHeader('x-pod', config.podName);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const extra = options.routes?.[path];
    if (extra) return extra(req, res);

    if (path === '/healthz') return send(res, 200, 'ok\n');
    if (path !== '/') return send(res, 404, 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'method not allowed\n');

    const fails = nextFails();
    const wait = delay();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (fails) return send(res, 500, `error from ${config.version}\n`);
    send(res, 200, `hello from ${config.version}\n`);
  };
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}
