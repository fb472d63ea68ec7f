import { renderReport } from './render.js';
import { runScaleBenchmark } from './run.js';

// npm run bench:scale -- [--json] [--quick] [--rollouts 400] [--progressing 60]
//   [--namespaces 20] [--qps 50]
// Progress goes to stderr; the report (a table, or one JSON object with --json) to stdout.

interface Args {
  json: boolean;
  quick: boolean;
  rollouts: number;
  progressing: number;
  namespaces: number;
  qps: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    json: false,
    quick: false,
    rollouts: 400,
    progressing: 60,
    namespaces: 20,
    qps: 50,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${arg} needs a positive integer`);
      return v;
    };
    if (arg === '--json') args.json = true;
    else if (arg === '--quick') args.quick = true;
    else if (arg === '--rollouts') args.rollouts = value();
    else if (arg === '--progressing') args.progressing = value();
    else if (arg === '--namespaces') args.namespaces = value();
    else if (arg === '--qps') args.qps = value();
    else
      throw new Error(
        `unknown argument ${arg}; use --json, --quick, --rollouts N, --progressing N, --namespaces N, --qps N`,
      );
  }
  if (args.progressing > args.rollouts) throw new Error('--progressing cannot exceed --rollouts');
  return args;
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return;
  }
  const report = await runScaleBenchmark({
    rollouts: args.rollouts,
    namespaces: Math.min(args.namespaces, args.rollouts),
    progressing: args.progressing,
    quick: args.quick,
    kubeQps: args.qps,
    say: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : `${renderReport(report)}\n`);
}

await main();
