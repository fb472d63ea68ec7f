import { TrafficRoutingError } from '../../domain/errors.js';
import type { DestinationKey, HeaderMatch, RouteWeights } from '../../domain/types.js';

// The few parts of an Istio VirtualService Sluice reads, parsed at the boundary. Everything
// else in the object is left untouched (and never re-sent): writes are JSON patches of
// individual fields.

export interface HttpDestination {
  host: string;
  subset?: string;
  port?: number;
  /** Absent in the object (not the same as 0). */
  weight?: number;
}

export interface HttpRoute {
  /** Index in spec.http. */
  index: number;
  name?: string;
  destinations: HttpDestination[];
  /** The route as stored, for byte-exact comparisons. */
  raw: unknown;
}

export interface ParsedVirtualService {
  namespace: string;
  name: string;
  resourceVersion: string;
  http: HttpRoute[];
}

function fail(what: string, message: string): never {
  throw new TrafficRoutingError(`VirtualService ${what}: ${message}`, { retriable: false });
}

export function parseVirtualService(raw: unknown, what: string): ParsedVirtualService {
  if (typeof raw !== 'object' || raw === null) fail(what, 'the answer is not an object');
  const obj = raw as {
    metadata?: { name?: unknown; namespace?: unknown; resourceVersion?: unknown };
    spec?: { http?: unknown };
  };
  const http = obj.spec?.http ?? [];
  if (!Array.isArray(http)) fail(what, 'spec.http is not a list');
  return {
    namespace: String(obj.metadata?.namespace ?? ''),
    name: String(obj.metadata?.name ?? ''),
    resourceVersion: String(obj.metadata?.resourceVersion ?? ''),
    http: http.map((route: unknown, index) => parseRoute(route, index, what)),
  };
}

function parseRoute(raw: unknown, index: number, what: string): HttpRoute {
  if (typeof raw !== 'object' || raw === null) fail(what, `spec.http[${index}] is not an object`);
  const r = raw as { name?: unknown; route?: unknown };
  const dests = r.route ?? [];
  if (!Array.isArray(dests)) fail(what, `spec.http[${index}].route is not a list`);
  const route: HttpRoute = {
    index,
    destinations: dests.map((d: unknown, j) =>
      parseDestination(d, `spec.http[${index}].route[${j}]`, what),
    ),
    raw,
  };
  if (typeof r.name === 'string') route.name = r.name;
  return route;
}

function parseDestination(raw: unknown, path: string, what: string): HttpDestination {
  const d = (typeof raw === 'object' && raw !== null ? raw : {}) as {
    destination?: { host?: unknown; subset?: unknown; port?: { number?: unknown } };
    weight?: unknown;
  };
  const host = d.destination?.host;
  if (typeof host !== 'string' || host === '') fail(what, `${path}.destination.host is missing`);
  const out: HttpDestination = { host };
  if (typeof d.destination?.subset === 'string') out.subset = d.destination.subset;
  if (typeof d.destination?.port?.number === 'number') out.port = d.destination.port.number;
  if (d.weight !== undefined) {
    if (typeof d.weight !== 'number' || !Number.isInteger(d.weight))
      fail(what, `${path}.weight is not an integer`);
    out.weight = d.weight;
  }
  return out;
}

/** Istio: a single destination gets everything whatever its weight; otherwise absent means 0. */
export function effectiveWeights(route: HttpRoute): RouteWeights['destinations'] {
  const single = route.destinations.length === 1;
  return route.destinations.map((d) => ({
    ...keyOf(d),
    weight: single ? 100 : (d.weight ?? 0),
  }));
}

export function keyOf(d: DestinationKey): DestinationKey {
  const key: DestinationKey = { host: d.host };
  if (d.subset !== undefined) key.subset = d.subset;
  if (d.port !== undefined) key.port = d.port;
  return key;
}

export function sameDestination(a: DestinationKey, b: DestinationKey): boolean {
  return a.host === b.host && a.subset === b.subset && a.port === b.port;
}

export function describeDestination(d: DestinationKey): string {
  return `${d.host}${d.subset ? `/${d.subset}` : ''}${d.port ? `:${d.port}` : ''}`;
}

/** Sluice's own rule: integers 0–100 that sum to 100 on every route. Returns the problem, if any. */
export function weightProblem(route: RouteWeights): string | undefined {
  if (route.destinations.length === 0) return `route ${route.route} has no destinations`;
  for (const d of route.destinations)
    if (!Number.isInteger(d.weight) || d.weight < 0 || d.weight > 100)
      return `route ${route.route}: weight of ${describeDestination(d)} is ${d.weight}; weights are integers 0–100`;
  const sum = route.destinations.reduce((s, d) => s + d.weight, 0);
  if (sum !== 100) return `route ${route.route}: weights sum to ${sum}, not 100`;
  return undefined;
}

/** Istio header/cookie matches; each HeaderMatch is one alternative (Istio ORs `match` entries). */
export function toIstioMatch(match: HeaderMatch[]): Array<Record<string, unknown>> {
  return match.map((m) => {
    if (m.cookie !== undefined) return { headers: { cookie: { regex: cookieRegex(m) } } };
    if (m.header === undefined) throw new TrafficRoutingError('a header match names no header');
    return { headers: { [m.header.toLowerCase()]: stringMatch(m) } };
  });
}

function stringMatch(m: HeaderMatch): Record<string, string> {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return { regex: m.regex };
  throw new TrafficRoutingError(
    `the match on ${m.header ?? m.cookie} needs exact, prefix or regex`,
  );
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Istio has no cookie match; the usual idiom is a regex on the Cookie header that finds the
// pair at the start or after a "; ".
function cookieRegex(m: HeaderMatch): string {
  const name = escapeRegex(m.cookie ?? '');
  const value =
    m.exact !== undefined
      ? `${escapeRegex(m.exact)}(;.*)?`
      : m.prefix !== undefined
        ? `${escapeRegex(m.prefix)}.*`
        : m.regex !== undefined
          ? `(${m.regex})(;.*)?`
          : '.*';
  return `^(.*?;\\s*)?${name}=${value}$`;
}

export function headerRouteObject(
  vs: ParsedVirtualService,
  managedRoutes: readonly string[],
  route: { name: string; match: HeaderMatch[]; canaryHost: string },
): Record<string, unknown> {
  // Reuse the port and subset the managed routes already give the canary host, if any.
  const known = vs.http
    .filter((r) => r.name !== undefined && managedRoutes.includes(r.name))
    .flatMap((r) => r.destinations)
    .find((d) => d.host === route.canaryHost);
  const destination: Record<string, unknown> = { host: route.canaryHost };
  if (known?.subset !== undefined) destination.subset = known.subset;
  if (known?.port !== undefined) destination.port = { number: known.port };
  return { name: route.name, match: toIstioMatch(route.match), route: [{ destination }] };
}

/** The value at an RFC 6901 pointer, or undefined. */
export function valueAt(obj: unknown, pointer: string): unknown {
  let cur: unknown = obj;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** JSON with sorted keys, for comparing objects regardless of key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
