import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { BlueGreenStrategy } from '../../src/domain/types.js';
import { Harness, sleep, type HarnessOptions } from '../support/harness.js';
import { startPromStub, type PromStub } from '../support/prom-stub.js';

// Blue-green scenarios from ../shared/scenarios, run against the sandbox API server and pod
// simulator with the real controller stepped on a fake clock. Prometheus is a local stub here;
// the blue-green demo (test/e2e/demo-blue-green.test.ts) runs against the real one.

const NS = 'demo';

interface WriteRec {
  resource: string;
  verb: string;
  body: unknown;
  status: number;
}

function vsWrites(h: Harness): WriteRec[] {
  return (h.api.writeLog as unknown as WriteRec[]).filter(
    (w) => w.resource.startsWith('virtualservices') && w.verb !== 'create' && w.status < 300,
  );
}

function template(name: string, value: string): KubernetesObject {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name, namespace: NS },
    spec: {
      metrics: [
        {
          name,
          interval: '10s',
          count: 2,
          successCondition: `result[0] >= ${value}`,
          failureCondition: `result[0] < ${value}`,
          provider: { prometheus: { query: `${name}_query` } },
        },
      ],
    },
  } as KubernetesObject;
}

const PRE = { templates: [{ templateName: 'pre-check' }] };
const POST = { templates: [{ templateName: 'post-check' }] };

describe('blue-green scenarios on the sandbox', function () {
  this.timeout(60_000);
  let h: Harness | undefined;
  let prom: PromStub | undefined;

  afterEach(async () => {
    await h?.stop();
    await prom?.close();
    h = undefined;
    prom = undefined;
  });

  async function started(
    blueGreen: BlueGreenStrategy,
    opts: Partial<HarnessOptions> = {},
  ): Promise<Harness> {
    prom ??= await startPromStub([{ kind: 'value', value: 1 }]);
    h = await Harness.start({
      steps: [],
      blueGreen,
      prometheusUrl: prom.url,
      objects: [template('pre-check', '0.95'), template('post-check', '0.95')],
      ...opts,
    });
    await h.settle();
    expect((await h.rollout()).status?.phase).to.equal('Healthy');
    return h;
  }

  /** Pods of `deployment` running `hash` (ready or not). */
  function podsOf(x: Harness, deployment: string, hash?: string): number {
    return x.pods
      .pods(NS)
      .filter((p) => p.deployment === deployment && (hash === undefined || p.templateHash === hash))
      .length;
  }

  /** A new version of the Deployment, with pod annotations for the simulator. */
  async function deploy(x: Harness, version: string, annotations: Record<string, string>) {
    const dep = await x.resources.deployments.get({ namespace: NS, name: 'shop' });
    const c = dep.spec?.template.spec?.containers[0];
    if (c) c.env = [{ name: 'VERSION', value: version }];
    if (dep.spec?.template.metadata) dep.spec.template.metadata.annotations = annotations;
    await x.resources.deployments.update(dep);
  }

  async function until(cond: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 200 && !cond(); i++) await sleep(25);
    expect(cond(), what).to.equal(true);
  }

  it('S22 the serving version never goes dark and the gate holds: 100% on the old version, analysis only once the preview is available, promote refused before success, one write at the switch', async () => {
    h = await started(
      { prePromotionAnalysis: PRE, scaleDownDelaySeconds: 600 },
      { spec: { progressDeadlineSeconds: 3600 } },
    );
    await deploy(h, 'v2', { 'sandbox.sluice.dev/never-ready': 'true' });
    for (let minute = 0; minute < 20; minute++) {
      h.clock.advance(60_000);
      await h.tick();
      expect(h.routeWeights(), `minute ${minute}`).to.deep.equal([100, 0]);
    }
    expect(h.api.store.list('analysisruns', NS)).to.have.length(0);
    const svc = h.api.store.get('services', NS, 'shop-canary') as {
      spec: { selector: Record<string, string> };
    };
    expect(svc.spec.selector).to.deep.equal({ app: 'shop' });
    await h.command('promote');
    await h.tick();
    let r = await h.rollout();
    expect(r.status?.phase).to.equal('Progressing');
    expect(r.status?.conditions?.find((x) => x.type === 'PromotionAllowed')).to.include({
      status: 'False',
      reason: 'PreviewNotReady',
    });
    expect(r.status?.history?.at(-1)?.message).to.match(
      /promote .* ignored: the preview is not ready/,
    );

    prom?.plan([{ kind: 'value', value: 0.99 }]);
    await deploy(h, 'v3', {});
    await h.settle();
    r = await h.rollout();
    expect(r.status?.conditions?.find((x) => x.type === 'PromotionAllowed')?.reason).to.equal(
      'PrePromotionAnalysisRunning',
    );
    expect(h.api.store.list('analysisruns', NS)).to.have.length(1);
    await h.command('promote');
    await h.settle();
    expect((await h.rollout()).status?.history?.at(-1)?.message).to.match(
      /pre-promotion analysis has not succeeded/,
    );
    expect(h.routeWeights()).to.deep.equal([100, 0]);
    h.clock.advance(10_000);
    await h.settle();
    r = await h.rollout();
    expect(r.status?.phase).to.equal('Paused');
    expect(r.status?.reason).to.equal('WaitingForPromotion');
    h.api.clearWriteLog();
    await h.command('promote');
    await h.settle();
    expect(h.routeWeights()).to.deep.equal([0, 100]);
    expect(vsWrites(h)).to.have.length(1);
    expect((await h.rollout()).status?.phase).to.equal('Promoting');
  });

  it('S23 the old version keeps its 5 pods for the 600 s scale-down delay, then none', async () => {
    h = await started({ scaleDownDelaySeconds: 600 }, { replicas: 5 });
    const oldHash = h.pods.pods(NS).find((p) => p.deployment === 'shop-primary')?.templateHash;
    await h.release('v2');
    await h.settle();
    await h.command('promote');
    await h.settle();
    expect(h.routeWeights()).to.deep.equal([0, 100]);
    const switchedAt = h.clock.now();
    h.clock.t = switchedAt + 585_000;
    await h.settle();
    expect(podsOf(h, 'shop-primary', oldHash)).to.equal(5);
    h.clock.t = switchedAt + 600_000;
    await h.settle();
    await until(() => podsOf(h as Harness, 'shop-primary', oldHash) === 0, 'old pods gone');
    await h.settle();
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('Healthy');
    expect(h.routeWeights()).to.deep.equal([100, 0]);
    expect(r.status?.history?.map((e) => e.event)).to.include.members([
      'TrafficSwitched',
      'OldVersionScaledDown',
      'Promoted',
    ]);
  });

  it('S23 with a delay of 0 the old version is scaled down in the first reconcile after the switch', async () => {
    h = await started({ scaleDownDelaySeconds: 0 }, { replicas: 5 });
    await h.release('v2');
    await h.settle();
    await h.command('promote');
    await h.tick();
    expect(h.routeWeights()).to.deep.equal([0, 100]);
    const before = h.api.store.get('deployments', NS, 'shop-primary') as { spec: unknown };
    await h.tick();
    const after = h.api.store.get('deployments', NS, 'shop-primary') as { spec: unknown };
    expect(after.spec).to.not.deep.equal(before.spec);
    expect((await h.rollout()).status?.promotionCommitted).to.equal(true);
  });

  it('S23 an abort inside the delay switches traffic back at once, without waiting for pods', async () => {
    h = await started(
      { scaleDownDelaySeconds: 600, previewHeader: { header: 'x-sluice-preview', exact: 'true' } },
      { replicas: 5 },
    );
    const vsBefore = structuredClone(h.api.store.get('virtualservices', NS, 'shop')) as {
      spec: unknown;
    };
    await h.release('v2');
    await h.settle();
    await h.command('promote');
    await h.settle();
    expect(h.routeWeights()).to.deep.equal([0, 100]);
    h.clock.advance(120_000);
    await h.command('abort', { reason: 'checkout errors' });
    await h.tick();
    expect(h.routeWeights()).to.deep.equal([100, 0]);
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('Aborted');
    const vsAfter = h.api.store.get('virtualservices', NS, 'shop') as { spec: unknown };
    expect(vsAfter.spec).to.deep.equal(vsBefore.spec);
  });

  it('a controller restart between the switch and the scale-down changes nothing and keeps the timing', async () => {
    h = await started({ scaleDownDelaySeconds: 600, postPromotionAnalysis: POST });
    await h.release('v2');
    await h.settle();
    await h.command('promote');
    await h.settle();
    const switchedAt = h.clock.now();
    h.clock.advance(300_000);
    await h.settle();
    h.api.clearWriteLog();
    h.restartController();
    await h.settle();
    expect(vsWrites(h)).to.deep.equal([]);
    expect(h.routeWeights()).to.deep.equal([0, 100]);
    expect((await h.rollout()).status?.promotionCommitted).to.equal(undefined);
    expect(h.api.store.list('analysisruns', NS)).to.have.length(1);
    h.clock.t = switchedAt + 599_000;
    await h.settle();
    expect((await h.rollout()).status?.promotionCommitted).to.equal(undefined);
    h.clock.t = switchedAt + 601_000;
    await h.settle();
    await until(() => podsOf(h as Harness, 'shop-primary') > 0, 'primary pods');
    await h.settle();
    expect((await h.rollout()).status?.phase).to.equal('Healthy');
    expect(h.routeWeights()).to.deep.equal([100, 0]);
  });

  it('a failed post-promotion analysis switches traffic back to the old version and scales the preview down', async () => {
    h = await started({ scaleDownDelaySeconds: 600, postPromotionAnalysis: POST });
    await h.release('v2');
    await h.settle();
    prom?.plan([{ kind: 'value', value: 0.5 }]);
    await h.command('promote');
    await h.settle();
    h.clock.advance(10_000);
    await h.settle();
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('Aborted');
    expect(r.status?.reason).to.equal('AnalysisFailed');
    expect(r.status?.message).to.match(/post-promotion analysis/);
    expect(r.status?.history?.map((e) => e.event)).to.include('SwitchedBack');
    expect(h.routeWeights()).to.deep.equal([100, 0]);
    const target = h.api.store.get('deployments', NS, 'shop') as { spec: { replicas: number } };
    expect(target.spec.replicas).to.equal(0);
  });

  it('bad input: blue-green and canary both set make the Rollout Invalid, naming the field, and nothing moves', async () => {
    prom = await startPromStub();
    h = await Harness.start({
      steps: [],
      prometheusUrl: prom.url,
      rawSpec: { strategy: { canary: { steps: [{ setWeight: 10 }] }, blueGreen: {} } },
    });
    await h.settle();
    const r = h.api.store.get('rollouts', NS, 'shop') as {
      status?: { phase?: string; conditions?: Array<{ type: string; message: string }> };
    };
    expect(r.status?.phase).to.equal('Invalid');
    expect(r.status?.conditions?.find((c) => c.type === 'SpecValid')?.message).to.match(
      /spec\.strategy: must set exactly one of canary or blueGreen/,
    );
    expect(vsWrites(h)).to.deep.equal([]);
    expect(h.api.store.get('deployments', NS, 'shop-primary')).to.equal(undefined);
  });

  it('bad input: a negative or absurd delay is refused by the API server, naming the field', async () => {
    for (const [field, value] of [
      ['scaleDownDelaySeconds', -5],
      ['autoPromotionSeconds', 10 * 365 * 86_400],
    ] as const) {
      let message = '';
      try {
        h = await Harness.start({
          steps: [],
          rawSpec: { strategy: { blueGreen: { [field]: value } } },
        });
      } catch (err) {
        message = String((err as { body?: unknown }).body ?? err);
      }
      expect(message, field).to.contain(`spec.strategy.blueGreen.${field}`);
    }
  });
});
