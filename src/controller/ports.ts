import type { FeatureFlagRef } from '../domain/types.js';

// The seams the controller needs. Adapters implement them (adapters/istio, adapters/kubernetes,
// adapters/prometheus, adapters/unleash); tests can run the controller against the sandbox.

export type { TrafficRouter, VirtualServiceRef as RouteRef } from '../adapters/istio/router.js';

export interface EventSink {
  record(
    obj: {
      kind: string;
      apiVersion: string;
      namespace: string;
      name: string;
      uid?: string | undefined;
    },
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> | void;
}

/** The flag system as the controller needs it (Unleash today: src/controller/flags.ts). */
export interface FlagPort {
  /** The flag's whole state in its environment, to put back later. */
  snapshot(flag: FeatureFlagRef): Promise<Record<string, unknown>>;
  /** Sets the share of users who get the flag; no write when it is already there. */
  setPercent(flag: FeatureFlagRef, percent: number): Promise<void>;
  /** Puts back exactly what `snapshot` returned. */
  restore(snapshot: Record<string, unknown>): Promise<void>;
}

export interface Clock {
  now(): number;
}

export { headerRouteName } from '../adapters/istio/router.js';
