// The pod simulator: watches Deployments and plays their controller. It keeps simulated pods in
// memory, makes them ready after a delay (or never), writes Deployment /status as kube's
// Deployment controller would, and optionally runs one real process per (deployment, template).
import { kubeConfigFor } from '../kubeconfig.js';
import {
  AppsV1Api,
  CoreV1Api,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type Informer,
  type ObjectCache,
  type V1Deployment,
  type V1Service,
} from '@kubernetes/client-node';
import { createLogger, type Logger } from '../../logging.js';
import { computeStatus } from './deployment-status.js';
import {
  conditionsOf,
  nextPods,
  podPolicy,
  sameStatus,
  selects,
  templateHash,
  type PodSet,
} from './pod-set.js';
import type { PodRunner, RunningProcess, SimPod } from './types.js';

/** How long a pod's process outlives its removal from the endpoints (see retireProcess). */
export const TERMINATION_GRACE_MS = 1500;

export interface PodSimulatorOptions {
  /** The sandbox API server (anything with a `url`) or its URL. */
  server: { url: string } | string;
  /** Readiness delay when the pod template has no ready-after-ms annotation. Default 300. */
  defaultReadyAfterMs?: number;
  runner?: PodRunner;
  logger?: Logger;
}

export interface PodSimulator {
  /** The simulated pods, optionally of one namespace. */
  pods(namespace?: string): SimPod[];
  /** Deletes one pod; its Deployment brings up a replacement after the readiness delay. */
  deletePod(namespace: string, name: string): boolean;
  /** Base URLs of the running processes behind a Service's ready pods (one per template). */
  endpoints(namespace: string, serviceName: string): string[];
  /**
   * One entry per ready pod a Service selects: its process's URL and the Deployment that owns
   * the pod (Istio's destination_workload), so a Service over two Deployments (the primary and
   * the baseline) splits by pod count and labels each request by its pod's owner.
   */
  endpointsOf(namespace: string, serviceName: string): Array<{ url: string; workload: string }>;
  /** The Deployment whose ready pods a Service selects (the first one by name), if any. */
  workloadOf(namespace: string, serviceName: string): string | undefined;
  stop(): Promise<void>;
}

interface ProcessState {
  key: string;
  started: Promise<RunningProcess | undefined>;
  running: RunningProcess | undefined;
}

interface DeploymentState extends Omit<PodSet, 'namespace' | 'name'> {
  latest: V1Deployment;
  hash: string;
  desired: number;
  generation: number;
  lastProgressAt: number;
  pods: SimPod[];
  timer: NodeJS.Timeout | undefined;
  queue: Promise<void>;
}

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export async function startPodSimulator(options: PodSimulatorOptions): Promise<PodSimulator> {
  const url = typeof options.server === 'string' ? options.server : options.server.url;
  const kc = kubeConfigFor(url);
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const log = options.logger ?? createLogger({ silent: true });
  const defaultReadyAfterMs = options.defaultReadyAfterMs ?? 300;
  const states = new Map<string, DeploymentState>();
  const processes = new Map<string, ProcessState>();
  const terminating = new Map<string, ReturnType<typeof setTimeout>>();
  let stopped = false;

  const deployments = makeInformer<V1Deployment>(kc, '/apis/apps/v1/deployments', () =>
    apps.listDeploymentForAllNamespaces(),
  );
  const services = makeInformer<V1Service>(kc, '/api/v1/services', () =>
    core.listServiceForAllNamespaces(),
  );

  const processKey = (ns: string, deployment: string, hash: string): string =>
    `${ns}/${deployment}/${hash}`;

  function ensureProcess(d: V1Deployment, hash: string): ProcessState | undefined {
    const runner = options.runner;
    if (runner === undefined) return undefined;
    const ns = d.metadata?.namespace ?? '';
    const name = d.metadata?.name ?? '';
    const key = processKey(ns, name, hash);
    const existing = processes.get(key);
    if (existing) return existing;
    const template = d.spec?.template;
    const env: Record<string, string> = {};
    for (const e of template?.spec?.containers[0]?.env ?? [])
      if (e.value !== undefined) env[e.name] = e.value;
    const state: ProcessState = { key, running: undefined, started: Promise.resolve(undefined) };
    state.started = runner
      .start({
        namespace: ns,
        deployment: name,
        templateHash: hash,
        env,
        labels: template?.metadata?.labels ?? {},
      })
      .then((running) => {
        state.running = running;
        if (stopped || processes.get(key) !== state) void running.stop();
        else enqueue(ns, name);
        return running;
      })
      .catch((err: unknown) => {
        log.error('pod process failed to start', {
          namespace: ns,
          deployment: name,
          templateHash: hash,
          error: String(err),
        });
        return undefined;
      });
    processes.set(key, state);
    return state;
  }

  async function stopProcess(key: string): Promise<void> {
    const t = terminating.get(key);
    if (t) clearTimeout(t);
    terminating.delete(key);
    const p = processes.get(key);
    if (p === undefined) return;
    processes.delete(key);
    const running = p.running ?? (await p.started);
    await running?.stop();
  }

  /**
   * A pod that left its Deployment is out of every Service's endpoints at once, but its process
   * gets SIGTERM only after TERMINATION_GRACE_MS, as Kubernetes removes endpoints before a
   * pod's preStop and SIGTERM: requests already on their way to it are still answered.
   */
  function retireProcess(key: string): void {
    if (terminating.has(key)) return;
    const t = setTimeout(() => {
      terminating.delete(key);
      void stopProcess(key);
    }, TERMINATION_GRACE_MS);
    t.unref();
    terminating.set(key, t);
  }

  function syncPods(state: DeploymentState, now: number): void {
    const d = state.latest;
    const proc = state.desired > 0 ? ensureProcess(d, state.hash) : undefined;
    const processUp = proc === undefined || proc.running !== undefined;
    const policy = podPolicy(d, defaultReadyAfterMs);
    const next = nextPods(
      { ...state, namespace: d.metadata?.namespace ?? '', name: d.metadata?.name ?? '' },
      policy,
      processUp,
      now,
    );
    state.pods = next.pods;
    state.lastProgressAt = next.lastProgressAt;
  }

  async function reconcile(key: string): Promise<void> {
    const state = states.get(key);
    if (state === undefined || stopped) return;
    const now = Date.now();
    syncPods(state, now);
    const d = state.latest;
    const ns = d.metadata?.namespace ?? '';
    const name = d.metadata?.name ?? '';
    const live = new Set(state.pods.map((p) => processKey(ns, name, p.templateHash)));
    for (const k of [...processes.keys()]) {
      if (!k.startsWith(`${ns}/${name}/`)) continue;
      if (!live.has(k)) retireProcess(k);
      else if (terminating.has(k)) {
        // The same template is back before its process stopped: keep it.
        clearTimeout(terminating.get(k));
        terminating.delete(k);
      }
    }
    const status = computeStatus(
      {
        name,
        generation: state.generation,
        desired: state.desired,
        templateHash: state.hash,
        progressDeadlineSeconds: d.spec?.progressDeadlineSeconds ?? 600,
        lastProgressAt: state.lastProgressAt,
        pods: state.pods,
        previous: conditionsOf(d),
      },
      now,
    );
    if (!sameStatus(d, status)) {
      try {
        await apps.patchNamespacedDeploymentStatus(
          { namespace: ns, name, body: { status } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      } catch (err) {
        if (!stopped)
          log.warn('pod simulator could not write deployment status', {
            namespace: ns,
            deployment: name,
            error: String(err),
          });
      }
    }
    schedule(state, key, now);
  }

  function schedule(state: DeploymentState, key: string, now: number): void {
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
    const times = state.pods
      .filter((p) => !p.ready && p.readyAt !== undefined && p.readyAt > now)
      .map((p) => p.readyAt ?? now);
    const deadline =
      state.lastProgressAt + (state.latest.spec?.progressDeadlineSeconds ?? 600) * 1000 + 1;
    const incomplete = state.pods.some((p) => !p.ready) || state.pods.length !== state.desired;
    if (incomplete && deadline > now) times.push(deadline);
    if (times.length === 0) return;
    state.timer = setTimeout(
      () => enqueue(key.split('/')[0] ?? '', key.split('/')[1] ?? ''),
      Math.max(0, Math.min(...times) - now),
    );
    state.timer.unref();
  }

  function enqueue(ns: string, name: string): void {
    const key = keyOf(ns, name);
    const state = states.get(key);
    if (state === undefined) return;
    state.queue = state.queue
      .then(() => reconcile(key))
      .catch((err: unknown) => {
        log.error('pod simulator reconcile failed', { key, error: String(err) });
      });
  }

  function observe(d: V1Deployment): void {
    const ns = d.metadata?.namespace ?? '';
    const name = d.metadata?.name ?? '';
    const key = keyOf(ns, name);
    const hash = templateHash(d.spec?.template);
    const desired = d.spec?.replicas ?? 1;
    const generation = d.metadata?.generation ?? 1;
    const existing = states.get(key);
    if (existing === undefined) {
      states.set(key, {
        latest: d,
        hash,
        desired,
        generation,
        lastProgressAt: Date.now(),
        pods: [],
        timer: undefined,
        queue: Promise.resolve(),
      });
    } else {
      if (existing.hash !== hash || existing.desired !== desired)
        existing.lastProgressAt = Date.now();
      Object.assign(existing, { latest: d, hash, desired, generation });
    }
    enqueue(ns, name);
  }

  function forget(d: V1Deployment): void {
    const ns = d.metadata?.namespace ?? '';
    const name = d.metadata?.name ?? '';
    const state = states.get(keyOf(ns, name));
    if (state?.timer) clearTimeout(state.timer);
    states.delete(keyOf(ns, name));
    // A deleted Deployment's pods leave the endpoints now and stop after the grace, too.
    for (const k of [...processes.keys()]) if (k.startsWith(`${ns}/${name}/`)) retireProcess(k);
  }

  const restartOnError =
    (informer: Informer<V1Deployment> | Informer<V1Service>, what: string) => (err: unknown) => {
      if (stopped) return;
      log.warn('pod simulator watch failed; restarting', { what, error: String(err) });
      setTimeout(() => void informer.start().catch(() => undefined), 500).unref();
    };
  deployments.on('add', observe);
  deployments.on('update', observe);
  deployments.on('delete', forget);
  deployments.on('error', restartOnError(deployments, 'deployments'));
  services.on('error', restartOnError(services, 'services'));
  await Promise.all([deployments.start(), services.start()]);

  function matching(
    ns: string,
    serviceName: string,
    cache: ObjectCache<V1Service>,
  ): DeploymentState[] {
    const svc = cache.get(serviceName, ns);
    const selector = svc?.spec?.selector;
    return [...states.values()]
      .filter(
        (s) =>
          s.latest.metadata?.namespace === ns &&
          selects(selector, s.latest.spec?.template.metadata?.labels ?? {}),
      )
      .sort((a, b) => (a.latest.metadata?.name ?? '').localeCompare(b.latest.metadata?.name ?? ''));
  }

  return {
    pods: (namespace) =>
      [...states.values()]
        .flatMap((s) => s.pods)
        .filter((p) => namespace === undefined || p.namespace === namespace)
        .map((p) => ({ ...p })),
    deletePod: (namespace, name) => {
      for (const [key, s] of states) {
        const idx = s.pods.findIndex((p) => p.namespace === namespace && p.name === name);
        if (idx < 0) continue;
        s.pods.splice(idx, 1);
        s.lastProgressAt = Date.now();
        enqueue(...(key.split('/') as [string, string]));
        return true;
      }
      return false;
    },
    endpoints: (namespace, serviceName) =>
      matching(namespace, serviceName, services).flatMap((s) => {
        const ns = s.latest.metadata?.namespace ?? '';
        const name = s.latest.metadata?.name ?? '';
        const hashes = [...new Set(s.pods.filter((p) => p.ready).map((p) => p.templateHash))];
        return hashes.flatMap((h) => {
          const running = processes.get(processKey(ns, name, h))?.running;
          return running ? [running.url] : [];
        });
      }),
    endpointsOf: (namespace, serviceName) =>
      matching(namespace, serviceName, services).flatMap((s) => {
        const ns = s.latest.metadata?.namespace ?? '';
        const name = s.latest.metadata?.name ?? '';
        return s.pods.flatMap((p) => {
          const running = p.ready
            ? processes.get(processKey(ns, name, p.templateHash))?.running
            : undefined;
          return running ? [{ url: running.url, workload: name }] : [];
        });
      }),
    workloadOf: (namespace, serviceName) =>
      matching(namespace, serviceName, services).find((s) => s.pods.some((p) => p.ready))?.latest
        .metadata?.name,
    stop: async () => {
      stopped = true;
      await Promise.all([deployments.stop(), services.stop()]);
      for (const s of states.values()) if (s.timer) clearTimeout(s.timer);
      await Promise.all([...processes.keys()].map((k) => stopProcess(k)));
      await Promise.all([...states.values()].map((s) => s.queue));
      states.clear();
    },
  };
}
