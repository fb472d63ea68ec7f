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
  const desired = planRoutes(d.obs.routes.routes, hostsOf(d), canary).routes;
  if (syncRoutes(d, desired, why)) reportEdit(d, desired);
}

/**
 * Puts weights someone changed by hand back to `desired`, and says so: a silent revert leaves
 * the person who edited the VirtualService wondering why their change did not stick.
 */
export function restoreWeights(d: DecisionBuilder, desired: RouteWeights[], why: string): void {
  if (syncRoutes(d, desired, why)) reportEdit(d, desired);
}

function reportEdit(d: DecisionBuilder, desired: RouteWeights[]): void {
  if (!d.obs.routes.ok) return;
  const describe = (routes: RouteWeights[]) =>
    routes
      .map((r) => `${r.route} ${r.destinations.map((x) => `${x.host}=${x.weight}`).join(' ')}`)
      .join('; ');
  const vs = d.rollout.spec.trafficRouting.istio.virtualService.name;
  d.transitions.push({
    type: 'Warning',
    reason: 'WeightsRestored',
    message: `weights of VirtualService ${vs} were changed outside Sluice (${describe(d.obs.routes.routes)}); set back to ${describe(desired)} while ${d.status.phase ?? 'Initializing'}. Use promote, abort or the Rollout spec to change them`,
  });
}
