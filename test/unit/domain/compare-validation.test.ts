import { expect } from 'chai';
import { parseAnalysisRun, parseAnalysisTemplate } from '../../../src/adapters/kubernetes/parse.js';
import { comparisonText } from '../../../src/cli/render.js';
import { metricKindProblems } from '../../../src/domain/analysis-kinds.js';
import { formatCount } from '../../../src/domain/compare.js';
import type { MetricSpec } from '../../../src/domain/types.js';

const template = (metric: Record<string, unknown>) => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'AnalysisTemplate',
  metadata: { name: 't', namespace: 'demo' },
  spec: { metrics: [{ name: 'm', ...metric }] },
});

const SLI = { goodQuery: 'sum(rate(ok[{{window}}]))', totalQuery: 'sum(rate(all[{{window}}]))' };

describe('compare and burnRate validation', () => {
  it('refuses compare queries written once without {{workload}}: the canary against itself', () => {
    expect(() =>
      parseAnalysisTemplate(
        template({
          compare: {
            test: 'sequential',
            metric: 'errorRate',
            queries: { requests: 'sum(increase(req[1m]))', errors: 'e{{workload}}' },
          },
        }),
      ),
    ).to.throw(
      /spec\.metrics\[0\]\.compare\.queries\.requests: has no \{\{workload\}\}, so canary and baseline would run the same query.*give canary\.requests and baseline\.requests/,
    );
  });

  it('accepts a shared query without {{workload}} when a side gives its own', () => {
    const m: MetricSpec = {
      name: 'm',
      compare: {
        test: 'sequential',
        metric: 'latency',
        queries: { latency: 'p99{app="shop"}' },
        baseline: { latency: 'p99{app="shop-baseline"}' },
      },
    };
    expect(metricKindProblems('spec.metrics[0]', m)).to.deep.equal([]);
    const both: MetricSpec = {
      name: 'm',
      compare: {
        test: 'mannWhitney',
        metric: 'latency',
        canary: { latency: 'a' },
        baseline: { latency: 'b' },
      },
    };
    expect(metricKindProblems('spec.metrics[0]', both)).to.deep.equal([]);
  });

  it('refuses a burnRate template with both slo and an inline sli or objective, saying which to keep', () => {
    const m: MetricSpec = { name: 'm', burnRate: { slo: 'shop', sli: SLI, objective: 99.9 } };
    expect(metricKindProblems('spec.metrics[0]', m)).to.deep.equal([
      {
        field: 'spec.metrics[0].burnRate.sli',
        message:
          'sets slo "shop" and an inline sli and objective; keep slo (the ServiceLevelObjective\'s SLI and objective are used) and remove sli and objective, or remove slo to judge the inline ones',
      },
    ]);
    expect(() =>
      parseAnalysisTemplate(template({ burnRate: { slo: 'shop', objective: 99 } })),
    ).to.throw(/spec\.metrics\[0\]\.burnRate\.objective: sets slo "shop" and an inline objective/);
  });

  it('accepts slo with the copied sli and objective in an AnalysisRun, where the run holds both', () => {
    const run = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisRun',
      metadata: { name: 'shop-abc-1', namespace: 'demo' },
      spec: {
        rollout: 'shop',
        revision: 'abc',
        step: 1,
        metrics: [{ name: 'burn', burnRate: { slo: 'shop', sli: SLI, objective: 99.9 } }],
      },
    };
    expect(parseAnalysisRun(run).spec.metrics[0]?.burnRate?.slo).to.equal('shop');
  });
});

describe('comparison sample sizes for people', () => {
  it('rounds request counts (rates times seconds) to whole numbers, small ones to 3 digits', () => {
    expect(formatCount(121.3931626984127)).to.equal('121');
    expect(formatCount(237.36)).to.equal('237');
    expect(formatCount(0)).to.equal('0');
    expect(formatCount(2.3456)).to.equal('2.35');
    expect(formatCount(6000)).to.equal('6000');
  });

  it('prints rounded sizes in comparisonText', () => {
    const text = comparisonText({
      test: 'rate-msprt',
      statistic: 0.5,
      pValue: 0.6,
      bound: 5.298317366548036,
      effect: 1,
      effectKind: 'rate-ratio',
      nCanary: 121.3931626984127,
      nBaseline: 237.3612345,
      decision: 'continue',
    });
    expect(text).to.equal(
      'rate-msprt p=0.6 (log LR 0.5 < bound 5.298) rate-ratio 1 n=121/237 continue',
    );
  });
});
