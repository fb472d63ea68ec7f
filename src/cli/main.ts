#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { verifyAuditLog } from '../api/audit.js';
import type { RolloutSummary } from '../api/view.js';
import { parseDuration } from '../domain/duration.js';
import { ApiClient, type Accepted, type Verb } from './client.js';
import { CliError, EXIT, resolveConnection } from './config.js';
import { addFlagCommands } from './flags.js';
import { addSloCommands } from './slo.js';
import {
  formatData,
  OUTPUTS,
  rolloutDetail,
  rolloutTable,
  watchFrame,
  watchLine,
  type Output,
} from './render.js';
import { waitForRollout, watchRollout, type PollDeps } from './wait.js';

// The `sluice` command. runCli takes its whole world (argv, env, streams, clock) as arguments
// so tests run it in-process; the bottom of the file wires it to the real process.

export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown };
  env: Record<string, string | undefined>;
  home: string | undefined;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface GlobalOptions {
  url?: string;
  token?: string;
  namespace?: string;
  output: Output;
  requestTimeout: string;
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.error;
    if (err instanceof CliError) {
      io.stderr.write(`error: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`error: ${(err as Error).message}\n`);
    return EXIT.error;
  }
}

function buildProgram(io: CliIO, setCode: (c: number) => void): Command {
  const program = new Command('sluice')
    .description('Drive Sluice rollouts through the control API')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .option('--url <url>', 'API URL (or SLUICE_URL, or url: in ~/.config/sluice/config.yaml)')
    .option('--token <token>', 'bearer token (or SLUICE_TOKEN, or token: in the config file)')
    .option('-n, --namespace <ns>', 'namespace (default "default"; or give <ns>/<name>)')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(OUTPUTS).default('table'),
    )
    .option('--request-timeout <duration>', 'limit per API call', '15s');

  const globals = () => program.opts<GlobalOptions>();
  const now = io.now ?? Date.now;
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const client = async () => {
    const g = globals();
    const conn = await resolveConnection({
      flags: { url: g.url, token: g.token },
      env: io.env,
      home: io.home,
    });
    return new ApiClient(conn, {
      timeoutMs: durationMs(g.requestTimeout, '--request-timeout'),
      ...(io.fetch ? { fetch: io.fetch } : {}),
    });
  };
  const print = (data: unknown, table: () => string) => {
    const o = globals().output;
    io.stdout.write(o === 'table' ? table() : formatData(data, o));
  };
  const target = (arg: string) => splitRef(arg, globals().namespace);

  program
    .command('list')
    .description('List rollouts (every namespace unless -n is given)')
    .action(async () => {
      const res = await (await client()).list(globals().namespace);
      print(res.items, () => (res.items.length ? rolloutTable(res.items) : 'No rollouts.\n'));
    });

  program
    .command('get <rollout>')
    .description('Show phase, step, weights, revisions and measurements')
    .action(async (arg: string) => {
      const { namespace, name } = target(arg);
      const r = await (await client()).get(namespace, name);
      print(r, () => rolloutDetail(r));
    });

  const command = (verb: Verb, describe: string) =>
    program
      .command(`${verb} <rollout>`)
      .description(describe)
      .option(
        '--idempotency-key <key>',
        'a retry with the same key is answered without a second write',
      );

  const send = async (arg: string, verb: Verb, body: Record<string, unknown>, key?: string) => {
    const { namespace, name } = target(arg);
    const a = await (await client()).command(namespace, name, verb, body, key);
    print(a, () => acceptedText(a, namespace, name));
  };

  command('promote', 'Promote one step (or every step with --full)')
    .option('--full', 'skip the remaining steps')
    .option(
      '--expected-step <n>',
      'refuse unless the rollout is at this step index (0-based; `get` prints it)',
    )
    .action(
      async (
        arg: string,
        o: { full?: boolean; expectedStep?: string; idempotencyKey?: string },
      ) => {
        const body: Record<string, unknown> = {};
        if (o.full) body.full = true;
        if (o.expectedStep !== undefined)
          body.expectedStep = intArg(o.expectedStep, '--expected-step');
        await send(arg, 'promote', body, o.idempotencyKey);
      },
    );
  command('abort', 'Abort and send all traffic back to stable')
    .requiredOption('--reason <text>', 'why (kept in the audit log)')
    .action(async (arg: string, o: { reason: string; idempotencyKey?: string }) => {
      await send(arg, 'abort', { reason: o.reason }, o.idempotencyKey);
    });
  command(
    'override-budget',
    'Start a revision held in BudgetFrozen although the error budget is spent',
  )
    .requiredOption('--reason <text>', 'why the freeze is bypassed (kept in the audit log)')
    .action(async (arg: string, o: { reason: string; idempotencyKey?: string }) => {
      await send(arg, 'override-budget', { reason: o.reason }, o.idempotencyKey);
    });
  for (const [verb, text] of [
    ['pause', 'Pause a progressing rollout'],
    ['resume', 'Resume a paused rollout'],
    ['retry', 'Start an aborted rollout again'],
  ] as const)
    command(verb, text)
      .option('--reason <text>', 'why (kept in the audit log)')
      .action(async (arg: string, o: { reason?: string; idempotencyKey?: string }) => {
        await send(arg, verb, o.reason === undefined ? {} : { reason: o.reason }, o.idempotencyKey);
      });

  const poller = async (arg: string, onState: (r: RolloutSummary) => void): Promise<PollDeps> => {
    const { namespace, name } = target(arg);
    const c = await client();
    return {
      get: () => c.get(namespace, name),
      now,
      sleep,
      onState,
      onRetry: (err) => io.stderr.write(`warning: ${err.message}; retrying\n`),
    };
  };

  program
    .command('watch <rollout>')
    .description('Live view of step, weights and metric values against thresholds')
    .option('--interval <duration>', 'time between reads', '2s')
    .option('--until-done', 'stop once the rollout is Healthy or Aborted')
    .action(async (arg: string, o: { interval: string; untilDone?: boolean }) => {
      const view = liveView(io, globals().output);
      const deps = await poller(arg, view);
      setCode(
        await watchRollout(deps, {
          intervalMs: durationMs(o.interval, '--interval'),
          untilDone: !!o.untilDone,
        }),
      );
    });

  program
    .command('wait <rollout>')
    .description(
      'Wait for the release: exit 0 when promoted and Healthy, 1 when aborted, 2 on timeout',
    )
    .option('--timeout <duration>', 'give up after this long', '30m')
    .option('--interval <duration>', 'time between reads', '5s')
    .option('--accept-current', 'count a rollout that is already Healthy/Aborted as settled')
    .action(
      async (arg: string, o: { timeout: string; interval: string; acceptCurrent?: boolean }) => {
        let last: RolloutSummary | undefined;
        let hinted = false;
        const deps = await poller(arg, (r) => {
          if (!last || watchLine(last) !== watchLine(r)) io.stderr.write(`${watchLine(r)}\n`);
          if (r.phase === 'BudgetFrozen' && !hinted) {
            hinted = true;
            io.stderr.write(
              `waiting: the release is held by the error-budget freeze (${r.message ?? 'see sluice get'}); it starts when the budget recovers, or an operator runs: sluice override-budget ${arg} --reason "..."\n`,
            );
          }
          last = r;
        });
        const code = await waitForRollout(deps, {
          timeoutMs: durationMs(o.timeout, '--timeout'),
          intervalMs: durationMs(o.interval, '--interval'),
          acceptCurrent: !!o.acceptCurrent,
        });
        const outcome =
          code === EXIT.ok
            ? 'promoted'
            : code === EXIT.failed
              ? last?.phase === 'Healthy'
                ? 'abandoned'
                : 'aborted'
              : 'timeout';
        print(
          { outcome, exitCode: code, rollout: last ?? null },
          () => `${outcome}: ${last ? watchLine(last) : 'no answer'}\n`,
        );
        setCode(code);
      },
    );

  program
    .command('audit')
    .description('Audit log tools')
    .command('verify <file>')
    .description('Check the hash chain (and HMACs with a key); report the first bad record')
    .option('--key-file <path>', 'HMAC key file (or SLUICE_AUDIT_KEY)')
    .action(async (file: string, o: { keyFile?: string }) => {
      const key = o.keyFile ? (await readFile(o.keyFile, 'utf8')).trim() : io.env.SLUICE_AUDIT_KEY;
      let v;
      try {
        v = await verifyAuditLog(file, key);
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
      }
      print(v, () =>
        v.ok
          ? `ok: ${v.records} records, chain intact${key ? ', HMACs match' : ' (no key: HMACs not checked)'}\n`
          : `BAD: line ${v.firstBad?.line}: ${v.firstBad?.problem}: ${v.firstBad?.message}\n`,
      );
      setCode(v.ok ? EXIT.ok : EXIT.failed);
    });

  addFlagCommands(program, { client, print });
  addSloCommands(program, {
    client,
    print,
    namespace: () => globals().namespace,
    write: (text) => io.stdout.write(text),
  });
  return program;
}

function liveView(io: CliIO, output: Output): (r: RolloutSummary) => void {
  let lastLine = '';
  let drawn = 0;
  return (r) => {
    if (output !== 'table') {
      io.stdout.write(JSON.stringify(r) + '\n');
      return;
    }
    if (io.stdout.isTTY) {
      const frame = watchFrame(r);
      // Move up over the previous frame and clear it, then draw the new one in place.
      io.stdout.write((drawn ? `\x1b[${drawn}F\x1b[J` : '') + frame.join('\n') + '\n');
      drawn = frame.length;
      return;
    }
    const line = watchLine(r);
    if (line !== lastLine) io.stdout.write(`${new Date().toISOString()} ${line}\n`);
    lastLine = line;
  };
}

function acceptedText(a: Accepted, namespace: string, name: string): string {
  const what = a.alreadyPending ? `${a.command} was already pending` : `${a.command} recorded`;
  return `${what} for ${namespace}/${name} (request ${a.requestId}); follow with: sluice watch ${namespace}/${name}\n`;
}

function splitRef(arg: string, namespace: string | undefined): { namespace: string; name: string } {
  const parts = arg.split('/');
  if (parts.length === 2 && parts[0] && parts[1]) return { namespace: parts[0], name: parts[1] };
  if (parts.length === 1 && arg) return { namespace: namespace ?? 'default', name: arg };
  throw new CliError(`"${arg}" is not a rollout name; use <name> or <namespace>/<name>`);
}

function durationMs(text: string, flag: string): number {
  let ms: number;
  try {
    ms = parseDuration(text, flag);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (flag === '--interval' && ms < 500)
    throw new CliError(`--interval must be at least 500ms, got "${text}"`);
  return ms;
}

function intArg(text: string, flag: string): number {
  if (!/^\d+$/.test(text))
    throw new CliError(`${flag} must be a non-negative integer, got "${text}"`);
  return Number(text);
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const io: CliIO = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    home: homedir(),
  };
  process.exitCode = await runCli(process.argv.slice(2), io);
}
