import type { IncomingMessage } from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';
import type { FlagEvaluator } from './flags.js';

// A/B in the example app: each request's user (the x-user-id header the load generator sends)
// is asked about one flag through unleash-client, the variant goes back in x-variant, and the
// app's own /metrics counts requests and latency by variant, so Prometheus can compare them.
// A variant can be made worse on purpose (VARIANT_FAIL_RATES, VARIANT_LATENCY_MS).

/** Label for requests when no flag is configured, and for users the flag does not expose. */
export const NO_VARIANT = 'none';
export const DISABLED_VARIANT = 'disabled';

export interface AbConfig {
  unleashUrl: string;
  clientToken: string;
  flag: string;
  /** Variant name → share of its requests answered 500 (0..1); others use FAIL_RATE. */
  failRates: Record<string, number>;
  /** Variant name → extra delay in ms. */
  latencyMs: Record<string, number>;
  /** Default "x-user-id". */
  userHeader: string;
}

/** Reads the A/B settings; undefined when UNLEASH_URL is not set (no flag evaluation). */
export function readAbConfig(env: NodeJS.ProcessEnv): AbConfig | undefined {
  const url = env['UNLEASH_URL'];
  if (url === undefined || url === '') return undefined;
  const token = env['UNLEASH_CLIENT_TOKEN'];
  const flag = env['FLAG_NAME'];
  if (!token) throw new Error('UNLEASH_URL is set but UNLEASH_CLIENT_TOKEN is not');
  if (!flag) throw new Error('UNLEASH_URL is set but FLAG_NAME is not');
  return {
    unleashUrl: url,
    clientToken: token,
    flag,
    failRates: variantNumbers(env, 'VARIANT_FAIL_RATES', 1),
    latencyMs: variantNumbers(env, 'VARIANT_LATENCY_MS', 600_000),
    userHeader: (env['USER_HEADER'] ?? 'x-user-id').toLowerCase(),
  };
}

/** "A=0.01,B=0.2" → {A: 0.01, B: 0.2}; every value in 0..max. */
export function variantNumbers(
  env: NodeJS.ProcessEnv,
  name: string,
  max: number,
): Record<string, number> {
  const raw = env[name];
  const out: Record<string, number> = {};
  if (raw === undefined || raw.trim() === '') return out;
  for (const part of raw.split(',')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    const n = Number(value);
    if (!key || value === undefined || value === '' || !Number.isFinite(n) || n < 0 || n > max)
      throw new Error(`${name}: "${part}" is not variant=number with the number in 0..${max}`);
    out[key] = n;
  }
  return out;
}

export interface AppMetrics {
  registry: Registry;
  observe(variant: string, code: number, seconds: number): void;
}

export function createAppMetrics(): AppMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'app_requests_total',
    help: 'Requests to GET / by flag variant and HTTP status code',
    labelNames: ['variant', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'app_request_duration_seconds',
    help: 'Time to answer GET / by flag variant',
    labelNames: ['variant'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return {
    registry,
    observe(variant, code, seconds) {
      requests.inc({ variant, code: String(code) });
      duration.observe({ variant }, seconds);
    },
  };
}

/** Label for users the flag exposes when it has no variants. */
export const ENABLED_VARIANT = 'enabled';

/**
 * The variant a request's user sees: its name, ENABLED_VARIANT for an exposed user of a flag
 * without variants, DISABLED_VARIANT for a user not exposed, NO_VARIANT without a user id.
 */
export function variantFor(
  evaluator: Pick<FlagEvaluator, 'variant' | 'isEnabled'>,
  config: Pick<AbConfig, 'flag' | 'userHeader'>,
  req: IncomingMessage,
): string {
  const user = req.headers[config.userHeader];
  if (typeof user !== 'string' || user === '') return NO_VARIANT;
  if (!evaluator.isEnabled(config.flag, user)) return DISABLED_VARIANT;
  const v = evaluator.variant(config.flag, user);
  return v.enabled ? v.name : ENABLED_VARIANT;
}
