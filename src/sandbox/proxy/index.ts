export {
  startProxy,
  type Endpoint,
  type ProxyCounts,
  type ProxyOptions,
  type RunningProxy,
} from './server.js';
export {
  createIstioMetrics,
  ISTIO_DURATION_BUCKETS_MS,
  ISTIO_LABELS,
  type IstioLabels,
} from './metrics.js';
export { pickDestination, selectRoute, splitHost, type RequestFacts } from './routing.js';
export {
  parseHttpRoutes,
  VirtualServiceParseError,
  type HttpRoute,
  type RouteDestination,
} from './virtual-service.js';
