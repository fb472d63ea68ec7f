import { expect } from 'chai';
import fc from 'fast-check';
import type { AnalysisPhase, CanaryStep, CommandKind } from '../../../src/domain/types.js';
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

type Event = WorldEvent | { t: 'edit'; canary: number } | { t: 'restart' };

const stepArb: fc.Arbitrary<CanaryStep> = fc.oneof(
  fc.integer({ min: 0, max: 100 }).map((w) => ({ setWeight: w })),
  fc.constantFrom<CanaryStep>(
    { pause: {} },
    { pause: { duration: '30s' } },
    { pause: { duration: '5m' } },
  ),
  fc.constant<CanaryStep>({ analysis: { templates: [{ templateName: 'sr' }] } }),
  fc.constant<CanaryStep>({ setHeaderRoute: { match: [{ header: 'x-canary', exact: '1' }] } }),
);

const eventArb: fc.Arbitrary<Event> = fc.oneof<Array<fc.WeightedArbitrary<Event>>>(
  ...worldEventArbitraries(5),
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 70 }).map((canary) => ({ t: 'edit' as const, canary })),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'restart' as const }) },
);

/** An operator's edit of the canary weight in the VirtualService, legacy share kept. */
function editCanary(w: World, canary: number, legacy: number): void {
  w.routes = w.routes.map((r) => ({
    ...r,
    destinations: r.destinations.map((d) =>
      d.host === 'shop-canary'
        ? { ...d, weight: canary }
        : d.host === 'shop-primary'
          ? { ...d, weight: 100 - legacy - canary }
          : d,
    ),
  }));
}

describe('rollout state machine (properties)', () => {
  it('never writes an invalid weight and never loses a command, whatever the events', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.constantFrom(0, 30),
        fc.array(eventArb, { maxLength: 40 }),
        (steps, background, legacy, events) => {
          const w = new World({
            steps,
            background,
            legacyWeight: legacy,
            progressDeadlineSeconds: 600,
          });
          w.settle();
          const issued = new Map<CommandKind, string>();
          for (const e of events) {
            if (e.t === 'edit') editCanary(w, e.canary, legacy);
            else if (e.t !== 'restart') applyWorldEvent(w, e, issued);
            w.tick();
          }
          runHealthyToEnd(w, () => w.settle());
          expectValidWrites(w, legacy);
          expectCommandsHandled(w, issued);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ends every rollout that is left alone as Healthy or Aborted, with 100% on one side', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { minLength: 1, maxLength: 6 }),
        fc.constantFrom<AnalysisPhase>('Successful', 'Failed'),
        (steps, outcome) => {
          const w = new World({ steps });
          // Long enough for six 5-minute pauses and the promotion.
          leaveNewRevisionAlone(w, outcome, 40);
          expect(['Healthy', 'Aborted']).to.include(w.phase);
          expect(w.canaryWeight()).to.equal(0);
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 200) },
    );
  });
});
