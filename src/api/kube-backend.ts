import {
  AppsV1Api,
  CustomObjectsApi,
  Observable,
  type ConfigurationOptions,
  type KubeConfig,
  type RequestContext,
  type ResponseContext,
  type V1Deployment,
} from '@kubernetes/client-node';
import type { Command } from '../domain/commands.js';
import { SluiceError } from '../domain/errors.js';
import { GROUP, VERSION, type Rollout } from '../domain/types.js';
import type {
  ImageUpdate,
  RecordOptions,
  RecordResult,
  RolloutBackend,
  RolloutRef,
} from './backend.js';
import { annotationsWith } from './command-rules.js';
import {
  BadRequestError,
  CommandConflictError,
  NotFoundError,
  UnavailableError,
} from './errors.js';

// RolloutBackend on the Kubernetes API (sluice.dev/v1alpha1 rollouts). A command is written
// with a PUT that carries the resourceVersion it was decided on, so two concurrent commands
// can never both pass a check that only one of them should: the loser gets 409, re-reads,
// and is decided again on what is there now.

const PLURAL = 'rollouts';

/** A watch-fed cache of Rollouts (the controller's Informer<Rollout> fits). */
export interface RolloutReadCache {
  get(namespace: string | undefined, name: string): Rollout | undefined;
  list(namespace?: string): Rollout[];
  hasSynced(): boolean;
}

export interface KubeBackendOptions {
  /**
   * Serves list/get from this cache once it has synced, so status reads cost no API call.
   * Commands always re-read from the API server: their checks must see the newest version.
   */
  readCache?: RolloutReadCache;
  /** Per-call limit. Default 10,000 ms. */
  timeoutMs?: number;
  /** Write attempts on 409 before giving up. Default 20. */
  maxAttempts?: number;
}

export class KubeRolloutBackend implements RolloutBackend {
  private readonly custom: CustomObjectsApi;
  private readonly apps: AppsV1Api;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly cache: RolloutReadCache | undefined;

  constructor(kubeConfig: KubeConfig, options: KubeBackendOptions = {}) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 20;
    this.cache = options.readCache;
  }

  async list(namespace: string | undefined, signal?: AbortSignal): Promise<Rollout[]> {
    if (this.cache?.hasSynced()) return this.cache.list(namespace);
    const opts = this.options(signal);
    const body: unknown = await call('list rollouts', () =>
      namespace === undefined
        ? this.custom.listClusterCustomObject(
            { group: GROUP, version: VERSION, plural: PLURAL },
            opts,
          )
        : this.custom.listNamespacedCustomObject(
            { group: GROUP, version: VERSION, namespace, plural: PLURAL },
            opts,
          ),
    );
    const items = (body as { items?: unknown }).items;
    if (!Array.isArray(items))
      throw new UnavailableError('the API server sent a list without items');
    return items.map((item) => parseRollout(item));
  }

  async get(ref: RolloutRef, signal?: AbortSignal): Promise<Rollout> {
    if (this.cache?.hasSynced()) {
      const cached = this.cache.get(ref.namespace, ref.name);
      if (!cached) throw new NotFoundError(`rollout ${ref.namespace}/${ref.name}: not found`);
      return cached;
    }
    return this.read(ref, signal);
  }

  private async read(ref: RolloutRef, signal?: AbortSignal): Promise<Rollout> {
    const body: unknown = await call(`get rollout ${ref.namespace}/${ref.name}`, () =>
      this.custom.getNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: ref.namespace,
          plural: PLURAL,
          name: ref.name,
        },
        this.options(signal),
      ),
    );
    return parseRollout(body);
  }

  async recordCommand(
    ref: RolloutRef,
    command: Command,
    options: RecordOptions,
  ): Promise<RecordResult> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.read(ref, options.signal);
      if (
        options.expectedResourceVersion !== undefined &&
        current.metadata.resourceVersion !== options.expectedResourceVersion
      )
        throw new CommandConflictError(
          `rollout ${ref.namespace}/${ref.name} changed since resourceVersion ${options.expectedResourceVersion}`,
        );
      const decision = options.decide(current);
      if (decision.action === 'pending')
        return { requestId: decision.pendingId, written: false, rollout: current };
      const next: Rollout = {
        ...current,
        metadata: {
          ...current.metadata,
          annotations: annotationsWith(current.metadata.annotations, command, decision),
        },
      };
      try {
        const written: unknown = await call(
          `record ${command.kind} on ${ref.namespace}/${ref.name}`,
          () =>
            this.custom.replaceNamespacedCustomObject(
              {
                group: GROUP,
                version: VERSION,
                namespace: ref.namespace,
                plural: PLURAL,
                name: ref.name,
                body: next,
              },
              this.options(options.signal),
            ),
        );
        return { requestId: command.id, written: true, rollout: parseRollout(written) };
      } catch (err) {
        const retry = err instanceof KubeConflict && options.expectedResourceVersion === undefined;
        if (!retry || attempt >= this.maxAttempts) throw conflictOrSelf(err);
        await delay(Math.random() * Math.min(100, 5 * attempt), options.signal);
      }
    }
  }

  async setTargetImage(
    ref: RolloutRef,
    container: string,
    image: string,
    signal?: AbortSignal,
  ): Promise<ImageUpdate> {
    const rollout = await this.get(ref, signal);
    const name = rollout.spec.targetRef.name;
    for (let attempt = 1; ; attempt++) {
      const dep: V1Deployment = await call(`get deployment ${ref.namespace}/${name}`, () =>
        this.apps.readNamespacedDeployment(
          { namespace: ref.namespace, name },
          this.options(signal),
        ),
      );
      const c = dep.spec?.template.spec?.containers.find((x) => x.name === container);
      if (!c)
        throw new BadRequestError(
          `deployment ${ref.namespace}/${name} has no container "${container}"`,
        );
      if (c.image === image) return { deployment: name, container, image, changed: false };
      c.image = image;
      try {
        await call(`set image of ${ref.namespace}/${name}`, () =>
          this.apps.replaceNamespacedDeployment(
            { namespace: ref.namespace, name, body: dep },
            this.options(signal),
          ),
        );
        return { deployment: name, container, image, changed: true };
      } catch (err) {
        if (!(err instanceof KubeConflict) || attempt >= this.maxAttempts)
          throw conflictOrSelf(err);
        await delay(Math.random() * Math.min(100, 5 * attempt), signal);
      }
    }
  }

  private options(signal?: AbortSignal): ConfigurationOptions {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    return {
      middleware: [
        {
          pre: (ctx: RequestContext) => {
            ctx.setSignal(combined);
            return new Observable(Promise.resolve(ctx));
          },
          post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
        },
      ],
      middlewareMergeStrategy: 'append',
    };
  }
}

/** A 409 from the API server; internal to the retry loops. */
class KubeConflict extends SluiceError {
  constructor(what: string, cause: unknown) {
    super('Conflict', `${what}: the object changed meanwhile`, { cause, retriable: true });
  }
}

function conflictOrSelf(err: unknown): unknown {
  if (err instanceof KubeConflict)
    return new CommandConflictError('the rollout kept changing; try again', { cause: err });
  return err;
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 404) throw new NotFoundError(`${what}: not found`, { cause: err });
    if (code === 409) throw new KubeConflict(what, err);
    if (code === 422 || code === 400)
      throw new BadRequestError(`${what}: the API server refused it`, { cause: err });
    throw new UnavailableError(`${what}: the Kubernetes API did not answer as expected`, {
      cause: err,
    });
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Shape check at the boundary; the CRD schema has validated the rest on the server.
 * NOTE: deliberately not the full semantic parse (adapters/kubernetes/parse.ts): a Rollout the
 * controller marked Invalid must still be readable here, with its status.
 */
export function parseRollout(value: unknown): Rollout {
  const v = value as Partial<Rollout> | null;
  const ok =
    typeof v === 'object' &&
    v !== null &&
    v.kind === 'Rollout' &&
    typeof v.metadata?.name === 'string' &&
    typeof v.spec === 'object' &&
    v.spec !== null &&
    typeof v.spec.targetRef?.name === 'string';
  if (!ok) throw new UnavailableError('the API server sent something that is not a Rollout');
  return v as Rollout;
}
