import type { Logger } from '../../logging.js';
import { SluiceError, errorMessage } from '../../domain/errors.js';
import type { KubeClients } from './client.js';
import type { V1Deployment } from '@kubernetes/client-node';
import type { AnalysisRun, Rollout } from '../../domain/types.js';
import {
  parseAnalysisRunObject,
  parseDeploymentObject,
  parseRolloutObject,
  type Parser,
} from './parsers.js';
import type { InvalidObject, ResourceAccess, Resources } from './resources.js';
import { collectionPath, objectKeyString } from './resource-types.js';

// A list+watch cache of one kind. We do not use client-node's makeInformer: it stops for good
// after any watch error other than 410 (someone must restart it), sends no timeoutSeconds or
// allowWatchBookmarks, and cannot parse objects at the boundary. This one re-lists on 410
// Gone, reconnects from the last resourceVersion when the server ends the stream, and backs
// off (with jitter, bounded) when the server is unreachable.

export interface Informer<T> {
  /** Starts list+watch; resolves once the first list is in the cache (rejects if stopped first). */
  start(): Promise<void>;
  /** Stops watching and waits for the loop to end. The cache keeps its last contents. */
  stop(): Promise<void>;
  /** Called with `namespace/name` (or `name`) for every add, change or delete. Returns an unsubscribe. */
  onChange(cb: (key: string) => void): () => void;
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
  /** An object the server holds but that did not parse (the controller reports it). */
  invalid(namespace: string | undefined, name: string): InvalidObject | undefined;
  hasSynced(): boolean;
  /** The last resourceVersion seen (list, event or bookmark). */
  lastResourceVersion(): string;
}

export interface InformerOptions<T> {
  /** Parses watch-event objects; list items are parsed by `access.list`. */
  parse: Parser<T>;
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  /** Server-side end of each watch stream. Default 300. */
  watchTimeoutSeconds?: number;
  /** When set, calls onChange for every cached key this often (level-triggered resync). */
  resyncMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  logger?: Logger | undefined;
}

interface WatchMeta {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

interface StreamEnd {
  err: unknown;
}

const GONE = 410;

function statusCodeOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { statusCode?: unknown; code?: unknown; details?: { status?: unknown } };
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.code === 'number') return e.code;
  if (err instanceof SluiceError && typeof e.details?.status === 'number') return e.details.status;
  return undefined;
}

export function createInformer<T extends WatchMeta>(
  clients: KubeClients,
  access: ResourceAccess<T>,
  options: InformerOptions<T>,
): Informer<T> {
  const { parse, namespace, labelSelector, logger } = options;
  const timeoutSeconds = options.watchTimeoutSeconds ?? 300;
  const minBackoff = options.minBackoffMs ?? 200;
  const maxBackoff = options.maxBackoffMs ?? 10_000;
  const kind = access.type.kind;
  const cache = new Map<string, T>();
  const bad = new Map<string, InvalidObject>();
  const listeners = new Set<(key: string) => void>();
  let rv = '';
  let synced = false;
  let stopped = true;
  let loop: Promise<void> | undefined;
  let stopController = new AbortController();
  let current: AbortController | undefined;
  let resyncTimer: NodeJS.Timeout | undefined;
  let syncWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  const emit = (key: string): void => {
    for (const cb of [...listeners]) {
      try {
        cb(key);
      } catch (err) {
        logger?.error('informer listener failed', { kind, key, error: errorMessage(err) });
      }
    }
  };
  const keyOf = (obj: WatchMeta): string =>
    objectKeyString({ namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' });

  const relist = async (): Promise<void> => {
    const result = await access.list({
      namespace,
      labelSelector,
      signal: stopController.signal,
    });
    const seen = new Set<string>();
    for (const item of result.items) {
      const key = keyOf(item);
      seen.add(key);
      const old = cache.get(key);
      cache.set(key, item);
      bad.delete(key);
      if (!old || old.metadata?.resourceVersion !== item.metadata?.resourceVersion) emit(key);
    }
    for (const inv of result.invalid) {
      seen.add(inv.key);
      cache.delete(inv.key);
      bad.set(inv.key, inv);
      emit(inv.key);
    }
    for (const key of [...cache.keys(), ...bad.keys()]) {
      if (seen.has(key)) continue;
      cache.delete(key);
      bad.delete(key);
      emit(key);
    }
    rv = result.resourceVersion;
    if (!synced) {
      synced = true;
      for (const w of syncWaiters) w.resolve();
      syncWaiters = [];
    }
  };

  const onEvent = (type: string, obj: unknown): void => {
    const o = (typeof obj === 'object' && obj !== null ? obj : {}) as WatchMeta & {
      code?: unknown;
      message?: unknown;
    };
    if (type === 'ERROR') {
      if (o.code === GONE) rv = '';
      logger?.debug('watch error event', { kind, code: o.code, message: o.message });
      current?.abort();
      return;
    }
    const objRv = o.metadata?.resourceVersion;
    if (type === 'BOOKMARK') {
      if (objRv) rv = objRv;
      return;
    }
    const key = keyOf(o);
    if (type === 'DELETED') {
      cache.delete(key);
      bad.delete(key);
    } else if (type === 'ADDED' || type === 'MODIFIED') {
      try {
        cache.set(key, parse(obj));
        bad.delete(key);
      } catch (err) {
        if (!(err instanceof SluiceError)) throw err;
        cache.delete(key);
        bad.set(key, { key, raw: obj, error: err });
      }
    } else return;
    if (objRv) rv = objRv;
    emit(key);
  };

  const watchOnce = (): Promise<StreamEnd> =>
    new Promise<StreamEnd>((resolve) => {
      const query: Record<string, string | number | boolean> = {
        resourceVersion: rv,
        allowWatchBookmarks: true,
        timeoutSeconds,
      };
      if (labelSelector) query.labelSelector = labelSelector;
      // NOTE: client-node's Watch has no deadline of its own; if the server never ends the
      // stream (a dead connection), abort it a little after the server should have.
      const guard = setTimeout(() => current?.abort(), (timeoutSeconds + 30) * 1000);
      clients.watch
        .watch(collectionPath(access.type, namespace), query, onEvent, (err: unknown) => {
          clearTimeout(guard);
          resolve({ err });
        })
        .then((controller) => {
          current = controller;
          if (stopController.signal.aborted) controller.abort();
        })
        .catch((err: unknown) => {
          clearTimeout(guard);
          resolve({ err });
        });
    });

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      stopController.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });

  const run = async (): Promise<void> => {
    let backoff = minBackoff;
    while (!stopped) {
      try {
        if (!rv) await relist();
        if (stopped) break;
        const started = Date.now();
        const { err } = await watchOnce();
        current = undefined;
        if (stopped) break;
        if (err !== null && err !== undefined && !isAbort(err)) throw err;
        // A stream that ends at once, again and again, must not spin: back off as on errors.
        if (Date.now() - started < minBackoff) await sleep(backoff);
        else backoff = minBackoff;
      } catch (err) {
        if (stopped) break;
        if (statusCodeOf(err) === GONE) rv = '';
        logger?.warn('watch interrupted; retrying', {
          kind,
          namespace,
          error: errorMessage(err),
          backoffMs: backoff,
        });
        await sleep(backoff * (0.5 + Math.random() / 2));
        backoff = Math.min(maxBackoff, backoff * 2);
      }
    }
  };

  return {
    start() {
      if (!stopped) return synced ? Promise.resolve() : waitForSync();
      stopped = false;
      stopController = new AbortController();
      const ready = waitForSync();
      loop = run();
      if (options.resyncMs)
        resyncTimer = setInterval(() => {
          for (const key of [...cache.keys(), ...bad.keys()]) emit(key);
        }, options.resyncMs);
      return ready;
    },
    async stop() {
      stopped = true;
      if (resyncTimer) clearInterval(resyncTimer);
      stopController.abort();
      current?.abort();
      for (const w of syncWaiters) w.reject(new Error(`${kind} informer stopped before it synced`));
      syncWaiters = [];
      await loop;
    },
    onChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    get: (ns, name) => cache.get(objectKeyString({ namespace: ns, name })),
    list: (ns) =>
      [...cache.values()].filter((o) => ns === undefined || o.metadata?.namespace === ns),
    invalid: (ns, name) => bad.get(objectKeyString({ namespace: ns, name })),
    hasSynced: () => synced,
    lastResourceVersion: () => rv,
  };

  function waitForSync(): Promise<void> {
    if (synced) return Promise.resolve();
    return new Promise((resolve, reject) => syncWaiters.push({ resolve, reject }));
  }
}

function isAbort(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError'
  );
}

export interface ControllerInformers {
  rollouts: Informer<Rollout>;
  analysisRuns: Informer<AnalysisRun>;
  deployments: Informer<V1Deployment>;
}

/** The caches the controller watches, all with the same options (e.g. one namespace). */
export function createControllerInformers(
  clients: KubeClients,
  resources: Resources,
  options: Omit<InformerOptions<unknown>, 'parse'> = {},
): ControllerInformers {
  return {
    rollouts: createInformer(clients, resources.rollouts, {
      ...options,
      parse: parseRolloutObject,
    }),
    analysisRuns: createInformer(clients, resources.analysisRuns, {
      ...options,
      parse: parseAnalysisRunObject,
    }),
    deployments: createInformer(clients, resources.deployments, {
      ...options,
      parse: parseDeploymentObject,
    }),
  };
}
