import type { CommandKind, Rollout } from './types.js';

// Commands (promote, abort, ...) are recorded on the Rollout as annotations, one key per kind,
// so a promote never overwrites an abort and both survive a controller restart:
//
//   sluice.dev/promote: '{"id":"req-1","step":2}'     (or a bare id: "req-1")
//   sluice.dev/abort:   '{"id":"req-2","reason":"p99 too high"}'
//
// A command is pending while its id differs from status.handledCommands[kind]. The one-line
// kubectl form is: kubectl annotate rollout shop sluice.dev/promote=$(date +%s) --overwrite

export const COMMAND_ANNOTATIONS: Record<CommandKind, string> = {
  promote: 'sluice.dev/promote',
  promoteFull: 'sluice.dev/promote-full',
  abort: 'sluice.dev/abort',
  pause: 'sluice.dev/pause',
  resume: 'sluice.dev/resume',
  retry: 'sluice.dev/retry',
  overrideBudget: 'sluice.dev/override-budget',
};

export interface Command {
  kind: CommandKind;
  id: string;
  /** A promote bound to a step applies only while the rollout is at that step. */
  step?: number;
  reason?: string;
  /** Who asked, when known (API caller subject). */
  by?: string;
}

export interface CommandParseProblem {
  kind: CommandKind;
  annotation: string;
  message: string;
}

/** Reads the command annotations; malformed values are returned as problems, never dropped silently. */
export function readCommands(annotations: Record<string, string> | undefined): {
  commands: Command[];
  problems: CommandParseProblem[];
} {
  const commands: Command[] = [];
  const problems: CommandParseProblem[] = [];
  for (const [kind, annotation] of Object.entries(COMMAND_ANNOTATIONS) as Array<
    [CommandKind, string]
  >) {
    const raw = annotations?.[annotation];
    if (raw === undefined || raw === '') continue;
    const parsed = parseCommandValue(kind, raw);
    if (typeof parsed === 'string') problems.push({ kind, annotation, message: parsed });
    else commands.push(parsed);
  }
  return { commands, problems };
}

function parseCommandValue(kind: CommandKind, raw: string): Command | string {
  const text = raw.trim();
  if (!text.startsWith('{')) return { kind, id: text };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `value is neither a bare request id nor valid JSON: ${text.slice(0, 80)}`;
  }
  if (typeof value !== 'object' || value === null) return 'value must be a JSON object';
  const obj = value as Record<string, unknown>;
  if (typeof obj.id !== 'string' || obj.id === '')
    return 'JSON value needs a non-empty string "id"';
  const cmd: Command = { kind, id: obj.id };
  if (obj.step !== undefined) {
    if (typeof obj.step !== 'number' || !Number.isInteger(obj.step) || obj.step < 0)
      return '"step" must be a non-negative integer';
    cmd.step = obj.step;
  }
  if (obj.reason !== undefined) {
    if (typeof obj.reason !== 'string') return '"reason" must be a string';
    cmd.reason = obj.reason;
  }
  if (typeof obj.by === 'string') cmd.by = obj.by;
  return cmd;
}

export function formatCommandValue(cmd: Omit<Command, 'kind'>): string {
  return JSON.stringify(cmd);
}

/** Commands whose id has not been handled yet, abort first (abort always wins). */
export function pendingCommands(rollout: Rollout): Command[] {
  const handled = rollout.status?.handledCommands ?? {};
  const { commands } = readCommands(rollout.metadata.annotations);
  const order: CommandKind[] = ['abort', 'retry', 'pause', 'resume', 'promoteFull', 'promote'];
  return commands
    .filter((c) => handled[c.kind] !== c.id)
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
}
