import type { Condition, HistoryEntry, Rollout, RolloutPhase, RolloutStatus } from '../types.js';
import type { Action, Decision, Observed, Reason, Transition } from './model.js';

const MAX_HISTORY = 20;

/** Accumulates one reconcile's decision: the next status, the actions and the transitions. */
export class DecisionBuilder {
  readonly status: RolloutStatus;
  readonly actions: Action[] = [];
  readonly transitions: Transition[] = [];
  requeueAfterMs: number | undefined;
  private readonly before: string;

  constructor(
    readonly rollout: Rollout,
    readonly obs: Observed,
  ) {
    this.status = structuredClone(rollout.status ?? {});
    this.before = JSON.stringify(this.status);
  }

  get nowIso(): string {
    return new Date(this.obs.now).toISOString();
  }

  get step(): number {
    return this.status.currentStepIndex ?? 0;
  }

  act(action: Action): void {
    this.actions.push(action);
  }

  /** Requeue no later than `ms` from now (the earliest of all asks wins). */
  requeue(ms: number): void {
    const v = Math.max(0, Math.round(ms));
    this.requeueAfterMs = this.requeueAfterMs === undefined ? v : Math.min(this.requeueAfterMs, v);
  }

  /**
   * Records a transition: event, log line, history entry; the phase and reason on the status.
   * `note`: an aside (e.g. flags restored after an abort) that leaves the phase's reason and
   * message saying why the rollout is where it is.
   */
  transition(
    reason: Reason,
    message: string,
    opts: { warning?: boolean; phase?: RolloutPhase; note?: boolean } = {},
  ): void {
    this.transitions.push({ type: opts.warning ? 'Warning' : 'Normal', reason, message });
    if (opts.phase !== undefined) this.status.phase = opts.phase;
    if (!opts.note) {
      this.status.reason = reason;
      this.status.message = message;
    }
    const entry: HistoryEntry = { at: this.nowIso, event: reason, message, step: this.step };
    if (this.status.canaryRevision !== undefined) entry.revision = this.status.canaryRevision;
    this.status.history = [...(this.status.history ?? []), entry].slice(-MAX_HISTORY);
  }

  setCondition(type: string, status: Condition['status'], reason: string, message: string): void {
    const list = this.status.conditions ?? [];
    const old = list.find((c) => c.type === type);
    if (old && old.status === status && old.reason === reason && old.message === message) return;
    const cond: Condition = {
      type,
      status,
      reason,
      message,
      lastTransitionTime: old && old.status === status ? old.lastTransitionTime : this.nowIso,
    };
    this.status.conditions = [...list.filter((c) => c.type !== type), cond];
  }

  clearCondition(type: string): void {
    if (!this.status.conditions?.some((c) => c.type === type)) return;
    this.status.conditions = this.status.conditions.filter((c) => c.type !== type);
  }

  markHandled(kind: keyof NonNullable<RolloutStatus['handledCommands']>, id: string): void {
    this.status.handledCommands = { ...(this.status.handledCommands ?? {}), [kind]: id };
  }

  build(): Decision {
    const statusChanged = JSON.stringify(this.status) !== this.before;
    return {
      actions: this.actions,
      transitions: this.transitions,
      status: this.status,
      statusChanged,
      requeueAfterMs: this.requeueAfterMs,
    };
  }
}
