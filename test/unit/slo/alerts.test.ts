import { expect } from 'chai';
import {
  budgetSpentAtThreshold,
  computeSloStatus,
  DEFAULT_BURN_RATE_ALERTS,
  evaluateBurnRateAlerts,
  parseSloWindow,
} from '../../../src/domain/slo/index.js';

const [fastPage, slowPage, ticket] = DEFAULT_BURN_RATE_ALERTS as [
  (typeof DEFAULT_BURN_RATE_ALERTS)[number],
  (typeof DEFAULT_BURN_RATE_ALERTS)[number],
  (typeof DEFAULT_BURN_RATE_ALERTS)[number],
];

describe('multi-window multi-burn-rate alerts', () => {
  it('uses the SRE workbook thresholds: 14.4x 1h/5m and 6x 6h/30m page, 1x 3d/6h tickets', () => {
    expect(fastPage).to.deep.equal({
      severity: 'page',
      longWindow: '1h',
      shortWindow: '5m',
      burnRate: 14.4,
    });
    expect(slowPage).to.include({ longWindow: '6h', shortWindow: '30m', burnRate: 6 });
    expect(ticket).to.include({ severity: 'ticket', longWindow: '3d', shortWindow: '6h' });
    // On a 30-day budget these spend 2%, 5% and 10% at their thresholds.
    const days30 = parseSloWindow('30d');
    expect(budgetSpentAtThreshold(fastPage, parseSloWindow('1h'), days30)).to.be.closeTo(
      0.02,
      1e-12,
    );
    expect(budgetSpentAtThreshold(slowPage, parseSloWindow('6h'), days30)).to.be.closeTo(
      0.05,
      1e-12,
    );
    expect(budgetSpentAtThreshold(ticket, parseSloWindow('3d'), days30)).to.be.closeTo(0.1, 1e-12);
  });

  it('pages only when both the long and the short window burn above the threshold', () => {
    const table: Array<[Record<string, number>, 'page' | 'ticket' | 'none']> = [
      [{ '1h': 15, '5m': 20, '6h': 2, '30m': 2, '3d': 0.5 }, 'page'],
      // The incident is over: the 5-minute window has recovered, so no page.
      [{ '1h': 15, '5m': 3, '6h': 2, '30m': 2, '3d': 0.5 }, 'none'],
      // A short spike alone does not page.
      [{ '1h': 2, '5m': 50, '6h': 1, '30m': 8, '3d': 0.5 }, 'none'],
      // Exactly on the threshold is not above it.
      [{ '1h': 14.4, '5m': 14.4, '6h': 1, '30m': 1, '3d': 0.5 }, 'none'],
      [{ '1h': 7, '5m': 7, '6h': 6.5, '30m': 7, '3d': 0.5 }, 'page'],
      [{ '1h': 1.5, '5m': 1.5, '6h': 1.2, '30m': 1, '3d': 1.1 }, 'ticket'],
    ];
    for (const [rates, expected] of table)
      expect(evaluateBurnRateAlerts(rates).severity, JSON.stringify(rates)).to.equal(expected);
  });

  it('reports a window without data as noData and never fires on it', () => {
    const summary = evaluateBurnRateAlerts({ '1h': 100, '6h': 100, '30m': 100, '3d': 100 });
    const fast = summary.evaluations[0];
    expect(fast?.noData).to.equal(true);
    expect(fast?.firing).to.equal(false);
    expect(summary.severity).to.equal('page'); // the 6h/30m pair still has data
  });

  it('computes budget, burn rates and alerts from exact counts', () => {
    // 99.9%: allowed error ratio 0.001.
    //   5m: 75 bad of 3,000 = 0.025 -> 25x;  1h: 540 bad of 36,000 = 0.015 -> 15x;
    //   30m: 90 of 18,000 = 0.005 -> 5x;     6h: 432 of 216,000 = 0.002 -> 2x;
    //   3d: 2,592 of 2,592,000 = 0.001 -> 1x (not above 1); 28d: 12,096 of 24,192,000 = 0.0005.
    const status = computeSloStatus({ objective: 99.9 }, '28d', {
      window: { good: 24_192_000 - 12_096, total: 24_192_000 },
      burnWindows: {
        '5m': { good: 2925, total: 3000 },
        '30m': { good: 17_910, total: 18_000 },
        '1h': { good: 35_460, total: 36_000 },
        '6h': { good: 215_568, total: 216_000 },
        '3d': { good: 2_592_000 - 2592, total: 2_592_000 },
      },
    });
    expect(status.burnRates['5m']).to.be.closeTo(25, 1e-9);
    expect(status.burnRates['1h']).to.be.closeTo(15, 1e-9);
    expect(status.burnRates['30m']).to.be.closeTo(5, 1e-9);
    expect(status.burnRates['6h']).to.be.closeTo(2, 1e-9);
    expect(status.burnRates['3d']).to.be.closeTo(1, 1e-9);
    expect(status.burnRates['28d']).to.be.closeTo(0.5, 1e-9);
    expect(status.budget.remaining).to.be.closeTo(0.5, 1e-9);
    expect(status.alerts.severity).to.equal('page');
    expect(status.alerts.evaluations.map((e) => e.firing)).to.deep.equal([true, false, false]);
  });
});
