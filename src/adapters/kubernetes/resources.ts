import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { deploymentAccess, serviceAccess } from './builtin-resources.js';
import { SluiceError } from '../../domain/errors.js';
import type { AnalysisRun, AnalysisTemplate, Rollout } from '../../domain/types.js';
import type { CallOptions, JsonPatchOp, KubeClients } from './client.js';
import {
  parseAnalysisRunObject,
  parseAnalysisTemplateObject,
  parseRolloutObject,
  type Parser,
} from './parsers.js';
import {
  RESOURCE_TYPES,
  keyOf,
  objectKeyString,
  type ObjectKey,
  type ResourceType,
  type WithMeta,
} from './resource-types.js';

export interface ListOptions extends CallOptions {
  /** Omit for every namespace (or for a cluster-scoped kind). */
  namespace?: string | undefined;
  labelSelector?: string | undefined;
}

/** An object the API server holds but that failed validation; the controller reports it. */
export interface InvalidObject {
  key: string;
  raw: unknown;
  error: SluiceError;
}

export interface ListResult<T> {
  items: T[];
  /** Objects that did not parse; never silently dropped. */
  invalid: InvalidObject[];
  /** The collection's resourceVersion, to start a watch from. */
  resourceVersion: string;
}

/** Typed access to one kind. Every method throws the typed errors of errors.ts. */
export interface ResourceAccess<T> {
  readonly type: ResourceType;
  /** Throws ResourceNotFoundError, or InvalidSpecError when the stored object does not parse. */
  get(key: ObjectKey, opts?: CallOptions): Promise<T>;
  list(opts?: ListOptions): Promise<ListResult<T>>;
  create(obj: T, opts?: CallOptions): Promise<T>;
  /** PUT guarded by `metadata.resourceVersion`: a stale one gives a retriable ResourceConflictError. */
  update(obj: T, opts?: CallOptions): Promise<T>;
  patchMerge(key: ObjectKey, body: unknown, opts?: CallOptions): Promise<T>;
  patchJson(key: ObjectKey, ops: JsonPatchOp[], opts?: CallOptions): Promise<T>;
  delete(key: ObjectKey, opts?: CallOptions): Promise<void>;
}

export interface StatusAccess<T> extends ResourceAccess<T> {
  /** PUT to /status with `metadata.resourceVersion`: only `.status` changes; 409 when stale. */
  updateStatus(obj: T, opts?: CallOptions): Promise<T>;
  /** Merge patch of /status, for writing a status without a parsed object (e.g. Invalid). */
  patchStatusMerge(key: ObjectKey, body: unknown, opts?: CallOptions): Promise<T>;
}

export interface DeploymentAccess extends StatusAccess<V1Deployment> {
  /** Sets spec.replicas with a merge patch (nothing else in the object is sent). */
  scale(key: ObjectKey, replicas: number, opts?: CallOptions): Promise<V1Deployment>;
}

export interface Resources {
  rollouts: StatusAccess<Rollout>;
  analysisTemplates: ResourceAccess<AnalysisTemplate>;
  clusterAnalysisTemplates: ResourceAccess<AnalysisTemplate>;
  analysisRuns: StatusAccess<AnalysisRun>;
  deployments: DeploymentAccess;
  services: ResourceAccess<V1Service>;
}

export function createResources(clients: KubeClients): Resources {
  return {
    rollouts: customResource(clients, RESOURCE_TYPES.rollout, parseRolloutObject),
    analysisTemplates: customResource(
      clients,
      RESOURCE_TYPES.analysisTemplate,
      parseAnalysisTemplateObject,
    ),
    clusterAnalysisTemplates: customResource(
      clients,
      RESOURCE_TYPES.clusterAnalysisTemplate,
      parseAnalysisTemplateObject,
    ),
    analysisRuns: customResource(clients, RESOURCE_TYPES.analysisRun, parseAnalysisRunObject),
    deployments: deploymentAccess(clients),
    services: serviceAccess(clients),
  };
}

/** Parses list items one by one, so one bad object does not hide the others. */
export function parseItems<T>(
  raw: unknown[],
  parse: Parser<T>,
): Omit<ListResult<T>, 'resourceVersion'> {
  const items: T[] = [];
  const invalid: InvalidObject[] = [];
  for (const item of raw) {
    try {
      items.push(parse(item));
    } catch (err) {
      if (!(err instanceof SluiceError)) throw err;
      invalid.push({ key: objectKeyString(keyOf(item as WithMeta)), raw: item, error: err });
    }
  }
  return { items, invalid };
}

function listOf(raw: unknown): { items: unknown[]; resourceVersion: string } {
  const obj = (typeof raw === 'object' && raw !== null ? raw : {}) as {
    items?: unknown;
    metadata?: { resourceVersion?: unknown };
  };
  const rv = obj.metadata?.resourceVersion;
  return {
    items: Array.isArray(obj.items) ? obj.items : [],
    resourceVersion: typeof rv === 'string' ? rv : '',
  };
}

/** Sluice's own kinds (and any other custom resource) through CustomObjectsApi. */
export function customResource<T extends WithMeta>(
  clients: KubeClients,
  type: ResourceType,
  parse: Parser<T>,
): StatusAccess<T> {
  const { custom } = clients;
  const gvp = { group: type.group, version: type.version, plural: type.plural };
  const target = (verb: 'get' | 'list' | 'create' | 'update' | 'delete', key?: ObjectKey) => ({
    verb,
    kind: type.kind,
    namespace: key?.namespace,
    name: key?.name,
  });
  const ns = (key: ObjectKey): string => key.namespace ?? '';

  const replace = async (obj: T, status: boolean, opts?: CallOptions): Promise<T> => {
    const key = keyOf(obj);
    const body = obj as object;
    const raw: unknown = await clients.call(
      target('update', key),
      (o) => {
        const p = { ...gvp, name: key.name, body };
        if (!type.namespaced)
          return status
            ? custom.replaceClusterCustomObjectStatus(p, o)
            : custom.replaceClusterCustomObject(p, o);
        return status
          ? custom.replaceNamespacedCustomObjectStatus({ ...p, namespace: ns(key) }, o)
          : custom.replaceNamespacedCustomObject({ ...p, namespace: ns(key) }, o);
      },
      opts,
    );
    return parse(raw);
  };

  return {
    type,
    async get(key, opts) {
      const raw: unknown = await clients.call(
        target('get', key),
        (o) =>
          type.namespaced
            ? custom.getNamespacedCustomObject({ ...gvp, namespace: ns(key), name: key.name }, o)
            : custom.getClusterCustomObject({ ...gvp, name: key.name }, o),
        opts,
      );
      return parse(raw);
    },
    async list(opts = {}) {
      const labelSelector = opts.labelSelector;
      const raw: unknown = await clients.call(
        { verb: 'list', kind: type.kind, namespace: opts.namespace },
        (o) =>
          type.namespaced && opts.namespace
            ? custom.listNamespacedCustomObject(
                { ...gvp, namespace: opts.namespace, labelSelector },
                o,
              )
            : custom.listClusterCustomObject({ ...gvp, labelSelector }, o),
        opts,
      );
      const list = listOf(raw);
      return { ...parseItems(list.items, parse), resourceVersion: list.resourceVersion };
    },
    async create(obj, opts) {
      const key = keyOf(obj);
      const body = obj as object;
      const raw: unknown = await clients.call(
        target('create', key),
        (o) =>
          type.namespaced
            ? custom.createNamespacedCustomObject({ ...gvp, namespace: ns(key), body }, o)
            : custom.createClusterCustomObject({ ...gvp, body }, o),
        opts,
      );
      return parse(raw);
    },
    update: (obj, opts) => replace(obj, false, opts),
    updateStatus: (obj, opts) => replace(obj, true, opts),
    async patchMerge(key, body, opts) {
      return parse(await clients.patchMerge({ ...key, type }, body, opts));
    },
    async patchJson(key, ops, opts) {
      return parse(await clients.patchJson({ ...key, type }, ops, opts));
    },
    async patchStatusMerge(key, body, opts) {
      return parse(
        await clients.patchMerge({ ...key, type }, body, { ...opts, subresource: 'status' }),
      );
    },
    async delete(key, opts) {
      await clients.call(
        target('delete', key),
        (o) =>
          type.namespaced
            ? custom.deleteNamespacedCustomObject({ ...gvp, namespace: ns(key), name: key.name }, o)
            : custom.deleteClusterCustomObject({ ...gvp, name: key.name }, o),
        opts,
      );
    },
  };
}
