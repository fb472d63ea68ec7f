import { DECIDERS, type DeciderFactory } from './deciders.js';
import {
  DEFAULT_TRAFFIC,
  generateRollout,
  type Regression,
  type TrafficModel,
} from './generator.js';
import { createRandom } from './random.js';

// Runs every decider on the same synthetic rollouts and scores them.
//   detectionRate: share of regressed rollouts rolled back at a look where the canary's weight
//     was at most `detectByWeight` (20%), i.e. before it passed 20% of traffic;
//   falseRollbackRate: share of healthy rollouts rolled back at any of the looks;
//   meanTrafficExposedAtDetection: mean requests a regressed canary served up to and including
//     the look that rolled it back; one never rolled back counts every request of its rollout.

export interface BenchmarkOptions {
  seed: number;
  /** Rollouts per scenario (healthy, 2x errors, +50% latency). */
  trials: number;
  model?: TrafficModel;
  detectByWeight?: number;
  deciders?: readonly DeciderFactory[];
}

export interface DeciderScore {
  name: string;
  detectionRate: number;
  falseRollbackRate: number;
  meanTrafficExposedAtDetection: number;
}

export interface ScenarioScore {
  decider: string;
  regression: Regression;
  rolledBack: number;
  rolledBackInTime: number;
  meanLookOfRollback: number | null;
  trials: number;
}

export interface BenchmarkReport {
  deciders: DeciderScore[];
  meta: {
    seed: number;
    trialsPerScenario: number;
    looks: number;
    weights: readonly number[];
    model: TrafficModel;
  };
  breakdown: ScenarioScore[];
}

const SCENARIOS: readonly Regression[] = ['none', 'errors', 'latency'];

export function runBenchmark(options: BenchmarkOptions): BenchmarkReport {
  const model = options.model ?? DEFAULT_TRAFFIC;
  const detectBy = options.detectByWeight ?? 20;
  const factories = options.deciders ?? DECIDERS;
  const names = factories.map((f) => f(model).name);
  const tally = new Map<
    string,
    { rolledBack: number; inTime: number; lookSum: number; exposure: number }
  >();
  const key = (name: string, regression: Regression): string => `${name}/${regression}`;
  for (const name of names)
    for (const r of SCENARIOS)
      tally.set(key(name, r), { rolledBack: 0, inTime: 0, lookSum: 0, exposure: 0 });

  SCENARIOS.forEach((regression, s) => {
    for (let t = 0; t < options.trials; t++) {
      // One stream per rollout: a result can be reproduced from (seed, scenario, trial).
      const rnd = createRandom(options.seed * 1_000_003 + s * 100_000_007 + t);
      const looks = generateRollout(rnd, model, regression);
      for (const factory of factories) {
        const decider = factory(model);
        const score = tally.get(key(decider.name, regression));
        if (!score) throw new Error(`no tally for ${decider.name}`);
        let exposed = 0;
        let rolledBackAt = -1;
        for (let i = 0; i < looks.length; i++) {
          const look = looks[i] as (typeof looks)[number];
          exposed += look.canary.requests;
          if (decider.observe(look)) {
            rolledBackAt = i;
            break;
          }
        }
        score.exposure += exposed;
        if (rolledBackAt >= 0) {
          score.rolledBack++;
          score.lookSum += rolledBackAt + 1;
          if ((looks[rolledBackAt]?.weight ?? Infinity) <= detectBy) score.inTime++;
        }
      }
    }
  });

  const get = (name: string, r: Regression) =>
    tally.get(key(name, r)) as {
      rolledBack: number;
      inTime: number;
      lookSum: number;
      exposure: number;
    };
  const regressions = SCENARIOS.filter((r) => r !== 'none');
  const deciders = names.map((name): DeciderScore => {
    const caught = regressions.reduce((sum, r) => sum + get(name, r).inTime, 0);
    const exposure = regressions.reduce((sum, r) => sum + get(name, r).exposure, 0);
    return {
      name,
      detectionRate: caught / (regressions.length * options.trials),
      falseRollbackRate: get(name, 'none').rolledBack / options.trials,
      meanTrafficExposedAtDetection: Math.round(exposure / (regressions.length * options.trials)),
    };
  });
  const breakdown = names.flatMap((name) =>
    SCENARIOS.map((regression): ScenarioScore => {
      const s = get(name, regression);
      return {
        decider: name,
        regression,
        rolledBack: s.rolledBack,
        rolledBackInTime: s.inTime,
        meanLookOfRollback:
          s.rolledBack > 0 ? Math.round((s.lookSum / s.rolledBack) * 100) / 100 : null,
        trials: options.trials,
      };
    }),
  );
  return {
    deciders,
    meta: {
      seed: options.seed,
      trialsPerScenario: options.trials,
      looks: model.weights.length,
      weights: model.weights,
      model,
    },
    breakdown,
  };
}
