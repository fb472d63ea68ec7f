import { expect } from 'chai';
import type {
  CoreV1Event,
  EventsV1Event,
  V1ConfigMap,
  V1Deployment,
  V1Lease,
} from '@kubernetes/client-node';
import { EventsV1Api, V1MicroTime } from '@kubernetes/client-node';
import { patchOptions } from '../support/kube.js';
import { apiError, deployment, startSandbox, widget, WIDGETS, type Sandbox } from './helpers.js';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };
const NS = 'default';

async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** client-node's V1MicroTime serialises with the six fractional digits MicroTime needs. */
function microNow(): Date {
  return new V1MicroTime();
}

describe('sandbox API server: deletion, leases, events and test hooks', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox();
  });
  after(async () => {
    await sb.server.close();
  });

  it('keeps an object with finalizers, marked with deletionTimestamp, until the last finalizer goes', async () => {
    await sb.custom.createNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      body: {
        ...widget('fin'),
        metadata: { name: 'fin', finalizers: ['sluice.dev/cleanup', 'other/x'] },
      },
    });
    const deleted = (await sb.custom.deleteNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      name: 'fin',
    })) as Obj;
    expect(deleted.metadata['deletionTimestamp']).to.be.a('string');
    const still = (await sb.custom.getNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      name: 'fin',
    })) as Obj;
    expect(still.metadata['deletionTimestamp']).to.be.a('string');
    const added = await apiError(() =>
      sb.custom.patchNamespacedCustomObject({
        ...WIDGETS,
        namespace: NS,
        name: 'fin',
        body: [{ op: 'add', path: '/metadata/finalizers/-', value: 'late/one' }],
      }),
    );
    expect(added.code).to.equal(422);
    expect(String(added.body['message'])).to.contain('no new finalizers');
    await sb.custom.patchNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      name: 'fin',
      body: [{ op: 'remove', path: '/metadata/finalizers/0' }],
    });
    expect(sb.server.store.get('widgets', NS, 'fin')).to.not.equal(undefined);
    await sb.custom.patchNamespacedCustomObject(
      { ...WIDGETS, namespace: NS, name: 'fin', body: { metadata: { finalizers: null } } },
      patchOptions('merge'),
    );
    expect(sb.server.store.get('widgets', NS, 'fin')).to.equal(undefined);
  });

  it('garbage-collects dependents whose owner was deleted, and keeps those with another live owner', async () => {
    const owner = await sb.apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('owner') as V1Deployment,
    });
    const other = await sb.apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('other-owner') as V1Deployment,
    });
    const ref = (d: V1Deployment) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: d.metadata?.name ?? '',
      uid: d.metadata?.uid ?? '',
    });
    const cm = (name: string, owners: ReturnType<typeof ref>[]): V1ConfigMap => ({
      metadata: { name, ownerReferences: owners },
    });
    await sb.core.createNamespacedConfigMap({ namespace: NS, body: cm('dependent', [ref(owner)]) });
    await sb.core.createNamespacedConfigMap({
      namespace: NS,
      body: cm('shared', [ref(owner), ref(other)]),
    });
    await sb.apps.deleteNamespacedDeployment({ namespace: NS, name: 'owner' });
    await until(
      'dependent collected',
      () => sb.server.store.get('configmaps', NS, 'dependent') === undefined,
    );
    const shared = sb.server.store.get('configmaps', NS, 'shared');
    const refs =
      (shared?.['metadata'] as { ownerReferences?: { name: string }[] }).ownerReferences ?? [];
    expect(refs.map((r) => r.name)).to.deep.equal(['other-owner']);
  });

  it('orphans dependents when asked with propagationPolicy=Orphan', async () => {
    const owner = await sb.apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('orphaner') as V1Deployment,
    });
    await sb.core.createNamespacedConfigMap({
      namespace: NS,
      body: {
        metadata: {
          name: 'orphan',
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              name: 'orphaner',
              uid: owner.metadata?.uid ?? '',
            },
          ],
        },
      },
    });
    await sb.apps.deleteNamespacedDeployment({
      namespace: NS,
      name: 'orphaner',
      propagationPolicy: 'Orphan',
    });
    await new Promise((r) => setTimeout(r, 50));
    const left = sb.server.store.get('configmaps', NS, 'orphan');
    expect(left).to.not.equal(undefined);
    expect((left?.['metadata'] as Record<string, unknown>)['ownerReferences']).to.equal(undefined);
  });

  it('lets only one of two Lease candidates win an acquisition guarded by resourceVersion', async () => {
    const created = await sb.coordination.createNamespacedLease({
      namespace: NS,
      body: {
        metadata: { name: 'leader' },
        spec: { leaseDurationSeconds: 15, leaseTransitions: 0 },
      },
    });
    const claim = (who: string): V1Lease => ({
      ...created,
      spec: {
        ...created.spec,
        holderIdentity: who,
        acquireTime: microNow(),
        renewTime: microNow(),
        leaseTransitions: 1,
      },
    });
    const results = await Promise.allSettled([
      sb.coordination.replaceNamespacedLease({ namespace: NS, name: 'leader', body: claim('a') }),
      sb.coordination.replaceNamespacedLease({ namespace: NS, name: 'leader', body: claim('b') }),
    ]);
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).to.have.length(1);
    const stored = await sb.coordination.readNamespacedLease({ namespace: NS, name: 'leader' });
    expect(['a', 'b']).to.include(stored.spec?.holderIdentity);
    expect(stored.spec?.leaseTransitions).to.equal(1);
    const raw = sb.server.store.get('leases', NS, 'leader');
    expect((raw?.['spec'] as Record<string, unknown>)['renewTime']).to.match(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/,
    );
  });

  it('rejects a Lease whose fields have the wrong types, and times without microseconds with 400', async () => {
    const post = (spec: Record<string, unknown>) =>
      fetch(`${sb.server.url}/apis/coordination.k8s.io/v1/namespaces/default/leases`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'bad' }, spec }),
      });
    const res = await post({ leaseDurationSeconds: 'long', leaseTransitions: -1 });
    expect(res.status).to.equal(422);
    const body = (await res.json()) as { details: { causes: { field: string }[] } };
    expect(body.details.causes.map((c) => c.field)).to.include.members([
      'spec.leaseDurationSeconds',
      'spec.leaseTransitions',
    ]);
    const millis = await post({ renewTime: new Date().toISOString() });
    expect(millis.status).to.equal(400);
    expect(((await millis.json()) as Record<string, unknown>)['message']).to.contain('MicroTime');
  });

  it('aggregates a repeated core Event into one object with a count', async () => {
    const event = (): CoreV1Event => ({
      metadata: { generateName: 'shop.' },
      involvedObject: {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'Rollout',
        name: 'shop',
        namespace: NS,
        uid: 'u-1',
      },
      reason: 'WeightChanged',
      message: 'canary weight 20',
      type: 'Normal',
      count: 1,
      source: { component: 'sluice' },
    });
    const first = await sb.core.createNamespacedEvent({ namespace: NS, body: event() });
    const second = await sb.core.createNamespacedEvent({ namespace: NS, body: event() });
    expect(second.metadata?.name).to.equal(first.metadata?.name);
    expect(second.count).to.equal(2);
    await sb.core.createNamespacedEvent({
      namespace: NS,
      body: { ...event(), message: 'canary weight 50' },
    });
    const list = await sb.core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: 'involvedObject.name=shop',
    });
    expect(list.items).to.have.length(2);
  });

  it('aggregates events.k8s.io/v1 Events into a series', async () => {
    const events = sb.kc.makeApiClient(EventsV1Api);
    const event = (): EventsV1Event => ({
      metadata: { name: 'shop.abc' },
      eventTime: new Date(),
      regarding: { kind: 'Rollout', name: 'shop', namespace: NS },
      reason: 'Paused',
      note: 'waiting for promotion',
      type: 'Normal',
      action: 'Pause',
      reportingController: 'sluice.dev/controller',
      reportingInstance: 'sluice-0',
    });
    await events.createNamespacedEvent({ namespace: NS, body: event() });
    const again = await events.createNamespacedEvent({
      namespace: NS,
      body: { ...event(), metadata: { name: 'shop.def' } },
    });
    expect(again.metadata?.name).to.equal('shop.abc');
    expect(again.series?.count).to.equal(2);
  });

  it('records every write, rejected ones included, in the write log', async () => {
    sb.server.clearWriteLog();
    await sb.custom.createNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      body: widget('logged'),
    });
    await apiError(() =>
      sb.custom.createNamespacedCustomObject({ ...WIDGETS, namespace: NS, body: widget('logged') }),
    );
    await sb.custom.patchNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      name: 'logged',
      body: [{ op: 'replace', path: '/spec/size', value: 2 }],
    });
    const log = sb.server.writeLog.map((w) => ({
      verb: w.verb,
      resource: w.resource,
      name: w.name,
      status: w.status,
      contentType: w.contentType,
    }));
    expect(log).to.deep.equal([
      {
        verb: 'create',
        resource: 'widgets',
        name: undefined,
        status: 201,
        contentType: 'application/json',
      },
      {
        verb: 'create',
        resource: 'widgets',
        name: undefined,
        status: 409,
        contentType: 'application/json',
      },
      {
        verb: 'patch',
        resource: 'widgets',
        name: 'logged',
        status: 200,
        contentType: 'application/json-patch+json',
      },
    ]);
    expect(sb.server.writeLog[2]?.body).to.deep.equal([
      { op: 'replace', path: '/spec/size', value: 2 },
    ]);
    expect(sb.server.writeLog[0]?.at).to.be.closeTo(Date.now(), 5000);
  });

  it('fails matching writes as injected, with a Status body, a given number of times', async () => {
    const vs = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'shop' },
      spec: {
        hosts: ['shop'],
        http: [{ name: 'primary', route: [{ destination: { host: 'a' }, weight: 100 }] }],
      },
    };
    const ref = {
      group: 'networking.istio.io',
      version: 'v1',
      namespace: NS,
      plural: 'virtualservices',
    };
    await sb.custom.createNamespacedCustomObject({ ...ref, body: vs });
    sb.server.injectFailure({
      verb: 'patch',
      resource: 'virtualservices',
      name: 'shop',
      status: 400,
      message: 'admission webhook denied the request',
      times: 1,
    });
    const patch = () =>
      sb.custom.patchNamespacedCustomObject({
        ...ref,
        name: 'shop',
        body: [{ op: 'replace', path: '/spec/http/0/route/0/weight', value: 100 }],
      });
    const err = await apiError(patch);
    expect(err.code).to.equal(400);
    expect(err.body).to.deep.include({
      kind: 'Status',
      status: 'Failure',
      reason: 'BadRequest',
      message: 'admission webhook denied the request',
      code: 400,
    });
    await patch();
    const remove = sb.server.injectFailure({
      resource: 'virtualservices.networking.istio.io',
      status: 503,
      message: 'unavailable',
    });
    expect((await apiError(patch)).code).to.equal(503);
    remove();
    await patch();
    expect(
      sb.server.writeLog.filter((w) => w.resource === 'virtualservices').map((w) => w.status),
    ).to.deep.equal([201, 400, 200, 503, 200]);
  });

  it('refuses to delete the default namespace and deletes the contents of others', async () => {
    const err = await apiError(() => sb.core.deleteNamespace({ name: 'default' }));
    expect(err.code).to.equal(403);
    await sb.core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await sb.core.createNamespacedConfigMap({
      namespace: 'doomed',
      body: { metadata: { name: 'x' } },
    });
    await sb.core.deleteNamespace({ name: 'doomed' });
    expect(sb.server.store.get('configmaps', 'doomed', 'x')).to.equal(undefined);
    expect(sb.server.store.get('namespaces', undefined, 'doomed')).to.equal(undefined);
  });
});
