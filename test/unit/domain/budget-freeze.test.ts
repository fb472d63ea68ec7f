import { expect } from 'chai';
import fc from 'fast-check';
import type { BudgetObservation, Observed } from '../../../src/domain/rollout/model.js';
import { BUDGET_STALE_MS } from '../../../src/domain/rollout/budget.js';
import type { BlueGreenStrategy, CanaryStep, CommandKind } from '../../../src/domain/types.js';
import { World } from '../../support/world.js';

/** A World whose Rollout has a budget policy on the SLO "shop-availability". */
class BudgetWorld extends World {
  budget: BudgetObservation | undefined;

  constructor(opts: { steps?: CanaryStep[]; blueGreen?: BlueGreenStrategy } = {}) {
    super({ steps: opts.steps ?? [{ setWeight: 20 }, { setWeight: 50 }], ...opts });
    this.rollout.spec.budgetPolicy = { slo: 'shop-availability' };
  }

  setBudget(remaining: number | undefined, ageMs = 60_000): void {
    this.budget = {
      slo: 'shop-availability',
      found: true,
      remaining,
      evaluatedAt: new Date(this.now - ageMs).toISOString(),
    };
  }

  override observe(): Observed {
    return { ...super.observe(), budget: this.budget };
  }

  condition(): { status: string; reason: string; message: string } | undefined {
    return this.rollout.status?.conditions?.find((c) => c.type === 'BudgetFrozen');
  }
}

function healthy(w: BudgetWorld): BudgetWorld {
  w.settle();
  expect(w.phase).to.equal('Healthy');
  return w;
}

describe('budget policy (BudgetFrozen)', () => {
  it('starts a new revision as usual while budget remains, and records what it saw', () => {
    const w = healthy(new BudgetWorld());
    w.setBudget(0.4);
    w.newRevision('rev2');
    w.tick();
    expect(w.phase).to.equal('Progressing');
    expect(w.rollout.status?.budget).to.include({ slo: 'shop-availability', remaining: 0.4 });
    w.settle();
    expect(w.phase).to.equal('Healthy');
    expect(w.rollout.status?.stableRevision).to.equal('rev2');
  });

  it('holds a new revision in BudgetFrozen with no traffic and the candidate at 0 while the budget is spent', () => {
    const w = healthy(new BudgetWorld());
    w.setBudget(-0.25);
    w.newRevision('rev2');
    w.settle();
    expect(w.phase).to.equal('BudgetFrozen');
    expect(w.written).to.have.length(0);
    expect(w.target.replicas).to.equal(0);
    expect(w.condition()?.reason).to.equal('BudgetExhausted');
    // The status names the held revision, with no step or measurement of the last rollout.
    expect(w.rollout.status?.canaryRevision).to.equal('rev2');
    expect(w.rollout.status?.currentStepIndex).to.equal(undefined);
    expect(w.rollout.status?.lastMeasurements).to.deep.equal([]);
    expect(w.condition()?.message).to.match(/shop-availability.*-25%.*override/);
    const events = w.decisions
      .flatMap((d) => d.transitions)
      .filter((t) => t.reason === 'BudgetFrozen');
    expect(events).to.have.length(1);
    expect(events[0]?.type).to.equal('Warning');
    // Looking again while still frozen repeats nothing, and the message follows the budget.
    w.setBudget(-0.5);
    w.advance(30_000);
    const again = w.tick();
    expect(again.transitions).to.have.length(0);
    expect(w.rollout.status?.message).to.contain('-50%');
    expect(again.requeueAfterMs).to.be.at.most(30_000);
  });

  it('starts the frozen revision once the budget recovers, from the routes as they were', () => {
    const w = healthy(new BudgetWorld());
    w.setBudget(0);
    w.newRevision('rev2');
    w.settle();
    expect(w.phase).to.equal('BudgetFrozen');
    w.setBudget(0.1);
    w.settle();
    expect(w.rollout.status?.stableRevision).to.equal('rev2');
    expect(w.written[0]?.[0]?.destinations.map((d) => d.weight)).to.deep.equal([80, 20]);
    expect(w.condition()?.status).to.equal('False');
  });

  it('lets an operator override with a reason, for this revision only', () => {
    const w = healthy(new BudgetWorld({ steps: [{ setWeight: 20 }, { pause: {} }] }));
    w.setBudget(-1);
    w.newRevision('rev2');
    w.settle();
    w.command('overrideBudget', { reason: '' });
    w.settle();
    expect(w.phase).to.equal('BudgetFrozen');
    w.command('overrideBudget', { reason: '\u200b\u2060' });
    w.settle();
    expect(w.phase).to.equal('BudgetFrozen');
    expect(
      w.decisions.some((d) => d.transitions.some((t) => t.message.includes('needs a reason'))),
    ).to.equal(true);
    w.command('overrideBudget', { reason: 'hotfix for the outage itself' });
    w.settle();
    expect(w.phase).to.equal('Paused');
    expect(w.rollout.status?.budget?.override).to.include({
      revision: 'rev2',
      reason: 'hotfix for the outage itself',
    });
    expect(w.condition()?.reason).to.equal('BudgetOverridden');
    w.command('promote', { step: 1 });
    w.settle();
    expect(w.phase).to.equal('Healthy');
    // The next revision meets the freeze again.
    w.newRevision('rev3');
    w.settle();
    expect(w.phase).to.equal('BudgetFrozen');
  });

  it('goes back to Healthy when the target returns to the stable revision while frozen', () => {
    const w = healthy(new BudgetWorld());
    w.setBudget(-1);
    w.newRevision('rev2');
    w.settle();
    w.newRevision('rev1');
    w.settle();
    expect(w.phase).to.equal('Healthy');
    expect(w.written).to.have.length(0);
  });

  it('never holds a rollback: a rollout in flight still aborts while the budget is spent', () => {
    const w = healthy(new BudgetWorld({ steps: [{ setWeight: 20 }, { pause: {} }] }));
    w.setBudget(0.5);
    w.newRevision('rev2');
    w.settle();
    expect(w.phase).to.equal('Paused');
    w.setBudget(-3);
    w.command('abort', { reason: 'bad' });
    w.settle();
    expect(w.phase).to.equal('Aborted');
    expect(w.canaryWeight()).to.equal(0);
  });

  it('holds a retry of an aborted rollout too, and keeps the routes recorded before it', () => {
    const w = healthy(new BudgetWorld({ steps: [{ setWeight: 20 }, { pause: {} }] }));
    w.setBudget(0.5);
    w.newRevision('rev2');
    w.settle();
    w.command('abort');
    w.settle();
    const recorded = structuredClone(w.rollout.status?.originalRoutes);
    w.setBudget(-1);
    w.command('retry');
    w.settle();
    expect(w.phase).to.equal('BudgetFrozen');
    expect(w.rollout.status?.budget?.frozenFrom).to.equal('Aborted');
    w.setBudget(0.2);
    w.settle();
    expect(w.phase).to.equal('Paused');
    expect(w.rollout.status?.originalRoutes).to.deep.equal(recorded);
    expect(w.rollout.status?.budget?.frozenFrom).to.equal(undefined);
  });

  it('treats a missing SLO, a stale evaluation and no data as unknown, allowed by default', () => {
    for (const setup of [
      (w: BudgetWorld) => (w.budget = { slo: 'shop-availability', found: false }),
      (w: BudgetWorld) => w.setBudget(-1, BUDGET_STALE_MS + 1),
      (w: BudgetWorld) => w.setBudget(undefined),
    ]) {
      const w = healthy(new BudgetWorld());
      setup(w);
      w.newRevision('rev2');
      w.tick();
      expect(w.phase).to.equal('Progressing');
    }
  });

  it('starts on an unknown budget by default, but says why in a condition and one Warning event', () => {
    const w = healthy(new BudgetWorld());
    w.budget = { slo: 'shop-availability', found: false };
    w.newRevision('rev2');
    const d = w.tick();
    expect(w.phase).to.equal('Progressing');
    const warned = d.transitions.find((t) => t.reason === 'BudgetUnknown');
    expect(warned?.type).to.equal('Warning');
    expect(warned?.message).to.contain('ServiceLevelObjective "shop-availability" not found');
    expect(warned?.message).to.not.contain('no data');
    expect(w.condition()).to.include({ status: 'False', reason: 'BudgetUnknown' });
  });

  it('freezes on an unknown budget when the policy says so, naming why it is unknown', () => {
    const w = healthy(new BudgetWorld());
    w.rollout.spec.budgetPolicy = { slo: 'shop-availability', onUnknown: 'freeze' };
    w.budget = { slo: 'shop-availability', found: false };
    w.newRevision('rev2');
    w.settle();
    expect(w.phase).to.equal('BudgetFrozen');
    expect(w.condition()?.message).to.include(
      'ServiceLevelObjective "shop-availability" not found',
    );
  });

  it('leaves no condition or budget record behind once the policy is removed', () => {
    const w = healthy(new BudgetWorld());
    w.setBudget(-1);
    w.newRevision('rev2');
    w.settle();
    expect(w.phase).to.equal('BudgetFrozen');
    delete w.rollout.spec.budgetPolicy;
    w.settle();
    expect(w.phase).to.not.equal('BudgetFrozen');
    expect(w.condition()).to.equal(undefined);
    expect(w.rollout.status?.budget).to.equal(undefined);
  });

  it('freezes at the configured threshold, not only at zero', () => {
    const w = healthy(new BudgetWorld());
    w.rollout.spec.budgetPolicy = { slo: 'shop-availability', freezeBelow: 0.25 };
    w.setBudget(0.2);
    w.newRevision('rev2');
    w.settle();
    expect(w.phase).to.equal('BudgetFrozen');
  });

  it('applies to blue-green rollouts as well', () => {
    const w = healthy(new BudgetWorld({ blueGreen: { autoPromotionSeconds: 0 } }));
    w.setBudget(-1);
    w.newRevision('rev2');
    w.settle();
    expect(w.phase).to.equal('BudgetFrozen');
    w.setBudget(0.5);
    w.settle();
    expect(w.phase).to.not.equal('BudgetFrozen');
    expect(w.rollout.status?.canaryRevision).to.equal('rev2');
    expect(w.target.replicas).to.be.greaterThan(0);
  });
});

type BudgetEvent =
  | { t: 'budget'; remaining: number | undefined }
  | { t: 'revision'; n: number }
  | { t: 'command'; kind: CommandKind; reason: string }
  | { t: 'time'; ms: number };

const budgetEventArb: fc.Arbitrary<BudgetEvent> = fc.oneof(
  fc
    .option(fc.double({ min: -2, max: 1, noNaN: true }), { nil: undefined })
    .map((remaining) => ({ t: 'budget' as const, remaining })),
  fc.integer({ min: 1, max: 4 }).map((n) => ({ t: 'revision' as const, n })),
  fc.record({
    t: fc.constant('command' as const),
    kind: fc.constantFrom<CommandKind>('overrideBudget', 'abort', 'retry', 'promote', 'resume'),
    reason: fc.constantFrom('', 'hotfix'),
  }),
  fc.integer({ min: 0, max: 120_000 }).map((ms) => ({ t: 'time' as const, ms })),
);

describe('budget policy (properties)', () => {
  it('never gives a frozen revision traffic, never loses a command, and every weight stays valid', () => {
    fc.assert(
      fc.property(fc.array(budgetEventArb, { maxLength: 30 }), (events) => {
        const w = healthy(new BudgetWorld({ steps: [{ setWeight: 30 }, { pause: {} }] }));
        w.setBudget(1);
        const issued = new Map<CommandKind, string>();
        for (const e of events) {
          if (e.t === 'budget') w.setBudget(e.remaining);
          if (e.t === 'revision') w.newRevision(`rev${e.n}`);
          if (e.t === 'time') w.advance(e.ms);
          if (e.t === 'command') issued.set(e.kind, w.command(e.kind, { reason: e.reason }));
          w.settle();
          if (w.phase === 'BudgetFrozen') {
            expect(w.canaryWeight(), 'canary weight while frozen').to.equal(0);
            expect(w.target.replicas, 'candidate replicas while frozen').to.equal(0);
          }
        }
        for (const routes of w.written)
          for (const r of routes) {
            const weights = r.destinations.map((d) => d.weight);
            for (const x of weights)
              expect(Number.isInteger(x) && x >= 0 && x <= 100).to.equal(true);
            expect(weights.reduce((a, b) => a + b, 0)).to.equal(100);
          }
        const handled = w.rollout.status?.handledCommands ?? {};
        for (const [kind, id] of issued) expect(handled[kind], `${kind} ${id}`).to.equal(id);
      }),
      { numRuns: 300 },
    );
  });
});
