import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../logging.js';
import { createUpstreamAgent, forward, type ForwardResult } from './forward.js';
import { createIstioMetrics, type IstioLabels } from './metrics.js';
import { pickDestination, selectRoute, splitHost, type RequestFacts } from './routing.js';
import { parseHttpRoutes, type HttpRoute, type RouteDestination } from './virtual-service.js';

// The sandbox's stand-in for the Istio data plane: one HTTP listener on 127.0.0.1 that routes
// by a VirtualService's HTTP routes and weights to real processes, and a second listener that
// serves Istio's standard metrics for Prometheus to scrape.

export interface ProxyOptions {
  /** Port for proxied traffic. Default 0 (the kernel picks). */
  port?: number;
  /** Namespace of the VirtualService; a destination host without one lives here. */
  namespace: string;
  /** The VirtualService object as stored (validated here on every refresh). */
  getVirtualService: () => unknown;
  /**
   * The ready endpoints of a Service: base URLs ("http://127.0.0.1:PORT"), or endpoints with
   * the Deployment that owns the pod behind each (one entry per ready pod), which then becomes
   * destination_workload, as Istio labels by the pod's workload, not by the Service.
   */
  resolve: (
    namespace: string,
    service: string,
    subset?: string,
  ) => Array<string | Endpoint> | Promise<Array<string | Endpoint>>;
  /** The Deployment behind a Service, for destination_workload. Default: the Service name. */
  workloadOf?: (namespace: string, service: string) => string | undefined;
  /** Port for /metrics. Default 0. */
  metricsPort?: number;
  /** How often the VirtualService is re-read, like Envoy's config delay. Default 500 ms. */
  refreshMs?: number;
  /** Per-request upstream limit. Default 15 s. */
  upstreamTimeoutMs?: number;
  /** Uniform in [0, 1); pass a seeded one for repeatable splits. Default Math.random. */
  random?: () => number;
  logger?: Logger;
}

/** One ready pod's process and the Deployment that owns the pod. */
export interface Endpoint {
  url: string;
  workload?: string | undefined;
}

export interface ProxyCounts {
  /** Answered requests per destination Service short name (":subset" appended when set). */
  byDestination: Record<string, number>;
  byRoute: Record<string, number>;
  /** Per Envoy response flag ("-" for none). */
  byFlags: Record<string, number>;
  total: number;
}

export interface RunningProxy {
  url: string;
  port: number;
  metricsUrl: string;
  /** "127.0.0.1:PORT", ready for a Prometheus scrape config. */
  metricsTarget: string;
  counts(): ProxyCounts;
  resetCounts(): void;
  /** Re-reads the VirtualService now instead of at the next refresh tick. */
  refreshNow(): Promise<void>;
  /** Why the last refresh could not use the VirtualService, if it could not. */
  lastError(): string | undefined;
  stop(): Promise<void>;
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const metrics = createIstioMetrics();
  const agent = createUpstreamAgent();
  const random = options.random ?? Math.random;
  const roundRobin = new Map<string, number>();
  let counts = emptyCounts();
  let routes: HttpRoute[] | undefined;
  let lastError: string | undefined;

  const refresh = async (): Promise<void> => {
    try {
      const vs = await options.getVirtualService();
      routes = vs === undefined ? undefined : parseHttpRoutes(vs);
      lastError = vs === undefined ? 'VirtualService not found' : undefined;
    } catch (err) {
      // NOTE: like Envoy, keep serving the last good routes when new config is rejected.
      lastError = err instanceof Error ? err.message : String(err);
      options.logger?.warn('proxy kept its routes: VirtualService refused', { error: lastError });
    }
  };
  // A chain of timeouts, not an interval: refreshNow() restarts the wait, so a test can know
  // that a change written right after it stays unseen for a full refreshMs.
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (): void => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(() => void refresh().then(schedule), options.refreshMs ?? 500);
    timer.unref();
  };
  const refreshNow = async (): Promise<void> => {
    await refresh();
    schedule();
  };
  await refreshNow();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const facts = requestFacts(req);
    const route = routes ? selectRoute(routes, facts) : undefined;
    const dest = route ? pickDestination(route.destinations, random()) : undefined;
    const where = dest ? splitHost(dest.host, options.namespace) : undefined;

    let result: ForwardResult;
    let endpoint: Endpoint | undefined;
    if (!route) {
      result = reply(res, 404, 'NR', 'no route matched');
    } else if (!dest || !where) {
      result = reply(res, 503, 'UH', 'no healthy upstream');
    } else {
      const endpoints = await options.resolve(where.namespace, where.name, dest.subset);
      const picked = nextEndpoint(roundRobin, destinationKey(dest), endpoints);
      endpoint = typeof picked === 'string' ? { url: picked } : picked;
      result = endpoint
        ? await forward(req, res, endpoint.url, agent, options.upstreamTimeoutMs ?? 15_000)
        : reply(res, 503, 'UH', 'no healthy upstream');
    }

    const service = where?.name ?? 'unknown';
    const namespace = where?.namespace ?? options.namespace;
    const labels: IstioLabels = {
      reporter: 'destination',
      source_workload: 'loadgen',
      destination_service_name: service,
      destination_service_namespace: namespace,
      destination_workload:
        endpoint?.workload ?? (where && options.workloadOf?.(namespace, service)) ?? service,
      destination_workload_namespace: namespace,
      destination_version: result.version ?? 'unknown',
      response_code: String(result.status),
      request_protocol: 'http',
      response_flags: result.flags,
    };
    metrics.record(labels, performance.now() - started);
    count(counts, dest ? destinationKey(dest) : 'none', route?.name ?? 'none', result.flags);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.logger?.error('proxy request failed', { error: String(err) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 30_000;
  const metricsServer = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });

  try {
    const port = await listen(server, options.port ?? 0);
    const metricsPort = await listen(metricsServer, options.metricsPort ?? 0);
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      metricsTarget: `127.0.0.1:${metricsPort}`,
      counts: () => structuredClone(counts),
      resetCounts: () => {
        counts = emptyCounts();
      },
      refreshNow,
      lastError: () => lastError,
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        await Promise.all([close(server), close(metricsServer)]);
        agent.destroy();
      },
    };
  } catch (err) {
    stopped = true;
    clearTimeout(timer);
    await Promise.all([close(server), close(metricsServer)]);
    agent.destroy();
    throw err;
  }
}

function requestFacts(req: IncomingMessage): RequestFacts {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // Envoy matches :authority as a header too.
  headers[':authority'] = req.headers.host;
  return { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0] ?? '/', headers };
}

function reply(res: ServerResponse, status: number, flags: string, text: string): ForwardResult {
  res.writeHead(status, { 'content-type': 'text/plain', 'x-envoy-response-flags': flags });
  res.end(`${text}\n`);
  return { status, flags, version: undefined };
}

function destinationKey(dest: RouteDestination): string {
  const name = splitHost(dest.host, '').name;
  return dest.subset ? `${name}:${dest.subset}` : name;
}

function nextEndpoint<T>(state: Map<string, number>, key: string, endpoints: T[]): T | undefined {
  if (endpoints.length === 0) return undefined;
  const i = state.get(key) ?? 0;
  state.set(key, i + 1);
  return endpoints[i % endpoints.length];
}

function emptyCounts(): ProxyCounts {
  return { byDestination: {}, byRoute: {}, byFlags: {}, total: 0 };
}

function count(c: ProxyCounts, destination: string, route: string, flags: string): void {
  c.byDestination[destination] = (c.byDestination[destination] ?? 0) + 1;
  c.byRoute[route] = (c.byRoute[route] ?? 0) + 1;
  c.byFlags[flags] = (c.byFlags[flags] ?? 0) + 1;
  c.total++;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
