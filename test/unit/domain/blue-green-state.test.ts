import { expect } from 'chai';
import type { BlueGreenStrategy } from '../../../src/domain/types.js';
import { DRAIN_MS } from '../../../src/domain/rollout/lifecycle.js';
import { World } from '../../support/world.js';

const PRE = { templates: [{ templateName: 'pre' }] };
const POST = { templates: [{ templateName: 'post' }] };
const HEADER = { header: 'x-sluice-preview', exact: 'true' };

function released(bg: BlueGreenStrategy, opts: { legacy?: number; deadline?: number } = {}): World {
  const w = new World({
    steps: [],
    blueGreen: bg,
    legacyWeight: opts.legacy ?? 0,
    progressDeadlineSeconds: opts.deadline ?? 600,
  });
  w.settle();
  expect(w.phase).to.equal('Healthy');
  w.newRevision('rev2');
  return w;
}

function weights(w: World): number[][] {
  return w.written.map((r) => r[0]?.destinations.map((d) => d.weight) ?? []);
}

function reasons(w: World): string[] {
  return w.decisions.flatMap((d) => d.transitions.map((t) => t.reason));
}

function condition(w: World, type: string): { status: string; reason: string } | undefined {
  return w.rollout.status?.conditions?.find((c) => c.type === type);
}

function ignoredMessages(w: World): string[] {
  return w.decisions.flatMap((d) =>
    d.transitions.filter((t) => t.reason === 'CommandIgnored').map((t) => t.message),
  );
}

describe('blue-green state machine', () => {
  it('brings the preview up beside the stable version and waits for promote with all traffic on stable', () => {
    const w = released({});
    w.settle();
    expect(w.phase).to.equal('Paused');
    expect(w.rollout.status?.reason).to.equal('WaitingForPromotion');
    expect(w.rollout.status?.currentStepIndex).to.equal(1);
    expect(w.target.replicas).to.equal(3);
    expect(w.written).to.deep.equal([]);
    expect(condition(w, 'PromotionAllowed')?.status).to.equal('True');
  });

  it('switches in one write after promote, keeps the old version for scaleDownDelaySeconds, then moves traffic back to the updated primary', () => {
    const w = released({ scaleDownDelaySeconds: 600 });
    w.settle();
    w.command('promote');
    w.settle();
    expect(weights(w)).to.deep.equal([[0, 100]]);
    expect(w.phase).to.equal('Promoting');
    w.advance(599_000);
    w.settle();
    expect(w.primary?.revision, 'old version still running').to.equal('rev1');
    w.advance(2_000);
    w.settle();
    expect(w.primary?.revision).to.equal('rev2');
    expect(weights(w)).to.deep.equal([
      [0, 100],
      [100, 0],
    ]);
    expect(w.phase).to.equal('Healthy');
    expect(w.rollout.status?.stableRevision).to.equal('rev2');
    expect(w.target.replicas, 'still running while the mesh drains').to.be.above(0);
    w.advance(DRAIN_MS);
    w.settle();
    expect(w.target.replicas).to.equal(0);
    expect(reasons(w)).to.include.members(['PreviewReady', 'TrafficSwitched', 'Promoted']);
  });

  it('with scaleDownDelaySeconds 0 scales the old version down in the first reconcile after the switch', () => {
    const w = released({ scaleDownDelaySeconds: 0 });
    w.settle();
    w.command('promote');
    w.tick();
    expect(weights(w)).to.deep.equal([[0, 100]]);
    expect(w.primary?.revision).to.equal('rev1');
    w.tick();
    expect(w.primary?.revision).to.equal('rev2');
    expect(reasons(w)).to.include('OldVersionScaledDown');
  });

  it('moves traffic back to the primary only once it is fully available', () => {
    const w = released({ scaleDownDelaySeconds: 0 });
    w.settle();
    w.command('promote');
    w.tick();
    w.tick();
    if (w.primary) w.primary.available = false;
    w.advance(60_000);
    w.settle();
    expect(w.phase).to.equal('Promoting');
    expect(w.canaryWeight()).to.equal(100);
    expect(w.target.replicas).to.equal(3);
    if (w.primary) w.primary.available = true;
    w.settle();
    expect(w.phase).to.equal('Healthy');
    expect(w.canaryWeight()).to.equal(0);
  });

  it('keeps destinations it does not manage at the switch and after', () => {
    const w = released({ scaleDownDelaySeconds: 0 }, { legacy: 30 });
    w.settle();
    w.command('promote');
    w.settle();
    expect(weights(w)).to.deep.equal([
      [0, 70, 30],
      [70, 0, 30],
    ]);
  });

  it('scales the preview to previewReplicaCount, then to full size before the switch, and switches only when every replica is available', () => {
    const w = released({ previewReplicaCount: 1 });
    w.settle();
    expect(w.target.replicas).to.equal(1);
    expect(w.phase).to.equal('Paused');
    w.command('promote');
    w.target.healthy = false;
    w.tick();
    expect(w.target.replicas).to.equal(3);
    w.settle();
    expect(w.written).to.deep.equal([]);
    w.target.healthy = true;
    w.settle();
    expect(weights(w)[0]).to.deep.equal([0, 100]);
  });

  it('S22 never starts the analysis or moves traffic while the preview is not ready, refuses promote before success, then switches in one write', () => {
    const w = released({ prePromotionAnalysis: PRE }, { deadline: 3600 });
    w.target.healthy = false;
    for (let i = 0; i < 20; i++) {
      w.advance(60_000);
      w.tick();
      expect(w.canaryWeight()).to.equal(0);
    }
    expect(w.runs.size).to.equal(0);
    expect(w.phase).to.equal('Progressing');
    expect(condition(w, 'PromotionAllowed')).to.include({
      status: 'False',
      reason: 'PreviewNotReady',
    });
    w.command('promote');
    w.tick();
    expect(ignoredMessages(w).at(-1)).to.match(/preview is not ready/);
    w.target.healthy = true;
    w.settle();
    expect(w.runs.size).to.equal(1);
    expect(condition(w, 'PromotionAllowed')?.reason).to.equal('PrePromotionAnalysisRunning');
    w.command('promote');
    w.settle();
    expect(ignoredMessages(w).at(-1)).to.match(/pre-promotion analysis has not succeeded/);
    expect(w.written).to.deep.equal([]);
    w.finishRuns('Successful');
    w.settle();
    expect(w.phase).to.equal('Paused');
    expect(condition(w, 'PromotionAllowed')?.status).to.equal('True');
    w.command('promote');
    w.settle();
    expect(weights(w)).to.deep.equal([[0, 100]]);
  });

  it('promote fully while the pre-promotion analysis runs: the analysis is terminated, recorded as such, and traffic switches', () => {
    const w = released({ prePromotionAnalysis: PRE });
    w.settle();
    const [name] = [...w.runs.keys()];
    w.command('promoteFull');
    w.settle();
    expect(w.runs.get(name ?? '')?.phase).to.equal('Terminated');
    expect(w.actions.some((a) => a.kind === 'terminateAnalysis' && a.name === name)).to.equal(true);
    expect(weights(w)[0]).to.deep.equal([0, 100]);
  });

  it('a failed pre-promotion analysis: no switch, preview scaled down, reason recorded', () => {
    const w = released({ prePromotionAnalysis: PRE, previewHeader: HEADER });
    w.settle();
    expect(w.headerRoute).to.equal(true);
    w.finishRuns('Failed', 'success-rate 0.8 < 0.95');
    w.settle();
    expect(w.phase).to.equal('Aborted');
    expect(w.rollout.status?.reason).to.equal('AnalysisFailed');
    expect(w.rollout.status?.message).to.match(/pre-promotion.*0\.8/);
    expect(w.written).to.deep.equal([]);
    expect(w.target.replicas).to.equal(0);
    expect(w.headerRoute).to.equal(false);
  });

  it('a failed post-promotion analysis switches traffic back in one write to the old version, still running', () => {
    const w = released({ postPromotionAnalysis: POST, scaleDownDelaySeconds: 600 });
    w.settle();
    w.command('promote');
    w.settle();
    expect(w.runs.size).to.equal(1);
    w.advance(30_000);
    w.finishRuns('Failed', 'error rate 20%');
    w.tick();
    expect(weights(w)).to.deep.equal([
      [0, 100],
      [100, 0],
    ]);
    expect(w.phase).to.equal('Aborted');
    expect(w.primary?.revision).to.equal('rev1');
    expect(reasons(w)).to.include('SwitchedBack');
    expect(w.rollout.status?.message).to.match(/post-promotion.*error rate 20%/);
    w.settle();
    expect(w.target.replicas, 'still running while the mesh drains').to.be.above(0);
    w.advance(DRAIN_MS);
    w.settle();
    expect(w.target.replicas).to.equal(0);
  });

  it('waits for both the post-promotion analysis and the delay before scaling the old version down', () => {
    const w = released({ postPromotionAnalysis: POST, scaleDownDelaySeconds: 10 });
    w.settle();
    w.command('promote');
    w.settle();
    w.advance(60_000);
    w.settle();
    expect(w.primary?.revision).to.equal('rev1');
    w.finishRuns('Successful');
    w.settle();
    expect(w.primary?.revision).to.equal('rev2');
    expect(w.phase).to.equal('Healthy');
  });

  it('an inconclusive post-promotion analysis pauses; promote accepts it and the scale-down follows', () => {
    const w = released({ postPromotionAnalysis: POST, scaleDownDelaySeconds: 0 });
    w.settle();
    w.command('promote');
    w.settle();
    w.finishRuns('Inconclusive');
    w.settle();
    expect(w.phase).to.equal('Paused');
    expect(w.canaryWeight()).to.equal(100);
    w.command('promote');
    w.settle();
    expect(w.phase).to.equal('Healthy');
    expect(w.primary?.revision).to.equal('rev2');
  });

  it('switches automatically autoPromotionSeconds after the preview became ready, not before', () => {
    const w = released({ autoPromotionSeconds: 30 });
    w.settle();
    expect(w.phase).to.equal('Progressing');
    w.advance(29_000);
    w.settle();
    expect(w.written).to.deep.equal([]);
    w.advance(1_000);
    w.settle();
    expect(weights(w)[0]).to.deep.equal([0, 100]);
  });

  it('S19 a blue-green rollout paused waiting for promotion never times out and stays quiet', () => {
    const w = released({}, { deadline: 180 });
    w.settle();
    const before = w.decisions.length;
    for (let i = 0; i < 60; i++) {
      w.advance(60_000);
      w.tick();
    }
    expect(w.phase).to.equal('Paused');
    const later = w.decisions.slice(before);
    expect(later.every((d) => !d.statusChanged && d.actions.length === 0)).to.equal(true);
  });

  it('keeps the preview header route until the end and removes it on promotion', () => {
    const w = released({ previewHeader: HEADER, scaleDownDelaySeconds: 5 });
    w.settle();
    expect(w.headerRoute).to.equal(true);
    w.command('promote');
    w.settle();
    expect(w.headerRoute).to.equal(true);
    w.advance(6_000);
    w.settle();
    expect(w.phase).to.equal('Healthy');
    expect(w.headerRoute).to.equal(false);
  });

  it('a new revision after the switch sends traffic back at once and starts over', () => {
    const w = released({ scaleDownDelaySeconds: 600 });
    w.settle();
    w.command('promote');
    w.settle();
    w.newRevision('rev3');
    w.tick();
    expect(w.canaryWeight()).to.equal(0);
    expect(w.rollout.status?.canaryRevision).to.equal('rev3');
    expect(w.primary?.revision).to.equal('rev1');
  });

  it('an abort after the switch waits for an unavailable old version instead of routing to it', () => {
    const w = released({ scaleDownDelaySeconds: 600 });
    w.settle();
    w.command('promote');
    w.settle();
    if (w.primary) w.primary.available = false;
    w.command('abort');
    w.settle();
    expect(w.canaryWeight()).to.equal(100);
    expect(condition(w, 'Progressing')?.reason).to.equal('SwitchBackWaiting');
    if (w.primary) w.primary.available = true;
    w.settle();
    expect(w.phase).to.equal('Aborted');
    expect(w.canaryWeight()).to.equal(0);
  });

  describe('abort at every phase restores exactly the routes from before, header route included', () => {
    const cases: Array<[string, (w: World) => void]> = [
      ['preview not ready', (w) => (w.target.healthy = false)],
      ['pre-promotion analysis running', () => undefined],
      ['waiting for promotion', (w) => w.finishRuns('Successful')],
      [
        'inside the scale-down delay',
        (w) => {
          w.finishRuns('Successful');
          w.settle();
          w.command('promote');
        },
      ],
      [
        'post-promotion analysis running',
        (w) => {
          w.finishRuns('Successful');
          w.settle();
          w.command('promote');
          w.settle();
          w.advance(700_000);
        },
      ],
    ];
    for (const [name, setup] of cases) {
      it(`aborts ${name}`, () => {
        const w = released(
          {
            prePromotionAnalysis: PRE,
            postPromotionAnalysis: POST,
            previewHeader: HEADER,
            scaleDownDelaySeconds: 600,
          },
          { legacy: 30 },
        );
        const original = structuredClone(w.routes);
        w.settle();
        setup(w);
        w.settle();
        w.command('abort', { reason: 'operator' });
        w.tick();
        expect(w.phase).to.equal('Aborted');
        expect(w.routes).to.deep.equal(original);
        expect(w.headerRoute).to.equal(false);
        expect(w.primary?.revision).to.equal('rev1');
        w.settle();
        expect(w.target.replicas, 'still running while the mesh drains').to.be.above(0);
        w.advance(DRAIN_MS);
        w.settle();
        expect(w.target.replicas).to.equal(0);
        expect([...w.runs.values()].every((r) => r.phase !== 'Running')).to.equal(true);
      });
    }

    it('ignores an abort once the old version is scaled down', () => {
      const w = released({ scaleDownDelaySeconds: 0 });
      w.settle();
      w.command('promote');
      w.tick();
      w.tick();
      if (w.primary) w.primary.available = false;
      w.command('abort');
      w.tick();
      expect(w.phase).to.equal('Promoting');
      expect(ignoredMessages(w).at(-1)).to.match(/already scaled down/);
    });
  });
});
