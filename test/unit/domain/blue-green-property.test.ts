import { expect } from 'chai';
import fc from 'fast-check';
import type { AnalysisPhase, BlueGreenStrategy, CommandKind } from '../../../src/domain/types.js';
import { World } from '../../support/world.js';
import {
  applyWorldEvent,
  expectCommandsHandled,
  expectValidWrites,
  leaveNewRevisionAlone,
  runHealthyToEnd,
  worldEventArbitraries,
  type WorldEvent,
} from '../../support/world-properties.js';

type Event = WorldEvent | { t: 'primary'; available: boolean };

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

const eventArb: fc.Arbitrary<Event> = fc.oneof<Array<fc.WeightedArbitrary<Event>>>(
  ...worldEventArbitraries(2),
  { weight: 1, arbitrary: fc.boolean().map((available) => ({ t: 'primary', available })) },
);

function apply(w: World, e: Event, issued: Map<CommandKind, string>): void {
  if (e.t !== 'primary') return applyWorldEvent(w, e, issued);
  if (w.primary) w.primary.available = e.available;
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
          runHealthyToEnd(w, () => {
            for (let j = 0; j < 10; j++) checkedTick(w, issued.has('promoteFull'));
          });
          expectValidWrites(w, legacy);
          expectCommandsHandled(w, issued);
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
          leaveNewRevisionAlone(w, outcome, 30);
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
