import type { Spread } from './figures.js';
import type { ScaleReport } from './run.js';

// The report as a table a person reads: each load figure with its ratio to the baseline.

const ratio = (load: number, base: number): string =>
  base > 0 ? `${(load / base).toFixed(1)}x baseline (${base} s)` : `baseline ${base} s`;

function line(label: string, load: Spread, base: Spread): string {
  return `${label.padEnd(26)} p50 ${load.p50} s, p99 ${load.p99} s = ${ratio(load.p99, base.p99)}, max ${load.max} s`;
}

export function renderReport(r: ScaleReport): string {
  const { load, baseline: b, settings: s } = r;
  const out = [
    `S32 scale: ${s.rollouts} rollouts in ${s.namespaces} namespaces, ${s.progressing} progressing, client limit ${s.kubeQps} req/s${s.quick ? ' (quick timings)' : ''}`,
    `pause ${s.pauseMs / 1000} s, analysis interval ${s.intervalMs / 1000} s, Prometheus ${s.promDelayMs} ms, pods ready after ${s.readyAfterMs / 1000} s`,
    `setup ${load.setupSeconds} s; new leader's first pass over every rollout ${load.startupPassSeconds ?? 'not done when released'} s (baseline ${b.startupPassSeconds} s)`,
    `finished: ${load.promoted} promoted, ${load.aborted} aborted, ${load.unfinished} unfinished (hanging one aside)`,
    line('step lateness', load.lateness, b.lateness),
    ...Object.entries(load.latenessByStep).map(([step, sp]) =>
      line(`  ${step}`, sp, b.latenessByStep[step as keyof typeof b.latenessByStep]),
    ),
    line('time at 0% after release', load.zeroSeconds, b.zeroSeconds),
    `API requests/s used       mean ${load.api.perSecond} (baseline ${b.api.perSecond}), peak ${load.api.peakPerSecond} in one second; ${load.api.watchConnects} watch connects; ${load.api.requestsPerRolloutRead} requests per rollout reconcile`,
    `retries                   ${load.retries}, longest failure-to-retry ${load.maxRetryDelaySeconds} s; by code ${JSON.stringify(load.failuresByCode)}`,
    `event loop delay          p99 ${load.eventLoopP99Ms} ms, max ${load.eventLoopMaxMs} ms (baseline p99 ${b.eventLoopP99Ms} ms)`,
    '',
    'S32 targets:',
    ...r.targets.map((t) => `  [${t.met ? 'met ' : 'MISS'}] ${t.target}: ${t.measured}`),
  ];
  return out.join('\n');
}
