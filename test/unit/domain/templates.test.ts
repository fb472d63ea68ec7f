import { expect } from 'chai';
import { InvalidSpecError } from '../../../src/domain/errors.js';
import { resolveTemplates, type TemplateInput } from '../../../src/domain/templates.js';
import type { AnalysisArg, MetricSpec } from '../../../src/domain/types.js';

const FIELD = 'spec.strategy.canary.steps[1].analysis';

function successRate(extra: Partial<MetricSpec> = {}): TemplateInput {
  return {
    kind: 'AnalysisTemplate',
    name: 'success-rate',
    spec: {
      args: [
        { name: 'service' },
        { name: 'namespace', value: 'demo' },
        { name: 'threshold', value: '0.95' },
      ],
      metrics: [
        {
          name: 'success-rate',
          successCondition: 'result[0] >= {{ args.threshold }}',
          provider: {
            prometheus: {
              address: 'http://prometheus.{{args.namespace}}:9090',
              query:
                'sum(rate(istio_requests_total{destination_service_name="{{args.service}}",response_code!~"5.*"}[1m])) / sum(rate(istio_requests_total{destination_service_name="{{  args.service  }}"}[1m]))',
            },
          },
          ...extra,
        },
      ],
    },
  };
}

function invalid(templates: TemplateInput[], args: AnalysisArg[] | undefined): InvalidSpecError {
  try {
    resolveTemplates(templates, args, FIELD);
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidSpecError);
    expect((err as InvalidSpecError).field).to.equal(FIELD);
    return err as InvalidSpecError;
  }
  throw new Error('expected an InvalidSpecError, nothing was thrown');
}

describe('templates', () => {
  it('substitutes arguments from the Rollout over the template defaults, spaces allowed', () => {
    const [m] = resolveTemplates(
      [successRate()],
      [
        { name: 'service', value: 'shop-canary' },
        { name: 'threshold', value: '0.99' },
      ],
      FIELD,
    );
    expect(m?.successCondition).to.equal('result[0] >= 0.99');
    expect(m?.provider?.prometheus.address).to.equal('http://prometheus.demo:9090');
    expect(m?.provider?.prometheus.query).to.equal(
      'sum(rate(istio_requests_total{destination_service_name="shop-canary",response_code!~"5.*"}[1m])) / sum(rate(istio_requests_total{destination_service_name="shop-canary"}[1m]))',
    );
  });

  it('does not expand placeholders inside an argument value', () => {
    const [m] = resolveTemplates(
      [successRate()],
      [{ name: 'service', value: '{{args.namespace}}' }],
      FIELD,
    );
    expect(m?.provider?.prometheus.query).to.include(
      'destination_service_name="{{args.namespace}}"',
    );
  });

  it('combines the metrics of several templates', () => {
    const latency: TemplateInput = {
      kind: 'ClusterAnalysisTemplate',
      name: 'latency',
      spec: {
        metrics: [
          {
            name: 'p99',
            failureCondition: 'result[0] > 500',
            provider: { prometheus: { query: 'p99' } },
          },
        ],
      },
    };
    const metrics = resolveTemplates(
      [successRate(), latency],
      [{ name: 'service', value: 's' }],
      FIELD,
    );
    expect(metrics.map((m) => m.name)).to.deep.equal(['success-rate', 'p99']);
  });

  const errors: Array<[string, () => [TemplateInput[], AnalysisArg[] | undefined], RegExp]> = [
    [
      'an argument with no value anywhere',
      () => [[successRate()], undefined],
      /AnalysisTemplate success-rate needs argument "service", which has no default; set it in spec.strategy.canary.steps\[1\].analysis.args/,
    ],
    [
      'a placeholder naming an undeclared argument',
      () => [
        [successRate({ failureCondition: 'result[0] < {{args.floor}}' })],
        [{ name: 'service', value: 's' }],
      ],
      /metric "success-rate" failureCondition uses \{\{args.floor\}\}, but the template declares no argument "floor"/,
    ],
    [
      'a placeholder that is not an argument',
      () => [
        [successRate({ failureCondition: 'result[0] < {{ .Values.x }}' })],
        [{ name: 'service', value: 's' }],
      ],
      /has placeholder \{\{ .Values.x \}\}; only \{\{args.<name>\}\} is supported/,
    ],
    [
      'an argument no template declares',
      () => [
        [successRate()],
        [
          { name: 'service', value: 's' },
          { name: 'srevice', value: 's' },
        ],
      ],
      /argument "srevice" is not declared by AnalysisTemplate success-rate/,
    ],
    [
      'an argument given twice',
      () => [
        [successRate()],
        [
          { name: 'service', value: 's' },
          { name: 'service', value: 't' },
        ],
      ],
      /argument "service" is given twice/,
    ],
    [
      'the same metric name in two templates',
      () => [
        [successRate(), { ...successRate(), kind: 'ClusterAnalysisTemplate' }],
        [{ name: 'service', value: 's' }],
      ],
      /metric "success-rate" is defined by both AnalysisTemplate success-rate and ClusterAnalysisTemplate success-rate/,
    ],
    [
      'a condition that does not parse',
      () => [
        [successRate({ successCondition: 'result[0] >= ' })],
        [{ name: 'service', value: 's' }],
      ],
      /metric "success-rate" successCondition "result\[0\] >= " is not valid: unexpected end of expression at position 13/,
    ],
    [
      'a condition that an argument value breaks',
      () => [
        [successRate()],
        [
          { name: 'service', value: 's' },
          { name: 'threshold', value: '0.9 0' },
        ],
      ],
      /successCondition "result\[0\] >= 0.9 0" is not valid: unexpected '0' at position 17/,
    ],
    [
      'a template without metrics',
      () => [[{ kind: 'AnalysisTemplate', name: 'empty', spec: { metrics: [] } }], undefined],
      /AnalysisTemplate empty has no metrics/,
    ],
    ['no template at all', () => [[], undefined], /names no template/],
  ];
  for (const [name, input, message] of errors) {
    it(`rejects ${name}, naming the field`, () => {
      const [templates, args] = input();
      const err = invalid(templates, args);
      expect(err.message).to.match(message);
      expect(err.message.startsWith(`${FIELD}: `)).to.equal(true);
    });
  }

  it('gives the position of an unparseable condition in the details', () => {
    const err = invalid(
      [successRate({ successCondition: 'result[0] >= ' })],
      [{ name: 'service', value: 's' }],
    );
    expect(err.details).to.deep.include({ field: FIELD, position: 13 });
  });
});
