import { expect } from 'chai';
import { classifyMeasurement, type MetricConditions } from '../../../src/domain/measurement.js';
import type { ProviderAnswer } from '../../../src/domain/provider.js';
import type { MeasurementPhase, NoDataPolicy } from '../../../src/domain/types.js';

const startedAt = '2026-12-04T10:00:00.000Z';
const finishedAt = '2026-12-04T10:00:01.000Z';

function values(...v: number[]): ProviderAnswer {
  return { kind: 'values', values: v };
}

function classify(answer: ProviderAnswer, metric: Partial<MetricConditions>) {
  return classifyMeasurement({
    answer,
    metric: { noData: 'inconclusive', ...metric },
    startedAt,
    finishedAt,
  });
}

const successOnly = { successCondition: 'result[0] >= 0.95' };
const failureOnly = { failureCondition: 'result[0] > 0.01' };
const both = { successCondition: 'result[0] >= 0.99', failureCondition: 'result[0] < 0.95' };

describe('measurement', () => {
  describe('conditions', () => {
    const cases: Array<
      [string, ProviderAnswer, Partial<MetricConditions>, MeasurementPhase, string]
    > = [
      [
        'success only, true',
        values(0.97),
        successOnly,
        'Successful',
        '0.97 passes result[0] >= 0.95',
      ],
      ['success only, false', values(0.78), successOnly, 'Failed', '0.78 fails result[0] >= 0.95'],
      [
        'failure only, true',
        values(0.02),
        failureOnly,
        'Failed',
        '0.02 meets failure condition result[0] > 0.01',
      ],
      [
        'failure only, false',
        values(0.005),
        failureOnly,
        'Successful',
        '0.005 does not meet failure condition result[0] > 0.01',
      ],
      [
        'both, failure true',
        values(0.9),
        both,
        'Failed',
        '0.9 meets failure condition result[0] < 0.95',
      ],
      ['both, success true', values(0.995), both, 'Successful', '0.995 passes result[0] >= 0.99'],
      [
        'S06 both, neither true',
        values(0.97),
        both,
        'Inconclusive',
        '0.97 is inconclusive: it neither passes result[0] >= 0.99 nor meets failure condition result[0] < 0.95',
      ],
      ['no condition', values(3), {}, 'Successful', '3 recorded; the metric has no condition'],
      [
        'several values',
        values(1, 2),
        { successCondition: 'max(result) < 5' },
        'Successful',
        '[1, 2] passes max(result) < 5',
      ],
      [
        'blank conditions count as absent',
        values(0.5),
        { successCondition: '  ', failureCondition: '' },
        'Successful',
        '0.5 recorded; the metric has no condition',
      ],
    ];
    for (const [name, answer, metric, phase, message] of cases) {
      it(`judges ${name} as ${phase}`, () => {
        const m = classify(answer, metric);
        expect(m).to.deep.include({ phase, message, startedAt, finishedAt });
        expect(m.value).to.deep.equal(answer.kind === 'values' ? answer.values : undefined);
        expect(m.noData).to.equal(undefined);
      });
    }

    it('checks the failure condition first when both hold', () => {
      const m = classify(values(0.5), { successCondition: 'true', failureCondition: 'result < 1' });
      expect(m.phase).to.equal('Failed');
    });

    it('turns a condition that cannot be evaluated into an Error with its message', () => {
      const m = classify(values(0.97), { successCondition: 'result[1] >= 0.95' });
      expect(m.phase).to.equal('Error');
      expect(m.message).to.equal('result[1] is out of range: the query returned 1 value');
      expect(m.value).to.deep.equal([0.97]);
    });

    it('turns a condition that does not parse into an Error, never a verdict', () => {
      const m = classify(values(0.97), { successCondition: 'result[0] => 0.95' });
      expect(m.phase).to.equal('Error');
      expect(m.message).to.match(/unexpected character '=' at position 10/);
    });
  });

  describe('no data', () => {
    const answers: Array<[string, ProviderAnswer, string]> = [
      ['S01 an empty result', values(), 'no data: the query returned an empty result'],
      ['S02 NaN', values(Number.NaN), 'no data: the query returned NaN'],
      ['+Inf', values(Number.POSITIVE_INFINITY), 'no data: the query returned +Inf'],
      ['-Inf', values(Number.NEGATIVE_INFINITY), 'no data: the query returned -Inf'],
      ['NaN among numbers', values(0.99, Number.NaN), 'no data: the query returned NaN'],
    ];
    const policies: Array<[NoDataPolicy | undefined, MeasurementPhase]> = [
      [undefined, 'Inconclusive'],
      ['inconclusive', 'Inconclusive'],
      ['pass', 'Successful'],
      ['fail', 'Failed'],
    ];
    for (const [name, answer, message] of answers) {
      for (const [policy, phase] of policies) {
        for (const conditions of [successOnly, failureOnly, both, {}]) {
          it(`counts ${name} as no data (${phase} under noData ${policy ?? 'default'}, conditions ${Object.keys(conditions).join('+') || 'none'})`, () => {
            const m = classify(answer, { ...conditions, ...(policy ? { noData: policy } : {}) });
            expect(m.phase).to.equal(phase);
            expect(m.noData).to.equal(true);
            expect(m.message).to.equal(message);
            expect(m.value === undefined || m.value.every(Number.isFinite)).to.equal(true);
          });
        }
      }
    }

    it('keeps an empty value list but drops values that are not numbers in JSON', () => {
      expect(classify(values(), {}).value).to.deep.equal([]);
      expect(classify(values(Number.NaN), {}).value).to.equal(undefined);
    });
  });

  describe('errors', () => {
    it('keeps the provider message of a failed query', () => {
      const m = classify(
        { kind: 'error', message: 'HTTP 503: service unavailable', timeout: false },
        successOnly,
      );
      expect(m).to.deep.equal({
        phase: 'Error',
        startedAt,
        finishedAt,
        message: 'HTTP 503: service unavailable',
      });
    });

    it('says how long it waited when the query timed out', () => {
      const m = classify(
        { kind: 'error', message: 'no answer from http://127.0.0.1:9090', timeout: true },
        { ...successOnly, timeoutMs: 5000 },
      );
      expect(m.phase).to.equal('Error');
      expect(m.message).to.equal('timeout after 5s: no answer from http://127.0.0.1:9090');
    });

    it('does not repeat a timeout the provider already reported', () => {
      const m = classify(
        { kind: 'error', message: 'query timed out after 5s', timeout: true },
        { timeoutMs: 5000 },
      );
      expect(m.message).to.equal('query timed out after 5s');
    });
  });
});
