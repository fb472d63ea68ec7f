import type { LogLine, PhaseOptions, PhaseResult } from './phase.js';
import type { Milestones, Tracked } from './timeline.js';

// Turns one run's raw record into the S32 figures. Every time is measured by the benchmark
// (store samples, the proxy's request log, the controller's log lines), never taken from the
// controller's own status timestamps, so a late controller cannot report itself on time.

export const STEPS = ['setWeight10', 'pauseEnd', 'analysisEnd', 'setWeight50', 'promoted'] as const;
export type StepName = (typeof STEPS)[number];

export interface Spread {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface PhaseFigures {
  rollouts: number;
  progressing: number;
  promoted: number;
  aborted: number;
  /** Progressing rollouts (the hanging one aside) that did not finish by the deadline. */
  unfinished: number;
  /** Seconds late against plan, over every transition of every rollout but the hanging one. */
  lateness: Spread;
  latenessByStep: Record<StepName, Spread>;
  /** Transitions still not done at the end; counted in `lateness` at their lateness so far. */
  notReached: number;
  /** Seconds between the release and the first weight above 0. */
  zeroSeconds: Spread;
  zeroOverTwoIntervals: number;
  lostLease: boolean;
  leaseAttemptFailures: number;
  /** Longest gap between two successful lease writes (renewals), seconds. */
  maxLeaseRenewGapSeconds: number;
  hang?: {
    name: string;
    state: 'promoted' | 'aborted' | 'in analysis' | 'before analysis';
    /** Seconds spent in its analysis step (so far, if still there). */
    analysisSeconds: number;
    othersAnalysisP50Seconds: number;
  };
  /** Longest time from a failed reconcile (or failed action) to the next read of that object. */
  maxRetryDelaySeconds: number;
  retries: number;
  failuresByCode: Record<string, number>;
  maxInformerBackoffSeconds: number;
  api: {
    requests: number;
    watchConnects: number;
    /** Mean over the release window. */
    perSecond: number;
    peakPerSecond: number;
    /** Rollout reads (one per reconcile) in the window, and requests per such read. */
    rolloutReads: number;
    requestsPerRolloutRead: number;
  };
  /** null: the first pass had not ended when the release went ahead. */
  startupPassSeconds: number | null;
  setupSeconds: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
}

export function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    s.length === 0 ? 0 : (s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? 0);
  return {
    count: s.length,
    p50: round(at(0.5)),
    p99: round(at(0.99)),
    max: round(s[s.length - 1] ?? 0),
  };
}

const round = (x: number): number => Math.round(x * 100) / 100;

/** When each transition was due, given when the one before it happened. */
function plannedAt(step: StepName, m: Milestones, o: PhaseOptions): number | undefined {
  switch (step) {
    case 'setWeight10':
      return m.releasedAt + o.readyAfterMs;
    case 'pauseEnd':
      return m.pauseAt === undefined ? undefined : m.pauseAt + o.pauseMs;
    case 'analysisEnd':
      return m.analysisAt === undefined ? undefined : m.analysisAt + o.promDelayMs;
    case 'setWeight50':
      return m.afterAnalysisAt;
    case 'promoted':
      return m.weight50At === undefined ? undefined : m.weight50At + o.readyAfterMs;
    default: {
      const never: never = step;
      throw new Error(`unknown step ${String(never)}`);
    }
  }
}

function actualAt(step: StepName, m: Milestones): number | undefined {
  const byStep: Record<StepName, number | undefined> = {
    setWeight10: m.weight10At,
    pauseEnd: m.analysisAt,
    analysisEnd: m.afterAnalysisAt,
    setWeight50: m.weight50At,
    promoted: m.promotedAt,
  };
  return byStep[step];
}

function retryDelays(r: PhaseResult): number[] {
  const readsOf = new Map<string, number[]>();
  for (const q of r.requests) {
    if (q.method !== 'GET' || q.watch) continue;
    const path = q.path.split('?')[0] ?? q.path;
    const list = readsOf.get(path) ?? [];
    list.push(q.at);
    readsOf.set(path, list);
  }
  const out: number[] = [];
  for (const line of r.logs) {
    let path: string | undefined;
    if (line.message === 'reconcile failed; will retry' && typeof line['key'] === 'string') {
      const [kind, ns, name] = line['key'].split('/');
      const plural = kind === 'run' ? 'analysisruns' : 'rollouts';
      path = `/apis/sluice.dev/v1alpha1/namespaces/${ns}/${plural}/${name}`;
    } else if (line.message === 'action failed') {
      path = `/apis/sluice.dev/v1alpha1/namespaces/${String(line['namespace'])}/rollouts/${String(line['rollout'])}`;
    }
    if (!path) continue;
    const next = readsOf.get(path)?.find((t) => t > line.at);
    out.push(((next ?? r.endedAt) - line.at) / 1000);
  }
  return out;
}

function apiFigures(r: PhaseResult): PhaseFigures['api'] {
  const inWindow = r.requests.filter((q) => q.at >= r.releasedAt && q.at <= r.endedAt);
  const perSecond = new Map<number, number>();
  for (const q of inWindow) {
    const s = Math.floor((q.at - r.releasedAt) / 1000);
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  }
  const seconds = Math.max(1, (r.endedAt - r.releasedAt) / 1000);
  const rolloutReads = inWindow.filter(
    (q) => q.method === 'GET' && !q.watch && /\/rollouts\/[^/?]+(\?|$)/.test(q.path),
  ).length;
  return {
    requests: inWindow.length,
    watchConnects: r.requests.filter((q) => q.watch).length,
    perSecond: round(inWindow.length / seconds),
    peakPerSecond: Math.max(0, ...perSecond.values()),
    rolloutReads,
    requestsPerRolloutRead: round(inWindow.length / Math.max(1, rolloutReads)),
  };
}

function leaseRenewGap(r: PhaseResult): number {
  const writes = r.requests
    .filter((q) => q.method === 'PUT' && q.path.includes('/leases/') && q.at >= r.leaderAt)
    .map((q) => q.at);
  writes.push(r.endedAt);
  let max = 0;
  for (let i = 1; i < writes.length; i++)
    max = Math.max(max, (writes[i] ?? 0) - (writes[i - 1] ?? 0));
  return round(max / 1000);
}

function hangFigures(r: PhaseResult, others: Tracked[]): PhaseFigures['hang'] {
  const t = r.tracked.find((x) => x.name === r.hangName);
  if (!t || !r.hangName) return undefined;
  const m = t.m;
  const state = m.promotedAt
    ? 'promoted'
    : m.abortedAt
      ? 'aborted'
      : m.analysisAt
        ? 'in analysis'
        : 'before analysis';
  const left = m.afterAnalysisAt ?? m.abortedAt ?? r.endedAt;
  const analysis = (m: Milestones): number | undefined =>
    m.analysisAt && m.afterAnalysisAt ? (m.afterAnalysisAt - m.analysisAt) / 1000 : undefined;
  const theirs = others.map((o) => analysis(o.m)).filter((x): x is number => x !== undefined);
  return {
    name: r.hangName,
    state,
    analysisSeconds: round(m.analysisAt ? (left - m.analysisAt) / 1000 : 0),
    othersAnalysisP50Seconds: spread(theirs).p50,
  };
}

const count = (logs: LogLine[], message: string): number =>
  logs.filter((l) => l.message === message).length;

export function phaseFigures(r: PhaseResult, o: PhaseOptions): PhaseFigures {
  const others = r.tracked.filter((t) => t.name !== r.hangName);
  const all: number[] = [];
  let notReached = 0;
  const byStep = {} as Record<StepName, Spread>;
  for (const step of STEPS) {
    const values: number[] = [];
    for (const t of others) {
      if (t.m.abortedAt !== undefined) continue;
      const plan = plannedAt(step, t.m, o);
      if (plan === undefined) continue;
      const actual = actualAt(step, t.m);
      if (actual === undefined) notReached++;
      values.push(Math.max(0, ((actual ?? r.endedAt) - plan) / 1000));
    }
    byStep[step] = spread(values);
    all.push(...values);
  }
  const zero = others.map((t) => ((t.m.weight10At ?? r.endedAt) - t.m.releasedAt) / 1000);
  const failuresByCode: Record<string, number> = {};
  for (const l of r.logs.filter((x) => x.message === 'reconcile failed; will retry')) {
    const code = String(l['code']);
    failuresByCode[code] = (failuresByCode[code] ?? 0) + 1;
  }
  failuresByCode['actionFailed'] = count(r.logs, 'action failed');
  const delays = retryDelays(r);
  const informerBackoffs = r.logs
    .filter((l) => l.message === 'watch interrupted; retrying')
    .map((l) => Number(l['backoffMs']) / 1000);
  return {
    rollouts: r.plans.length,
    progressing: r.tracked.length,
    promoted: r.tracked.filter((t) => t.m.promotedAt !== undefined).length,
    aborted: r.tracked.filter((t) => t.m.abortedAt !== undefined).length,
    unfinished: others.filter((t) => t.m.promotedAt === undefined && t.m.abortedAt === undefined)
      .length,
    lateness: spread(all),
    latenessByStep: byStep,
    notReached,
    zeroSeconds: spread(zero),
    zeroOverTwoIntervals: zero.filter((z) => z > (2 * o.intervalMs) / 1000).length,
    lostLease:
      r.notLeadingSamples > 0 ||
      count(r.logs, 'lost leadership') > 0 ||
      count(r.logs, 'lease not renewed within the deadline; stepping down') > 0,
    leaseAttemptFailures: count(r.logs, 'lease attempt failed'),
    maxLeaseRenewGapSeconds: leaseRenewGap(r),
    hang: hangFigures(r, others),
    maxRetryDelaySeconds: round(Math.max(0, ...delays)),
    retries: delays.length,
    failuresByCode,
    maxInformerBackoffSeconds: round(Math.max(0, ...informerBackoffs)),
    api: apiFigures(r),
    startupPassSeconds: r.startupPassMs === undefined ? null : round(r.startupPassMs / 1000),
    setupSeconds: round(r.setupMs / 1000),
    eventLoopP99Ms: round(r.eventLoopP99Ms),
    eventLoopMaxMs: round(r.eventLoopMaxMs),
  };
}
