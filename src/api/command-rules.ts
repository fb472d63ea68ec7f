import {
  COMMAND_ANNOTATIONS,
  formatCommandValue,
  readCommands,
  type Command,
} from '../domain/commands.js';
import type { CommandKind, Rollout, RolloutPhase } from '../domain/types.js';
import type { CommandDecision } from './backend.js';
import { CommandConflictError, NotInProgressError } from './errors.js';

// Which command makes sense in which phase. Pure: the backend calls decideCommand on every
// read, so a command refused after a conflict is refused on what is there now.

export interface CommandRequest {
  kind: CommandKind;
  /** promote/promoteFull: only while the rollout is at this step. */
  expectedStep?: number;
}

const ALLOWED: Record<CommandKind, readonly RolloutPhase[]> = {
  promote: ['Progressing', 'Paused'],
  promoteFull: ['Progressing', 'Paused'],
  abort: ['Initializing', 'Progressing', 'Paused', 'Promoting'],
  pause: ['Progressing'],
  resume: ['Paused'],
  retry: ['Aborted'],
  overrideBudget: ['BudgetFrozen'],
};

const VERB: Record<CommandKind, string> = {
  promote: 'promote',
  promoteFull: 'fully promote',
  abort: 'abort',
  pause: 'pause',
  resume: 'resume',
  retry: 'retry',
  overrideBudget: 'override-budget',
};

export function pendingCommand(rollout: Rollout, kind: CommandKind): Command | undefined {
  const handled = rollout.status?.handledCommands?.[kind];
  return readCommands(rollout.metadata.annotations).commands.find(
    (c) => c.kind === kind && c.id !== handled,
  );
}

export function decideCommand(rollout: Rollout, req: CommandRequest): CommandDecision {
  const phase = rollout.status?.phase;
  const who = `${rollout.metadata.namespace ?? ''}/${rollout.metadata.name}`;
  const phaseText = phase ?? 'unknown (no status yet)';
  const details = { phase: phase ?? null, step: rollout.status?.currentStepIndex ?? null };
  const isPromote = req.kind === 'promote' || req.kind === 'promoteFull';

  const abortPending = pendingCommand(rollout, 'abort');
  if (isPromote && (phase === 'Aborted' || abortPending))
    throw new CommandConflictError(
      `cannot ${VERB[req.kind]} ${who}: aborted; retry first (phase ${phaseText}${abortPending ? `, abort ${abortPending.id} pending` : ''})`,
      { details },
    );

  const allowed = ALLOWED[req.kind];
  if (phase === undefined || !allowed.includes(phase)) {
    const message = `cannot ${VERB[req.kind]} ${who}: phase is ${phaseText}; ${VERB[req.kind]} works only while ${allowed.join(' or ')}`;
    // Abort with nothing in progress has its own code: nothing to stop, nothing written.
    if (req.kind === 'abort') throw new NotInProgressError(message, { details });
    throw new CommandConflictError(message, { details });
  }

  if (isPromote && req.expectedStep !== undefined) {
    const at = rollout.status?.currentStepIndex;
    if (at !== req.expectedStep)
      throw new CommandConflictError(
        `cannot ${VERB[req.kind]} ${who}: expected step ${req.expectedStep} but it is at step ${at ?? 'none'} (phase ${phaseText}); the request is stale`,
        { details: { ...details, expectedStep: req.expectedStep } },
      );
  }

  const pausedBy = rollout.status?.conditions?.find(
    (c) => c.type === 'Paused' && c.status === 'True',
  )?.reason;
  if (req.kind === 'resume' && pausedBy === 'PausedByStep')
    throw new CommandConflictError(
      `cannot resume ${who}: it waits at a pause step (step ${rollout.status?.currentStepIndex ?? '?'}), which only a promote ends (phase ${phaseText})`,
      { details },
    );

  const pending = pendingCommand(rollout, req.kind);
  if (pending && isPromote)
    // NOTE: one promote per step. A second would advance the rollout a second time.
    throw new CommandConflictError(
      `cannot ${VERB[req.kind]} ${who}: promote ${pending.id} is already pending${pending.step === undefined ? '' : ` for step ${pending.step}`} (phase ${phaseText})`,
      { details: { ...details, pendingId: pending.id } },
    );
  if (pending) return { action: 'pending', pendingId: pending.id };
  // Abort always wins: a promote or resume still pending can no longer apply.
  if (req.kind === 'abort') return { action: 'write', clear: ['promote', 'promoteFull', 'resume'] };
  // A one-step promote is bound to the step it was decided on, so it can never leak into a later one.
  const at = rollout.status?.currentStepIndex;
  if (req.kind === 'promote' && at !== undefined) return { action: 'write', bindStep: at };
  return { action: 'write' };
}

/** The annotations after recording `command` as a 'write' decision says. */
export function annotationsWith(
  current: Record<string, string> | undefined,
  command: Command,
  decision: { clear?: CommandKind[]; bindStep?: number },
): Record<string, string> {
  const next: Record<string, string> = { ...(current ?? {}) };
  for (const kind of decision.clear ?? []) delete next[COMMAND_ANNOTATIONS[kind]];
  const { kind, ...rest } = command;
  const value = decision.bindStep === undefined ? rest : { ...rest, step: decision.bindStep };
  next[COMMAND_ANNOTATIONS[kind]] = formatCommandValue(value);
  return next;
}
