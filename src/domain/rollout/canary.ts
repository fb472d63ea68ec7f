import { parseDuration } from '../duration.js';
import type { CanaryStep } from '../types.js';
import type { DecisionBuilder } from './builder.js';
import { abortRollout, ignoreCommand, startRollout, terminateRuns } from './lifecycle.js';
import type { RunState } from './model.js';
import { beginPromotion } from './promote.js';
import { hostsOf, holdWeights, planRoutes, syncRoutes } from './routes.js';
import { explicitFlag, flagsRecorded, followWeight } from './flags.js';
import { runName, stepRunTag } from './run-names.js';
import { syncBaseline } from './baseline.js';

export { runName };
export { retireBaseline } from './baseline.js';

const POLL_MS = 1000;
const ANALYSIS_POLL_MS = 2000;
const DEFAULT_DEADLINE_S = 600;

export function handleProgressing(d: DecisionBuilder): void {
  progress(d);
  syncBaseline(d);
}

export function handlePaused(d: DecisionBuilder): void {
  holdPaused(d);
  syncBaseline(d);
}

function progress(d: DecisionBuilder): void {
  if (!handleCommands(d)) return;
  if (!followRevision(d)) return;
  if (!flagsRecorded(d)) return;
  if (!candidateAvailable(d)) return;
  if (d.status.fullPromotionRequested) return beginPromotion(d, 'full promotion requested');
  if (!checkBackgroundAnalysis(d)) return;
  runStep(d);
  holdHeaderRoute(d);
}

function holdPaused(d: DecisionBuilder): void {
  if (!handleCommands(d)) return;
  if (!followRevision(d)) return;
  holdWeights(d, 'paused: keep the current weights');
  holdHeaderRoute(d);
  checkBackgroundAnalysis(d);
}

/** Applies pending commands; returns false when one of them ended this reconcile. */
function handleCommands(d: DecisionBuilder): boolean {
  const paused = d.status.phase === 'Paused';
  for (const cmd of d.obs.commands) {
    switch (cmd.kind) {
      case 'abort':
        d.markHandled('abort', cmd.id);
        abortRollout(d, 'Aborted', cmd.reason ? `aborted: ${cmd.reason}` : `aborted (${cmd.id})`);
        return false;
      case 'retry':
        ignoreCommand(d, cmd, `nothing to retry while ${d.status.phase}`);
        break;
      case 'overrideBudget':
        ignoreCommand(d, cmd, `no budget freeze to override while ${d.status.phase}`);
        break;
      case 'pause':
        if (paused) {
          ignoreCommand(d, cmd, 'already paused');
          break;
        }
        d.markHandled('pause', cmd.id);
        pause(d, 'PausedByCommand', cmd.reason ?? `paused by command ${cmd.id}`);
        return false;
      case 'resume':
        if (!paused) {
          ignoreCommand(d, cmd, 'not paused');
          break;
        }
        if (pausedBy(d) === 'PausedByStep') {
          // Resuming would only reach the same pause step again: promote ends it.
          ignoreCommand(d, cmd, 'paused by a pause step; promote to go on');
          break;
        }
        d.markHandled('resume', cmd.id);
        if (resume(d, `resumed (${cmd.id})`) === 'AnalysisInconclusive') restartStepAnalysis(d);
        break;
      case 'promoteFull':
        d.markHandled('promoteFull', cmd.id);
        if (paused) resume(d, `full promotion (${cmd.id})`);
        d.status.fullPromotionRequested = true;
        d.transition(
          'Promoting',
          `full promotion requested (${cmd.id}); waiting for the candidate`,
        );
        return true;
      case 'promote':
        if (cmd.step !== undefined && cmd.step !== d.step) {
          ignoreCommand(d, cmd, `bound to step ${cmd.step}, rollout is at step ${d.step}`);
          break;
        }
        d.markHandled('promote', cmd.id);
        if (paused) resume(d, `promoted past step ${d.step} (${cmd.id})`);
        completeStep(d, `promoted by ${cmd.by ?? cmd.id}`, true);
        return false;
      default: {
        const never: never = cmd.kind;
        throw new Error(`unknown command ${String(never)}`);
      }
    }
  }
  return true;
}

/** A new target revision restarts the rollout; the stable one ends it. */
function followRevision(d: DecisionBuilder): boolean {
  const target = d.obs.target;
  if (!target || target.revision === d.status.canaryRevision) return true;
  if (target.revision === d.status.stableRevision) {
    abortRollout(d, 'Aborted', `target reverted to the stable revision ${target.revision}`);
    d.transition('RevertedToStable', 'rollout ended: the target runs the stable revision', {
      phase: 'Healthy',
    });
    return false;
  }
  if (d.status.originalRoutes) syncRoutes(d, d.status.originalRoutes, 'new revision: start over');
  terminateRuns(d, `superseded by revision ${target.revision}`);
  d.transition(
    'RevisionChanged',
    `revision ${target.revision} supersedes ${d.status.canaryRevision}`,
  );
  startRollout(d);
  return false;
}

/** Never moves traffic to a candidate that is not available; aborts past the progress deadline. */
function candidateAvailable(d: DecisionBuilder): boolean {
  const target = d.obs.target;
  if (target?.available) {
    delete d.status.unavailableSince;
    return true;
  }
  const since = d.status.unavailableSince ?? d.nowIso;
  d.status.unavailableSince = since;
  const deadlineMs = (d.rollout.spec.progressDeadlineSeconds ?? DEFAULT_DEADLINE_S) * 1000;
  const waited = d.obs.now - Date.parse(since);
  if (waited >= deadlineMs) {
    abortRollout(
      d,
      'ProgressDeadlineExceeded',
      `candidate not available after ${Math.round(waited / 1000)}s (progressDeadlineSeconds ${deadlineMs / 1000}): ${target?.availableReplicas ?? 0}/${target?.replicas ?? 0} replicas available`,
    );
    return false;
  }
  holdWeights(d, 'waiting for the candidate: keep the current weights');
  holdHeaderRoute(d);
  d.setCondition(
    'Progressing',
    'True',
    'WaitingForCandidate',
    'waiting for the candidate to become available',
  );
  d.requeue(Math.min(POLL_MS, deadlineMs - waited));
  return false;
}

function checkBackgroundAnalysis(d: DecisionBuilder): boolean {
  const bg = d.rollout.spec.strategy.canary?.analysis;
  if (!bg || d.step < (bg.startingStep ?? 0)) return true;
  const run = d.obs.backgroundRun;
  const name = d.status.analysisRuns?.background ?? runName(d, 'bg');
  if (!run) {
    d.status.analysisRuns = { ...d.status.analysisRuns, background: name };
    d.act({ kind: 'startAnalysis', name, step: -1, analysis: bg });
    return true;
  }
  copyMeasurements(d, run);
  return judgeRun(d, run, false);
}

/** Acts on a finished run. Returns true when the rollout may go on. */
function judgeRun(d: DecisionBuilder, run: RunState, isStep: boolean): boolean {
  switch (run.phase) {
    case 'Failed':
    case 'Error':
      abortRollout(
        d,
        'AnalysisFailed',
        `analysis ${run.name} ${run.phase.toLowerCase()}: ${run.message ?? ''}`.trim(),
      );
      return false;
    case 'Inconclusive':
      if (d.status.phase !== 'Paused') {
        pause(
          d,
          'AnalysisInconclusive',
          `analysis ${run.name} inconclusive: ${run.message ?? ''}`.trim(),
        );
      }
      return false;
    case 'Successful':
    case 'Terminated':
      return true;
    case 'Pending':
    case 'Running':
      if (isStep) d.requeue(ANALYSIS_POLL_MS);
      return !isStep;
    default: {
      const never: never = run.phase;
      throw new Error(`unknown analysis phase ${String(never)}`);
    }
  }
}

function runStep(d: DecisionBuilder): void {
  const steps = d.rollout.spec.strategy.canary?.steps ?? [];
  const step = steps[d.step];
  if (!step) return beginPromotion(d, 'all steps completed');
  executeStep(d, step);
}

function executeStep(d: DecisionBuilder, step: CanaryStep): void {
  if ('setWeight' in step) return setWeight(d, step.setWeight);
  if ('pause' in step) {
    if (step.pause.duration === undefined)
      return pause(d, 'PausedByStep', `step ${d.step}: paused until promoted`);
    const remaining = stepStart(d) + parseDuration(step.pause.duration) - d.obs.now;
    if (remaining <= 0) return completeStep(d, `pause of ${step.pause.duration} ended`);
    holdWeights(d, 'timed pause: keep the current weights');
    return d.requeue(remaining);
  }
  if ('analysis' in step) {
    holdWeights(d, 'analysis: keep the current weights');
    const tag = stepRunTag(d, step.analysis);
    let run = d.obs.stepRun;
    const current = d.status.analysisRuns?.step;
    if (current !== undefined && !current.includes(tag)) {
      // The step's analysis was edited while its run was going: that run judges the old one.
      if (run && (run.phase === 'Running' || run.phase === 'Pending'))
        d.act({ kind: 'terminateAnalysis', name: run.name, message: 'the step analysis changed' });
      d.transitions.push({
        type: 'Normal',
        reason: 'AnalysisStarted',
        message: `step ${d.step}: the analysis changed; run ${current} replaced by a new one`,
      });
      d.status.analysisRuns = { ...d.status.analysisRuns, step: runName(d, tag) };
      run = undefined;
    }
    if (!run) {
      const name = d.status.analysisRuns?.step ?? runName(d, tag);
      d.status.analysisRuns = { ...d.status.analysisRuns, step: name };
      d.act({ kind: 'startAnalysis', name, step: d.step, analysis: step.analysis });
      return d.requeue(ANALYSIS_POLL_MS);
    }
    copyMeasurements(d, run);
    if (judgeRun(d, run, true) && run.phase === 'Successful')
      completeStep(d, `analysis ${run.name} successful`);
    return;
  }
  if ('setHeaderRoute' in step) {
    d.status.headerRoute = { match: step.setHeaderRoute.match };
    if (!(d.obs.routes.ok && d.obs.routes.headerRoute))
      d.act({ kind: 'setHeaderRoute', match: step.setHeaderRoute.match });
    return completeStep(d, 'header route in place');
  }
  if ('setFlag' in step) {
    const set = explicitFlag(d, step.setFlag.flag, step.setFlag.percent);
    return completeStep(d, `flag ${step.setFlag.flag} at ${set}%`);
  }
  if ('gate' in step) return runGate(d, step.gate);
  throw new Error(`unknown step ${JSON.stringify(step)}`);
}

function setWeight(d: DecisionBuilder, percent: number): void {
  if (!d.obs.routes.ok) return;
  const plan = planRoutes(d.obs.routes.routes, hostsOf(d), percent);
  d.status.weights = { stable: 100 - plan.effective, canary: plan.effective };
  syncRoutes(d, plan.routes, `step ${d.step}: setWeight ${percent}`);
  followWeight(d, plan.effective);
  if (plan.capped) {
    d.setCondition(
      'WeightCapped',
      'True',
      'WeightCapped',
      `setWeight ${percent} capped at ${plan.effective}: destinations Sluice does not manage keep their share`,
    );
  }
  completeStep(d, `canary weight ${plan.effective}%`);
}

function runGate(
  d: DecisionBuilder,
  gate: {
    deadline?: string | undefined;
    interval?: string | undefined;
    onDeadline?: 'abort' | 'pause' | undefined;
  },
): void {
  holdWeights(d, 'gate: keep the current weights');
  const g = d.obs.gate;
  if (g?.approved) return completeStep(d, 'gate approved');
  const deadline = parseDuration(gate.deadline ?? '1h');
  if (d.obs.now - stepStart(d) >= deadline) {
    const msg = `gate not approved within ${gate.deadline ?? '1h'}${g?.message ? `: ${g.message}` : ''}`;
    if ((gate.onDeadline ?? 'abort') === 'abort') return abortRollout(d, 'GateTimeout', msg);
    return pause(d, 'PausedByStep', msg);
  }
  const waiting = g?.message ? `waiting for gate: ${g.message}` : 'waiting for gate';
  d.setCondition('Progressing', 'True', 'WaitingForGate', waiting);
  d.status.message = waiting;
  d.requeue(Math.min(parseDuration(gate.interval ?? '30s'), deadline - (d.obs.now - stepStart(d))));
}

/** Moves to the next step. `byCommand` also ends a running step analysis as Terminated. */
function completeStep(d: DecisionBuilder, message: string, byCommand = false): void {
  const steps = d.rollout.spec.strategy.canary?.steps ?? [];
  const current = steps[d.step];
  if (byCommand && current && 'setWeight' in current) {
    setWeight(d, current.setWeight);
    return;
  }
  if (d.obs.stepRun && (d.obs.stepRun.phase === 'Running' || d.obs.stepRun.phase === 'Pending')) {
    d.act({
      kind: 'terminateAnalysis',
      name: d.obs.stepRun.name,
      message: `step ended: ${message}`,
    });
  }
  if (d.status.analysisRuns?.step !== undefined) {
    const { step: _done, ...rest } = d.status.analysisRuns;
    d.status.analysisRuns = rest;
  }
  d.transition('StepCompleted', `step ${d.step} completed: ${message}`);
  d.status.currentStepIndex = d.step + 1;
  d.status.stepStartedAt = d.nowIso;
  d.status.pausedMs = 0;
  d.setCondition('Progressing', 'True', 'StepCompleted', `at step ${d.step} of ${steps.length}`);
  d.requeue(0);
}

function pausedBy(d: DecisionBuilder): string | undefined {
  return d.status.conditions?.find((c) => c.type === 'Paused' && c.status === 'True')?.reason;
}

function pause(
  d: DecisionBuilder,
  reason: 'PausedByStep' | 'PausedByCommand' | 'AnalysisInconclusive',
  message: string,
): void {
  d.status.pausedAt = d.nowIso;
  d.setCondition('Paused', 'True', reason, message);
  d.transition(reason, message, { warning: reason === 'AnalysisInconclusive', phase: 'Paused' });
}

/**
 * Leaves a pause; the paused time does not count toward a timed pause. Returns why it was
 * paused. After an inconclusive hold the background analysis starts afresh, otherwise its
 * inconclusive result would pause the rollout again at once.
 */
function resume(d: DecisionBuilder, message: string): string | undefined {
  const why = d.status.conditions?.find((c) => c.type === 'Paused')?.reason;
  const pausedAt = d.status.pausedAt ? Date.parse(d.status.pausedAt) : d.obs.now;
  d.status.pausedMs = (d.status.pausedMs ?? 0) + Math.max(0, d.obs.now - pausedAt);
  delete d.status.pausedAt;
  delete d.status.unavailableSince;
  d.clearCondition('Paused');
  if (why === 'AnalysisInconclusive' && d.status.analysisRuns?.background !== undefined) {
    const bg = d.obs.backgroundRun;
    if (bg && (bg.phase === 'Running' || bg.phase === 'Pending')) {
      d.act({ kind: 'terminateAnalysis', name: bg.name, message: 'restarted after the hold' });
    }
    d.status.analysisRuns = {
      ...d.status.analysisRuns,
      background: runName(d, `bg-${d.obs.now.toString(36)}`),
    };
  }
  d.transition('Resumed', message, { phase: 'Progressing' });
  d.requeue(0);
  return why;
}

/** A resume after an inconclusive step analysis measures the step again with a fresh run. */
function restartStepAnalysis(d: DecisionBuilder): void {
  const run = d.obs.stepRun;
  if (run && (run.phase === 'Running' || run.phase === 'Pending')) {
    d.act({ kind: 'terminateAnalysis', name: run.name, message: 'restarted after resume' });
  }
  const step = d.rollout.spec.strategy.canary?.steps[d.step];
  if (d.status.analysisRuns?.step !== undefined) {
    const tag = step && 'analysis' in step ? stepRunTag(d, step.analysis) : `s${d.step}`;
    d.status.analysisRuns = {
      ...d.status.analysisRuns,
      step: runName(d, `${tag}-${d.obs.now.toString(36)}`),
    };
  }
}

function holdHeaderRoute(d: DecisionBuilder): void {
  const hr = d.status.headerRoute;
  if (hr && d.obs.routes.ok && !d.obs.routes.headerRoute)
    d.act({ kind: 'setHeaderRoute', match: hr.match });
}

function stepStart(d: DecisionBuilder): number {
  const started = d.status.stepStartedAt ? Date.parse(d.status.stepStartedAt) : d.obs.now;
  return started + (d.status.pausedMs ?? 0);
}

function copyMeasurements(d: DecisionBuilder, run: RunState): void {
  const others = (d.status.lastMeasurements ?? []).filter(
    (m) => !run.measurements.some((r) => r.metric === m.metric),
  );
  const next = [...others, ...run.measurements];
  if (JSON.stringify(next) !== JSON.stringify(d.status.lastMeasurements ?? []))
    d.status.lastMeasurements = next;
}
