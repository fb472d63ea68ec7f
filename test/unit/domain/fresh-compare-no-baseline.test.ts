import { expect } from 'chai';
import {
  initComparison,
  updateComparison,
  type CompareOutcome,
} from '../../../src/domain/compare.js';
import type { CompareSpec } from '../../../src/domain/types.js';

// Found by a fresh user's pass (helper F) on `demo --serve`: a Rollout whose compare metric ran
// without a serving baseline (baseline.enabled off; the old shop-baseline series answered 0
// requests) promoted a canary failing 50 % of requests: "n=244.69/0 pass -> Successful".
// docs/statistics.md: without a baseline "... no data under the metric's noData policy ...,
// never a pass". A test that never saw one request on the baseline side has no evidence.
describe('compare metric without baseline traffic (fresh user)', () => {
  const spec: CompareSpec = {
    test: 'sequential',
    metric: 'errorRate',
    queries: { requests: 'r{{workload}}', errors: 'e{{workload}}' },
  };

  it('does not pass a canary whose baseline served no request in any look', () => {
    let state = initComparison();
    let last: CompareOutcome | undefined;
    for (let look = 1; look <= 6; look++) {
      last = updateComparison(
        spec,
        state,
        { canary: { requests: 40, errors: 20 }, baseline: { requests: 0, errors: 0 } },
        look === 6,
      );
      state = last.comparison.state ?? state;
    }
    expect(last?.comparison.result?.decision).to.not.equal('pass');
    expect(last?.phase).to.not.equal('Successful');
  });
});
