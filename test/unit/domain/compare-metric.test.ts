import { expect } from 'chai';
import { parseAnalysisTemplate } from '../../../src/adapters/kubernetes/parse.js';
import { summarizeRollout } from '../../../src/api/view.js';
import { rolloutDetail } from '../../../src/cli/render.js';
import {
  initComparison,
  resolveCompare,
  updateComparison,
  type CompareLook,
} from '../../../src/domain/compare.js';
import { resolveTemplates } from '../../../src/domain/templates.js';
import type { CompareSpec, ComparisonState, Rollout } from '../../../src/domain/types.js';

const SEQ: CompareSpec = {
  test: 'sequential',
  metric: 'errorRate',
  queries: {
    requests: 'sum(increase(req{w="{{workload}}"}[{{interval}}]))',
    errors: 'sum(increase(err{w="{{workload}}"}[{{interval}}]))',
  },
};

function look(c: [number, number], b: [number, number]): CompareLook {
  return {
    canary: { requests: c[0], errors: c[1] },
    baseline: { requests: b[0], errors: b[1] },
  };
}

/**
 * The rate mSPRT by hand: per ratio rho, theta = rho*n_c/(rho*n_c + n_b), the look adds
 * x_c*log(theta1/theta0) + x_b*log((1-theta1)/(1-theta0)), capped at log(1/alpha)/2.5.
 */
function handLogLR(rho: number, nc: number, xc: number, nb: number, xb: number): number {
  const t0 = nc / (nc + nb);
  const t1 = (rho * nc) / (rho * nc + nb);
  const step = xc * Math.log(t1 / t0) + xb * Math.log((1 - t1) / (1 - t0));
  return Math.min(step, Math.log(200) / 2.5);
}

describe('compare metric', () => {
  it('fills {{workload}} and {{interval}} for each side when the run starts', () => {
    const r = resolveCompare(SEQ, {
      canary: 'shop',
      baseline: 'shop-baseline',
      intervalMs: 60_000,
    });
    expect(r.canary).to.deep.equal({
      requests: 'sum(increase(req{w="shop"}[1m]))',
      errors: 'sum(increase(err{w="shop"}[1m]))',
    });
    expect(r.baseline?.errors).to.equal('sum(increase(err{w="shop-baseline"}[1m]))');
  });

  it('lets a side override the shared query', () => {
    const r = resolveCompare(
      { ...SEQ, baseline: { errors: 'other{w="{{workload}}"}' } },
      { canary: 'shop', baseline: 'shop-baseline', intervalMs: 90_000 },
    );
    expect(r.baseline?.errors).to.equal('other{w="shop-baseline"}');
    expect(r.baseline?.requests).to.equal('sum(increase(req{w="shop-baseline"}[1m30s]))');
  });

  it('adds one look of the rate mSPRT with the hand-computed likelihood ratio', () => {
    const out = updateComparison(SEQ, initComparison(), look([1000, 20], [1000, 10]), false);
    const ratios = [1.25, 1.5, 2, 3, 5].map((rho) => handLogLR(rho, 1000, 20, 1000, 10));
    const mixture = Math.log(ratios.reduce((s, v) => s + Math.exp(v), 0) / ratios.length);
    expect(out.comparison.result?.pValue).to.be.closeTo(Math.exp(-mixture), 1e-6);
    expect(out.comparison.result?.decision).to.equal('continue');
    expect(out.phase).to.equal('Successful');
    expect(out.comparison.state.looks).to.equal(1);
    expect(out.comparison.result?.nCanary).to.equal(1000);
  });

  it('fails a canary with twice the errors at the third look, never before (one look is capped)', () => {
    let state: ComparisonState = initComparison();
    const phases: string[] = [];
    for (let i = 0; i < 3; i++) {
      const out = updateComparison(SEQ, state, look([2000, 80], [2000, 40]), false);
      state = out.comparison.state;
      phases.push(out.phase);
    }
    expect(phases).to.deep.equal(['Successful', 'Successful', 'Failed']);
  });

  it('passes only at the last look when the canary is no worse', () => {
    const first = updateComparison(SEQ, initComparison(), look([2000, 40], [2000, 40]), false);
    const last = updateComparison(SEQ, first.comparison.state, look([2000, 40], [2000, 40]), true);
    expect(first.comparison.result?.decision).to.equal('continue');
    expect(last.comparison.result?.decision).to.equal('pass');
    expect(last.message).to.match(/no evidence the canary is worse/);
  });

  it('runs Mann-Whitney once at the last look on the per-interval error ratios', () => {
    const mw: CompareSpec = { ...SEQ, test: 'mannWhitney', alpha: 0.1 };
    const looks = [look([100, 4], [100, 1]), look([100, 5], [100, 2]), look([100, 6], [100, 3])];
    let state = initComparison();
    const outs = looks.map((l, i) => {
      const out = updateComparison(mw, state, l, i === looks.length - 1);
      state = out.comparison.state;
      return out;
    });
    expect(outs[0]?.comparison.result).to.equal(undefined);
    expect(state.samples).to.deep.equal({
      canary: [0.04, 0.05, 0.06],
      baseline: [0.01, 0.02, 0.03],
    });
    // Every canary value beats every baseline one: U = 9, exact one-sided p = 1/C(6,3) = 0.05.
    const r = outs[2]?.comparison.result;
    expect(r?.statistic).to.equal(9);
    expect(r?.pValue).to.be.closeTo(0.05, 1e-12);
    expect(outs[2]?.phase).to.equal('Failed');
  });

  it('makes a last Mann-Whitney look with too few samples Inconclusive', () => {
    const mw: CompareSpec = { ...SEQ, test: 'mannWhitney' };
    const out = updateComparison(mw, initComparison(), look([100, 1], [100, 1]), true);
    expect(out.phase).to.equal('Inconclusive');
  });

  it('tests latency as log(canary/baseline) per look with the location mSPRT', () => {
    const lat: CompareSpec = { test: 'sequential', metric: 'latency', queries: { latency: 'q' } };
    const out = updateComparison(
      lat,
      initComparison(),
      { canary: { latency: 150 }, baseline: { latency: 100 } },
      false,
    );
    expect(out.comparison.result?.test).to.equal('location-msprt');
    expect(out.comparison.result?.effect).to.be.closeTo(Math.log(1.5), 1e-12);
  });

  it('keeps {{workload}} and {{interval}} through template resolution and fills {{args.x}}', () => {
    const [m] = resolveTemplates(
      [
        {
          kind: 'AnalysisTemplate',
          name: 't',
          spec: {
            args: [{ name: 'ns' }],
            metrics: [
              {
                name: 'cmp',
                compare: {
                  ...SEQ,
                  queries: {
                    requests: 'r{ns="{{args.ns}}",w="{{ workload }}"}[{{interval}}]',
                    errors: 'e',
                  },
                },
              },
            ],
          },
        },
      ],
      [{ name: 'ns', value: 'demo' }],
      'spec.strategy.canary.steps[1].analysis',
    );
    expect(m?.compare?.queries?.requests).to.equal('r{ns="demo",w="{{ workload }}"}[{{interval}}]');
  });

  it('rejects at the boundary a compare metric without the query its metric needs, naming the field', () => {
    const raw = (metric: Record<string, unknown>) => ({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 't', namespace: 'demo' },
      spec: { metrics: [{ name: 'cmp', ...metric }] },
    });
    expect(() =>
      parseAnalysisTemplate(
        raw({ compare: { test: 'sequential', metric: 'errorRate', queries: { requests: 'r' } } }),
      ),
    ).to.throw(/spec\.metrics\[0\]\.compare\.queries\.errors/);
    expect(() =>
      parseAnalysisTemplate(
        raw({
          compare: { test: 'sequential', metric: 'latency', queries: { latency: 'l' } },
          provider: { prometheus: { query: 'q' } },
        }),
      ),
    ).to.throw(/give exactly one of provider, compare or burnRate/);
    expect(() =>
      parseAnalysisTemplate(
        raw({
          compare: { test: 'sequential', metric: 'latency', queries: { latency: 'l{{workload}}' } },
          successCondition: 'result[0] > 1',
        }),
      ),
    ).to.throw(/spec\.metrics\[0\]\.successCondition.*judges itself/);
    expect(() =>
      parseAnalysisTemplate(raw({ compare: { test: 'tTest', metric: 'latency' } })),
    ).to.throw(/test/);
  });

  it('shows the comparison in sluice get: test, p-value and bound, effect, sample sizes', () => {
    const rollout = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'shop', namespace: 'demo' },
      spec: {
        targetRef: { kind: 'Deployment', name: 'shop' },
        trafficRouting: { istio: { virtualService: { name: 'shop', routes: ['primary'] } } },
        strategy: { canary: { steps: [{ setWeight: 20 }] } },
      },
      status: {
        phase: 'Aborted',
        lastMeasurements: [
          {
            metric: 'errors-vs-baseline',
            phase: 'Failed',
            at: '2026-01-01T00:03:00Z',
            comparison: {
              test: 'rate-msprt',
              statistic: 6.14,
              pValue: 0.0021,
              bound: 5.298,
              effect: 1.99,
              effectKind: 'rate-ratio',
              nCanary: 6000,
              nBaseline: 6000,
              decision: 'fail',
            },
          },
        ],
      },
    } as Rollout;
    const summary = summarizeRollout(rollout);
    expect(summary.measurements[0]?.comparison?.pValue).to.equal(0.0021);
    expect(rolloutDetail(summary)).to.contain(
      'errors-vs-baseline: rate-msprt p=0.0021 (log LR 6.14 >= bound 5.298) rate-ratio 1.99 n=6000/6000 fail -> Failed',
    );
  });
});
