import { expect } from 'chai';
import { parseSlo, parseSloShape } from '../../../src/adapters/kubernetes/parse-slo.js';
import { InvalidSpecError } from '../../../src/domain/errors.js';
import {
  computeSloStatus,
  nextSloStatus,
  sloStatusDiffers,
  sloWindows,
  type SloStatus,
} from '../../../src/domain/slo/index.js';

function raw(spec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'ServiceLevelObjective',
    metadata: { name: 'shop-availability', namespace: 'demo' },
    spec: {
      service: 'shop',
      objective: 99.9,
      window: '28d',
      sli: {
        kind: 'availability',
        goodQuery: 'sum(rate(x{code!~"5.."}[{{window}}]))',
        totalQuery: 'sum(rate(x[{{window}}]))',
      },
      ...spec,
    },
    ...extra,
  };
}

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidSpecError);
    return (err as InvalidSpecError).field;
  }
  throw new Error('expected an InvalidSpecError');
}

describe('parseSlo', () => {
  it('accepts a valid SLO and drops fields the schema does not declare', () => {
    const slo = parseSlo({ ...raw({ color: 'blue' }) });
    expect(slo.spec.objective).to.equal(99.9);
    expect(slo.spec).to.not.have.property('color');
  });

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['a missing service', { service: undefined }, 'spec.service'],
    ['an objective given as text', { objective: '99.9' }, 'spec.objective'],
    ['an objective of 100', { objective: 100 }, 'spec.objective'],
    [
      'an unknown SLI kind',
      { sli: { kind: 'speed', goodQuery: 'a', totalQuery: 'b' } },
      'spec.sli.kind',
    ],
    ['a window in unknown units', { window: '28x' }, 'spec.window'],
    ['a window in seconds', { window: '30s' }, 'spec.window'],
    ['a window of two units', { window: '1h30m' }, 'spec.window'],
    [
      'a query longer than 8192 characters',
      { sli: { kind: 'latency', goodQuery: `${'x'.repeat(8200)}[{{window}}]`, totalQuery: 'b' } },
      'spec.sli.goodQuery',
    ],
    [
      'a query without {{window}}',
      {
        sli: {
          kind: 'latency',
          goodQuery: 'sum(rate(x[5m]))',
          totalQuery: 'sum(rate(x[{{window}}]))',
        },
      },
      'spec.sli.goodQuery',
    ],
  ];
  for (const [what, spec, field] of cases)
    it(`names ${field} for ${what}`, () => {
      expect(fieldOf(() => parseSlo(raw(spec)))).to.equal(field);
    });

  it('names the file and the object when given a source', () => {
    const field = fieldOf(() => parseSlo(raw({ objective: 0 }), 'slo.yaml'));
    expect(field).to.equal(
      'slo.yaml: ServiceLevelObjective demo/shop-availability: spec.objective',
    );
  });

  it('refuses another kind', () => {
    expect(fieldOf(() => parseSloShape({ ...raw(), kind: 'Rollout' }))).to.equal('kind');
  });

  it('reads by shape alone an SLO that breaks only the semantic rules', () => {
    expect(parseSloShape(raw({ objective: 100 })).spec.objective).to.equal(100);
  });

  it('keeps a status as the controller wrote it', () => {
    const status = { errorBudgetRemaining: -0.25, burnRates: { '5m': 3 }, alertSeverity: 'page' };
    expect(parseSloShape(raw({}, { status })).status).to.deep.equal(status);
  });
});

describe('nextSloStatus', () => {
  const now = new Date('2026-12-04T12:00:00Z');
  const later = new Date('2026-12-04T12:01:00Z');
  // 99.9%: 1,000,000 events with 400 bad over the window -> 40% of the budget consumed.
  const evaluated = (bad5m: number): SloStatus =>
    computeSloStatus({ objective: 99.9 }, '28d', {
      window: { good: 999_600, total: 1_000_000 },
      burnWindows: {
        '5m': { good: 1000 - bad5m, total: 1000 },
        '30m': { good: 0, total: 0 },
        '1h': { good: 9_900, total: 10_000 },
        '6h': undefined,
        '3d': { good: 99_990, total: 100_000 },
      },
    });

  it('maps the budget, the burn rates with data and the firing alerts', () => {
    const s = nextSloStatus({
      previous: undefined,
      outcome: { kind: 'evaluated', status: evaluated(20) },
      now,
      generation: 3,
    });
    expect(s.observedGeneration).to.equal(3);
    expect(s.evaluatedAt).to.equal(now.toISOString());
    expect(s.errorBudgetRemaining).to.be.closeTo(0.6, 1e-12);
    expect(s.errorBudgetConsumed).to.be.closeTo(0.4, 1e-12);
    expect(s.errorRatio).to.be.closeTo(0.0004, 1e-15);
    // 5m: 2% / 0.1% = 20; 1h: 1% / 0.1% = 10; 30m and 6h have no data and are absent.
    expect(s.burnRates).to.have.keys(['5m', '1h', '3d', '28d']);
    expect(s.burnRates?.['5m']).to.be.closeTo(20, 1e-9);
    // 1h/5m needs both above 14.4: 1h is 10, so nothing fires; 6h has no data.
    expect(s.alertSeverity).to.equal('none');
    expect(s.firingAlerts).to.deep.equal([]);
    expect(s.conditions?.[0]).to.include({
      type: 'Evaluated',
      status: 'True',
      reason: 'Evaluated',
    });
  });

  it('leaves the budget out when the window had no events', () => {
    const status = computeSloStatus({ objective: 99.9 }, '28d', {
      window: { good: 0, total: 0 },
      burnWindows: {},
    });
    const s = nextSloStatus({
      previous: undefined,
      outcome: { kind: 'evaluated', status },
      now,
      generation: 1,
    });
    expect(s).to.not.have.property('errorBudgetRemaining');
    expect(s.conditions?.[0]?.reason).to.equal('NoData');
  });

  it('keeps the last measured values and their time when a query fails, and says why', () => {
    const first = nextSloStatus({
      previous: undefined,
      outcome: { kind: 'evaluated', status: evaluated(20) },
      now,
      generation: 1,
    });
    const failed = nextSloStatus({
      previous: first,
      outcome: {
        kind: 'failed',
        reason: 'QueryFailed',
        message: 'sli.goodQuery [5m]: connection refused',
      },
      now: later,
      generation: 1,
    });
    expect(failed.errorBudgetRemaining).to.equal(first.errorBudgetRemaining);
    expect(failed.evaluatedAt).to.equal(now.toISOString());
    expect(failed.conditions?.[0]).to.include({ status: 'False', reason: 'QueryFailed' });
    expect(failed.conditions?.[0]?.message).to.contain('connection refused');
    expect(failed.conditions?.[0]?.lastTransitionTime).to.equal(later.toISOString());
  });

  it('reports the page alert when both windows of a pair burn above 14.4', () => {
    const status = computeSloStatus({ objective: 99.9 }, '28d', {
      window: { good: 999_000, total: 1_000_000 },
      burnWindows: { '5m': { good: 980, total: 1000 }, '1h': { good: 9_800, total: 10_000 } },
    });
    const s = nextSloStatus({
      previous: undefined,
      outcome: { kind: 'evaluated', status },
      now,
      generation: 1,
    });
    expect(s.alertSeverity).to.equal('page');
    expect(s.firingAlerts).to.deep.equal([
      { severity: 'page', longWindow: '1h', shortWindow: '5m', burnRate: 14.4 },
    ]);
  });
});

describe('nextSloStatus for a broken SLI', () => {
  const now = new Date('2026-12-04T12:00:00Z');
  const later = new Date('2026-12-04T12:01:00Z');

  it('drops the budget and says which check to make when good exceeds total', () => {
    const first = nextSloStatus({
      previous: undefined,
      outcome: {
        kind: 'evaluated',
        status: computeSloStatus({ objective: 99.9 }, '28d', {
          window: { good: 999_600, total: 1_000_000 },
          burnWindows: {},
        }),
      },
      now,
      generation: 1,
    });
    const message =
      'good events exceed total events over 28d (good/total = 2): check goodQuery/totalQuery';
    const broken = nextSloStatus({
      previous: first,
      outcome: { kind: 'failed', reason: 'InvalidSli', message },
      now: later,
      generation: 1,
    });
    expect(first).to.have.property('errorBudgetRemaining');
    expect(broken).to.not.have.property('errorBudgetRemaining');
    expect(broken).to.not.have.property('errorRatio');
    expect(broken).to.not.have.property('burnRates');
    expect(broken).to.not.have.property('evaluatedAt');
    expect(broken.conditions?.[0]).to.include({
      type: 'Evaluated',
      status: 'False',
      reason: 'InvalidSli',
      message,
    });
  });

  it('prints a tiny error ratio and the allowed ratio with their significant digits', () => {
    // 99.99%: 5 bad of 1,000,000 is an error ratio of 0.000005, allowed 0.0001.
    const s = nextSloStatus({
      previous: undefined,
      outcome: {
        kind: 'evaluated',
        status: computeSloStatus({ objective: 99.99 }, '28d', {
          window: { good: 999_995, total: 1_000_000 },
          burnWindows: {},
        }),
      },
      now,
      generation: 1,
    });
    expect(s.conditions?.[0]?.message).to.contain('(error ratio 0.000005, allowed 0.0001)');
    const perfect = nextSloStatus({
      previous: undefined,
      outcome: {
        kind: 'evaluated',
        status: computeSloStatus({ objective: 99.99 }, '28d', {
          window: { good: 10, total: 10 },
          burnWindows: {},
        }),
      },
      now,
      generation: 1,
    });
    expect(perfect.conditions?.[0]?.message).to.contain('(error ratio 0, allowed 0.0001)');
  });
});

describe('sloStatusDiffers', () => {
  const now = new Date('2026-12-04T12:00:00Z');
  const at = (d: Date, bad: number) =>
    nextSloStatus({
      previous: undefined,
      outcome: {
        kind: 'evaluated',
        status: computeSloStatus({ objective: 99.9 }, '28d', {
          window: { good: 1_000_000 - bad, total: 1_000_000 },
          burnWindows: {},
        }),
      },
      now: d,
      generation: 1,
    });

  it('ignores the evaluation time and noise past four significant digits', () => {
    const a = at(now, 400);
    const b = at(new Date(now.getTime() + 60_000), 400.00001);
    expect(sloStatusDiffers(a, { ...b, conditions: a.conditions })).to.equal(false);
  });

  it('sees a changed budget', () => {
    const a = at(now, 400);
    expect(sloStatusDiffers(a, { ...at(now, 500), conditions: a.conditions })).to.equal(true);
  });

  it('sees a first status', () => {
    expect(sloStatusDiffers(undefined, at(now, 400))).to.equal(true);
  });
});

describe('sloWindows', () => {
  it('lists the SLO window first, then every burn window once', () => {
    expect(sloWindows('28d')).to.deep.equal(['28d', '5m', '30m', '1h', '6h', '3d']);
    expect(sloWindows('3d')).to.deep.equal(['3d', '5m', '30m', '1h', '6h']);
  });
});
