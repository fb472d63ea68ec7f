import { expect } from 'chai';
import type { RolloutSummary } from '../../src/api/view.js';
import { CliError } from '../../src/cli/config.js';
import { watchRollout } from '../../src/cli/wait.js';

// A rate-limited or failing API is asked again only after the wait it asked for (at least 1 s),
// so `sluice watch` never floods it.

describe('sluice watch retries', () => {
  it('waits the Retry-After the API sent before reading again, and at least a second', async () => {
    const events: Array<number | 'get'> = [];
    let calls = 0;
    const healthy = {
      phase: 'Healthy',
      pendingCommands: [],
      revisions: {},
    } as unknown as RolloutSummary;
    const code = await watchRollout(
      {
        get: async () => {
          events.push('get');
          calls += 1;
          if (calls === 1) throw new CliError('rate limited', 3, true, 3000);
          if (calls === 2) throw new CliError('no answer', 3, true);
          return healthy;
        },
        now: () => 0,
        sleep: async (ms) => {
          events.push(ms);
        },
        onState: () => undefined,
        onRetry: () => undefined,
      },
      { intervalMs: 500, untilDone: true },
    );
    expect(code).to.equal(0);
    // Time slept between consecutive reads.
    const gaps: number[] = [];
    let acc = 0;
    for (const e of events.slice(events.indexOf('get') + 1)) {
      if (e === 'get') {
        gaps.push(acc);
        acc = 0;
      } else acc += e;
    }
    expect(gaps[0]).to.be.at.least(3000);
    expect(gaps[1]).to.be.at.least(1000);
  });
});
