import { GROUP, VERSION } from '../../domain/types.js';

/** Where a kind of object lives in the API: enough to build its URL and name it in errors. */
export interface ResourceType {
  /** '' for the core group (`/api/v1`). */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** One object: `namespace` is ignored for cluster-scoped kinds. */
export interface ObjectKey {
  namespace?: string | undefined;
  name: string;
}

export interface ResourceRef extends ObjectKey {
  type: ResourceType;
}

export const RESOURCE_TYPES = {
  rollout: {
    group: GROUP,
    version: VERSION,
    plural: 'rollouts',
    kind: 'Rollout',
    namespaced: true,
  },
  analysisTemplate: {
    group: GROUP,
    version: VERSION,
    plural: 'analysistemplates',
    kind: 'AnalysisTemplate',
    namespaced: true,
  },
  clusterAnalysisTemplate: {
    group: GROUP,
    version: VERSION,
    plural: 'clusteranalysistemplates',
    kind: 'ClusterAnalysisTemplate',
    namespaced: false,
  },
  analysisRun: {
    group: GROUP,
    version: VERSION,
    plural: 'analysisruns',
    kind: 'AnalysisRun',
    namespaced: true,
  },
  deployment: {
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    kind: 'Deployment',
    namespaced: true,
  },
  service: { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  event: { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  lease: {
    group: 'coordination.k8s.io',
    version: 'v1',
    plural: 'leases',
    kind: 'Lease',
    namespaced: true,
  },
  virtualService: {
    group: 'networking.istio.io',
    version: 'v1',
    plural: 'virtualservices',
    kind: 'VirtualService',
    namespaced: true,
  },
} as const satisfies Record<string, ResourceType>;

/** `namespace/name` (or `name` for cluster-scoped objects): the work-queue key and error label. */
export function objectKeyString(key: ObjectKey): string {
  return key.namespace ? `${key.namespace}/${key.name}` : key.name;
}

/** The collection path, e.g. `/apis/apps/v1/namespaces/demo/deployments` or `/api/v1/services`. */
export function collectionPath(type: ResourceType, namespace?: string): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${type.plural}`;
}

/** The metadata every object has, as far as keys are concerned. */
export interface WithMeta {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string } | undefined;
}

export function keyOf(obj: WithMeta): ObjectKey {
  return { namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' };
}
