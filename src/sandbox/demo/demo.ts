import type { Logger } from '../../logging.js';
import { startLoad, type RunningLoad } from '../load.js';
import { startStack, type Stack } from './stack.js';
import { progressPrinter } from './progress.js';
import {
  NAME,
  NS,
  releaseSummary,
  rollout,
  trackRelease,
  waitFor,
  type Release,
  type RolloutSummary,
} from './track.js';

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
    await applyDemoApp(stack);
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
        releaseSummary(
          release,
          await trackRelease(stack, release, {
            timeoutMs: o.releaseTimeoutMs ?? 150_000,
            signal: o.signal,
            onReleased: () => print(releasedLine(release)),
            onPoll: progressPrinter(print),
          }),
        ),
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

/** The demo namespace, the analysis templates, the app's Deployment and its VirtualService. */
export async function applyDemoApp(stack: Stack): Promise<void> {
  await stack.applyObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await stack.apply('analysis-templates');
  await stack.apply('examples/demo/analysis.yaml');
  await stack.apply('examples/deployment.yaml');
  await stack.apply('examples/virtualservice.yaml');
}

/** "released v3 (fails 20% of requests)": the line the canary and blue-green demos print. */
export function releasedLine(release: Release): string {
  const failRate = release.env.FAIL_RATE;
  return `released ${release.version}${failRate !== '0' ? ` (fails ${Number(failRate) * 100}% of requests)` : ''}`;
}
