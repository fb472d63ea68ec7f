import type { Notifier } from '../adapters/notify/webhook.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { createKubeClients, type KubeClients } from '../adapters/kubernetes/client.js';
import { KubeEventRecorder } from '../adapters/kubernetes/events.js';
import { createControllerInformers, type Informer } from '../adapters/kubernetes/informer.js';
import type { Rollout } from '../domain/types.js';
import { LeaderElector } from '../adapters/kubernetes/lease.js';
import { createResources, type Resources } from '../adapters/kubernetes/resources.js';
import { IstioRouter } from '../adapters/istio/router.js';
import { createPrometheusProvider } from '../adapters/prometheus/provider.js';
import type { MetricProvider } from '../domain/provider.js';
import type { Logger } from '../logging.js';
import { Controller } from './controller.js';
import type { FlagPort } from './ports.js';
import { createSloInformer, sloAccess } from '../adapters/kubernetes/parse-slo.js';
import type { ServiceLevelObjective } from '../domain/slo/index.js';
import { SloEvaluator } from './slo-evaluator.js';
import { budgetReaderFrom } from './budget.js';

export interface RuntimeOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  prometheusUrl?: string | undefined;
  /** Watch one namespace; default all. */
  namespace?: string | undefined;
  concurrency?: number | undefined;
  resyncMs?: number | undefined;
  /** Leader election on a Lease; absent: this process always leads (tests, the demo). */
  leaderElection?: { namespace: string; name: string; identity: string } | undefined;
  provider?: MetricProvider | undefined;
  flags?: FlagPort | undefined;
  /** Client-side limit on API server requests per second (watches included); default none. */
  kubeQps?: number | undefined;
  /** Where transitions are sent (Slack, PagerDuty, a JSON webhook); absent: nowhere. */
  notifier?: Notifier | undefined;
  /** Evaluate ServiceLevelObjectives (leader only) this often; absent: SLOs are not watched. */
  slo?: { intervalMs: number; queryTimeoutMs?: number | undefined } | undefined;
}

export interface Runtime {
  controller: Controller;
  /** The Rollout cache, for readers such as the control API. */
  rollouts: Informer<Rollout>;
  clients: KubeClients;
  resources: Resources;
  /** The SLO cache and evaluator, when RuntimeOptions.slo was given. */
  slos?: Informer<ServiceLevelObjective> | undefined;
  sloEvaluator?: SloEvaluator | undefined;
  isLeader(): boolean;
  stop(): Promise<void>;
}

/** Wires the adapters to a Controller and feeds it from watches. */
export async function startRuntime(o: RuntimeOptions): Promise<Runtime> {
  const clients = createKubeClients(o.kubeConfig, { qps: o.kubeQps });
  const resources = createResources(clients);
  const {
    rollouts,
    deployments,
    analysisRuns: runs,
  } = createControllerInformers(clients, resources, {
    namespace: o.namespace,
    logger: o.logger,
  });
  const controller = new Controller({
    resources,
    router: new IstioRouter(clients, { logger: o.logger }),
    provider:
      o.provider ?? createPrometheusProvider({ defaultAddress: o.prometheusUrl, logger: o.logger }),
    events: new KubeEventRecorder(clients, { logger: o.logger }),
    flags: o.flags,
    logger: o.logger,
    concurrency: o.concurrency,
    resyncMs: o.resyncMs,
    cache: { rollouts, deployments, analysisRuns: runs },
    notifier: o.notifier,
    // The budget comes from the SLO watch cache once it has synced, else from the API server.
    budgets: budgetReaderFrom(sloAccess(clients), () => slos),
    slos: sloAccess(clients),
  });
  let leading = o.leaderElection === undefined;
  const split = (key: string): [string, string] => {
    const [ns, name] = key.includes('/') ? (key.split('/') as [string, string]) : ['default', key];
    return [ns, name];
  };
  rollouts.onChange((key) => leading && controller.enqueueRollout(...split(key)));
  deployments.onChange((key) => {
    if (!leading) return;
    const [ns, name] = split(key);
    const dep = deployments.get(ns, name) ?? { metadata: { namespace: ns, name } };
    controller.deploymentChanged(dep, rollouts.list(ns));
  });
  runs.onChange((key) => {
    if (!leading) return;
    const [ns, name] = split(key);
    controller.enqueueRun(ns, name);
    const run = runs.get(ns, name);
    if (run) controller.enqueueRollout(ns, run.spec.rollout);
  });
  const slos = o.slo
    ? createSloInformer(clients, { namespace: o.namespace, logger: o.logger })
    : undefined;
  // A frozen rollout looks again as soon as its SLO's budget changes, not only every 30 s.
  slos?.onChange((key) => {
    if (!leading) return;
    const [ns, name] = split(key);
    for (const r of rollouts.list(ns))
      if (r.spec.budgetPolicy?.slo === name && r.status?.phase === 'BudgetFrozen')
        controller.enqueueRollout(ns, r.metadata.name);
  });
  await Promise.all([rollouts.start(), deployments.start(), runs.start()]);
  // NOTE: not awaited: rollouts must not wait for SLOs (e.g. a cluster without their CRD).
  slos
    ?.start()
    .catch((err: unknown) => o.logger.warn('SLO cache not started', { error: String(err) }));
  const sloEvaluator =
    slos && o.slo
      ? new SloEvaluator({
          slos,
          access: sloAccess(clients),
          provider:
            o.provider ??
            createPrometheusProvider({ defaultAddress: o.prometheusUrl, logger: o.logger }),
          prometheusUrl: o.prometheusUrl,
          registry: controller.metrics.registry,
          logger: o.logger,
          intervalMs: o.slo.intervalMs,
          queryTimeoutMs: o.slo.queryTimeoutMs,
          isLeader: () => leading,
        })
      : undefined;
  sloEvaluator?.start();
  const enqueueAll = (): void => {
    for (const r of rollouts.list())
      controller.enqueueRollout(r.metadata.namespace ?? 'default', r.metadata.name);
    for (const r of runs.list())
      controller.enqueueRun(r.metadata.namespace ?? 'default', r.metadata.name);
    // Rollouts that do not parse are reconciled too, so their status says why.
  };
  let elector: LeaderElector | undefined;
  if (o.leaderElection) {
    elector = new LeaderElector(clients, { ...o.leaderElection, logger: o.logger });
    elector.onChange((leader) => {
      leading = leader;
      o.logger.info(leader ? 'became leader' : 'lost leadership', {
        identity: o.leaderElection?.identity,
      });
      if (leader) enqueueAll();
    });
    elector.start();
  } else {
    enqueueAll();
  }
  return {
    controller,
    rollouts,
    clients,
    resources,
    slos,
    sloEvaluator,
    isLeader: () => leading,
    async stop() {
      controller.stop();
      await sloEvaluator?.stop();
      await o.notifier?.flush();
      await Promise.all([rollouts.stop(), deployments.stop(), runs.stop(), slos?.stop()]);
      if (elector) await elector.stop();
    },
  };
}
