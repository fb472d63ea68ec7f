import type { CanaryStep, FeatureFlagRef, FlagMode } from './types.js';

// Feature flags that move with a rollout. Pure: the controller reads the flag through a
// FlagProvider, asks decideFlag what it should be, and writes only when the answer differs.
// NOTE: the invariant is exposure <= canary weight while progressing: a user may see the
// feature only if the traffic share it runs on has been earned. That is why a weight that goes
// up is written to the mesh first and the flag second, and a weight that goes down the reverse.

/** Which flag, where. Unleash scopes a flag's strategies to a project and an environment. */
export interface FlagRef {
  project: string;
  environment: string;
  name: string;
}

export const VARIANT_PAYLOAD_TYPES = ['json', 'csv', 'string', 'number'] as const;
export type VariantPayloadType = (typeof VARIANT_PAYLOAD_TYPES)[number];

export const VARIANT_WEIGHT_TYPES = ['variable', 'fix'] as const;
export type VariantWeightType = (typeof VARIANT_WEIGHT_TYPES)[number];

/** Variant weights are in thousandths (Unleash's unit): 500 is half of the exposed users. */
export interface FlagVariant {
  name: string;
  weight: number;
  weightType: VariantWeightType;
  stickiness: string;
  payload?: { type: VariantPayloadType; value: string };
}

export interface FlagConstraint {
  contextName: string;
  operator: string;
  values?: string[];
  value?: string;
  inverted?: boolean;
  caseInsensitive?: boolean;
}

/** One activation strategy of a flag in one environment, as Unleash stores it. */
export interface FlagStrategy {
  id: string;
  name: string;
  title?: string | null;
  disabled: boolean;
  sortOrder: number;
  /** Unleash keeps every parameter as a string: rollout "25", groupId "checkout-v2". */
  parameters: Record<string, string>;
  constraints: FlagConstraint[];
  variants: FlagVariant[];
  /** Segment ids. */
  segments: number[];
}

/** The whole state of a flag in one environment; what restore puts back. */
export interface FlagSnapshot {
  ref: FlagRef;
  enabled: boolean;
  /** In sortOrder. */
  strategies: FlagStrategy[];
  /** Environment-level variants (older Unleash style); strategy variants live on strategies. */
  variants: FlagVariant[];
}

/** The `flexibleRollout` strategy Sluice moves, if the flag has one. */
export interface ManagedRollout {
  strategyId: string;
  percent: number;
  groupId: string;
  stickiness: string;
}

export interface Flag extends FlagSnapshot {
  rollout: ManagedRollout | undefined;
}

export interface RolloutStrategyOptions {
  /** Used only when the strategy has to be created; an existing one keeps its own. */
  groupId?: string;
  stickiness?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** How many writes a change took: 0 when the flag already was as asked. */
export interface FlagWrite {
  writes: number;
}

/** The flag system as the controller sees it. Failures throw FlagProviderError. */
export interface FlagProvider {
  getFlag(ref: FlagRef, options?: CallOptions): Promise<Flag>;
  snapshot(ref: FlagRef, options?: CallOptions): Promise<FlagSnapshot>;
  setRolloutPercent(
    ref: FlagRef,
    percent: number,
    strategy?: RolloutStrategyOptions & CallOptions,
  ): Promise<FlagWrite>;
  setVariants(
    ref: FlagRef,
    variants: FlagVariant[],
    strategy?: RolloutStrategyOptions & CallOptions,
  ): Promise<FlagWrite>;
  enable(ref: FlagRef, options?: CallOptions): Promise<FlagWrite>;
  disable(ref: FlagRef, options?: CallOptions): Promise<FlagWrite>;
  restore(snapshot: FlagSnapshot, options?: CallOptions): Promise<FlagWrite>;
}

export const DEFAULT_FLAG_MODE: FlagMode = 'followWeight';
export const DEFAULT_FINAL_PERCENT = 100;

export interface FlagDefaults {
  project: string;
  environment: string;
}

export function resolveFlagRef(spec: FeatureFlagRef, defaults: FlagDefaults): FlagRef {
  return {
    project: spec.project ?? defaults.project,
    environment: spec.environment ?? defaults.environment,
    name: spec.name,
  };
}

/** Where the rollout is, as far as one flag is concerned. */
export type FlagPhase =
  | {
      kind: 'progressing';
      canaryWeight: number;
      /** The percent of the last setFlag step reached for this flag, if any. */
      explicitPercent?: number | undefined;
    }
  | { kind: 'promoted' }
  | { kind: 'aborted' };

export type FlagDecision =
  { kind: 'keep' } | { kind: 'set'; percent: number; capped: boolean } | { kind: 'restore' };

/**
 * What the flag's rollout percentage should be. `current` is the percentage last read or
 * written (undefined: unknown or no strategy yet), so an unchanged answer means no write.
 */
export function decideFlag(
  spec: FeatureFlagRef,
  phase: FlagPhase,
  current: number | undefined,
): FlagDecision {
  const set = (percent: number, capped = false): FlagDecision =>
    percent === current ? { kind: 'keep' } : { kind: 'set', percent, capped };
  switch (phase.kind) {
    case 'aborted':
      return { kind: 'restore' };
    case 'promoted':
      return set(spec.finalPercent ?? DEFAULT_FINAL_PERCENT);
    case 'progressing': {
      // A flag the steps have not moved yet stays where it is, but never above the weight.
      const target = progressingTarget(spec.mode ?? DEFAULT_FLAG_MODE, phase) ?? current;
      if (target === undefined) return { kind: 'keep' };
      const capped = Math.min(target, phase.canaryWeight);
      return set(capped, capped < target);
    }
    default: {
      const never: never = phase;
      throw new Error(`unknown flag phase ${JSON.stringify(never)}`);
    }
  }
}

function progressingTarget(
  mode: FlagMode,
  phase: { canaryWeight: number; explicitPercent?: number | undefined },
): number | undefined {
  switch (mode) {
    case 'followWeight':
      return phase.canaryWeight;
    case 'steps':
      return phase.explicitPercent;
    default: {
      const never: never = mode;
      throw new Error(`unknown flag mode ${String(never)}`);
    }
  }
}

/** The percent of the last `setFlag` step for `flag` at or before `stepIndex`. */
export function explicitPercentAt(
  steps: readonly CanaryStep[],
  stepIndex: number,
  flag: string,
): number | undefined {
  let percent: number | undefined;
  for (const [i, step] of steps.entries()) {
    if (i > stepIndex) break;
    if ('setFlag' in step && step.setFlag.flag === flag) percent = step.setFlag.percent;
  }
  return percent;
}

export const WRITE_ORDERS = ['trafficFirst', 'flagsFirst'] as const;
export type WriteOrder = (typeof WRITE_ORDERS)[number];

/**
 * Which to write first when the canary weight moves from `from` to `to` while progressing.
 * Up: traffic, then flags, so exposure never leads traffic. Down: flags first, for the same
 * reason. On abort the caller puts traffic back first whatever this says (DESIGN: rollback).
 */
export function writeOrder(from: number, to: number): WriteOrder {
  return to < from ? 'flagsFirst' : 'trafficFirst';
}

/** Checks a percent from a spec or a caller: an integer 0-100. */
export function isPercent(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 100;
}

/** One flag of a project as a list shows it, with its state in one environment. */
export interface FlagSummary {
  name: string;
  type: string;
  stale: boolean;
  /** Whether the flag is on in the environment asked about. */
  enabled: boolean;
  hasStrategies: boolean;
}

/** Lists a project's flags; kept apart from FlagProvider, which the controller needs. */
export interface FlagCatalog {
  listFlags(
    scope: { project: string; environment: string },
    options?: CallOptions,
  ): Promise<FlagSummary[]>;
}
