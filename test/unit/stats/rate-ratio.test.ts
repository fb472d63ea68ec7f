import { expect } from 'chai';
import {
  initRateTest,
  judgeRateTest,
  rateRatio,
  updateRateTest,
  type RateLook,
  type RateTestState,
} from '../../../src/domain/stats/index.js';

// Found by a fresh user's pass (helper F): a healthy canary with no errors on either side was
// shown by `sluice get` as "rate-ratio 2.109": half an event added to each side's count turned
// 0/0 into the ratio of the two sides' traffic. The effect is now the Mantel-Haenszel estimate
// with half an event shared in proportion to traffic (src/domain/stats/rate-sequential.ts).
function run(looks: RateLook[]): RateTestState {
  return looks.reduce<RateTestState>((s, l) => updateRateTest(s, l), initRateTest());
}

describe('rate mSPRT effect (rate-ratio)', () => {
  it('reports a rate ratio of 1 when neither side had an error, whatever the traffic split', () => {
    const look = { canaryTotal: 230, canaryEvents: 0, baselineTotal: 483, baselineEvents: 0 };
    const result = judgeRateTest(run([look]), { final: true });
    expect(result.decision).to.equal('pass');
    expect(result.effect).to.equal(1);
    for (const [nc, nb] of [
      [1, 1000],
      [999, 3],
      [50, 50],
    ] as const)
      expect(
        rateRatio(
          run([{ canaryTotal: nc, canaryEvents: 0, baselineTotal: nb, baselineEvents: 0 }]),
        ),
      ).to.equal(1);
  });

  it('computes the hand-worked estimate for unequal traffic: 4/200 against 3/600', () => {
    // n = 800; C = 4*600/800 = 3, B = 3*200/800 = 0.75, h = 0.5 * (200/800)(600/800) = 0.09375.
    const state = run([
      { canaryTotal: 200, canaryEvents: 4, baselineTotal: 600, baselineEvents: 3 },
    ]);
    expect(rateRatio(state)).to.be.closeTo(3.09375 / 0.84375, 1e-12);
    expect(rateRatio(state)).to.be.closeTo(3.6666667, 1e-6);
  });

  it('is not biased toward the traffic split when the split changes between looks', () => {
    // Same 1 % error rate on both sides in both looks, splits 10/90 then 50/50.
    const state = run([
      { canaryTotal: 1000, canaryEvents: 10, baselineTotal: 9000, baselineEvents: 90 },
      { canaryTotal: 5000, canaryEvents: 50, baselineTotal: 5000, baselineEvents: 50 },
    ]);
    // C = 10*9000/10000 + 50*5000/10000 = 34, B = 90*1000/10000 + 25 = 34: exactly 1.
    expect(rateRatio(state)).to.equal(1);
  });

  it('stays finite when only the canary has errors', () => {
    const state = run([
      { canaryTotal: 100, canaryEvents: 5, baselineTotal: 100, baselineEvents: 0 },
    ]);
    // C = 2.5, B = 0, h = 0.125: 2.625 / 0.125 = 21.
    expect(rateRatio(state)).to.be.closeTo(21, 1e-12);
  });

  it('gives 1 with no informative look, and smooths a stored state without the new sums', () => {
    expect(rateRatio(initRateTest())).to.equal(1);
    const old: RateTestState = {
      logLikelihoodRatios: [0],
      maxLogMixture: 0,
      looks: 1,
      canaryTotal: 230,
      canaryEvents: 0,
      baselineTotal: 483,
      baselineEvents: 0,
    };
    expect(rateRatio(old)).to.equal(1);
  });
});

describe('rate mSPRT with looks that carry no evidence', () => {
  it('adds nothing but the look count when a side served no requests', () => {
    const s = run([{ canaryTotal: 40, canaryEvents: 20, baselineTotal: 0, baselineEvents: 0 }]);
    expect(s.looks).to.equal(1);
    expect(s.informativeLooks).to.equal(0);
    expect([s.canaryTotal, s.canaryEvents, s.baselineTotal]).to.deep.equal([0, 0, 0]);
  });

  it('never passes at the last look without an informative look, nor below minLooks', () => {
    const empty = run(
      Array.from({ length: 6 }, () => ({
        canaryTotal: 40,
        canaryEvents: 20,
        baselineTotal: 0,
        baselineEvents: 0,
      })),
    );
    expect(judgeRateTest(empty, { final: true }).decision).to.equal('continue');
    const one = run([{ canaryTotal: 100, canaryEvents: 1, baselineTotal: 100, baselineEvents: 1 }]);
    expect(judgeRateTest(one, { final: true }).decision).to.equal('pass');
    expect(judgeRateTest(one, { final: true, minLooks: 2 }).decision).to.equal('continue');
  });

  it('treats negative or non-finite counts as no data', () => {
    const s = run([
      { canaryTotal: 100, canaryEvents: -1, baselineTotal: 100, baselineEvents: 0 },
      { canaryTotal: Number.NaN, canaryEvents: 0, baselineTotal: 100, baselineEvents: 0 },
    ]);
    expect(s.informativeLooks).to.equal(0);
    expect(s.looks).to.equal(2);
  });
});
