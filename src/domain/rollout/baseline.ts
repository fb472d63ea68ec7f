import type { DecisionBuilder } from './builder.js';

/**
 * spec.strategy.canary.baseline: `<name>-baseline` runs the stable template at the canary's
 * size while the rollout is in flight (Progressing or Paused) and goes as soon as it is not:
 * promotion, abort, a revert to stable. Decided after the phase handler, so every way out of
 * these two phases removes it in the same reconcile that leaves them.
 */
export function syncBaseline(d: DecisionBuilder): void {
  if (!d.rollout.spec.strategy.canary?.baseline?.enabled) return;
  const phase = d.status.phase;
  const inFlight = phase === 'Progressing' || phase === 'Paused';
  if (inFlight && d.obs.target) {
    d.act({ kind: 'ensureBaseline', replicas: d.obs.target.replicas });
    d.status.baselineActive = true;
  } else if (!inFlight) {
    d.act({ kind: 'removeBaseline' });
    delete d.status.baselineActive;
  }
}

/**
 * Every other way a baseline can outlive its rollout (the option turned off mid-rollout, an abort
 * while the spec was invalid, a switch to blue-green): removed from whatever phase notices it.
 */
export function retireBaseline(d: DecisionBuilder): void {
  if (!d.status.baselineActive) return;
  // While the spec is invalid and the weights hold, the baseline holds too.
  const phase = d.status.phase === 'Invalid' ? d.status.invalidFrom : d.status.phase;
  const wanted =
    d.rollout.spec.strategy.canary?.baseline?.enabled === true &&
    (phase === 'Progressing' || phase === 'Paused');
  if (wanted) return;
  d.act({ kind: 'removeBaseline' });
  delete d.status.baselineActive;
}
