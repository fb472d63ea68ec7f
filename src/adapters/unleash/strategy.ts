import {
  isPercent,
  type FlagStrategy,
  type FlagVariant,
  type ManagedRollout,
} from '../../domain/flags.js';
import { Malformed } from './parse.js';

// Helpers about one flexibleRollout strategy: which one Sluice manages, what it says, and the
// body Unleash takes to write a strategy back exactly.

/**
 * The flexibleRollout strategy Sluice moves: the one with `groupId` when given, else the first
 * by sort order. Other strategies of the flag are never touched.
 */
export function pickManaged(
  strategies: FlagStrategy[],
  groupId?: string,
): FlagStrategy | undefined {
  const rollouts = strategies.filter((s) => s.name === 'flexibleRollout');
  return (
    (groupId === undefined ? undefined : rollouts.find((s) => s.parameters.groupId === groupId)) ??
    rollouts[0]
  );
}

/** Throws Malformed (wrapped by `parsed`) when `rollout` is not an integer 0-100. */
export function managedRollout(s: FlagStrategy): ManagedRollout {
  const percent = Number(s.parameters.rollout ?? '100');
  if (!isPercent(percent))
    throw new Malformed(`strategy ${s.id}: rollout "${s.parameters.rollout}" is not 0-100`);
  return {
    strategyId: s.id,
    percent,
    groupId: s.parameters.groupId ?? '',
    stickiness: s.parameters.stickiness ?? 'default',
  };
}

/** What a strategy is, without its id: the body for PUT/POST and the basis of comparisons. */
export function strategyBody(s: FlagStrategy): Omit<FlagStrategy, 'id'> {
  return {
    name: s.name,
    title: s.title ?? null,
    disabled: s.disabled,
    sortOrder: s.sortOrder,
    parameters: s.parameters,
    constraints: s.constraints,
    variants: s.variants,
    segments: s.segments,
  };
}

/** Variant weights are thousandths and must add up to 1000; names must be unique. */
export function checkVariants(variants: FlagVariant[]): string | undefined {
  if (variants.length === 0) return undefined;
  const names = new Set(variants.map((v) => v.name));
  if (names.size !== variants.length) return 'variant names must be unique';
  for (const v of variants) {
    if (!Number.isInteger(v.weight) || v.weight < 0 || v.weight > 1000)
      return `variant ${v.name}: weight ${v.weight} must be an integer from 0 to 1000 (thousandths)`;
    if (v.payload?.type === 'json') {
      try {
        JSON.parse(v.payload.value);
      } catch {
        return `variant ${v.name}: payload is not valid JSON`;
      }
    }
  }
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  if (total !== 1000) return `variant weights add up to ${total}; they must add up to 1000`;
  return undefined;
}

/** Deep equality of JSON-like values, independent of key order. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
