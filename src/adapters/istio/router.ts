import {
  ResourceNotFoundError,
  RouteConflictError,
  SluiceError,
  TrafficRoutingError,
} from '../../domain/errors.js';
import type { HeaderMatch, RouteWeights } from '../../domain/types.js';
import type { Logger } from '../../logging.js';
import type { CallOptions, JsonPatchOp, KubeClients } from '../kubernetes/client.js';
import { RESOURCE_TYPES, objectKeyString } from '../kubernetes/resource-types.js';
import {
  canonical,
  describeDestination,
  headerRouteObject,
  valueAt,
  effectiveWeights,
  parseVirtualService,
  sameDestination,
  weightProblem,
  type HttpRoute,
  type ParsedVirtualService,
} from './virtual-service.js';

/** The VirtualService a rollout routes through, and the HTTP routes (by name) it may change. */
export interface VirtualServiceRef {
  namespace: string;
  virtualService: string;
  routes: string[];
}

export interface RouteSnapshot {
  /** The VirtualService's resourceVersion when read. */
  resourceVersion: string;
  /** In the order of `ref.routes`; weights as Istio applies them (a lone destination is 100). */
  routes: RouteWeights[];
  /** The names of every HTTP route in the VirtualService, in order (to see a header route). */
  routeNames: string[];
  /** Header names each route matches on (lower case), to find a header another route uses. */
  headerMatches: Array<{ route: string; headers: string[] }>;
}

export interface HeaderRoute {
  /** Use headerRouteName(rollout). */
  name: string;
  match: HeaderMatch[];
  canaryHost: string;
}

/** How Sluice changes traffic. One implementation per mesh; the controller knows only this. */
export interface TrafficRouter {
  /** Throws ResourceNotFoundError naming the VirtualService or the missing route. */
  read(ref: VirtualServiceRef, opts?: CallOptions): Promise<RouteSnapshot>;
  /**
   * Sets the weights of the given routes, which must each list every destination of the route
   * with integer weights 0–100 summing to 100. Changes weight fields only, in one patch, then
   * reads back. RouteConflictError when a route changed under us (re-read and re-plan);
   * TrafficRoutingError when the server refused the write or the read-back differs.
   */
  write(ref: VirtualServiceRef, routes: RouteWeights[], opts?: CallOptions): Promise<void>;
  /** Puts the header route first; idempotent (no write when already there and identical). */
  setHeaderRoute(ref: VirtualServiceRef, route: HeaderRoute, opts?: CallOptions): Promise<void>;
  /** Removes the named route; no write when it is absent. */
  removeHeaderRoute(ref: VirtualServiceRef, name: string, opts?: CallOptions): Promise<void>;
}

/** The header names (lower case) in a raw HTTP route's `match` entries. */
function matchedHeaders(raw: unknown): string[] {
  const match = (raw as { match?: unknown } | null)?.match;
  if (!Array.isArray(match)) return [];
  const names = match.flatMap((m: unknown) => {
    const headers = (m as { headers?: unknown } | null)?.headers;
    return headers && typeof headers === 'object' ? Object.keys(headers) : [];
  });
  return [...new Set(names.map((n) => n.toLowerCase()))];
}

export function headerRouteName(rollout: string): string {
  return `sluice-${rollout}-header`;
}

export interface IstioRouterOptions {
  logger?: Logger | undefined;
}

/** A guard the patch carried: the value at `path` must still be `value`. */
interface Guard {
  path: string;
  value: unknown;
  route: string;
}

export class IstioRouter implements TrafficRouter {
  private readonly clients: KubeClients;
  private readonly logger: Logger | undefined;

  constructor(clients: KubeClients, options: IstioRouterOptions = {}) {
    this.clients = clients;
    this.logger = options.logger;
  }

  async read(ref: VirtualServiceRef, opts?: CallOptions): Promise<RouteSnapshot> {
    const vs = await this.fetch(ref, opts);
    return {
      resourceVersion: vs.resourceVersion,
      routes: ref.routes.map((name) => ({
        route: name,
        destinations: effectiveWeights(findRoute(vs, name, ref)),
      })),
      routeNames: vs.http.flatMap((r) => (r.name === undefined ? [] : [r.name])),
      headerMatches: vs.http.map((r) => ({
        route: r.name ?? `#${r.index}`,
        headers: matchedHeaders(r.raw),
      })),
    };
  }

  async write(ref: VirtualServiceRef, routes: RouteWeights[], opts?: CallOptions): Promise<void> {
    for (const r of routes) {
      const problem = weightProblem(r);
      if (problem)
        throw new TrafficRoutingError(`refusing to write ${label(ref)}: ${problem}`, {
          retriable: false,
          details: { route: r.route, destinations: r.destinations },
        });
    }

    const vs = await this.fetch(ref, opts);
    const ops: JsonPatchOp[] = [];
    const guards: Guard[] = [];
    for (const desired of routes) {
      const route = findRoute(vs, desired.route, ref);
      const current = effectiveWeights(route);
      const plan = planRoute(ref, route, desired);
      if (plan.every((p, j) => p.weight === current[j]?.weight)) continue;
      const base = `/spec/http/${route.index}`;
      guards.push({ path: `${base}/name`, value: desired.route, route: desired.route });
      ops.push({ op: 'test', path: `${base}/name`, value: desired.route });
      plan.forEach((p, j) => {
        const hostPath = `${base}/route/${j}/destination/host`;
        guards.push({ path: hostPath, value: p.host, route: desired.route });
        ops.push({ op: 'test', path: hostPath, value: p.host });
        const present = route.destinations[j]?.weight !== undefined;
        ops.push({
          op: present ? 'replace' : 'add',
          path: `${base}/route/${j}/weight`,
          value: p.weight,
        });
      });
    }
    if (ops.length === 0) return;

    await this.patch(ref, ops, guards, opts);
    const after = await this.read(ref, opts);
    for (const desired of routes) {
      const got = after.routes.find((r) => r.route === desired.route);
      for (const d of desired.destinations) {
        const seen = got?.destinations.find((g) => sameDestination(g, d));
        if (seen?.weight !== d.weight)
          throw new TrafficRoutingError(
            `${label(ref)} route ${desired.route}: wrote weight ${d.weight} for ${describeDestination(d)} but read back ${seen?.weight ?? 'nothing'}`,
            { details: { route: desired.route } },
          );
      }
    }
  }

  async setHeaderRoute(
    ref: VirtualServiceRef,
    route: HeaderRoute,
    opts?: CallOptions,
  ): Promise<void> {
    const vs = await this.fetch(ref, opts);
    const desired = headerRouteObject(vs, ref.routes, route);
    const copies = vs.http.filter((r) => r.name === route.name);
    const first = copies[0];
    if (copies.length === 1 && first?.index === 0 && canonical(first.raw) === canonical(desired))
      return;

    const guards: Guard[] = [];
    const ops: JsonPatchOp[] = [];
    if (copies.length === 1 && first?.index === 0) {
      guards.push({ path: '/spec/http/0/name', value: route.name, route: route.name });
      ops.push({ op: 'test', path: '/spec/http/0/name', value: route.name });
      ops.push({ op: 'replace', path: '/spec/http/0', value: desired });
    } else {
      // Any stray or misplaced copy goes, so exactly one copy remains, first.
      for (const copy of [...copies].reverse()) {
        const path = `/spec/http/${copy.index}`;
        guards.push({ path: `${path}/name`, value: route.name, route: route.name });
        ops.push({ op: 'test', path: `${path}/name`, value: route.name });
        ops.push({ op: 'remove', path });
      }
      const head = vs.http.find((r) => r.name !== route.name);
      if (head?.name !== undefined) {
        const path = `/spec/http/${head.index}/name`;
        guards.push({ path, value: head.name, route: head.name });
        ops.push({ op: 'test', path, value: head.name });
      }
      ops.push(
        vs.http.length === 0 && !vs.hasHttp
          ? { op: 'add', path: '/spec/http', value: [desired] }
          : { op: 'add', path: '/spec/http/0', value: desired },
      );
    }
    await this.patch(ref, ops, guards, opts);
  }

  async removeHeaderRoute(ref: VirtualServiceRef, name: string, opts?: CallOptions): Promise<void> {
    const vs = await this.fetch(ref, opts);
    const copies = vs.http.filter((r) => r.name === name).reverse();
    if (copies.length === 0) return;
    const guards: Guard[] = [];
    const ops: JsonPatchOp[] = [];
    for (const copy of copies) {
      const path = `/spec/http/${copy.index}`;
      guards.push({ path: `${path}/name`, value: name, route: name });
      ops.push({ op: 'test', path: `${path}/name`, value: name });
      ops.push({ op: 'remove', path });
    }
    await this.patch(ref, ops, guards, opts);
  }

  private async fetch(
    ref: VirtualServiceRef,
    opts?: CallOptions,
  ): Promise<ParsedVirtualService & { hasHttp: boolean }> {
    let raw: unknown;
    try {
      raw = await this.getRaw(ref, opts);
    } catch (err) {
      throw routingError(err, `read ${label(ref)}`);
    }
    const spec = (raw as { spec?: { http?: unknown } } | null)?.spec;
    return { ...parseVirtualService(raw, label(ref)), hasHttp: Array.isArray(spec?.http) };
  }

  private getRaw(ref: VirtualServiceRef, opts?: CallOptions): Promise<unknown> {
    const type = RESOURCE_TYPES.virtualService;
    return this.clients.call(
      { verb: 'get', kind: type.kind, namespace: ref.namespace, name: ref.virtualService },
      (o) =>
        this.clients.custom.getNamespacedCustomObject(
          {
            group: type.group,
            version: type.version,
            plural: type.plural,
            namespace: ref.namespace,
            name: ref.virtualService,
          },
          o,
        ),
      opts,
    );
  }

  private async patch(
    ref: VirtualServiceRef,
    ops: JsonPatchOp[],
    guards: Guard[],
    opts?: CallOptions,
  ): Promise<void> {
    this.logger?.debug('patching VirtualService', {
      namespace: ref.namespace,
      virtualService: ref.virtualService,
      ops,
    });
    try {
      await this.clients.patchJson(
        { type: RESOURCE_TYPES.virtualService, namespace: ref.namespace, name: ref.virtualService },
        ops,
        opts,
      );
    } catch (err) {
      if (err instanceof SluiceError && err.code === 'InvalidSpec') {
        const moved = await this.movedGuard(ref, guards, opts);
        if (moved || /\btest\b/i.test(err.message))
          throw new RouteConflictError(
            `route ${moved?.route ?? guards[0]?.route ?? '?'} in ${label(ref)} changed under us; will re-read`,
            { cause: err, retriable: true, details: { path: moved?.path } },
          );
      }
      throw routingError(err, `write ${label(ref)}`);
    }
  }

  /** After a 422: the first guard whose value is no longer what we tested, if any. */
  private async movedGuard(
    ref: VirtualServiceRef,
    guards: Guard[],
    opts?: CallOptions,
  ): Promise<Guard | undefined> {
    let raw: unknown;
    try {
      raw = await this.getRaw(ref, opts);
    } catch {
      return undefined;
    }
    return guards.find((g) => valueAt(raw, g.path) !== g.value);
  }
}

function label(ref: VirtualServiceRef): string {
  return `VirtualService ${objectKeyString({ namespace: ref.namespace, name: ref.virtualService })}`;
}

function findRoute(vs: ParsedVirtualService, name: string, ref: VirtualServiceRef): HttpRoute {
  const route = vs.http.find((r) => r.name === name);
  if (!route) {
    const names = vs.http.map((r) => r.name ?? '(unnamed)').join(', ') || 'none';
    throw new ResourceNotFoundError(
      'HTTPRoute',
      name,
      `HTTP route "${name}" not found in ${label(ref)} (routes present: ${names}); fix spec.trafficRouting.istio.virtualService.routes or the VirtualService`,
    );
  }
  return route;
}

/** Matches each desired destination to the route's, in the route's order; all must be covered. */
function planRoute(ref: VirtualServiceRef, route: HttpRoute, desired: RouteWeights) {
  const unmatched = desired.destinations.filter(
    (d) => !route.destinations.some((c) => sameDestination(c, d)),
  );
  const uncovered = route.destinations.filter(
    (c) => !desired.destinations.some((d) => sameDestination(c, d)),
  );
  if (
    unmatched.length > 0 ||
    uncovered.length > 0 ||
    desired.destinations.length !== route.destinations.length
  )
    throw new RouteConflictError(
      `route ${desired.route} in ${label(ref)} changed under us (destinations now ${route.destinations.map(describeDestination).join(', ')}); will re-read`,
      { retriable: true, details: { route: desired.route } },
    );
  return route.destinations.map((c) => {
    const d = desired.destinations.find((x) => sameDestination(c, x));
    return { host: c.host, weight: d?.weight ?? 0 };
  });
}

// NOTE: every refusal of a VirtualService read or write is retriable for the controller (a
// webhook may relent, the server may come back); only Sluice's own weight check is final.
function routingError(err: unknown, doing: string): SluiceError {
  if (err instanceof ResourceNotFoundError || err instanceof RouteConflictError) return err;
  if (err instanceof TrafficRoutingError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TrafficRoutingError(`${doing}: ${message}`, {
    cause: err,
    details: err instanceof SluiceError ? { ...err.details, causeCode: err.code } : undefined,
  });
}
