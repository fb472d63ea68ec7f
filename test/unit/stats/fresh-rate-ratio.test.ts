import { expect } from 'chai';
import { initRateTest, judgeRateTest, updateRateTest } from '../../../src/domain/stats/index.js';

// Found by a fresh user's pass (helper F): a healthy canary with no errors on either side was
// shown by `sluice get` as "rate-ratio 2.109": the half-event smoothing turns 0/0 into the
// ratio of the two sides' traffic, so the displayed effect claims a regression that is not there.
describe('rate mSPRT effect (fresh user)', () => {
  it('reports a rate ratio of 1 when neither side had an error, whatever the traffic split', () => {
    const look = { canaryTotal: 230, canaryEvents: 0, baselineTotal: 483, baselineEvents: 0 };
    const state = updateRateTest(initRateTest(), look);
    const result = judgeRateTest(state, { final: true });
    expect(result.decision).to.equal('pass');
    expect(result.effect).to.be.closeTo(1, 0.05);
  });
});
