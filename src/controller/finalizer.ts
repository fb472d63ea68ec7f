import { SluiceError, errorMessage } from '../domain/errors.js';
import type { Rollout } from '../domain/types.js';
import type { Resources } from '../adapters/kubernetes/resources.js';
import type { Logger } from '../logging.js';
import { routeRefOf } from './observe.js';
import { headerRouteName, type FlagPort, type TrafficRouter } from './ports.js';

// A Rollout carries this finalizer so that deleting it in the middle of a rollout first sends
// traffic back to the routes as they were before; the primary has no ownerReference, so it keeps
// serving after the Rollout is gone.

export const FINALIZER = 'sluice.dev/restore-routes';

export interface FinalizerDeps {
  resources: Resources;
  router: TrafficRouter;
  logger: Logger;
  flags?: FlagPort | undefined;
}

/** Adds the finalizer once; best effort (a stale view is retried on the next reconcile). */
export async function ensureFinalizer(deps: FinalizerDeps, rollout: Rollout): Promise<void> {
  const finalizers = rollout.metadata.finalizers ?? [];
  if (finalizers.includes(FINALIZER)) return;
  const key = { namespace: rollout.metadata.namespace ?? 'default', name: rollout.metadata.name };
  try {
    const updated = await deps.resources.rollouts.patchJson(
      key,
      rollout.metadata.finalizers
        ? [
            { op: 'test', path: '/metadata/finalizers', value: finalizers },
            { op: 'add', path: '/metadata/finalizers/-', value: FINALIZER },
          ]
        : [{ op: 'add', path: '/metadata/finalizers', value: [FINALIZER] }],
    );
    rollout.metadata.finalizers = updated.metadata.finalizers;
    rollout.metadata.resourceVersion = updated.metadata.resourceVersion;
  } catch (err) {
    // Our view was stale (or the server refused); the next reconcile adds it.
    deps.logger.debug('finalizer not added yet', {
      namespace: key.namespace,
      rollout: key.name,
      error: errorMessage(err),
    });
  }
}

/**
 * A Rollout deleted in the middle of a rollout sends traffic back to the routes as they were
 * before it (the primary keeps serving: it has no ownerReference), then lets go.
 */
export async function finalize(deps: FinalizerDeps, rollout: Rollout): Promise<void> {
  const finalizers = rollout.metadata.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) return;
  const s = rollout.status ?? {};
  const ref = routeRefOf(rollout);
  const inFlight =
    s.phase !== 'Healthy' && s.phase !== 'Initializing' && s.originalRoutes !== undefined;
  try {
    if (inFlight && s.originalRoutes) await deps.router.write(ref, s.originalRoutes);
    await deps.router.removeHeaderRoute(ref, headerRouteName(rollout.metadata.name));
  } catch (err) {
    // A VirtualService that is gone has nothing to restore; anything else is retried.
    if (!(err instanceof SluiceError && err.code === 'NotFound')) throw err;
  }
  // Then the flags, as an abort does: back to the state recorded before the rollout touched
  // them. A failure keeps the finalizer, so the deletion waits and this is tried again.
  const snapshots = (inFlight || s.flagsRestorePending) && s.featureFlags ? s.featureFlags : [];
  if (snapshots.length > 0 && !deps.flags)
    deps.logger.warn(
      'rollout deleted; its feature flags cannot be restored without a flag provider',
      {
        namespace: rollout.metadata.namespace ?? 'default',
        rollout: rollout.metadata.name,
        flags: snapshots.map((f) => f.name),
      },
    );
  else for (const f of snapshots) await deps.flags?.restore(f.snapshot);
  const key = { namespace: rollout.metadata.namespace ?? 'default', name: rollout.metadata.name };
  await deps.resources.rollouts.patchJson(key, [
    { op: 'test', path: '/metadata/finalizers', value: finalizers },
    {
      op: 'replace',
      path: '/metadata/finalizers',
      value: finalizers.filter((f) => f !== FINALIZER),
    },
  ]);
  deps.logger.info('rollout deleted; routes restored', {
    namespace: key.namespace,
    rollout: key.name,
    restored: inFlight,
    flagsRestored: deps.flags ? snapshots.map((f) => f.name) : [],
  });
}
