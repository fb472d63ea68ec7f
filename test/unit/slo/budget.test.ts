import { expect } from 'chai';
import {
  allowedErrorRatio,
  burnRate,
  errorBudget,
  errorRatio,
  formatPromDuration,
  invalidSliMessage,
  MAX_SLI_QUERY_LENGTH,
  significant,
  parseSloWindow,
  renderWindow,
  validateSlo,
  type ServiceLevelObjectiveSpec,
} from '../../../src/domain/slo/index.js';
import { InvalidSpecError } from '../../../src/domain/errors.js';

describe('error budget', () => {
  it('computes the worked example: 99.99% with 50 bad of 1,000,000 spends half the budget', () => {
    const b = errorBudget({ good: 999_950, total: 1_000_000 }, 99.99);
    expect(b.allowedErrorRatio).to.equal(0.0001);
    expect(b.errorRatio).to.equal(0.00005);
    expect(b.consumed).to.equal(0.5);
    expect(b.remaining).to.equal(0.5);
    expect(b.burnRate).to.equal(0.5);
    expect(b.badEvents).to.equal(50);
    expect(b.allowedBadEvents).to.equal(100);
  });

  it('rounds the allowed error ratio to what the objective means', () => {
    expect(allowedErrorRatio(99.99)).to.equal(0.0001);
    expect(allowedErrorRatio(99.9)).to.equal(0.001);
    expect(allowedErrorRatio(99.95)).to.equal(0.0005);
    expect(allowedErrorRatio(99)).to.equal(0.01);
    expect(allowedErrorRatio(95)).to.equal(0.05);
  });

  it('goes negative when the budget is overspent', () => {
    // 99.9%: 3,000 bad of 1,000,000 is three budgets.
    const b = errorBudget({ good: 997_000, total: 1_000_000 }, 99.9);
    expect(b.consumed).to.equal(3);
    expect(b.remaining).to.equal(-2);
  });

  it('treats a window without events as no data, not as a perfect record', () => {
    expect(errorRatio({ good: 0, total: 0 })).to.equal(undefined);
    const b = errorBudget({ good: 0, total: 0 }, 99.9);
    expect(b.errorRatio).to.equal(undefined);
    expect(b.remaining).to.equal(1);
  });

  it('clamps a good count a hair above the total (rate extrapolation) to a zero error ratio', () => {
    expect(errorRatio({ good: 1000.0000001, total: 1000 })).to.equal(0);
  });

  it('lets good exceed total by the 0.1% that rate() extrapolation explains', () => {
    expect(invalidSliMessage({ good: 1000.9, total: 1000 }, '5m')).to.equal(undefined);
    expect(invalidSliMessage({ good: 999, total: 1000 }, '5m')).to.equal(undefined);
    expect(invalidSliMessage({ good: 0, total: 0 }, '5m')).to.equal(undefined);
  });

  it('calls an SLI whose good events exceed its total beyond a hair broken, and says what to check', () => {
    // A latency goodQuery without le= sums every bucket: twice (or more) the total.
    const message = invalidSliMessage({ good: 2000, total: 1000 }, '28d');
    expect(message).to.contain('good events exceed total events over 28d');
    expect(message).to.contain('2000 > 1000');
    expect(message).to.contain('check goodQuery/totalQuery');
    expect(invalidSliMessage({ good: 1.002, total: 1 }, '1h')).to.contain('good/total = 1.002');
  });

  it('writes small ratios with their significant digits, not as 0.00', () => {
    expect(significant(0.0001)).to.equal('0.0001');
    expect(significant(0.00005123456)).to.equal('0.00005123');
    expect(significant(0)).to.equal('0');
    expect(significant(2)).to.equal('2');
  });

  it('expresses burn rate as multiples of the allowed error ratio', () => {
    expect(burnRate(0.0144, 99.9)).to.be.closeTo(14.4, 1e-12);
    expect(burnRate(0.001, 99.9)).to.equal(1);
    expect(burnRate(0, 99.9)).to.equal(0);
  });
});

describe('SLO windows and validation', () => {
  it('parses Prometheus durations with days and weeks', () => {
    expect(parseSloWindow('28d')).to.equal(28 * 86_400_000);
    expect(parseSloWindow('4w')).to.equal(28 * 86_400_000);
    expect(parseSloWindow('1w3d12h')).to.equal((10 * 24 + 12) * 3_600_000);
    expect(parseSloWindow('5m')).to.equal(300_000);
    expect(() => parseSloWindow('soon')).to.throw(InvalidSpecError);
  });

  it('formats windows back as Prometheus ranges', () => {
    expect(formatPromDuration(28 * 86_400_000)).to.equal('28d');
    expect(formatPromDuration(90 * 60_000)).to.equal('1h30m');
    expect(formatPromDuration(300_000)).to.equal('5m');
  });

  const spec: ServiceLevelObjectiveSpec = {
    service: 'shop',
    objective: 99.99,
    window: '28d',
    sli: {
      kind: 'availability',
      goodQuery: 'sum(rate(http_requests_total{code!~"5.."}[{{window}}]))',
      totalQuery: 'sum(rate(http_requests_total[{{window}}]))',
    },
  };

  it('accepts a well-formed SLO and renders its range placeholder', () => {
    expect(() => validateSlo(spec)).not.to.throw();
    for (const window of ['90m', '6h', '30d', '4w'])
      expect(() => validateSlo({ ...spec, window }), window).not.to.throw();
    expect(renderWindow(spec.sli.totalQuery, '5m')).to.equal('sum(rate(http_requests_total[5m]))');
  });

  it('names the offending field of a malformed SLO', () => {
    const cases: Array<[ServiceLevelObjectiveSpec, string]> = [
      [{ ...spec, objective: 100 }, 'spec.objective'],
      [{ ...spec, objective: 0 }, 'spec.objective'],
      [{ ...spec, window: 'a month' }, 'spec.window'],
      [{ ...spec, window: '30s' }, 'spec.window'],
      [{ ...spec, window: '1h30m' }, 'spec.window'],
      [{ ...spec, window: '28d ' }, 'spec.window'],
      [
        {
          ...spec,
          sli: { ...spec.sli, totalQuery: `${'x'.repeat(MAX_SLI_QUERY_LENGTH)}{{window}}` },
        },
        'spec.sli.totalQuery',
      ],
      [{ ...spec, service: ' ' }, 'spec.service'],
      [{ ...spec, sli: { ...spec.sli, goodQuery: 'sum(rate(x[5m]))' } }, 'spec.sli.goodQuery'],
    ];
    for (const [bad, field] of cases) {
      try {
        validateSlo(bad);
        expect.fail(`accepted a spec with a bad ${field}`);
      } catch (err) {
        expect(err).to.be.instanceOf(InvalidSpecError);
        expect((err as InvalidSpecError).field).to.equal(field);
      }
    }
  });
});
