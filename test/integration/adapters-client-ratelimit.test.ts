import { expect } from 'chai';
import {
  createKubeClients,
  createTokenBucket,
  type KubeClients,
} from '../../src/adapters/kubernetes/client.js';
import { ClusterApiError } from '../../src/domain/errors.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import { kubeConfigFor } from '../support/kube.js';

// The optional client-side rate limit (client-go's QPS and burst), against the sandbox API
// server. Timings use generous margins: the assertions are about lower bounds the limit must
// impose, and upper bounds far from them.

async function listNamespaces(clients: KubeClients, timeoutMs?: number): Promise<void> {
  await clients.call(
    { verb: 'list', kind: 'Namespace' },
    (o) => clients.core.listNamespace({}, o),
    timeoutMs === undefined ? {} : { timeoutMs },
  );
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

describe('kubernetes client rate limit', () => {
  let server: ApiServer;
  const watches: AbortController[] = [];

  before(async () => {
    server = await startApiServer({ port: 0 });
  });

  afterEach(() => {
    for (const w of watches.splice(0)) w.abort();
  });

  after(async () => {
    await server.close();
  });

  it('lets a burst through at once, then spaces turns at the given rate', async () => {
    const bucket = createTokenBucket({ qps: 20, burst: 3 });
    const start = performance.now();
    const at: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, () => bucket.take().then(() => at.push(performance.now() - start))),
    );
    at.sort((a, b) => a - b);
    expect(at[2]).to.be.below(30);
    // Four turns past the burst at 20/s: the last one is due 200 ms after the start.
    expect(at[6]).to.be.at.least(190).and.below(600);
  });

  it('refuses a rate or a burst that could never hand out a turn', () => {
    expect(() => createTokenBucket({ qps: 0 })).to.throw(RangeError, /qps/);
    expect(() => createTokenBucket({ qps: 5, burst: 0 })).to.throw(RangeError, /burst/);
  });

  it('holds every API call to the limit', async () => {
    const limited = createKubeClients(kubeConfigFor(server.url), { qps: 20, burst: 2 });
    const free = createKubeClients(kubeConfigFor(server.url));
    const limitedMs = await timed(() =>
      Promise.all(Array.from({ length: 12 }, () => listNamespaces(limited))),
    );
    const freeMs = await timed(() =>
      Promise.all(Array.from({ length: 12 }, () => listNamespaces(free))),
    );
    // Ten calls past the burst at 20/s take at least half a second.
    expect(limitedMs).to.be.at.least(480);
    expect(freeMs).to.be.below(limitedMs / 2);
  });

  it('makes every watch (re)connect take a turn too', async () => {
    const clients = createKubeClients(kubeConfigFor(server.url), { qps: 10, burst: 1 });
    const start = performance.now();
    const connectedAt: number[] = [];
    for (let i = 0; i < 3; i++) {
      const w = await clients.watch.watch(
        '/api/v1/namespaces',
        { resourceVersion: server.store.resourceVersion() },
        () => undefined,
        () => undefined,
      );
      watches.push(w);
      connectedAt.push(performance.now() - start);
    }
    expect(connectedAt[0]).to.be.below(100);
    // The second and third connects wait 100 ms each for their turn.
    expect(connectedAt[2]).to.be.at.least(190);
  });

  it('counts the wait for a turn against the deadline, and gives the turn back on timeout', async () => {
    const clients = createKubeClients(kubeConfigFor(server.url), { qps: 1, burst: 1 });
    await listNamespaces(clients);
    let caught: unknown;
    const timedOutAfter = await timed(() =>
      listNamespaces(clients, 100).catch((err: unknown) => (caught = err)),
    );
    expect(caught).to.be.instanceOf(ClusterApiError);
    expect((caught as ClusterApiError).retriable).to.equal(true);
    expect((caught as ClusterApiError).details).to.deep.include({ timeout: true });
    expect(timedOutAfter).to.be.below(400);
    // Had the abandoned turn been kept, the next call would wait about 1.9 s, not 0.9 s.
    const nextMs = await timed(() => listNamespaces(clients));
    expect(nextMs).to.be.below(1500);
  });

  it('sets no limit by default', async () => {
    const clients = createKubeClients(kubeConfigFor(server.url));
    const ms = await timed(() =>
      Promise.all(Array.from({ length: 60 }, () => listNamespaces(clients))),
    );
    // At client-go's default of 5/s these would take 11 s; at 50/s, a second.
    expect(ms).to.be.below(1000);
  });
});
