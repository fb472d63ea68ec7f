import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Observable,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { ClusterApiError } from '../../domain/errors.js';
import { toClusterError } from './errors.js';
import type { ResourceRef } from './resource-types.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

/** Every call to the API server has a deadline and can be cancelled. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Default: the clients' timeoutMs (10 s). */
  timeoutMs?: number | undefined;
}

export interface PatchOptions extends CallOptions {
  /** Patch the status subresource instead of the main resource. */
  subresource?: 'status' | undefined;
}

/** What a call concerns, for error messages: "patch VirtualService demo/shop". */
export interface CallTarget {
  verb: 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete' | 'watch';
  kind: string;
  namespace?: string | undefined;
  name?: string | undefined;
}

/** RFC 6902 operations. */
export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

export type PatchContentType = typeof PatchStrategy.JsonPatch | typeof PatchStrategy.MergePatch;

export interface KubeClients {
  readonly config: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly custom: CustomObjectsApi;
  readonly coordination: CoordinationV1Api;
  readonly watch: Watch;
  readonly timeoutMs: number;
  /**
   * Runs one generated-client call with a deadline and the caller's signal, and turns its
   * failure into a typed error naming the object (see errors.ts). Pass the given options on.
   */
  call<T>(
    target: CallTarget,
    fn: (options: ConfigurationOptions<ObservableMiddleware>) => Promise<T>,
    opts?: CallOptions & { contentType?: PatchContentType },
  ): Promise<T>;
  /** `application/json-patch+json`; a failed `test` op surfaces as InvalidSpecError (422). */
  patchJson(ref: ResourceRef, ops: JsonPatchOp[], opts?: PatchOptions): Promise<unknown>;
  /** `application/merge-patch+json`: `null` deletes a key, lists are replaced whole. */
  patchMerge(ref: ResourceRef, body: unknown, opts?: PatchOptions): Promise<unknown>;
}

export interface KubeClientsOptions {
  timeoutMs?: number;
  /**
   * Client-side limit, in requests per second, on every call and every watch (re)connect, as
   * client-go's QPS. Waiting for a turn counts against the call's deadline. Default: no limit.
   */
  qps?: number | undefined;
  /** Requests that may go at once after a quiet spell. Default: max(1, ceil(qps)). */
  burst?: number | undefined;
}

/** Hands out turns at a steady rate; callers past the burst wait, first come first served. */
export interface RateLimiter {
  /** Resolves at this caller's turn; rejects with the signal's reason if it aborts first. */
  take(signal?: AbortSignal): Promise<void>;
}

/**
 * A token bucket: `burst` tokens, refilled at `qps` per second. Each caller reserves the next
 * token at once (the balance may go negative) and sleeps until it exists, so turns keep their
 * order without a waiter list; a caller that gives up hands its token back.
 */
export function createTokenBucket(o: { qps: number; burst?: number | undefined }): RateLimiter {
  if (!(o.qps > 0)) throw new RangeError(`qps must be a positive number, not ${o.qps}`);
  const burst = o.burst ?? Math.max(1, Math.ceil(o.qps));
  if (!(burst >= 1)) throw new RangeError(`burst must be at least 1, not ${burst}`);
  let tokens = burst;
  let last = performance.now();
  return {
    take(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const now = performance.now();
      tokens = Math.min(burst, tokens + ((now - last) * o.qps) / 1000);
      last = now;
      tokens -= 1;
      if (tokens >= 0) return Promise.resolve();
      const waitMs = (-tokens * 1000) / o.qps;
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          clearTimeout(timer);
          tokens += 1;
          reject(signal?.reason);
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, waitMs);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

// Watch has no hook of its own; every (re)connect takes a turn before it goes out.
class RateLimitedWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly limiter: RateLimiter,
  ) {
    super(config);
  }

  override async watch(...args: Parameters<Watch['watch']>): Promise<AbortController> {
    await this.limiter.take();
    return super.watch(...args);
  }
}

// NOTE: client-node 1.4 picks the patch Content-Type from the first JSON-like media type the
// operation declares (json-patch for every patch call). A request middleware that runs after
// the request is built is the supported way to override it (setHeaderOptions); the same hook
// attaches the abort signal, since the generated methods take no signal of their own.
function signalMiddleware(signal: AbortSignal): ObservableMiddleware {
  return {
    pre: (request) => {
      request.setSignal(signal);
      return new Observable(Promise.resolve(request));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
}

export function createKubeClients(kc: KubeConfig, options: KubeClientsOptions = {}): KubeClients {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const limiter =
    options.qps === undefined
      ? undefined
      : createTokenBucket({ qps: options.qps, burst: options.burst });

  const call: KubeClients['call'] = async (target, fn, opts = {}) => {
    const deadline = opts.timeoutMs ?? timeoutMs;
    const timeout = AbortSignal.timeout(deadline);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let configOptions: ConfigurationOptions<ObservableMiddleware> = {
      middleware: [signalMiddleware(signal)],
      middlewareMergeStrategy: 'append',
    };
    if (opts.contentType)
      configOptions = setHeaderOptions('Content-Type', opts.contentType, configOptions);
    try {
      await limiter?.take(signal);
      return await fn(configOptions);
    } catch (err) {
      throw toClusterError(err, target, {
        timedOut: timeout.aborted,
        aborted: opts.signal?.aborted ?? false,
        timeoutMs: deadline,
      });
    }
  };

  const patch = (
    ref: ResourceRef,
    body: unknown,
    contentType: PatchContentType,
    opts: PatchOptions = {},
  ): Promise<unknown> => {
    const { type, name } = ref;
    const namespace = ref.namespace ?? '';
    const status = opts.subresource === 'status';
    const target: CallTarget = { verb: 'patch', kind: type.kind, namespace, name };
    const callOpts = { ...opts, contentType };
    if (type.group === '' && type.plural === 'services' && !status)
      return call(
        target,
        (o) => core.patchNamespacedService({ name, namespace, body }, o),
        callOpts,
      );
    if (type.group === '' && type.plural === 'events' && !status)
      return call(target, (o) => core.patchNamespacedEvent({ name, namespace, body }, o), callOpts);
    if (type.group === '')
      return Promise.reject(
        new ClusterApiError(
          'Internal',
          `patch of core ${type.plural} is not supported by this adapter`,
        ),
      );
    if (type.group === 'apps' && type.plural === 'deployments')
      return call(
        target,
        (o) =>
          status
            ? apps.patchNamespacedDeploymentStatus({ name, namespace, body }, o)
            : apps.patchNamespacedDeployment({ name, namespace, body }, o),
        callOpts,
      );
    const base = { group: type.group, version: type.version, plural: type.plural, name, body };
    if (!type.namespaced)
      return call(
        target,
        (o) =>
          status
            ? custom.patchClusterCustomObjectStatus(base, o)
            : custom.patchClusterCustomObject(base, o),
        callOpts,
      );
    return call(
      target,
      (o) =>
        status
          ? custom.patchNamespacedCustomObjectStatus({ ...base, namespace }, o)
          : custom.patchNamespacedCustomObject({ ...base, namespace }, o),
      callOpts,
    );
  };

  return {
    config: kc,
    core,
    apps,
    custom,
    coordination,
    watch: limiter ? new RateLimitedWatch(kc, limiter) : new Watch(kc),
    timeoutMs,
    call,
    patchJson: (ref, ops, opts) => patch(ref, ops, PatchStrategy.JsonPatch, opts),
    patchMerge: (ref, body, opts) => patch(ref, body, PatchStrategy.MergePatch, opts),
  };
}
