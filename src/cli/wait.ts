import type { RolloutSummary } from '../api/view.js';
import { CliError, EXIT } from './config.js';

// `sluice wait` and `sluice watch`: poll the API until the rollout settles. A rollout that is
// already Healthy (or Aborted) when the wait starts has not begun the release the pipeline just
// triggered, so it counts only once something moved, unless acceptCurrent says otherwise.

export interface PollDeps {
  get(): Promise<RolloutSummary>;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Called with every state read (for printing) and with transient errors. */
  onState(r: RolloutSummary): void;
  onRetry(err: CliError): void;
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  acceptCurrent: boolean;
}

const SETTLED = ['Healthy', 'Aborted', 'Invalid'] as const;

function settled(r: RolloutSummary): boolean {
  return (SETTLED as readonly string[]).includes(r.phase);
}

function fingerprint(r: RolloutSummary): string {
  return `${r.phase}|${r.revisions.stable ?? ''}|${r.revisions.canary ?? ''}`;
}

/**
 * Resolves to the exit code: 0 promoted and Healthy, 1 aborted, invalid or abandoned (Healthy
 * again on the stable revision it started from: the release never happened), 2 timed out.
 */
export async function waitForRollout(deps: PollDeps, options: WaitOptions): Promise<number> {
  const deadline = deps.now() + options.timeoutMs;
  let start: string | undefined;
  let startStable: string | null | undefined;
  let moved = options.acceptCurrent;
  for (let first = true; ; first = false) {
    const r = await readOrRetry(deps, deadline);
    if (r) {
      deps.onState(r);
      start ??= fingerprint(r);
      if (startStable === undefined) startStable = r.revisions.stable;
      if (!settled(r) || fingerprint(r) !== start) moved = true;
      if (moved && r.pendingCommands.length === 0) {
        if (r.phase === 'Healthy') {
          const promoted = r.revisions.stable !== startStable || (first && options.acceptCurrent);
          return promoted ? EXIT.ok : EXIT.failed;
        }
        if (r.phase === 'Aborted' || r.phase === 'Invalid') return EXIT.failed;
      }
    }
    const left = deadline - deps.now();
    if (left <= 0) return EXIT.timeout;
    await deps.sleep(Math.min(options.intervalMs, left));
  }
}

/** The least time between two reads after a failed one: the server's Retry-After, else 1 s. */
const RETRY_FLOOR_MS = 1000;

async function readOrRetry(deps: PollDeps, deadline: number): Promise<RolloutSummary | undefined> {
  try {
    return await deps.get();
  } catch (err) {
    if (!(err instanceof CliError) || !err.retriable || deps.now() >= deadline) throw err;
    deps.onRetry(err);
    await deps.sleep(Math.max(err.retryAfterMs ?? 0, RETRY_FLOOR_MS));
    return undefined;
  }
}

export interface WatchOptions {
  intervalMs: number;
  /** Stop once the rollout is settled (Healthy, Aborted, Invalid). */
  untilDone: boolean;
  signal?: AbortSignal;
}

export async function watchRollout(deps: PollDeps, options: WatchOptions): Promise<number> {
  for (;;) {
    const r = await readOrRetry(deps, Number.POSITIVE_INFINITY);
    if (r) {
      deps.onState(r);
      if (options.untilDone && settled(r) && r.pendingCommands.length === 0)
        return r.phase === 'Healthy' ? EXIT.ok : EXIT.failed;
    }
    if (options.signal?.aborted) return EXIT.ok;
    await deps.sleep(options.intervalMs);
  }
}
