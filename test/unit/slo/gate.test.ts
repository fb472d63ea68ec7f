import { expect } from 'chai';
import { decideBudgetGate } from '../../../src/domain/slo/index.js';

describe('budget gate', () => {
  it('lets a rollout start while budget remains', () => {
    const d = decideBudgetGate(0.42);
    expect(d).to.include({ allowed: true, reason: 'BudgetAvailable' });
    expect(d.message).to.contain('42%');
  });

  it('freezes new rollouts when the budget is spent', () => {
    for (const remaining of [0, -0.3]) {
      const d = decideBudgetGate(remaining);
      expect(d).to.include({ allowed: false, reason: 'BudgetExhausted' });
      expect(d.message).to.contain('override');
    }
  });

  it('freezes at a configured reserve', () => {
    expect(decideBudgetGate(0.1, { freezeBelow: 0.1 }).allowed).to.equal(false);
    expect(decideBudgetGate(0.11, { freezeBelow: 0.1 }).allowed).to.equal(true);
  });

  it('lets an operator override a freeze only with a reason, and says who and why', () => {
    const blank = decideBudgetGate(-1, {}, { reason: '  ', by: 'alice' });
    expect(blank.allowed).to.equal(false);
    const d = decideBudgetGate(-1, {}, { reason: 'security fix CVE-1', by: 'alice' });
    expect(d).to.include({ allowed: true, reason: 'BudgetOverridden' });
    expect(d.message).to.contain('alice').and.to.contain('security fix CVE-1');
  });

  it('follows the policy for an unknown budget', () => {
    expect(decideBudgetGate(undefined)).to.include({ allowed: true, reason: 'BudgetUnknown' });
    expect(decideBudgetGate(Number.NaN, { onUnknown: 'freeze' })).to.include({
      allowed: false,
      reason: 'BudgetUnknown',
    });
  });
});
