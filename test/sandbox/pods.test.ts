import { expect } from 'chai';
import { join } from 'node:path';
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import {
  nextPods,
  processRunner,
  startPodSimulator,
  type PodSet,
  type PodSimulator,
} from '../../src/sandbox/pods/index.js';
import { deployment, FIXTURES, startSandbox, type Sandbox } from './helpers.js';

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function withAnnotations(
  name: string,
  annotations: Record<string, string>,
  extra: Record<string, unknown> = {},
): V1Deployment {
  const d = deployment(name, extra) as unknown as V1Deployment;
  if (d.spec?.template.metadata) d.spec.template.metadata.annotations = annotations;
  return d;
}

describe('pod simulator', () => {
  let sb: Sandbox;
  let sim: PodSimulator;
  before(async () => {
    sb = await startSandbox();
    sim = await startPodSimulator({ server: sb.server, defaultReadyAfterMs: 50 });
  });
  after(async () => {
    await sim.stop();
    await sb.server.close();
  });

  const read = (name: string): Promise<V1Deployment> =>
    sb.apps.readNamespacedDeployment({ namespace: 'default', name });
  const rolledOut = async (name: string): Promise<V1Deployment | undefined> => {
    const d = await read(name);
    const s = d.status;
    const want = d.spec?.replicas;
    const done =
      (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
      s?.updatedReplicas === want &&
      s?.availableReplicas === want &&
      s?.replicas === want;
    return done ? d : undefined;
  };

  it('reports a Deployment available after the readiness delay, with NewReplicaSetAvailable', async () => {
    await sb.apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('ready') as unknown as V1Deployment,
    });
    const d = await until('rollout of ready', () => rolledOut('ready'));
    expect(d.status?.readyReplicas).to.equal(2);
    expect(d.status?.unavailableReplicas ?? 0).to.equal(0);
    const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
    expect(progressing?.reason).to.equal('NewReplicaSetAvailable');
    expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).to.equal('True');
    expect(sim.pods('default').filter((p) => p.deployment === 'ready' && p.ready)).to.have.length(
      2,
    );
  });

  it('honours ready-after-ms from the pod template', async () => {
    const start = Date.now();
    await sb.apps.createNamespacedDeployment({
      namespace: 'default',
      body: withAnnotations('slow', { 'sandbox.sluice.dev/ready-after-ms': '600' }),
    });
    await until('rollout of slow', () => rolledOut('slow'));
    expect(Date.now() - start).to.be.at.least(550);
  });

  it('never makes never-ready pods ready and reports ProgressDeadlineExceeded after the deadline', async () => {
    await sb.apps.createNamespacedDeployment({
      namespace: 'default',
      body: withAnnotations(
        'stuck',
        { 'sandbox.sluice.dev/never-ready': 'true' },
        { progressDeadlineSeconds: 1 },
      ),
    });
    const d = await until('deadline', async () => {
      const x = await read('stuck');
      return x.status?.conditions?.find((c) => c.reason === 'ProgressDeadlineExceeded')
        ? x
        : undefined;
    });
    expect(d.status?.readyReplicas ?? 0).to.equal(0);
    expect(d.status?.unavailableReplicas).to.equal(2);
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')?.status).to.equal('False');
  });

  it('makes only ready-replicas pods ready', async () => {
    await sb.apps.createNamespacedDeployment({
      namespace: 'default',
      body: withAnnotations(
        'partial',
        { 'sandbox.sluice.dev/ready-replicas': '1' },
        { replicas: 3 },
      ),
    });
    const d = await until('one ready', async () => {
      const x = await read('partial');
      return x.status?.readyReplicas === 1 && x.status.replicas === 3 ? x : undefined;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect((await read('partial')).status?.readyReplicas).to.equal(1);
    expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).to.equal('False');
  });

  it('drops everything to 0 at once when scaled to 0', async () => {
    await sb.apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('scale0') as unknown as V1Deployment,
    });
    await until('rollout of scale0', () => rolledOut('scale0'));
    await sb.apps.patchNamespacedDeployment({
      namespace: 'default',
      name: 'scale0',
      body: [{ op: 'replace', path: '/spec/replicas', value: 0 }],
    });
    const d = await until('zero', async () => {
      const x = await read('scale0');
      return x.status?.observedGeneration === 2 ? x : undefined;
    });
    expect(d.status).to.include({
      replicas: 0,
      readyReplicas: 0,
      availableReplicas: 0,
      updatedReplicas: 0,
    });
    expect(sim.pods('default').filter((p) => p.deployment === 'scale0')).to.have.length(0);
  });

  it('rolls a template change: updated replicas follow the new template and the old pods go', async () => {
    await sb.apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('roll') as unknown as V1Deployment,
    });
    const first = await until('rollout of roll', () => rolledOut('roll'));
    await sb.apps.patchNamespacedDeployment({
      namespace: 'default',
      name: 'roll',
      body: [
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'example/app:2' },
      ],
    });
    const second = await until('second rollout', async () => {
      const x = await rolledOut('roll');
      return x && x.status?.observedGeneration === 2 ? x : undefined;
    });
    expect(second.metadata?.generation).to.equal((first.metadata?.generation ?? 0) + 1);
    const hashes = new Set(
      sim
        .pods('default')
        .filter((p) => p.deployment === 'roll')
        .map((p) => p.templateHash),
    );
    expect(hashes.size).to.equal(1);
  });

  it('replaces a deleted pod after the readiness delay', async () => {
    await sb.apps.createNamespacedDeployment({
      namespace: 'default',
      body: withAnnotations('restart', { 'sandbox.sluice.dev/ready-after-ms': '300' }),
    });
    await until('rollout of restart', () => rolledOut('restart'));
    const victim = sim.pods('default').find((p) => p.deployment === 'restart');
    expect(victim).to.not.equal(undefined);
    expect(sim.deletePod('default', victim?.name ?? '')).to.equal(true);
    const degraded = await until('one ready', async () =>
      (await read('restart')).status?.readyReplicas === 1 ? true : undefined,
    );
    expect(degraded).to.equal(true);
    await until('recovered', () => rolledOut('restart'));
    expect(sim.pods('default').some((p) => p.name === victim?.name)).to.equal(false);
  });
});

describe('pod simulator with processRunner', () => {
  let sb: Sandbox;
  let sim: PodSimulator;
  before(async () => {
    sb = await startSandbox();
    const runner = processRunner({
      command: [process.execPath, join(FIXTURES, 'tiny-app.mjs')],
      cwd: FIXTURES,
    });
    sim = await startPodSimulator({ server: sb.server.url, defaultReadyAfterMs: 0, runner });
  });
  after(async () => {
    await sim.stop();
    await sb.server.close();
  });

  it('runs one process per template, serves it as the Service endpoint, and replaces it on a template change', async () => {
    const svc: V1Service = {
      metadata: { name: 'web-svc' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    };
    await sb.core.createNamespacedService({ namespace: 'default', body: svc });
    await sb.apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', { replicas: 3 }) as unknown as V1Deployment,
    });
    const [url] = await until('endpoint', () => {
      const e = sim.endpoints('default', 'web-svc');
      return e.length > 0 ? e : undefined;
    });
    expect(sim.endpoints('default', 'web-svc')).to.have.length(1);
    const answer = (await (await fetch(url ?? '')).json()) as { version: string; pid: number };
    expect(answer.version).to.equal('1');
    expect(sim.workloadOf('default', 'web-svc')).to.equal('web');

    await sb.apps.patchNamespacedDeployment({
      namespace: 'default',
      name: 'web',
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: '2' }],
    });
    const [url2] = await until('new endpoint', () => {
      const e = sim.endpoints('default', 'web-svc');
      return e.length === 1 && e[0] !== url ? e : undefined;
    });
    // Out of the endpoints, but still answering for a grace period (requests on their way).
    expect(() => process.kill(answer.pid, 0), 'old process alive during the grace').to.not.throw();
    expect((await fetch(url ?? '')).status).to.equal(200);
    const answer2 = (await (await fetch(url2 ?? '')).json()) as { version: string; pid: number };
    expect(answer2.version).to.equal('2');
    await until('old process gone', () => {
      try {
        process.kill(answer.pid, 0);
        return undefined;
      } catch {
        return true;
      }
    });

    await sb.apps.patchNamespacedDeployment({
      namespace: 'default',
      name: 'web',
      body: [{ op: 'replace', path: '/spec/replicas', value: 0 }],
    });
    await until('no endpoints', () =>
      sim.endpoints('default', 'web-svc').length === 0 ? true : undefined,
    );
    await until('process stopped', () => {
      try {
        process.kill(answer2.pid, 0);
        return undefined;
      } catch {
        return true;
      }
    });
  });
});

describe('pod set steps (pure, on a fake clock)', () => {
  const base: PodSet = {
    namespace: 'ns',
    name: 'web',
    hash: 'h1',
    desired: 2,
    lastProgressAt: 0,
    pods: [],
  };
  const policy = { delay: 100, readyLimit: Number.POSITIVE_INFINITY };

  it('creates the desired pods and makes them ready once the delay has passed', () => {
    const created = nextPods(base, policy, true, 1000);
    expect(created.pods.map((p) => p.ready)).to.deep.equal([false, false]);
    const later = nextPods({ ...base, pods: created.pods }, policy, true, 1100);
    expect(later.pods.map((p) => p.ready)).to.deep.equal([true, true]);
    expect(later.lastProgressAt).to.equal(1100);
    const noProcess = nextPods({ ...base, pods: created.pods }, policy, false, 1100);
    expect(noProcess.pods.some((p) => p.ready)).to.equal(false);
  });

  it('retires old-template pods only as new ones become ready', () => {
    const v1 = nextPods(base, policy, true, 0);
    const ready = nextPods({ ...base, pods: v1.pods }, policy, true, 100);
    const v2 = { ...base, hash: 'h2', pods: ready.pods };
    const rolling = nextPods(v2, policy, true, 200);
    expect(rolling.pods.filter((p) => p.templateHash === 'h1')).to.have.length(2);
    const done = nextPods({ ...v2, pods: rolling.pods }, policy, true, 300);
    expect(done.pods.map((p) => `${p.templateHash}:${String(p.ready)}`)).to.deep.equal([
      'h2:true',
      'h2:true',
    ]);
  });

  it('keeps old pods serving when the new template never becomes ready', () => {
    const v1 = nextPods(base, policy, true, 0);
    const ready = nextPods({ ...base, pods: v1.pods }, policy, true, 100);
    const stuck = nextPods(
      { ...base, hash: 'h2', pods: ready.pods },
      { delay: undefined, readyLimit: Infinity },
      true,
      10_000,
    );
    expect(stuck.pods.filter((p) => p.templateHash === 'h1' && p.ready)).to.have.length(2);
    expect(stuck.pods.filter((p) => p.templateHash === 'h2')).to.have.length(2);
  });
});
