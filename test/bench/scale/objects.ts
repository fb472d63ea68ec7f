import type { KubernetesObject } from '@kubernetes/client-node';
import { ANNOTATIONS } from '../../../src/sandbox/pods/index.js';

// The objects of one benchmark app: a Deployment, a VirtualService whose route `primary` Sluice
// manages, an AnalysisTemplate whose query names the rollout (so the Prometheus stub can make
// one of them hang), and the Rollout: setWeight 10 → pause → analysis → setWeight 50 → promote.

export interface AppPlan {
  namespace: string;
  name: string;
  pauseMs: number;
  intervalMs: number;
  /** Per-query timeout of the analysis metric. */
  queryTimeoutMs: number;
  readyAfterMs: number;
}

const seconds = (ms: number): string => `${Math.max(1, Math.round(ms / 1000))}s`;

export function namespaceObject(name: string): KubernetesObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function appObjects(p: AppPlan): KubernetesObject[] {
  const { namespace, name } = p;
  return [
    deployment(p, 'v1'),
    {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: { name, namespace },
      spec: {
        hosts: [name],
        http: [
          {
            name: 'primary',
            route: [
              { destination: { host: `${name}-primary` }, weight: 100 },
              { destination: { host: `${name}-canary` }, weight: 0 },
            ],
          },
        ],
      },
    } as KubernetesObject,
    {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: `${name}-success`, namespace },
      spec: {
        metrics: [
          {
            name: 'success-rate',
            count: 1,
            successCondition: 'result[0] >= 0.9',
            timeout: seconds(p.queryTimeoutMs),
            provider: { prometheus: { query: `bench_success_rate{rollout="${name}"}` } },
          },
        ],
      },
    } as KubernetesObject,
    {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name, namespace },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        trafficRouting: { istio: { virtualService: { name, routes: ['primary'] } } },
        analysis: { interval: seconds(p.intervalMs) },
        strategy: {
          canary: {
            steps: [
              { setWeight: 10 },
              { pause: { duration: seconds(p.pauseMs) } },
              { analysis: { templates: [{ templateName: `${name}-success` }] } },
              { setWeight: 50 },
            ],
          },
        },
      },
    } as KubernetesObject,
  ];
}

/** The target Deployment at a version; a new version is a new pod template, i.e. a release. */
export function deployment(p: AppPlan, version: string): KubernetesObject {
  const labels = { app: p.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: p.name, namespace: p.namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: {
          labels,
          annotations: { [ANNOTATIONS.readyAfterMs]: String(p.readyAfterMs) },
        },
        spec: {
          containers: [
            { name: 'app', image: 'example-app:1', env: [{ name: 'VERSION', value: version }] },
          ],
        },
      },
    },
  } as KubernetesObject;
}
