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

export function budgetReaderFrom(source: SloStatusSource): BudgetReader {
  return {
    async read(namespace, slo) {
      try {
        const found = await source.get({ namespace, name: slo });
        return {
          slo,
          found: true,
          remaining: found.status?.errorBudgetRemaining,
          evaluatedAt: found.status?.evaluatedAt,
        };
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
