import { expect } from 'chai';
import type { AnalysisTemplateSpec, CanaryStep, RolloutSpec } from '../../../src/domain/types.js';
import {
  validateAnalysisTemplateSpec,
  validateMetricSpecs,
  validateRolloutSpec,
  type SpecProblem,
} from '../../../src/domain/validate-rollout.js';

const analysisStep: CanaryStep = {
  analysis: { templates: [{ templateName: 'success-rate', clusterScope: true }] },
};

function canarySpec(steps: CanaryStep[], extra: Partial<RolloutSpec> = {}): RolloutSpec {
  return {
    targetRef: { kind: 'Deployment', name: 'shop' },
    trafficRouting: { istio: { virtualService: { name: 'shop', routes: ['primary'] } } },
    strategy: { canary: { steps } },
    ...extra,
  };
}

function blueGreenSpec(bg: NonNullable<RolloutSpec['strategy']['blueGreen']>): RolloutSpec {
  return { ...canarySpec([]), strategy: { blueGreen: bg } };
}

const S = 'spec.strategy.canary.steps';

// [case, spec, the problems' fields, a word each message must contain (first problem)]
const cases: Array<[string, RolloutSpec, string[], string?]> = [
  [
    'a valid canary',
    canarySpec([
      { setWeight: 20 },
      analysisStep,
      { setWeight: 50 },
      { pause: { duration: '30s' } },
    ]),
    [],
  ],
  ['a valid blue-green', blueGreenSpec({ autoPromotionSeconds: 60, scaleDownDelaySeconds: 0 }), []],
  [
    'a step with two kinds',
    canarySpec([{ setWeight: 10, pause: {} } as unknown as CanaryStep]),
    [`${S}[0]`],
    'setWeight and pause',
  ],
  ['an empty step', canarySpec([{} as CanaryStep]), [`${S}[0]`], 'found none'],
  [
    'an unknown step kind',
    canarySpec([{ setWieght: 10 } as unknown as CanaryStep]),
    [`${S}[0]`, `${S}[0]`],
    'setWieght',
  ],
  [
    'a weight lower than an earlier one',
    canarySpec([{ setWeight: 50 }, { pause: {} }, { setWeight: 20 }]),
    [`${S}[2].setWeight`],
    'lower than 50 set at step 0',
  ],
  ['an equal weight twice', canarySpec([{ setWeight: 20 }, { setWeight: 20 }]), []],
  [
    'both canary and blueGreen',
    { ...canarySpec([{ setWeight: 5 }]), strategy: { canary: { steps: [] }, blueGreen: {} } },
    ['spec.strategy', `${S}`],
    'both',
  ],
  [
    'neither canary nor blueGreen',
    { ...canarySpec([]), strategy: {} },
    ['spec.strategy'],
    'neither',
  ],
  [
    'an unparseable pause',
    canarySpec([{ pause: { duration: '10 minutes' } }]),
    [`${S}[0].pause.duration`],
    '30s',
  ],
  [
    'a zero analysis interval',
    canarySpec([{ setWeight: 1 }], { analysis: { interval: '0s' } }),
    ['spec.analysis.interval'],
    'longer than 0',
  ],
  [
    'no routes',
    {
      ...canarySpec([{ setWeight: 1 }]),
      trafficRouting: { istio: { virtualService: { name: 'v', routes: [] } } },
    },
    ['spec.trafficRouting.istio.virtualService.routes'],
    'at least one',
  ],
  [
    'a route listed twice',
    {
      ...canarySpec([{ setWeight: 1 }]),
      trafficRouting: { istio: { virtualService: { name: 'v', routes: ['a', 'b', 'a'] } } },
    },
    ['spec.trafficRouting.istio.virtualService.routes[2]'],
    'twice',
  ],
  [
    'a gate on ftp',
    canarySpec([{ gate: { url: 'ftp://ci.example/approve' } }]),
    [`${S}[0].gate.url`],
    'http or https',
  ],
  [
    'a gate URL that is not a URL',
    canarySpec([{ gate: { url: 'approve please' } }]),
    [`${S}[0].gate.url`],
    'not a URL',
  ],
  [
    'a gate with a bad deadline',
    canarySpec([{ gate: { url: 'https://ci.example/ok', deadline: '1 day' } }]),
    [`${S}[0].gate.deadline`],
  ],
  [
    'a flag declared twice',
    canarySpec([{ setWeight: 1 }], { featureFlags: [{ name: 'f' }, { name: 'f' }] }),
    ['spec.featureFlags[1].name'],
    'spec.featureFlags[0]',
  ],
  [
    'a setFlag for an undeclared flag',
    canarySpec([{ setFlag: { flag: 'checkout-v2', percent: 10 } }]),
    [`${S}[0].setFlag.flag`],
    'not listed',
  ],
  [
    'a setFlag for a flag in steps mode',
    canarySpec([{ setFlag: { flag: 'f', percent: 10 } }], {
      featureFlags: [{ name: 'f', mode: 'steps' }],
    }),
    [],
  ],
  [
    'a negative scale-down delay',
    blueGreenSpec({ scaleDownDelaySeconds: -5 }),
    ['spec.strategy.blueGreen.scaleDownDelaySeconds'],
    '>= 0',
  ],
  [
    'an auto promotion after 8 days',
    blueGreenSpec({ autoPromotionSeconds: 8 * 24 * 3600 }),
    ['spec.strategy.blueGreen.autoPromotionSeconds'],
    '7 days',
  ],
  [
    'analysis args with the same name',
    canarySpec([
      {
        analysis: {
          templates: [{ templateName: 't' }],
          args: [
            { name: 'service', value: 'a' },
            { name: 'service', value: 'b' },
          ],
        },
      },
    ]),
    [`${S}[0].analysis.args[1].name`],
    'unique',
  ],
  [
    'an analysis with no templates',
    blueGreenSpec({ prePromotionAnalysis: { templates: [] } }),
    ['spec.strategy.blueGreen.prePromotionAnalysis.templates'],
  ],
  [
    'a header route matching both a header and a cookie',
    canarySpec([{ setHeaderRoute: { match: [{ header: 'x-canary', cookie: 'c', exact: '1' }] } }]),
    [`${S}[0].setHeaderRoute.match[0]`],
    'header or cookie',
  ],
  [
    'a header route with no value to match',
    canarySpec([{ setHeaderRoute: { match: [{ header: 'x-canary' }] } }]),
    [`${S}[0].setHeaderRoute.match[0]`],
    'exact, prefix or regex',
  ],
  [
    'a header route with an upper-case header and a broken regex',
    canarySpec([{ setHeaderRoute: { match: [{ header: 'X-Canary', regex: '(' }] } }]),
    [`${S}[0].setHeaderRoute.match[0].header`, `${S}[0].setHeaderRoute.match[0].regex`],
    'x-canary',
  ],
  [
    'a background analysis starting after the last step',
    {
      ...canarySpec([]),
      strategy: {
        canary: {
          steps: [{ setWeight: 10 }],
          analysis: { templates: [{ templateName: 't' }], startingStep: 1 },
        },
      },
    },
    ['spec.strategy.canary.analysis.startingStep'],
    'past the last step',
  ],
  [
    'a zero progress deadline',
    canarySpec([{ setWeight: 1 }], { progressDeadlineSeconds: 0 }),
    ['spec.progressDeadlineSeconds'],
  ],
];

describe('validateRolloutSpec', () => {
  for (const [what, spec, fields, word] of cases) {
    it(`${fields.length === 0 ? 'accepts' : 'reports'} ${what}`, () => {
      const problems: SpecProblem[] = validateRolloutSpec(spec);
      expect(problems.map((p) => p.field)).to.deep.equal(fields);
      if (word !== undefined) expect(problems[0]?.message).to.contain(word);
    });
  }

  it('reports every problem at once, in spec order', () => {
    const problems = validateRolloutSpec(
      canarySpec([{ setWeight: 50 }, { pause: { duration: 'x' } }, { setWeight: 10 }], {
        featureFlags: [{ name: 'f' }, { name: 'f' }],
      }),
    );
    expect(problems.map((p) => p.field)).to.deep.equal([
      'spec.featureFlags[1].name',
      `${S}[1].pause.duration`,
      `${S}[2].setWeight`,
    ]);
  });
});

describe('validateMetricSpecs and validateAnalysisTemplateSpec', () => {
  const metric = {
    name: 'm',
    successCondition: 'result[0] > 0',
    provider: { prometheus: { query: 'up' } },
  };

  it('accepts a metric with a condition and valid durations', () => {
    expect(
      validateMetricSpecs('spec.metrics', [{ ...metric, interval: '10s', timeout: '2s' }]),
    ).to.deep.equal([]);
  });

  it('reports a metric with no condition at all', () => {
    const { successCondition: _unused, ...bare } = metric;
    expect(validateMetricSpecs('spec.metrics', [bare]).map((p) => p.field)).to.deep.equal([
      'spec.metrics[0]',
    ]);
  });

  it('reports a zero interval and a malformed timeout', () => {
    const problems = validateMetricSpecs('spec.metrics', [
      { ...metric, interval: '0ms', timeout: '5 s' },
    ]);
    expect(problems.map((p) => p.field)).to.deep.equal([
      'spec.metrics[0].interval',
      'spec.metrics[0].timeout',
    ]);
  });

  it('reports placeholders in conditions and addresses that name no declared argument', () => {
    const spec: AnalysisTemplateSpec = {
      args: [{ name: 'service' }],
      metrics: [
        {
          name: 'm',
          successCondition: 'result[0] >= {{ args.threshold }}',
          provider: {
            prometheus: { address: '{{args.prom}}', query: 'up{service="{{args.service}}"}' },
          },
        },
      ],
    };
    expect(validateAnalysisTemplateSpec(spec).map((p) => p.field)).to.deep.equal([
      'spec.metrics[0].provider.prometheus.address',
      'spec.metrics[0].successCondition',
    ]);
  });
});
