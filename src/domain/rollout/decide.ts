import type { Rollout, RolloutPhase } from '../types.js';
import { DecisionBuilder } from './builder.js';
import {
  handleAborted,
  handleBudgetFrozen,
  handleHealthy,
  handleInitializing,
  handleInvalid,
} from './lifecycle.js';
import { handleBlueGreen } from './blue-green.js';
import { handlePaused, handleProgressing, retireBaseline } from './canary.js';
import { handlePromoting } from './promote.js';
import type { Decision, Observed } from './model.js';
import { markFlagsForRestore } from './flags.js';
import { terminateRuns } from './lifecycle.js';
import { holdWeights, syncRoutes } from './routes.js';

/** Phases whose handling depends on the strategy; the others are shared (lifecycle.ts). */
const IN_FLIGHT: ReadonlySet<RolloutPhase> = new Set(['Progressing', 'Paused', 'Promoting']);

/**
 * The rollout state machine: given the Rollout and what was observed, returns the actions to
 * take and the next status. Pure: the same input always gives the same decision.
 *
 * NOTE: the controller runs the actions in order and writes the status only when all of them
 * succeeded, so every decision must be safe to repeat after a crash between the two.
 */
export function decide(rollout: Rollout, obs: Observed): Decision {
  const d = new DecisionBuilder(rollout, obs);
  const phase = d.status.phase ?? 'Initializing';
  if (phase !== 'Invalid' && !checkSpec(d)) return built(d);
  if (!routesReadable(d)) return d.build();
  if (d.rollout.spec.strategy.blueGreen && IN_FLIGHT.has(phase)) {
    handleBlueGreen(d);
    return built(d);
  }
  switch (phase) {
    case 'Initializing':
      handleInitializing(d);
      break;
    case 'Healthy':
      handleHealthy(d);
      break;
    case 'Progressing':
      handleProgressing(d);
      break;
    case 'Paused':
      handlePaused(d);
      break;
    case 'Promoting':
      handlePromoting(d);
      break;
    case 'Aborted':
      handleAborted(d);
      break;
    case 'Invalid':
      handleInvalid(d, checkSpec);
      break;
    case 'BudgetFrozen':
      handleBudgetFrozen(d);
      break;
    default: {
      const never: never = phase;
      throw new Error(`unknown phase ${String(never)}`);
    }
  }
  return built(d);
}

function built(d: DecisionBuilder) {
  retireBaseline(d);
  tidyHealthy(d);
  return d.build();
}

/**
 * A Healthy status names no candidate and no step that is not there: after a promotion the
 * steps are all done (also after a full promotion that skipped some), and a revision that was
 * abandoned (the target went back to stable) is no longer the candidate.
 */
function tidyHealthy(d: DecisionBuilder): void {
  const s = d.status;
  if (s.phase !== 'Healthy') return;
  if (s.canaryRevision !== undefined && s.canaryRevision !== s.stableRevision) {
    delete s.canaryRevision;
    delete s.currentStepIndex;
    return;
  }
  const steps = d.rollout.spec.strategy.canary?.steps.length;
  if (steps !== undefined && s.currentStepIndex !== undefined) s.currentStepIndex = steps;
}

/** Nothing is decided on routes that could not be read: say so, and look again soon. */
function routesReadable(d: DecisionBuilder): boolean {
  if (d.obs.routes.ok) {
    if (d.status.conditions?.some((c) => c.reason === 'RouteUnreadable'))
      d.clearCondition('TrafficRouting');
    return true;
  }
  d.setCondition('TrafficRouting', 'False', 'RouteUnreadable', d.obs.routes.message);
  d.requeue(10_000);
  return false;
}

/** Reports spec problems as the Invalid phase; nothing is moved while the spec is invalid. */
function checkSpec(d: DecisionBuilder): boolean {
  const problems = [...d.obs.specProblems];
  const name = d.rollout.spec.targetRef.name;
  if (d.obs.target === undefined) {
    problems.push({ field: 'spec.targetRef.name', message: `Deployment "${name}" not found` });
  }
  if (!d.obs.routes.ok && d.obs.routes.missing) {
    problems.push({
      field: d.obs.routes.field ?? 'spec.trafficRouting.istio',
      message: d.obs.routes.message,
    });
  }
  if (problems.length === 0) return true;
  const message = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  const phase = d.status.phase ?? 'Initializing';
  if (phase !== 'Invalid') d.status.invalidFrom = phase;
  const known = d.status.conditions?.find((c) => c.type === 'SpecValid' && c.status === 'False');
  if (phase !== 'Invalid' || known?.message !== message) {
    d.transition('InvalidSpec', message, { warning: true, phase: 'Invalid' });
  }
  d.setCondition('SpecValid', 'False', 'InvalidSpec', message);
  keepTrafficSafe(d);
  d.requeue(30_000);
  return false;
}

/**
 * An invalid spec stops every step forward, never the way back: an abort is obeyed, and a
 * candidate that is missing or not available gets no traffic. Otherwise the weights hold.
 */
function keepTrafficSafe(d: DecisionBuilder): void {
  const s = d.status;
  const inFlight =
    s.invalidFrom === 'Progressing' ||
    s.invalidFrom === 'Paused' ||
    (s.invalidFrom === 'Promoting' && !s.promotionCommitted);
  if (!inFlight) return;
  const abort = d.obs.commands.find((c) => c.kind === 'abort');
  if (!abort && d.obs.target?.available) {
    holdWeights(d, 'spec invalid: hold the current weights');
    return;
  }
  if (abort) d.markHandled('abort', abort.id);
  if (s.originalRoutes) syncRoutes(d, s.originalRoutes, 'spec invalid: all traffic back to stable');
  if (d.obs.routes.ok && d.obs.routes.headerRoute) d.act({ kind: 'removeHeaderRoute' });
  terminateRuns(d, 'rollout stopped: spec invalid');
  if (d.obs.target && d.obs.target.replicas !== 0) d.act({ kind: 'scaleCandidate', replicas: 0 });
  markFlagsForRestore(d);
  s.weights = { stable: 100, canary: 0 };
  s.invalidFrom = 'Aborted';
  const why = abort
    ? `aborted${abort.reason ? `: ${abort.reason}` : ''} while the spec is invalid`
    : 'the candidate is missing or not available while the spec is invalid';
  d.setCondition('Aborted', 'True', 'Aborted', why);
  d.transitions.push({
    type: 'Warning',
    reason: 'Aborted',
    message: `${why}: all traffic back to stable`,
  });
}
