import { expect } from 'chai';
import fc from 'fast-check';
import {
  aggregateRunPhase,
  applyMetricResults,
  describeOutcome,
  lastMeasurementOf,
  newMetricResult,
  newRunStatus,
  nextMeasurementAt,
  recordMeasurement,
  resolveMetric,
  terminateRun,
  type ResolvedMetric,
} from '../../../src/domain/analysis.js';
import { InvalidSpecError } from '../../../src/domain/errors.js';
import { classifyMeasurement } from '../../../src/domain/measurement.js';
import type { ProviderAnswer } from '../../../src/domain/provider.js';
import {
  MAX_MEASUREMENTS,
  MEASUREMENT_PHASES,
  type AnalysisPhase,
  type Measurement,
  type MetricResult,
  type MetricSpec,
} from '../../../src/domain/types.js';

const provider = { prometheus: { query: 'up' } };
const T0 = Date.parse('2026-12-04T10:00:00.000Z');

function metric(spec: Partial<MetricSpec> = {}, unbounded = false): ResolvedMetric {
  return resolveMetric({ name: 'success-rate', provider, ...spec }, undefined, { unbounded });
}

/** Feeds provider answers through classification and recording, one interval apart. */
function feed(m: ResolvedMetric, answers: ProviderAnswer[]): MetricResult {
  let result = newMetricResult(m.name);
  answers.forEach((answer, i) => {
    const at = new Date(T0 + i * m.intervalMs).toISOString();
    const measurement = classifyMeasurement({ answer, metric: m, startedAt: at, finishedAt: at });
    result = recordMeasurement(result, measurement, m);
  });
  return result;
}

const empty: ProviderAnswer = { kind: 'values', values: [] };
const nan: ProviderAnswer = { kind: 'values', values: [Number.NaN] };
const value = (v: number): ProviderAnswer => ({ kind: 'values', values: [v] });
const error = (message: string, timeout = false): ProviderAnswer => ({
  kind: 'error',
  message,
  timeout,
});

describe('analysis', () => {
  describe('resolveMetric', () => {
    it('fills in the built-in defaults, durations in ms', () => {
      expect(metric()).to.deep.equal({
        name: 'success-rate',
        intervalMs: 30_000,
        initialDelayMs: 0,
        count: 1,
        successCondition: undefined,
        failureCondition: undefined,
        failureLimit: 0,
        inconclusiveLimit: 0,
        consecutiveErrorLimit: 4,
        noData: 'inconclusive',
        timeoutMs: 10_000,
        query: 'up',
        address: undefined,
        provider,
      });
    });

    it('takes the Rollout defaults, and the metric over them', () => {
      const r = resolveMetric(
        { name: 'm', provider, interval: '1m', failureLimit: 2 },
        {
          interval: '10s',
          timeout: '5s',
          noData: 'fail',
          failureLimit: 1,
          consecutiveErrorLimit: 0,
        },
      );
      expect(r).to.deep.include({
        intervalMs: 60_000,
        timeoutMs: 5000,
        noData: 'fail',
        failureLimit: 2,
        consecutiveErrorLimit: 0,
      });
    });

    it('runs a background metric without a count until the run ends', () => {
      expect(metric({}, true).count).to.equal(0);
      expect(metric({ count: 3 }, true).count).to.equal(3);
    });

    it('rejects impossible values naming the field', () => {
      expect(() => metric({ failureLimit: -1 })).to.throw(
        InvalidSpecError,
        /metrics.success-rate.failureLimit/,
      );
      expect(() => metric({ count: 1.5 })).to.throw(
        InvalidSpecError,
        /count: must be a whole number/,
      );
      expect(() => metric({ interval: '0s' })).to.throw(
        InvalidSpecError,
        /interval: must be longer than 0/,
      );
      expect(() => metric({ timeout: 'soon' })).to.throw(InvalidSpecError, /timeout/);
    });
  });

  describe('recordMeasurement', () => {
    it('S01 makes an empty result Inconclusive at once under the default policy', () => {
      const m = metric({ interval: '30s', count: 5, successCondition: 'result[0] >= 0.95' });
      const r = feed(m, [empty]);
      expect(r).to.deep.include({ phase: 'Inconclusive', inconclusive: 1, error: 0, failed: 0 });
      expect(r.measurements[0]).to.deep.include({ noData: true, phase: 'Inconclusive' });
      expect(r.message).to.match(/^no data: the query returned an empty result/);
    });

    it('S01 fails on the second empty result with noData fail and failureLimit 1', () => {
      const m = metric({
        count: 5,
        successCondition: 'result[0] >= 0.95',
        noData: 'fail',
        failureLimit: 1,
      });
      expect(feed(m, [empty]).phase).to.equal('Running');
      const r = feed(m, [empty, empty]);
      expect(r).to.deep.include({ phase: 'Failed', failed: 2, error: 0 });
    });

    it('S02 never passes or fails on NaN, for success-only and failure-only metrics', () => {
      for (const spec of [
        { successCondition: 'result[0] >= 0.99' },
        { failureCondition: 'result[0] > 0.01' },
      ]) {
        const r = feed(metric({ count: 3, ...spec }), [nan]);
        expect(r.phase).to.equal('Inconclusive');
        expect(r.successful + r.failed).to.equal(0);
      }
    });

    it('S04 resets the consecutive errors on a success and fails nothing', () => {
      const m = metric({ count: 2, timeout: '5s', successCondition: 'result[0] >= 0.99' });
      const r = feed(m, [error('HTTP 503'), error('no answer', true), value(0.999)]);
      expect(r).to.deep.include({
        phase: 'Running',
        consecutiveError: 0,
        error: 2,
        count: 1,
        successful: 1,
      });
      expect(r.measurements[1]?.message).to.equal('timeout after 5s: no answer');
    });

    it('S06 holds on a value between the success and failure thresholds', () => {
      const m = metric(
        { count: 0, successCondition: 'result[0] >= 0.99', failureCondition: 'result[0] < 0.95' },
        true,
      );
      expect(feed(m, [value(0.97)]).phase).to.equal('Inconclusive');
    });

    it('fails on the fifth error in a row under the default limit', () => {
      const m = metric({ count: 3 });
      const answers = [1, 2, 3, 4].map((i) => error(`HTTP 503 #${i}`));
      expect(feed(m, answers)).to.deep.include({ phase: 'Running', consecutiveError: 4, count: 0 });
      const r = feed(m, [...answers, error('HTTP 503 #5')]);
      expect(r.phase).to.equal('Failed');
      expect(r.message).to.equal('5 consecutive errors, last: HTTP 503 #5');
    });

    it('succeeds when count measurements are taken and at least one passed', () => {
      const m = metric({ count: 3, successCondition: 'result[0] >= 0.95', failureLimit: 1 });
      const r = feed(m, [value(0.99), value(0.9), value(0.97)]);
      expect(r).to.deep.include({ phase: 'Successful', count: 3, successful: 2, failed: 1 });
      expect(r.message).to.equal('2 of 3 successful, last: 0.97 passes result[0] >= 0.95');
    });

    it('is Inconclusive when count is reached and nothing passed', () => {
      const m = metric({ count: 1, successCondition: 'result[0] >= 0.95', failureLimit: 1 });
      expect(feed(m, [value(0.5)]).phase).to.equal('Inconclusive');
    });

    it('can succeed on no data when the metric says noData pass', () => {
      expect(feed(metric({ count: 2, noData: 'pass' }), [empty, nan]).phase).to.equal('Successful');
    });

    it('keeps only the newest measurements and ignores any after the metric finished', () => {
      const m = metric({ count: 0, successCondition: 'true' }, true);
      const r = feed(
        m,
        Array.from({ length: 25 }, (_, i) => value(i)),
      );
      expect(r.measurements).to.have.length(MAX_MEASUREMENTS);
      expect(r.measurements.at(-1)?.value).to.deep.equal([24]);
      expect(r.count).to.equal(25);
      const done = feed(metric({ successCondition: 'true' }), [value(1)]);
      const after = recordMeasurement(
        done,
        { phase: 'Failed', startedAt: 'x', finishedAt: 'x' },
        m,
      );
      expect(after).to.equal(done);
    });
  });

  describe('nextMeasurementAt', () => {
    it('waits the initial delay first, then one interval after the last measurement', () => {
      const m = metric({ count: 3, initialDelay: '1m', interval: '10s' });
      expect(nextMeasurementAt(newMetricResult(m.name), m, T0)).to.equal(T0 + 60_000);
      const r = feed(m, [value(1)]);
      expect(nextMeasurementAt(r, m, T0)).to.equal(T0 + 10_000);
      expect(nextMeasurementAt(feed(m, [value(1), value(1), value(1)]), m, T0)).to.equal(undefined);
    });
  });

  describe('aggregateRunPhase', () => {
    const cases: Array<[AnalysisPhase[], AnalysisPhase]> = [
      [['Successful', 'Failed', 'Error', 'Inconclusive'], 'Failed'],
      [['Successful', 'Error', 'Inconclusive'], 'Error'],
      [['Running', 'Inconclusive'], 'Inconclusive'],
      [['Successful', 'Running'], 'Running'],
      [['Pending', 'Successful'], 'Running'],
      [['Pending', 'Pending'], 'Pending'],
      [['Successful', 'Successful'], 'Successful'],
    ];
    for (const [phases, expected] of cases) {
      it(`makes ${phases.join(' + ')} ${expected}`, () => {
        const results = phases.map((phase, i) => ({ ...newMetricResult(`m${i}`), phase }));
        expect(aggregateRunPhase(results)).to.equal(expected);
      });
    }

    it('keeps a terminated run terminated', () => {
      expect(
        aggregateRunPhase([{ ...newMetricResult('m'), phase: 'Failed' }], 'Terminated'),
      ).to.equal('Terminated');
    });
  });

  describe('run status', () => {
    const m = metric({ count: 2, successCondition: 'result[0] >= 0.95' });

    it('ends a running run as Terminated, never Successful, and keeps a finished outcome', () => {
      const running = newRunStatus([m], '2026-12-04T10:00:00Z');
      const t = terminateRun(running, '2026-12-04T10:05:00Z', 'promoted');
      expect(t).to.deep.include({
        phase: 'Terminated',
        message: 'promoted',
        finishedAt: '2026-12-04T10:05:00Z',
      });
      expect(t.metricResults[0]?.phase).to.equal('Terminated');
      const failed = { ...running, phase: 'Failed' as const };
      expect(terminateRun(failed, 'now', 'promoted')).to.equal(failed);
    });

    it('finishes the run with a reason naming the metric, value and condition', () => {
      const status = newRunStatus([m], '2026-12-04T10:00:00Z');
      const result = feed(m, [value(0.78)]);
      const next = applyMetricResults(status, [result], [m], '2026-12-04T10:01:00Z');
      expect(next).to.deep.include({ phase: 'Failed', finishedAt: '2026-12-04T10:01:00Z' });
      expect(next.message).to.equal(
        'metric success-rate failed: 0.78 fails result[0] >= 0.95 (1 failed measurement, failureLimit 0)',
      );
    });

    it('names the condition of a no-data outcome', () => {
      const nanMetric = metric({ successCondition: 'result[0] >= 0.99' });
      const status = { ...newRunStatus([nanMetric], 'x'), metricResults: [feed(nanMetric, [nan])] };
      expect(describeOutcome({ ...status, phase: 'Inconclusive' }, [nanMetric])).to.equal(
        'metric success-rate inconclusive: no data: the query returned NaN (1 inconclusive measurement, inconclusiveLimit 0); judged against result[0] >= 0.99',
      );
      expect(lastMeasurementOf(status.metricResults[0] as MetricResult, nanMetric)).to.deep.include(
        {
          metric: 'success-rate',
          phase: 'Inconclusive',
          condition: 'result[0] >= 0.99',
        },
      );
    });
  });

  describe('properties', () => {
    const measurement = fc.record({
      phase: fc.constantFrom(...MEASUREMENT_PHASES),
      startedAt: fc.constant('2026-12-04T10:00:00Z'),
      finishedAt: fc.constant('2026-12-04T10:00:01Z'),
    }) as fc.Arbitrary<Measurement>;
    const spec = fc.record({
      count: fc.integer({ min: 0, max: 6 }),
      failureLimit: fc.integer({ min: 0, max: 3 }),
      inconclusiveLimit: fc.integer({ min: 0, max: 3 }),
      consecutiveErrorLimit: fc.integer({ min: 0, max: 5 }),
    });

    it('keeps counters that agree with the measurements and never succeeds past a limit', () => {
      fc.assert(
        fc.property(spec, fc.array(measurement, { maxLength: 30 }), (s, ms) => {
          const m = metric(s);
          let r = newMetricResult(m.name);
          const seen: Measurement[] = [];
          for (const x of ms) {
            const before = r;
            r = recordMeasurement(r, x, m);
            if (r !== before) seen.push(x);
          }
          const countOf = (p: string): number => seen.filter((x) => x.phase === p).length;
          expect(r.successful).to.equal(countOf('Successful'));
          expect(r.failed).to.equal(countOf('Failed'));
          expect(r.inconclusive).to.equal(countOf('Inconclusive'));
          expect(r.error).to.equal(countOf('Error'));
          expect(r.count).to.equal(seen.length - countOf('Error'));
          expect(r.measurements).to.deep.equal(seen.slice(-MAX_MEASUREMENTS));
          const lastNonError = seen.map((x) => x.phase !== 'Error').lastIndexOf(true);
          expect(r.consecutiveError).to.equal(seen.length - 1 - lastNonError);
          if (r.phase === 'Successful') {
            expect(r.failed).to.be.at.most(m.failureLimit);
            expect(r.inconclusive).to.be.at.most(m.inconclusiveLimit);
            expect(r.successful).to.be.above(0);
          }
          if (r.failed > m.failureLimit) expect(r.phase).to.equal('Failed');
        }),
        { numRuns: 2000 },
      );
    });
  });
});
