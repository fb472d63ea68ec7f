import type { V1Deployment } from '@kubernetes/client-node';
import type { AnalysisRun, Rollout, RolloutStatus } from '../../domain/types.js';
import type { Stack } from './stack.js';

// One release of the demo's Rollout, followed through the sandbox's store: the Deployment's env
// changes, then the store is polled until the new revision is promoted or aborted. Every demo
// (canary, blue-green, with flags) uses this loop and adds what it shows through `onPoll`.

export const NS = 'demo';
export const NAME = 'shop';
export const POLL_MS = 100;

export interface RolloutSummary {
  name: string;
  revision: string;
  outcome: 'Promoted' | 'RolledBack';
  stepsCompleted: number;
  maxCanaryWeight: number;
  rollbackReason: string | null;
  rollbackSeconds: number | null;
  durationSeconds: number;
}

export interface Release {
  version: string;
  env: Record<string, string>;
  expect: RolloutSummary['outcome'];
}

/** What one poll saw. */
export interface ReleasePoll {
  rollout: Rollout | undefined;
  status: RolloutStatus;
  /** The canary's weight in the VirtualService's primary route. */
  weight: number;
  /** The release's revision once the controller has taken it up, '' before. */
  revision: string;
  /** The Rollout's canary is this release's revision. */
  mine: boolean;
  /** Epoch ms, taken before the Deployment was changed. */
  started: number;
}

export interface TrackOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Called once, right after the Deployment has been changed. */
  onReleased?: () => void;
  /** Called on every poll, the last one included, before the tracker decides whether it is done. */
  onPoll?: (poll: ReleasePoll) => void;
}

/** A release that ended; `releaseSummary` turns it into the common part of a demo's summary. */
export interface TrackedRelease {
  revision: string;
  outcome: RolloutSummary['outcome'];
  /** The Rollout's status on the last poll. */
  status: RolloutStatus;
  stepsCompleted: number;
  maxCanaryWeight: number;
  /**
   * From the first Failed measurement of the revision's analysis to the first poll after it with
   * the canary at weight 0; null when promoted or when either was not seen.
   */
  rollbackSeconds: number | null;
  /** Epoch ms, taken before the Deployment was changed. */
  started: number;
}

/** Releases `release` (sets its env on the Deployment) and polls until it is promoted or aborted. */
export async function trackRelease(
  stack: Stack,
  release: Release,
  o: TrackOptions,
): Promise<TrackedRelease> {
  const started = Date.now();
  const before = rollout(stack)?.status?.stableRevision;
  await setEnv(stack, release.env);
  o.onReleased?.();
  let revision = '';
  let maxCanaryWeight = 0;
  let stepsCompleted = 0;
  let firstFailureAt: number | undefined;
  let backAt: number | undefined;
  for (;;) {
    o.signal?.throwIfAborted();
    if (Date.now() - started > o.timeoutMs)
      throw new Error(`release ${release.version} did not finish within ${o.timeoutMs / 1000}s`);
    const r = rollout(stack);
    const status = r?.status ?? {};
    if (status.canaryRevision && status.canaryRevision !== before) revision = status.canaryRevision;
    const weight = canaryWeight(stack);
    maxCanaryWeight = Math.max(maxCanaryWeight, weight);
    const mine = revision !== '' && status.canaryRevision === revision;
    if (mine) stepsCompleted = Math.max(stepsCompleted, status.currentStepIndex ?? 0);
    firstFailureAt ??= firstFailure(stack, revision);
    if (firstFailureAt !== undefined && backAt === undefined && weight === 0) backAt = Date.now();
    o.onPoll?.({ rollout: r, status, weight, revision, mine, started });
    const promoted =
      revision !== '' && status.phase === 'Healthy' && status.stableRevision === revision;
    const aborted = revision !== '' && status.phase === 'Aborted';
    if (promoted || aborted) {
      return {
        revision,
        outcome: promoted ? 'Promoted' : 'RolledBack',
        status,
        stepsCompleted,
        maxCanaryWeight,
        rollbackSeconds:
          aborted && firstFailureAt !== undefined && backAt !== undefined
            ? Math.round(backAt - firstFailureAt) / 1000
            : null,
        started,
      };
    }
    await sleep(POLL_MS);
  }
}

/** The summary fields every demo reports; `durationSeconds` runs until this call. */
export function releaseSummary(release: Release, t: TrackedRelease): RolloutSummary {
  return {
    name: `${NAME} ${release.version}`,
    revision: t.revision,
    outcome: t.outcome,
    stepsCompleted: t.stepsCompleted,
    maxCanaryWeight: t.maxCanaryWeight,
    rollbackReason: t.outcome === 'RolledBack' ? (t.status.message ?? null) : null,
    rollbackSeconds: t.rollbackSeconds,
    durationSeconds: Math.round((Date.now() - t.started) / 100) / 10,
  };
}

export function rollout(stack: Stack): Rollout | undefined {
  return stack.api.store.get('rollouts', NS, NAME) as Rollout | undefined;
}

export function canaryWeight(stack: Stack): number {
  const vs = stack.api.store.get('virtualservices', NS, NAME) as
    | {
        spec?: {
          http?: Array<{
            name?: string;
            route?: Array<{ destination?: { host?: string }; weight?: number }>;
          }>;
        };
      }
    | undefined;
  const route = vs?.spec?.http?.find((r) => r.name === 'primary');
  return route?.route?.find((d) => d.destination?.host?.startsWith(`${NAME}-canary`))?.weight ?? 0;
}

/** When the first Failed measurement of this revision's analysis was taken (epoch ms). */
export function firstFailure(stack: Stack, revision: string): number | undefined {
  if (!revision) return undefined;
  let first: number | undefined;
  for (const run of stack.api.store.list('analysisruns', NS) as unknown as AnalysisRun[]) {
    if (run.spec.revision !== revision) continue;
    for (const m of run.status?.metricResults ?? []) {
      for (const x of m.measurements) {
        if (x.phase !== 'Failed') continue;
        const at = Date.parse(x.finishedAt);
        first = first === undefined ? at : Math.min(first, at);
      }
    }
  }
  return first;
}

export async function setEnv(stack: Stack, env: Record<string, string>): Promise<void> {
  const deployments = stack.runtime?.resources.deployments;
  if (!deployments) throw new Error('the controller is not running');
  for (let attempt = 0; ; attempt++) {
    const dep: V1Deployment = await deployments.get({ namespace: NS, name: NAME });
    const container = dep.spec?.template.spec?.containers[0];
    if (!container) throw new Error(`Deployment ${NS}/${NAME} has no container`);
    const rest = (container.env ?? []).filter((e) => !(e.name in env));
    container.env = [...rest, ...Object.entries(env).map(([name, value]) => ({ name, value }))];
    try {
      await deployments.update(dep);
      return;
    } catch (err) {
      if (attempt > 5) throw err;
    }
  }
}

export async function waitFor(
  cond: () => boolean,
  timeoutMs: number,
  what: string,
  signal?: AbortSignal,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    signal?.throwIfAborted();
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
