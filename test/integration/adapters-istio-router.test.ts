import { expect } from 'chai';
import { IstioRouter, headerRouteName } from '../../src/adapters/istio/router.js';
import { canonical } from '../../src/adapters/istio/virtual-service.js';
import type { VirtualServiceRef } from '../../src/adapters/istio/router.js';
import { createKubeClients, type KubeClients } from '../../src/adapters/kubernetes/client.js';
import { RESOURCE_TYPES } from '../../src/adapters/kubernetes/resource-types.js';
import {
  ResourceNotFoundError,
  RouteConflictError,
  SluiceError,
  TrafficRoutingError,
} from '../../src/domain/errors.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import { kubeConfigFor } from '../support/kube.js';

const VS_PATH = {
  group: 'networking.istio.io',
  version: 'v1',
  plural: 'virtualservices',
  namespace: 'demo',
};

/** The user's VirtualService: routes, retries, timeout, CORS, an unmanaged destination. */
function userVirtualService(): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: {
      name: 'shop',
      namespace: 'demo',
      annotations: { 'team.example/owner': 'checkout' },
    },
    spec: {
      hosts: ['shop.demo.svc.cluster.local'],
      gateways: ['mesh'],
      http: [
        {
          name: 'admin',
          match: [{ uri: { prefix: '/admin' } }],
          route: [{ destination: { host: 'shop-admin' } }],
        },
        {
          name: 'primary',
          retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx' },
          timeout: '5s',
          corsPolicy: { allowOrigins: [{ exact: 'https://shop.example' }], allowMethods: ['GET'] },
          route: [
            { destination: { host: 'shop-primary', port: { number: 80 } }, weight: 70 },
            { destination: { host: 'shop-canary', port: { number: 80 } }, weight: 0 },
            {
              destination: { host: 'legacy', subset: 'v1', port: { number: 8080 } },
              weight: 30,
              headers: { request: { set: { 'x-legacy': '1' } } },
            },
          ],
        },
      ],
    },
  };
}

const REF: VirtualServiceRef = { namespace: 'demo', virtualService: 'shop', routes: ['primary'] };

function weights(stable: number, canary: number, legacy: number) {
  return [
    {
      route: 'primary',
      destinations: [
        { host: 'shop-primary', port: 80, weight: stable },
        { host: 'shop-canary', port: 80, weight: canary },
        { host: 'legacy', subset: 'v1', port: 8080, weight: legacy },
      ],
    },
  ];
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

/** Drops metadata the server changes on every write, and the weights, for byte comparisons. */
function withoutWeights(vs: unknown): unknown {
  const copy = structuredClone(vs) as {
    metadata: Record<string, unknown>;
    spec: { http: Array<{ route?: Array<Record<string, unknown>> }> };
  };
  delete copy.metadata.resourceVersion;
  delete copy.metadata.generation;
  delete copy.metadata.managedFields;
  for (const r of copy.spec.http) for (const d of r.route ?? []) delete d.weight;
  return copy;
}

describe('IstioRouter against the sandbox API server', () => {
  let server: ApiServer;
  let clients: KubeClients;
  let router: IstioRouter;

  const stored = (): Record<string, unknown> => {
    const vs = server.store.get('virtualservices', 'demo', 'shop');
    if (!vs) expect.fail('VirtualService demo/shop is not stored');
    return vs;
  };
  const vsWrites = () => server.writeLog.filter((w) => w.resource === 'virtualservices');

  before(async () => {
    server = await startApiServer({ port: 0 });
    clients = createKubeClients(kubeConfigFor(server.url), { timeoutMs: 5000 });
    router = new IstioRouter(clients);
    await clients.core.createNamespace({ body: { metadata: { name: 'demo' } } });
  });

  after(() => server.close());

  beforeEach(async () => {
    server.clearFailures();
    await clients.custom
      .deleteNamespacedCustomObject({ ...VS_PATH, name: 'shop' })
      .catch(() => undefined);
    await clients.custom.createNamespacedCustomObject({ ...VS_PATH, body: userVirtualService() });
    server.clearWriteLog();
  });

  it('reads each named route with host, subset, port and weight', async () => {
    const snap = await router.read(REF);
    expect(snap.resourceVersion).to.be.a('string').and.not.equal('');
    expect(snap.routes).to.deep.equal(weights(70, 0, 30));
  });

  it('reads a lone destination without a weight as 100, as Istio routes it', async () => {
    const snap = await router.read({ ...REF, routes: ['admin'] });
    expect(snap.routes).to.deep.equal([
      { route: 'admin', destinations: [{ host: 'shop-admin', weight: 100 }] },
    ]);
  });

  it('names the missing VirtualService or route', async () => {
    const noVs = await expectError(router.read({ ...REF, virtualService: 'nope' }));
    expect(noVs).to.be.instanceOf(ResourceNotFoundError);
    expect(noVs.message).to.contain('VirtualService demo/nope');

    const noRoute = await expectError(router.read({ ...REF, routes: ['canary-route'] }));
    expect(noRoute).to.be.instanceOf(ResourceNotFoundError);
    expect(noRoute.message).to.contain('"canary-route"').and.contain('admin, primary');
  });

  it('writes weight fields only, in one patch, and keeps everything else byte-identical', async () => {
    const before = stored();
    await router.write(REF, weights(50, 20, 30));

    const after = stored();
    expect(withoutWeights(after)).to.deep.equal(withoutWeights(before));
    const http = (after.spec as { http: Array<{ route: Array<{ weight?: number }> }> }).http;
    expect(http[1]?.route.map((d) => d.weight)).to.deep.equal([50, 20, 30]);
    // Key order carries no meaning in Kubernetes objects (the API server re-encodes them), so
    // "byte-identical" is judged on canonical JSON.
    const legacy = (o: Record<string, unknown>) =>
      canonical((o.spec as { http: Array<{ route: unknown[] }> }).http[1]?.route[2]);
    expect(legacy(after)).to.equal(legacy(before));

    const writes = vsWrites();
    expect(writes).to.have.length(1);
    expect(writes[0]?.contentType).to.equal('application/json-patch+json');
    const ops = writes[0]?.body as Array<{ op: string; path: string }>;
    for (const op of ops.filter((o) => o.op !== 'test'))
      expect(op.path).to.match(/^\/spec\/http\/1\/route\/\d+\/weight$/);
    expect(ops.filter((o) => o.op === 'test').map((o) => o.path)).to.include.members([
      '/spec/http/1/route/0/destination/host',
      '/spec/http/1/route/1/destination/host',
      '/spec/http/1/route/2/destination/host',
    ]);
  });

  it('adds a weight that was absent rather than replacing it', async () => {
    await clients.patchJson(
      { type: RESOURCE_TYPES.virtualService, namespace: 'demo', name: 'shop' },
      [{ op: 'remove', path: '/spec/http/1/route/1/weight' }],
    );
    server.clearWriteLog();
    await router.write(REF, weights(50, 20, 30));
    const ops = vsWrites()[0]?.body as Array<{ op: string; path: string }>;
    expect(ops.filter((o) => o.op !== 'test')).to.deep.equal([
      { op: 'replace', path: '/spec/http/1/route/0/weight', value: 50 },
      { op: 'add', path: '/spec/http/1/route/1/weight', value: 20 },
      { op: 'replace', path: '/spec/http/1/route/2/weight', value: 30 },
    ]);
    expect((await router.read(REF)).routes).to.deep.equal(weights(50, 20, 30));
  });

  it('sends nothing for a lone destination whose absent weight already means 100', async () => {
    await router.write({ ...REF, routes: ['admin'] }, [
      { route: 'admin', destinations: [{ host: 'shop-admin', weight: 100 }] },
    ]);
    expect(vsWrites()).to.have.length(0);
  });

  it('refuses weights that are not integers 0-100 summing to 100, without writing', async () => {
    for (const bad of [weights(50, 20, 20), weights(-10, 80, 30), weights(50.5, 19.5, 30)]) {
      const err = await expectError(router.write(REF, bad));
      expect(err).to.be.instanceOf(TrafficRoutingError);
      expect(err.retriable).to.equal(false);
    }
    expect(vsWrites()).to.have.length(0);
  });

  it('sends nothing when the weights are already in place', async () => {
    await router.write(REF, weights(70, 0, 30));
    expect(vsWrites()).to.have.length(0);
  });

  it('detects a concurrent reorder through the test operations and writes nothing', async () => {
    const racing: KubeClients = {
      ...clients,
      patchJson: async (ref, ops, opts) => {
        // Someone swaps the routes between our read and our patch.
        const vs = stored();
        const http = (vs.spec as { http: unknown[] }).http;
        await clients.patchJson(ref, [
          { op: 'replace', path: '/spec/http', value: [http[1], http[0]] },
        ]);
        return clients.patchJson(ref, ops, opts);
      },
    };
    const err = await expectError(new IstioRouter(racing).write(REF, weights(50, 20, 30)));
    expect(err).to.be.instanceOf(RouteConflictError);
    expect(err.message).to.contain('primary').and.contain('changed under us');
    const http = (
      stored().spec as { http: Array<{ name: string; route: Array<{ weight: number }> }> }
    ).http;
    expect(http.map((r) => r.name)).to.deep.equal(['primary', 'admin']);
    expect(http[0]?.route.map((d) => d.weight)).to.deep.equal([70, 0, 30]);
  });

  it('reports a destination added since the read as a conflict, not a silent rewrite', async () => {
    const err = await expectError(
      router.write(REF, [
        {
          route: 'primary',
          destinations: [
            { host: 'shop-primary', port: 80, weight: 80 },
            { host: 'shop-canary', port: 80, weight: 20 },
          ],
        },
      ]),
    );
    expect(err).to.be.instanceOf(RouteConflictError);
    expect(vsWrites()).to.have.length(0);
  });

  it('surfaces an API server refusal as TrafficRoutingError with the server message', async () => {
    server.injectFailure({
      verb: 'patch',
      resource: 'virtualservices',
      status: 400,
      message: 'admission webhook "validation.istio.io" denied the request',
      times: 1,
    });
    const err = await expectError(router.write(REF, weights(50, 20, 30)));
    expect(err).to.be.instanceOf(TrafficRoutingError);
    expect(err.retriable).to.equal(true);
    expect(err.message).to.contain('admission webhook "validation.istio.io" denied the request');
    expect(
      (stored().spec as { http: Array<{ route: Array<{ weight: number }> }> }).http[1]?.route[0]
        ?.weight,
    ).to.equal(70);
  });

  it('fails when the read-back does not show what was written', async () => {
    const overwriting: KubeClients = {
      ...clients,
      patchJson: async (ref, ops, opts) => {
        const result = await clients.patchJson(ref, ops, opts);
        await clients.patchJson(ref, [
          { op: 'replace', path: '/spec/http/1/route/0/weight', value: 40 },
          { op: 'replace', path: '/spec/http/1/route/1/weight', value: 30 },
        ]);
        return result;
      },
    };
    const err = await expectError(new IstioRouter(overwriting).write(REF, weights(50, 20, 30)));
    expect(err).to.be.instanceOf(TrafficRoutingError);
    expect(err.message).to.contain('read back 40');
  });

  describe('header route', () => {
    const name = headerRouteName('shop');
    const route = {
      name,
      match: [
        { header: 'x-canary', exact: '1' },
        { cookie: 'canary', exact: 'yes' },
      ],
      canaryHost: 'shop-canary',
    };

    it('inserts one copy first, with the match and the canary destination', async () => {
      await router.setHeaderRoute(REF, route);
      const http = (stored().spec as { http: Array<Record<string, unknown>> }).http;
      expect(http.map((r) => r.name)).to.deep.equal([name, 'admin', 'primary']);
      expect(http[0]).to.deep.equal({
        name,
        match: [
          { headers: { 'x-canary': { exact: '1' } } },
          { headers: { cookie: { regex: '^(.*?;\\s*)?canary=yes(;.*)?$' } } },
        ],
        route: [{ destination: { host: 'shop-canary', port: { number: 80 } } }],
      });
    });

    it('is idempotent: a second identical call writes nothing', async () => {
      await router.setHeaderRoute(REF, route);
      server.clearWriteLog();
      await router.setHeaderRoute(REF, route);
      expect(vsWrites()).to.have.length(0);
      const http = (stored().spec as { http: Array<{ name: string }> }).http;
      expect(http.filter((r) => r.name === name)).to.have.length(1);
    });

    it('replaces a changed header route in place rather than adding a second', async () => {
      await router.setHeaderRoute(REF, route);
      await router.setHeaderRoute(REF, { ...route, match: [{ header: 'x-canary', exact: '2' }] });
      const http = (stored().spec as { http: Array<{ name: string; match: unknown }> }).http;
      expect(http.map((r) => r.name)).to.deep.equal([name, 'admin', 'primary']);
      expect(http[0]?.match).to.deep.equal([{ headers: { 'x-canary': { exact: '2' } } }]);
    });

    it('removes it by name and leaves every other route byte-identical', async () => {
      const before = canonical((stored().spec as { http: unknown[] }).http);
      await router.setHeaderRoute(REF, route);
      server.clearWriteLog();
      await router.removeHeaderRoute(REF, name);
      expect(canonical((stored().spec as { http: unknown[] }).http)).to.equal(before);
      const ops = vsWrites()[0]?.body as Array<{ op: string; path: string; value?: unknown }>;
      expect(ops).to.deep.equal([
        { op: 'test', path: '/spec/http/0/name', value: name },
        { op: 'remove', path: '/spec/http/0' },
      ]);
      server.clearWriteLog();
      await router.removeHeaderRoute(REF, name);
      expect(vsWrites()).to.have.length(0);
    });

    it('keeps weights managed by write() correct with the header route in front', async () => {
      await router.setHeaderRoute(REF, route);
      await router.write(REF, weights(40, 30, 30));
      expect((await router.read(REF)).routes).to.deep.equal(weights(40, 30, 30));
    });
  });
});
