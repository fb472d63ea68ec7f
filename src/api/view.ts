import { readCommands, type Command } from '../domain/commands.js';
import type { ComparisonResult } from '../domain/stats/result.js';
import type {
  CanaryStep,
  Condition,
  HistoryEntry,
  Rollout,
  RolloutPhase,
} from '../domain/types.js';
import { STEP_KINDS } from '../domain/types.js';

// The shape the API answers for one rollout: what a pipeline or a person wants to see.

export interface RolloutSummary {
  namespace: string;
  name: string;
  strategy: 'canary' | 'blueGreen';
  phase: RolloutPhase | 'Unknown';
  reason?: string;
  message?: string;
  step: { index: number | null; total: number; kind: string | null; description: string | null };
  weights: { stable: number; canary: number } | null;
  revisions: { stable: string | null; canary: string | null };
  measurements: Array<{
    metric: string;
    phase: string;
    value: number[] | null;
    /** The threshold the value was judged against, e.g. "result[0] >= 0.95". */
    threshold: string | null;
    message: string | null;
    at: string;
    /** A compare metric's latest result: statistic, p-value or bound, effect, sample sizes. */
    comparison: ComparisonResult | null;
  }>;
  /** spec.budgetPolicy and what it last saw; null without a policy. */
  budget: {
    slo: string;
    freezeBelow: number;
    remaining: number | null;
    evaluatedAt: string | null;
    override: { revision: string; reason: string; by: string | null; at: string } | null;
  } | null;
  conditions: Condition[];
  history: HistoryEntry[];
  pendingCommands: Array<Omit<Command, 'by'>>;
  resourceVersion: string | null;
  generation: number | null;
  observedGeneration: number | null;
}

export function summarizeRollout(r: Rollout): RolloutSummary {
  const s = r.status ?? {};
  const steps = r.spec.strategy.canary?.steps ?? [];
  const index = s.currentStepIndex ?? null;
  const current = index === null ? undefined : steps[index];
  const handled = s.handledCommands ?? {};
  return {
    namespace: r.metadata.namespace ?? '',
    name: r.metadata.name,
    strategy: r.spec.strategy.blueGreen ? 'blueGreen' : 'canary',
    phase: s.phase ?? 'Unknown',
    ...(s.reason === undefined ? {} : { reason: s.reason }),
    ...(s.message === undefined ? {} : { message: s.message }),
    step: {
      index,
      total: steps.length,
      kind: current ? stepKind(current) : null,
      description: current ? describeStep(current) : null,
    },
    weights: s.weights ?? null,
    revisions: { stable: s.stableRevision ?? null, canary: s.canaryRevision ?? null },
    measurements: (s.lastMeasurements ?? []).map((m) => ({
      metric: m.metric,
      phase: m.phase,
      value: m.value ?? null,
      threshold: m.condition ?? null,
      message: m.message ?? null,
      at: m.at,
      comparison: m.comparison ?? null,
    })),
    budget: budgetOf(r),
    conditions: s.conditions ?? [],
    history: s.history ?? [],
    pendingCommands: readCommands(r.metadata.annotations)
      .commands.filter((c) => handled[c.kind] !== c.id)
      .map(({ by: _by, ...c }) => c),
    resourceVersion: r.metadata.resourceVersion ?? null,
    generation: r.metadata.generation ?? null,
    observedGeneration: s.observedGeneration ?? null,
  };
}

function budgetOf(r: Rollout): RolloutSummary['budget'] {
  const policy = r.spec.budgetPolicy;
  if (!policy) return null;
  const seen = r.status?.budget;
  const o = seen?.override;
  return {
    slo: policy.slo,
    freezeBelow: policy.freezeBelow ?? 0,
    remaining: seen?.remaining ?? null,
    evaluatedAt: seen?.evaluatedAt ?? null,
    override: o ? { revision: o.revision, reason: o.reason, by: o.by ?? null, at: o.at } : null,
  };
}

function stepKind(step: CanaryStep): string {
  return STEP_KINDS.find((k) => k in step) ?? 'unknown';
}

export function describeStep(step: CanaryStep): string {
  if ('setWeight' in step) return `setWeight ${step.setWeight}`;
  if ('pause' in step)
    return step.pause.duration ? `pause ${step.pause.duration}` : 'pause until promoted';
  if ('analysis' in step)
    return `analysis ${step.analysis.templates.map((t) => t.templateName).join(', ')}`;
  if ('setFlag' in step) return `setFlag ${step.setFlag.flag} ${step.setFlag.percent}%`;
  if ('setHeaderRoute' in step) return 'setHeaderRoute';
  if ('gate' in step) return `gate ${hostOf(step.gate.url)}`;
  const never: never = step;
  return String(never);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid url';
  }
}
