import type { HeaderMatch, RouteWeights } from '../domain/types.js';

// The seams the controller needs. Adapters implement them (adapters/istio, adapters/kubernetes,
// adapters/prometheus, adapters/unleash); tests can run the controller against the sandbox.

export interface RouteRef {
  namespace: string;
  virtualService: string;
  routes: string[];
}

export interface RouteRead {
  resourceVersion: string;
  routes: RouteWeights[];
  /** Names of the HTTP routes present in the VirtualService (to see a managed header route). */
  routeNames?: string[] | undefined;
}

export interface TrafficRouter {
  read(ref: RouteRef, opts?: { signal?: AbortSignal }): Promise<RouteRead>;
  write(ref: RouteRef, routes: RouteWeights[], opts?: { signal?: AbortSignal }): Promise<void>;
  setHeaderRoute(
    ref: RouteRef,
    route: { name: string; match: HeaderMatch[]; canaryHost: string },
    opts?: { signal?: AbortSignal },
  ): Promise<void>;
  removeHeaderRoute(ref: RouteRef, name: string, opts?: { signal?: AbortSignal }): Promise<void>;
}

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

export function headerRouteName(rollout: string): string {
  return `sluice-${rollout}-header`;
}
