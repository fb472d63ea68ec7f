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

export interface FlagPort {
  /** Sets the flag's rollout percentage, recording its prior state first. */
  setPercent(
    rollout: { namespace: string; name: string },
    flag: string,
    percent: number,
  ): Promise<void>;
  /** Restores every flag of the rollout to what was recorded before its first change. */
  restore(rollout: { namespace: string; name: string }): Promise<void>;
}

export interface Clock {
  now(): number;
}

export { headerRouteName } from '../adapters/istio/router.js';
