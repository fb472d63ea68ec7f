// What a Deployment controller reports, computed from the simulated pods: replica counts and
// the Available / Progressing conditions.
import type { SimPod } from './types.js';

export interface DeploymentFacts {
  name: string;
  generation: number;
  desired: number;
  templateHash: string;
  progressDeadlineSeconds: number;
  /** Epoch ms of the last progress (spec change or a pod becoming ready). */
  lastProgressAt: number;
  pods: SimPod[];
  /** The conditions currently stored, so transition times stay put when nothing changed. */
  previous: DeploymentCondition[];
}

export interface DeploymentCondition {
  type: 'Available' | 'Progressing';
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

export interface DeploymentStatus {
  observedGeneration: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
  conditions: DeploymentCondition[];
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** maxUnavailable 25% rounded down, as the default RollingUpdate strategy allows. */
function maxUnavailable(desired: number): number {
  return Math.floor(desired * 0.25);
}

export function isComplete(s: Omit<DeploymentStatus, 'conditions'>, desired: number): boolean {
  return s.updatedReplicas === desired && s.availableReplicas === desired && s.replicas === desired;
}

export function computeStatus(f: DeploymentFacts, now: number): DeploymentStatus {
  const ready = f.pods.filter((p) => p.ready).length;
  const counts = {
    observedGeneration: f.generation,
    replicas: f.pods.length,
    updatedReplicas: f.pods.filter((p) => p.templateHash === f.templateHash).length,
    readyReplicas: ready,
    availableReplicas: ready,
    unavailableReplicas: Math.max(0, f.desired - ready),
  };
  const rs = `${f.name}-${f.templateHash}`;
  const available = ready >= f.desired - maxUnavailable(f.desired);
  const availableCond = condition(
    f.previous,
    now,
    'Available',
    available,
    available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
    available
      ? 'Deployment has minimum availability.'
      : 'Deployment does not have minimum availability.',
  );
  let progressing: DeploymentCondition;
  if (isComplete(counts, f.desired)) {
    progressing = condition(
      f.previous,
      now,
      'Progressing',
      true,
      'NewReplicaSetAvailable',
      `ReplicaSet "${rs}" has successfully progressed.`,
    );
  } else if (now - f.lastProgressAt > f.progressDeadlineSeconds * 1000) {
    progressing = condition(
      f.previous,
      now,
      'Progressing',
      false,
      'ProgressDeadlineExceeded',
      `ReplicaSet "${rs}" has timed out progressing.`,
    );
  } else {
    progressing = condition(
      f.previous,
      now,
      'Progressing',
      true,
      'ReplicaSetUpdated',
      `ReplicaSet "${rs}" is progressing.`,
    );
  }
  return { ...counts, conditions: [availableCond, progressing] };
}

function condition(
  previous: DeploymentCondition[],
  now: number,
  type: DeploymentCondition['type'],
  ok: boolean,
  reason: string,
  message: string,
): DeploymentCondition {
  const status = ok ? 'True' : 'False';
  const before = previous.find((c) => c.type === type);
  const same =
    before !== undefined &&
    before.status === status &&
    before.reason === reason &&
    before.message === message;
  if (same) return before;
  return {
    type,
    status,
    reason,
    message,
    lastUpdateTime: timestamp(now),
    lastTransitionTime:
      before !== undefined && before.status === status ? before.lastTransitionTime : timestamp(now),
  };
}
