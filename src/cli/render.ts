import { stringify as toYaml } from 'yaml';
import type { RolloutSummary } from '../api/view.js';
import { formatCount } from '../domain/compare.js';

// How the CLI prints rollouts: a table for people, JSON or YAML for scripts, and the live
// view of `watch` (a bar that redraws in a terminal, one plain line per change when piped).

export const OUTPUTS = ['table', 'json', 'yaml'] as const;
export type Output = (typeof OUTPUTS)[number];

export function isOutput(v: string): v is Output {
  return (OUTPUTS as readonly string[]).includes(v);
}

export function formatData(value: unknown, output: Exclude<Output, 'table'>): string {
  switch (output) {
    case 'json':
      return JSON.stringify(value, null, 2) + '\n';
    case 'yaml':
      return toYaml(value);
    default: {
      const never: never = output;
      return String(never);
    }
  }
}

function stepText(r: RolloutSummary): string {
  if (r.step.index === null) return '-';
  // After the last step (a promoted rollout) the index is one past the end.
  if (r.step.index >= r.step.total) return `${r.step.total}/${r.step.total} done`;
  return `${r.step.index + 1}/${r.step.total}`;
}

function weightText(r: RolloutSummary): string {
  return r.weights ? `${r.weights.stable}/${r.weights.canary}` : '-';
}

export function rolloutTable(items: RolloutSummary[]): string {
  const rows = [
    ['NAMESPACE', 'NAME', 'STRATEGY', 'PHASE', 'STEP', 'WEIGHTS(S/C)', 'CANARY'],
    ...items.map((r) => [
      r.namespace,
      r.name,
      r.strategy,
      r.phase,
      stepText(r),
      weightText(r),
      r.revisions.canary ?? '-',
    ]),
  ];
  const widths =
    rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return (
    rows
      .map((row) =>
        row
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function rolloutDetail(r: RolloutSummary): string {
  const lines = [
    `Name:       ${r.namespace}/${r.name}`,
    `Strategy:   ${r.strategy}`,
    `Phase:      ${r.phase}${r.reason ? ` (${r.reason})` : ''}`,
    ...(r.message ? [`Message:    ${r.message}`] : []),
    `Step:       ${stepText(r)}${r.step.index === null ? '' : ` (index ${r.step.index}: --expected-step ${r.step.index})`}${r.step.description ? `  ${r.step.description}` : ''}`,
    `Weights:    stable ${r.weights?.stable ?? '-'} / canary ${r.weights?.canary ?? '-'}`,
    `Revisions:  stable ${r.revisions.stable ?? '-'} / canary ${r.revisions.canary ?? '-'}`,
  ];
  if (r.budget) lines.push(`Budget:     ${budgetText(r.budget)}`);
  if (r.measurements.length > 0) {
    lines.push('Measurements:');
    for (const m of r.measurements) lines.push(`  ${measurementText(m)}`);
  }
  if (r.pendingCommands.length > 0)
    lines.push(`Pending:    ${r.pendingCommands.map((c) => `${c.kind} ${c.id}`).join(', ')}`);
  if (r.conditions.length > 0) {
    lines.push('Conditions:');
    for (const c of r.conditions) lines.push(`  ${c.type}=${c.status} ${c.reason}: ${c.message}`);
  }
  return lines.join('\n') + '\n';
}

function budgetText(b: NonNullable<RolloutSummary['budget']>): string {
  const pct = (x: number) => `${String(Math.round(x * 10_000) / 100)}%`;
  const left = b.remaining === null ? 'unknown' : `${pct(b.remaining)} left`;
  const override = b.override
    ? `; overridden for ${b.override.revision}${b.override.by ? ` by ${b.override.by}` : ''}: ${b.override.reason}`
    : '';
  return `SLO ${b.slo}: ${left} (freeze at ${pct(b.freezeBelow)})${override}`;
}

function measurementText(m: RolloutSummary['measurements'][number]): string {
  if (m.comparison) return `${m.metric}: ${comparisonText(m.comparison)} -> ${m.phase}`;
  const value = m.value
    ? m.value.map((v) => String(Number(v.toPrecision(6)))).join(',')
    : 'no value';
  return `${m.metric}: ${value}${m.threshold ? ` vs ${m.threshold}` : ''} -> ${m.phase}`;
}

const sig = (n: number): string => String(Number(n.toPrecision(4)));

/**
 * A canary-versus-baseline result in one line, e.g. "rate-msprt p=0.0031 (log LR 5.78 >= bound
 * 5.298) rate-ratio 2.01 n=6000/6000 fail".
 */
export function comparisonText(
  c: NonNullable<RolloutSummary['measurements'][number]['comparison']>,
): string {
  const evidence =
    c.bound === undefined
      ? `U=${sig(c.statistic)} p=${sig(c.pValue)}`
      : `p=${sig(c.pValue)} (log LR ${sig(c.statistic)} ${c.statistic >= c.bound ? '>=' : '<'} bound ${sig(c.bound)})`;
  return `${c.test} ${evidence} ${c.effectKind} ${sig(c.effect)} n=${formatCount(c.nCanary)}/${formatCount(c.nBaseline)} ${c.decision}`;
}

export function progressBar(canary: number, width = 30): string {
  const filled = Math.round((Math.max(0, Math.min(100, canary)) / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(canary).padStart(3)}%`;
}

/** One line for piped output; the caller prints it only when it changed. */
export function watchLine(r: RolloutSummary): string {
  const ms = r.measurements.map(measurementText).join('; ');
  return `${r.phase} step=${stepText(r)} weights=${weightText(r)}${ms ? ` ${ms}` : ''}`;
}

/** The block a terminal redraws in place. */
export function watchFrame(r: RolloutSummary): string[] {
  return [
    `${r.namespace}/${r.name}  ${r.phase}${r.reason ? ` (${r.reason})` : ''}  step ${stepText(r)}${r.step.description ? `: ${r.step.description}` : ''}`,
    `canary ${progressBar(r.weights?.canary ?? 0)}`,
    ...r.measurements.map((m) => `  ${measurementText(m)}`),
  ];
}
