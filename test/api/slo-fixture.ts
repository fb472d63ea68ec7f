import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { createKubeClients } from '../../src/adapters/kubernetes/client.js';
import { sloAccess } from '../../src/adapters/kubernetes/parse-slo.js';
import type { ServiceLevelObjective } from '../../src/domain/slo/index.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import { kubeConfigFor } from '../support/kube.js';

// The sandbox API server holding two SLOs in namespace "shop": one evaluated (40% of its budget
// left, the fast page firing), one not evaluated yet. Shared by the SLO API and CLI suites.

export const SLO_NS = 'shop';

export interface SloSandbox {
  server: ApiServer;
  kubeConfig: KubeConfig;
  close(): Promise<void>;
}

function slo(name: string, objective: number): ServiceLevelObjective {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'ServiceLevelObjective',
    metadata: { name, namespace: SLO_NS },
    spec: {
      service: 'shop',
      objective,
      window: '4w',
      sli: {
        kind: 'availability',
        goodQuery: 'sum(rate(http_requests_total{job="shop",code!~"5.."}[{{window}}]))',
        totalQuery: 'sum(rate(http_requests_total{job="shop"}[{{window}}]))',
      },
    },
  };
}

export async function startSloSandbox(): Promise<SloSandbox> {
  const server = await startApiServer({ port: 0 });
  try {
    const kubeConfig = kubeConfigFor(server.url);
    await kubeConfig
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: SLO_NS } } });
    const access = sloAccess(createKubeClients(kubeConfig));
    const created = await access.create(slo('shop-availability', 99.9));
    await access.updateStatus({
      ...created,
      status: {
        evaluatedAt: '2026-12-04T12:00:00.000Z',
        errorBudgetRemaining: 0.4,
        errorBudgetConsumed: 0.6,
        errorRatio: 0.0006,
        burnRates: { '28d': 0.6, '5m': 20, '1h': 15, '3d': 0.5 },
        alertSeverity: 'page',
        firingAlerts: [{ severity: 'page', longWindow: '1h', shortWindow: '5m', burnRate: 14.4 }],
        conditions: [
          {
            type: 'Evaluated',
            status: 'True',
            reason: 'Evaluated',
            message: '40% of the error budget remains',
            lastTransitionTime: '2026-12-04T12:00:00.000Z',
          },
        ],
      },
    });
    await access.create(slo('shop-new', 99.99));
    return { server, kubeConfig, close: () => server.close() };
  } catch (err) {
    await server.close();
    throw err;
  }
}
