import type { BlueGreenStrategy } from '../types.js';
import type { DecisionBuilder } from './builder.js';
import { runName } from './canary.js';
import { abortRollout } from './lifecycle.js';
import type { RunState } from './model.js';
import { hostsOf, holdWeights, planRoutes, syncRoutes } from './routes.js';

// The stages of a blue-green rollout, one handler each. Timeline and reasoning: docs/blue-green.md.

/** status.currentStepIndex of a blue-green rollout. */
export const BG_STAGE = { preview: 0, ready: 1, switched: 2 } as const;
export type BgStage = (typeof BG_STAGE)[keyof typeof BG_STAGE];

/** Argo Rollouts' default; long enough to switch back while the old pods still run. */
export const DEFAULT_SCALE_DOWN_DELAY_S = 30;
const DEFAULT_DEADLINE_S = 600;
const POLL_MS = 1000;
const ANALYSIS_POLL_MS = 2000;

/** The condition the control API reads to answer a promote (409 while it is False). */
export const PROMOTION_ALLOWED = 'PromotionAllowed';

export { runName };

export function bg(d: DecisionBuilder): BlueGreenStrategy {
  return d.rollout.spec.strategy.blueGreen ?? {};
}

export function stageOf(d: DecisionBuilder): BgStage {
  const i = d.status.currentStepIndex ?? 0;
  return i >= 2 ? BG_STAGE.switched : i === 1 ? BG_STAGE.ready : BG_STAGE.preview;
}

/** When the current stage began, not counting paused time. */
export function stageStart(d: DecisionBuilder): number {
  const started = d.status.stepStartedAt ? Date.parse(d.status.stepStartedAt) : d.obs.now;
  return started + (d.status.pausedMs ?? 0);
}

/** The primary's replicas; the preview gets previewReplicaCount until the switch is approved. */
export function previewReplicas(d: DecisionBuilder): number {
  const full = Math.max(d.obs.primary?.replicas ?? d.obs.target?.replicas ?? 1, 1);
  const preview = bg(d).previewReplicaCount;
  if (d.status.fullPromotionRequested || preview === undefined) return full;
  return Math.max(preview, 1);
}

function previewAvailable(d: DecisionBuilder, want: number): boolean {
  const t = d.obs.target;
  return !!t && t.available && t.replicas === want && t.availableReplicas >= want;
}

export function stableName(d: DecisionBuilder): string {
  return `${d.rollout.metadata.name}-primary (${d.status.stableRevision ?? '?'})`;
}

export function pausedReason(d: DecisionBuilder): string | undefined {
  return d.status.conditions?.find((c) => c.type === 'Paused')?.reason;
}

export function pause(
  d: DecisionBuilder,
  reason: 'PausedByCommand' | 'AnalysisInconclusive' | 'WaitingForPromotion',
  message: string,
): void {
  d.status.pausedAt = d.nowIso;
  d.setCondition('Paused', 'True', reason, message);
  d.transition(reason, message, { warning: reason === 'AnalysisInconclusive', phase: 'Paused' });
}

export function promotionAllowed(
  d: DecisionBuilder,
  ok: boolean,
  reason: string,
  message: string,
): void {
  d.setCondition(PROMOTION_ALLOWED, ok ? 'True' : 'False', reason, message);
}

export function holdPreviewRoute(d: DecisionBuilder): void {
  const hr = d.status.headerRoute;
  if (hr && d.obs.routes.ok && !d.obs.routes.headerRoute)
    d.act({ kind: 'setHeaderRoute', match: hr.match });
}

/** Stage 0: the preview scales up beside the stable version, which keeps all traffic. */
export function preparePreview(d: DecisionBuilder): void {
  const s = d.status;
  holdWeights(d, 'preview: all traffic stays on the stable version');
  const want = previewReplicas(d);
  if (d.obs.target && d.obs.target.replicas !== want)
    d.act({ kind: 'scaleCandidate', replicas: want });
  if (!previewAvailable(d, want)) return waitForPreview(d, want);
  delete s.unavailableSince;
  s.currentStepIndex = BG_STAGE.ready;
  s.stepStartedAt = d.nowIso;
  s.pausedMs = 0;
  const header = bg(d).previewHeader;
  if (header) {
    s.headerRoute = { match: [header] };
    holdPreviewRoute(d);
  }
  const via = header ? `; requests matching ${JSON.stringify(header)} reach it` : '';
  d.setCondition('Progressing', 'True', 'PreviewReady', `preview ${s.canaryRevision} ready`);
  d.transition(
    'PreviewReady',
    `preview ${s.canaryRevision} ready: ${want}/${want} replicas available${via}`,
  );
  d.requeue(0);
}

/** The preview is not (or no longer) fully available: wait, up to the progress deadline. */
function waitForPreview(d: DecisionBuilder, want: number): void {
  const s = d.status;
  const t = d.obs.target;
  const since = s.unavailableSince ?? d.nowIso;
  s.unavailableSince = since;
  const deadlineMs = (d.rollout.spec.progressDeadlineSeconds ?? DEFAULT_DEADLINE_S) * 1000;
  const waited = d.obs.now - Date.parse(since);
  const counts = `${t?.availableReplicas ?? 0}/${want} replicas available`;
  if (waited >= deadlineMs) {
    abortRollout(
      d,
      'ProgressDeadlineExceeded',
      `preview not available after ${Math.round(waited / 1000)}s (progressDeadlineSeconds ${deadlineMs / 1000}): ${counts}; no switch`,
    );
    return;
  }
  holdPreviewRoute(d);
  d.setCondition('Progressing', 'True', 'WaitingForCandidate', `waiting for the preview`);
  if (stageOf(d) === BG_STAGE.preview)
    promotionAllowed(d, false, 'PreviewNotReady', `the preview is not ready: ${counts}`);
  d.requeue(Math.min(POLL_MS, deadlineMs - waited));
}

/** Stage 1: the preview is ready; pre-promotion analysis, then a promote (or the auto timer). */
export function gatePromotion(d: DecisionBuilder): void {
  holdWeights(d, 'preview: all traffic stays on the stable version');
  holdPreviewRoute(d);
  if (!checkPreAnalysis(d)) return;
  if (!switchApproved(d)) return;
  const want = previewReplicas(d);
  if (d.obs.target && d.obs.target.replicas !== want)
    d.act({ kind: 'scaleCandidate', replicas: want });
  if (!previewAvailable(d, want)) return waitForPreview(d, want);
  switchTraffic(d);
}

export function prePromotionPassed(d: DecisionBuilder): boolean {
  if (!bg(d).prePromotionAnalysis || d.status.fullPromotionRequested) return true;
  return stageOf(d) === BG_STAGE.ready && d.obs.stepRun?.phase === 'Successful';
}

/** Starts and judges the pre-promotion analysis. True once it has passed (or there is none). */
function checkPreAnalysis(d: DecisionBuilder): boolean {
  const pre = bg(d).prePromotionAnalysis;
  if (prePromotionPassed(d)) {
    const run = d.obs.stepRun;
    if (pre && run?.phase === 'Successful' && !allowedAlready(d)) {
      copyMeasurements(d, run);
      d.transition('AnalysisSuccessful', `pre-promotion analysis ${run.name} successful`);
    }
    if (!d.status.fullPromotionRequested)
      promotionAllowed(d, true, 'WaitingForPromotion', 'the preview is ready and checked');
    return true;
  }
  if (!pre) return true;
  const run = d.obs.stepRun;
  if (!run) {
    startRun(d, 'pre', BG_STAGE.ready, pre);
    promotionAllowed(d, false, 'PrePromotionAnalysisRunning', 'pre-promotion analysis started');
    return false;
  }
  copyMeasurements(d, run);
  switch (run.phase) {
    case 'Failed':
    case 'Error':
      abortRollout(
        d,
        'AnalysisFailed',
        `pre-promotion analysis ${run.name} ${run.phase.toLowerCase()}: ${run.message ?? ''}; no switch`,
      );
      return false;
    case 'Inconclusive':
    case 'Terminated':
      holdInconclusive(d, run, 'pre-promotion');
      promotionAllowed(d, false, 'PrePromotionAnalysisInconclusive', 'a person must decide');
      return false;
    case 'Pending':
    case 'Running':
      promotionAllowed(d, false, 'PrePromotionAnalysisRunning', `analysis ${run.name} running`);
      d.requeue(ANALYSIS_POLL_MS);
      return false;
    case 'Successful':
      return true;
    default: {
      const never: never = run.phase;
      throw new Error(`unknown analysis phase ${String(never)}`);
    }
  }
}

function allowedAlready(d: DecisionBuilder): boolean {
  return d.status.conditions?.some((c) => c.type === PROMOTION_ALLOWED && c.status === 'True')
    ? true
    : false;
}

/** A promote, promoteFull, or the auto-promotion timer approved the switch. */
function switchApproved(d: DecisionBuilder): boolean {
  const s = d.status;
  if (s.fullPromotionRequested) return true;
  const auto = bg(d).autoPromotionSeconds;
  if (auto !== undefined && s.phase !== 'Paused') {
    const remaining = stageStart(d) + auto * 1000 - d.obs.now;
    if (remaining <= 0) {
      s.fullPromotionRequested = true;
      d.transition('Promoting', `automatic promotion ${auto}s after the preview became ready`);
      return true;
    }
    d.requeue(remaining);
    return false;
  }
  if (s.phase !== 'Paused')
    pause(
      d,
      'WaitingForPromotion',
      `preview ${s.canaryRevision} is ready and checked; promote to switch traffic`,
    );
  return false;
}

/** The switch: one weight write sends every managed share to the preview. */
function switchTraffic(d: DecisionBuilder): void {
  const s = d.status;
  if (!d.obs.routes.ok) return;
  const plan = planRoutes(d.obs.routes.routes, hostsOf(d), 100);
  s.weights = { stable: 100 - plan.effective, canary: plan.effective };
  syncRoutes(d, plan.routes, 'blue-green switch: all traffic to the new version');
  if (s.analysisRuns?.step !== undefined) {
    const { step: _pre, ...rest } = s.analysisRuns;
    s.analysisRuns = rest;
  }
  s.currentStepIndex = BG_STAGE.switched;
  s.stepStartedAt = d.nowIso;
  s.pausedMs = 0;
  delete s.fullPromotionRequested;
  delete s.unavailableSince;
  d.clearCondition(PROMOTION_ALLOWED);
  d.clearCondition('PostPromotionAnalysis');
  const delay = bg(d).scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_S;
  d.setCondition('Progressing', 'True', 'TrafficSwitched', `all traffic on ${s.canaryRevision}`);
  d.transition(
    'TrafficSwitched',
    `all traffic switched to ${s.canaryRevision} in one write (canary ${plan.effective}%); the old version ${stableName(d)} keeps running for at least ${delay}s`,
    { phase: 'Promoting' },
  );
  d.requeue(0);
}

export function holdInconclusive(d: DecisionBuilder, run: RunState, what: string): void {
  if (d.status.phase === 'Paused') return;
  pause(
    d,
    'AnalysisInconclusive',
    `${what} analysis ${run.name} ${run.phase.toLowerCase()}: ${run.message ?? 'no verdict'}; promote to accept, resume to measure again, abort to go back`,
  );
}

export function startRun(
  d: DecisionBuilder,
  tag: 'pre' | 'post',
  step: BgStage,
  analysis: NonNullable<BlueGreenStrategy['prePromotionAnalysis']>,
): void {
  const fresh = d.status.analysisRuns?.step === undefined;
  const name = d.status.analysisRuns?.step ?? runName(d, tag);
  d.status.analysisRuns = { ...d.status.analysisRuns, step: name };
  d.act({ kind: 'startAnalysis', name, step, analysis });
  if (fresh) d.transition('AnalysisStarted', `${tag}-promotion analysis ${name} started`);
  d.requeue(ANALYSIS_POLL_MS);
}

export function copyMeasurements(d: DecisionBuilder, run: RunState): void {
  const others = (d.status.lastMeasurements ?? []).filter(
    (m) => !run.measurements.some((r) => r.metric === m.metric),
  );
  const next = [...others, ...run.measurements];
  if (JSON.stringify(next) !== JSON.stringify(d.status.lastMeasurements ?? []))
    d.status.lastMeasurements = next;
}
