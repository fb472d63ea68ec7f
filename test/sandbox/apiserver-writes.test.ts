import { expect } from 'chai';
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { patchOptions } from '../support/kube.js';
import { apiError, deployment, startSandbox, widget, WIDGETS, type Sandbox } from './helpers.js';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };
const NS = 'default';

describe('sandbox API server: writes', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox();
  });
  after(async () => {
    await sb.server.close();
  });

  const create = async (name: string, spec?: Record<string, unknown>): Promise<Obj> =>
    (await sb.custom.createNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      body: widget(name, spec),
    })) as Obj;

  it('answers a create of an existing name with 409 AlreadyExists and a full Status', async () => {
    await create('dup');
    const err = await apiError(() => create('dup'));
    expect(err.code).to.equal(409);
    expect(err.body).to.deep.include({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'AlreadyExists',
      code: 409,
    });
    expect(err.body['message']).to.equal('widgets.test.sluice.dev "dup" already exists');
    expect(err.body['details']).to.deep.include({
      name: 'dup',
      group: 'test.sluice.dev',
      kind: 'widgets',
    });
  });

  it('answers get, update, patch and delete of a missing object with 404 NotFound naming it', async () => {
    const ref = { ...WIDGETS, namespace: NS, name: 'missing' };
    const calls: (() => Promise<unknown>)[] = [
      () => sb.custom.getNamespacedCustomObject(ref),
      () => sb.custom.replaceNamespacedCustomObject({ ...ref, body: widget('missing') }),
      () =>
        sb.custom.patchNamespacedCustomObject({
          ...ref,
          body: [{ op: 'add', path: '/spec/size', value: 1 }],
        }),
      () => sb.custom.deleteNamespacedCustomObject(ref),
    ];
    for (const call of calls) {
      const err = await apiError(call);
      expect(err.code).to.equal(404);
      expect(err.body).to.deep.include({
        kind: 'Status',
        status: 'Failure',
        reason: 'NotFound',
        code: 404,
      });
      expect(err.body['details']).to.deep.include({ name: 'missing', kind: 'widgets' });
    }
  });

  it('answers a PUT with a stale resourceVersion with 409 Conflict', async () => {
    const c = await create('stale');
    await sb.custom.patchNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      name: 'stale',
      body: [{ op: 'replace', path: '/spec/size', value: 2 }],
    });
    const err = await apiError(() =>
      sb.custom.replaceNamespacedCustomObject({
        ...WIDGETS,
        namespace: NS,
        name: 'stale',
        body: { ...c, spec: { size: 9 } },
      }),
    );
    expect(err.code).to.equal(409);
    expect(err.body).to.include({ reason: 'Conflict', status: 'Failure' });
    expect(String(err.body['message'])).to.contain('the object has been modified');
  });

  it('lets a PUT without resourceVersion overwrite', async () => {
    await create('overwrite');
    const body = widget('overwrite', { size: 8 });
    const put = (await sb.custom.replaceNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      name: 'overwrite',
      body,
    })) as Obj;
    expect((put['spec'] as Record<string, unknown>)['size']).to.equal(8);
  });

  it('lets exactly one of two writers holding the same resourceVersion win', async () => {
    const c = await create('race');
    const a = sb.custom.replaceNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      name: 'race',
      body: { ...c, spec: { size: 4 } },
    });
    const b = sb.custom.replaceNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      name: 'race',
      body: { ...c, spec: { size: 5 } },
    });
    const results = await Promise.allSettled([a, b]);
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    const failed = results.find((r) => r.status === 'rejected');
    expect((failed as PromiseRejectedResult).reason).to.have.property('code', 409);
  });

  it('ignores .status on writes to the main resource when the status subresource is on', async () => {
    await sb.custom.createNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      body: { ...widget('st'), status: { phase: 'Forged' } },
    });
    const got = (await sb.custom.getNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      name: 'st',
    })) as Obj;
    expect(got['status']).to.equal(undefined);
    await sb.custom.patchNamespacedCustomObjectStatus(
      { ...WIDGETS, namespace: NS, name: 'st', body: { status: { phase: 'Real' } } },
      patchOptions('merge'),
    );
    const merged = (await sb.custom.patchNamespacedCustomObject(
      {
        ...WIDGETS,
        namespace: NS,
        name: 'st',
        body: { spec: { size: 6 }, status: { phase: 'Forged' } },
      },
      patchOptions('merge'),
    )) as Obj;
    expect(merged['status']).to.deep.equal({ phase: 'Real' });
    expect((merged['spec'] as Record<string, unknown>)['size']).to.equal(6);
  });

  it('ignores everything but .status on writes to /status', async () => {
    const c = await create('only-status');
    const body = {
      ...c,
      metadata: { ...c.metadata, labels: { sneaky: 'yes' } },
      spec: { size: 10 },
      status: { phase: 'Done' },
    };
    const res = (await sb.custom.replaceNamespacedCustomObjectStatus({
      ...WIDGETS,
      namespace: NS,
      name: 'only-status',
      body,
    })) as Obj;
    expect(res['status']).to.deep.equal({ phase: 'Done' });
    expect((res['spec'] as Record<string, unknown>)['size']).to.equal(3);
    expect(res.metadata['labels']).to.equal(undefined);
    expect(res.metadata['generation']).to.equal(1);
  });

  it('applies a JSON patch whose test operations hold, and answers 422 when one fails', async () => {
    await create('jp', { size: 3, tags: [{ name: 'a' }] });
    const ok = (await sb.custom.patchNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      name: 'jp',
      body: [
        { op: 'test', path: '/spec/tags/0/name', value: 'a' },
        { op: 'replace', path: '/spec/size', value: 4 },
        { op: 'add', path: '/spec/tags/-', value: { name: 'b' } },
      ],
    })) as Obj;
    expect(ok['spec']).to.deep.include({ size: 4, tags: [{ name: 'a' }, { name: 'b' }] });
    const failed = await apiError(() =>
      sb.custom.patchNamespacedCustomObject({
        ...WIDGETS,
        namespace: NS,
        name: 'jp',
        body: [
          { op: 'test', path: '/spec/size', value: 99 },
          { op: 'replace', path: '/spec/size', value: 5 },
        ],
      }),
    );
    expect(failed.code).to.equal(422);
    expect(failed.body).to.include({ kind: 'Status', status: 'Failure' });
    const after = (await sb.custom.getNamespacedCustomObject({
      ...WIDGETS,
      namespace: NS,
      name: 'jp',
    })) as Obj;
    expect((after['spec'] as Record<string, unknown>)['size']).to.equal(4);
  });

  it('answers a JSON patch on a path that does not exist with 422', async () => {
    await create('jp-missing');
    const err = await apiError(() =>
      sb.custom.patchNamespacedCustomObject({
        ...WIDGETS,
        namespace: NS,
        name: 'jp-missing',
        body: [{ op: 'replace', path: '/spec/nothing/here', value: 1 }],
      }),
    );
    expect(err.code).to.equal(422);
  });

  it('answers an undecodable patch with 400', async () => {
    await create('garbage');
    const res = await fetch(
      `${sb.server.url}/apis/test.sluice.dev/v1/namespaces/default/widgets/garbage`,
      {
        method: 'PATCH',
        headers: { 'content-type': 'application/json-patch+json' },
        body: '[{"op": "replace",',
      },
    );
    expect(res.status).to.equal(400);
    const notArray = await fetch(
      `${sb.server.url}/apis/test.sluice.dev/v1/namespaces/default/widgets/garbage`,
      {
        method: 'PATCH',
        headers: { 'content-type': 'application/json-patch+json' },
        body: '{"op":"replace"}',
      },
    );
    expect(notArray.status).to.equal(400);
    expect(((await notArray.json()) as Record<string, unknown>)['kind']).to.equal('Status');
  });

  it('merges a merge patch: null deletes a key and lists are replaced whole', async () => {
    await create('mp', { size: 3, color: 'red', tags: [{ name: 'a' }, { name: 'b' }] });
    const res = (await sb.custom.patchNamespacedCustomObject(
      {
        ...WIDGETS,
        namespace: NS,
        name: 'mp',
        body: { spec: { color: null, tags: [{ name: 'c' }] } },
      },
      patchOptions('merge'),
    )) as Obj;
    expect(res['spec']).to.deep.include({ tags: [{ name: 'c' }] });
    expect((res['spec'] as Record<string, unknown>)['color']).to.equal('green');
  });

  it('merges a strategic merge patch into a Deployment by container name, and refuses it for custom resources with 415', async () => {
    await sb.apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('smp') as V1Deployment,
    });
    const patched = await sb.apps.patchNamespacedDeployment(
      {
        namespace: NS,
        name: 'smp',
        body: {
          spec: { template: { spec: { containers: [{ name: 'app', image: 'example/app:2' }] } } },
        },
      },
      patchOptions('strategic'),
    );
    const container = patched.spec?.template.spec?.containers[0];
    expect(container?.image).to.equal('example/app:2');
    expect(container?.env).to.deep.equal([{ name: 'VERSION', value: '1' }]);
    await create('smp-cr');
    const err = await apiError(() =>
      sb.custom.patchNamespacedCustomObject(
        { ...WIDGETS, namespace: NS, name: 'smp-cr', body: { spec: { size: 4 } } },
        patchOptions('strategic'),
      ),
    );
    expect(err.code).to.equal(415);
    expect(err.body).to.include({ reason: 'UnsupportedMediaType' });
  });

  it('refuses server-side apply with 415', async () => {
    await create('ssa');
    const res = await fetch(
      `${sb.server.url}/apis/test.sluice.dev/v1/namespaces/default/widgets/ssa?fieldManager=test`,
      {
        method: 'PATCH',
        headers: { 'content-type': 'application/apply-patch+yaml' },
        body: 'spec:\n  size: 4\n',
      },
    );
    expect(res.status).to.equal(415);
    expect(((await res.json()) as Record<string, unknown>)['message']).to.contain(
      'server-side apply',
    );
  });

  it('serves /scale for Deployments and writes spec.replicas through it', async () => {
    await sb.apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('scaled') as V1Deployment,
    });
    const scale = await sb.apps.readNamespacedDeploymentScale({ namespace: NS, name: 'scaled' });
    expect(scale.spec?.replicas).to.equal(2);
    expect(scale.status?.selector).to.equal('app=scaled');
    await sb.apps.patchNamespacedDeploymentScale(
      { namespace: NS, name: 'scaled', body: { spec: { replicas: 5 } } },
      patchOptions('merge'),
    );
    const d = await sb.apps.readNamespacedDeployment({ namespace: NS, name: 'scaled' });
    expect(d.spec?.replicas).to.equal(5);
    expect(d.metadata?.generation).to.equal(2);
  });

  it('keeps data written to a ConfigMap and deletes with a Success Status', async () => {
    const cm: V1ConfigMap = { metadata: { name: 'cfg' }, data: { a: '1' } };
    await sb.core.createNamespacedConfigMap({ namespace: NS, body: cm });
    const status = await sb.core.deleteNamespacedConfigMap({ namespace: NS, name: 'cfg' });
    expect(status.status).to.equal('Success');
    expect(sb.server.store.get('configmaps', NS, 'cfg')).to.equal(undefined);
  });
});
