import { parseDuration } from '../domain/duration.js';
import { errorMessage } from '../domain/errors.js';
import type { GateState } from '../domain/rollout/model.js';
import type { Rollout } from '../domain/types.js';

// A gate step asks an outside system (a pipeline's approval, a load-test job) whether the
// rollout may go on. Each interval Sluice POSTs {namespace, rollout, step, revision} to its URL;
// a 2xx answer approves, anything else (an error status, a refused connection, no answer within
// the per-call timeout) does not, and the reason is kept for the status.

export interface GateCall {
  namespace: string;
  rollout: string;
  step: number;
  revision: string;
}

export interface GateChecker {
  /** The latest answer for the rollout's current gate step, asking again when one is due. */
  check(rollout: Rollout, now: number): Promise<GateState | undefined>;
}

interface Remembered {
  key: string;
  state: GateState;
}

export function createGateChecker(fetchImpl: typeof fetch = fetch): GateChecker {
  const last = new Map<string, Remembered>();
  return {
    async check(rollout, now) {
      const status = rollout.status ?? {};
      const stepIndex = status.currentStepIndex ?? 0;
      const step = rollout.spec.strategy.canary?.steps[stepIndex];
      const id = `${rollout.metadata.namespace ?? 'default'}/${rollout.metadata.name}`;
      if (
        !step ||
        !('gate' in step) ||
        (status.phase !== 'Progressing' && status.phase !== 'Paused')
      ) {
        last.delete(id);
        return undefined;
      }
      const key = `${status.canaryRevision ?? ''}/${stepIndex}/${status.stepStartedAt ?? ''}`;
      const seen = last.get(id);
      const interval = parseDuration(step.gate.interval ?? '30s');
      if (seen?.key === key && (seen.state.approved || now - seen.state.checkedAt < interval))
        return seen.state;
      const call: GateCall = {
        namespace: rollout.metadata.namespace ?? 'default',
        rollout: rollout.metadata.name,
        step: stepIndex,
        revision: status.canaryRevision ?? '',
      };
      const state = await askGate(
        fetchImpl,
        step.gate.url,
        call,
        parseDuration(step.gate.timeout ?? '10s'),
        now,
      );
      last.set(id, { key, state });
      return state;
    },
  };
}

async function askGate(
  fetchImpl: typeof fetch,
  url: string,
  call: GateCall,
  timeoutMs: number,
  now: number,
): Promise<GateState> {
  try {
    const res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(call),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { approved: true, checkedAt: now, message: `approved (HTTP ${res.status})` };
    return { approved: false, checkedAt: now, message: `not approved: HTTP ${res.status}` };
  } catch (err) {
    const timedOut =
      err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return {
      approved: false,
      checkedAt: now,
      message: timedOut
        ? `not approved: no answer within ${timeoutMs / 1000}s`
        : `not approved: ${errorMessage(err)}`,
    };
  }
}
