import type { FeatureFlagRef, FlagRecord } from '../types.js';
import type { DecisionBuilder } from './builder.js';

// Feature flags follow the rollout: never more users see a feature than the share of traffic
// the new code has earned. Their state before the first change is recorded on the status
// (snapshotFlags) and put back exactly on abort (restoreFlags), after the traffic.

export function flagsOf(d: DecisionBuilder): FeatureFlagRef[] {
  return d.rollout.spec.featureFlags ?? [];
}

/** True when every flag's prior state is recorded; otherwise asks for the snapshot first. */
export function flagsRecorded(d: DecisionBuilder): boolean {
  const flags = flagsOf(d);
  if (flags.length === 0) return true;
  const recorded = new Set((d.status.featureFlags ?? []).map((f) => f.name));
  if (flags.every((f) => recorded.has(f.name))) return true;
  d.act({ kind: 'snapshotFlags', flags });
  d.requeue(0);
  return false;
}

/** Sets one flag to `percent` unless it is already there; remembers what was set. */
export function setFlag(d: DecisionBuilder, name: string, percent: number): void {
  const flag = flagsOf(d).find((f) => f.name === name);
  const records = d.status.featureFlags ?? [];
  const record = records.find((r) => r.name === name);
  if (!flag || !record || record.percent === percent) return;
  d.act({ kind: 'setFlag', flag, percent });
  d.status.featureFlags = records.map((r) => (r.name === name ? { ...r, percent } : r));
  d.transition('FlagSet', `flag ${name} at ${percent}%`);
}

/** Flags in followWeight mode take the canary weight (called after the route write is planned). */
export function followWeight(d: DecisionBuilder, canaryPercent: number): void {
  for (const f of flagsOf(d)) {
    if ((f.mode ?? 'followWeight') === 'followWeight') setFlag(d, f.name, canaryPercent);
  }
}

/** An explicit setFlag step: capped at the traffic the candidate has. */
export function explicitFlag(d: DecisionBuilder, name: string, percent: number): number {
  const capped = Math.min(percent, d.status.weights?.canary ?? 0);
  setFlag(d, name, capped);
  return capped;
}

export function finalFlags(d: DecisionBuilder): void {
  for (const f of flagsOf(d)) setFlag(d, f.name, f.finalPercent ?? 100);
}

/** Marks the flags for restoring; the Aborted phase does it, retrying until it succeeds. */
export function markFlagsForRestore(d: DecisionBuilder): void {
  if ((d.status.featureFlags ?? []).some((r) => r.percent !== undefined))
    d.status.flagsRestorePending = true;
}

export function restoreFlags(d: DecisionBuilder): void {
  if (!d.status.flagsRestorePending) return;
  const records: FlagRecord[] = d.status.featureFlags ?? [];
  d.act({ kind: 'restoreFlags', snapshots: records.map((r) => r.snapshot) });
  d.status.featureFlags = records.map(({ percent: _set, ...r }) => r);
  delete d.status.flagsRestorePending;
  // An event and a history entry, but the phase keeps saying why the rollout was aborted.
  d.transition('FlagSet', `flags ${records.map((r) => r.name).join(', ')} restored`, {
    note: true,
  });
}
