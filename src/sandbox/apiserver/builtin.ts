// The built-in resources the sandbox serves, with the defaulting and validation that
// kube-apiserver applies to them (only the parts Sluice and kubectl can observe).
import { validateVirtualService } from './istio.js';
import { ApiStatusError } from './status.js';
import { selectorToString, parseLabelSelector } from './selectors.js';
import { isObject, type Cause, type KubeObject, type ResourceDef, type Schema } from './types.js';

const open = (properties: Record<string, Schema> = {}): Schema => ({
  type: 'object',
  properties,
  'x-kubernetes-preserve-unknown-fields': true,
});

const LEASE_SCHEMA: Schema = open({
  spec: open({
    holderIdentity: { type: 'string', nullable: true },
    leaseDurationSeconds: { type: 'integer', minimum: 1, nullable: true },
    acquireTime: { type: 'string', nullable: true },
    renewTime: { type: 'string', nullable: true },
    leaseTransitions: { type: 'integer', minimum: 0, nullable: true },
  }),
});

const DEPLOYMENT_SCHEMA: Schema = open({
  spec: {
    ...open({
      replicas: { type: 'integer', minimum: 0 },
      progressDeadlineSeconds: { type: 'integer', minimum: 1 },
      selector: open(),
      template: open({
        metadata: open(),
        spec: open({ containers: { type: 'array', minItems: 1 } }),
      }),
    }),
    required: ['selector', 'template'],
  },
});

const SERVICE_SCHEMA: Schema = open({
  spec: open({
    selector: { type: 'object', additionalProperties: { type: 'string' } },
    ports: {
      type: 'array',
      items: {
        ...open({ port: { type: 'integer', minimum: 1, maximum: 65535 } }),
        required: ['port'],
      },
    },
  }),
});

const VIRTUAL_SERVICE_SCHEMA: Schema = open({
  spec: open({
    hosts: { type: 'array', items: { type: 'string' } },
    http: { type: 'array', items: open() },
  }),
});

/** metav1.MicroTime only parses RFC 3339 with exactly six fractional digits. */
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

function decodeLease(obj: KubeObject): void {
  const spec = isObject(obj['spec']) ? obj['spec'] : {};
  for (const field of ['acquireTime', 'renewTime']) {
    const v = spec[field];
    if (typeof v === 'string' && !MICRO_TIME.test(v)) {
      throw new ApiStatusError(
        400,
        `Lease in version "v1" cannot be handled as a Lease: parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05.000000Z07:00": spec.${field} must be a MicroTime with six fractional digits`,
        'BadRequest',
      );
    }
  }
}

function getMap(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = obj[key];
  if (isObject(v)) return v;
  const fresh: Record<string, unknown> = {};
  obj[key] = fresh;
  return fresh;
}

function defaultDeployment(obj: KubeObject): void {
  const spec = getMap(obj, 'spec');
  spec['replicas'] ??= 1;
  spec['progressDeadlineSeconds'] ??= 600;
  spec['revisionHistoryLimit'] ??= 10;
  spec['strategy'] ??= {
    type: 'RollingUpdate',
    rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
  };
  const template = spec['template'];
  if (isObject(template)) {
    const podSpec = getMap(template, 'spec');
    podSpec['restartPolicy'] ??= 'Always';
    podSpec['dnsPolicy'] ??= 'ClusterFirst';
    podSpec['terminationGracePeriodSeconds'] ??= 30;
  }
}

function validateDeployment(obj: KubeObject): Cause[] {
  const spec = isObject(obj['spec']) ? obj['spec'] : {};
  const template = isObject(spec['template']) ? spec['template'] : {};
  const meta = isObject(template['metadata']) ? template['metadata'] : {};
  const labels: Record<string, string> = {};
  if (isObject(meta['labels']))
    for (const [k, v] of Object.entries(meta['labels'])) labels[k] = String(v);
  const selector = selectorToString(spec['selector']);
  const causes: Cause[] = [];
  if (selector === '') {
    causes.push({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: "{}": empty selector is invalid for deployment',
      field: 'spec.selector',
    });
  } else if (!parseLabelSelector(selector)(labels)) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
      field: 'spec.template.metadata.labels',
    });
  }
  const podSpec = isObject(template['spec']) ? template['spec'] : {};
  const containers = Array.isArray(podSpec['containers']) ? podSpec['containers'] : [];
  containers.forEach((c, i) => {
    if (!isObject(c) || typeof c['name'] !== 'string' || c['name'] === '') {
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: `spec.template.spec.containers[${i}].name`,
      });
    }
    if (!isObject(c) || typeof c['image'] !== 'string' || c['image'] === '') {
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: `spec.template.spec.containers[${i}].image`,
      });
    }
  });
  return causes;
}

let nextClusterIp = 1;

function defaultService(obj: KubeObject): void {
  const spec = getMap(obj, 'spec');
  spec['type'] ??= 'ClusterIP';
  spec['sessionAffinity'] ??= 'None';
  if (spec['clusterIP'] === undefined) {
    const n = nextClusterIp++;
    spec['clusterIP'] = `10.96.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
    spec['clusterIPs'] = [spec['clusterIP']];
  }
  const ports = spec['ports'];
  if (Array.isArray(ports)) {
    for (const p of ports) {
      if (!isObject(p)) continue;
      p['protocol'] ??= 'TCP';
      p['targetPort'] ??= p['port'];
    }
  }
}

function defaultSecret(obj: KubeObject): void {
  obj['type'] ??= 'Opaque';
  const stringData = obj['stringData'];
  if (isObject(stringData)) {
    const data = getMap(obj, 'data');
    for (const [k, v] of Object.entries(stringData))
      data[k] = Buffer.from(String(v)).toString('base64');
    delete obj['stringData'];
  }
}

function defaultNamespace(obj: KubeObject): void {
  obj['status'] = { phase: 'Active' };
  const meta = getMap(obj, 'metadata');
  const labels = getMap(meta, 'labels');
  labels['kubernetes.io/metadata.name'] = String(meta['name']);
}

function base(
  partial: Partial<ResourceDef> & Pick<ResourceDef, 'group' | 'plural' | 'kind'>,
): ResourceDef {
  return {
    versions: [{ name: 'v1', printerColumns: [] }],
    singular: partial.kind.toLowerCase(),
    listKind: `${partial.kind}List`,
    namespaced: true,
    shortNames: [],
    categories: [],
    statusSubresource: false,
    builtin: true,
    generation: 'none',
    preserveUnknown: true,
    ...partial,
  };
}

export function builtinResources(): ResourceDef[] {
  return [
    base({
      group: '',
      plural: 'namespaces',
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      statusSubresource: true,
      applyDefaults: defaultNamespace,
    }),
    base({
      group: '',
      plural: 'services',
      kind: 'Service',
      shortNames: ['svc'],
      categories: ['all'],
      statusSubresource: true,
      applyDefaults: defaultService,
      versions: [{ name: 'v1', schema: SERVICE_SCHEMA, printerColumns: [] }],
    }),
    base({ group: '', plural: 'events', kind: 'Event', shortNames: ['ev'] }),
    base({ group: '', plural: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
    base({ group: '', plural: 'secrets', kind: 'Secret', applyDefaults: defaultSecret }),
    base({
      group: 'apps',
      plural: 'deployments',
      kind: 'Deployment',
      shortNames: ['deploy'],
      categories: ['all'],
      statusSubresource: true,
      scale: {
        specReplicasPath: '.spec.replicas',
        statusReplicasPath: '.status.replicas',
        labelSelectorPath: '.spec.selector',
      },
      generation: 'spec',
      versions: [{ name: 'v1', schema: DEPLOYMENT_SCHEMA, printerColumns: [] }],
      applyDefaults: defaultDeployment,
      validate: validateDeployment,
    }),
    base({
      group: 'coordination.k8s.io',
      plural: 'leases',
      kind: 'Lease',
      versions: [{ name: 'v1', schema: LEASE_SCHEMA, printerColumns: [] }],
      applyDefaults: decodeLease,
    }),
    base({ group: 'events.k8s.io', plural: 'events', kind: 'Event', shortNames: ['ev'] }),
    base({
      group: 'networking.istio.io',
      plural: 'virtualservices',
      kind: 'VirtualService',
      shortNames: ['vs'],
      categories: ['istio-io', 'networking-istio-io'],
      statusSubresource: true,
      builtin: false,
      generation: 'nonMetadata',
      versions: ['v1', 'v1beta1', 'v1alpha3'].map((name) => ({
        name,
        schema: VIRTUAL_SERVICE_SCHEMA,
        printerColumns: [
          { name: 'Gateways', type: 'string', jsonPath: '.spec.gateways' },
          { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
      })),
      validate: validateVirtualService,
    }),
    base({
      group: 'apiextensions.k8s.io',
      plural: 'customresourcedefinitions',
      kind: 'CustomResourceDefinition',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      statusSubresource: true,
      generation: 'spec',
    }),
  ];
}
