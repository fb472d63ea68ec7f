import { kubeConfigFor } from '../kubeconfig.js';

export { kubeConfigFor };
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { readFile, readdir } from 'node:fs/promises';
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { startRuntime, type Runtime } from '../../controller/runtime.js';
import type { Logger } from '../../logging.js';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { processRunner, startPodSimulator, type PodSimulator } from '../pods/index.js';
import { startPrometheus, type RunningPrometheus } from '../prometheus.js';
import { startProxy, type RunningProxy } from '../proxy/index.js';

// The whole sandbox on one machine: API server, pod simulator running real app processes, the
// weighted proxy with Istio metrics, real Prometheus scraping it, and the controller. Used by
// the demo and the end-to-end tests. stop() ends everything it started, even after a failure.

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface StackOptions {
  logger: Logger;
  /** Namespace of the app and its VirtualService. Default "demo". */
  namespace?: string;
  virtualService?: string;
  /** Start the controller (default true). */
  controller?: boolean;
  /** Pod readiness delay. Default 500 ms. */
  readyAfterMs?: number;
}

export interface Stack {
  api: ApiServer;
  kubeConfig: KubeConfig;
  pods: PodSimulator;
  proxy: RunningProxy;
  prometheus: RunningPrometheus;
  runtime: Runtime | undefined;
  /** Creates every object of a YAML file (or every file of a folder) through the API. */
  apply(path: string): Promise<KubernetesObject[]>;
  applyObject(obj: KubernetesObject): Promise<KubernetesObject>;
  startController(): Promise<Runtime>;
  stop(): Promise<void>;
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const namespace = o.namespace ?? 'demo';
  const vsName = o.virtualService ?? 'shop';
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const api = await startApiServer({ logger: o.logger });
    cleanups.push(() => api.close());
    const kubeConfig = kubeConfigFor(api.url);
    const pods = await startPodSimulator({
      server: api,
      defaultReadyAfterMs: o.readyAfterMs ?? 500,
      runner: processRunner({
        command: [
          process.execPath,
          '--import',
          'tsx',
          resolve(REPO_ROOT, 'examples/app/server.ts'),
        ],
        cwd: REPO_ROOT,
      }),
    });
    cleanups.push(() => pods.stop());
    const proxy = await startProxy({
      namespace,
      getVirtualService: () => api.store.get('virtualservices', namespace, vsName),
      resolve: (ns, service) => pods.endpointsOf(ns, service),
      workloadOf: (ns, service) => pods.workloadOf?.(ns, service),
      refreshMs: 250,
      logger: o.logger,
    });
    cleanups.push(() => proxy.stop());
    const prometheus = await startPrometheus({
      scrapeTargets: [proxy.metricsTarget],
      scrapeIntervalMs: 1000,
    });
    cleanups.push(() => prometheus.stop());
    const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    const applyObject = async (obj: KubernetesObject): Promise<KubernetesObject> => {
      const created = await objects.create(obj);
      return created;
    };
    const stack: Stack = {
      api,
      kubeConfig,
      pods,
      proxy,
      prometheus,
      runtime: undefined,
      applyObject,
      async apply(path: string) {
        const full = resolve(REPO_ROOT, path);
        const files = full.endsWith('.yaml')
          ? [full]
          : (await readdir(full))
              .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
              .map((f) => resolve(full, f));
        const out: KubernetesObject[] = [];
        for (const file of files) {
          for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
            const obj = doc.toJS() as KubernetesObject | null;
            if (obj) out.push(await applyObject(obj));
          }
        }
        return out;
      },
      async startController() {
        const runtime = await startRuntime({
          kubeConfig,
          logger: o.logger,
          prometheusUrl: prometheus.url,
          resyncMs: 5_000,
          // SLOs applied to the sandbox (e.g. examples/slo/) get their budget every 10 s.
          slo: { intervalMs: 10_000 },
        });
        cleanups.push(() => runtime.stop());
        stack.runtime = runtime;
        return runtime;
      },
      stop: stopAll,
    };
    if (o.controller ?? true) await stack.startController();
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
