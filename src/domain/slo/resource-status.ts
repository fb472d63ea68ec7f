import type { Condition } from '../types.js';
import { DEFAULT_BURN_RATE_ALERTS } from './alerts.js';
import { significant } from './budget.js';
import type { SloStatus } from './status.js';
import {
  BURN_WINDOWS,
  SLO_CONDITION_TYPE,
  type FiringAlert,
  type ServiceLevelObjectiveStatus,
  type SloConditionReason,
} from './types.js';

// What the controller writes to a ServiceLevelObjective's status, from an evaluation (or its
// failure). Pure: the time comes in as an argument.

export type SloEvaluationOutcome =
  | { kind: 'evaluated'; status: SloStatus }
  | {
      kind: 'failed';
      reason: Extract<SloConditionReason, 'QueryFailed' | 'InvalidSpec' | 'InvalidSli'>;
      message: string;
    };

export interface StatusInput {
  previous: ServiceLevelObjectiveStatus | undefined;
  outcome: SloEvaluationOutcome;
  now: Date;
  generation: number | undefined;
}

/**
 * The next status. An evaluation replaces every measured field (a window without data loses
 * its burn rate; no data over the SLO window removes the budget). A failure keeps the last
 * measured fields and their evaluatedAt, and says what went wrong in the condition: a stale
 * number with its time is honest, a made-up 0 is not. An InvalidSli failure drops them: the
 * SLI itself is broken, so its earlier numbers were wrong as well.
 */
export function nextSloStatus(input: StatusInput): ServiceLevelObjectiveStatus {
  const { previous, outcome, now, generation } = input;
  const base: ServiceLevelObjectiveStatus =
    outcome.kind === 'evaluated'
      ? measuredFields(outcome.status, now)
      : outcome.reason === 'InvalidSli'
        ? {}
        : measuredOf(previous);
  const [status, reason, message] = conditionOf(outcome);
  return {
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    ...base,
    conditions: [condition(previous?.conditions, status, reason, message, now)],
  };
}

function measuredFields(s: SloStatus, now: Date): ServiceLevelObjectiveStatus {
  const burnRates: Record<string, number> = {};
  for (const [window, rate] of Object.entries(s.burnRates))
    if (rate !== undefined && Number.isFinite(rate)) burnRates[window] = rate;
  const firing: FiringAlert[] = s.alerts.evaluations
    .filter((e) => e.firing)
    .map((e) => ({
      severity: e.rule.severity,
      longWindow: e.rule.longWindow,
      shortWindow: e.rule.shortWindow,
      burnRate: e.rule.burnRate,
    }));
  const hasData = s.budget.errorRatio !== undefined;
  return {
    evaluatedAt: now.toISOString(),
    ...(hasData
      ? {
          errorBudgetRemaining: s.budget.remaining,
          errorBudgetConsumed: s.budget.consumed,
          errorRatio: s.budget.errorRatio,
        }
      : {}),
    burnRates,
    alertSeverity: s.alerts.severity,
    firingAlerts: firing,
  };
}

function measuredOf(
  previous: ServiceLevelObjectiveStatus | undefined,
): ServiceLevelObjectiveStatus {
  if (!previous) return {};
  const { conditions: _conditions, observedGeneration: _generation, ...measured } = previous;
  return measured;
}

function conditionOf(
  outcome: SloEvaluationOutcome,
): [Condition['status'], SloConditionReason, string] {
  switch (outcome.kind) {
    case 'evaluated': {
      const b = outcome.status.budget;
      if (b.errorRatio === undefined)
        return [
          'True',
          'NoData',
          'no data over the SLO window, so the error budget is unknown: no events yet, or the good and total queries do not each return one series without labels (wrap them in sum())',
        ];
      return [
        'True',
        'Evaluated',
        `${percentText(b.remaining)} of the error budget remains (error ratio ${significant(b.errorRatio)}, allowed ${significant(b.allowedErrorRatio)})`,
      ];
    }
    case 'failed':
      return ['False', outcome.reason, outcome.message];
    default: {
      const never: never = outcome;
      return never;
    }
  }
}

function condition(
  previous: Condition[] | undefined,
  status: Condition['status'],
  reason: string,
  message: string,
  now: Date,
): Condition {
  const old = previous?.find((c) => c.type === SLO_CONDITION_TYPE);
  const lastTransitionTime =
    old && old.status === status ? old.lastTransitionTime : now.toISOString();
  return { type: SLO_CONDITION_TYPE, status, reason, message, lastTransitionTime };
}

/** "97.5%", "-12%": a share of the budget for people. */
export function percentText(share: number): string {
  return `${Number((share * 100).toPrecision(4)).toString()}%`;
}

/**
 * Whether `next` says something `current` does not, ignoring evaluatedAt and float noise past
 * four significant digits, so an SLO whose numbers hold still is not rewritten every interval.
 */
export function sloStatusDiffers(
  current: ServiceLevelObjectiveStatus | undefined,
  next: ServiceLevelObjectiveStatus,
): boolean {
  return comparable(current ?? {}) !== comparable(next);
}

function comparable(s: ServiceLevelObjectiveStatus): string {
  const { evaluatedAt: _at, ...rest } = s;
  // Keys sorted: the API server may send them in another order than we built them.
  return JSON.stringify(rest, (_key, value: unknown) => {
    if (typeof value === 'number') return Number(value.toPrecision(4));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const entries = Object.entries(value as Record<string, unknown>);
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/** The windows an SLO is evaluated over: its own window first, then every burn window. */
export function sloWindows(windowText: string): string[] {
  const all = [
    windowText,
    ...BURN_WINDOWS,
    ...DEFAULT_BURN_RATE_ALERTS.flatMap((a) => [a.longWindow, a.shortWindow]),
  ];
  return [...new Set(all)];
}
