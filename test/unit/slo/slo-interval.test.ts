import { expect } from 'chai';
import {
  parseSloInterval,
  SLO_INTERVAL_MAX_MS,
  sloRefreshMs,
} from '../../../src/controller/slo-evaluator.js';
import { InvalidSpecError } from '../../../src/domain/errors.js';

// The budget freeze calls an SLO status older than 15 min unknown (BUDGET_STALE_MS), so the
// evaluator must refresh evaluatedAt well inside that, whatever --slo-interval says.

describe('SLO evaluation interval', () => {
  it('refreshes an unchanged status every 5 intervals, but at least every 5 minutes', () => {
    expect(sloRefreshMs(30_000)).to.equal(150_000);
    expect(sloRefreshMs(60_000)).to.equal(300_000);
    expect(sloRefreshMs(5 * 60_000)).to.equal(300_000);
    expect(sloRefreshMs(SLO_INTERVAL_MAX_MS)).to.equal(300_000);
  });

  it('accepts intervals up to 10 minutes', () => {
    expect(parseSloInterval('60s')).to.equal(60_000);
    expect(parseSloInterval('5m')).to.equal(300_000);
    expect(parseSloInterval('10m')).to.equal(600_000);
  });

  it('refuses a longer interval, saying why, and a zero one', () => {
    expect(() => parseSloInterval('11m')).to.throw(InvalidSpecError, /longer than 10m.*15 min/);
    expect(() => parseSloInterval('1h')).to.throw(InvalidSpecError, /--slo-interval/);
    expect(() => parseSloInterval('0s')).to.throw(InvalidSpecError, /positive/);
  });
});
