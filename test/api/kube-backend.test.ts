import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import request from 'supertest';
import type { AuditRecord } from '../../src/api/audit.js';
import { decideCommand } from '../../src/api/command-rules.js';
import { KubeRolloutBackend } from '../../src/api/kube-backend.js';
import { createKubeClients } from '../../src/adapters/kubernetes/client.js';
import { createInformer } from '../../src/adapters/kubernetes/informer.js';
import { parseRolloutObject } from '../../src/adapters/kubernetes/parsers.js';
import { createResources } from '../../src/adapters/kubernetes/resources.js';
import { readCommands } from '../../src/domain/commands.js';
import type { Rollout, RolloutStatus } from '../../src/domain/types.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import { kubeConfigFor, patchOptions } from '../support/kube.js';
import { bearer, makeRollout, makeTestApi, type TestApi } from './support.js';

const NS = 'shop';
const ROLLOUT = { group: 'sluice.dev', version: 'v1alpha1', namespace: NS, plural: 'rollouts' };

describe('KubeRolloutBackend on the sandbox API server', () => {
  let server: ApiServer;
  let custom: CustomObjectsApi;
  let backend: KubeRolloutBackend;
  let t: TestApi;
  let dir: string;

  before(async () => {
    server = await startApiServer({ port: 0 });
    const kc = kubeConfigFor(server.url);
    custom = kc.makeApiClient(CustomObjectsApi);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'checkout' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'checkout' } },
          template: {
            metadata: { labels: { app: 'checkout' } },
            spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/shop:old' }] },
          },
        },
      },
    });
    backend = new KubeRolloutBackend(kc, { timeoutMs: 5000 });
  });
  after(async () => {
    await server?.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-kube-api-'));
    t = await makeTestApi({ dir, rollouts: backend });
  });
  afterEach(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
    await custom
      .deleteNamespacedCustomObject({ ...ROLLOUT, name: 'checkout' })
      .catch(() => undefined);
  });

  async function createRollout(status: RolloutStatus): Promise<void> {
    const { status: _s, ...body } = makeRollout('checkout', undefined, 0, NS);
    await custom.createNamespacedCustomObject({ ...ROLLOUT, body });
    await setStatus(status);
  }

  async function setStatus(status: RolloutStatus): Promise<void> {
    await custom.patchNamespacedCustomObjectStatus(
      { ...ROLLOUT, name: 'checkout', body: { status } },
      patchOptions('merge'),
    );
  }

  async function current(): Promise<Rollout> {
    return (await custom.getNamespacedCustomObject({ ...ROLLOUT, name: 'checkout' })) as Rollout;
  }

  async function audit(): Promise<AuditRecord[]> {
    const text = await readFile(t.auditPath, 'utf8');
    return text
      .trimEnd()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditRecord);
  }

  it('lists and gets rollouts through CustomObjectsApi', async () => {
    await createRollout({
      phase: 'Paused',
      currentStepIndex: 2,
      weights: { stable: 75, canary: 25 },
    });
    const list = await request(t.app)
      .get(`/api/v1/namespaces/${NS}/rollouts`)
      .set('Authorization', bearer('viewer'));
    expect(list.body.items.map((r: { name: string }) => r.name)).to.deep.equal(['checkout']);
    const one = await request(t.app)
      .get(`/api/v1/namespaces/${NS}/rollouts/checkout`)
      .set('Authorization', bearer('viewer'));
    expect(one.body).to.include({ phase: 'Paused' });
    expect(one.body.weights).to.deep.equal({ stable: 75, canary: 25 });
    const missing = await request(t.app)
      .get(`/api/v1/namespaces/${NS}/rollouts/none`)
      .set('Authorization', bearer('viewer'));
    expect(missing.status).to.equal(404);
  });

  it('S26: 20 promotes for step 2 and 20 aborts in parallel — abort wins, at most one promote', async () => {
    await createRollout({
      phase: 'Paused',
      currentStepIndex: 2,
      weights: { stable: 75, canary: 25 },
    });
    const post = (verb: 'promote' | 'abort', body: object) =>
      request(t.app)
        .post(`/api/v1/namespaces/${NS}/rollouts/checkout/${verb}`)
        .set('Authorization', bearer('operator'))
        .send(body);
    const calls = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0 ? post('promote', { expectedStep: 2 }) : post('abort', { reason: `stop ${i}` }),
    );
    const answers = await Promise.all(calls);
    for (const a of answers) expect([202, 409]).to.include(a.status);
    const promotes = answers.filter((_, i) => i % 2 === 0);
    const aborts = answers.filter((_, i) => i % 2 === 1);
    expect(promotes.filter((a) => a.status === 202).length).to.be.at.most(1);
    expect(aborts.every((a) => a.status === 202)).to.equal(true);
    const abortIds = new Set(aborts.map((a) => a.body.requestId));
    expect(abortIds.size).to.equal(1);

    const after = await current();
    const cmds = readCommands(after.metadata.annotations).commands;
    expect(cmds.map((c) => c.kind)).to.deep.equal(['abort']);

    const records = await audit();
    const written = records.filter((r) => r.details.written === true);
    expect(written.map((r) => r.action).at(-1)).to.equal('rollout.abort');
    expect(written.filter((r) => r.action === 'rollout.abort')).to.have.length(1);

    // The controller handles the abort ...
    const abortId = [...abortIds][0] as string;
    await setStatus({
      phase: 'Aborted',
      weights: { stable: 100, canary: 0 },
      handledCommands: { abort: abortId },
    });
    const late = await post('promote', { expectedStep: 2 });
    expect(late.status).to.equal(409);
    expect(late.body.error.message).to.contain('aborted; retry first');

    // ... and later, at step 4 after a retry, a stale promote for step 2 is refused.
    await setStatus({ phase: 'Paused', currentStepIndex: 4 });
    const stale = await post('promote', { expectedStep: 2 });
    expect(stale.status).to.equal(409);
    expect(stale.body.error.message).to.contain('stale');
  });

  it('re-checks a command after a resourceVersion conflict, so concurrent writers never both win', async () => {
    await createRollout({ phase: 'Paused', currentStepIndex: 2 });
    // Straight at the backend, without the API's per-rollout lock: only the guarded PUT decides.
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        backend.recordCommand(
          { namespace: NS, name: 'checkout' },
          { kind: 'promote', id: `p${i}`, step: 2 },
          { decide: (r) => decideCommand(r, { kind: 'promote', expectedStep: 2 }) },
        ),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).to.have.length(1);
    const conflicts = server.writeLog.filter((w) => w.resource === 'rollouts' && w.status === 409);
    expect(conflicts.length).to.be.greaterThan(0);
    const cmds = readCommands((await current()).metadata.annotations).commands;
    expect(cmds).to.have.length(1);
  });

  it('refuses abort with nothing in progress without writing anything', async () => {
    await createRollout({ phase: 'Healthy', currentStepIndex: 4 });
    server.clearWriteLog();
    const res = await request(t.app)
      .post(`/api/v1/namespaces/${NS}/rollouts/checkout/abort`)
      .set('Authorization', bearer('operator'))
      .send({ reason: 'nothing to stop' });
    expect(res.status).to.equal(409);
    expect(res.body.error.code).to.equal('NotInProgress');
    expect(server.writeLog).to.deep.equal([]);
  });

  it('serves reads from a synced informer cache while commands re-read the API server', async () => {
    await createRollout({ phase: 'Paused', currentStepIndex: 2 });
    const kc = kubeConfigFor(server.url);
    const clients = createKubeClients(kc);
    const informer = createInformer(clients, createResources(clients).rollouts, {
      parse: parseRolloutObject,
      namespace: NS,
    });
    await informer.start();
    await informer.stop();
    const cached = new KubeRolloutBackend(kc, { readCache: informer });
    await setStatus({ phase: 'Progressing', currentStepIndex: 3 });
    const read = await cached.get({ namespace: NS, name: 'checkout' });
    expect(read.status?.phase).to.equal('Paused');
    const res = await cached.recordCommand(
      { namespace: NS, name: 'checkout' },
      { kind: 'pause', id: 'p1' },
      { decide: (r) => decideCommand(r, { kind: 'pause' }) },
    );
    expect(res.written).to.equal(true);
    expect(res.rollout.status?.phase).to.equal('Progressing');
  });

  it('sets the image of the Deployment named by targetRef from a webhook mapping', async () => {
    await createRollout({ phase: 'Healthy' });
    const first = await backend.setTargetImage(
      { namespace: NS, name: 'checkout' },
      'app',
      'ghcr.io/acme/shop:abc',
    );
    const again = await backend.setTargetImage(
      { namespace: NS, name: 'checkout' },
      'app',
      'ghcr.io/acme/shop:abc',
    );
    expect(first.changed).to.equal(true);
    expect(again.changed).to.equal(false);
    const dep = server.store.get('deployments', NS, 'checkout') as {
      spec: { template: { spec: { containers: Array<{ image: string }> } } };
    };
    expect(dep.spec.template.spec.containers[0]?.image).to.equal('ghcr.io/acme/shop:abc');
  });
});
