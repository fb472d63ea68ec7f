import { expect } from 'chai';
import { summarizeRollout } from '../../src/api/view.js';
import { rolloutDetail } from '../../src/cli/render.js';
import { makeRollout } from '../api/support.js';

describe('sluice get', () => {
  it('prints the step index that --expected-step takes next to the 1-based position', () => {
    const text = rolloutDetail(summarizeRollout(makeRollout('checkout', 'Paused', 2)));
    expect(text).to.match(/Step: +3\/\d+ \(index 2: --expected-step 2\)/);
  });
});

describe('sluice get after the last step', () => {
  it('says the steps are done instead of a position past the end', () => {
    const r = makeRollout('checkout', 'Healthy', 0);
    const total = r.spec.strategy.canary?.steps.length ?? 0;
    r.status = { ...r.status, currentStepIndex: total };
    expect(rolloutDetail(summarizeRollout(r))).to.contain(`Step:       ${total}/${total} done`);
  });
});

describe('sluice get with a budget policy', () => {
  it('prints the SLO, the budget left, the freeze threshold and an override with who and why', () => {
    const r = makeRollout('checkout', 'BudgetFrozen', 0);
    r.spec.budgetPolicy = { slo: 'shop-availability', freezeBelow: 0.1 };
    r.status = {
      ...r.status,
      budget: { slo: 'shop-availability', remaining: -0.2531, evaluatedAt: '2026-12-04T10:00:00Z' },
    };
    expect(rolloutDetail(summarizeRollout(r))).to.contain(
      'Budget:     SLO shop-availability: -25.31% left (freeze at 10%)',
    );
    r.status.budget = {
      slo: 'shop-availability',
      override: { revision: 'abc123', reason: 'hotfix', by: 'ana', at: '2026-12-04T10:01:00Z' },
    };
    const text = rolloutDetail(summarizeRollout(r));
    expect(text).to.contain('unknown (freeze at 10%); overridden for abc123 by ana: hotfix');
  });

  it('prints no budget line for a Rollout without a budget policy', () => {
    const summary = summarizeRollout(makeRollout('checkout', 'Paused', 2));
    expect(summary.budget).to.equal(null);
    expect(rolloutDetail(summary)).to.not.contain('Budget:');
  });
});
