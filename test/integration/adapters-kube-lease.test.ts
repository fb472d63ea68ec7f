import { expect } from 'chai';
import { createKubeClients, type KubeClients } from '../../src/adapters/kubernetes/client.js';
import { LeaderElector, microTime } from '../../src/adapters/kubernetes/lease.js';
import { ClusterApiError } from '../../src/domain/errors.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import { kubeConfigFor } from '../support/kube.js';

interface StoredLease {
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** Clients that can be cut off from the API server, as a partitioned replica would be. */
function partitionable(clients: KubeClients): { clients: KubeClients; cut: () => void } {
  let down = false;
  return {
    cut: () => (down = true),
    clients: {
      ...clients,
      call: (target, fn, opts) =>
        down
          ? Promise.reject(new ClusterApiError('Unavailable', 'partitioned', { retriable: true }))
          : clients.call(target, fn, opts),
    },
  };
}

describe('leader election on a Lease against the sandbox API server', () => {
  let server: ApiServer;
  let clients: KubeClients;
  const electors: LeaderElector[] = [];
  let samples: Array<[boolean, boolean]>;
  let sampler: NodeJS.Timeout | undefined;

  const lease = (): StoredLease => {
    const l = server.store.get('leases', 'sluice-system', 'sluice-leader');
    if (!l) expect.fail('no Lease stored');
    return l as unknown as StoredLease;
  };
  const elector = (identity: string, c: KubeClients = clients): LeaderElector => {
    const e = new LeaderElector(c, {
      namespace: 'sluice-system',
      name: 'sluice-leader',
      identity,
      leaseDurationSeconds: 1,
      retryPeriodMs: 100,
    });
    electors.push(e);
    return e;
  };
  const until = async (what: string, check: () => boolean, ms = 4000): Promise<void> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (check()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect.fail(`timed out waiting until ${what}`);
  };
  const sample = (a: LeaderElector, b: LeaderElector): void => {
    sampler = setInterval(() => samples.push([a.isLeader(), b.isLeader()]), 10);
  };

  beforeEach(async () => {
    samples = [];
    server = await startApiServer({ port: 0 });
    clients = createKubeClients(kubeConfigFor(server.url), { timeoutMs: 2000 });
    await clients.core.createNamespace({ body: { metadata: { name: 'sluice-system' } } });
  });

  afterEach(async () => {
    if (sampler) clearInterval(sampler);
    for (const e of electors.splice(0)) await e.stop();
    await server.close();
  });

  it('formats MicroTime with six fractional digits', () => {
    expect(microTime(new Date('2026-12-04T15:43:45.123Z'))).to.equal('2026-12-04T15:43:45.123000Z');
  });

  it('elects exactly one of two candidates and records it in the Lease', async () => {
    const a = elector('a');
    const b = elector('b');
    sample(a, b);
    a.start();
    b.start();
    await until('someone leads', () => a.isLeader() || b.isLeader());
    await new Promise((r) => setTimeout(r, 1500));
    expect(samples.filter(([x, y]) => x && y)).to.have.length(0);
    const leader = a.isLeader() ? 'a' : 'b';
    expect(a.isLeader() !== b.isLeader()).to.equal(true);
    const spec = lease().spec;
    expect(spec.holderIdentity).to.equal(leader);
    expect(spec.leaseDurationSeconds).to.equal(1);
    expect(spec.leaseTransitions).to.equal(0);
    expect(spec.acquireTime).to.match(MICRO);
    expect(spec.renewTime).to.match(MICRO);
    expect(Date.parse(spec.renewTime ?? '')).to.be.greaterThan(Date.parse(spec.acquireTime ?? ''));
  });

  it('fails over when the holder stops renewing, never with two leaders at once', async () => {
    const partition = partitionable(clients);
    const a = elector('a', partition.clients);
    a.start();
    await until('a leads', () => a.isLeader());
    const b = elector('b');
    const changes: boolean[] = [];
    a.onChange((v) => changes.push(v));
    sample(a, b);
    b.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(b.isLeader()).to.equal(false);

    partition.cut();
    const cutAt = Date.now();
    await until('b leads', () => b.isLeader());
    expect(Date.now() - cutAt).to.be.greaterThan(600);
    expect(a.isLeader()).to.equal(false);
    expect(changes).to.deep.equal([false]);
    expect(samples.filter(([x, y]) => x && y)).to.have.length(0);
    expect(lease().spec.holderIdentity).to.equal('b');
    expect(lease().spec.leaseTransitions).to.equal(1);
  });

  it('releases the Lease on stop so the other candidate takes over at once', async () => {
    const a = elector('a');
    a.start();
    await until('a leads', () => a.isLeader());
    const b = elector('b');
    b.start();
    await new Promise((r) => setTimeout(r, 200));
    await a.stop();
    expect(a.isLeader()).to.equal(false);
    const stoppedAt = Date.now();
    await until('b leads', () => b.isLeader());
    expect(Date.now() - stoppedAt).to.be.lessThan(900);
    expect(lease().spec.holderIdentity).to.equal('b');
  });
});
