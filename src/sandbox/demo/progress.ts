import type { Rollout } from '../../domain/types.js';
import type { ReleasePoll } from './track.js';

/** One readable line: phase, step, weights, and each metric's last value against its condition. */
export function describeProgress(r: Rollout | undefined, canaryWeight: number): string {
  if (!r) return 'waiting for the Rollout';
  const s = r.status ?? {};
  const steps = r.spec.strategy.canary?.steps.length ?? 0;
  const step =
    s.phase === 'Progressing' || s.phase === 'Paused'
      ? ` step ${Math.min((s.currentStepIndex ?? 0) + 1, steps)}/${steps}`
      : '';
  const weights = `weights stable ${100 - canaryWeight} / canary ${canaryWeight}`;
  const metrics = (s.lastMeasurements ?? [])
    .map((m) => {
      const value = m.value?.[0];
      const shown =
        value === undefined
          ? 'n/a'
          : Number.isFinite(value)
            ? Number(value.toFixed(4)).toString()
            : String(value);
      return `${m.metric}=${shown} ${m.phase}${m.condition ? ` (${m.condition})` : ''}`;
    })
    .join(', ');
  const why =
    s.phase === 'Aborted' || s.phase === 'Paused' || s.phase === 'Invalid'
      ? ` — ${s.message ?? ''}`
      : '';
  return `${s.phase ?? 'Pending'}${step}, ${weights}${metrics ? `; ${metrics}` : ''}${why}`;
}

/** An `onPoll` that prints the progress line whenever it differs from the one printed before. */
export function progressPrinter(print: (line: string) => void): (poll: ReleasePoll) => void {
  let lastLine = '';
  return (poll) => {
    const line = describeProgress(poll.rollout, poll.weight);
    if (line !== lastLine) {
      print(line);
      lastLine = line;
    }
  };
}
