import { expect } from 'chai';
import type { V1Service } from '@kubernetes/client-node';
import { createKubeClients, type KubeClients } from '../../src/adapters/kubernetes/client.js';
import { createInformer, type Informer } from '../../src/adapters/kubernetes/informer.js';
import { parseRolloutObject, parseServiceObject } from '../../src/adapters/kubernetes/parsers.js';
import { createResources, type Resources } from '../../src/adapters/kubernetes/resources.js';
import { InvalidSpecError } from '../../src/domain/errors.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import { kubeConfigFor } from '../support/kube.js';

function service(name: string, label = 'a'): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'demo', labels: { v: label } },
    spec: { selector: { app: name }, ports: [{ port: 80 }] },
  };
}

/** Resolves once `check` holds, polling briefly; fails with `what` after `ms`. */
async function eventually(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  expect.fail(`timed out waiting until ${what}`);
}

describe('informer against the sandbox API server', () => {
  let server: ApiServer;
  let clients: KubeClients;
  let res: Resources;
  const informers: Array<Informer<unknown>> = [];

  const track = <T>(inf: Informer<T>): Informer<T> => {
    informers.push(inf as Informer<unknown>);
    return inf;
  };

  beforeEach(async () => {
    server = await startApiServer({ port: 0, historyLimit: 5 });
    clients = createKubeClients(kubeConfigFor(server.url), { timeoutMs: 5000 });
    res = createResources(clients);
    await clients.core.createNamespace({ body: { metadata: { name: 'demo' } } });
  });

  afterEach(async () => {
    for (const inf of informers.splice(0)) await inf.stop();
    await server.close();
  });

  it('lists, then reports every add, change and delete by namespace/name', async () => {
    await res.services.create(service('one'));
    const inf = track(createInformer(clients, res.services, { parse: parseServiceObject }));
    const keys: string[] = [];
    inf.onChange((k) => keys.push(k));
    await inf.start();
    expect(inf.hasSynced()).to.equal(true);
    expect(inf.get('demo', 'one')?.spec?.selector).to.deep.equal({ app: 'one' });
    expect(keys).to.deep.equal(['demo/one']);

    await res.services.create(service('two'));
    await eventually('two is cached', () => inf.get('demo', 'two') !== undefined);
    const two = await res.services.get({ namespace: 'demo', name: 'two' });
    await res.services.update({ ...two, metadata: { ...two.metadata, labels: { v: 'b' } } });
    await eventually('two is updated', () => inf.get('demo', 'two')?.metadata?.labels?.v === 'b');
    await res.services.delete({ namespace: 'demo', name: 'one' });
    await eventually('one is gone', () => inf.get('demo', 'one') === undefined);

    expect(keys).to.deep.equal(['demo/one', 'demo/two', 'demo/two', 'demo/one']);
    expect(inf.list('demo').map((s) => s.metadata?.name)).to.deep.equal(['two']);
    // Watch objects are deserialized like the typed API's answers (Date fields are Dates).
    expect(inf.get('demo', 'two')?.metadata?.creationTimestamp).to.be.instanceOf(Date);
  });

  it('reconnects from the last resourceVersion when the server ends the stream', async () => {
    const watchedFrom: string[] = [];
    let lists = 0;
    const counting: KubeClients = {
      ...clients,
      watch: {
        watch: (path, query, cb, done) => {
          watchedFrom.push(String((query as { resourceVersion?: unknown }).resourceVersion));
          return clients.watch.watch(path, query, cb, done);
        },
      } as KubeClients['watch'],
    };
    const access = {
      ...res.services,
      list: (o?: Parameters<typeof res.services.list>[0]) => {
        lists += 1;
        return res.services.list(o);
      },
    };
    const inf = track(
      createInformer(counting, access, { parse: parseServiceObject, watchTimeoutSeconds: 1 }),
    );
    await inf.start();
    await res.services.create(service('early'));
    await eventually('early is cached', () => inf.get('demo', 'early') !== undefined);
    const rvAfterEarly = inf.lastResourceVersion();
    await eventually('the stream was renewed', () => watchedFrom.length >= 2, 4000);
    await res.services.create(service('late'));
    await eventually('late is cached', () => inf.get('demo', 'late') !== undefined);
    expect(lists).to.equal(1);
    expect(watchedFrom[1]).to.equal(rvAfterEarly);
  });

  it('re-lists after 410 Gone and drops objects deleted meanwhile', async () => {
    await res.services.create(service('kept'));
    await res.services.create(service('doomed'));
    let first = true;
    // The first watch starts from a resourceVersion older than the server keeps (history 5),
    // as after a long disconnect; the server answers 410 Expired.
    const stale: KubeClients = {
      ...clients,
      watch: {
        watch: async (path, query, cb, done) => {
          if (first) {
            first = false;
            await res.services.delete({ namespace: 'demo', name: 'doomed' });
            for (let i = 0; i < 6; i++) await res.services.create(service(`filler-${i}`));
            return clients.watch.watch(path, { ...query, resourceVersion: '1' }, cb, done);
          }
          return clients.watch.watch(path, query, cb, done);
        },
      } as KubeClients['watch'],
    };
    const inf = track(createInformer(stale, res.services, { parse: parseServiceObject }));
    const keys: string[] = [];
    inf.onChange((k) => keys.push(k));
    await inf.start();
    await eventually('the informer re-listed', () => inf.get('demo', 'filler-5') !== undefined);
    expect(inf.get('demo', 'doomed')).to.equal(undefined);
    expect(keys).to.include('demo/doomed');
    expect(
      inf
        .list()
        .map((s) => s.metadata?.name)
        .sort(),
    ).to.deep.equal([
      'filler-0',
      'filler-1',
      'filler-2',
      'filler-3',
      'filler-4',
      'filler-5',
      'kept',
    ]);
  });

  it('keeps objects that fail validation apart, with the reason', async () => {
    // A parser that refuses one object stands for version skew between a stored object and
    // this controller's schema (the API server itself refuses schema-invalid objects).
    const strict = (raw: unknown) => {
      const r = parseRolloutObject(raw);
      if (r.metadata.name === 'bad')
        throw new InvalidSpecError('spec', 'refused by this controller');
      return r;
    };
    const inf = track(createInformer(clients, res.rollouts, { parse: strict }));
    await inf.start();
    await clients.custom.createNamespacedCustomObject({
      group: 'sluice.dev',
      version: 'v1alpha1',
      plural: 'rollouts',
      namespace: 'demo',
      body: {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'bad', namespace: 'demo' },
        spec: {
          targetRef: { kind: 'Deployment', name: 'bad' },
          trafficRouting: { istio: { virtualService: { name: 'bad', routes: ['primary'] } } },
          strategy: { canary: { steps: [{ setWeight: 50 }, { setWeight: 10 }] } },
        },
      },
    });
    await eventually('bad is known', () => inf.invalid('demo', 'bad') !== undefined);
    expect(inf.get('demo', 'bad')).to.equal(undefined);
    expect(inf.invalid('demo', 'bad')?.error).to.be.instanceOf(InvalidSpecError);
  });

  it('re-announces every cached key at the resync interval', async () => {
    await res.services.create(service('steady'));
    const inf = track(
      createInformer(clients, res.services, { parse: parseServiceObject, resyncMs: 100 }),
    );
    const keys: string[] = [];
    inf.onChange((k) => keys.push(k));
    await inf.start();
    await eventually('three announcements', () => keys.length >= 3);
    expect(new Set(keys)).to.deep.equal(new Set(['demo/steady']));
  });

  it('keeps retrying with backoff while the API server is down, then catches up', async () => {
    const inf = track(
      createInformer(clients, res.services, {
        parse: parseServiceObject,
        watchTimeoutSeconds: 1,
        minBackoffMs: 50,
        maxBackoffMs: 200,
      }),
    );
    await inf.start();
    const port = server.port;
    await server.close();
    await new Promise((r) => setTimeout(r, 400));
    server = await startApiServer({ port, historyLimit: 5 });
    const fresh = createResources(createKubeClients(kubeConfigFor(server.url)));
    await clients.core.createNamespace({ body: { metadata: { name: 'demo' } } });
    await fresh.services.create(service('after-restart'));
    await eventually(
      'after-restart is cached',
      () => inf.get('demo', 'after-restart') !== undefined,
      5000,
    );
  });
});
