import { expect } from 'chai';
import fc from 'fast-check';
import {
  decideFlag,
  explicitPercentAt,
  resolveFlagRef,
  writeOrder,
  type FlagDecision,
  type FlagPhase,
} from '../../../src/domain/flags.js';
import type { CanaryStep, FeatureFlagRef } from '../../../src/domain/types.js';

const follow: FeatureFlagRef = { name: 'checkout-v2' };
const steps: FeatureFlagRef = { name: 'checkout-v2', mode: 'steps', finalPercent: 80 };

describe('decideFlag', () => {
  const cases: Array<{
    title: string;
    spec: FeatureFlagRef;
    phase: FlagPhase;
    current: number | undefined;
    want: FlagDecision;
  }> = [
    {
      title: 'follows the canary weight when it moves up',
      spec: follow,
      phase: { kind: 'progressing', canaryWeight: 25 },
      current: 10,
      want: { kind: 'set', percent: 25, capped: false },
    },
    {
      title: 'keeps the flag when it already equals the weight (no write)',
      spec: follow,
      phase: { kind: 'progressing', canaryWeight: 25 },
      current: 25,
      want: { kind: 'keep' },
    },
    {
      title: 'sets the weight when the current percentage is unknown',
      spec: follow,
      phase: { kind: 'progressing', canaryWeight: 10 },
      current: undefined,
      want: { kind: 'set', percent: 10, capped: false },
    },
    {
      title: 'leaves a steps-mode flag alone before its first setFlag step',
      spec: steps,
      phase: { kind: 'progressing', canaryWeight: 50 },
      current: 0,
      want: { kind: 'keep' },
    },
    {
      title: 'lowers a steps-mode flag the user left above the weight to the weight',
      spec: steps,
      phase: { kind: 'progressing', canaryWeight: 10 },
      current: 40,
      want: { kind: 'set', percent: 10, capped: true },
    },
    {
      title: 'applies an explicit setFlag percentage at or below the weight',
      spec: steps,
      phase: { kind: 'progressing', canaryWeight: 50, explicitPercent: 30 },
      current: 0,
      want: { kind: 'set', percent: 30, capped: false },
    },
    {
      title: 'caps an explicit setFlag percentage at the canary weight',
      spec: steps,
      phase: { kind: 'progressing', canaryWeight: 20, explicitPercent: 60 },
      current: 0,
      want: { kind: 'set', percent: 20, capped: true },
    },
    {
      title: 'sets 100 on promotion by default',
      spec: follow,
      phase: { kind: 'promoted' },
      current: 50,
      want: { kind: 'set', percent: 100, capped: false },
    },
    {
      title: 'sets the configured final percentage on promotion',
      spec: steps,
      phase: { kind: 'promoted' },
      current: 50,
      want: { kind: 'set', percent: 80, capped: false },
    },
    {
      title: 'restores the recorded state on abort',
      spec: follow,
      phase: { kind: 'aborted' },
      current: 50,
      want: { kind: 'restore' },
    },
  ];
  for (const c of cases) {
    it(c.title, () => {
      expect(decideFlag(c.spec, c.phase, c.current)).to.deep.equal(c.want);
    });
  }
});

describe('explicitPercentAt', () => {
  const plan: CanaryStep[] = [
    { setWeight: 10 },
    { setFlag: { flag: 'checkout-v2', percent: 5 } },
    { setFlag: { flag: 'other', percent: 90 } },
    { setWeight: 50 },
    { setFlag: { flag: 'checkout-v2', percent: 40 } },
  ];

  it('returns the last setFlag percentage for the flag reached so far', () => {
    expect(explicitPercentAt(plan, 0, 'checkout-v2')).to.equal(undefined);
    expect(explicitPercentAt(plan, 3, 'checkout-v2')).to.equal(5);
    expect(explicitPercentAt(plan, 4, 'checkout-v2')).to.equal(40);
    expect(explicitPercentAt(plan, 4, 'other')).to.equal(90);
  });
});

describe('writeOrder', () => {
  it('writes traffic first when the weight goes up and flags first when it goes down', () => {
    expect(writeOrder(10, 25)).to.equal('trafficFirst');
    expect(writeOrder(25, 25)).to.equal('trafficFirst');
    expect(writeOrder(50, 20)).to.equal('flagsFirst');
  });
});

describe('resolveFlagRef', () => {
  it('fills project and environment from the defaults only when the spec leaves them out', () => {
    const defaults = { project: 'default', environment: 'production' };
    expect(resolveFlagRef({ name: 'a' }, defaults)).to.deep.equal({
      project: 'default',
      environment: 'production',
      name: 'a',
    });
    expect(
      resolveFlagRef({ name: 'a', project: 'shop', environment: 'dev' }, defaults),
    ).to.deep.equal({ project: 'shop', environment: 'dev', name: 'a' });
  });
});

describe('flag exposure (property)', () => {
  const step = fc.oneof(
    fc.integer({ min: 0, max: 100 }).map((w): CanaryStep => ({ setWeight: w })),
    fc
      .integer({ min: 0, max: 100 })
      .map((p): CanaryStep => ({ setFlag: { flag: 'f', percent: p } })),
  );

  it('never exposes more users than the canary weight while progressing', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 30 }),
        fc.constantFrom('followWeight' as const, 'steps' as const),
        fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
        (plan, mode, initial) => {
          const spec: FeatureFlagRef = { name: 'f', mode };
          let weight = 0;
          let flag = initial;
          for (const [i, s] of plan.entries()) {
            if ('setWeight' in s) weight = s.setWeight;
            const phase: FlagPhase = {
              kind: 'progressing',
              canaryWeight: weight,
              explicitPercent: explicitPercentAt(plan, i, 'f'),
            };
            const d = decideFlag(spec, phase, flag);
            if (d.kind === 'set') flag = d.percent;
            expect(d.kind).to.not.equal('restore');
            if (flag !== undefined) expect(flag).to.be.at.most(weight);
            if (mode === 'followWeight') expect(flag).to.equal(weight);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('makes one change per distinct weight and none when the weight repeats', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 20 }), (weights) => {
        let flag: number | undefined = 0;
        let sets = 0;
        let changes = 0;
        let last = 0;
        for (const w of weights) {
          if (w !== last) changes++;
          last = w;
          const d = decideFlag(follow, { kind: 'progressing', canaryWeight: w }, flag);
          if (d.kind === 'set') {
            sets++;
            flag = d.percent;
          }
        }
        expect(sets).to.equal(changes);
      }),
    );
  });
});
