import type { V1Deployment } from '@kubernetes/client-node';
import type { AnalysisRun, Rollout } from '../../domain/types.js';
import type { Logger } from '../../logging.js';
import { startLoad, type RunningLoad } from '../load.js';
import { startStack, type Stack } from './stack.js';
import { describeProgress } from './progress.js';

export interface RolloutSummary {
  name: string;
  revision: string;
  outcome: 'Promoted' | 'RolledBack';
  stepsCompleted: number;
  maxCanaryWeight: number;
  rollbackReason: string | null;
  rollbackSeconds: number | null;
  durationSeconds: number;
}

export interface DemoResult {
  rollouts: RolloutSummary[];
  ok: boolean;
}

export interface DemoOptions {
  logger: Logger;
  /** Readable progress lines. */
  print: (line: string) => void;
  /** Per release. Default 150 s. */
  releaseTimeoutMs?: number;
  /** Aborting stops the demo; everything it started is stopped before runDemo returns. */
  signal?: AbortSignal;
}

export const NS = 'demo';
export const NAME = 'shop';
export const POLL_MS = 100;

export interface Release {
  version: string;
  env: Record<string, string>;
  expect: RolloutSummary['outcome'];
}

/** The two releases every demo makes: a healthy one and one that fails 20% of requests. */
export const RELEASES: Release[] = [
  { version: 'v2', env: { VERSION: 'v2', FAIL_RATE: '0' }, expect: 'Promoted' },
  { version: 'v3', env: { VERSION: 'v3', FAIL_RATE: '0.2' }, expect: 'RolledBack' },
];

/** Prefixes each line with the seconds since the demo started. */
export function timestamped(print: (line: string) => void): (line: string) => void {
  const t0 = Date.now();
  return (line) => print(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}`);
}

/** Runs the demo: a healthy release promoted, a bad one rolled back, under steady real traffic. */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const print = timestamped(o.print);
  print('starting the sandbox: API server, pod simulator, weighted proxy, Prometheus, controller');
  const stack = await startStack({ logger: o.logger });
  let load: RunningLoad | undefined;
  try {
    await stack.applyObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await stack.apply('analysis-templates');
    await stack.apply('examples/demo/analysis.yaml');
    await stack.apply('examples/deployment.yaml');
    await stack.apply('examples/virtualservice.yaml');
    await stack.apply('examples/demo/rollout.yaml');
    print(
      `applied the Rollout ${NS}/${NAME}, its Deployment, VirtualService and analysis templates`,
    );
    load = startLoad({ url: stack.proxy.url, rps: 40, maxDurationMs: 10 * 60_000 });
    print(`sending steady traffic: 40 requests/s through the proxy at ${stack.proxy.url}`);
    await waitFor(
      () => rollout(stack)?.status?.phase === 'Healthy',
      60_000,
      'the Rollout to initialize',
    );
    print(`initialized: ${NAME}-primary serves the stable version v1`);
    const rollouts: RolloutSummary[] = [];
    for (const release of RELEASES) {
      rollouts.push(
        await runRelease(stack, release, print, o.releaseTimeoutMs ?? 150_000, o.signal),
      );
    }
    const ok = rollouts.every((r, i) => r.outcome === RELEASES[i]?.expect);
    const stats = load.stats();
    print(
      `traffic: ${stats.total} requests, ${stats.failures} failed (the bad release's share while it had traffic)`,
    );
    return { rollouts, ok };
  } finally {
    await load?.stop();
    await stack.stop();
  }
}

export function rollout(stack: Stack): Rollout | undefined {
  return stack.api.store.get('rollouts', NS, NAME) as Rollout | undefined;
}

export function canaryWeight(stack: Stack): number {
  const vs = stack.api.store.get('virtualservices', NS, NAME) as
    | {
        spec?: {
          http?: Array<{
            name?: string;
            route?: Array<{ destination?: { host?: string }; weight?: number }>;
          }>;
        };
      }
    | undefined;
  const route = vs?.spec?.http?.find((r) => r.name === 'primary');
  return route?.route?.find((d) => d.destination?.host?.startsWith(`${NAME}-canary`))?.weight ?? 0;
}

async function runRelease(
  stack: Stack,
  release: Release,
  print: (line: string) => void,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<RolloutSummary> {
  const started = Date.now();
  const before = rollout(stack)?.status?.stableRevision;
  await setEnv(stack, release.env);
  print(
    `released ${release.version}${release.env.FAIL_RATE !== '0' ? ` (fails ${Number(release.env.FAIL_RATE) * 100}% of requests)` : ''}`,
  );
  let revision = '';
  let maxWeight = 0;
  let stepsCompleted = 0;
  let firstFailureAt: number | undefined;
  let backToStableAt: number | undefined;
  let lastLine = '';
  for (;;) {
    signal?.throwIfAborted();
    if (Date.now() - started > timeoutMs)
      throw new Error(`release ${release.version} did not finish within ${timeoutMs / 1000}s`);
    const r = rollout(stack);
    const status = r?.status ?? {};
    if (status.canaryRevision && status.canaryRevision !== before) revision = status.canaryRevision;
    const weight = canaryWeight(stack);
    maxWeight = Math.max(maxWeight, weight);
    if (revision && status.canaryRevision === revision)
      stepsCompleted = Math.max(stepsCompleted, status.currentStepIndex ?? 0);
    firstFailureAt ??= firstFailure(stack, revision);
    if (firstFailureAt !== undefined && backToStableAt === undefined && weight === 0)
      backToStableAt = Date.now();
    const line = describeProgress(r, weight);
    if (line !== lastLine) {
      print(line);
      lastLine = line;
    }
    if (revision && status.phase === 'Healthy' && status.stableRevision === revision) {
      return summary(release, revision, 'Promoted', stepsCompleted, maxWeight, null, null, started);
    }
    if (revision && status.phase === 'Aborted') {
      const rollbackSeconds =
        firstFailureAt !== undefined && backToStableAt !== undefined
          ? (backToStableAt - firstFailureAt) / 1000
          : null;
      return summary(
        release,
        revision,
        'RolledBack',
        stepsCompleted,
        maxWeight,
        status.message ?? null,
        rollbackSeconds,
        started,
      );
    }
    await sleep(POLL_MS);
  }
}

function summary(
  release: Release,
  revision: string,
  outcome: RolloutSummary['outcome'],
  stepsCompleted: number,
  maxCanaryWeight: number,
  rollbackReason: string | null,
  rollbackSeconds: number | null,
  started: number,
): RolloutSummary {
  return {
    name: `${NAME} ${release.version}`,
    revision,
    outcome,
    stepsCompleted,
    maxCanaryWeight,
    rollbackReason,
    rollbackSeconds: rollbackSeconds === null ? null : Math.round(rollbackSeconds * 1000) / 1000,
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

/** When the first Failed measurement of this revision's analysis was taken (epoch ms). */
export function firstFailure(stack: Stack, revision: string): number | undefined {
  if (!revision) return undefined;
  let first: number | undefined;
  for (const run of stack.api.store.list('analysisruns', NS) as unknown as AnalysisRun[]) {
    if (run.spec.revision !== revision) continue;
    for (const m of run.status?.metricResults ?? []) {
      for (const x of m.measurements) {
        if (x.phase !== 'Failed') continue;
        const at = Date.parse(x.finishedAt);
        first = first === undefined ? at : Math.min(first, at);
      }
    }
  }
  return first;
}

export async function setEnv(stack: Stack, env: Record<string, string>): Promise<void> {
  const deployments = stack.runtime?.resources.deployments;
  if (!deployments) throw new Error('the controller is not running');
  for (let attempt = 0; ; attempt++) {
    const dep: V1Deployment = await deployments.get({ namespace: NS, name: NAME });
    const container = dep.spec?.template.spec?.containers[0];
    if (!container) throw new Error(`Deployment ${NS}/${NAME} has no container`);
    const rest = (container.env ?? []).filter((e) => !(e.name in env));
    container.env = [...rest, ...Object.entries(env).map(([name, value]) => ({ name, value }))];
    try {
      await deployments.update(dep);
      return;
    } catch (err) {
      if (attempt > 5) throw err;
    }
  }
}

export async function waitFor(
  cond: () => boolean,
  timeoutMs: number,
  what: string,
  signal?: AbortSignal,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    signal?.throwIfAborted();
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
