import { decideBudgetGate } from '../slo/gate.js';
import { hasVisibleText } from '../text.js';
import type { DecisionBuilder } from './builder.js';
import { ignoreCommand } from './lifecycle.js';

// The budget policy: a new rollout starts only while the service's error budget allows it.
// When the named ServiceLevelObjective's remaining budget is at or below `freezeBelow`, the new
// revision waits in BudgetFrozen with all traffic on stable, until the budget recovers, the
// target goes back to the stable revision, or an operator overrides with a reason (the API
// audits it). Only starts are held: a rollout already in flight, an abort or a rollback never is.

/** An SLO status older than this counts as unknown: the evaluator has stopped reporting. */
export const BUDGET_STALE_MS = 15 * 60_000;
const RECHECK_MS = 30_000;

/**
 * Whether the candidate may start now. When it may not, the decision is already made
 * (BudgetFrozen, condition, event) and the caller stops.
 */
export function budgetAllowsStart(d: DecisionBuilder, from: 'Healthy' | 'Aborted'): boolean {
  const policy = d.rollout.spec.budgetPolicy;
  const target = d.obs.target;
  if (!policy) {
    // The policy was removed: nothing of it stays on the status.
    d.clearCondition('BudgetFrozen');
    delete d.status.budget;
    return true;
  }
  if (!target) return true;
  const s = d.status;
  takeOverride(d, target.revision);
  const obs = d.obs.budget;
  const fresh =
    obs?.evaluatedAt !== undefined && d.obs.now - Date.parse(obs.evaluatedAt) <= BUDGET_STALE_MS;
  const remaining = obs?.found && fresh ? obs.remaining : undefined;
  const override = s.budget?.override?.revision === target.revision ? s.budget.override : undefined;
  const why = describeUnknown(policy.slo, obs, fresh);
  const gate = decideBudgetGate(remaining, policy, override, why);
  s.budget = {
    ...(s.budget ?? {}),
    slo: policy.slo,
    ...(remaining === undefined ? {} : { remaining }),
    ...(obs?.evaluatedAt === undefined ? {} : { evaluatedAt: obs.evaluatedAt }),
  };
  if (remaining === undefined) delete s.budget.remaining;
  const message = `SLO ${policy.slo}: ${gate.message}`;
  if (gate.allowed) {
    if (s.phase === 'BudgetFrozen' || gate.reason !== 'BudgetAvailable') {
      d.setCondition('BudgetFrozen', 'False', gate.reason, message);
    }
    if (gate.reason === 'BudgetUnknown' && s.phase !== 'BudgetFrozen')
      d.transitions.push({
        type: 'Warning',
        reason: 'BudgetUnknown',
        message: `${message}; the rollout starts`,
      });
    return true;
  }
  if (target.replicas !== 0) d.act({ kind: 'scaleCandidate', replicas: 0 });
  d.setCondition('BudgetFrozen', 'True', gate.reason, message);
  // Still frozen: the phase message follows the budget as it is now, not as it was at the freeze.
  if (s.phase === 'BudgetFrozen') s.message = `revision ${target.revision} waits: ${message}`;
  if (s.phase !== 'BudgetFrozen') {
    s.budget.frozenFrom = from;
    // The status shows the held revision, not the last one rolled out (and none of its steps).
    s.canaryRevision = target.revision;
    delete s.currentStepIndex;
    s.lastMeasurements = [];
    d.transition('BudgetFrozen', `revision ${target.revision} waits: ${message}`, {
      warning: true,
      phase: 'BudgetFrozen',
    });
  }
  d.requeue(RECHECK_MS);
  return false;
}

/** An overrideBudget command with a reason lets the current candidate start; without, refused. */
function takeOverride(d: DecisionBuilder, revision: string): void {
  for (const cmd of d.obs.commands) {
    if (cmd.kind !== 'overrideBudget') continue;
    const reason = cmd.reason?.trim() ?? '';
    if (!hasVisibleText(reason)) {
      ignoreCommand(d, cmd, 'an override needs a reason (visible text)');
      continue;
    }
    d.markHandled('overrideBudget', cmd.id);
    const override = { revision, reason, at: d.nowIso, ...(cmd.by ? { by: cmd.by } : {}) };
    d.status.budget = { ...(d.status.budget ?? { slo: '' }), override };
    d.transition(
      'BudgetOverridden',
      `budget freeze overridden for revision ${revision} by ${cmd.by ?? cmd.id}: ${reason}`,
      { warning: true },
    );
  }
}

function describeUnknown(
  slo: string,
  obs: DecisionBuilder['obs']['budget'],
  fresh: boolean,
): string | undefined {
  if (!obs || !obs.found) return `ServiceLevelObjective "${slo}" not found`;
  if (obs.evaluatedAt === undefined) return 'not evaluated yet';
  if (!fresh) return `last evaluated at ${obs.evaluatedAt}, too long ago to trust`;
  if (obs.remaining === undefined) return 'no data in the SLO window';
  return undefined;
}
