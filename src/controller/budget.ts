import { ResourceNotFoundError } from '../domain/errors.js';
import type { BudgetObservation } from '../domain/rollout/model.js';
import type { Rollout } from '../domain/types.js';

// Reads the error budget a Rollout's budget policy names, from the ServiceLevelObjective's
// status (written by the SLO evaluator). Only read when a new rollout may start.

export interface SloStatusSource {
  get(key: { namespace: string; name: string }): Promise<{
    status?: { errorBudgetRemaining?: number | undefined; evaluatedAt?: string | undefined };
  }>;
}

export interface BudgetReader {
  read(namespace: string, slo: string): Promise<BudgetObservation>;
}

type SloStatus = Awaited<ReturnType<SloStatusSource['get']>>;

/** A watch cache of SLOs (runtime.ts); read instead of the API server once it has synced. */
export interface SloStatusCache {
  hasSynced(): boolean;
  get(namespace: string, name: string): SloStatus | undefined;
}

export function budgetReaderFrom(
  source: SloStatusSource,
  cache: () => SloStatusCache | undefined = () => undefined,
): BudgetReader {
  return {
    async read(namespace, slo) {
      const seen = (found: SloStatus | undefined): BudgetObservation =>
        found
          ? {
              slo,
              found: true,
              remaining: found.status?.errorBudgetRemaining,
              evaluatedAt: found.status?.evaluatedAt,
            }
          : { slo, found: false };
      const c = cache();
      if (c?.hasSynced()) return seen(c.get(namespace, slo));
      try {
        return seen(await source.get({ namespace, name: slo }));
      } catch (err) {
        if (err instanceof ResourceNotFoundError) return { slo, found: false };
        throw err;
      }
    },
  };
}

/** A new revision may be waiting to start: the only time the budget matters. */
export function budgetMatters(rollout: Rollout, idle: boolean): boolean {
  const phase = rollout.status?.phase;
  return (
    !idle &&
    rollout.spec.budgetPolicy !== undefined &&
    (phase === 'Healthy' || phase === 'Aborted' || phase === 'BudgetFrozen')
  );
}
