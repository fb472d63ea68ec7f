import { phaseFigures, type PhaseFigures } from './figures.js';
import { runPhase, type PhaseOptions } from './phase.js';

// The S32 benchmark: a baseline run (one rollout, nothing else) and the load run, in the same
// process and with the same settings, so the load figures read as ratios to the baseline.

export interface ScaleOptions {
  rollouts: number;
  namespaces: number;
  progressing: number;
  quick: boolean;
  kubeQps: number;
  /** Shorter timings still (the mocha test). */
  timings?: Partial<ReturnType<typeof timings>> | undefined;
  say?: (line: string) => void;
}

export interface ScaleReport {
  settings: Omit<PhaseOptions, 'say' | 'rollouts' | 'namespaces' | 'progressing' | 'hang'> & {
    rollouts: number;
    namespaces: number;
    progressing: number;
    quick: boolean;
  };
  baseline: PhaseFigures;
  load: PhaseFigures;
  /** S32's targets, each met or not. */
  targets: Array<{ target: string; met: boolean; measured: string }>;
}

export function timings(
  quick: boolean,
): Omit<PhaseOptions, 'rollouts' | 'namespaces' | 'progressing' | 'hang' | 'kubeQps'> {
  return quick
    ? {
        pauseMs: 10_000,
        intervalMs: 5_000,
        queryTimeoutMs: 5_000,
        promDelayMs: 200,
        readyAfterMs: 1000,
        deadlineMs: 120_000,
        startupWaitMs: 20_000,
      }
    : {
        pauseMs: 60_000,
        intervalMs: 30_000,
        queryTimeoutMs: 10_000,
        promDelayMs: 200,
        readyAfterMs: 2000,
        deadlineMs: 600_000,
        startupWaitMs: 120_000,
      };
}

export async function runScaleBenchmark(o: ScaleOptions): Promise<ScaleReport> {
  const base = { ...timings(o.quick), ...o.timings, kubeQps: o.kubeQps };
  const say = o.say ?? (() => undefined);
  say('baseline: 1 rollout, nothing else');
  const baselineOpts: PhaseOptions = {
    ...base,
    rollouts: 1,
    namespaces: 1,
    progressing: 1,
    hang: false,
    say,
  };
  const baseline = phaseFigures(await runPhase(baselineOpts), baselineOpts);
  say(`load: ${o.rollouts} rollouts in ${o.namespaces} namespaces, ${o.progressing} progressing`);
  const loadOpts: PhaseOptions = {
    ...base,
    rollouts: o.rollouts,
    namespaces: o.namespaces,
    progressing: o.progressing,
    hang: o.progressing > 1,
    say,
  };
  const load = phaseFigures(await runPhase(loadOpts), loadOpts);
  return {
    settings: {
      ...base,
      rollouts: o.rollouts,
      namespaces: o.namespaces,
      progressing: o.progressing,
      quick: o.quick,
    },
    baseline,
    load,
    targets: targets(load, base.intervalMs),
  };
}

function targets(load: PhaseFigures, intervalMs: number): ScaleReport['targets'] {
  const others = load.hang?.othersAnalysisP50Seconds ?? 0;
  return [
    {
      target: 'step transitions within 15 s of plan (p99)',
      met: load.lateness.p99 <= 15 && load.unfinished === 0,
      measured: `p99 ${load.lateness.p99} s, max ${load.lateness.max} s, ${load.unfinished} unfinished`,
    },
    {
      target: 'no rollout at 0% longer than two intervals',
      met: load.zeroOverTwoIntervals === 0,
      measured: `max ${load.zeroSeconds.max} s (limit ${(2 * intervalMs) / 1000} s), ${load.zeroOverTwoIntervals} over`,
    },
    {
      target: 'the leader never loses its lease',
      met: !load.lostLease,
      measured: `${load.lostLease ? 'lost' : 'kept'}; longest renew gap ${load.maxLeaseRenewGapSeconds} s, ${load.leaseAttemptFailures} failed attempts`,
    },
    {
      target: 'the hanging query delays only its own rollout',
      met: load.hang !== undefined && load.latenessByStep.analysisEnd.p99 <= 15,
      measured: load.hang
        ? `hanging rollout ${load.hang.state}, ${load.hang.analysisSeconds} s in analysis; others ${others} s (p50), analysis-end lateness p99 ${load.latenessByStep.analysisEnd.p99} s`
        : 'no hanging rollout in this run',
    },
    {
      target: 'retry backoff never above 10 s',
      met: load.maxRetryDelaySeconds <= 10 && load.maxInformerBackoffSeconds <= 10,
      measured: `longest failure-to-retry ${load.maxRetryDelaySeconds} s over ${load.retries} retries; informer backoff max ${load.maxInformerBackoffSeconds} s`,
    },
  ];
}
