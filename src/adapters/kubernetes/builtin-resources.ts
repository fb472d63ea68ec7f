import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { CallOptions, KubeClients } from './client.js';
import { RESOURCE_TYPES, keyOf, type ObjectKey } from './resource-types.js';
import type { DeploymentAccess, ResourceAccess } from './resources.js';

// Deployments and Services through the typed AppsV1Api and CoreV1Api, so callers get
// client-node's model objects (V1Deployment, V1Service) with their Date fields.

export function deploymentAccess(clients: KubeClients): DeploymentAccess {
  const { apps } = clients;
  const type = RESOURCE_TYPES.deployment;
  const t = (verb: 'get' | 'list' | 'create' | 'update' | 'delete', key?: ObjectKey) => ({
    verb,
    kind: type.kind,
    namespace: key?.namespace,
    name: key?.name,
  });
  const ns = (key: ObjectKey): string => key.namespace ?? '';
  const patchMerge = async (key: ObjectKey, body: unknown, opts?: CallOptions) =>
    (await clients.patchMerge({ ...key, type }, body, opts)) as V1Deployment;
  return {
    type,
    get: (key, opts) =>
      clients.call(
        t('get', key),
        (o) => apps.readNamespacedDeployment({ name: key.name, namespace: ns(key) }, o),
        opts,
      ),
    async list(opts = {}) {
      const { namespace, labelSelector } = opts;
      const list = await clients.call(
        { verb: 'list', kind: type.kind, namespace },
        (o) =>
          namespace
            ? apps.listNamespacedDeployment({ namespace, labelSelector }, o)
            : apps.listDeploymentForAllNamespaces({ labelSelector }, o),
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
        t('create', keyOf(obj)),
        (o) => apps.createNamespacedDeployment({ namespace: ns(keyOf(obj)), body: obj }, o),
        opts,
      ),
    update: (obj, opts) =>
      clients.call(
        t('update', keyOf(obj)),
        (o) =>
          apps.replaceNamespacedDeployment(
            { name: keyOf(obj).name, namespace: ns(keyOf(obj)), body: obj },
            o,
          ),
        opts,
      ),
    updateStatus: (obj, opts) =>
      clients.call(
        t('update', keyOf(obj)),
        (o) =>
          apps.replaceNamespacedDeploymentStatus(
            { name: keyOf(obj).name, namespace: ns(keyOf(obj)), body: obj },
            o,
          ),
        opts,
      ),
    patchMerge,
    patchJson: async (key, ops, opts) =>
      (await clients.patchJson({ ...key, type }, ops, opts)) as V1Deployment,
    patchStatusMerge: async (key, body, opts) =>
      (await clients.patchMerge({ ...key, type }, body, {
        ...opts,
        subresource: 'status',
      })) as V1Deployment,
    scale: (key, replicas, opts) => patchMerge(key, { spec: { replicas } }, opts),
    async delete(key, opts) {
      await clients.call(
        t('delete', key),
        (o) => apps.deleteNamespacedDeployment({ name: key.name, namespace: ns(key) }, o),
        opts,
      );
    },
  };
}

export function serviceAccess(clients: KubeClients): ResourceAccess<V1Service> {
  const { core } = clients;
  const type = RESOURCE_TYPES.service;
  const t = (verb: 'get' | 'list' | 'create' | 'update' | 'delete', key?: ObjectKey) => ({
    verb,
    kind: type.kind,
    namespace: key?.namespace,
    name: key?.name,
  });
  const ns = (key: ObjectKey): string => key.namespace ?? '';
  return {
    type,
    get: (key, opts) =>
      clients.call(
        t('get', key),
        (o) => core.readNamespacedService({ name: key.name, namespace: ns(key) }, o),
        opts,
      ),
    async list(opts = {}) {
      const { namespace, labelSelector } = opts;
      const list = await clients.call(
        { verb: 'list', kind: type.kind, namespace },
        (o) =>
          namespace
            ? core.listNamespacedService({ namespace, labelSelector }, o)
            : core.listServiceForAllNamespaces({ labelSelector }, o),
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
        t('create', keyOf(obj)),
        (o) => core.createNamespacedService({ namespace: ns(keyOf(obj)), body: obj }, o),
        opts,
      ),
    update: (obj, opts) =>
      clients.call(
        t('update', keyOf(obj)),
        (o) =>
          core.replaceNamespacedService(
            { name: keyOf(obj).name, namespace: ns(keyOf(obj)), body: obj },
            o,
          ),
        opts,
      ),
    patchMerge: async (key, body, opts) =>
      (await clients.patchMerge({ ...key, type }, body, opts)) as V1Service,
    patchJson: async (key, ops, opts) =>
      (await clients.patchJson({ ...key, type }, ops, opts)) as V1Service,
    async delete(key, opts) {
      await clients.call(
        t('delete', key),
        (o) => core.deleteNamespacedService({ name: key.name, namespace: ns(key) }, o),
        opts,
      );
    },
  };
}
