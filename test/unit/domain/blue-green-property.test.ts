import { expect } from 'chai';
import fc from 'fast-check';
import type { AnalysisPhase, BlueGreenStrategy, CommandKind } from '../../../src/domain/types.js';
import { World } from '../../support/world.js';

type Event =
  | { t: 'time'; ms: number }
  | { t: 'revision'; n: number }
  | { t: 'command'; kind: CommandKind; step?: number }
  | { t: 'run'; phase: AnalysisPhase }
  | { t: 'health'; healthy: boolean }
  | { t: 'primary'; available: boolean };

const strategyArb: fc.Arbitrary<BlueGreenStrategy> = fc.record(
  {
    prePromotionAnalysis: fc.constant({ templates: [{ templateName: 'pre' }] }),
    postPromotionAnalysis: fc.constant({ templates: [{ templateName: 'post' }] }),
    autoPromotionSeconds: fc.constantFrom(0, 30, 600),
    scaleDownDelaySeconds: fc.constantFrom(0, 30, 600),
    previewReplicaCount: fc.constantFrom(1, 2),
    previewHeader: fc.constant({ header: 'x-sluice-preview', exact: 'true' }),
  },
  { requiredKeys: [] },
);

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 400_000 }).map((ms) => ({ t: 'time', ms })) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 4 }).map((n) => ({ t: 'revision', n })) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('command' as const),
      kind: fc.constantFrom<CommandKind>(
        'promote',
        'promoteFull',
        'abort',
        'pause',
        'resume',
        'retry',
      ),
      step: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<AnalysisPhase>('Successful', 'Failed', 'Inconclusive', 'Error')
      .map((phase) => ({ t: 'run', phase })),
  },
  { weight: 1, arbitrary: fc.boolean().map((healthy) => ({ t: 'health', healthy })) },
  { weight: 1, arbitrary: fc.boolean().map((available) => ({ t: 'primary', available })) },
) as fc.Arbitrary<Event>;

function apply(w: World, e: Event, issued: Map<CommandKind, string>): void {
  switch (e.t) {
    case 'time':
      return w.advance(e.ms);
    case 'revision':
      return w.newRevision(`rev${e.n}`);
    case 'command':
      issued.set(e.kind, w.command(e.kind, e.step === undefined ? {} : { step: e.step }));
      return;
    case 'run':
      return w.finishRuns(e.phase);
    case 'health':
      w.target.healthy = e.healthy;
      return;
    case 'primary':
      if (w.primary) w.primary.available = e.available;
      return;
  }
}

/** One tick, checking that traffic only ever moves toward a version that is available. */
function checkedTick(w: World, forcedByCommand: boolean): void {
  const before = w.canaryWeight();
  const candidateUp = w.target.healthy && w.target.replicas > 0;
  const primaryUp = w.primary?.available ?? false;
  const passed = [...w.runs.values()].some((r) => r.phase === 'Successful');
  const written = w.written.length;
  w.tick();
  if (w.written.length === written) return;
  const after = w.canaryWeight();
  if (after > before) {
    expect(candidateUp, 'switched to a preview that is not available').to.equal(true);
    const pre = w.rollout.spec.strategy.blueGreen?.prePromotionAnalysis;
    const forced = forcedByCommand || w.actions.some((a) => a.kind === 'terminateAnalysis');
    if (pre) expect(passed || forced, 'switched before the analysis passed').to.equal(true);
  }
  if (after < before && w.rollout.status?.promotionCommitted === undefined)
    expect(primaryUp, 'switched back to a primary that is not available').to.equal(true);
}

describe('blue-green state machine (properties)', () => {
  it('writes only valid weights, moves traffic only toward an available version, and handles every command', () => {
    fc.assert(
      fc.property(
        strategyArb,
        fc.constantFrom(0, 30),
        fc.array(eventArb, { maxLength: 40 }),
        (bg, legacy, events) => {
          const w = new World({ steps: [], blueGreen: bg, legacyWeight: legacy });
          w.settle();
          const issued = new Map<CommandKind, string>();
          for (const e of events) {
            apply(w, e, issued);
            checkedTick(w, issued.has('promoteFull'));
          }
          w.target.healthy = true;
          if (w.primary) w.primary.available = true;
          w.defaultRunPhase = 'Successful';
          w.finishRuns('Successful');
          for (let i = 0; i < 30; i++) {
            w.advance(60_000);
            for (let j = 0; j < 10; j++) checkedTick(w, issued.has('promoteFull'));
          }
          for (const routes of w.written) {
            for (const r of routes) {
              const ws = r.destinations.map((d) => d.weight);
              for (const x of ws) expect(Number.isInteger(x) && x >= 0 && x <= 100).to.equal(true);
              expect(ws.reduce((a, b) => a + b, 0)).to.equal(100);
              if (legacy > 0)
                expect(r.destinations.find((d) => d.host === 'legacy')?.weight).to.equal(30);
            }
          }
          const handled = w.rollout.status?.handledCommands ?? {};
          for (const [kind, id] of issued) expect(handled[kind], `${kind} ${id}`).to.equal(id);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ends every rollout left alone as Healthy or Aborted, all traffic on the primary, no header route', () => {
    fc.assert(
      fc.property(
        strategyArb,
        fc.constantFrom<AnalysisPhase>('Successful', 'Failed'),
        (bg, outcome) => {
          const w = new World({ steps: [], blueGreen: bg });
          w.settle();
          w.newRevision('rev2');
          w.defaultRunPhase = outcome;
          for (let i = 0; i < 30; i++) {
            w.advance(60_000);
            w.settle();
            if (w.phase === 'Paused') w.command('promote');
          }
          expect(['Healthy', 'Aborted']).to.include(w.phase);
          expect(w.canaryWeight()).to.equal(0);
          expect(w.headerRoute).to.equal(false);
          expect(w.target.replicas).to.equal(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
