import { expect } from 'chai';
import fc from 'fast-check';
import type { AnalysisPhase, CommandKind } from '../../src/domain/types.js';
import type { World } from './world.js';

// What the canary and blue-green property tests share: random events for a World, the run to
// the end once everything is healthy, and the checks on every route written and every command.

/** The events both strategies' property tests draw. */
export type WorldEvent =
  | { t: 'time'; ms: number }
  | { t: 'revision'; n: number }
  | { t: 'command'; kind: CommandKind; step?: number }
  | { t: 'run'; phase: AnalysisPhase }
  | { t: 'health'; healthy: boolean };

/** Weighted arbitraries for every WorldEvent; commands name a step from 0 to `maxStep`. */
export function worldEventArbitraries(maxStep: number): Array<fc.WeightedArbitrary<WorldEvent>> {
  return [
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
        step: fc.option(fc.integer({ min: 0, max: maxStep }), { nil: undefined }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom<AnalysisPhase>('Successful', 'Failed', 'Inconclusive', 'Error')
        .map((phase) => ({ t: 'run' as const, phase })),
    },
    { weight: 1, arbitrary: fc.boolean().map((healthy) => ({ t: 'health' as const, healthy })) },
  ];
}

/** Applies one event to the world; a command's id is kept in `issued` under its kind. */
export function applyWorldEvent(w: World, e: WorldEvent, issued: Map<CommandKind, string>): void {
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
    default: {
      const never: never = e;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Makes the candidate and the primary healthy and every analysis pass, then runs 30 rounds of
 * one simulated minute each followed by `round` (the test's way of reconciling).
 */
export function runHealthyToEnd(w: World, round: () => void): void {
  w.target.healthy = true;
  if (w.primary) w.primary.available = true;
  w.defaultRunPhase = 'Successful';
  w.finishRuns('Successful');
  for (let i = 0; i < 30; i++) {
    w.advance(60_000);
    round();
  }
}

/** A new revision left alone for `minutes` (its analyses end as `outcome`, pauses promoted). */
export function leaveNewRevisionAlone(w: World, outcome: AnalysisPhase, minutes: number): void {
  w.settle();
  w.newRevision('rev2');
  w.defaultRunPhase = outcome;
  for (let i = 0; i < minutes; i++) {
    w.advance(60_000);
    w.settle();
    if (w.phase === 'Paused') w.command('promote');
  }
}

/**
 * Every route written has integer weights from 0 to 100 summing to 100, and the destination
 * Sluice does not manage (`legacy`, at `legacyWeight`) is kept as it was.
 */
export function expectValidWrites(w: World, legacyWeight: number): void {
  for (const routes of w.written) {
    for (const r of routes) {
      const weights = r.destinations.map((d) => d.weight);
      for (const x of weights)
        expect(Number.isInteger(x) && x >= 0 && x <= 100, `weight ${x}`).to.equal(true);
      expect(weights.reduce((a, b) => a + b, 0)).to.equal(100);
      if (legacyWeight > 0)
        expect(r.destinations.find((d) => d.host === 'legacy')).to.deep.equal({
          host: 'legacy',
          subset: 'v0',
          port: 8080,
          weight: legacyWeight,
        });
    }
  }
}

/** The status records every issued command (the last of each kind) as handled. */
export function expectCommandsHandled(w: World, issued: Map<CommandKind, string>): void {
  const handled = w.rollout.status?.handledCommands ?? {};
  for (const [kind, id] of issued) expect(handled[kind], `${kind} ${id}`).to.equal(id);
}
