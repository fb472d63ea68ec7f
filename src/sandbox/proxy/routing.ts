import type { HttpRoute, RouteDestination, RouteMatch, StringMatch } from './virtual-service.js';

// Envoy's choice for one request, as Istio configures it: HTTP routes are tried in order and
// the first whose match fits wins; within it a destination is drawn with probability
// weight / (sum of weights), and a lone destination gets everything whatever its weight.

export interface RequestFacts {
  method: string;
  /** The path without the query string (Envoy's path matchers ignore the query). */
  path: string;
  /** Lower-case names; a repeated header is joined with ", ". */
  headers: Record<string, string | undefined>;
}

export function selectRoute(routes: HttpRoute[], req: RequestFacts): HttpRoute | undefined {
  return routes.find((route) => route.match.length === 0 || route.match.some((m) => fits(m, req)));
}

function fits(match: RouteMatch, req: RequestFacts): boolean {
  if (match.uri && !stringFits(match.uri, req.path)) return false;
  if (match.method && !stringFits(match.method, req.method)) return false;
  return match.headers.every(({ name, match: cond }) => {
    const value = req.headers[name];
    return value !== undefined && stringFits(cond, value);
  });
}

function stringFits(m: StringMatch, value: string): boolean {
  if (m.exact !== undefined) return value === m.exact;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  if (m.regex !== undefined) return m.regex.test(value);
  return false;
}

/**
 * `draw` is uniform in [0, 1). Returns undefined only when every weight of a multi-destination
 * route is 0 (Istio's validation refuses that; the proxy answers 503 then).
 */
export function pickDestination(
  destinations: RouteDestination[],
  draw: number,
): RouteDestination | undefined {
  if (destinations.length === 1) return destinations[0];
  const total = destinations.reduce((sum, d) => sum + d.weight, 0);
  if (total <= 0) return undefined;
  let point = draw * total;
  for (const d of destinations) {
    if (point < d.weight) return d;
    point -= d.weight;
  }
  // Rounding can leave `point` a hair past the last weight; the last positive one takes it.
  return [...destinations].reverse().find((d) => d.weight > 0);
}

/**
 * "shop-canary" → {name: "shop-canary", namespace}; "shop-canary.demo" or
 * "shop-canary.demo.svc.cluster.local" → {name: "shop-canary", namespace: "demo"}.
 */
export function splitHost(
  host: string,
  defaultNamespace: string,
): { name: string; namespace: string } {
  const [name = host, namespace] = host.split('.');
  return { name, namespace: namespace || defaultNamespace };
}
