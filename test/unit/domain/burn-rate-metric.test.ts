import { expect } from 'chai';
import { parseAnalysisTemplate } from '../../../src/adapters/kubernetes/parse.js';
import {
  DEFAULT_BURN_RATE_WINDOWS,
  burnRateQueries,
  burnWindows,
  judgeBurnRate,
  resolveBurnRate,
} from '../../../src/domain/burn-rate.js';
import type { BurnRateSpec } from '../../../src/domain/types.js';

const SPEC: BurnRateSpec = {
  sli: { goodQuery: 'sum(rate(good[{{window}}]))', totalQuery: 'sum(rate(all[{{window}}]))' },
  objective: 99.9,
  windows: [{ long: '5m', short: '1m', factor: 14.4 }],
};

function counts(entries: Record<string, [number, number]>) {
  return new Map(Object.entries(entries).map(([w, [good, total]]) => [w, { good, total }]));
}

describe('burn-rate metric', () => {
  it('fails when both windows of a pair burn faster than its factor (the worked example)', () => {
    // 99.9 %: allowed 0.001. 5m: 20 bad of 1000 = 0.02, burn 20; 1m: 3 of 200 = 0.015, burn 15.
    const j = judgeBurnRate(SPEC, counts({ '5m': [980, 1000], '1m': [197, 200] }), 'inconclusive');
    expect(j.phase).to.equal('Failed');
    expect(j.value).to.deep.equal([20, 15]);
    expect(j.message).to.equal('5m/1m burn 20/15: both above 14.4x');
  });

  it('passes when only the long window burns fast (the problem has stopped)', () => {
    // 1m: 1 of 200 = 0.005, burn 5.
    const j = judgeBurnRate(SPEC, counts({ '5m': [980, 1000], '1m': [199, 200] }), 'inconclusive');
    expect(j.phase).to.equal('Successful');
    expect(j.value).to.deep.equal([20, 5]);
  });

  it('compares strictly above the factor, as the alert rules do', () => {
    // 0.0144 exactly: burn 14.4 on both windows.
    const j = judgeBurnRate(
      SPEC,
      counts({ '5m': [98560, 100000], '1m': [9856, 10000] }),
      'inconclusive',
    );
    expect(j.phase).to.equal('Successful');
  });

  it('follows the noData policy when a window has no events, unless another pair fails', () => {
    const two: BurnRateSpec = {
      ...SPEC,
      windows: [
        { long: '5m', short: '1m', factor: 14.4 },
        { long: '1h', short: '5m', factor: 14.4 },
      ],
    };
    const empty = judgeBurnRate(two, counts({ '5m': [1000, 1000], '1m': [0, 0] }), 'fail');
    expect(empty).to.include({ phase: 'Failed', noData: true });
    expect(empty.message).to.equal('no data: no events in the 1m window');
    const firing = judgeBurnRate(
      two,
      counts({ '5m': [900, 1000], '1m': [0, 0], '1h': [9000, 10000] }),
      'pass',
    );
    expect(firing.phase).to.equal('Failed');
    expect(firing.message).to.match(/^1h\/5m burn 100\/100/);
  });

  it('asks each distinct window once, with {{window}} filled in', () => {
    expect(burnWindows({ ...SPEC, windows: [...DEFAULT_BURN_RATE_WINDOWS] })).to.deep.equal([
      '5m',
      '1m',
      '1h',
      '6h',
      '30m',
    ]);
    expect(burnRateQueries(SPEC)).to.deep.equal([
      { window: '5m', good: 'sum(rate(good[5m]))', total: 'sum(rate(all[5m]))' },
      { window: '1m', good: 'sum(rate(good[1m]))', total: 'sum(rate(all[1m]))' },
    ]);
  });

  it("copies the SLO's queries and objective into the run, keeping its name", () => {
    const r = resolveBurnRate(
      { slo: 'shop' },
      {
        spec: {
          service: 'shop',
          sli: { kind: 'availability', goodQuery: 'g[{{window}}]', totalQuery: 't[{{window}}]' },
          objective: 99.99,
        },
      },
    );
    expect(r).to.deep.equal({
      slo: 'shop',
      sli: { goodQuery: 'g[{{window}}]', totalQuery: 't[{{window}}]' },
      objective: 99.99,
    });
    expect(burnRateQueries({ slo: 'missing' })).to.equal(undefined);
  });

  it('rejects at the boundary what cannot work, naming the field', () => {
    const raw = (burnRate: Record<string, unknown>) => ({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 't', namespace: 'demo' },
      spec: { metrics: [{ name: 'burn', burnRate }] },
    });
    expect(() => parseAnalysisTemplate(raw({}))).to.throw(
      /spec\.metrics\[0\]\.burnRate: needs slo .* or an inline sli with objective/,
    );
    expect(() =>
      parseAnalysisTemplate(raw({ ...SPEC, sli: { goodQuery: 'g[5m]', totalQuery: 't' } })),
    ).to.throw(/spec\.metrics\[0\]\.burnRate\.sli\.goodQuery: must contain \{\{window\}\}/);
    expect(() =>
      parseAnalysisTemplate(raw({ ...SPEC, windows: [{ long: '1m', short: '5m', factor: 2 }] })),
    ).to.throw(/spec\.metrics\[0\]\.burnRate\.windows\[0\]\.short: must be shorter than long/);
    expect(parseAnalysisTemplate(raw({ slo: 'shop' })).spec.metrics[0]?.burnRate?.slo).to.equal(
      'shop',
    );
  });
});
