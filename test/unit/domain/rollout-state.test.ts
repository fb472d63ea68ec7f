import { expect } from 'chai';
import { DRAIN_MS } from '../../../src/domain/rollout/lifecycle.js';
import { World } from '../../support/world.js';

function initialized(w: World): World {
  w.settle();
  expect(w.phase).to.equal('Healthy');
  return w;
}

describe('rollout state machine', () => {
  it('initializes the primary, then reports Healthy with all traffic on stable', () => {
    const w = initialized(new World({ steps: [{ setWeight: 20 }] }));
    expect(w.primary?.revision).to.equal('rev1');
    expect(w.target.replicas).to.equal(0);
    expect(w.written).to.have.length(0);
  });

  it('walks the weights of the steps and promotes at the end', () => {
    const w = initialized(
      new World({ steps: [{ setWeight: 20 }, { setWeight: 50 }, { setWeight: 100 }] }),
    );
    w.newRevision('rev2');
    w.settle();
    expect(w.written.map((r) => r[0]?.destinations.map((d) => d.weight))).to.deep.equal([
      [80, 20],
      [50, 50],
      [0, 100],
      [100, 0],
    ]);
    expect(w.phase).to.equal('Healthy');
    expect(w.primary?.revision).to.equal('rev2');
    expect(w.rollout.status?.stableRevision).to.equal('rev2');
    expect(w.target.replicas, 'still running while the mesh drains').to.be.above(0);
    w.advance(DRAIN_MS);
    w.settle();
    expect(w.target.replicas).to.equal(0);
  });

  it('S09 keeps a destination it does not manage and caps the canary at the managed share', () => {
    const w = initialized(
      new World({
        steps: [{ setWeight: 20 }, { setWeight: 50 }, { setWeight: 100 }],
        legacyWeight: 30,
      }),
    );
    w.newRevision('rev2');
    w.settle();
    const triples = w.written.map((r) => r[0]?.destinations.map((d) => d.weight));
    expect(triples).to.deep.equal([
      [50, 20, 30],
      [20, 50, 30],
      [0, 70, 30],
      [70, 0, 30],
    ]);
    for (const routes of w.written) {
      expect(routes[0]?.destinations[2]).to.deep.equal({
        host: 'legacy',
        subset: 'v0',
        port: 8080,
        weight: 30,
      });
    }
    expect(
      w.decisions.some((d) => d.transitions.some((t) => t.message.includes('promoted'))),
    ).to.equal(true);
  });

  it('waits at a pause without duration until promoted, and a promote bound to another step is ignored', () => {
    const w = initialized(
      new World({ steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }] }),
    );
    w.newRevision('rev2');
    w.settle();
    expect(w.phase).to.equal('Paused');
    expect(w.canaryWeight()).to.equal(10);
    w.command('promote', { step: 0 });
    w.settle();
    expect(w.phase).to.equal('Paused');
    w.command('promote', { step: 1 });
    w.tick();
    expect(w.rollout.status?.currentStepIndex).to.equal(2);
    w.settle();
    expect(w.phase).to.equal('Healthy');
  });

  it('ends a timed pause on time, not counting time spent paused by command', () => {
    const w = initialized(
      new World({ steps: [{ setWeight: 10 }, { pause: { duration: '10m' } }, { setWeight: 50 }] }),
    );
    w.newRevision('rev2');
    w.settle();
    w.advance(4 * 60_000);
    w.command('pause');
    w.settle();
    expect(w.phase).to.equal('Paused');
    w.advance(30 * 60_000);
    w.command('resume');
    w.settle();
    expect(w.phase).to.equal('Progressing');
    w.advance(5 * 60_000);
    w.settle();
    expect(w.rollout.status?.currentStepIndex).to.equal(1);
    w.advance(60_000 + 1);
    w.settle();
    expect(w.rollout.status?.currentStepIndex).to.be.greaterThan(1);
  });

  it('rolls back when a step analysis fails: original weights, candidate scaled down, reason kept', () => {
    const w = initialized(
      new World({
        steps: [
          { setWeight: 20 },
          { analysis: { templates: [{ templateName: 'sr' }] } },
          { setWeight: 50 },
        ],
      }),
    );
    w.newRevision('rev2');
    w.settle();
    expect(w.canaryWeight()).to.equal(20);
    w.finishRuns('Failed', 'success-rate = 0.78, needs result[0] >= 0.95');
    w.settle();
    expect(w.phase).to.equal('Aborted');
    expect(w.canaryWeight()).to.equal(0);
    expect(w.target.replicas).to.equal(0);
    expect(w.rollout.status?.message).to.contain('0.78');
    expect(w.rollout.status?.conditions?.find((c) => c.type === 'Aborted')?.reason).to.equal(
      'AnalysisFailed',
    );
  });

  it('S06 holds on an inconclusive background analysis: paused, weight kept, the timed pause stops counting', () => {
    const w = initialized(
      new World({
        steps: [{ setWeight: 20 }, { pause: { duration: '10m' } }, { setWeight: 50 }],
        background: true,
      }),
    );
    w.newRevision('rev2');
    w.settle();
    w.advance(60_000);
    w.finishRuns('Inconclusive', 'success-rate = 0.97');
    w.settle();
    expect(w.phase).to.equal('Paused');
    expect(w.rollout.status?.reason).to.equal('AnalysisInconclusive');
    const runsDuringHold = w.runs.size;
    w.advance(20 * 60_000);
    w.settle();
    expect(w.phase).to.equal('Paused');
    expect(w.canaryWeight()).to.equal(20);
    expect(w.runs.size).to.equal(runsDuringHold);
    w.command('promote');
    w.settle();
    expect(w.written.map((r) => r[0]?.destinations[1]?.weight)).to.include(50);
    expect(w.phase).to.equal('Healthy');
  });

  it('S06 an abort during the inconclusive hold reverts to 100/0', () => {
    const w = initialized(
      new World({ steps: [{ setWeight: 20 }, { pause: { duration: '10m' } }], background: true }),
    );
    w.newRevision('rev2');
    w.settle();
    w.finishRuns('Inconclusive');
    w.settle();
    w.command('abort', { reason: 'inconclusive' });
    w.settle();
    expect(w.phase).to.equal('Aborted');
    expect(w.canaryWeight()).to.equal(0);
  });

  it('S14 abort wins over a pending full promotion while the candidate is not ready', () => {
    const w = initialized(new World({ steps: [{ setWeight: 20 }, { pause: {} }] }));
    w.newRevision('rev2');
    w.settle();
    w.target.healthy = false;
    w.command('promoteFull');
    w.settle();
    expect(w.primary?.revision).to.equal('rev1');
    w.command('abort');
    w.tick();
    expect(w.phase).to.equal('Aborted');
    expect(w.canaryWeight()).to.equal(0);
    expect(w.primary?.revision).to.equal('rev1');
    expect(w.target.replicas).to.equal(0);
  });

  it('S16 an abort with nothing in progress changes no workload and no route', () => {
    const w = initialized(new World({ steps: [{ setWeight: 20 }] }));
    w.newRevision('rev2');
    w.settle();
    const written = w.written.length;
    const primaryReplicas = w.primary?.replicas;
    w.command('abort');
    w.settle();
    expect(w.phase).to.equal('Healthy');
    expect(w.written.length).to.equal(written);
    expect(w.primary?.replicas).to.equal(primaryReplicas);
    const again = w.tick();
    expect(again.actions).to.deep.equal([]);
    expect(again.statusChanged).to.equal(false);
  });

  it('S19 fires the progress deadline when the candidate never becomes available, never when idle', () => {
    const idle = initialized(
      new World({ steps: [{ setWeight: 20 }], progressDeadlineSeconds: 180 }),
    );
    idle.advance(2 * 3600_000);
    idle.settle();
    expect(idle.phase).to.equal('Healthy');

    const w = initialized(new World({ steps: [{ setWeight: 20 }], progressDeadlineSeconds: 180 }));
    w.target.healthy = false;
    w.newRevision('rev2');
    w.settle();
    w.advance(179_000);
    w.settle();
    expect(w.phase).to.equal('Progressing');
    expect(w.canaryWeight()).to.equal(0);
    w.advance(1_000);
    w.settle();
    expect(w.phase).to.equal('Aborted');
    expect(w.rollout.status?.reason).to.equal('ProgressDeadlineExceeded');
    const warnings = w.decisions
      .flatMap((d) => d.transitions)
      .filter((t) => t.reason === 'ProgressDeadlineExceeded');
    expect(warnings).to.have.length(1);
  });

  it('S12 puts hand-edited weights back while paused, in a write of weights only', () => {
    const w = initialized(new World({ steps: [{ setWeight: 30 }, { pause: {} }] }));
    w.newRevision('rev2');
    w.settle();
    w.routes = [
      {
        route: 'primary',
        destinations: [
          { host: 'shop-primary', weight: 50 },
          { host: 'shop-canary', weight: 50 },
        ],
      },
    ];
    const d = w.tick();
    expect(w.routes[0]?.destinations.map((d) => d.weight)).to.deep.equal([70, 30]);
    const warned = d.transitions.find((t) => t.reason === 'WeightsRestored');
    expect(warned?.type).to.equal('Warning');
    expect(warned?.message).to.contain('shop-canary=50');
    expect(warned?.message).to.contain('shop-canary=30');
    // Once they are back, nothing more is said.
    expect(w.tick().transitions).to.have.length(0);
  });

  it('puts hand-edited weights back after an abort, and says so with an event', () => {
    const w = initialized(new World({ steps: [{ setWeight: 30 }, { pause: {} }] }));
    w.newRevision('rev2');
    w.settle();
    w.command('abort');
    w.settle();
    expect(w.phase).to.equal('Aborted');
    w.routes = [
      {
        route: 'primary',
        destinations: [
          { host: 'shop-primary', weight: 90 },
          { host: 'shop-canary', weight: 10 },
        ],
      },
    ];
    const d = w.tick();
    expect(w.canaryWeight()).to.equal(0);
    expect(d.transitions.map((t) => t.reason)).to.include('WeightsRestored');
    expect(d.statusChanged).to.equal(false);
  });

  it('retries an aborted rollout from step 0 on request', () => {
    const w = initialized(new World({ steps: [{ setWeight: 20 }, { pause: {} }] }));
    w.newRevision('rev2');
    w.settle();
    w.command('abort');
    w.settle();
    expect(w.phase).to.equal('Aborted');
    w.command('promote');
    w.settle();
    expect(w.phase).to.equal('Aborted');
    w.command('retry');
    w.settle();
    expect(w.phase).to.equal('Paused');
    expect(w.canaryWeight()).to.equal(20);
  });

  it('starts over when a newer revision arrives mid-rollout', () => {
    const w = initialized(new World({ steps: [{ setWeight: 20 }, { pause: {} }] }));
    w.newRevision('rev2');
    w.settle();
    w.newRevision('rev3');
    w.settle();
    expect(w.rollout.status?.canaryRevision).to.equal('rev3');
    expect(w.rollout.status?.currentStepIndex).to.equal(1);
    expect(w.canaryWeight()).to.equal(20);
  });

  it('S34 moves a following flag after each route write, never above the canary weight, and restores it on abort', () => {
    const w = new World({ steps: [{ setWeight: 10 }, { setWeight: 25 }, { pause: {} }] });
    w.rollout.spec.featureFlags = [{ name: 'checkout-v2' }];
    w.settle();
    w.newRevision('rev2');
    w.settle();
    expect(w.flagLog.map((f) => f.percent)).to.deep.equal([10, 25]);
    for (const f of w.flagLog) expect(f.percent).to.be.at.most(f.canary);
    w.command('abort');
    w.settle();
    expect(w.phase).to.equal('Aborted');
    expect(w.flags.get('checkout-v2')).to.equal(0);
    expect(w.rollout.status?.flagsRestorePending).to.equal(undefined);
    const restoreAt = w.actions.findIndex((a) => a.kind === 'restoreFlags');
    const routesBackAt = w.actions.findIndex(
      (a, i) => a.kind === 'writeRoutes' && i > 0 && a.routes[0]?.destinations[1]?.weight === 0,
    );
    expect(routesBackAt).to.be.greaterThan(-1);
    expect(restoreAt).to.be.greaterThan(routesBackAt);
  });

  it('sets the final flag state on promotion', () => {
    const w = new World({ steps: [{ setWeight: 50 }] });
    w.rollout.spec.featureFlags = [{ name: 'checkout-v2', finalPercent: 100 }];
    w.settle();
    w.newRevision('rev2');
    w.settle();
    expect(w.phase).to.equal('Healthy');
    expect(w.flags.get('checkout-v2')).to.equal(100);
  });

  it('restores the weights from before the first rollout when a superseding revision is aborted', () => {
    const w = initialized(new World({ steps: [{ setWeight: 20 }, { pause: {} }] }));
    w.newRevision('rev2');
    w.settle();
    expect(w.canaryWeight()).to.equal(20);
    w.newRevision('rev3');
    w.settle();
    expect(w.rollout.status?.canaryRevision).to.equal('rev3');
    w.command('abort');
    w.settle();
    expect(w.phase).to.equal('Aborted');
    expect(w.canaryWeight()).to.equal(0);
    expect(w.rollout.status?.originalRoutes?.[0]?.destinations.map((x) => x.weight)).to.deep.equal([
      100, 0,
    ]);
    w.command('retry');
    w.settle();
    w.command('abort');
    w.settle();
    expect(w.canaryWeight()).to.equal(0);
  });

  it('starts fresh analysis runs on retry instead of reusing the failed ones', () => {
    const w = initialized(
      new World({
        steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'sr' }] } }],
      }),
    );
    w.newRevision('rev2');
    w.settle();
    const first = w.rollout.status?.analysisRuns?.step;
    w.finishRuns('Failed');
    w.settle();
    expect(w.phase).to.equal('Aborted');
    w.command('retry');
    w.settle();
    const second = w.rollout.status?.analysisRuns?.step;
    expect(second).to.be.a('string');
    expect(second).to.not.equal(first);
    expect(w.phase).to.equal('Progressing');
  });

  it('obeys an abort while the spec is invalid, and sends traffic back when the candidate is gone', () => {
    const w = initialized(new World({ steps: [{ setWeight: 20 }, { pause: {} }] }));
    w.newRevision('rev2');
    w.settle();
    const invalid = (): void => {
      const obs = w.observe.bind(w);
      w.observe = () => ({
        ...obs(),
        specProblems: [{ field: 'spec.strategy.canary.steps[1]', message: 'bad' }],
      });
    };
    invalid();
    w.settle();
    expect(w.phase).to.equal('Invalid');
    expect(w.canaryWeight()).to.equal(20);
    w.command('abort', { reason: 'stop it' });
    w.settle();
    expect(w.phase).to.equal('Invalid');
    expect(w.canaryWeight()).to.equal(0);
    expect(w.target.replicas).to.equal(0);
    expect(w.rollout.status?.invalidFrom).to.equal('Aborted');
    expect(w.rollout.status?.handledCommands?.abort).to.be.a('string');

    const v = initialized(new World({ steps: [{ setWeight: 20 }, { pause: {} }] }));
    v.newRevision('rev2');
    v.settle();
    const obs2 = v.observe.bind(v);
    v.observe = () => ({ ...obs2(), target: undefined });
    v.settle();
    expect(v.phase).to.equal('Invalid');
    expect(v.canaryWeight()).to.equal(0);
  });
});
