import { ResourceNotFoundError, SluiceError } from '../domain/errors.js';
import type { Rollout } from '../domain/types.js';
import type { ExecuteContext, ExecuteDeps } from './execute.js';
import { readDeployment } from './observe.js';
import { baselineName, baselineTemplate, buildBaseline, templateHash } from './workload.js';

// Carries out the baseline actions (domain/rollout/canary.ts, syncBaseline). Both are
// idempotent: run again after a crash, they converge on the same Deployment, or on none.

/** Creates `<name>-baseline` from the primary, or brings its template and size in line. */
export async function ensureBaseline(
  deps: ExecuteDeps,
  ctx: ExecuteContext,
  replicas: number,
): Promise<void> {
  const { rollout, primary } = ctx;
  if (!primary) return;
  const ns = rollout.metadata.namespace ?? 'default';
  const name = baselineName(rollout);
  const existing = await readDeployment(deps, ns, name);
  if (!existing) {
    try {
      await deps.resources.deployments.create(buildBaseline(rollout, primary, replicas));
    } catch (err) {
      if (!(err instanceof SluiceError && err.code === 'Conflict')) throw err;
    }
    return;
  }
  const wanted = baselineTemplate(primary);
  if (templateHash(existing.spec?.template) !== templateHash(wanted)) {
    // The stable version changed under a baseline left from before: follow it.
    const next = structuredClone(existing);
    next.spec = { ...(next.spec ?? { selector: {}, template: {} }), template: wanted, replicas };
    await deps.resources.deployments.update(next);
    return;
  }
  if ((existing.spec?.replicas ?? 1) !== replicas)
    await deps.resources.deployments.scale({ namespace: ns, name }, replicas);
}

/** Deletes `<name>-baseline`; nothing to do when it is already gone. */
export async function removeBaseline(deps: ExecuteDeps, rollout: Rollout): Promise<void> {
  const ns = rollout.metadata.namespace ?? 'default';
  const name = baselineName(rollout);
  const cache = deps.cache?.deployments;
  if (cache?.hasSynced() && !cache.get(ns, name)) return;
  try {
    await deps.resources.deployments.delete({ namespace: ns, name });
  } catch (err) {
    if (err instanceof ResourceNotFoundError) return;
    throw err;
  }
}
