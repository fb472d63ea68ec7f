import { expect } from 'chai';
import fc from 'fast-check';
import {
  initLocationTest,
  judgeLocationTest,
  logIntegral,
  logRatio,
  normalCdf,
  updateLocationTest,
  type LocationTestOptions,
} from '../../../src/domain/stats/index.js';
import { createRandom } from '../../bench/decision-quality/random.js';

function run(ds: number[], options: LocationTestOptions = {}) {
  return ds.reduce((s, d) => updateLocationTest(s, d, options), initLocationTest());
}

// Gamma(k/2) for a positive integer k, exactly: (k/2 - 1)! or (2j)! sqrt(pi) / (4^j j!).
function logHalfGamma(k: number): number {
  let log = 0;
  if (k % 2 === 0) for (let i = 2; i < k / 2; i++) log += Math.log(i);
  else {
    log = 0.5 * Math.log(Math.PI);
    for (let x = 0.5; x < k / 2; x += 1) log += Math.log(x);
  }
  return log;
}

describe('location mSPRT (log-latency shift, unknown variance)', () => {
  it('integrates I(0) = 2^(n/2 - 1) Gamma(n/2) for n = 1..60 to 1e-6', () => {
    for (let n = 1; n <= 60; n++)
      expect(logIntegral(n, 0), `n=${n}`).to.be.closeTo(
        (n / 2 - 1) * Math.log(2) + logHalfGamma(n),
        1e-6,
      );
  });

  it('integrates the closed forms for one and two looks', () => {
    // n = 1: I(a) = sqrt(2 pi) e^(a^2/2) Phi(a); n = 2: I(a) = 1 + a sqrt(2 pi) e^(a^2/2) Phi(a).
    for (const a of [-3, -0.5, 0.3, 1.7, 6]) {
      const g = Math.sqrt(2 * Math.PI) * Math.exp((a * a) / 2) * normalCdf(a);
      expect(logIntegral(1, a)).to.be.closeTo(Math.log(g), 1e-6);
      expect(logIntegral(2, a)).to.be.closeTo(Math.log(1 + a * g), 1e-6);
    }
    expect(logIntegral(2, 1.7)).to.be.closeTo(2.9052669, 1e-6);
  });

  it('computes the worked example: one look gives LR(delta = 1) = 2 Phi(1) = 1.68269', () => {
    const options = { effects: [1] };
    const r = judgeLocationTest(run([0.3], options), options);
    expect(r.statistic).to.be.closeTo(Math.log(1.6826895), 1e-6);
    expect(r.pValue).to.be.closeTo(1 / 1.6826895, 1e-6);
    expect(r.decision).to.equal('continue');
    expect(r.effect).to.be.closeTo(0.3, 1e-12);
  });

  it('gives the same evidence whatever the unit of the differences (scale invariance)', () => {
    fc.assert(
      fc.property(
        // Differences of measured log-latencies: no subnormal values (1e-164 * 100 is not exact).
        fc.array(
          fc.double({ min: -2, max: 2, noNaN: true }).map((d) => (Math.abs(d) < 1e-9 ? 0 : d)),
          { minLength: 2, maxLength: 12 },
        ),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (ds, c) => {
          const a = judgeLocationTest(run(ds)).statistic;
          const b = judgeLocationTest(run(ds.map((d) => d * c))).statistic;
          expect(b).to.be.closeTo(a, 1e-7 * Math.max(1, Math.abs(a)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('fails a canary whose p99 is 50% higher, from paired log ratios', () => {
    const rnd = createRandom(3);
    const ds = Array.from({ length: 8 }, () =>
      logRatio(1.5 * 200 * Math.exp(0.1 * rnd.normal()), 200 * Math.exp(0.1 * rnd.normal())),
    );
    const r = judgeLocationTest(run(ds));
    expect(r.decision).to.equal('fail');
    expect(r.effect).to.be.closeTo(Math.log(1.5), 0.1);
  });

  it('passes a canary that is faster, and ignores non-finite differences', () => {
    const ds = [-0.3, -0.5, -0.2, -0.4, -0.35, Number.NaN];
    const state = run(ds);
    expect(state.n).to.equal(5);
    expect(judgeLocationTest(state, { final: true }).decision).to.equal('pass');
  });

  it('rolls back at most alpha of healthy canaries looked at 10 times (Ville bound)', () => {
    const rnd = createRandom(11);
    const alpha = 0.05;
    const trials = 2000;
    let failures = 0;
    for (let t = 0; t < trials; t++) {
      let state = initLocationTest();
      for (let look = 0; look < 10; look++) state = updateLocationTest(state, 0.2 * rnd.normal());
      if (judgeLocationTest(state, { alpha }).decision === 'fail') failures++;
    }
    expect(failures / trials).to.be.at.most(alpha);
  });
});
