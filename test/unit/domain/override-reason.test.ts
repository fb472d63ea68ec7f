import { expect } from 'chai';
import type { BudgetObservation, Observed } from '../../../src/domain/rollout/model.js';
import { World } from '../../support/world.js';

// Fresh-user finding (F2): blank-looking characters that Unicode files under "symbol" or
// "letter" (U+2800 BRAILLE PATTERN BLANK is So, U+3164 HANGUL FILLER is Lo) pass the
// "visible text" check, so an override is recorded and audited with a reason nobody can read.

class FrozenWorld extends World {
  budget: BudgetObservation | undefined;

  constructor() {
    super({ steps: [{ setWeight: 20 }, { pause: {} }] });
    this.rollout.spec.budgetPolicy = { slo: 'shop-availability' };
  }

  override observe(): Observed {
    return { ...super.observe(), budget: this.budget };
  }
}

function frozen(): FrozenWorld {
  const w = new FrozenWorld();
  w.settle();
  w.budget = {
    slo: 'shop-availability',
    found: true,
    remaining: -1,
    evaluatedAt: new Date(w.now - 60_000).toISOString(),
  };
  w.newRevision('rev2');
  w.settle();
  expect(w.phase).to.equal('BudgetFrozen');
  return w;
}

describe('budget override reason ', () => {
  for (const [name, reason] of [
    ['U+2800 braille pattern blank', '\u2800\u2800'],
    ['U+3164 hangul filler', '\u3164'],
    ['U+115F hangul choseong filler', '\u115f'],
  ] as const) {
    it(`ignores an override whose reason is only ${name}`, () => {
      const w = frozen();
      w.command('overrideBudget', { reason });
      w.settle();
      expect(w.phase).to.equal('BudgetFrozen');
      expect(w.rollout.status?.budget?.override).to.equal(undefined);
    });
  }
});
