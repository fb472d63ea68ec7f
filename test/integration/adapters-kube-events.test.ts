import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { createKubeClients, type KubeClients } from '../../src/adapters/kubernetes/client.js';
import { KubeEventRecorder } from '../../src/adapters/kubernetes/events.js';
import { createLogger } from '../../src/logging.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import { kubeConfigFor } from '../support/kube.js';

const ROLLOUT = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  namespace: 'demo',
  name: 'shop',
  uid: 'uid-shop',
};

interface StoredEvent {
  metadata: { name: string };
  involvedObject: Record<string, string>;
  type: string;
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source?: { component?: string };
}

describe('event recorder against the sandbox API server', () => {
  let server: ApiServer;
  let clients: KubeClients;
  let clock: number;
  const now = () => new Date(clock);

  const events = () => server.store.list('events', 'demo') as unknown as StoredEvent[];
  const eventWrites = () => server.writeLog.filter((w) => w.resource === 'events');

  before(async () => {
    server = await startApiServer({ port: 0 });
    clients = createKubeClients(kubeConfigFor(server.url), { timeoutMs: 5000 });
    await clients.core.createNamespace({ body: { metadata: { name: 'demo' } } });
  });

  after(() => server.close());

  beforeEach(async () => {
    clock = Date.parse('2026-12-04T12:00:00Z');
    server.clearFailures();
    await clients.core
      .deleteCollectionNamespacedEvent({ namespace: 'demo' })
      .catch(() => undefined);
    for (const e of events())
      await clients.core.deleteNamespacedEvent({ namespace: 'demo', name: e.metadata.name });
    server.clearWriteLog();
  });

  it('creates a core v1 Event about the object', async () => {
    const rec = new KubeEventRecorder(clients, { now });
    await rec.record(ROLLOUT, 'Normal', 'StepAdvanced', 'step 1: weight 20');
    const [e] = events();
    expect(e?.involvedObject).to.include({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      namespace: 'demo',
      name: 'shop',
      uid: 'uid-shop',
    });
    expect(e).to.include({
      type: 'Normal',
      reason: 'StepAdvanced',
      message: 'step 1: weight 20',
      count: 1,
    });
    expect(e?.source?.component).to.equal('sluice-controller');
    expect(Date.parse(e?.firstTimestamp ?? '')).to.equal(clock);
  });

  it('aggregates a repeat into the same Event with a higher count and a later lastTimestamp', async () => {
    const rec = new KubeEventRecorder(clients, { now });
    await rec.record(ROLLOUT, 'Warning', 'AnalysisInconclusive', 'no data: empty result');
    clock += 30_000;
    await rec.record(ROLLOUT, 'Warning', 'AnalysisInconclusive', 'no data: empty result');
    clock += 30_000;
    await rec.record(ROLLOUT, 'Warning', 'AnalysisInconclusive', 'no data: empty result');
    const all = events();
    expect(all).to.have.length(1);
    expect(all[0]?.count).to.equal(3);
    expect(Date.parse(all[0]?.lastTimestamp ?? '')).to.equal(clock);
    expect(eventWrites().map((w) => w.verb)).to.deep.equal(['create', 'patch', 'patch']);
  });

  it('keeps different messages apart', async () => {
    const rec = new KubeEventRecorder(clients, { now });
    await rec.record(ROLLOUT, 'Normal', 'StepAdvanced', 'step 1: weight 20');
    await rec.record(ROLLOUT, 'Normal', 'StepAdvanced', 'step 2: weight 50');
    expect(
      events()
        .map((e) => e.message)
        .sort(),
    ).to.deep.equal(['step 1: weight 20', 'step 2: weight 50']);
  });

  it('creates one Event for repeats recorded at the same moment', async () => {
    const rec = new KubeEventRecorder(clients, { now });
    await Promise.all(
      Array.from({ length: 5 }, () => rec.record(ROLLOUT, 'Warning', 'Halted', 'burn rate 14x')),
    );
    const all = events();
    expect(all).to.have.length(1);
    expect(all[0]?.count).to.equal(5);
  });

  it('never throws: a refused write is logged and dropped', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (c: Buffer) => lines.push(...c.toString().trim().split('\n')));
    const rec = new KubeEventRecorder(clients, { now, logger: createLogger({ stream }) });
    server.injectFailure({ resource: 'events', status: 500, message: 'etcd is sad', times: 1 });
    await rec.record(ROLLOUT, 'Warning', 'Aborted', 'rolled back');
    expect(events()).to.have.length(0);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      logged.some((l) => l.message === 'event dropped' && String(l.error).includes('etcd is sad')),
    ).to.equal(true);
    await rec.record(ROLLOUT, 'Warning', 'Aborted', 'rolled back');
    expect(events()).to.have.length(1);
  });

  it('starts a new Event when the aggregated one has gone from the server', async () => {
    const rec = new KubeEventRecorder(clients, { now });
    await rec.record(ROLLOUT, 'Normal', 'Paused', 'waiting for promote');
    const first = events()[0]?.metadata.name ?? '';
    await clients.core.deleteNamespacedEvent({ namespace: 'demo', name: first });
    await rec.record(ROLLOUT, 'Normal', 'Paused', 'waiting for promote');
    const all = events();
    expect(all).to.have.length(1);
    expect(all[0]?.metadata.name).to.not.equal(first);
    expect(all[0]?.count).to.equal(1);
  });

  it('bounds its aggregation cache', async () => {
    const rec = new KubeEventRecorder(clients, { now, maxCacheEntries: 3 });
    for (let i = 0; i < 6; i++) await rec.record(ROLLOUT, 'Normal', 'Step', `step ${i}`);
    expect(rec.cacheSize()).to.equal(3);
    expect(events()).to.have.length(6);
  });
});
