import { expect } from 'chai';
import type { V1Deployment } from '@kubernetes/client-node';
import { apiError, deployment, startSandbox, widget, WIDGETS, type Sandbox } from './helpers.js';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };

describe('sandbox API server: objects and versions', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox();
  });
  after(async () => {
    await sb.server.close();
  });

  it('gives every write a new opaque string resourceVersion', async () => {
    const created = (await sb.custom.createNamespacedCustomObject({
      ...WIDGETS,
      namespace: 'default',
      body: widget('rv'),
    })) as Obj;
    const rv1 = created.metadata['resourceVersion'];
    expect(rv1).to.be.a('string');
    const patched = (await sb.custom.patchNamespacedCustomObject({
      ...WIDGETS,
      namespace: 'default',
      name: 'rv',
      body: [{ op: 'replace', path: '/spec/size', value: 4 }],
    })) as Obj;
    expect(patched.metadata['resourceVersion']).to.be.a('string').and.not.equal(rv1);
  });

  it('sets uid once and an RFC 3339 creationTimestamp', async () => {
    const created = (await sb.custom.createNamespacedCustomObject({
      ...WIDGETS,
      namespace: 'default',
      body: widget('uid'),
    })) as Obj;
    const uid = created.metadata['uid'];
    expect(uid).to.match(/^[0-9a-f-]{36}$/);
    expect(created.metadata['creationTimestamp']).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const updated = (await sb.custom.replaceNamespacedCustomObject({
      ...WIDGETS,
      namespace: 'default',
      name: 'uid',
      body: { ...widget('uid', { size: 5 }), metadata: { name: 'uid', uid: 'forged' } },
    })) as Obj;
    expect(updated.metadata['uid']).to.equal(uid);
    expect(updated.metadata['creationTimestamp']).to.equal(created.metadata['creationTimestamp']);
  });

  it('starts generation at 1 and bumps it only for changes outside metadata and status', async () => {
    const ns = 'default';
    const c = (await sb.custom.createNamespacedCustomObject({
      ...WIDGETS,
      namespace: ns,
      body: widget('gen'),
    })) as Obj;
    expect(c.metadata['generation']).to.equal(1);
    const labelled = (await sb.custom.patchNamespacedCustomObject({
      ...WIDGETS,
      namespace: ns,
      name: 'gen',
      body: [{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }],
    })) as Obj;
    expect(labelled.metadata['generation']).to.equal(1);
    const specChanged = (await sb.custom.patchNamespacedCustomObject({
      ...WIDGETS,
      namespace: ns,
      name: 'gen',
      body: [{ op: 'replace', path: '/spec/size', value: 7 }],
    })) as Obj;
    expect(specChanged.metadata['generation']).to.equal(2);
    const status = (await sb.custom.patchNamespacedCustomObjectStatus({
      ...WIDGETS,
      namespace: ns,
      name: 'gen',
      body: [{ op: 'add', path: '/status', value: { phase: 'Ready', observedGeneration: 2 } }],
    })) as Obj;
    expect(status.metadata['generation']).to.equal(2);
    expect(status['status']).to.deep.equal({ phase: 'Ready', observedGeneration: 2 });
  });

  it('bumps a Deployment generation on spec changes only, never on status writes', async () => {
    const d = await sb.apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('gen-d') as V1Deployment,
    });
    expect(d.metadata?.generation).to.equal(1);
    const scaled = await sb.apps.patchNamespacedDeployment({
      namespace: 'default',
      name: 'gen-d',
      body: [{ op: 'replace', path: '/spec/replicas', value: 5 }],
    });
    expect(scaled.metadata?.generation).to.equal(2);
    const st = await sb.apps.replaceNamespacedDeploymentStatus({
      namespace: 'default',
      name: 'gen-d',
      body: { ...scaled, status: { observedGeneration: 2, replicas: 5 } },
    });
    expect(st.metadata?.generation).to.equal(2);
    expect(st.status?.observedGeneration).to.equal(2);
  });

  it('does not change the resourceVersion of a write that changes nothing', async () => {
    const c = (await sb.custom.createNamespacedCustomObject({
      ...WIDGETS,
      namespace: 'default',
      body: widget('noop'),
    })) as Obj;
    const same = (await sb.custom.patchNamespacedCustomObject({
      ...WIDGETS,
      namespace: 'default',
      name: 'noop',
      body: [{ op: 'replace', path: '/spec/size', value: 3 }],
    })) as Obj;
    expect(same.metadata['resourceVersion']).to.equal(c.metadata['resourceVersion']);
  });

  it('answers a write to a missing namespace-scoped resource with 404 NotFound', async () => {
    const err = await apiError(() =>
      sb.custom.getNamespacedCustomObject({ ...WIDGETS, namespace: 'default', name: 'ghost' }),
    );
    expect(err.code).to.equal(404);
    expect(err.body).to.include({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
    });
  });
});

describe('sandbox API server: namespaces', () => {
  it('refuses objects in a missing namespace with 404 when requireNamespaces is on', async () => {
    const sb = await startSandbox({ requireNamespaces: true });
    try {
      const err = await apiError(() =>
        sb.custom.createNamespacedCustomObject({
          ...WIDGETS,
          namespace: 'nowhere',
          body: widget('w'),
        }),
      );
      expect(err.code).to.equal(404);
      expect(err.body['message']).to.equal('namespaces "nowhere" not found');
      await sb.core.createNamespace({ body: { metadata: { name: 'nowhere' } } });
      const ok = (await sb.custom.createNamespacedCustomObject({
        ...WIDGETS,
        namespace: 'nowhere',
        body: widget('w'),
      })) as Obj;
      expect(ok.metadata['namespace']).to.equal('nowhere');
    } finally {
      await sb.server.close();
    }
  });
});
