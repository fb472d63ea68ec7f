import { createHash } from 'node:crypto';
import type { V1Deployment, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Rollout } from '../domain/types.js';
import type { WorkloadState } from '../domain/rollout/model.js';

export const REVISION_ANNOTATION = 'sluice.dev/revision';
export const ROLLOUT_LABEL = 'sluice.dev/rollout';

/** Canonical JSON: object keys sorted, so equal templates hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The revision of a pod template: the first 10 hex digits of the SHA-256 of its canonical JSON. */
export function templateHash(template: V1PodTemplateSpec | undefined): string {
  return createHash('sha256')
    .update(canonical(template ?? {}))
    .digest('hex')
    .slice(0, 10);
}

/** Deployment rollout finished: observedGeneration caught up and every replica updated and available. */
export function isAvailable(dep: V1Deployment): boolean {
  const want = dep.spec?.replicas ?? 1;
  const st = dep.status ?? {};
  const caughtUp = (st.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 1);
  if (!caughtUp) return false;
  if (want === 0) return (st.replicas ?? 0) === 0;
  return (
    (st.updatedReplicas ?? 0) >= want &&
    (st.availableReplicas ?? 0) >= want &&
    (st.replicas ?? 0) === want
  );
}

export function targetState(dep: V1Deployment): WorkloadState {
  return {
    revision: templateHash(dep.spec?.template),
    replicas: dep.spec?.replicas ?? 1,
    available: isAvailable(dep) && (dep.spec?.replicas ?? 1) > 0,
    availableReplicas: dep.status?.availableReplicas ?? 0,
  };
}

export function primaryState(dep: V1Deployment): WorkloadState {
  return {
    revision: dep.metadata?.annotations?.[REVISION_ANNOTATION] ?? 'unknown',
    replicas: dep.spec?.replicas ?? 1,
    available: isAvailable(dep),
    availableReplicas: dep.status?.availableReplicas ?? 0,
  };
}

/** Selector values of the primary: `app: shop` becomes `app: shop-primary`, so the two never overlap. */
export function primaryLabels(
  labels: Record<string, string> | undefined,
  selectorKeys: string[],
): Record<string, string> {
  const out: Record<string, string> = { ...(labels ?? {}) };
  for (const key of selectorKeys) {
    if (out[key] !== undefined) out[key] = `${out[key]}-primary`;
  }
  return out;
}

export function primaryName(rollout: Rollout): string {
  return `${rollout.metadata.name}-primary`;
}

/** The pod template the primary runs for the target's current template. */
export function primaryTemplate(target: V1Deployment): V1PodTemplateSpec {
  const selectorKeys = Object.keys(target.spec?.selector?.matchLabels ?? {});
  const template = structuredClone(target.spec?.template ?? {});
  template.metadata = {
    ...(template.metadata ?? {}),
    labels: primaryLabels(template.metadata?.labels, selectorKeys),
  };
  return template;
}

export function buildPrimary(
  rollout: Rollout,
  target: V1Deployment,
  replicas: number,
): V1Deployment {
  const selectorKeys = Object.keys(target.spec?.selector?.matchLabels ?? {});
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: primaryName(rollout),
      namespace: rollout.metadata.namespace,
      labels: { ...(target.metadata?.labels ?? {}), [ROLLOUT_LABEL]: rollout.metadata.name },
      // NOTE: no ownerReference: the primary serves production traffic, so deleting the Rollout
      // must not garbage-collect it (see README, "Removing a Rollout").
      annotations: { [REVISION_ANNOTATION]: templateHash(target.spec?.template) },
    },
    spec: {
      replicas,
      selector: { matchLabels: primaryLabels(target.spec?.selector?.matchLabels, selectorKeys) },
      template: primaryTemplate(target),
      ...(target.spec?.progressDeadlineSeconds !== undefined
        ? { progressDeadlineSeconds: target.spec.progressDeadlineSeconds }
        : {}),
    },
  };
}

export function ownerRef(rollout: Rollout): {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
} {
  return {
    apiVersion: rollout.apiVersion,
    kind: 'Rollout',
    name: rollout.metadata.name,
    uid: rollout.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Marks the pods of `<name>-baseline`; its selector adds it to the primary's. */
export const BASELINE_LABEL = 'sluice.dev/baseline';

export function baselineName(rollout: Rollout): string {
  return `${rollout.metadata.name}-baseline`;
}

/**
 * `<name>-baseline`: the primary's (stable) pod template at `replicas`. Its pods keep the
 * primary's labels, so the `<name>-primary` Service selects them too: they take a share of the
 * stable traffic (never of the canary's, and the primary keeps all its pods), and the mesh
 * labels that traffic destination_workload=<name>-baseline. The extra label keeps the two
 * Deployments' pods apart. An ownerReference lets a deleted Rollout take it along.
 */
export function buildBaseline(
  rollout: Rollout,
  primary: V1Deployment,
  replicas: number,
): V1Deployment {
  const template = baselineTemplate(primary);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: baselineName(rollout),
      namespace: rollout.metadata.namespace,
      labels: { [ROLLOUT_LABEL]: rollout.metadata.name, [BASELINE_LABEL]: 'true' },
      annotations: {
        [REVISION_ANNOTATION]: primary.metadata?.annotations?.[REVISION_ANNOTATION] ?? 'unknown',
      },
      ownerReferences: [ownerRef(rollout)],
    },
    spec: {
      replicas,
      selector: {
        matchLabels: { ...(primary.spec?.selector?.matchLabels ?? {}), [BASELINE_LABEL]: 'true' },
      },
      template,
    },
  };
}

/** The primary's template with the baseline label added. */
export function baselineTemplate(primary: V1Deployment): V1PodTemplateSpec {
  const template = structuredClone(primary.spec?.template ?? {});
  template.metadata = {
    ...(template.metadata ?? {}),
    labels: { ...(template.metadata?.labels ?? {}), [BASELINE_LABEL]: 'true' },
  };
  return template;
}
