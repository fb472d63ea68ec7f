import { isFinished } from '../domain/analysis.js';
import { errorMessage } from '../domain/errors.js';
import type { AnalysisRun, Rollout } from '../domain/types.js';
import type { Logger } from '../logging.js';
import type { Resources } from '../adapters/kubernetes/resources.js';
import { ROLLOUT_LABEL } from './workload.js';

// AnalysisRuns are kept for people to read after the fact, but not forever: every start of a
// run prunes the rollout's finished runs beyond the newest KEEP_ANALYSIS_RUNS. Runs in use
// (named on the status) and runs still going are never deleted.

export const KEEP_ANALYSIS_RUNS = 10;

function newestFirst(a: AnalysisRun, b: AnalysisRun): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return tb - ta;
  const ra = Number(a.metadata.resourceVersion);
  const rb = Number(b.metadata.resourceVersion);
  return Number.isFinite(ra) && Number.isFinite(rb) ? rb - ra : 0;
}

/** The runs to delete: finished, not in use, beyond the newest `keep` of this rollout. */
export function runsToPrune(rollout: Rollout, runs: AnalysisRun[], keep: number): AnalysisRun[] {
  const inUse = new Set(Object.values(rollout.status?.analysisRuns ?? {}));
  const mine = runs
    .filter((r) => r.spec.rollout === rollout.metadata.name)
    .sort(newestFirst)
    .slice(keep);
  return mine.filter(
    (r) => !inUse.has(r.metadata.name) && r.status !== undefined && isFinished(r.status.phase),
  );
}

/** Best effort: a failure is logged and retried at the next run start, never fails a step. */
export async function pruneAnalysisRuns(
  deps: { resources: Resources; logger?: Logger | undefined },
  rollout: Rollout,
  keep = KEEP_ANALYSIS_RUNS,
): Promise<number> {
  const namespace = rollout.metadata.namespace ?? 'default';
  try {
    const { items } = await deps.resources.analysisRuns.list({
      namespace,
      labelSelector: `${ROLLOUT_LABEL}=${rollout.metadata.name}`,
    });
    const doomed = runsToPrune(rollout, items, keep);
    for (const run of doomed)
      await deps.resources.analysisRuns.delete({ namespace, name: run.metadata.name });
    return doomed.length;
  } catch (err) {
    deps.logger?.warn('could not prune old analysis runs', {
      namespace,
      rollout: rollout.metadata.name,
      error: errorMessage(err),
    });
    return 0;
  }
}
