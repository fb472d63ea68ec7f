import type { KubernetesObject } from '@kubernetes/client-node';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { createKubeClients } from '../../src/adapters/kubernetes/client.js';
import { KubeEventRecorder } from '../../src/adapters/kubernetes/events.js';
import { createResources, type Resources } from '../../src/adapters/kubernetes/resources.js';
import { IstioRouter } from '../../src/adapters/istio/router.js';
import { createPrometheusProvider } from '../../src/adapters/prometheus/provider.js';
import { Controller } from '../../src/controller/controller.js';
import type { FlagPort } from '../../src/controller/ports.js';
import { COMMAND_ANNOTATIONS } from '../../src/domain/commands.js';
import type {
  BlueGreenStrategy,
  CanaryStep,
  CommandKind,
  Rollout,
  RolloutSpec,
} from '../../src/domain/types.js';
import { createLogger } from '../../src/logging.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import { startPodSimulator, type PodSimulator } from '../../src/sandbox/pods/index.js';
import { kubeConfigFor } from './kube.js';
import { budgetReaderFrom } from '../../src/controller/budget.js';
import type { Notifier } from '../../src/adapters/notify/webhook.js';
import { sloAccess } from '../../src/adapters/kubernetes/parse-slo.js';

// Steps the real controller tick by tick on a fake clock against the sandbox API server and
// pod simulator. Nothing runs in the background: each tick is one reconcile of the rollout and
// one of each of its analysis runs.

export class FakeClock {
  constructor(public t = Date.parse('2026-01-01T00:00:00Z')) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface HarnessOptions {
  steps: CanaryStep[];
  /** A blue-green Rollout instead of a canary one (`steps` is then ignored). */
  blueGreen?: BlueGreenStrategy;
  /** Extra Rollout spec fields (analysis defaults, background analysis...). */
  spec?: Partial<RolloutSpec>;
  prometheusUrl?: string;
  /** Pod-template annotations for the simulator (readiness behaviour). */
  podAnnotations?: Record<string, string>;
  replicas?: number;
  /** Extra destinations on route `primary`, after the two managed ones. */
  extraDestinations?: object[];
  /** Extra fields on route `primary` (retries, timeout, corsPolicy...). */
  routeExtras?: Record<string, unknown>;
  /** Routes before `primary`. */
  otherRoutes?: object[];
  objects?: KubernetesObject[];
  /** Leave these out, to test a Rollout that names something missing. */
  omit?: Array<'deployment' | 'virtualService'>;
  /** Replaces the VirtualService's whole http list. */
  http?: object[];
  /** Rollout spec fields written as given, after everything else (may be invalid). */
  rawSpec?: Record<string, unknown>;
  /** The flag system the controller drives (real Unleash in the flag suites). */
  flags?: FlagPort;
  /** Where the controller sends transitions (notification tests). */
  notifier?: Notifier;
}

const NS = 'demo';

export class Harness {
  clock = new FakeClock();
  controller!: Controller;
  resources!: Resources;
  private objects!: KubernetesObjectApi;

  private constructor(
    readonly api: ApiServer,
    readonly pods: PodSimulator,
    private readonly prometheusUrl: string,
    private readonly flags: FlagPort | undefined,
    private readonly notifier?: Notifier,
  ) {}

  static async start(o: HarnessOptions): Promise<Harness> {
    const api = await startApiServer();
    let pods: PodSimulator | undefined;
    try {
      pods = await startPodSimulator({ server: api, defaultReadyAfterMs: 0 });
      const h = new Harness(
        api,
        pods,
        o.prometheusUrl ?? 'http://127.0.0.1:9',
        o.flags,
        o.notifier,
      );
      const kc = kubeConfigFor(api.url);
      h.objects = KubernetesObjectApi.makeApiClient(kc);
      h.resources = createResources(createKubeClients(kc));
      h.restartController();
      await h.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
      if (!o.omit?.includes('deployment')) await h.create(deployment(o));
      if (!o.omit?.includes('virtualService')) await h.create(virtualService(o));
      for (const obj of o.objects ?? []) await h.create(obj);
      await h.create(rollout(o));
      return h;
    } catch (err) {
      await pods?.stop();
      await api.close();
      throw err;
    }
  }

  /** A fresh controller (as after a crash): nothing is kept but what is on the API server. */
  restartController(): void {
    const clients = createKubeClients(kubeConfigFor(this.api.url));
    const logger = createLogger({ silent: true });
    this.controller = new Controller({
      resources: this.resources,
      router: new IstioRouter(clients),
      provider: createPrometheusProvider({ defaultAddress: this.prometheusUrl }),
      events: new KubeEventRecorder(clients),
      logger,
      clock: this.clock,
      manual: true,
      flags: this.flags,
      budgets: budgetReaderFrom(sloAccess(clients)),
      notifier: this.notifier,
    });
  }

  async create(obj: KubernetesObject): Promise<void> {
    await this.objects.create(obj);
  }

  /** PUT, as a GitOps tool or a person with kubectl would. */
  async replace(obj: KubernetesObject): Promise<void> {
    await this.objects.replace(obj);
  }

  async rollout(): Promise<Rollout> {
    return this.resources.rollouts.get({ namespace: NS, name: 'shop' });
  }

  /** One reconcile of the rollout, then of each analysis run it names. */
  async tick(): Promise<void> {
    await this.controller.reconcileRollout(NS, 'shop');
    const stored = this.api.store.get('rollouts', NS, 'shop') as
      { status?: Rollout['status'] } | undefined;
    const runs = stored?.status?.analysisRuns ?? {};
    for (const name of Object.values(runs)) await this.controller.reconcileRun(NS, name);
  }

  /**
   * Ticks until the status stops changing and the controller asks for nothing soon (waiting a
   * little real time between ticks for the pod simulator).
   */
  async settle(max = 40): Promise<void> {
    let last = '';
    let same = 0;
    for (let i = 0; i < max; i++) {
      this.controller.requested.clear();
      await this.tick();
      await sleep(15);
      const now = JSON.stringify(this.api.store.get('rollouts', NS, 'shop')?.['status'] ?? null);
      const soon = (this.controller.requested.get('rollout/demo/shop') ?? Infinity) < 5_000;
      same = now === last ? same + 1 : 0;
      if (same >= 2 && !soon) return;
      last = now;
    }
  }

  async command(kind: CommandKind, value: Record<string, unknown> = {}): Promise<string> {
    const id = `req-${Math.random().toString(36).slice(2, 8)}`;
    await this.resources.rollouts.patchMerge(
      { namespace: NS, name: 'shop' },
      {
        metadata: {
          annotations: { [COMMAND_ANNOTATIONS[kind]]: JSON.stringify({ id, ...value }) },
        },
      },
    );
    return id;
  }

  async release(version: string): Promise<void> {
    const dep = await this.resources.deployments.get({ namespace: NS, name: 'shop' });
    const c = dep.spec?.template.spec?.containers[0];
    if (c) c.env = [{ name: 'VERSION', value: version }];
    await this.resources.deployments.update(dep);
  }

  routeWeights(): number[] {
    const vs = this.api.store.get('virtualservices', NS, 'shop') as {
      spec: { http: Array<{ name: string; route: Array<{ weight?: number }> }> };
    };
    return vs.spec.http.find((r) => r.name === 'primary')?.route.map((d) => d.weight ?? 0) ?? [];
  }

  async stop(): Promise<void> {
    await this.pods.stop();
    await this.api.close();
  }
}

function deployment(o: HarnessOptions): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'shop', namespace: NS, labels: { app: 'shop' } },
    spec: {
      replicas: o.replicas ?? 2,
      selector: { matchLabels: { app: 'shop' } },
      template: {
        metadata: { labels: { app: 'shop' }, annotations: o.podAnnotations ?? {} },
        spec: {
          containers: [
            { name: 'app', image: 'example-app:1', env: [{ name: 'VERSION', value: 'v1' }] },
          ],
        },
      },
    },
  } as KubernetesObject;
}

function virtualService(o: HarnessOptions): KubernetesObject {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name: 'shop', namespace: NS },
    spec: {
      hosts: ['shop'],
      http: o.http ?? [
        ...(o.otherRoutes ?? []),
        {
          name: 'primary',
          ...(o.routeExtras ?? {}),
          route: [
            {
              destination: { host: 'shop-primary' },
              weight: 100 - (o.extraDestinations?.length ? 30 : 0),
            },
            { destination: { host: 'shop-canary' }, weight: 0 },
            ...(o.extraDestinations ?? []),
          ],
        },
      ],
    },
  } as KubernetesObject;
}

function rollout(o: HarnessOptions): KubernetesObject {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'shop', namespace: NS },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop' },
      trafficRouting: { istio: { virtualService: { name: 'shop', routes: ['primary'] } } },
      ...o.spec,
      strategy: o.blueGreen
        ? { blueGreen: o.blueGreen }
        : { canary: { ...(o.spec?.strategy?.canary ?? {}), steps: o.steps } },
      ...o.rawSpec,
    },
  } as KubernetesObject;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
