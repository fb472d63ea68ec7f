import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { parseSlo, SLO_KIND } from '../adapters/kubernetes/parse-slo.js';
import { renderSloRuleFile } from '../adapters/prometheus/rules.js';
import type { SloView } from '../api/slo-view.js';
import { errorMessage } from '../domain/errors.js';
import { percentText, type ServiceLevelObjective } from '../domain/slo/index.js';
import type { ApiClient } from './client.js';
import { CliError } from './config.js';

// `sluice slo ...`: each SLO's error budget and burn rates as the controller last evaluated
// them (viewer role), and the Prometheus rule file for SLO manifests or for the SLOs the API
// lists.

export interface SloCommandDeps {
  client: () => Promise<ApiClient>;
  print: (data: unknown, table: () => string) => void;
  /** The -n namespace, or undefined. */
  namespace: () => string | undefined;
  write: (text: string) => void;
}

export function addSloCommands(program: Command, deps: SloCommandDeps): void {
  const slo = program
    .command('slo')
    .description('Service-level objectives: error budget, burn rates, Prometheus rules');
  const ns = () => deps.namespace() ?? 'default';

  slo
    .command('list')
    .description('List the SLOs of the namespace with budget left, burn rates and alerts')
    .option('--service <name>', "only this service's SLOs")
    .action(async (o: { service?: string }) => {
      const res = await (await deps.client()).slos<{ items: SloView[] }>(ns());
      const items = res.items.filter((i) => o.service === undefined || i.service === o.service);
      const none = `No SLOs${o.service ? ` of service ${o.service}` : ''} in namespace ${ns()}.\n`;
      deps.print(items, () => (items.length ? sloTable(items) : none));
    });

  slo
    .command('get <slo>')
    .description('Show one SLO: objective, budget left, burn rate per window, firing alerts')
    .action(async (name: string) => {
      const client = await deps.client();
      const view = await client.slos<SloView>(ns(), name).catch((err: unknown) => {
        throw notFoundHint(err, ns(), name);
      });
      deps.print(view, () => sloDetail(view));
    });

  slo
    .command('rules')
    .description(
      'Print the Prometheus recording and alerting rules for SLO manifests (-f) or for the SLOs the API lists in the namespace',
    )
    .option('-f, --file <path...>', 'YAML file(s) of ServiceLevelObjectives (multi-document)')
    .action(async (o: { file?: string[] }) => {
      const slos = o.file
        ? await readSloFiles(o.file, deps.namespace())
        : (await (await deps.client()).slos<{ items: SloView[] }>(ns())).items.map(fromView);
      if (slos.length === 0)
        throw new CliError(o.file ? 'no ServiceLevelObjective in the files' : `no SLOs in ${ns()}`);
      try {
        deps.write(renderSloRuleFile(slos));
      } catch (err) {
        throw new CliError(errorMessage(err));
      }
    });
}

/**
 * The client's generic 404 text names flags of other commands (--project/--environment) and
 * the API's own route; for an SLO, say what the CLI user can check. Other errors pass as they are.
 */
function notFoundHint(err: unknown, namespace: string, name: string): unknown {
  // NOTE: the client says "not found: ..." for a 404 and nothing else (client.ts explain()).
  if (!(err instanceof CliError) || !err.message.startsWith('not found:')) return err;
  return new CliError(
    `ServiceLevelObjective ${namespace}/${name} not found. Check the name and the namespace (-n ${namespace}); \`sluice -n ${namespace} slo list\` lists the SLOs there`,
    err.exitCode,
  );
}

/** Every ServiceLevelObjective document of the files, validated; errors name file and field. */
export async function readSloFiles(
  files: readonly string[],
  namespace: string | undefined,
): Promise<ServiceLevelObjective[]> {
  const out: ServiceLevelObjective[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${file}: ${errorMessage(err)}`);
    }
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs)) throw new CliError(`${file}: not YAML documents`);
    for (const [i, doc] of docs.entries()) {
      const where = docs.length > 1 ? `${file} (document ${i + 1})` : file;
      if (doc.errors.length > 0)
        throw new CliError(`${where}: not valid YAML: ${doc.errors[0]?.message ?? ''}`);
      const raw: unknown = doc.toJS();
      if (raw === null || raw === undefined) continue;
      if ((raw as { kind?: unknown }).kind !== SLO_KIND) continue;
      try {
        const slo = parseSlo(withNamespace(raw, namespace), where);
        out.push(slo);
      } catch (err) {
        throw new CliError(errorMessage(err));
      }
    }
  }
  return out;
}

function withNamespace(raw: unknown, namespace: string | undefined): unknown {
  const obj = raw as { metadata?: Record<string, unknown> };
  if (namespace === undefined || typeof obj.metadata !== 'object' || obj.metadata === null)
    return raw;
  return obj.metadata.namespace === undefined
    ? { ...obj, metadata: { ...obj.metadata, namespace } }
    : raw;
}

function fromView(v: SloView): ServiceLevelObjective {
  return {
    metadata: { name: v.name, namespace: v.namespace },
    spec: {
      service: v.service,
      sli: v.sli,
      objective: v.objective,
      window: v.window,
      ...(v.description === undefined ? {} : { description: v.description }),
    },
  };
}

function budgetText(v: SloView): string {
  const b = v.status.errorBudgetRemaining;
  return b === null ? '-' : percentText(b);
}

function burnText(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '-' : String(Number(rate.toPrecision(3)));
}

function alertText(v: SloView): string {
  if (v.status.firingAlerts.length === 0) return v.status.alertSeverity === null ? '-' : 'none';
  return v.status.firingAlerts
    .map((a) => `${a.severity}(${a.longWindow}/${a.shortWindow}>${a.burnRate})`)
    .join(',');
}

export function sloTable(items: SloView[]): string {
  const rows = [
    [
      'NAME',
      'SERVICE',
      'OBJECTIVE',
      'WINDOW',
      'BUDGET LEFT',
      'BURN 5M',
      'BURN 1H',
      'BURN 6H',
      'ALERTS',
    ],
    ...items.map((v) => [
      v.name,
      v.service,
      `${v.objective}%`,
      v.window,
      budgetText(v),
      burnText(v.status.burnRates['5m']),
      burnText(v.status.burnRates['1h']),
      burnText(v.status.burnRates['6h']),
      alertText(v),
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function sloDetail(v: SloView): string {
  const s = v.status;
  const lines = [
    `Name:        ${v.namespace}/${v.name}`,
    `Service:     ${v.service}`,
    `SLI:         ${v.sli.kind}`,
    `Objective:   ${v.objective}% over ${v.window}`,
    `Budget left: ${budgetText(v)}${s.errorBudgetConsumed === null ? '' : ` (consumed ${percentText(s.errorBudgetConsumed)})`}`,
    `Error ratio: ${s.errorRatio === null ? '-' : String(Number(s.errorRatio.toPrecision(4)))}`,
    `Evaluated:   ${s.evaluatedAt ?? 'not yet'}`,
    'Burn rates:',
    ...Object.entries(s.burnRates).map(([w, r]) => `  ${w.padEnd(5)} ${burnText(r)}`),
    `Alerts:      ${alertText(v)}`,
  ];
  if (s.condition)
    lines.push(`Condition:   ${s.condition.status} ${s.condition.reason}: ${s.condition.message}`);
  return lines.join('\n') + '\n';
}
