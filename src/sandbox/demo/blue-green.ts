import type { Rollout } from '../../domain/types.js';
import { startLoad, type RunningLoad } from '../load.js';
import { applyDemoApp, RELEASES, releasedLine, timestamped, type DemoOptions } from './demo.js';
import { startStack, type Stack } from './stack.js';
import {
  firstFailure,
  NAME,
  NS,
  releaseSummary,
  rollout,
  sleep,
  trackRelease,
  waitFor,
  type Release,
  type RolloutSummary,
} from './track.js';

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
    await applyDemoApp(stack);
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
  let switchStart: number | undefined;
  let switchSeen: number | undefined;
  let backAt: number | undefined;
  const told = new Set<string>();
  const t = await trackRelease(stack, release, {
    timeoutMs: o.releaseTimeoutMs ?? 150_000,
    signal: o.signal,
    onReleased: () => print(releasedLine(release)),
    onPoll: ({ rollout: r, status: s, weight, started }) => {
      for (const line of newEvents(r, started, told)) print(line);
      const switchedEntry = s.history?.find(
        (e) => e.event === 'TrafficSwitched' && Date.parse(e.at) >= started - 1000,
      );
      if (switchedEntry && switchStart === undefined) switchStart = Date.parse(switchedEntry.at);
      if (weight === 100 && switchSeen === undefined) switchSeen = Date.now();
      if (switchSeen !== undefined && weight === 0 && backAt === undefined) backAt = Date.now();
    },
  });
  const window = await switchWindow(load, switchStart, switchSeen);
  if (window)
    print(
      `switch window (${((window.to - window.from) / 1000).toFixed(1)}s): ${window.failed} failed of ${window.total} requests`,
    );
  // Blue-green times the rollback from the first failure to the switch back after the switch.
  const failedAt = firstFailure(stack, t.revision);
  return {
    ...releaseSummary(release, t),
    rollbackSeconds:
      t.outcome === 'RolledBack' && failedAt !== undefined && backAt !== undefined
        ? Math.round(backAt - failedAt) / 1000
        : null,
    failedRequestsDuringSwitch: window?.failed ?? null,
    requestsDuringSwitch: window?.total ?? null,
  };
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
