import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Harness } from '../support/harness.js';
import { startPromStub, type PromStub } from '../support/prom-stub.js';

// Scenarios from ../shared/scenarios, run against the sandbox API server and pod simulator with
// the real controller stepped on a fake clock. Prometheus is a local stub here, because these
// cases are about its awkward answers; the end-to-end suite uses the real one.

const NS = 'demo';

function template(name: string, metric: Record<string, unknown>): KubernetesObject {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name, namespace: NS },
    spec: { metrics: [{ name, provider: { prometheus: { query: `${name}_query` } }, ...metric }] },
  } as KubernetesObject;
}

interface WriteRec {
  resource: string;
  verb: string;
  body: unknown;
  status: number;
  at: number;
}

function vsWrites(h: Harness): WriteRec[] {
  return (h.api.writeLog as unknown as WriteRec[]).filter(
    (w) => w.resource.startsWith('virtualservices') && w.verb !== 'create' && w.status < 300,
  );
}

describe('canary scenarios on the sandbox', function () {
  this.timeout(60_000);
  let h: Harness | undefined;
  let prom: PromStub | undefined;

  afterEach(async () => {
    await h?.stop();
    await prom?.close();
    h = undefined;
    prom = undefined;
  });

  async function started(opts: Parameters<typeof Harness.start>[0]): Promise<Harness> {
    h = await Harness.start(opts);
    await h.settle();
    expect((await h.rollout()).status?.phase).to.equal('Healthy');
    return h;
  }

  it('S01 An empty result is "no data", not an error: inconclusive at once, weights kept', async () => {
    prom = await startPromStub([{ kind: 'empty' }]);
    const steps = [
      { setWeight: 20 },
      { analysis: { templates: [{ templateName: 'success-rate' }] } },
      { setWeight: 50 },
    ];
    h = await started({
      steps,
      prometheusUrl: prom.url,
      objects: [
        template('success-rate', {
          interval: '30s',
          count: 5,
          successCondition: 'result[0] >= 0.95',
        }),
      ],
    });
    await h.release('v2');
    await h.settle();
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('Paused');
    expect(r.status?.reason).to.equal('AnalysisInconclusive');
    expect(h.routeWeights()).to.deep.equal([80, 20]);
    const m = r.status?.lastMeasurements?.[0];
    expect(m?.phase).to.equal('Inconclusive');
    expect(m?.message).to.match(/no data/);
  });

  it('S01 with noData fail and failureLimit 1 aborts after the second measurement', async () => {
    prom = await startPromStub([{ kind: 'empty' }]);
    h = await started({
      steps: [
        { setWeight: 20 },
        { analysis: { templates: [{ templateName: 'success-rate' }] } },
        { setWeight: 50 },
      ],
      prometheusUrl: prom.url,
      objects: [
        template('success-rate', {
          interval: '30s',
          count: 5,
          successCondition: 'result[0] >= 0.95',
          noData: 'fail',
          failureLimit: 1,
        }),
      ],
    });
    await h.release('v2');
    await h.settle();
    expect((await h.rollout()).status?.phase).to.equal('Progressing');
    h.clock.advance(30_000);
    await h.settle();
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('Aborted');
    expect(h.routeWeights()).to.deep.equal([100, 0]);
    expect(prom.queries).to.have.length(2);
  });

  it('S02 NaN never passes: both a success-only and a failure-only metric are no data', async () => {
    prom = await startPromStub([{ kind: 'value', value: 'NaN' }]);
    h = await started({
      steps: [
        { setWeight: 10 },
        {
          analysis: {
            templates: [{ templateName: 'success-rate' }, { templateName: 'error-rate' }],
          },
        },
        { setWeight: 50 },
      ],
      prometheusUrl: prom.url,
      objects: [
        template('success-rate', { successCondition: 'result[0] >= 0.99' }),
        template('error-rate', { failureCondition: 'result[0] > 0.01' }),
      ],
    });
    await h.release('v2');
    await h.settle();
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('Paused');
    expect(h.routeWeights()).to.deep.equal([90, 10]);
    for (const m of r.status?.lastMeasurements ?? []) {
      expect(m.phase).to.equal('Inconclusive');
      expect(m.message).to.match(/NaN/);
    }
    expect(r.status?.lastMeasurements).to.have.length(2);
  });

  it('S04 query errors and timeouts are Errors bounded in time, and a later success resets the count', async () => {
    prom = await startPromStub([
      { kind: 'status', code: 503 },
      { kind: 'hang', ms: 60_000 },
      { kind: 'value', value: 0.999 },
    ]);
    h = await started({
      steps: [
        { setWeight: 10 },
        { analysis: { templates: [{ templateName: 'success-rate' }] } },
        { setWeight: 50 },
      ],
      prometheusUrl: prom.url,
      objects: [
        template('success-rate', {
          interval: '10s',
          count: 1,
          timeout: '2s',
          successCondition: 'result[0] >= 0.99',
        }),
      ],
    });
    await h.release('v2');
    await h.settle();
    h.clock.advance(10_000);
    const t0 = Date.now();
    await h.tick();
    const elapsed = Date.now() - t0;
    expect(elapsed).to.be.within(1500, 4000);
    h.clock.advance(10_000);
    await h.settle();
    const r = await h.rollout();
    expect(r.status?.phase).to.not.equal('Aborted');
    const runName = Object.values(r.status?.analysisRuns ?? {})[0];
    const runs = h.api.store.list('analysisruns', NS) as unknown as Array<{
      metadata: { name: string };
      status: {
        metricResults: Array<{
          measurements: Array<{ phase: string; message?: string }>;
          consecutiveError: number;
        }>;
      };
    }>;
    const run = runs.find((x) => x.metadata.name === runName) ?? runs[0];
    const ms = run?.status.metricResults[0]?.measurements ?? [];
    expect(ms.map((m) => m.phase)).to.deep.equal(['Error', 'Error', 'Successful']);
    expect(ms[1]?.message).to.match(/timeout|timed out/i);
    expect(run?.status.metricResults[0]?.consecutiveError).to.equal(0);
  });

  it('S06 an inconclusive background analysis holds the rollout: paused, weight kept, one run', async () => {
    prom = await startPromStub([{ kind: 'value', value: 0.97 }]);
    h = await started({
      steps: [{ setWeight: 20 }, { pause: { duration: '10m' } }, { setWeight: 50 }],
      prometheusUrl: prom.url,
      spec: {
        strategy: {
          canary: { steps: [], analysis: { templates: [{ templateName: 'success-rate' }] } },
        },
      },
      objects: [
        template('success-rate', {
          interval: '30s',
          successCondition: 'result[0] >= 0.99',
          failureCondition: 'result[0] < 0.95',
        }),
      ],
    });
    await h.release('v2');
    await h.settle();
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('Paused');
    expect(r.status?.reason).to.equal('AnalysisInconclusive');
    h.clock.advance(15 * 60_000);
    await h.settle();
    expect((await h.rollout()).status?.phase).to.equal('Paused');
    expect(h.routeWeights()).to.deep.equal([80, 20]);
    expect(h.api.store.list('analysisruns', NS)).to.have.length(1);
  });

  it('S08 a VirtualService write the server refuses leaves the step where it was and backs off 10 s', async () => {
    h = await started({ steps: [{ setWeight: 20 }, { setWeight: 50 }] });
    const remove = h.api.injectFailure({
      verb: 'patch',
      resource: 'virtualservices',
      status: 400,
      message: 'admission webhook denied the request',
    });
    await h.release('v2');
    await h.settle();
    const r = await h.rollout();
    const cond = r.status?.conditions?.find((c) => c.type === 'TrafficRouting');
    expect(cond?.reason).to.equal('TrafficRoutingError');
    expect(cond?.message).to.contain('admission webhook denied');
    expect(r.status?.currentStepIndex ?? 0).to.equal(0);
    h.controller.requested.clear();
    await h.tick();
    expect(h.controller.requested.get('rollout/demo/shop')).to.be.at.least(10_000);
    remove();
    await h.settle();
    expect(h.routeWeights()).to.deep.equal([100, 0]);
    const after = await h.rollout();
    expect(after.status?.conditions?.some((c) => c.type === 'TrafficRouting')).to.equal(false);
    expect(after.status?.phase).to.equal('Healthy');
  });

  it('S08 every weight written is an integer 0-100 and every route sums to 100, unmanaged destinations included', async () => {
    h = await started({
      steps: [{ setWeight: 20 }, { setWeight: 50 }, { setWeight: 100 }],
      extraDestinations: [
        {
          destination: {
            host: 'legacy',
            subset: 'v0',
            port: { number: 8080 },
            headers: { request: { set: { 'x-legacy': '1' } } },
          },
          weight: 30,
        },
      ],
      replicas: 3,
    });
    await h.release('v2');
    await h.settle();
    await h.command('abort');
    await h.settle();
    const writes = vsWrites(h);
    expect(writes.length).to.be.greaterThan(0);
    for (const w of writes) {
      const ops = w.body as Array<{ op: string; path: string; value?: unknown }>;
      for (const op of ops.filter((x) => x.path.endsWith('/weight'))) {
        expect(
          Number.isInteger(op.value) && (op.value as number) >= 0 && (op.value as number) <= 100,
        ).to.equal(true);
      }
    }
  });

  it('S09 keeps a destination it does not manage, byte for byte', async () => {
    const legacy = {
      destination: { host: 'legacy', subset: 'v0', port: { number: 8080 } },
      weight: 30,
      headers: { request: { set: { 'x-legacy': '1' } } },
    };
    h = await started({
      steps: [{ setWeight: 20 }, { setWeight: 50 }, { setWeight: 100 }],
      extraDestinations: [legacy],
    });
    await h.release('v2');
    const seen: number[][] = [];
    for (let i = 0; i < 30; i++) {
      await h.tick();
      const w = h.routeWeights();
      if (JSON.stringify(w) !== JSON.stringify(seen[seen.length - 1])) seen.push(w);
      if ((await h.rollout()).status?.phase === 'Healthy' && seen.length > 1) break;
    }
    expect(seen).to.deep.equal([
      [70, 0, 30],
      [50, 20, 30],
      [20, 50, 30],
      [0, 70, 30],
      [70, 0, 30],
    ]);
    const vs = h.api.store.get('virtualservices', NS, 'shop') as {
      spec: { http: Array<{ route: unknown[] }> };
    };
    expect(vs.spec.http[0]?.route[2]).to.deep.equal(legacy);
    for (const w of vsWrites(h)) {
      for (const op of w.body as Array<{ path: string; op: string }>) {
        if (op.op !== 'test') expect(op.path).to.match(/\/weight$/);
      }
    }
  });

  it("S12 the user's edits to the VirtualService survive; hand-set weights go back within one reconcile", async () => {
    h = await started({
      steps: [{ setWeight: 30 }, { pause: {} }],
      routeExtras: {
        retries: { attempts: 3 },
        timeout: '5s',
        corsPolicy: { allowOrigins: [{ exact: 'https://shop.example' }] },
      },
      otherRoutes: [
        {
          name: 'admin',
          match: [{ uri: { prefix: '/admin' } }],
          route: [{ destination: { host: 'shop-primary' } }],
        },
      ],
    });
    await h.release('v2');
    await h.settle();
    expect(h.routeWeights()).to.deep.equal([70, 30]);
    const vs = h.api.store.get('virtualservices', NS, 'shop') as {
      metadata: { resourceVersion: string };
      spec: { http: Array<Record<string, unknown>> };
    };
    const edited = structuredClone(vs) as { spec: { http: Array<Record<string, unknown>> } };
    const primary = edited.spec.http[1] as { timeout: string; route: Array<{ weight: number }> };
    primary.timeout = '10s';
    primary.route[0] = { ...primary.route[0], weight: 50 } as { weight: number };
    primary.route[1] = { ...primary.route[1], weight: 50 } as { weight: number };
    edited.spec.http.push({
      name: 'debug',
      match: [{ headers: { 'x-debug': { exact: '1' } } }],
      route: [{ destination: { host: 'shop-canary' } }],
    });
    await h.replace(edited as unknown as KubernetesObject);
    await h.tick();
    const after = h.api.store.get('virtualservices', NS, 'shop') as {
      spec: { http: Array<Record<string, unknown>> };
    };
    const p = after.spec.http[1] as {
      timeout: string;
      retries: unknown;
      corsPolicy: unknown;
      route: Array<{ weight: number }>;
    };
    expect(p.route.map((d) => d.weight)).to.deep.equal([70, 30]);
    expect(p.timeout).to.equal('10s');
    expect(p.retries).to.deep.equal({ attempts: 3 });
    expect(p.corsPolicy).to.deep.equal({ allowOrigins: [{ exact: 'https://shop.example' }] });
    expect(after.spec.http.map((r) => r.name)).to.deep.equal(['admin', 'primary', 'debug']);
  });

  it('S14 abort wins over a pending full promotion while the candidate is not ready', async () => {
    h = await started({ steps: [{ setWeight: 20 }, { pause: {} }], replicas: 3 });
    const dep = await h.resources.deployments.get({ namespace: NS, name: 'shop' });
    const ann = dep.spec?.template.metadata?.annotations ?? {};
    ann['sandbox.sluice.dev/ready-replicas'] = '1';
    if (dep.spec?.template.metadata) dep.spec.template.metadata.annotations = ann;
    await h.resources.deployments.update(dep);
    await h.settle();
    await h.command('promoteFull');
    await h.settle();
    const primaryBefore = h.api.store.get('deployments', NS, 'shop-primary') as {
      spec: { template: unknown };
    };
    expect((await h.rollout()).status?.phase).to.equal('Progressing');
    await h.command('abort', { reason: 'candidate never got ready' });
    await h.tick();
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('Aborted');
    expect(h.routeWeights()).to.deep.equal([100, 0]);
    const primaryAfter = h.api.store.get('deployments', NS, 'shop-primary') as {
      spec: { template: unknown };
    };
    expect(primaryAfter.spec.template).to.deep.equal(primaryBefore.spec.template);
    const target = h.api.store.get('deployments', NS, 'shop') as { spec: { replicas: number } };
    expect(target.spec.replicas).to.equal(0);
  });

  it('S16 abort with nothing to abort writes no Deployment and no VirtualService, and causes no storm', async () => {
    h = await started({ steps: [{ setWeight: 50 }], replicas: 5 });
    await h.release('v2');
    await h.settle();
    expect((await h.rollout()).status?.phase).to.equal('Healthy');
    h.api.clearWriteLog();
    await h.command('abort');
    await h.settle();
    const log = h.api.writeLog as unknown as WriteRec[];
    expect(
      log.filter(
        (w) => w.resource.startsWith('deployments') || w.resource.startsWith('virtualservices'),
      ),
    ).to.deep.equal([]);
    const count = log.length;
    await h.tick();
    await h.tick();
    expect((h.api.writeLog as unknown as WriteRec[]).length).to.equal(count);
    const primary = h.api.store.get('deployments', NS, 'shop-primary') as {
      spec: { replicas: number };
    };
    expect(primary.spec.replicas).to.equal(5);
  });

  it('S18 a restart keeps all routing state and timing: the pause ends on time, the header route stays', async () => {
    h = await started({
      steps: [
        { setWeight: 10 },
        { setHeaderRoute: { match: [{ header: 'x-canary', exact: '1' }] } },
        { pause: { duration: '10m' } },
        { setWeight: 50 },
      ],
    });
    await h.release('v2');
    await h.settle();
    const started0 = h.clock.now();
    h.api.clearWriteLog();
    h.clock.advance(4 * 60_000);
    await h.tick();
    h.clock.advance(2 * 60_000);
    h.restartController();
    await h.settle();
    expect(h.routeWeights()).to.deep.equal([90, 10]);
    expect((await h.rollout()).status?.currentStepIndex).to.equal(2);
    expect(vsWrites(h)).to.deep.equal([]);
    h.clock.t = started0 + 10 * 60_000 - 1000;
    await h.settle();
    expect((await h.rollout()).status?.currentStepIndex).to.equal(2);
    h.clock.t = started0 + 10 * 60_000 + 1000;
    await h.tick();
    expect((await h.rollout()).status?.currentStepIndex).to.equal(3);
    const vs = h.api.store.get('virtualservices', NS, 'shop') as {
      spec: { http: Array<{ name: string }> };
    };
    expect(vs.spec.http.filter((r) => r.name === 'sluice-shop-header')).to.have.length(1);
  });

  it('S18 (b) deleting the only candidate pod keeps the header route, the weight and the pause end', async () => {
    h = await started({
      steps: [
        { setWeight: 10 },
        { setHeaderRoute: { match: [{ header: 'x-canary', exact: '1' }] } },
        { pause: { duration: '10m' } },
        { setWeight: 50 },
      ],
      replicas: 1,
      podAnnotations: { 'sandbox.sluice.dev/ready-after-ms': '300' },
    });
    await h.release('v2');
    await h.settle();
    const started0 = h.clock.now();
    h.clock.advance(4 * 60_000);
    const pod = h.pods.pods(NS).find((p) => p.deployment === 'shop');
    expect(pod, 'the candidate pod').to.not.equal(undefined);
    h.api.clearWriteLog();
    expect(h.pods.deletePod(NS, pod?.name ?? '')).to.equal(true);
    await h.tick();
    await new Promise((r) => setTimeout(r, 800));
    await h.settle();
    expect(h.routeWeights()).to.deep.equal([90, 10]);
    const vs = h.api.store.get('virtualservices', NS, 'shop') as {
      spec: { http: Array<{ name: string }> };
    };
    expect(vs.spec.http.filter((r) => r.name === 'sluice-shop-header')).to.have.length(1);
    expect(vsWrites(h)).to.deep.equal([]);
    h.clock.t = started0 + 10 * 60_000 - 1000;
    await h.settle();
    expect((await h.rollout()).status?.currentStepIndex).to.equal(2);
    h.clock.t = started0 + 10 * 60_000 + 1000;
    await h.tick();
    expect((await h.rollout()).status?.currentStepIndex).to.equal(3);
  });

  it('S19 the progress deadline fires when the candidate never becomes ready, at the deadline', async () => {
    h = await started({ steps: [{ setWeight: 20 }], spec: { progressDeadlineSeconds: 180 } });
    const dep = await h.resources.deployments.get({ namespace: NS, name: 'shop' });
    const c = dep.spec?.template.spec?.containers[0];
    if (c) c.env = [{ name: 'VERSION', value: 'v2' }];
    if (dep.spec?.template.metadata)
      dep.spec.template.metadata.annotations = { 'sandbox.sluice.dev/never-ready': 'true' };
    await h.resources.deployments.update(dep);
    await h.settle();
    h.clock.advance(179_000);
    await h.settle();
    expect((await h.rollout()).status?.phase).to.equal('Progressing');
    h.clock.advance(2_000);
    await h.settle();
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('Aborted');
    expect(r.status?.reason).to.equal('ProgressDeadlineExceeded');
    expect(h.routeWeights()).to.deep.equal([100, 0]);
  });
});
