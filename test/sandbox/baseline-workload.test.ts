import { expect } from 'chai';
import { join } from 'node:path';
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import {
  processRunner,
  startPodSimulator,
  type PodSimulator,
} from '../../src/sandbox/pods/index.js';
import { startProxy, type RunningProxy } from '../../src/sandbox/proxy/index.js';
import { deployment, FIXTURES, startSandbox, type Sandbox } from './helpers.js';

// The baseline's pods join the primary Service; the sandbox mesh, like Istio, labels each
// request by the Deployment that owns the pod that answered, not by the Service.

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const TEMPLATE = (labels: Record<string, string>) => ({
  metadata: { labels },
  spec: {
    containers: [{ name: 'app', image: 'example/app:1', env: [{ name: 'VERSION', value: '1' }] }],
  },
});

describe('baseline pods behind the primary Service (sandbox)', function () {
  this.timeout(30_000);
  let sb: Sandbox | undefined;
  let sim: PodSimulator | undefined;
  let proxy: RunningProxy | undefined;

  before(async () => {
    sb = await startSandbox();
    const runner = processRunner({
      command: [process.execPath, join(FIXTURES, 'tiny-app.mjs')],
      cwd: FIXTURES,
    });
    sim = await startPodSimulator({ server: sb.server.url, defaultReadyAfterMs: 0, runner });
    const svc: V1Service = {
      metadata: { name: 'web-primary' },
      spec: { selector: { app: 'web-primary' }, ports: [{ port: 80 }] },
    };
    await sb.core.createNamespacedService({ namespace: 'default', body: svc });
    const primary = { app: 'web-primary' };
    const baseline = { ...primary, 'sluice.dev/baseline': 'true' };
    for (const [name, labels, replicas] of [
      ['web-primary', primary, 3],
      ['web-baseline', baseline, 1],
    ] as const) {
      await sb.apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment(name, {
          replicas,
          selector: { matchLabels: labels },
          template: TEMPLATE(labels),
        }) as unknown as V1Deployment,
      });
    }
  });

  after(async () => {
    await proxy?.stop();
    await sim?.stop();
    await sb?.server.close();
  });

  it('lists one endpoint per ready pod with the Deployment that owns it', async () => {
    const s = sim as PodSimulator;
    const endpoints = await until('4 endpoints', () => {
      const e = s.endpointsOf('default', 'web-primary');
      return e.length === 4 ? e : undefined;
    });
    const byWorkload: Record<string, number> = {};
    for (const e of endpoints) byWorkload[e.workload] = (byWorkload[e.workload] ?? 0) + 1;
    expect(byWorkload).to.deep.equal({ 'web-baseline': 1, 'web-primary': 3 });
  });

  it('labels destination_workload by the answering pod, so the baseline gets its share of stable traffic', async () => {
    const s = sim as PodSimulator;
    proxy = await startProxy({
      namespace: 'default',
      getVirtualService: () => ({
        apiVersion: 'networking.istio.io/v1beta1',
        kind: 'VirtualService',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          hosts: ['web'],
          http: [{ name: 'primary', route: [{ destination: { host: 'web-primary' } }] }],
        },
      }),
      resolve: (ns, service) => s.endpointsOf(ns, service),
    });
    for (let i = 0; i < 40; i++) {
      const res = await fetch(proxy.url);
      expect(res.status).to.equal(200);
      await res.arrayBuffer();
    }
    const text = await (await fetch(proxy.metricsUrl)).text();
    const count = (workload: string): number => {
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('istio_requests_total{') &&
            l.includes(`destination_workload="${workload}"`),
        );
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    // Round robin over 4 pods: the baseline's one pod answers a quarter.
    expect(count('web-baseline')).to.equal(10);
    expect(count('web-primary')).to.equal(30);
    expect(text).to.contain('destination_service_name="web-primary"');
  });
});
