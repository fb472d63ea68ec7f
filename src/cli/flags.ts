import type { Command } from 'commander';
import type { FlagView } from '../api/flag-routes.js';
import type { FlagSummary } from '../domain/flags.js';
import type { ApiClient, FlagAction, FlagScope } from './client.js';
import { CliError } from './config.js';

// `sluice flags ...`: developer toggles through the control API (admin role). Every change is
// audited by the API; the CLI prints the flag as Unleash holds it afterwards.

export interface FlagCommandDeps {
  client: () => Promise<ApiClient>;
  print: (data: unknown, table: () => string) => void;
}

interface ScopeOptions {
  project?: string;
  environment?: string;
}

interface FlagChange {
  requestId: string;
  changed: boolean;
  flag: FlagView;
}

export function addFlagCommands(program: Command, deps: FlagCommandDeps): void {
  const flags = program
    .command('flags')
    .description('Feature flags in Unleash: list, show, enable, disable, set a percentage');
  const scoped = (cmd: Command) =>
    cmd
      .option('--project <p>', "Unleash project (default: the API's configured one)")
      .option('--environment <e>', "Unleash environment (default: the API's configured one)");
  const scope = (o: ScopeOptions): FlagScope => ({
    project: o.project,
    environment: o.environment,
  });
  const change = async (
    name: string,
    o: ScopeOptions,
    action: FlagAction,
    body?: Record<string, unknown>,
  ) => {
    const res = await (await deps.client()).flags<FlagChange>(action, scope(o), name, body);
    deps.print(res, () => `${res.changed ? 'changed' : 'unchanged'}: ${flagLine(res.flag)}\n`);
  };

  scoped(flags.command('list'))
    .description("List a project's flags and whether each is on in the environment")
    .action(async (o: ScopeOptions) => {
      const res = await (
        await deps.client()
      ).flags<{ project: string; environment: string; items: FlagSummary[] }>('list', scope(o));
      deps.print(res, () => flagTable(res.items, res.project, res.environment));
    });

  scoped(flags.command('get <flag>'))
    .description('Show a flag: on/off, rollout percent, group id, stickiness, variants')
    .action(async (name: string, o: ScopeOptions) => {
      const flag = await (await deps.client()).flags<FlagView>('get', scope(o), name);
      deps.print(flag, () => flagDetail(flag));
    });

  scoped(flags.command('enable <flag>'))
    .description('Turn the flag on in the environment')
    .action((name: string, o: ScopeOptions) => change(name, o, 'enable'));

  scoped(flags.command('disable <flag>'))
    .description('Turn the flag off in the environment')
    .action((name: string, o: ScopeOptions) => change(name, o, 'disable'));

  scoped(flags.command('set-percent <flag> <percent>'))
    .description("Set the share of users (0-100) of the flag's flexibleRollout strategy")
    .action((name: string, percent: string, o: ScopeOptions) =>
      change(name, o, 'percentage', { percent: percentArg(percent) }),
    );

  scoped(flags.command('set-variants <flag> <variant...>'))
    .description(
      'Replace the variants: name=weight in thousandths adding up to 1000, e.g. A=500 B=500',
    )
    .option('--stickiness <field>', 'context field that keeps a user on one variant', 'default')
    .action((name: string, specs: string[], o: ScopeOptions & { stickiness: string }) =>
      change(name, o, 'variants', {
        variants: specs.map((s) => ({ ...variantArg(s), stickiness: o.stickiness })),
      }),
    );
}

function percentArg(text: string): number {
  if (!/^\d{1,3}$/.test(text) || Number(text) > 100)
    throw new CliError(`<percent> must be an integer from 0 to 100, got "${text}"`);
  return Number(text);
}

/** `name=weight` or `name=weight:payload` (a string payload). */
export function variantArg(text: string): {
  name: string;
  weight: number;
  payload?: { type: 'string'; value: string };
} {
  const m = /^([^=]+)=(\d{1,4})(?::(.*))?$/.exec(text);
  if (!m?.[1] || m[2] === undefined)
    throw new CliError(`"${text}" is not a variant; write name=weight, e.g. A=500`);
  return {
    name: m[1],
    weight: Number(m[2]),
    ...(m[3] === undefined ? {} : { payload: { type: 'string', value: m[3] } }),
  };
}

function flagLine(f: FlagView): string {
  const rollout = f.rollout ? `${f.rollout.percent}%` : 'no rollout strategy';
  const variants = f.variants.length
    ? `, variants ${f.variants.map((v) => `${v.name}=${v.weight}`).join(' ')}`
    : '';
  return `${f.name} in ${f.project}/${f.environment}: ${f.enabled ? 'on' : 'off'}, ${rollout}${variants}\n`;
}

function flagDetail(f: FlagView): string {
  const lines = [
    `Flag:         ${f.name}`,
    `Project:      ${f.project}`,
    `Environment:  ${f.environment}`,
    `Enabled:      ${f.enabled ? 'yes' : 'no'}`,
    `Rollout:      ${f.rollout ? `${f.rollout.percent}% (group ${f.rollout.groupId}, stickiness ${f.rollout.stickiness})` : '-'}`,
    `Variants:     ${f.variants.length ? f.variants.map((v) => `${v.name}=${v.weight}/1000`).join(', ') : '-'}`,
    `Strategies:   ${f.strategies.map((s) => `${s.name}${s.disabled ? ' (disabled)' : ''}`).join(', ') || '-'}`,
  ];
  return lines.join('\n') + '\n';
}

function flagTable(items: FlagSummary[], project: string, environment: string): string {
  if (items.length === 0) return `No flags in project ${project}.\n`;
  const rows = [
    ['NAME', 'TYPE', `ENABLED(${environment})`, 'STALE'],
    ...items.map((f) => [f.name, f.type, f.enabled ? 'yes' : 'no', f.stale ? 'yes' : 'no']),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')).join('\n') + '\n';
}
