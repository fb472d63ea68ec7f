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
