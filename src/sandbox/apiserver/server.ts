// The sandbox Kubernetes API server: plain HTTP on loopback, served to @kubernetes/client-node
// and kubectl, with a write log and injectable failures for tests.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../../logging.js';
import { builtinResources } from './builtin.js';
import type { ServerContext, Target } from './context.js';
import { loadCrdDir } from './crd.js';
import { handleRequest, type HandlerState } from './handler.js';
import { ResourceRegistry } from './registry.js';
import { ObjectStore } from './store.js';
import { resourceKey, type FailureRule, type KubeObject, type WriteRecord } from './types.js';
import { createObject } from './write.js';

export interface ApiServerOptions {
  /** 0 (the default) lets the kernel pick a free port. */
  port?: number;
  host?: '127.0.0.1';
  /** Every CustomResourceDefinition in *.yaml here is created at start. Default <repo>/manifests/crds. */
  crdDir?: string;
  /** CRDs to create at start in addition to crdDir's. */
  crds?: object[];
  /** How many change events watches can replay; older resourceVersions get 410 Expired. */
  historyLimit?: number;
  /** How often watches with allowWatchBookmarks get a BOOKMARK. Default 5000 ms. */
  bookmarkIntervalMs?: number;
  /**
   * Refuse (404) objects in namespaces that do not exist, as kube-apiserver does. Off by default
   * so tests need not create namespaces first.
   */
  requireNamespaces?: boolean;
  logger?: Logger;
}

/** Read access to what is stored, for tests: objects as stored (storage apiVersion), copied. */
export interface StoreAccessor {
  /** `resource` is a plural ("deployments"), plural.group, kind or short name. */
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: string, namespace?: string): KubeObject[];
  resourceVersion(): string;
}

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
  /** Every mutating request, including rejected ones, oldest first. */
  writeLog: WriteRecord[];
  clearWriteLog(): void;
  /** Makes matching writes fail; returns a function that removes the rule. */
  injectFailure(rule: FailureRule): () => void;
  clearFailures(): void;
  store: StoreAccessor;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const START_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function accessor(ctx: ServerContext): StoreAccessor {
  const keyOf = (resource: string): string => {
    const def = ctx.registry.find(resource);
    if (def === undefined)
      throw new Error(`the sandbox API server serves no resource "${resource}"`);
    return resourceKey(def);
  };
  return {
    get: (resource, namespace, name) => {
      const obj = ctx.store.get(keyOf(resource), namespace ?? '', name);
      return obj === undefined ? undefined : structuredClone(obj);
    },
    list: (resource, namespace) =>
      ctx.store.list(keyOf(resource), namespace).map((o) => structuredClone(o)),
    resourceVersion: () => String(ctx.store.currentRv()),
  };
}

function bootstrap(ctx: ServerContext, crds: object[]): void {
  const create = (plural: string, group: string, body: object): void => {
    const found = ctx.registry.resolve(group, group === '' ? 'v1' : 'v1', plural);
    if (found === undefined) throw new Error(`bootstrap: no resource ${plural}`);
    const t: Target = { ...found, namespace: '' };
    createObject(ctx, t, body, { fieldValidation: 'Strict', dryRun: false });
  };
  for (const name of START_NAMESPACES) create('namespaces', '', { metadata: { name } });
  for (const crd of crds) create('customresourcedefinitions', 'apiextensions.k8s.io', crd);
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const registry = new ResourceRegistry();
  for (const def of builtinResources()) registry.register(def);
  const ctx: ServerContext = {
    registry,
    store: new ObjectStore(options.historyLimit ?? 1000),
    now: () => new Date(),
    logger: options.logger ?? createLogger({ silent: true }),
    requireNamespaces: options.requireNamespaces ?? false,
  };
  const crds = [
    ...(await loadCrdDir(options.crdDir ?? resolve(REPO_ROOT, 'manifests/crds'))),
    ...(options.crds ?? []),
  ];
  bootstrap(ctx, crds);

  const openWatches = new Set<() => void>();
  const state: HandlerState = {
    ctx,
    writeLog: [],
    failures: [],
    watch: {
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 5000,
      track: (end) => {
        openWatches.add(end);
        return () => openWatches.delete(end);
      },
    },
  };
  const server: Server = createServer((req, res) => {
    void handleRequest(state, req, res);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const port = (server.address() as AddressInfo).port;
  ctx.logger.info('sandbox API server listening', { host, port });
  return {
    url: `http://${host}:${port}`,
    port,
    writeLog: state.writeLog,
    clearWriteLog: () => void state.writeLog.splice(0, state.writeLog.length),
    injectFailure: (rule) => {
      const copy = { ...rule };
      state.failures.push(copy);
      return () => {
        const i = state.failures.indexOf(copy);
        if (i >= 0) state.failures.splice(i, 1);
      };
    },
    clearFailures: () => void state.failures.splice(0, state.failures.length),
    store: accessor(ctx),
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const end of [...openWatches]) end();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
