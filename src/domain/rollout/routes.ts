import type { RouteWeights } from '../types.js';
import { planRouteWeights } from '../weights.js';
import type { DecisionBuilder } from './builder.js';

export interface Hosts {
  stable: string;
  canary: string;
  namespace: string;
}

export function hostsOf(d: DecisionBuilder): Hosts {
  const name = d.rollout.metadata.name;
  return {
    stable: `${name}-primary`,
    canary: `${name}-canary`,
    namespace: d.rollout.metadata.namespace ?? 'default',
  };
}

/** The routes as they should be with `canaryPercent` on the candidate, built on what was observed. */
export function planRoutes(
  observed: RouteWeights[],
  hosts: Hosts,
  canaryPercent: number,
): { routes: RouteWeights[]; effective: number; capped: boolean } {
  let effective = canaryPercent;
  let capped = false;
  const routes = observed.map((route) => {
    const plan = planRouteWeights(route, hosts, canaryPercent);
    effective = Math.min(effective, plan.effectiveCanary);
    capped ||= plan.capped;
    return plan.route;
  });
  return { routes, effective, capped };
}

function weightKey(r: RouteWeights): string {
  return JSON.stringify([r.route, r.destinations.map((x) => [x.host, x.subset, x.port, x.weight])]);
}

export function sameWeights(a: RouteWeights[], b: RouteWeights[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((r, i) => {
    const other = b[i];
    return other !== undefined && weightKey(r) === weightKey(other);
  });
}

/** Adds a write of `desired` unless the observed routes already carry exactly those weights. */
export function syncRoutes(d: DecisionBuilder, desired: RouteWeights[], why: string): boolean {
  if (!d.obs.routes.ok) return false;
  if (sameWeights(d.obs.routes.routes, desired)) return false;
  d.act({ kind: 'writeRoutes', routes: desired, why });
  return true;
}

/** Keeps the routes at the weights the status says are in effect (user edits to weights are undone). */
export function holdWeights(d: DecisionBuilder, why: string): void {
  if (!d.obs.routes.ok) return;
  const canary = d.status.weights?.canary ?? 0;
  syncRoutes(d, planRoutes(d.obs.routes.routes, hostsOf(d), canary).routes, why);
}
