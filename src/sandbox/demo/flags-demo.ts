import { readFile } from 'node:fs/promises';
import type { KubernetesObject } from '@kubernetes/client-node';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { flagPortFor } from '../../controller/flags.js';
import { startRuntime, type Runtime } from '../../controller/runtime.js';
import type { Rollout } from '../../domain/types.js';
import type { Logger } from '../../logging.js';
import { startLoad, type RunningLoad } from '../load.js';
import { applyDemoApp, RELEASES, timestamped, type DemoOptions } from './demo.js';
import { DEMO_FLAG, startDemoFlags, type DemoFlags } from './flags-unleash.js';
import { progressPrinter } from './progress.js';
import { REPO_ROOT, startStack, type Stack } from './stack.js';
import {
  canaryWeight,
  NS,
  releaseSummary,
  rollout,
  sleep,
  trackRelease,
  waitFor,
  type Release,
  type RolloutSummary,
} from './track.js';

// `npm run demo -- --with-flags`: the canary demo with an Unleash flag linked to the Rollout.
// The flag starts at 0% and follows the canary weight; on promotion it goes to 100%, on the
// bad release's rollback back to what it was. At every step the demo measures the share of
// simulated users who see the feature (their own unleash-client evaluations) and prints it
// next to the canary weight.

export interface FlagExposure {
  /**
   * The 1-based step at which the canary weight took this value; 'promoted' / 'rolledBack' for
   * the measurement once the flag's final write had reached the users' client.
   */
  step: number | 'promoted' | 'rolledBack';
  canaryWeight: number;
  exposedPercent: number;
}

export interface FlagRolloutSummary extends RolloutSummary {
  flagExposure: FlagExposure[];
  /** The flag's rollout percentage in Unleash when the rollout ended. */
  flagAfter: number | null;
}

export interface FlagsDemoResult {
  rollouts: FlagRolloutSummary[];
  ok: boolean;
}

export async function runFlagsDemo(o: DemoOptions): Promise<FlagsDemoResult> {
  const print = timestamped(o.print);
  print('starting PostgreSQL and unleash-server, and creating the flag at 0%');
  const flags = await startDemoFlags({
    logger: o.logger,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  try {
    print(`flag ${DEMO_FLAG} in Unleash at ${flags.unleash.url}: on, flexibleRollout 0%`);
    print(
      'starting the sandbox: API server, pod simulator, weighted proxy, Prometheus, controller',
    );
    const stack = await startStack({ logger: o.logger, controller: false });
    try {
      const runtime = await startFlagsController(stack, flags, o.logger);
      let load: RunningLoad | undefined;
      try {
        await applyDemoApp(stack);
        await applyRolloutWithFlag(stack);
        print(`applied the Rollout ${NS}/shop with spec.featureFlags: ${DEMO_FLAG} (followWeight)`);
        load = startLoad({ url: stack.proxy.url, rps: 40, maxDurationMs: 10 * 60_000 });
        await waitFor(() => rollout(stack)?.status?.phase === 'Healthy', 60_000, 'initializing');
        print('initialized: shop-primary serves v1');
        const rollouts: FlagRolloutSummary[] = [];
        for (const [i, release] of RELEASES.entries()) {
          if (i > 0) {
            await flags.resetToZero();
            await flags.settle();
            print(`the next feature ships dark: ${DEMO_FLAG} set back to 0% by a developer`);
          }
          rollouts.push(
            await runRelease(stack, flags, release, print, o.releaseTimeoutMs ?? 150_000, o.signal),
          );
        }
        return { rollouts, ok: rollouts.every((r, i) => checkRelease(r, RELEASES[i])) };
      } finally {
        await load?.stop();
        await runtime.stop();
      }
    } finally {
      await stack.stop();
    }
  } finally {
    await flags.stop();
  }
}

/** The outcome is the expected one and the flag ended where the design says. */
function checkRelease(r: FlagRolloutSummary, release: Release | undefined): boolean {
  if (!release || r.outcome !== release.expect) return false;
  return r.flagAfter === (r.outcome === 'Promoted' ? 100 : 0);
}

/**
 * The controller on a stack started with `controller: false`, given a FlagPort over the demo's
 * Unleash; set as `stack.runtime`. The caller stops it (stack.stop() does not).
 */
export async function startFlagsController(
  stack: Stack,
  flags: DemoFlags,
  logger: Logger,
): Promise<Runtime> {
  const runtime = await startRuntime({
    kubeConfig: stack.kubeConfig,
    logger,
    prometheusUrl: stack.prometheus.url,
    resyncMs: 5_000,
    flags: flagPortFor(flags.admin, {
      project: flags.ref.project,
      environment: flags.ref.environment,
    }),
  });
  stack.runtime = runtime;
  return runtime;
}

/** examples/demo/rollout.yaml with spec.featureFlags linking the demo's flag. */
export async function applyRolloutWithFlag(stack: Stack): Promise<void> {
  const text = await readFile(resolve(REPO_ROOT, 'examples/demo/rollout.yaml'), 'utf8');
  const r = parseYaml(text) as Rollout & KubernetesObject;
  r.spec.featureFlags = [{ name: DEMO_FLAG, mode: 'followWeight', finalPercent: 100 }];
  await stack.applyObject(r);
}

async function runRelease(
  stack: Stack,
  flags: DemoFlags,
  release: Release,
  print: (line: string) => void,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<FlagRolloutSummary> {
  const exposure: FlagExposure[] = [];
  const printStep = (e: FlagExposure | undefined): void => {
    if (e)
      print(
        `  ${stepLabel(e)}: canary weight ${e.canaryWeight}% | users seeing the feature ${e.exposedPercent}%`,
      );
  };
  const printProgress = progressPrinter(print);
  const t = await trackRelease(stack, release, {
    timeoutMs,
    signal,
    onReleased: () =>
      print(
        `released ${release.version}${release.expect === 'RolledBack' ? ' (bad: fails 20%)' : ''}`,
      ),
    onPoll: (p) => {
      const { status, weight } = p;
      if (p.mine && (status.phase === 'Progressing' || status.phase === 'Paused')) {
        const step = (status.currentStepIndex ?? 0) + 1;
        const last = exposure.at(-1);
        const now = { step, canaryWeight: weight, exposedPercent: flags.exposedPercent() };
        // One entry per canary weight, named by the step that set it; its exposure is the last
        // one measured while that weight held (the flag is written just after the route, and
        // the users' client needs a refresh to see it, so the first moments would understate).
        if (last && last.canaryWeight === weight) last.exposedPercent = now.exposedPercent;
        else {
          printStep(last);
          exposure.push(now);
        }
      }
      printProgress(p);
    },
  });
  const promoted = t.outcome === 'Promoted';
  printStep(exposure.at(-1));
  const flagAfter = await settleFlag(stack, flags, promoted ? 100 : 0);
  const end: FlagExposure = {
    step: promoted ? 'promoted' : 'rolledBack',
    canaryWeight: canaryWeight(stack),
    exposedPercent: flags.exposedPercent(),
  };
  exposure.push(end);
  printStep(end);
  print(`  flag ${DEMO_FLAG} now at ${flagAfter ?? '?'}% in Unleash`);
  return { ...releaseSummary(release, t), flagExposure: exposure, flagAfter: flagAfter ?? null };
}

/** Waits (up to 20 s) for the controller's final flag write and the users' client to see it. */
async function settleFlag(
  stack: Stack,
  flags: DemoFlags,
  expected: number,
): Promise<number | undefined> {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    const pending = rollout(stack)?.status?.flagsRestorePending === true;
    if (!pending && (await flags.rolloutPercent()) === expected) break;
    await sleep(250);
  }
  return flags.settle();
}

function stepLabel(e: FlagExposure): string {
  if (e.step === 'promoted') return 'promoted';
  if (e.step === 'rolledBack') return 'rolled back';
  return `step ${e.step}`;
}
