// The part of an Istio VirtualService the weighted proxy routes by, parsed once per refresh.
// Parse, don't trust: the object comes from the API server as plain JSON. A match field the
// proxy does not implement is refused rather than ignored, since ignoring it would make the
// route match more requests than Envoy would send it.

export interface StringMatch {
  exact?: string;
  prefix?: string;
  /** Anchored at both ends before use, as Envoy's RE2 matchers match the whole value. */
  regex?: RegExp;
}

export interface RouteMatch {
  /** Lower-case header name → condition; all must hold. */
  headers: Array<{ name: string; match: StringMatch }>;
  uri?: StringMatch;
  method?: StringMatch;
}

export interface RouteDestination {
  host: string;
  subset?: string;
  port?: number;
  weight: number;
}

export interface HttpRoute {
  /** The route's name, or `#<index>` when it has none. */
  name: string;
  /** Any one fits (OR); empty fits every request. */
  match: RouteMatch[];
  destinations: RouteDestination[];
}

export class VirtualServiceParseError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'VirtualServiceParseError';
  }
}

const MATCH_FIELDS = new Set(['name', 'headers', 'uri', 'method']);
const STRING_MATCH_FIELDS = new Set(['exact', 'prefix', 'regex']);

/** Reads spec.http of a VirtualService object; throws VirtualServiceParseError naming the field. */
export function parseHttpRoutes(vs: unknown): HttpRoute[] {
  const spec = record(record(vs, '')['spec'], 'spec');
  const http = spec['http'] ?? [];
  if (!Array.isArray(http)) throw new VirtualServiceParseError('spec.http', 'must be a list');
  return http.map((route, i) => parseRoute(route, `spec.http[${i}]`, i));
}

function parseRoute(raw: unknown, field: string, index: number): HttpRoute {
  const route = record(raw, field);
  const name = typeof route['name'] === 'string' ? route['name'] : `#${index}`;
  const matches = route['match'] ?? [];
  if (!Array.isArray(matches))
    throw new VirtualServiceParseError(`${field}.match`, 'must be a list');
  const dests = route['route'];
  if (!Array.isArray(dests) || dests.length === 0) {
    throw new VirtualServiceParseError(`${field}.route`, 'must list at least one destination');
  }
  return {
    name,
    match: matches.map((m, j) => parseMatch(m, `${field}.match[${j}]`)),
    destinations: dests.map((d, j) => parseDestination(d, `${field}.route[${j}]`)),
  };
}

function parseMatch(raw: unknown, field: string): RouteMatch {
  const m = record(raw, field);
  for (const key of Object.keys(m)) {
    if (!MATCH_FIELDS.has(key)) {
      throw new VirtualServiceParseError(`${field}.${key}`, 'not supported by the sandbox proxy');
    }
  }
  const headers = Object.entries(record(m['headers'] ?? {}, `${field}.headers`)).map(
    ([name, cond]) => ({
      name: name.toLowerCase(),
      match: parseStringMatch(cond, `${field}.headers.${name}`),
    }),
  );
  const out: RouteMatch = { headers };
  if (m['uri'] !== undefined) out.uri = parseStringMatch(m['uri'], `${field}.uri`);
  if (m['method'] !== undefined) out.method = parseStringMatch(m['method'], `${field}.method`);
  return out;
}

function parseStringMatch(raw: unknown, field: string): StringMatch {
  const m = record(raw, field);
  const keys = Object.keys(m);
  if (keys.length !== 1 || !STRING_MATCH_FIELDS.has(keys[0] as string)) {
    throw new VirtualServiceParseError(field, 'must have exactly one of exact, prefix, regex');
  }
  const [key, value] = Object.entries(m)[0] as [string, unknown];
  if (typeof value !== 'string')
    throw new VirtualServiceParseError(`${field}.${key}`, 'must be a string');
  if (key === 'exact') return { exact: value };
  if (key === 'prefix') return { prefix: value };
  try {
    return { regex: new RegExp(`^(?:${value})$`) };
  } catch (err) {
    throw new VirtualServiceParseError(`${field}.regex`, `invalid regex: ${String(err)}`);
  }
}

function parseDestination(raw: unknown, field: string): RouteDestination {
  const d = record(raw, field);
  const dest = record(d['destination'], `${field}.destination`);
  const host = dest['host'];
  if (typeof host !== 'string' || host === '') {
    throw new VirtualServiceParseError(`${field}.destination.host`, 'must be a non-empty string');
  }
  const weight = d['weight'] ?? 0;
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0) {
    throw new VirtualServiceParseError(`${field}.weight`, 'must be an integer >= 0');
  }
  const out: RouteDestination = { host, weight };
  if (typeof dest['subset'] === 'string') out.subset = dest['subset'];
  const port = dest['port'];
  if (port !== undefined) {
    const number = record(port, `${field}.destination.port`)['number'];
    if (typeof number !== 'number') {
      throw new VirtualServiceParseError(`${field}.destination.port.number`, 'must be a number');
    }
    out.port = number;
  }
  return out;
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VirtualServiceParseError(field || 'object', 'must be an object');
  }
  return value as Record<string, unknown>;
}
