import { expect } from 'chai';
import type { RolloutSummary } from '../../src/api/view.js';
import { EXIT } from '../../src/cli/config.js';
import { waitForRollout } from '../../src/cli/wait.js';

// What `sluice wait` answers for a sequence of reads: promoted only when a new revision became
// stable, not when the target went back to the stable one.

function state(phase: string, stable: string, canary: string | null = null): RolloutSummary {
  return {
    phase,
    pendingCommands: [],
    revisions: { stable, canary },
  } as unknown as RolloutSummary;
}

async function verdict(reads: RolloutSummary[], acceptCurrent = false): Promise<number> {
  let i = 0;
  return waitForRollout(
    {
      get: async () => reads[Math.min(i++, reads.length - 1)] as RolloutSummary,
      now: () => i * 1000,
      sleep: async () => undefined,
      onState: () => undefined,
      onRetry: () => undefined,
    },
    { timeoutMs: 60_000, intervalMs: 1000, acceptCurrent },
  );
}

describe('sluice wait verdicts', () => {
  it('exits 0 when the new revision became stable', async () => {
    const code = await verdict([
      state('Healthy', 'a'),
      state('Progressing', 'a', 'b'),
      state('Healthy', 'b', 'b'),
    ]);
    expect(code).to.equal(EXIT.ok);
  });

  it('exits 1 when a release held in BudgetFrozen is abandoned (target back on stable)', async () => {
    const code = await verdict([
      state('Healthy', 'a'),
      state('BudgetFrozen', 'a', 'b'),
      state('Healthy', 'a', 'b'),
    ]);
    expect(code).to.equal(EXIT.failed);
  });

  it('exits 1 when a rollout in flight ends with the target reverted to stable', async () => {
    const code = await verdict([state('Progressing', 'a', 'b'), state('Healthy', 'a', 'b')]);
    expect(code).to.equal(EXIT.failed);
  });

  it('still takes the current Healthy state as the answer with --accept-current', async () => {
    expect(await verdict([state('Healthy', 'a')], true)).to.equal(EXIT.ok);
  });
});
