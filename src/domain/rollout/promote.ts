import type { DecisionBuilder } from './builder.js';
import {
  abortRollout,
  drainCandidate,
  ignoreCommand,
  startRollout,
  terminateRuns,
} from './lifecycle.js';
import { hostsOf, planRoutes, syncRoutes } from './routes.js';
import { finalFlags } from './flags.js';

const POLL_MS = 1000;

export function beginPromotion(d: DecisionBuilder, why: string): void {
  d.setCondition('Progressing', 'True', 'Promoting', why);
  d.transition('Promoting', `promoting revision ${d.status.canaryRevision}: ${why}`, {
    phase: 'Promoting',
  });
  d.requeue(0);
}

/**
 * Promotion: the primary takes the candidate's template, becomes available, traffic returns to
 * it, then the candidate scales down. Until the primary's template changes, an abort still wins.
 */
export function handlePromoting(d: DecisionBuilder): void {
  const { target, primary } = d.obs;
  const s = d.status;
  if (!target || !primary) return;
  for (const cmd of d.obs.commands) {
    if (cmd.kind === 'abort' && !s.promotionCommitted) {
      d.markHandled('abort', cmd.id);
      abortRollout(d, 'Aborted', cmd.reason ? `aborted: ${cmd.reason}` : `aborted (${cmd.id})`);
      return;
    }
    ignoreCommand(d, cmd, s.promotionCommitted ? 'promotion already committed' : 'promoting');
  }
  if (!s.promotionCommitted && target.revision !== s.canaryRevision) {
    terminateRuns(d, `superseded by revision ${target.revision}`);
    if (s.originalRoutes) syncRoutes(d, s.originalRoutes, 'new revision: start over');
    startRollout(d);
    return;
  }
  if (primary.revision !== s.canaryRevision) {
    if (!target.available) {
      d.requeue(POLL_MS);
      return;
    }
    d.act({ kind: 'promotePrimary' });
    s.promotionCommitted = true;
    d.requeue(POLL_MS);
    return;
  }
  if (!primary.available) {
    d.requeue(POLL_MS);
    return;
  }
  finishPromotion(d);
}

export function finishPromotion(d: DecisionBuilder): void {
  const s = d.status;
  if (d.obs.routes.ok) {
    syncRoutes(
      d,
      planRoutes(d.obs.routes.routes, hostsOf(d), 0).routes,
      'promoted: all traffic to the primary',
    );
    if (d.obs.routes.headerRoute) d.act({ kind: 'removeHeaderRoute' });
  }
  terminateRuns(d, 'rollout promoted');
  finalFlags(d);
  drainCandidate(d);
  s.stableRevision = s.canaryRevision;
  s.weights = { stable: 100, canary: 0 };
  delete s.promotionCommitted;
  delete s.fullPromotionRequested;
  delete s.headerRoute;
  delete s.unavailableSince;
  d.setCondition('Progressing', 'False', 'Promoted', `revision ${s.canaryRevision} promoted`);
  d.clearCondition('WeightCapped');
  d.transition('Promoted', `revision ${s.canaryRevision} promoted to stable`, { phase: 'Healthy' });
}
