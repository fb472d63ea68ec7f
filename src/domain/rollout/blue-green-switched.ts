import type { DecisionBuilder } from './builder.js';
import {
  BG_STAGE,
  DEFAULT_SCALE_DOWN_DELAY_S,
  PROMOTION_ALLOWED,
  bg,
  copyMeasurements,
  holdInconclusive,
  holdPreviewRoute,
  stableName,
  stageOf,
  stageStart,
  startRun,
} from './blue-green-stages.js';
import { abortRollout } from './lifecycle.js';
import { finishPromotion } from './promote.js';
import { holdWeights } from './routes.js';

// Blue-green after the switch: post-promotion analysis, the scale-down delay, the way back.
// NOTE: until promotionCommitted the primary still runs the old version; switchBack relies on it.

const POLL_MS = 1000;
const ANALYSIS_POLL_MS = 2000;

/** Stage 2: the new version serves; post-promotion analysis and the scale-down delay. */
export function afterSwitch(d: DecisionBuilder): void {
  const { target, primary } = d.obs;
  const s = d.status;
  holdWeights(d, 'switched: all traffic stays on the new version');
  holdPreviewRoute(d);
  if (!target?.available && primary?.available) {
    switchBack(
      d,
      'Aborted',
      `the new version lost availability after the switch (${target?.availableReplicas ?? 0}/${target?.replicas ?? 0} replicas available)`,
    );
    return;
  }
  if (!checkPostAnalysis(d)) return;
  const delay = bg(d).scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_S;
  const remaining = stageStart(d) + delay * 1000 - d.obs.now;
  if (remaining > 0) {
    const until = new Date(d.obs.now + remaining).toISOString();
    d.setCondition('Progressing', 'True', 'ScaleDownDelay', `old version kept until ${until}`);
    d.requeue(remaining);
    return;
  }
  if (!target?.available) return d.requeue(POLL_MS);
  d.act({ kind: 'promotePrimary' });
  s.promotionCommitted = true;
  d.setCondition(
    'Progressing',
    'True',
    'OldVersionScaledDown',
    'the primary takes the new version',
  );
  d.transition(
    'OldVersionScaledDown',
    `old version ${stableName(d)} scaled down ${Math.round((d.obs.now - stageStart(d)) / 1000)}s after the switch: ${d.rollout.metadata.name}-primary takes ${s.canaryRevision}; traffic returns to it once every replica is available`,
  );
  d.requeue(POLL_MS);
}

/** True once the post-promotion analysis passed (or was accepted by a promote, or there is none). */
function checkPostAnalysis(d: DecisionBuilder): boolean {
  const post = bg(d).postPromotionAnalysis;
  if (!post || d.status.fullPromotionRequested) return true;
  const run = d.obs.stepRun;
  if (!run) {
    startRun(d, 'post', BG_STAGE.switched, post);
    return false;
  }
  copyMeasurements(d, run);
  switch (run.phase) {
    case 'Failed':
    case 'Error':
      switchBack(
        d,
        'AnalysisFailed',
        `post-promotion analysis ${run.name} ${run.phase.toLowerCase()}: ${run.message ?? ''}`.trim(),
      );
      return false;
    case 'Inconclusive':
    case 'Terminated':
      holdInconclusive(d, run, 'post-promotion');
      return false;
    case 'Pending':
    case 'Running':
      d.requeue(ANALYSIS_POLL_MS);
      return false;
    case 'Successful':
      if (!d.status.conditions?.some((c) => c.type === 'PostPromotionAnalysis')) {
        d.setCondition('PostPromotionAnalysis', 'True', 'AnalysisSuccessful', run.name);
        d.transition('AnalysisSuccessful', `post-promotion analysis ${run.name} successful`);
      }
      return true;
    default: {
      const never: never = run.phase;
      throw new Error(`unknown analysis phase ${String(never)}`);
    }
  }
}

/**
 * Sends all traffic back to the version that still runs the old template, in one write, then
 * scales the preview down. Never toward a primary that is not available: then it waits (false).
 */
export function switchBack(
  d: DecisionBuilder,
  reason: 'Aborted' | 'AnalysisFailed',
  message: string,
): boolean {
  const switched = stageOf(d) === BG_STAGE.switched;
  const primary = d.obs.primary;
  if (switched && !primary?.available) {
    holdWeights(d, 'cannot switch back yet: keep the current weights');
    d.setCondition(
      'Progressing',
      'True',
      'SwitchBackWaiting',
      `${message}; waiting for ${stableName(d)} (${primary?.availableReplicas ?? 0}/${primary?.replicas ?? 0} available) before switching back`,
    );
    d.requeue(POLL_MS);
    return false;
  }
  if (switched)
    d.transition('SwitchedBack', `all traffic back to ${stableName(d)} in one write: ${message}`, {
      warning: true,
    });
  d.clearCondition(PROMOTION_ALLOWED);
  abortRollout(d, reason, message, { drain: true });
  return true;
}

/** After the old version was scaled down: traffic returns to the primary once it is available. */
export function finishScaledDown(d: DecisionBuilder): void {
  const { target, primary } = d.obs;
  const s = d.status;
  if (!primary) return;
  if (primary.revision !== s.canaryRevision || !primary.available) {
    holdWeights(d, 'the primary takes the new version: traffic stays on the preview');
    holdPreviewRoute(d);
    if (primary.revision !== s.canaryRevision && target?.available)
      d.act({ kind: 'promotePrimary' });
    d.setCondition(
      'Progressing',
      'True',
      'WaitingForPrimary',
      `waiting for ${d.rollout.metadata.name}-primary: ${primary.availableReplicas}/${primary.replicas} available`,
    );
    d.requeue(POLL_MS);
    return;
  }
  d.clearCondition('PostPromotionAnalysis');
  finishPromotion(d);
}
