// The simulated pods of one Deployment and how they move: created for the current template,
// ready after a delay (or never, or only some), old-template pods retired as new ones are ready.
import { createHash, randomBytes } from 'node:crypto';
import type { V1Deployment } from '@kubernetes/client-node';
import type { DeploymentCondition, DeploymentStatus } from './deployment-status.js';
import { ANNOTATIONS, type SimPod } from './types.js';

export interface PodSet {
  namespace: string;
  name: string;
  hash: string;
  desired: number;
  /** Epoch ms of the last progress (spec change or a pod becoming ready). */
  lastProgressAt: number;
  pods: SimPod[];
}

export interface PodPolicy {
  /** Readiness delay in ms; undefined when pods never become ready. */
  delay: number | undefined;
  /** How many pods of the template may ever be ready. */
  readyLimit: number;
}

export function podPolicy(d: V1Deployment, defaultReadyAfterMs: number): PodPolicy {
  const ann = d.spec?.template.metadata?.annotations ?? {};
  const limitRaw = ann[ANNOTATIONS.readyReplicas];
  const readyLimit = limitRaw === undefined ? Number.POSITIVE_INFINITY : Number(limitRaw);
  if (ann[ANNOTATIONS.neverReady] === 'true') return { delay: undefined, readyLimit };
  const after = ann[ANNOTATIONS.readyAfterMs];
  const delay =
    after === undefined || Number.isNaN(Number(after)) ? defaultReadyAfterMs : Number(after);
  return { delay, readyLimit };
}

function newPod(set: PodSet, delay: number | undefined, now: number): SimPod {
  const suffix = randomBytes(3).toString('hex').slice(0, 5);
  return {
    namespace: set.namespace,
    name: `${set.name}-${set.hash}-${suffix}`,
    deployment: set.name,
    templateHash: set.hash,
    ready: false,
    createdAt: now,
    readyAt: delay === undefined ? undefined : now + delay,
  };
}

/**
 * The pods after one step at `now`: the current template has exactly `desired` pods, each ready
 * once its delay passed and its process (if any) is up, within the ready limit; old-template pods
 * stay only while fewer than `desired` new ones are ready. Scaling to 0 removes all at once.
 */
export function nextPods(
  set: PodSet,
  policy: PodPolicy,
  processUp: boolean,
  now: number,
): { pods: SimPod[]; lastProgressAt: number } {
  if (set.desired === 0) return { pods: [], lastProgressAt: set.lastProgressAt };
  let lastProgressAt = set.lastProgressAt;
  let current = set.pods.filter((p) => p.templateHash === set.hash).map((p) => ({ ...p }));
  while (current.length < set.desired) current.push(newPod(set, policy.delay, now));
  current = current.sort((a, b) => a.createdAt - b.createdAt).slice(0, set.desired);
  let readyCount = 0;
  for (const pod of current) {
    const due =
      pod.readyAt !== undefined &&
      now >= pod.readyAt &&
      processUp &&
      readyCount < policy.readyLimit;
    if (due && !pod.ready) lastProgressAt = now;
    pod.ready = due;
    if (pod.ready) readyCount += 1;
  }
  const old = set.pods
    .filter((p) => p.templateHash !== set.hash)
    .sort((a, b) => Number(b.ready) - Number(a.ready));
  return {
    pods: [...current, ...old.slice(0, Math.max(0, set.desired - readyCount))],
    lastProgressAt,
  };
}

export function templateHash(template: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(template ?? {}))
    .digest('hex')
    .slice(0, 10);
}

export function conditionsOf(d: V1Deployment): DeploymentCondition[] {
  const iso = (t: Date | string | undefined): string =>
    t === undefined ? '' : (t instanceof Date ? t.toISOString() : t).replace(/\.\d{3}Z$/, 'Z');
  return (d.status?.conditions ?? [])
    .filter((c) => c.type === 'Available' || c.type === 'Progressing')
    .map((c) => ({
      type: c.type as DeploymentCondition['type'],
      status: c.status === 'True' ? 'True' : 'False',
      reason: c.reason ?? '',
      message: c.message ?? '',
      lastUpdateTime: iso(c.lastUpdateTime),
      lastTransitionTime: iso(c.lastTransitionTime),
    }));
}

export function sameStatus(d: V1Deployment, s: DeploymentStatus): boolean {
  const cur = d.status ?? {};
  const counts =
    (cur.observedGeneration ?? 0) === s.observedGeneration &&
    (cur.replicas ?? 0) === s.replicas &&
    (cur.updatedReplicas ?? 0) === s.updatedReplicas &&
    (cur.readyReplicas ?? 0) === s.readyReplicas &&
    (cur.availableReplicas ?? 0) === s.availableReplicas &&
    (cur.unavailableReplicas ?? 0) === s.unavailableReplicas;
  return counts && JSON.stringify(conditionsOf(d)) === JSON.stringify(s.conditions);
}

export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>,
): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
