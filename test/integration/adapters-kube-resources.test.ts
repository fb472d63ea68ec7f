import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { V1Deployment } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { createKubeClients, type KubeClients } from '../../src/adapters/kubernetes/client.js';
import { createResources, type Resources } from '../../src/adapters/kubernetes/resources.js';
import {
  ResourceConflictError,
  ResourceNotFoundError,
  SluiceError,
} from '../../src/domain/errors.js';
import type { AnalysisTemplate, Rollout } from '../../src/domain/types.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import { kubeConfigFor } from '../support/kube.js';

const exampleRollout = (): Rollout =>
  parseYaml(
    readFileSync(new URL('../../examples/rollout.yaml', import.meta.url), 'utf8'),
  ) as Rollout;
const exampleTemplate = (): AnalysisTemplate =>
  parseYaml(
    readFileSync(new URL('../../analysis-templates/success-rate.yaml', import.meta.url), 'utf8'),
  ) as AnalysisTemplate;

function deployment(name: string, replicas: number): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'demo' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'shop:1' }] },
      },
    },
  };
}

async function expectError(p: Promise<unknown>): Promise<SluiceError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(SluiceError);
    return err as SluiceError;
  }
  expect.fail('expected the call to fail');
}

describe('typed resource access against the sandbox API server', () => {
  let server: ApiServer;
  let clients: KubeClients;
  let res: Resources;

  before(async () => {
    server = await startApiServer({ port: 0 });
    clients = createKubeClients(kubeConfigFor(server.url), { timeoutMs: 5000 });
    res = createResources(clients);
    await clients.core.createNamespace({ body: { metadata: { name: 'demo' } } });
  });

  after(() => server.close());

  afterEach(async () => {
    await res.rollouts.delete({ namespace: 'demo', name: 'shop' }).catch(() => undefined);
  });

  it('creates, reads and lists Rollouts as parsed objects', async () => {
    const created = await res.rollouts.create(exampleRollout());
    expect(created.metadata.resourceVersion).to.be.a('string');
    const got = await res.rollouts.get({ namespace: 'demo', name: 'shop' });
    expect(got.spec.trafficRouting.istio.virtualService.routes).to.deep.equal(['primary']);
    const list = await res.rollouts.list({ namespace: 'demo' });
    expect(list.items.map((r) => r.metadata.name)).to.deep.equal(['shop']);
    expect(list.invalid).to.deep.equal([]);
    expect(list.resourceVersion).to.not.equal('');
  });

  it('writes status with the resourceVersion it read and refuses a stale one as a retriable conflict', async () => {
    const created = await res.rollouts.create(exampleRollout());
    const updated = await res.rollouts.updateStatus({
      ...created,
      status: { phase: 'Progressing', currentStepIndex: 1 },
    });
    expect(updated.status?.phase).to.equal('Progressing');
    expect(updated.metadata.generation).to.equal(created.metadata.generation);

    const err = await expectError(
      res.rollouts.updateStatus({ ...created, status: { phase: 'Healthy' } }),
    );
    expect(err).to.be.instanceOf(ResourceConflictError);
    expect(err.retriable).to.equal(true);
    expect(err.message).to.contain('Rollout demo/shop');
    expect((await res.rollouts.get({ namespace: 'demo', name: 'shop' })).status?.phase).to.equal(
      'Progressing',
    );
  });

  it('patches status with a merge patch without touching the spec', async () => {
    const created = await res.rollouts.create(exampleRollout());
    const patched = await res.rollouts.patchStatusMerge(
      { namespace: 'demo', name: 'shop' },
      { status: { phase: 'Paused', message: 'waiting for promote' } },
    );
    expect(patched.status?.phase).to.equal('Paused');
    expect(patched.spec).to.deep.equal(created.spec);
  });

  it('keeps a stored Rollout that breaks only the semantic rules, for the controller to report', async () => {
    const bad = exampleRollout();
    // Decreasing weights pass the CRD schema; the controller reports them on the status (and
    // still obeys an abort), so the typed read keeps the object.
    bad.spec.strategy.canary = { steps: [{ setWeight: 50 }, { setWeight: 20 }] };
    await clients.custom.createNamespacedCustomObject({
      group: 'sluice.dev',
      version: 'v1alpha1',
      plural: 'rollouts',
      namespace: 'demo',
      body: bad,
    });
    const list = await res.rollouts.list({ namespace: 'demo' });
    expect(list.items.map((r) => r.metadata.name)).to.deep.equal(['shop']);
    expect(list.invalid).to.deep.equal([]);
    const got = await res.rollouts.get({ namespace: 'demo', name: 'shop' });
    expect(got.spec.strategy.canary?.steps).to.have.length(2);
  });

  it('names the missing object in a NotFound error', async () => {
    const err = await expectError(res.rollouts.get({ namespace: 'demo', name: 'nope' }));
    expect(err).to.be.instanceOf(ResourceNotFoundError);
    expect(err.message).to.contain('Rollout demo/nope');
  });

  it('handles cluster-scoped ClusterAnalysisTemplates', async () => {
    await res.clusterAnalysisTemplates.create(exampleTemplate());
    const got = await res.clusterAnalysisTemplates.get({ name: 'success-rate' });
    expect(got.kind).to.equal('ClusterAnalysisTemplate');
    expect(got.spec.metrics[0]?.name).to.equal('success-rate');
    const list = await res.clusterAnalysisTemplates.list();
    expect(list.items.map((t) => t.metadata.name)).to.include('success-rate');
    await res.clusterAnalysisTemplates.delete({ name: 'success-rate' });
    await expectError(res.clusterAnalysisTemplates.get({ name: 'success-rate' }));
  });

  it('reads Deployment status and scales by patching spec.replicas only', async () => {
    await res.deployments.create(deployment('shop-primary', 2));
    server.clearWriteLog();
    const scaled = await res.deployments.scale({ namespace: 'demo', name: 'shop-primary' }, 5);
    expect(scaled.spec?.replicas).to.equal(5);
    const writes = server.writeLog.filter((w) => w.resource === 'deployments');
    expect(writes.map((w) => [w.verb, w.contentType, w.body])).to.deep.equal([
      ['patch', 'application/merge-patch+json', { spec: { replicas: 5 } }],
    ]);
    const withStatus = await res.deployments.patchStatusMerge(
      { namespace: 'demo', name: 'shop-primary' },
      { status: { replicas: 5, availableReplicas: 5, observedGeneration: 2 } },
    );
    expect(withStatus.status?.availableReplicas).to.equal(5);
    const got = await res.deployments.get({ namespace: 'demo', name: 'shop-primary' });
    expect(got.status?.availableReplicas).to.equal(5);
    expect(got.metadata?.generation).to.equal(2);
    await res.deployments.delete({ namespace: 'demo', name: 'shop-primary' });
  });

  it('creates, updates and lists Services', async () => {
    const svc = await res.services.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'shop-canary', namespace: 'demo' },
      spec: { selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const updated = await res.services.update({
      ...svc,
      spec: { ...svc.spec, selector: { app: 'shop', track: 'canary' } },
    });
    expect(updated.spec?.selector).to.deep.equal({ app: 'shop', track: 'canary' });
    const stale = await expectError(
      res.services.update({ ...svc, metadata: { ...svc.metadata, labels: { a: 'b' } } }),
    );
    expect(stale).to.be.instanceOf(ResourceConflictError);
    const list = await res.services.list({ namespace: 'demo' });
    expect(list.items.map((s) => s.metadata?.name)).to.deep.equal(['shop-canary']);
  });
});
