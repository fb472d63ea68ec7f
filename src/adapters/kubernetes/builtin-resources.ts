import type {
  ConfigurationOptions,
  ObservableMiddleware,
  V1Deployment,
  V1ListMeta,
  V1Service,
} from '@kubernetes/client-node';
import type { CallTarget, KubeClients } from './client.js';
import {
  RESOURCE_TYPES,
  keyOf,
  type ObjectKey,
  type ResourceType,
  type WithMeta,
} from './resource-types.js';
import type { DeploymentAccess, ResourceAccess } from './resources.js';

// Deployments and Services through the typed AppsV1Api and CoreV1Api, so callers get
// client-node's model objects (V1Deployment, V1Service) with their Date fields.

type Options = ConfigurationOptions<ObservableMiddleware>;
interface Named {
  name: string;
  namespace: string;
}

/** One kind's calls in client-node's typed API (AppsV1Api, CoreV1Api...). */
interface TypedCalls<T> {
  read(p: Named, o: Options): Promise<T>;
  listNamespaced(
    p: { namespace: string; labelSelector: string | undefined },
    o: Options,
  ): Promise<{ items: T[]; metadata?: V1ListMeta | undefined }>;
  listAll(
    p: { labelSelector: string | undefined },
    o: Options,
  ): Promise<{ items: T[]; metadata?: V1ListMeta | undefined }>;
  create(p: { namespace: string; body: T }, o: Options): Promise<T>;
  replace(p: Named & { body: T }, o: Options): Promise<T>;
  delete(p: Named, o: Options): Promise<unknown>;
}

const target = (type: ResourceType, verb: CallTarget['verb'], key?: ObjectKey): CallTarget => ({
  verb,
  kind: type.kind,
  namespace: key?.namespace,
  name: key?.name,
});
const named = (key: ObjectKey): Named => ({ name: key.name, namespace: key.namespace ?? '' });

/** ResourceAccess over a built-in kind's typed calls; patches go through the generic clients. */
function typedAccess<T extends WithMeta>(
  clients: KubeClients,
  type: ResourceType,
  calls: TypedCalls<T>,
): ResourceAccess<T> {
  return {
    type,
    get: (key, opts) =>
      clients.call(target(type, 'get', key), (o) => calls.read(named(key), o), opts),
    async list(opts = {}) {
      const { namespace, labelSelector } = opts;
      const list = await clients.call(
        { verb: 'list', kind: type.kind, namespace },
        (o) =>
          namespace
            ? calls.listNamespaced({ namespace, labelSelector }, o)
            : calls.listAll({ labelSelector }, o),
        opts,
      );
      return {
        items: list.items,
        invalid: [],
        resourceVersion: list.metadata?.resourceVersion ?? '',
      };
    },
    create: (obj, opts) =>
      clients.call(
        target(type, 'create', keyOf(obj)),
        (o) => calls.create({ namespace: named(keyOf(obj)).namespace, body: obj }, o),
        opts,
      ),
    update: (obj, opts) =>
      clients.call(
        target(type, 'update', keyOf(obj)),
        (o) => calls.replace({ ...named(keyOf(obj)), body: obj }, o),
        opts,
      ),
    patchMerge: async (key, body, opts) =>
      (await clients.patchMerge({ ...key, type }, body, opts)) as T,
    patchJson: async (key, ops, opts) =>
      (await clients.patchJson({ ...key, type }, ops, opts)) as T,
    async delete(key, opts) {
      await clients.call(target(type, 'delete', key), (o) => calls.delete(named(key), o), opts);
    },
  };
}

export function deploymentAccess(clients: KubeClients): DeploymentAccess {
  const { apps } = clients;
  const type = RESOURCE_TYPES.deployment;
  const base = typedAccess<V1Deployment>(clients, type, {
    read: (p, o) => apps.readNamespacedDeployment(p, o),
    listNamespaced: (p, o) => apps.listNamespacedDeployment(p, o),
    listAll: (p, o) => apps.listDeploymentForAllNamespaces(p, o),
    create: (p, o) => apps.createNamespacedDeployment(p, o),
    replace: (p, o) => apps.replaceNamespacedDeployment(p, o),
    delete: (p, o) => apps.deleteNamespacedDeployment(p, o),
  });
  return {
    ...base,
    updateStatus: (obj, opts) =>
      clients.call(
        target(type, 'update', keyOf(obj)),
        (o) => apps.replaceNamespacedDeploymentStatus({ ...named(keyOf(obj)), body: obj }, o),
        opts,
      ),
    patchStatusMerge: async (key, body, opts) =>
      (await clients.patchMerge({ ...key, type }, body, {
        ...opts,
        subresource: 'status',
      })) as V1Deployment,
    scale: (key, replicas, opts) => base.patchMerge(key, { spec: { replicas } }, opts),
  };
}

export function serviceAccess(clients: KubeClients): ResourceAccess<V1Service> {
  const { core } = clients;
  return typedAccess<V1Service>(clients, RESOURCE_TYPES.service, {
    read: (p, o) => core.readNamespacedService(p, o),
    listNamespaced: (p, o) => core.listNamespacedService(p, o),
    listAll: (p, o) => core.listServiceForAllNamespaces(p, o),
    create: (p, o) => core.createNamespacedService(p, o),
    replace: (p, o) => core.replaceNamespacedService(p, o),
    delete: (p, o) => core.deleteNamespacedService(p, o),
  });
}
