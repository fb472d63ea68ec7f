import { expect } from 'chai';
import fc from 'fast-check';
import type { AnalysisPhase, CanaryStep, CommandKind } from '../../../src/domain/types.js';
import { World } from '../../support/world.js';

type Event =
  | { t: 'time'; ms: number }
  | { t: 'revision'; n: number }
  | { t: 'command'; kind: CommandKind; step?: number }
  | { t: 'run'; phase: AnalysisPhase }
  | { t: 'health'; healthy: boolean }
  | { t: 'edit'; canary: number }
  | { t: 'restart' };

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

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.integer({ min: 0, max: 400_000 }).map((ms) => ({ t: 'time' as const, ms })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 2, max: 4 }).map((n) => ({ t: 'revision' as const, n })),
  },
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
      step: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<AnalysisPhase>('Successful', 'Failed', 'Inconclusive', 'Error')
      .map((phase) => ({ t: 'run' as const, phase })),
  },
  { weight: 1, arbitrary: fc.boolean().map((healthy) => ({ t: 'health' as const, healthy })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 70 }).map((canary) => ({ t: 'edit' as const, canary })),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'restart' as const }) },
);

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
            switch (e.t) {
              case 'time':
                w.advance(e.ms);
                break;
              case 'revision':
                w.newRevision(`rev${e.n}`);
                break;
              case 'command':
                issued.set(e.kind, w.command(e.kind, e.step === undefined ? {} : { step: e.step }));
                break;
              case 'run':
                w.finishRuns(e.phase);
                break;
              case 'health':
                w.target.healthy = e.healthy;
                break;
              case 'edit':
                w.routes = w.routes.map((r) => ({
                  ...r,
                  destinations: r.destinations.map((d) =>
                    d.host === 'shop-canary'
                      ? { ...d, weight: e.canary }
                      : d.host === 'shop-primary'
                        ? { ...d, weight: 100 - legacy - e.canary }
                        : d,
                  ),
                }));
                break;
              case 'restart':
                break;
            }
            w.tick();
          }
          w.target.healthy = true;
          w.defaultRunPhase = 'Successful';
          w.finishRuns('Successful');
          for (let i = 0; i < 30; i++) {
            w.advance(60_000);
            w.settle();
          }
          for (const routes of w.written) {
            for (const r of routes) {
              const weights = r.destinations.map((d) => d.weight);
              for (const x of weights)
                expect(Number.isInteger(x) && x >= 0 && x <= 100, `weight ${x}`).to.equal(true);
              expect(weights.reduce((a, b) => a + b, 0)).to.equal(100);
              const other = r.destinations.find((d) => d.host === 'legacy');
              if (legacy > 0)
                expect(other).to.deep.equal({
                  host: 'legacy',
                  subset: 'v0',
                  port: 8080,
                  weight: legacy,
                });
            }
          }
          const handled = w.rollout.status?.handledCommands ?? {};
          for (const [kind, id] of [...issued]) expect(handled[kind], `${kind} ${id}`).to.equal(id);
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
          w.settle();
          w.newRevision('rev2');
          w.defaultRunPhase = outcome;
          // Long enough for six 5-minute pauses and the promotion.
          for (let i = 0; i < 40; i++) {
            w.advance(60_000);
            w.settle();
            if (w.phase === 'Paused') w.command('promote');
          }
          expect(['Healthy', 'Aborted']).to.include(w.phase);
          expect(w.canaryWeight()).to.equal(0);
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 200) },
    );
  });
});
