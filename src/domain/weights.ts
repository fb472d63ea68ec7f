// The weight plan for one HTTP route of a VirtualService. Sluice manages two destinations (the
// stable `<name>-primary` and the canary `<name>-canary` services); any other destination keeps
// its share, and only the rest (the managed share) is split between stable and canary.
//
// Worked example (scenario S09): stable 70 / canary 0 / legacy 30. The managed share is 70.
// setWeight 20 → 50/20/30; setWeight 50 → 20/50/30; setWeight 100 → 0/70/30, capped at 70.
//
// NOTE: every route this module returns has integer weights 0–100 summing to 100, and every
// destination object it does not re-weight is returned as the same object, untouched.

import { InvalidSpecError, RouteConflictError } from './errors.js';
import type { DestinationKey, RouteWeights } from './types.js';

export interface ManagedHosts {
  /** The stable service, e.g. `shop-primary` (short, `name.namespace` or fully qualified). */
  stable: string;
  /** The canary service, e.g. `shop-canary`. */
  canary: string;
  /** Namespace of the VirtualService: short host names are resolved in it, as Istio does. */
  namespace: string;
  /** Default `cluster.local`. */
  clusterDomain?: string;
}

export interface ManagedDestinations {
  /** Index of the stable destination in `route.destinations`. */
  stable: number;
  canary: number;
}

export interface WeightPlan {
  route: RouteWeights;
  /** The canary weight actually planned (≤ the requested one). */
  effectiveCanary: number;
  /** true when destinations Sluice does not manage left less than the requested weight. */
  capped: boolean;
}

/**
 * The fully qualified name of a service host, Istio-style: `shop-primary` and
 * `shop-primary.demo` and `shop-primary.demo.svc` all mean `shop-primary.demo.svc.cluster.local`
 * when the VirtualService lives in `demo`. Other names (external hosts) are only lower-cased.
 */
export function qualifyHost(
  host: string,
  namespace: string,
  clusterDomain = 'cluster.local',
): string {
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  const parts = h.split('.');
  if (parts.length === 1) return `${h}.${namespace}.svc.${clusterDomain}`;
  if (parts.length === 2) return `${h}.svc.${clusterDomain}`;
  if (parts.length === 3 && parts[2] === 'svc') return `${h}.${clusterDomain}`;
  return h;
}

export function describeDestination(d: DestinationKey): string {
  return `${d.host}${d.subset === undefined ? '' : ` (subset ${d.subset})`}${d.port === undefined ? '' : `:${d.port}`}`;
}

function indicesOf(route: RouteWeights, host: string, hosts: ManagedHosts): number[] {
  const want = qualifyHost(host, hosts.namespace, hosts.clusterDomain);
  const found: number[] = [];
  route.destinations.forEach((d, i) => {
    if (qualifyHost(d.host, hosts.namespace, hosts.clusterDomain) === want) found.push(i);
  });
  return found;
}

/** Finds the stable and canary destinations; RouteConflictError when either is missing or twice. */
export function findManagedDestinations(
  route: RouteWeights,
  hosts: ManagedHosts,
): ManagedDestinations {
  const present = route.destinations.map(describeDestination).join(', ') || 'none';
  const one = (role: 'stable' | 'canary', host: string): number => {
    const found = indicesOf(route, host, hosts);
    if (found.length === 0)
      throw new RouteConflictError(
        `route "${route.route}" has no destination for the ${role} service ${host} (destinations: ${present}); add it with weight 0`,
      );
    if (found.length > 1)
      throw new RouteConflictError(
        `route "${route.route}" has ${found.length} destinations for the ${role} service ${host}; Sluice needs exactly one`,
      );
    return found[0] as number;
  };
  if (
    qualifyHost(hosts.stable, hosts.namespace, hosts.clusterDomain) ===
    qualifyHost(hosts.canary, hosts.namespace, hosts.clusterDomain)
  )
    throw new RouteConflictError(
      `the stable and canary services are the same host ${hosts.stable}; they must differ`,
    );
  return { stable: one('stable', hosts.stable), canary: one('canary', hosts.canary) };
}

/** What is wrong with a route's weights, as sentences; empty when it may be written. */
export function checkRouteWeights(route: RouteWeights): string[] {
  const problems: string[] = [];
  if (route.destinations.length === 0) problems.push(`route "${route.route}" has no destinations`);
  let sum = 0;
  for (const d of route.destinations) {
    if (!Number.isInteger(d.weight) || d.weight < 0 || d.weight > 100)
      problems.push(
        `route "${route.route}": ${describeDestination(d)} has weight ${d.weight}; weights must be integers from 0 to 100`,
      );
    sum += d.weight;
  }
  if (route.destinations.length > 0 && sum !== 100)
    problems.push(`route "${route.route}": weights sum to ${sum}, not 100`);
  return problems;
}

/**
 * Scales non-negative weights to integers summing to 100, keeping proportions (largest
 * remainder: floor every exact share, then give the missing points to the largest fractions,
 * earlier destinations first on a tie). E.g. 1/1/1 → 34/33/33; 2/1 → 67/33; 70/30 → 70/30.
 * Weights that are already integers summing to 100 come back unchanged.
 */
export function normaliseWeights(weights: readonly number[], what = 'route'): number[] {
  for (const w of weights)
    if (!Number.isFinite(w) || w < 0)
      throw new RouteConflictError(`${what} has weight ${w}; weights must be non-negative numbers`);
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0)
    throw new RouteConflictError(`${what} has weights that sum to 0; no share can be kept`);
  if (sum === 100 && weights.every(Number.isInteger)) return [...weights];
  const exact = weights.map((w) => (w * 100) / sum);
  const floors = exact.map(Math.floor);
  let missing = 100 - floors.reduce((a, b) => a + b, 0);
  const order = exact
    .map((e, i) => ({ i, frac: e - Math.floor(e) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (missing <= 0) break;
    floors[i] = (floors[i] as number) + 1;
    missing -= 1;
  }
  return floors;
}

function withWeights(route: RouteWeights, weights: readonly number[]): RouteWeights {
  return {
    ...route,
    destinations: route.destinations.map((d, i) => {
      const w = weights[i] as number;
      return d.weight === w ? d : { ...d, weight: w };
    }),
  };
}

/** Rejects a requested canary weight that is not an integer from 0 to 100 (never clamps). */
export function checkCanaryPercent(canaryPercent: number, field = 'setWeight'): number {
  if (!Number.isInteger(canaryPercent) || canaryPercent < 0 || canaryPercent > 100)
    throw new InvalidSpecError(
      field,
      `canary weight must be an integer from 0 to 100, got ${canaryPercent}`,
    );
  return canaryPercent;
}

/**
 * Plans a route that sends `canaryPercent` of all traffic to the canary, taken from the
 * managed share only. A route whose weights do not sum to 100 is normalised first.
 */
export function planRouteWeights(
  route: RouteWeights,
  hosts: ManagedHosts,
  canaryPercent: number,
): WeightPlan {
  const requested = checkCanaryPercent(canaryPercent);
  const managed = findManagedDestinations(route, hosts);
  const raw = route.destinations.map((d) => d.weight);
  // An all-zero route (Istio would reject it) still gets a valid plan: the managed share is 100.
  const weights = raw.every((w) => w === 0) ? raw : normaliseWeights(raw, `route "${route.route}"`);

  const unmanaged = weights.reduce(
    (sum, w, i) => (i === managed.stable || i === managed.canary ? sum : sum + w),
    0,
  );
  const share = 100 - unmanaged;
  const canary = Math.min(requested, share);
  weights[managed.stable] = share - canary;
  weights[managed.canary] = canary;
  return {
    route: withWeights(route, weights),
    effectiveCanary: canary,
    capped: requested > share,
  };
}

/** The stable and canary weights a route gives now (after normalising it to 100). */
export function currentWeights(
  route: RouteWeights,
  hosts: ManagedHosts,
): { stable: number; canary: number } {
  const managed = findManagedDestinations(route, hosts);
  const weights = normaliseWeights(
    route.destinations.map((d) => d.weight),
    `route "${route.route}"`,
  );
  return { stable: weights[managed.stable] as number, canary: weights[managed.canary] as number };
}

/** The route after a promotion: the whole managed share on stable, canary 0. */
export function promotedRoute(route: RouteWeights, hosts: ManagedHosts): RouteWeights {
  return planRouteWeights(route, hosts, 0).route;
}

function sameDestination(a: DestinationKey, b: DestinationKey): boolean {
  const host = (h: string): string => h.trim().toLowerCase().replace(/\.$/, '');
  return host(a.host) === host(b.host) && a.subset === b.subset && a.port === b.port;
}

/**
 * `current` with the weights `original` had before Sluice changed it. When the destinations
 * are the same ones, these are exactly the original weights (normalised to 100 only if the
 * original did not sum to 100, so that what is written is always valid). A destination added
 * since gets 0; one removed since loses its share, and the rest is normalised to 100.
 * RouteConflictError when nothing of the original weight is left to restore.
 */
export function restoreRoute(original: RouteWeights, current: RouteWeights): RouteWeights {
  const unused = original.destinations.map((d, i) => ({ d, i }));
  const weights = current.destinations.map((d) => {
    const at = unused.findIndex((o) => sameDestination(o.d, d));
    if (at < 0) return 0;
    const [match] = unused.splice(at, 1);
    return match === undefined ? 0 : match.d.weight;
  });
  return withWeights(
    current,
    normaliseWeights(weights, `route "${current.route}" restored to its original weights`),
  );
}
