import { expect } from 'chai';
import {
  BURN_WINDOWS,
  computeSloStatus,
  renderWindow,
  type EventCounts,
  type SloObservation,
} from '../../src/domain/slo/index.js';
import {
  expectedCounts,
  generateMonth,
  startBackfilledPrometheus,
  type BackfilledPrometheus,
} from './slo-month.js';
import { exampleSlo } from './slo-support.js';

// A month of synthetic request counters backfilled into a real Prometheus (slo-month.ts); the
// SLO's own queries are sent to it and the budget and burn rates computed from the answers must
// equal those computed from the generated counters directly.

const slo = exampleSlo(99.9);

async function queryScalar(url: string, query: string, timeS: number): Promise<number | undefined> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}&time=${timeS}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as {
    status: string;
    data?: { result: Array<{ value: [number, string] }> };
    error?: string;
  };
  if (body.status !== 'success') throw new Error(`${query}: ${body.error ?? res.status}`);
  const first = body.data?.result[0];
  return first ? Number(first.value[1]) : undefined;
}

describe('SLO budget from a backfilled month in real Prometheus', function () {
  this.timeout(120_000);
  const endS = Math.floor(Date.now() / 1000 / 3600) * 3600 - 3600;
  const queryS = endS + 30; // between samples, so no sample sits on a window's edge
  const samples = generateMonth(endS);
  let prom: BackfilledPrometheus | undefined;
  let url = '';

  before(async () => {
    prom = await startBackfilledPrometheus(samples);
    url = prom.url;
  });

  after(async () => {
    await prom?.stop();
  });

  async function observe(window: string): Promise<EventCounts | undefined> {
    const good = await queryScalar(url, renderWindow(slo.spec.sli.goodQuery, window), queryS);
    const total = await queryScalar(url, renderWindow(slo.spec.sli.totalQuery, window), queryS);
    // rate() is per second; the ratio is what matters, so per-second rates serve as counts.
    return good === undefined || total === undefined ? undefined : { good, total };
  }

  it('computes the remaining budget and the burn rates the generated data imply', async () => {
    const windows = [...BURN_WINDOWS];
    const observed: SloObservation = { window: { good: 0, total: 0 }, burnWindows: {} };
    const expected: SloObservation = {
      window: expectedCounts(samples, queryS, '28d'),
      burnWindows: {},
    };
    const window = await observe('28d');
    if (!window) throw new Error('Prometheus returned no data for the 28d window');
    observed.window = window;
    for (const w of windows) {
      (observed.burnWindows as Record<string, EventCounts | undefined>)[w] = await observe(w);
      (expected.burnWindows as Record<string, EventCounts | undefined>)[w] = expectedCounts(
        samples,
        queryS,
        w,
      );
    }
    const fromPrometheus = computeSloStatus(slo.spec, '28d', observed);
    const fromData = computeSloStatus(slo.spec, '28d', expected);

    expect(fromData.budget.remaining).to.be.within(0.3, 0.8); // the fixture is what we meant
    expect(fromPrometheus.budget.remaining).to.be.closeTo(fromData.budget.remaining, 1e-9);
    for (const w of [...windows, '28d'])
      expect(fromPrometheus.burnRates[w], w).to.be.closeTo(fromData.burnRates[w] as number, 1e-6);
    // The incident ended 2 h ago: the 6h/30m pair is quiet at 30m, the ticket pair still burns.
    expect(fromData.burnRates['6h']).to.be.above(6);
    expect(fromPrometheus.alerts.severity).to.equal('ticket');
    expect(fromPrometheus.alerts.evaluations.map((e) => e.firing)).to.deep.equal(
      fromData.alerts.evaluations.map((e) => e.firing),
    );
  });
});
