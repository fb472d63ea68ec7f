// The /scale subresource: an autoscaling/v1 Scale view of spec/status replicas.
import { getPath, setPath } from './objects.js';
import { selectorToString } from './selectors.js';
import { invalid } from './status.js';
import { isObject, metadataOf, type KubeObject, type ResourceDef } from './types.js';

export function toScale(def: ResourceDef, obj: KubeObject): KubeObject {
  const scale = def.scale;
  const meta = metadataOf(obj);
  const selector =
    scale?.labelSelectorPath === undefined ? undefined : getPath(obj, scale.labelSelectorPath);
  const status: Record<string, unknown> = {
    replicas: getPath(obj, scale?.statusReplicasPath ?? '') ?? 0,
  };
  if (selector !== undefined)
    status['selector'] = typeof selector === 'string' ? selector : selectorToString(selector);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta['name'],
      namespace: meta['namespace'],
      uid: meta['uid'],
      resourceVersion: meta['resourceVersion'],
      creationTimestamp: meta['creationTimestamp'],
    },
    spec: { replicas: getPath(obj, scale?.specReplicasPath ?? '') ?? 0 },
    status,
  };
}

/** The full object with the Scale's spec.replicas written into it (and its resourceVersion). */
export function fromScale(def: ResourceDef, existing: KubeObject, scale: KubeObject): KubeObject {
  const spec = isObject(scale['spec']) ? scale['spec'] : {};
  const replicas = spec['replicas'];
  const name = String(metadataOf(existing)['name'] ?? '');
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', name, [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        field: 'spec.replicas',
      },
    ]);
  }
  const next = structuredClone(existing);
  setPath(next, def.scale?.specReplicasPath ?? '.spec.replicas', replicas);
  const rv = isObject(scale['metadata']) ? scale['metadata']['resourceVersion'] : undefined;
  if (typeof rv === 'string' && rv !== '') metadataOf(next)['resourceVersion'] = rv;
  else delete metadataOf(next)['resourceVersion'];
  return next;
}
