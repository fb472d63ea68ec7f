import { expect } from 'chai';
import { World } from '../../support/world.js';

// Fresh-user finding (F2): aborting a rollout that waits at a pause step leaves the condition
// Paused=True PausedByStep on the Aborted rollout, and a retry carries it into Progressing,
// so `kubectl wait --for=condition=Paused` and `sluice get` say "paused" when it is not.

function pausedCondition(w: World): { status: string; reason: string } | undefined {
  return w.rollout.status?.conditions?.find((c) => c.type === 'Paused');
}

function pausedAtStep(): World {
  const w = new World({ steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }] });
  w.settle();
  w.newRevision('rev2');
  w.settle();
  expect(w.phase).to.equal('Paused');
  expect(pausedCondition(w)?.status).to.equal('True');
  return w;
}

describe('Paused condition after abort and retry ', () => {
  it('does not report Paused=True on a rollout aborted while paused at a step', () => {
    const w = pausedAtStep();
    w.command('abort', { reason: 'f2' });
    w.settle();
    expect(w.phase).to.equal('Aborted');
    expect(pausedCondition(w)?.status ?? 'False').to.equal('False');
  });

  it('does not report Paused=True once a retry has the rollout Progressing again', () => {
    const w = pausedAtStep();
    w.command('abort', { reason: 'f2' });
    w.settle();
    w.command('retry');
    w.tick();
    expect(w.phase).to.equal('Progressing');
    expect(pausedCondition(w)?.status ?? 'False').to.equal('False');
  });
});

describe('a Healthy status after the rollout', () => {
  it('says every step is done after a full promotion that skipped some', () => {
    const w = new World({ steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }] });
    w.settle();
    w.newRevision('rev2');
    w.settle();
    w.command('promoteFull');
    w.settle();
    expect(w.phase).to.equal('Healthy');
    expect(w.rollout.status?.currentStepIndex).to.equal(3);
    expect(w.rollout.status?.canaryRevision).to.equal('rev2');
  });

  it('names no candidate once the target went back to the stable revision', () => {
    const w = pausedAtStep();
    w.newRevision('rev1');
    w.settle();
    expect(w.phase).to.equal('Healthy');
    expect(w.rollout.status?.canaryRevision).to.equal(undefined);
    expect(w.rollout.status?.currentStepIndex).to.equal(undefined);
  });
});

describe('resume at a pause step', () => {
  it('is ignored with a reason saying promote ends the step; the rollout stays paused there', () => {
    const w = pausedAtStep();
    w.command('resume');
    const d = w.tick();
    expect(w.phase).to.equal('Paused');
    expect(d.transitions.map((t) => t.message).join(' ')).to.contain('promote to go on');
    expect(d.transitions.map((t) => t.reason)).to.not.include('Resumed');
  });
});

describe('an analysis step edited while its run is going', () => {
  it('terminates the old run and starts one for the new analysis instead of letting the old one decide', () => {
    const w = new World({
      steps: [
        { setWeight: 20 },
        { analysis: { templates: [{ templateName: 'long' }] } },
        { pause: {} },
      ],
    });
    w.settle();
    w.newRevision('rev2');
    w.settle();
    const first = w.rollout.status?.analysisRuns?.step;
    expect(first).to.be.a('string');
    const canary = w.rollout.spec.strategy.canary;
    if (canary) canary.steps[1] = { analysis: { templates: [{ templateName: 'fails' }] } };
    w.actions = [];
    w.tick();
    const second = w.rollout.status?.analysisRuns?.step;
    expect(second).to.not.equal(first);
    expect(w.actions).to.deep.include({
      kind: 'terminateAnalysis',
      name: first,
      message: 'the step analysis changed',
    });
    w.settle();
    expect(w.actions.some((a) => a.kind === 'startAnalysis' && a.name === second)).to.equal(true);
    w.finishRuns('Failed', 'the new analysis fails');
    w.settle();
    expect(w.phase).to.equal('Aborted');
  });
});

describe('the Aborted phase with feature flags', () => {
  it('keeps the abort reason as the phase message after the flags are restored', () => {
    const w = new World({ steps: [{ setWeight: 20 }, { pause: {} }] });
    w.rollout.spec.featureFlags = [{ name: 'new-checkout' }];
    w.settle();
    w.newRevision('rev2');
    w.settle();
    w.command('abort', { reason: 'p99 too high' });
    w.settle();
    expect(w.phase).to.equal('Aborted');
    expect(w.rollout.status?.message).to.contain('p99 too high');
    expect(w.rollout.status?.history?.some((h) => h.event === 'FlagSet')).to.equal(true);
  });
});
