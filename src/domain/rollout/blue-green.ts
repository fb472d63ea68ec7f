import type { Command } from '../commands.js';
import type { BlueGreenStrategy } from '../types.js';
import type { DecisionBuilder } from './builder.js';
import {
  BG_STAGE,
  gatePromotion,
  holdPreviewRoute,
  pause,
  pausedReason,
  preparePreview,
  prePromotionPassed,
  runName,
  stageOf,
} from './blue-green-stages.js';
import { afterSwitch, finishScaledDown, switchBack } from './blue-green-switched.js';
import { ignoreCommand, startRollout, terminateRuns } from './lifecycle.js';
import { holdWeights, syncRoutes } from './routes.js';

// Blue-green delivery. The user's Deployment (Service `<name>-canary`) is the preview; the
// primary keeps the old version and all traffic until the switch. The stage lives in
// status.currentStepIndex (see BG_STAGE), so a promote bound to a stage never leaks into the
// next one. docs/blue-green.md has the timeline.
//
// NOTE: the primary is not touched before the old version's scale-down (promotionCommitted),
// so until then the way back is one weight write to a version that never stopped running.

export function blueGreenOf(d: DecisionBuilder): BlueGreenStrategy | undefined {
  return d.rollout.spec.strategy.blueGreen;
}

/** Progressing, Paused and Promoting of a blue-green rollout. */
export function handleBlueGreen(d: DecisionBuilder): void {
  if (!handleCommands(d)) return;
  if (!followRevision(d)) return;
  if (d.status.promotionCommitted) return finishScaledDown(d);
  if (d.status.phase === 'Paused') return holdWhilePaused(d);
  const stage = stageOf(d);
  switch (stage) {
    case BG_STAGE.preview:
      return preparePreview(d);
    case BG_STAGE.ready:
      return gatePromotion(d);
    case BG_STAGE.switched:
      return afterSwitch(d);
    default: {
      const never: never = stage;
      throw new Error(`unknown blue-green stage ${String(never)}`);
    }
  }
}

/** Paused (by a command, an inconclusive analysis, or waiting for promotion): nothing moves. */
function holdWhilePaused(d: DecisionBuilder): void {
  holdWeights(d, 'paused: keep the current weights');
  holdPreviewRoute(d);
  if (d.status.conditions?.find((c) => c.type === 'Paused')?.reason === 'WaitingForPromotion')
    gatePromotion(d);
}

/** Applies pending commands; returns false when one of them ended this reconcile. */
function handleCommands(d: DecisionBuilder): boolean {
  for (const cmd of d.obs.commands) {
    switch (cmd.kind) {
      case 'abort':
        if (d.status.promotionCommitted) {
          ignoreCommand(d, cmd, 'the old version is already scaled down; nothing to go back to');
          break;
        }
        if (
          !switchBack(d, 'Aborted', cmd.reason ? `aborted: ${cmd.reason}` : `aborted (${cmd.id})`)
        )
          return false;
        d.markHandled('abort', cmd.id);
        return false;
      case 'retry':
        ignoreCommand(d, cmd, `nothing to retry while ${d.status.phase}`);
        break;
      case 'overrideBudget':
        ignoreCommand(d, cmd, `no budget freeze to override while ${d.status.phase}`);
        break;
      case 'pause':
        if (d.status.phase !== 'Progressing') {
          ignoreCommand(d, cmd, `pause works before the switch only (phase ${d.status.phase})`);
          break;
        }
        d.markHandled('pause', cmd.id);
        pause(d, 'PausedByCommand', cmd.reason ?? `paused by command ${cmd.id}`);
        return false;
      case 'resume':
        if (!resumeCommand(d, cmd)) break;
        return true;
      case 'promote':
      case 'promoteFull':
        if (!promoteCommand(d, cmd)) break;
        return true;
      default: {
        const never: never = cmd.kind;
        throw new Error(`unknown command ${String(never)}`);
      }
    }
  }
  return true;
}

function resumeCommand(d: DecisionBuilder, cmd: Command): boolean {
  const why = pausedReason(d);
  if (d.status.phase !== 'Paused') {
    ignoreCommand(d, cmd, 'not paused');
    return false;
  }
  if (why === 'WaitingForPromotion') {
    ignoreCommand(d, cmd, 'waiting for promotion: promote to switch traffic');
    return false;
  }
  d.markHandled('resume', cmd.id);
  if (why === 'AnalysisInconclusive') restartAnalysis(d);
  resume(d, `resumed (${cmd.id})`);
  return true;
}

/**
 * promote: switch once the pre-promotion analysis has succeeded (refused before), or accept an
 * inconclusive post-promotion analysis. promoteFull also overrides a pre-promotion analysis
 * still running: it is ended as Terminated, never recorded as Successful.
 */
function promoteCommand(d: DecisionBuilder, cmd: Command): boolean {
  const stage = stageOf(d);
  const full = cmd.kind === 'promoteFull';
  if (cmd.step !== undefined && cmd.step !== d.step) {
    ignoreCommand(d, cmd, `bound to step ${cmd.step}, rollout is at step ${d.step}`);
    return false;
  }
  if (stage === BG_STAGE.switched) {
    if (d.status.phase !== 'Paused') {
      ignoreCommand(d, cmd, 'traffic is already switched; the scale-down follows on its own');
      return false;
    }
    d.markHandled(cmd.kind, cmd.id);
    endRun(d, `post-promotion analysis accepted by ${cmd.by ?? cmd.id}`);
    d.status.fullPromotionRequested = true;
    resume(d, `post-promotion analysis accepted (${cmd.id})`);
    return true;
  }
  if (!full) {
    const refusal = promoteRefusal(d);
    if (refusal !== undefined) {
      ignoreCommand(d, cmd, refusal);
      return false;
    }
  }
  d.markHandled(cmd.kind, cmd.id);
  if (full) endRun(d, `pre-promotion analysis ended by full promotion (${cmd.by ?? cmd.id})`);
  d.status.fullPromotionRequested = true;
  if (d.status.phase === 'Paused') resume(d, `promoted (${cmd.id})`);
  d.transition('Promoting', `switch approved by ${cmd.by ?? cmd.id}`);
  return true;
}

/** Why a one-step promote is refused now, or undefined when it is accepted. */
export function promoteRefusal(d: DecisionBuilder): string | undefined {
  if (stageOf(d) === BG_STAGE.preview) {
    const t = d.obs.target;
    return `the preview is not ready (${t?.availableReplicas ?? 0}/${t?.replicas ?? 0} replicas available); promote after the pre-promotion analysis succeeded`;
  }
  if (!prePromotionPassed(d)) {
    const phase = d.obs.stepRun?.phase ?? 'Pending';
    return `the pre-promotion analysis has not succeeded (it is ${phase}); promote after it succeeded, or promote fully to override it`;
  }
  return undefined;
}

/** A new target revision: before the switch, start over; after it, go back first (at once). */
function followRevision(d: DecisionBuilder): boolean {
  const target = d.obs.target;
  const s = d.status;
  if (!target || target.revision === s.canaryRevision || s.promotionCommitted) return true;
  if (target.revision === s.stableRevision) {
    if (!switchBack(d, 'Aborted', `target reverted to the stable revision ${target.revision}`))
      return false;
    d.transition('RevertedToStable', 'rollout ended: the target runs the stable revision', {
      phase: 'Healthy',
    });
    return false;
  }
  if (stageOf(d) === BG_STAGE.switched && !d.obs.primary?.available) {
    holdWeights(d, 'new revision: waiting for the old version before switching back');
    d.requeue(1000);
    return false;
  }
  if (s.originalRoutes) syncRoutes(d, s.originalRoutes, 'new revision: traffic back to stable');
  if (d.obs.routes.ok && d.obs.routes.headerRoute) d.act({ kind: 'removeHeaderRoute' });
  terminateRuns(d, `superseded by revision ${target.revision}`);
  d.transition('RevisionChanged', `revision ${target.revision} supersedes ${s.canaryRevision}`);
  startRollout(d);
  return false;
}

/** Leaves a pause; paused time does not count toward auto-promotion or the scale-down delay. */
function resume(d: DecisionBuilder, message: string): void {
  const pausedAt = d.status.pausedAt ? Date.parse(d.status.pausedAt) : d.obs.now;
  d.status.pausedMs = (d.status.pausedMs ?? 0) + Math.max(0, d.obs.now - pausedAt);
  delete d.status.pausedAt;
  delete d.status.unavailableSince;
  d.clearCondition('Paused');
  const phase = stageOf(d) === BG_STAGE.switched ? 'Promoting' : 'Progressing';
  d.transition('Resumed', message, { phase });
  d.requeue(0);
}

/** Ends the current stage's analysis run, if it still runs (recorded as Terminated). */
function endRun(d: DecisionBuilder, message: string): void {
  const run = d.obs.stepRun;
  if (run && (run.phase === 'Running' || run.phase === 'Pending'))
    d.act({ kind: 'terminateAnalysis', name: run.name, message });
}

/** After an inconclusive hold, the stage is measured again by a fresh run. */
function restartAnalysis(d: DecisionBuilder): void {
  endRun(d, 'restarted after resume');
  if (d.status.analysisRuns?.step === undefined) return;
  const tag = stageOf(d) === BG_STAGE.switched ? 'post' : 'pre';
  d.status.analysisRuns = {
    ...d.status.analysisRuns,
    step: runName(d, `${tag}-${d.obs.now.toString(36)}`),
  };
}
