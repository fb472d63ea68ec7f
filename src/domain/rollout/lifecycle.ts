import type { Command } from '../commands.js';
import type { DecisionBuilder } from './builder.js';
import { restoreWeights, syncRoutes } from './routes.js';
import { markFlagsForRestore, restoreFlags } from './flags.js';
import { budgetAllowsStart } from './budget.js';

const POLL_MS = 1000;

export function handleInitializing(d: DecisionBuilder): void {
  const { target, primary } = d.obs;
  if (!target) return;
  ignoreCommands(d, 'nothing to act on while initializing');
  if (!primary) {
    d.act({ kind: 'ensurePrimary', replicas: Math.max(target.replicas, 1) });
    d.status.stableRevision = target.revision;
    d.requeue(POLL_MS);
    return;
  }
  if (!primary.available) {
    d.requeue(POLL_MS);
    return;
  }
  d.status.stableRevision = primary.revision;
  d.status.weights = { stable: 100, canary: 0 };
  if (target.replicas !== 0) d.act({ kind: 'scaleCandidate', replicas: 0 });
  d.setCondition('SpecValid', 'True', 'SpecValid', 'spec is valid');
  d.transition('Initialized', `stable revision ${primary.revision} serves all traffic`, {
    phase: 'Healthy',
  });
}

export function handleHealthy(d: DecisionBuilder): void {
  const { target } = d.obs;
  if (!target) return;
  ignoreCommands(d, 'nothing in progress');
  if (target.revision !== d.status.stableRevision) {
    if (budgetAllowsStart(d, 'Healthy')) startRollout(d);
    return;
  }
  scaleDownAfterDrain(d);
}

/**
 * How long the candidate keeps running after the route write that took its traffic away. A
 * mesh applies new weights a little later (Envoy, or the sandbox proxy's refresh); scaling down
 * in the same moment would fail the requests still on their way to it.
 */
export const DRAIN_MS = 10_000;

/** Traffic has just left the candidate: it scales down once the mesh has caught up. */
export function drainCandidate(d: DecisionBuilder): void {
  d.status.drainUntil = new Date(d.obs.now + DRAIN_MS).toISOString();
  d.requeue(DRAIN_MS);
}

/** Scales the candidate to 0, unless a drain is still running (then looks again when it ends). */
export function scaleDownAfterDrain(d: DecisionBuilder): void {
  const t = d.obs.target;
  const until = d.status.drainUntil === undefined ? undefined : Date.parse(d.status.drainUntil);
  if (t && t.replicas !== 0 && until !== undefined && d.obs.now < until) {
    d.requeue(until - d.obs.now);
    return;
  }
  delete d.status.drainUntil;
  if (t && t.replicas !== 0) d.act({ kind: 'scaleCandidate', replicas: 0 });
}

/** A new candidate revision: record the routes as they are, then start at step 0. */
export function startRollout(d: DecisionBuilder): void {
  const { target, primary } = d.obs;
  if (!target || !d.obs.routes.ok) {
    d.requeue(POLL_MS);
    return;
  }
  const s = d.status;
  // NOTE: the routes and flags as they were before Sluice touched them are recorded only when a
  // rollout starts from Healthy. A revision that supersedes one in flight, or a retry, keeps the
  // first record: the current routes are Sluice's own mid-rollout weights, not the user's.
  const fresh =
    s.phase === 'Healthy' ||
    (s.phase === 'BudgetFrozen' && s.budget?.frozenFrom !== 'Aborted') ||
    s.originalRoutes === undefined;
  if (s.budget) delete s.budget.frozenFrom;
  if (fresh) {
    s.originalRoutes = structuredClone(d.obs.routes.routes);
    delete s.featureFlags;
    delete s.flagsRestorePending;
  }
  s.canaryRevision = target.revision;
  s.attempt = (s.attempt ?? 0) + 1;
  s.currentStepIndex = 0;
  s.stepStartedAt = d.nowIso;
  s.pausedMs = 0;
  s.weights = { stable: 100, canary: 0 };
  s.analysisRuns = {};
  s.lastMeasurements = [];
  delete s.drainUntil;
  delete s.pausedAt;
  delete s.unavailableSince;
  delete s.fullPromotionRequested;
  delete s.promotionCommitted;
  delete s.headerRoute;
  const full = Math.max(primary?.replicas ?? target.replicas, 1);
  // Blue-green: the preview starts at previewReplicaCount; it scales up once the switch is approved.
  const preview = d.rollout.spec.strategy.blueGreen?.previewReplicaCount;
  d.act({ kind: 'scaleCandidate', replicas: preview === undefined ? full : Math.max(preview, 1) });
  d.clearCondition('Aborted');
  d.clearCondition('Paused');
  d.setCondition('Progressing', 'True', 'RolloutStarted', `rolling out ${target.revision}`);
  d.transition(
    'RolloutStarted',
    `rolling out revision ${target.revision} over ${s.stableRevision}`,
    {
      phase: 'Progressing',
    },
  );
  d.requeue(0);
}

/**
 * Sends all traffic back to stable with the original weights, then scales the candidate down.
 * The traffic write comes first: it is what protects users.
 */
export function abortRollout(
  d: DecisionBuilder,
  reason: 'Aborted' | 'AnalysisFailed' | 'ProgressDeadlineExceeded' | 'GateTimeout',
  message: string,
  opts: { drain?: boolean } = {},
): void {
  const s = d.status;
  if (s.originalRoutes) syncRoutes(d, s.originalRoutes, `abort: ${message}`);
  if (d.obs.routes.ok && d.obs.routes.headerRoute) d.act({ kind: 'removeHeaderRoute' });
  terminateRuns(d, `rollout aborted: ${message}`);
  // NOTE: a canary abort scales the candidate down in the same reconcile (scenario S14: the bad
  // version goes at once, at the cost of the few requests the mesh still routes to it); a
  // blue-green switch back drains, because the preview may have carried all the traffic.
  if (opts.drain) drainCandidate(d);
  else d.act({ kind: 'scaleCandidate', replicas: 0 });
  markFlagsForRestore(d);
  s.weights = { stable: 100, canary: 0 };
  delete s.headerRoute;
  delete s.fullPromotionRequested;
  delete s.pausedAt;
  // Whatever paused it, an aborted rollout is not paused (kubectl wait --for=condition=Paused).
  d.clearCondition('Paused');
  d.setCondition('Progressing', 'False', reason, message);
  d.setCondition('Aborted', 'True', reason, message);
  d.transition(reason, message, { warning: true, phase: 'Aborted' });
  d.requeue(0);
}

export function terminateRuns(d: DecisionBuilder, message: string): void {
  const runs = d.status.analysisRuns ?? {};
  for (const run of [d.obs.stepRun, d.obs.backgroundRun]) {
    if (run && (run.phase === 'Running' || run.phase === 'Pending')) {
      d.act({ kind: 'terminateAnalysis', name: run.name, message });
    }
  }
  if (runs.step !== undefined || runs.background !== undefined) d.status.analysisRuns = {};
}

export function handleAborted(d: DecisionBuilder): void {
  const { target } = d.obs;
  const s = d.status;
  if (!target) return;
  for (const cmd of d.obs.commands) {
    if (cmd.kind === 'retry') {
      d.markHandled('retry', cmd.id);
      d.transition('RetryRequested', `retry requested (${cmd.id})`);
      if (budgetAllowsStart(d, 'Aborted')) startRollout(d);
      return;
    }
    ignoreCommand(d, cmd, 'aborted; retry first');
  }
  if (target.revision === s.stableRevision) {
    d.clearCondition('Aborted');
    d.setCondition(
      'Progressing',
      'False',
      'RevertedToStable',
      'target is back on the stable revision',
    );
    d.transition('RevertedToStable', `target reverted to stable revision ${target.revision}`, {
      phase: 'Healthy',
    });
    return;
  }
  if (target.revision !== s.canaryRevision) {
    if (budgetAllowsStart(d, 'Aborted')) startRollout(d);
    return;
  }
  if (s.originalRoutes) restoreWeights(d, s.originalRoutes, 'aborted: keep the original weights');
  scaleDownAfterDrain(d);
  restoreFlags(d);
}

/** A new revision waits for the error budget (budget.ts); it starts once the gate allows. */
export function handleBudgetFrozen(d: DecisionBuilder): void {
  const { target } = d.obs;
  const s = d.status;
  if (!target) return;
  for (const cmd of d.obs.commands) {
    if (cmd.kind !== 'overrideBudget')
      ignoreCommand(d, cmd, 'waiting for the error budget; override it with a reason to start');
  }
  if (target.revision === s.stableRevision) {
    d.setCondition('BudgetFrozen', 'False', 'RevertedToStable', 'target is back on stable');
    if (s.budget) delete s.budget.frozenFrom;
    d.transition('RevertedToStable', `target reverted to stable revision ${target.revision}`, {
      phase: 'Healthy',
    });
    return;
  }
  if (!budgetAllowsStart(d, s.budget?.frozenFrom ?? 'Healthy')) return;
  startRollout(d);
}

export function handleInvalid(d: DecisionBuilder, check: (d: DecisionBuilder) => boolean): void {
  if (!check(d)) return;
  const back = d.status.invalidFrom ?? 'Initializing';
  delete d.status.invalidFrom;
  d.setCondition('SpecValid', 'True', 'SpecFixed', 'spec is valid');
  d.transition('SpecFixed', `spec is valid again; back to ${back}`, { phase: back });
  d.requeue(0);
}

export function ignoreCommand(d: DecisionBuilder, cmd: Command, why: string): void {
  d.markHandled(cmd.kind, cmd.id);
  d.transition('CommandIgnored', `${cmd.kind} (${cmd.id}) ignored: ${why}`);
}

function ignoreCommands(d: DecisionBuilder, why: string): void {
  for (const cmd of d.obs.commands) ignoreCommand(d, cmd, why);
}
