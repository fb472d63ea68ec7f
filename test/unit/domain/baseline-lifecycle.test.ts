import { expect } from 'chai';
import type { Observed } from '../../../src/domain/rollout/model.js';
import { World } from '../../support/world.js';

/** A World whose canary runs a baseline, and whose spec can be made invalid. */
class BaselineWorld extends World {
  problems: Observed['specProblems'] = [];

  constructor() {
    super({ steps: [{ setWeight: 20 }, { pause: {} }] });
    const canary = this.rollout.spec.strategy.canary;
    if (canary) canary.baseline = { enabled: true };
  }

  override observe(): Observed {
    return { ...super.observe(), specProblems: this.problems };
  }

  baselineActions(): string[] {
    return this.actions
      .filter((a) => a.kind === 'ensureBaseline' || a.kind === 'removeBaseline')
      .map((a) => a.kind);
  }
}

function paused(): BaselineWorld {
  const w = new BaselineWorld();
  w.settle();
  w.newRevision('rev2');
  w.settle();
  expect(w.phase).to.equal('Paused');
  expect(w.baselineActions()).to.include('ensureBaseline');
  expect(w.rollout.status?.baselineActive).to.equal(true);
  w.actions = [];
  return w;
}

describe('baseline lifecycle', () => {
  it('removes the baseline when the option is turned off in the middle of a rollout', () => {
    const w = paused();
    const canary = w.rollout.spec.strategy.canary;
    if (canary) canary.baseline = { enabled: false };
    w.settle();
    expect(w.baselineActions()).to.deep.equal(['removeBaseline']);
    expect(w.rollout.status?.baselineActive).to.equal(undefined);
  });

  it('keeps the baseline while an invalid spec holds the weights, and removes it when the invalid spec aborts the rollout', () => {
    const w = paused();
    w.problems = [{ field: 'spec.analysis.interval', message: 'bad' }];
    w.settle();
    expect(w.phase).to.equal('Invalid');
    expect(w.baselineActions()).to.deep.equal([]);
    w.command('abort');
    w.settle();
    expect(w.baselineActions()).to.deep.equal(['removeBaseline']);
    w.problems = [];
    w.settle();
    expect(w.phase).to.equal('Aborted');
    expect(w.baselineActions()).to.deep.equal(['removeBaseline']);
  });

  it('removes it once on promotion and once on abort, never again afterwards', () => {
    const w = paused();
    w.command('promote', { step: 1 });
    w.settle();
    expect(w.phase).to.equal('Healthy');
    const kinds = w.baselineActions();
    expect(kinds.filter((k) => k === 'removeBaseline')).to.have.length(1);
    expect(kinds.at(-1)).to.equal('removeBaseline');
    const again = paused();
    again.command('abort');
    again.settle();
    again.advance(60_000);
    again.settle();
    expect(again.baselineActions()).to.deep.equal(['removeBaseline']);
  });
});
