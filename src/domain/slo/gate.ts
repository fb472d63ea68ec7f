// Whether a new rollout may start given the service's error budget. When the budget is spent,
// new rollouts wait (the BudgetFrozen phase) unless an operator overrides with a reason; the
// reason goes to the audit log. A rollback is never held by this gate.

export const BUDGET_GATE_REASONS = [
  'BudgetAvailable',
  'BudgetExhausted',
  'BudgetOverridden',
  'BudgetUnknown',
] as const;
export type BudgetGateReason = (typeof BUDGET_GATE_REASONS)[number];

export interface BudgetPolicy {
  /** Freeze when the remaining budget (a share, 1 = untouched) is at or below this. Default 0. */
  freezeBelow?: number;
  /** What no data means: 'allow' (default) or 'freeze'. */
  onUnknown?: 'allow' | 'freeze';
}

export interface BudgetOverride {
  /** Required: why the freeze is being bypassed. */
  reason: string;
  by?: string;
}

export interface BudgetGateDecision {
  allowed: boolean;
  reason: BudgetGateReason;
  message: string;
}

/** `whyUnknown`: what an undefined budget means here (default "no data"), for the message. */
export function decideBudgetGate(
  remaining: number | undefined,
  policy: BudgetPolicy = {},
  override?: BudgetOverride,
  whyUnknown = 'no data',
): BudgetGateDecision {
  const freezeBelow = policy.freezeBelow ?? 0;
  const unknown = remaining === undefined || !Number.isFinite(remaining);
  const frozen = unknown ? (policy.onUnknown ?? 'allow') === 'freeze' : remaining <= freezeBelow;
  if (!frozen) {
    return unknown
      ? {
          allowed: true,
          reason: 'BudgetUnknown',
          message: `error budget unknown (${whyUnknown}); allowed by policy`,
        }
      : {
          allowed: true,
          reason: 'BudgetAvailable',
          message: `${percent(remaining)} of the error budget remains`,
        };
  }
  const state = unknown
    ? `error budget unknown (${whyUnknown})`
    : `${percent(remaining)} of the error budget remains (freeze at ${percent(freezeBelow)})`;
  if (override && override.reason.trim() !== '') {
    return {
      allowed: true,
      reason: 'BudgetOverridden',
      message: `${state}; overridden${override.by ? ` by ${override.by}` : ''}: ${override.reason.trim()}`,
    };
  }
  return {
    allowed: false,
    reason: unknown ? 'BudgetUnknown' : 'BudgetExhausted',
    message: `${state}; new rollouts wait until it recovers or an operator overrides with a reason`,
  };
}

function percent(share: number): string {
  return `${(Math.round(share * 10_000) / 100).toString()}%`;
}
