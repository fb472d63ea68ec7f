import { expect } from 'chai';
import {
  initRateTest,
  judgeRateTest,
  updateRateTest,
  type RateLook,
  type RateTestOptions,
  type RateTestState,
} from '../../../src/domain/stats/index.js';
import { createRandom } from '../../bench/decision-quality/random.js';

function run(looks: RateLook[], options: RateTestOptions = {}) {
  return looks.reduce<RateTestState>(
    (s, look) => updateRateTest(s, look, options),
    initRateTest(options),
  );
}

describe('rate mSPRT (canary error rate against baseline)', () => {
  it('computes the worked example: 20/1000 against 10/1000 gives LR 5.4684 for ratio 2', () => {
    const options = { ratios: [2] };
    const state = run(
      [{ canaryTotal: 1000, canaryEvents: 20, baselineTotal: 1000, baselineEvents: 10 }],
      options,
    );
    const r = judgeRateTest(state, options);
    expect(r.statistic).to.be.closeTo(1.6989904, 1e-6);
    expect(r.pValue).to.be.closeTo(0.1828681, 1e-6);
    // Mantel-Haenszel: C = 20*1000/2000 = 10, B = 5, h = 0.5 * 0.25; (10 + h) / (5 + h).
    expect(r.effect).to.be.closeTo(10.125 / 5.125, 1e-9);
    expect(r.effectKind).to.equal('rate-ratio');
    expect(r.decision).to.equal('continue');
    expect(judgeRateTest(state, { ...options, final: true }).decision).to.equal('pass');
  });

  it('conditions each look on its own traffic split, so the split may change between looks', () => {
    // Look 1: 100 vs 900 requests, theta0 = 0.1, theta1 = 200/1100:
    //   3*log(1.818182) + 9*log(0.818182/0.9) = 0.9357194.
    // Look 2: 500 vs 500, theta0 = 1/2, theta1 = 2/3: 8*log(4/3) + 4*log(2/3) = 0.6795961.
    const options = { ratios: [2] };
    const state = run(
      [
        { canaryTotal: 100, canaryEvents: 3, baselineTotal: 900, baselineEvents: 9 },
        { canaryTotal: 500, canaryEvents: 8, baselineTotal: 500, baselineEvents: 4 },
      ],
      options,
    );
    expect(state.logLikelihoodRatios[0]).to.be.closeTo(1.6153155, 1e-6);
    expect(state.looks).to.equal(2);
    expect(state.canaryEvents).to.equal(11);
  });

  it('fails a canary with three times the baseline error rate', () => {
    const looks = Array.from({ length: 5 }, () => ({
      canaryTotal: 1000,
      canaryEvents: 30,
      baselineTotal: 1000,
      baselineEvents: 10,
    }));
    const r = judgeRateTest(run(looks));
    expect(r.decision).to.equal('fail');
    expect(r.pValue).to.be.below(0.005);
    expect(r.statistic).to.be.at.least(r.bound as number);
  });

  it('needs at least three looks of evidence: one or two extreme intervals cannot fail a canary', () => {
    const spike = { canaryTotal: 1000, canaryEvents: 300, baselineTotal: 1000, baselineEvents: 10 };
    expect(judgeRateTest(run([spike, spike])).decision).to.equal('continue');
    expect(judgeRateTest(run([spike, spike, spike])).decision).to.equal('fail');
    // Without the cap one interval is enough.
    const uncapped = { maxLogEvidencePerLook: Infinity };
    expect(judgeRateTest(run([spike], uncapped), uncapped).decision).to.equal('fail');
  });

  it('keeps its always-valid p-value at the smallest seen, even when later looks look healthy', () => {
    const bad = { canaryTotal: 1000, canaryEvents: 30, baselineTotal: 1000, baselineEvents: 10 };
    const good = { canaryTotal: 1000, canaryEvents: 10, baselineTotal: 1000, baselineEvents: 30 };
    const afterBad = run([bad, bad]);
    const afterGood = run([bad, bad, good, good]);
    expect(judgeRateTest(afterGood).pValue).to.equal(judgeRateTest(afterBad).pValue);
    expect(judgeRateTest(afterGood).statistic).to.be.below(judgeRateTest(afterBad).statistic);
  });

  it('takes a burst that hits both sides alike as evidence against a regression', () => {
    const calm = { canaryTotal: 1000, canaryEvents: 12, baselineTotal: 1000, baselineEvents: 10 };
    const burst = {
      canaryTotal: 1000,
      canaryEvents: 200,
      baselineTotal: 1000,
      baselineEvents: 200,
    };
    expect(judgeRateTest(run([calm, burst])).statistic).to.be.below(
      judgeRateTest(run([calm])).statistic,
    );
  });

  it('ignores looks without traffic on a side or without any events, and does not mutate state', () => {
    const s0 = initRateTest();
    const s1 = updateRateTest(s0, {
      canaryTotal: 0,
      canaryEvents: 0,
      baselineTotal: 100,
      baselineEvents: 3,
    });
    expect(s1.logLikelihoodRatios.every((v) => v === 0)).to.equal(true);
    expect(s0.looks).to.equal(0);
    expect(JSON.parse(JSON.stringify(s1))).to.deep.equal(s1);
  });

  it('rolls back at most alpha of healthy canaries looked at 10 times (Ville bound)', () => {
    const rnd = createRandom(7);
    const alpha = 0.05;
    let failures = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      let state = initRateTest();
      for (let look = 0; look < 10; look++) {
        const rate = 0.01 * (0.5 + rnd.uniform()); // shared drift
        const n = 500 + look * 200;
        state = updateRateTest(state, {
          canaryTotal: n,
          canaryEvents: rnd.poisson(n * rate),
          baselineTotal: n,
          baselineEvents: rnd.poisson(n * rate),
        });
      }
      if (judgeRateTest(state, { alpha }).decision === 'fail') failures++;
    }
    expect(failures / trials).to.be.at.most(alpha);
  });
});
