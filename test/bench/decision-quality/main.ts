import { DECIDERS, sluiceLocationDecider } from './deciders.js';
import { runBenchmark, type BenchmarkReport } from './harness.js';

// npm run bench:decision -- [--json] [--seed N] [--trials N] [--location]
// Prints one JSON object with --json, a table otherwise.

interface Args {
  json: boolean;
  /** Adds the sluice-location decider (the latency compare metric). */
  location: boolean;
  seed: number;
  trials: number;
}

export const DEFAULT_TRIALS = 10_000;

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { json: false, location: false, seed: 1, trials: DEFAULT_TRIALS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${arg} needs a non-negative integer`);
      return v;
    };
    if (arg === '--json') args.json = true;
    else if (arg === '--location') args.location = true;
    else if (arg === '--seed') args.seed = value();
    else if (arg === '--trials') args.trials = Math.max(1, value());
    else throw new Error(`unknown argument ${arg}; use --json, --seed N, --trials N, --location`);
  }
  return args;
}

function table(report: BenchmarkReport, ms: number): string {
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const rows = report.deciders.map(
    (d) =>
      `${d.name.padEnd(14)} ${pct(d.detectionRate).padStart(10)} ${pct(d.falseRollbackRate).padStart(15)} ${String(d.meanTrafficExposedAtDetection).padStart(17)}`,
  );
  return [
    `seed ${report.meta.seed}, ${report.meta.trialsPerScenario} rollouts per scenario, weights ${report.meta.weights.join(' ')} (${ms} ms)`,
    `${'decider'.padEnd(14)} ${'detected'.padStart(10)} ${'false rollback'.padStart(15)} ${'requests exposed'.padStart(17)}`,
    ...rows,
  ].join('\n');
}

function main(): void {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return;
  }
  const started = Date.now();
  const report = runBenchmark({
    seed: args.seed,
    trials: args.trials,
    deciders: args.location ? [...DECIDERS, sluiceLocationDecider] : DECIDERS,
  });
  process.stdout.write(
    args.json ? `${JSON.stringify(report)}\n` : `${table(report, Date.now() - started)}\n`,
  );
}

main();
