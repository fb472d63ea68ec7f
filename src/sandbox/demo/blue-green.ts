import type { Rollout } from '../../domain/types.js';
import { startLoad, type RunningLoad } from '../load.js';
import {
  canaryWeight,
  firstFailure,
  rollout,
  setEnv,
  sleep,
  waitFor,
  type DemoOptions,
  type RolloutSummary,
  NS,
  POLL_MS,
  RELEASES,
  timestamped,
  type Release,
  NAME,
} from './demo.js';
import { startStack, type Stack } from './stack.js';

// `npm run demo -- --strategy blue-green`: a healthy release switched under live load, then a
// release whose post-promotion analysis fails and is switched back. The load generator counts
// every failed request in each switch window (switch start → new weights read back + 5 s).

export interface BlueGreenSummary extends RolloutSummary {
  failedRequestsDuringSwitch: number | null;
  requestsDuringSwitch: number | null;
}

export interface BlueGreenDemoResult {
  rollouts: BlueGreenSummary[];
  ok: boolean;
}

const SWITCH_TAIL_MS = 5_000;

export async function runBlueGreenDemo(o: DemoOptions): Promise<BlueGreenDemoResult> {
  const print = timestamped(o.print);
  print('starting the sandbox: API server, pod simulator, weighted proxy, Prometheus, controller');
  const stack = await startStack({ logger: o.logger });
  const loads: RunningLoad[] = [];
  try {
    await stack.applyObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await stack.apply('analysis-templates');
    await stack.apply('examples/demo/analysis.yaml');
    await stack.apply('examples/deployment.yaml');
    await stack.apply('examples/virtualservice.yaml');
    await stack.apply('examples/demo/blue-green-rollout.yaml');
    print(`applied the blue-green Rollout ${NS}/${NAME}, its Deployment and VirtualService`);
    const load = startLoad({ url: stack.proxy.url, rps: 40, maxDurationMs: 10 * 60_000 });
    loads.push(load);
    loads.push(
      startLoad({
        url: stack.proxy.url,
        rps: 10,
        headers: { 'x-sluice-preview': 'true' },
        maxDurationMs: 10 * 60_000,
      }),
    );
    print('sending traffic: 40 requests/s to shop, 10 requests/s with x-sluice-preview: true');
    await waitFor(() => rollout(stack)?.status?.phase === 'Healthy', 60_000, 'initialization');
    print(`initialized: ${NAME}-primary serves the stable version v1`);
    const rollouts: BlueGreenSummary[] = [];
    for (const release of RELEASES) rollouts.push(await runRelease(stack, load, release, print, o));
    const ok = rollouts.every(
      (r, i) =>
        r.outcome === RELEASES[i]?.expect &&
        (r.outcome !== 'Promoted' || r.failedRequestsDuringSwitch === 0),
    );
    return { rollouts, ok };
  } finally {
    for (const l of loads) await l.stop();
    await stack.stop();
  }
}

async function runRelease(
  stack: Stack,
  load: RunningLoad,
  release: Release,
  print: (line: string) => void,
  o: DemoOptions,
): Promise<BlueGreenSummary> {
  const started = Date.now();
  const timeoutMs = o.releaseTimeoutMs ?? 150_000;
  const before = rollout(stack)?.status?.stableRevision;
  await setEnv(stack, release.env);
  const failing = release.env.FAIL_RATE !== '0';
  print(
    `released ${release.version}${failing ? ` (fails ${Number(release.env.FAIL_RATE) * 100}% of requests)` : ''}`,
  );
  let revision = '';
  let maxWeight = 0;
  let steps = 0;
  let switchStart: number | undefined;
  let switchSeen: number | undefined;
  let backAt: number | undefined;
  const told = new Set<string>();
  for (;;) {
    o.signal?.throwIfAborted();
    if (Date.now() - started > timeoutMs)
      throw new Error(`release ${release.version} did not finish within ${timeoutMs / 1000}s`);
    const r = rollout(stack);
    const s = r?.status ?? {};
    if (s.canaryRevision && s.canaryRevision !== before) revision = s.canaryRevision;
    const weight = canaryWeight(stack);
    maxWeight = Math.max(maxWeight, weight);
    if (revision && s.canaryRevision === revision) steps = Math.max(steps, s.currentStepIndex ?? 0);
    for (const line of newEvents(r, started, told)) print(line);
    const switchedEntry = s.history?.find(
      (e) => e.event === 'TrafficSwitched' && Date.parse(e.at) >= started - 1000,
    );
    if (switchedEntry && switchStart === undefined) switchStart = Date.parse(switchedEntry.at);
    if (weight === 100 && switchSeen === undefined) switchSeen = Date.now();
    if (switchSeen !== undefined && weight === 0 && backAt === undefined) backAt = Date.now();
    const done =
      revision &&
      ((s.phase === 'Healthy' && s.stableRevision === revision) || s.phase === 'Aborted');
    if (done) {
      const outcome = s.phase === 'Healthy' ? 'Promoted' : 'RolledBack';
      const window = await switchWindow(load, switchStart, switchSeen);
      if (window)
        print(
          `switch window (${((window.to - window.from) / 1000).toFixed(1)}s): ${window.failed} failed of ${window.total} requests`,
        );
      const failedAt = firstFailure(stack, revision);
      return {
        name: `${NAME} ${release.version}`,
        revision,
        outcome,
        stepsCompleted: steps,
        maxCanaryWeight: maxWeight,
        rollbackReason: outcome === 'RolledBack' ? (s.message ?? null) : null,
        rollbackSeconds:
          outcome === 'RolledBack' && failedAt !== undefined && backAt !== undefined
            ? Math.round(backAt - failedAt) / 1000
            : null,
        durationSeconds: Math.round((Date.now() - started) / 100) / 10,
        failedRequestsDuringSwitch: window?.failed ?? null,
        requestsDuringSwitch: window?.total ?? null,
      };
    }
    await sleep(POLL_MS);
  }
}

/** From the switch decision to the new weights seen, plus 5 s; waits for the tail to pass. */
async function switchWindow(
  load: RunningLoad,
  start: number | undefined,
  seen: number | undefined,
): Promise<{ from: number; to: number; failed: number; total: number } | undefined> {
  if (start === undefined || seen === undefined) return undefined;
  const to = seen + SWITCH_TAIL_MS;
  // Requests sent just before `to` need time to come back.
  const wait = to + 1_000 - Date.now();
  if (wait > 0) await sleep(wait);
  const stats = load.window(start, to);
  return { from: start, to, failed: stats.failures + stats.skipped, total: stats.total };
}

/** Readable lines for the rollout's new history entries, with measured values when relevant. */
function newEvents(r: Rollout | undefined, since: number, told: Set<string>): string[] {
  const out: string[] = [];
  for (const e of r?.status?.history ?? []) {
    const key = `${e.at}|${e.event}|${e.message ?? ''}`;
    if (Date.parse(e.at) < since || told.has(key)) continue;
    told.add(key);
    const measured =
      e.event === 'AnalysisSuccessful' || e.event === 'AnalysisFailed'
        ? measurements(r?.status?.lastMeasurements ?? [])
        : '';
    out.push(`${e.event}: ${e.message ?? ''}${measured ? ` [${measured}]` : ''}`);
  }
  return out;
}

function measurements(list: NonNullable<Rollout['status']>['lastMeasurements'] & object): string {
  return list
    .map((m) => {
      const v = m.value?.[0];
      const shown = v === undefined ? 'n/a' : Number(v.toFixed(4)).toString();
      return `${m.metric}=${shown} ${m.phase}${m.condition ? ` (${m.condition})` : ''}`;
    })
    .join(', ');
}
