import { expect } from 'chai';
import fc from 'fast-check';
import { exactDistribution, mannWhitney } from '../../../src/domain/stats/index.js';

function cumulative(m: number, n: number, u: number): number {
  const pmf = exactDistribution(m, n);
  let s = 0;
  for (let k = 0; k <= u; k++) s += pmf[k] as number;
  return s;
}

describe('mannWhitney', () => {
  it('gives U = mn and exact p = 1/C(6,3) when every canary value beats every baseline value', () => {
    // The worked example at the top of mann-whitney.ts.
    const r = mannWhitney([4, 5, 6], [1, 2, 3]);
    expect(r.statistic).to.equal(9);
    expect(r.method).to.equal('exact');
    expect(r.pValue).to.be.closeTo(1 / 20, 1e-12);
    expect(mannWhitney([4, 5, 6], [1, 2, 3], { alternative: 'two-sided' }).pValue).to.be.closeTo(
      0.1,
      1e-12,
    );
    expect(r.effect).to.equal(1);
    expect(r.commonLanguageEffect).to.equal(1);
    // Pairwise differences 1,2,2,3,3,3,4,4,5: median 3.
    expect(r.hodgesLehmannShift).to.equal(3);
    expect(r.decision).to.equal('pass'); // 0.05 is not below alpha = 0.05
  });

  it('matches the exact null distribution for m = n = 5 (counts of the 252 arrangements)', () => {
    const counts = [
      1, 1, 2, 3, 5, 7, 9, 11, 14, 16, 18, 19, 20, 20, 19, 18, 16, 14, 11, 9, 7, 5, 3, 2, 1, 1,
    ];
    const pmf = exactDistribution(5, 5);
    expect(pmf.length).to.equal(26);
    counts.forEach((c, u) => expect((pmf[u] as number) * 252).to.be.closeTo(c, 1e-9));
  });

  it('agrees with the published two-sided 5% critical values of U (n1 = n2 = 5, 8, 10, 20)', () => {
    // Standard tables: U <= 2, 13, 23, 127 is significant at 0.05 two-sided, one more is not.
    for (const [size, critical] of [
      [5, 2],
      [8, 13],
      [10, 23],
      [20, 127],
    ] as const) {
      expect(2 * cumulative(size, size, critical), `n=${size}`).to.be.at.most(0.05);
      expect(2 * cumulative(size, size, critical + 1), `n=${size}`).to.be.above(0.05);
    }
  });

  it('finds U = 2 with two-sided exact p = 8/252 for a textbook pair of samples', () => {
    const r = mannWhitney([1, 2, 3, 4, 7], [5, 6, 8, 9, 10], { alternative: 'two-sided' });
    expect(r.statistic).to.equal(2);
    expect(r.pValue).to.be.closeTo(8 / 252, 1e-12);
    // Significant, but the canary is lower, so it is not "worse".
    expect(r.decision).to.equal('pass');
    expect(r.effect).to.be.closeTo(2 * (2 / 25) - 1, 1e-12);
  });

  it('uses mid-ranks and the tie-corrected variance with continuity correction when values tie', () => {
    // Pooled and sorted: 1c 2c 2c 2b 3c 3b 3b 4c 5b 6b 7b. The 2s share ranks 2-4 (mid-rank 3),
    // the 3s ranks 5-7 (mid-rank 6). Canary ranks 1+3+3+6+8 = 21, U = 21 - 15 = 6.
    // var = 30/12 * (12 - (24 + 24)/110) = 28.909091, sd = 5.3767175,
    // z (less) = (6 - 15 + 0.5)/sd = -1.5808902, p = Phi(z) = 0.0569516;
    // two-sided: z = (24 - 15 - 0.5)/sd, p = 2 * 0.0569516 = 0.1139031.
    const canary = [1, 2, 2, 3, 4];
    const baseline = [2, 3, 3, 5, 6, 7];
    const less = mannWhitney(canary, baseline, { alternative: 'less' });
    expect(less.method).to.equal('asymptotic');
    expect(less.statistic).to.equal(6);
    expect(less.z).to.be.closeTo(-1.5808902, 1e-6);
    expect(less.pValue).to.be.closeTo(0.0569516, 1e-6);
    const two = mannWhitney(canary, baseline, { alternative: 'two-sided' });
    expect(two.pValue).to.be.closeTo(0.1139031, 1e-6);
    const greater = mannWhitney(canary, baseline, { alternative: 'greater' });
    expect(greater.pValue).to.be.above(0.9);
  });

  it('fails a clearly slower canary on large samples by the normal approximation', () => {
    const baseline = Array.from({ length: 200 }, (_, i) => 100 + (i % 50));
    const canary = baseline.map((v) => v + 20);
    const r = mannWhitney(canary, baseline);
    expect(r.method).to.equal('asymptotic');
    expect(r.pValue).to.be.below(1e-6);
    expect(r.decision).to.equal('fail');
    expect(r.hodgesLehmannShift).to.equal(20);
  });

  it('answers p = 1 when every value ties, and continue on too few values', () => {
    expect(mannWhitney([1, 1, 1], [1, 1, 1]).pValue).to.equal(1);
    expect(mannWhitney([5, 6], [1, 2]).decision).to.equal('continue');
    expect(mannWhitney([], [1, 2, 3]).decision).to.equal('continue');
  });

  it('rejects NaN values with a message that says to drop no-data values', () => {
    expect(() => mannWhitney([1, Number.NaN], [1, 2])).to.throw(/drop no-data/);
  });

  it('has U(canary, baseline) + U(baseline, canary) = mn and p-values within [0, 1]', () => {
    const sample = fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const ab = mannWhitney(a, b, { alternative: 'two-sided' });
        const ba = mannWhitney(b, a, { alternative: 'two-sided' });
        expect(ab.statistic + ba.statistic).to.equal(a.length * b.length);
        expect(ab.pValue).to.be.within(0, 1);
        expect(ab.pValue).to.be.closeTo(ba.pValue, 1e-9);
      }),
      { numRuns: 200 },
    );
  });

  it('has an exact null distribution that sums to 1 and is symmetric', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), (m, n) => {
        const pmf = exactDistribution(m, n);
        expect(pmf.reduce((s, p) => s + p, 0)).to.be.closeTo(1, 1e-9);
        for (let u = 0; u <= m * n; u++)
          expect(pmf[u] as number).to.be.closeTo(pmf[m * n - u] as number, 1e-12);
      }),
      { numRuns: 50 },
    );
  });
});
