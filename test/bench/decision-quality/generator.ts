import { normalQuantile, normalSf } from '../../../src/domain/stats/index.js';
import type { Random } from './random.js';

// Synthetic canary and baseline traffic for one rollout, look by look. Both sides run at the
// canary's weight (the baseline Deployment is sized like the canary), see the same drift and
// the same bursts, and differ only by sampling noise, occasional one-sided hiccups (a slow pod,
// a GC pause) and the injected regression.

export const REGRESSIONS = ['none', 'errors', 'latency'] as const;
export type Regression = (typeof REGRESSIONS)[number];

export interface TrafficModel {
  /** Requests per second to the whole service. */
  requestsPerSecond: number;
  /** Seconds between looks (the analysis interval). */
  intervalSeconds: number;
  /** Canary weight (percent) at each look; the rollout is judged at each of them. */
  weights: readonly number[];
  /** Error ratio of the stable version. */
  baseErrorRate: number;
  /** Lognormal latency of the stable version, in ms: median and log-sd. */
  latencyMedianMs: number;
  latencyLogSd: number;
  /** A request slower than this is "slow" (an Istio histogram bucket bound). */
  slowThresholdMs: number;
  /** Log-sd of the shared random walk of error rate and latency, per look. */
  driftLogSd: number;
  /** Chance per look of a burst hitting both sides: errors x3, latency x1.4. */
  sharedBurstChance: number;
  /** Chance per look and side of a one-sided hiccup: errors x1.5, latency x1.2. */
  hiccupChance: number;
  /** Size of the injected regressions. */
  errorRateFactor: number;
  latencyFactor: number;
}

export const DEFAULT_TRAFFIC: TrafficModel = {
  requestsPerSecond: 500,
  intervalSeconds: 60,
  weights: [5, 5, 10, 10, 20, 20, 40, 40, 60, 80],
  baseErrorRate: 0.01,
  latencyMedianMs: 100,
  latencyLogSd: 0.5,
  slowThresholdMs: 250,
  driftLogSd: 0.1,
  sharedBurstChance: 0.1,
  hiccupChance: 0.02,
  errorRateFactor: 2,
  latencyFactor: 1.5,
};

export interface SideObservation {
  requests: number;
  errors: number;
  /** Requests slower than slowThresholdMs (from the histogram bucket). */
  slow: number;
  /** The interval's p99 latency in ms; NaN when there were no requests. */
  p99: number;
}

export interface Look {
  weight: number;
  canary: SideObservation;
  baseline: SideObservation;
}

/** One rollout's looks, in order. */
export function generateRollout(rnd: Random, model: TrafficModel, regression: Regression): Look[] {
  let drift = 0;
  return model.weights.map((weight) => {
    drift += model.driftLogSd * rnd.normal();
    const burst = rnd.uniform() < model.sharedBurstChance;
    const shared = {
      errors: Math.exp(drift) * (burst ? 3 : 1),
      latency: Math.exp(drift / 2) * (burst ? 1.4 : 1),
    };
    const expected = (model.requestsPerSecond * model.intervalSeconds * weight) / 100;
    const side = (factor: { errors: number; latency: number }): SideObservation => {
      const hiccup = rnd.uniform() < model.hiccupChance;
      const errorRate = Math.min(
        1,
        model.baseErrorRate * shared.errors * factor.errors * (hiccup ? 1.5 : 1),
      );
      const scale = shared.latency * factor.latency * (hiccup ? 1.2 : 1);
      return observeSide(rnd, model, expected, errorRate, scale);
    };
    return {
      weight,
      canary: side({
        errors: regression === 'errors' ? model.errorRateFactor : 1,
        latency: regression === 'latency' ? model.latencyFactor : 1,
      }),
      baseline: side({ errors: 1, latency: 1 }),
    };
  });
}

function observeSide(
  rnd: Random,
  model: TrafficModel,
  expectedRequests: number,
  errorRate: number,
  latencyScale: number,
): SideObservation {
  const requests = rnd.poisson(expectedRequests);
  const mu = Math.log(model.latencyMedianMs * latencyScale);
  const sigma = model.latencyLogSd;
  const slowShare = normalSf((Math.log(model.slowThresholdMs) - mu) / sigma);
  // The p99 of `requests` lognormal draws is exp(mu + sigma * z(U)), U the k-th smallest of
  // `requests` uniforms, which is Beta(k, n - k + 1): one draw instead of sorting n latencies.
  const k = Math.ceil(0.99 * requests);
  const p99 =
    requests > 0
      ? Math.exp(mu + sigma * normalQuantile(rnd.beta(k, requests - k + 1)))
      : Number.NaN;
  return {
    requests,
    errors: rnd.binomial(requests, errorRate),
    slow: rnd.binomial(requests, slowShare),
    p99,
  };
}
