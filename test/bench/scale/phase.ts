import { Writable } from 'node:stream';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { startRuntime, type Runtime } from '../../../src/controller/runtime.js';
import { createLogger } from '../../../src/logging.js';
import { startApiServer, type ApiServer } from '../../../src/sandbox/apiserver/index.js';
import { kubeConfigFor } from '../../../src/sandbox/demo/stack.js';
import { startPodSimulator } from '../../../src/sandbox/pods/index.js';
import { startPromStub } from '../../support/prom-stub.js';
import { startCountingProxy, type RequestRecord } from './counting-proxy.js';
import { appObjects, deployment, namespaceObject, type AppPlan } from './objects.js';
import { isFinished, trackRollouts, type Tracked } from './timeline.js';

// One run of the scale scenario: a fresh sandbox API server, pod simulator and Prometheus stub;
// the apps created and brought to Healthy by an unthrottled controller (setup, not measured);
// then the measured controller (rate-limited, leader-elected) takes over, and `progressing` of
// the apps are released at once and followed until they finish or the deadline passes.

/** The label in the analysis query that names the rollout (see objects.ts). */
const ROLLOUT_LABEL = /rollout="([^"]+)"/;

export interface PhaseOptions {
  rollouts: number;
  namespaces: number;
  progressing: number;
  /** Name of the app whose analysis query hangs, if any. */
  hang: boolean;
  pauseMs: number;
  intervalMs: number;
  queryTimeoutMs: number;
  promDelayMs: number;
  readyAfterMs: number;
  kubeQps: number;
  concurrency?: number | undefined;
  /** Longest wait for the new leader's first pass before releasing. */
  startupWaitMs: number;
  /** Give up on the progressing rollouts this long after the release. */
  deadlineMs: number;
  sampleMs?: number;
  /** Progress lines on stderr. */
  say?: (line: string) => void;
}

export interface LogLine {
  message: string;
  level: string;
  at: number;
  [field: string]: unknown;
}

export interface PhaseResult {
  plans: AppPlan[];
  tracked: Tracked[];
  hangName: string | undefined;
  releasedAt: number;
  endedAt: number;
  setupMs: number;
  /** From becoming leader until every rollout was read once; undefined: not within the wait. */
  startupPassMs: number | undefined;
  leaderAt: number;
  /** Times (epoch ms) the measured controller was seen not leading after it first led. */
  notLeadingSamples: number;
  requests: RequestRecord[];
  logs: LogLine[];
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
}

const KEEP = new Set([
  'reconcile failed; will retry',
  'action failed',
  'watch interrupted; retrying',
  'lease attempt failed',
  'lease not renewed within the deadline; stepping down',
  'lost leadership',
  'became leader',
  'reconcile crashed',
]);

function captureLogs(into: LogLine[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split('\n')) {
        if (!text.trim()) continue;
        try {
          const line = JSON.parse(text) as LogLine;
          if (KEEP.has(line.message) || line.level === 'error')
            into.push({ ...line, at: Date.now() });
        } catch {
          // not one of ours
        }
      }
      done();
    },
  });
}

async function inBatches<T>(
  items: T[],
  size: number,
  fn: (t: T) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function waitFor(what: string, ms: number, ok: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until)
      throw new Error(`scale benchmark: ${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function appPlans(o: PhaseOptions): AppPlan[] {
  return Array.from({ length: o.rollouts }, (_, i) => ({
    namespace: `team-${String(i % o.namespaces).padStart(2, '0')}`,
    name: `app-${String(i).padStart(3, '0')}`,
    pauseMs: o.pauseMs,
    intervalMs: o.intervalMs,
    queryTimeoutMs: o.queryTimeoutMs,
    readyAfterMs: o.readyAfterMs,
  }));
}

export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  const say = o.say ?? (() => undefined);
  const cleanups: Array<() => Promise<unknown>> = [];
  const loop = monitorEventLoopDelay({ resolution: 20 });
  try {
    const setupStart = Date.now();
    const api: ApiServer = await startApiServer({ historyLimit: 20_000 });
    cleanups.push(() => api.close());
    const pods = await startPodSimulator({ server: api, defaultReadyAfterMs: o.readyAfterMs });
    cleanups.push(() => pods.stop());
    const plans = appPlans(o);
    const progressing = plans.slice(0, o.progressing);
    const hangName = o.hang ? progressing[progressing.length - 1]?.name : undefined;
    const prom = await startPromStub([{ kind: 'hang', ms: o.promDelayMs }], {
      // The hanging rollout's queries (its template names it) are never answered.
      answerFor: (query) =>
        hangName !== undefined && ROLLOUT_LABEL.exec(query)?.[1] === hangName
          ? { kind: 'never' }
          : undefined,
    });
    cleanups.push(() => prom.close());

    const objects = KubernetesObjectApi.makeApiClient(kubeConfigFor(api.url));
    const nss = [...new Set(plans.map((p) => p.namespace))];
    await inBatches(nss, 20, (ns) => objects.create(namespaceObject(ns)));
    await inBatches(plans.flatMap(appObjects), 40, (obj: KubernetesObject) => objects.create(obj));
    say(`created ${plans.length} apps in ${nss.length} namespaces`);

    const silent = createLogger({ silent: true });
    const setup = await startRuntime({
      kubeConfig: kubeConfigFor(api.url),
      logger: silent,
      prometheusUrl: prom.url,
      concurrency: 32,
    });
    const healthy = (): boolean =>
      api.store
        .list('rollouts')
        .every((r) => (r['status'] as { phase?: string } | undefined)?.phase === 'Healthy');
    try {
      await waitFor(`all ${plans.length} rollouts Healthy`, 180_000, healthy);
    } finally {
      await setup.stop();
    }
    const setupMs = Date.now() - setupStart;
    say(`setup done in ${(setupMs / 1000).toFixed(1)} s`);

    const proxy = await startCountingProxy(api.url);
    cleanups.push(() => proxy.close());
    const logs: LogLine[] = [];
    const logger = createLogger({ stream: captureLogs(logs), level: 'info' });
    loop.enable();
    const runtime: Runtime = await startRuntime({
      kubeConfig: kubeConfigFor(proxy.url),
      logger,
      prometheusUrl: prom.url,
      kubeQps: o.kubeQps,
      concurrency: o.concurrency,
      leaderElection: { namespace: 'kube-system', name: 'sluice-controller', identity: 'bench-0' },
    });
    cleanups.push(() => runtime.stop());
    await waitFor('leadership', 30_000, () => runtime.isLeader());
    const leaderAt = Date.now();
    let notLeadingSamples = 0;
    const leaderWatch = setInterval(() => {
      if (!runtime.isLeader()) notLeadingSamples++;
    }, 200);
    cleanups.push(async () => clearInterval(leaderWatch));
    // The first pass is over when the controller has read every Rollout once (each reconcile
    // starts with that GET). Under a saturated budget it may never end before the resyncs
    // start; the release then goes ahead after `startupWaitMs`, and the pass is reported open.
    const paths = new Set(
      plans.map((p) => `/apis/sluice.dev/v1alpha1/namespaces/${p.namespace}/rollouts/${p.name}`),
    );
    let readUpTo = 0;
    const everyRead = (): boolean => {
      for (; readUpTo < proxy.requests.length; readUpTo++) {
        const q = proxy.requests[readUpTo];
        if (q?.method === 'GET') paths.delete(q.path.split('?')[0] ?? q.path);
      }
      return paths.size === 0;
    };
    await waitFor('first pass', o.startupWaitMs, everyRead).catch(() => undefined);
    const startupPassMs = paths.size === 0 ? Date.now() - leaderAt : undefined;
    say(
      startupPassMs === undefined
        ? `leader; first pass still open after ${o.startupWaitMs / 1000} s (${paths.size} rollouts not yet read); releasing anyway`
        : `leader; first pass over every rollout took ${(startupPassMs / 1000).toFixed(1)} s`,
    );

    const releasedAt = Date.now();
    const tracked: Tracked[] = progressing.map((p) => ({
      namespace: p.namespace,
      name: p.name,
      m: { releasedAt },
    }));
    await inBatches(progressing, 20, (p) => objects.replace(deployment(p, 'v2')));
    for (const t of tracked) t.m.releasedAt = releasedAt;
    const stopTracking = trackRollouts(api.store, tracked, o.sampleMs ?? 200);
    say(`released ${progressing.length} at once`);
    const others = tracked.filter((t) => t.name !== hangName);
    const ticker = setInterval(() => {
      const done = others.filter(isFinished).length;
      say(`  ${((Date.now() - releasedAt) / 1000).toFixed(0)} s: ${done}/${others.length} done`);
    }, 10_000);
    try {
      await waitFor('all releases finished', o.deadlineMs, () => others.every(isFinished)).catch(
        () => say('deadline reached; reporting what finished'),
      );
    } finally {
      clearInterval(ticker);
      stopTracking();
    }
    const endedAt = Date.now();
    loop.disable();
    return {
      plans,
      tracked,
      hangName,
      releasedAt,
      endedAt,
      setupMs,
      startupPassMs,
      leaderAt,
      notLeadingSamples,
      requests: proxy.requests,
      // Lines written while stopping (the release of the lease) are not part of the run.
      logs: logs.filter((l) => l.at <= endedAt),
      eventLoopP99Ms: loop.percentile(99) / 1e6,
      eventLoopMaxMs: loop.max / 1e6,
    };
  } finally {
    loop.disable();
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}
