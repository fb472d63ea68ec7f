import { expect } from 'chai';
import {
  initComparison,
  updateComparison,
  type CompareLook,
  type CompareOutcome,
} from '../../../src/domain/compare.js';
import type { CompareSpec, ComparisonState, NoDataPolicy } from '../../../src/domain/types.js';

// Found by a fresh user's pass (helper F) on `demo --serve`: a Rollout whose compare metric ran
// without a serving baseline (baseline.enabled off; the old shop-baseline series answered 0
// requests) promoted a canary failing 50 % of requests: "n=244.69/0 pass -> Successful".
// docs/statistics.md: a look where a side has no data follows the metric's noData policy, and
// the last look needs enough informative looks to pass: no evidence is never a pass.

const SEQ: CompareSpec = {
  test: 'sequential',
  metric: 'errorRate',
  queries: { requests: 'r{{workload}}', errors: 'e{{workload}}' },
};
const MW: CompareSpec = { ...SEQ, test: 'mannWhitney' };
const LAT: CompareSpec = {
  test: 'sequential',
  metric: 'latency',
  queries: { latency: 'l{{workload}}' },
};

function rate(c: [number, number], b: [number, number]): CompareLook {
  return {
    canary: { requests: c[0], errors: c[1] },
    baseline: { requests: b[0], errors: b[1] },
  };
}

function latency(c: number, b: number): CompareLook {
  return { canary: { latency: c }, baseline: { latency: b } };
}

/** Runs the looks; the last one is final. */
function runLooks(
  spec: CompareSpec,
  looks: CompareLook[],
  noData?: NoDataPolicy,
): CompareOutcome[] {
  let state: ComparisonState = initComparison();
  return looks.map((l, i) => {
    const out = updateComparison(spec, state, l, i === looks.length - 1, noData);
    state = out.comparison.state;
    return out;
  });
}

describe('compare metric without data on a side', () => {
  it('does not pass a canary whose baseline served no request in any look', () => {
    const outs = runLooks(
      SEQ,
      Array.from({ length: 6 }, () => rate([40, 20], [0, 0])),
    );
    const last = outs[5];
    expect(last?.comparison.result?.decision).to.equal('continue');
    expect(outs.map((o) => o.phase)).to.deep.equal(Array(6).fill('Inconclusive'));
    expect(last?.message).to.match(
      /^look 6: no data: baseline served no requests \(0\); too few looks/,
    );
    expect(last?.comparison.state.rate?.informativeLooks).to.equal(0);
    expect(last?.comparison.state.looks).to.equal(6);
  });

  it('follows the noData policy per look, but never lets it pass a last look without evidence', () => {
    const looks = [rate([40, 20], [0, 0]), rate([0, 0], [50, 1])];
    expect(runLooks(SEQ, looks, 'fail').map((o) => o.phase)).to.deep.equal(['Failed', 'Failed']);
    expect(runLooks(SEQ, looks, 'pass').map((o) => o.phase)).to.deep.equal([
      'Successful',
      'Inconclusive',
    ]);
    expect(runLooks(SEQ, [rate([0, 0], [50, 1])], 'pass')[0]?.message).to.match(
      /canary served no requests/,
    );
  });

  it('treats a missing errors answer like no data, not like zero errors', () => {
    const out = updateComparison(
      SEQ,
      initComparison(),
      { canary: { requests: 100 }, baseline: { requests: 100, errors: 1 } },
      false,
    );
    expect(out.phase).to.equal('Inconclusive');
    expect(out.message).to.match(/canary errors are missing/);
  });

  it('needs minSamples informative looks (default 2) before the last look may pass', () => {
    const oneGood = runLooks(SEQ, [rate([40, 0], [0, 0]), rate([1000, 5], [1000, 5])]);
    expect(oneGood[1]?.comparison.result?.decision).to.equal('continue');
    expect(oneGood[1]?.phase).to.equal('Inconclusive');
    expect(oneGood[1]?.message).to.match(/too few looks with data on both sides/);
    const withOne = runLooks({ ...SEQ, minSamples: 1 }, [
      rate([40, 0], [0, 0]),
      rate([1000, 5], [1000, 5]),
    ]);
    expect(withOne[1]?.phase).to.equal('Successful');
    const twoGood = runLooks(SEQ, [rate([1000, 5], [1000, 5]), rate([1000, 5], [1000, 5])]);
    expect(twoGood[1]?.comparison.result?.decision).to.equal('pass');
    expect(twoGood[1]?.phase).to.equal('Successful');
  });

  it('still fails on the evidence so far when a later look has no data', () => {
    const bad = rate([2000, 80], [2000, 40]);
    const outs = runLooks(SEQ, [bad, bad, bad, rate([2000, 80], [0, 0])], 'pass');
    expect(outs.map((o) => o.phase)).to.deep.equal([
      'Successful',
      'Successful',
      'Failed',
      'Failed',
    ]);
  });

  it('makes a latency look with a zero or missing latency no data, and never passes one look', () => {
    const outs = runLooks(LAT, [latency(150, 0), latency(150, Number.NaN), latency(120, 100)]);
    expect(outs.map((o) => o.phase)).to.deep.equal([
      'Inconclusive',
      'Inconclusive',
      'Inconclusive',
    ]);
    expect(outs[0]?.message).to.match(/baseline latency is 0/);
    expect(outs[2]?.comparison.state.location?.n).to.equal(1);
    expect(outs[2]?.comparison.result?.decision).to.equal('continue');
    const two = runLooks(LAT, [latency(100, 100), latency(101, 100)]);
    expect(two[1]?.comparison.result?.decision).to.equal('pass');
  });

  it('takes no Mann-Whitney sample from a look where a side served nothing', () => {
    const looks = [rate([100, 50], [0, 0]), rate([100, 50], [0, 0]), rate([100, 50], [0, 0])];
    const outs = runLooks(MW, looks);
    expect(outs[2]?.comparison.state.samples).to.deep.equal({ canary: [], baseline: [] });
    expect(outs.map((o) => o.phase)).to.deep.equal([
      'Inconclusive',
      'Inconclusive',
      'Inconclusive',
    ]);
    expect(outs[2]?.comparison.result?.decision).to.equal('continue');
    expect(outs[0]?.message).to.match(
      /no data: baseline served no requests \(0\); no sample taken/,
    );
  });
});
