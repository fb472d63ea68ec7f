import { expect } from 'chai';
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import type { AnalysisRun, MetricResult } from '../../src/domain/types.js';
import { Harness } from '../support/harness.js';
import { startQueryStub, type QueryStub } from '../support/query-stub.js';

// Canary against baseline on the sandbox: the real controller stepped on a fake clock, a
// Prometheus stand-in answering per destination_workload (the canary is the target Deployment
// "shop", the baseline "shop-baseline"), one look per interval.

const NS = 'demo';
const INTERVAL_MS = 60_000;

function compareTemplate(count: number): KubernetesObject {
  const sel = 'reporter="destination",destination_workload="{{workload}}"';
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'errors-vs-baseline', namespace: NS },
    spec: {
      metrics: [
        {
          name: 'errors-vs-baseline',
          interval: '1m',
          count,
          compare: {
            test: 'sequential',
            metric: 'errorRate',
            queries: {
              requests: `sum(increase(istio_requests_total{${sel}}[{{interval}}]))`,
              errors: `sum(increase(istio_requests_total{${sel},response_code=~"5.."}[{{interval}}]))`,
            },
          },
        },
      ],
    },
  } as KubernetesObject;
}

/** 2,000 requests a minute on each side; the baseline errs 2 %, the canary `canaryErrors`. */
function traffic(canaryErrors: number): (q: string) => number {
  return (q) => {
    const workload = /destination_workload="([^"]+)"/.exec(q)?.[1];
    const errors = q.includes('response_code');
    if (!errors) return 2000;
    return workload === 'shop' ? canaryErrors : 40;
  };
}

const STEPS = [
  { setWeight: 20 },
  { analysis: { templates: [{ templateName: 'errors-vs-baseline' }] } },
  { setWeight: 60 },
];

describe('compare metric against the <name>-baseline Deployment', function () {
  this.timeout(60_000);
  let h: Harness | undefined;
  let prom: QueryStub | undefined;

  afterEach(async () => {
    await h?.stop();
    await prom?.close();
    h = undefined;
    prom = undefined;
  });

  async function start(canaryErrors: number, count: number): Promise<Harness> {
    prom = await startQueryStub(traffic(canaryErrors));
    h = await Harness.start({
      steps: STEPS,
      prometheusUrl: prom.url,
      spec: { strategy: { canary: { steps: [], baseline: { enabled: true } } } },
      objects: [compareTemplate(count)],
    });
    await h.settle();
    expect((await h.rollout()).status?.phase).to.equal('Healthy');
    return h;
  }

  async function baseline(hh: Harness): Promise<V1Deployment | undefined> {
    return hh.api.store.get('deployments', NS, 'shop-baseline') as V1Deployment | undefined;
  }

  async function metricResult(hh: Harness): Promise<MetricResult | undefined> {
    const runs = hh.api.store.list('analysisruns', NS) as unknown as AnalysisRun[];
    return runs[0]?.status?.metricResults[0];
  }

  /** One interval later: one more look. */
  async function nextLook(hh: Harness): Promise<void> {
    hh.clock.advance(INTERVAL_MS);
    await hh.settle();
  }

  it('rolls back a canary with twice the baseline error rate at the third look, and removes the baseline', async () => {
    const hh = await start(80, 10);
    await hh.release('v2');
    await hh.settle();
    expect((await hh.rollout()).status?.phase).to.equal('Progressing');
    await nextLook(hh);
    expect((await hh.rollout()).status?.phase).to.equal('Progressing');
    await nextLook(hh);
    const r = await hh.rollout();
    expect(r.status?.phase).to.equal('Aborted');
    expect(r.status?.message).to.match(/canary worse than baseline/);
    const last = r.status?.lastMeasurements?.find((x) => x.metric === 'errors-vs-baseline');
    expect(last?.comparison?.test).to.equal('rate-msprt');
    expect(last?.comparison?.decision).to.equal('fail');
    const m = await metricResult(hh);
    expect(m?.phase).to.equal('Failed');
    expect(m?.comparison?.state.looks).to.equal(3);
    expect(m?.comparison?.result?.decision).to.equal('fail');
    expect(m?.comparison?.result?.pValue).to.be.at.most(0.005);
    expect(m?.comparison?.result?.nCanary).to.equal(6000);
    expect(m?.comparison?.result?.effect).to.be.closeTo(2, 0.05);
    expect(hh.routeWeights()).to.deep.equal([100, 0]);
    expect(await baseline(hh)).to.equal(undefined);
    // Both sides, the interval rendered, nothing else asked.
    expect(prom?.queries).to.have.length(12);
    expect(prom?.queries.filter((q) => q.includes('"shop-baseline"'))).to.have.length(6);
    expect(prom?.queries[0]).to.contain('[1m]');
  });

  it('promotes a healthy canary at the last look and deletes the baseline on promotion', async () => {
    const hh = await start(40, 4);
    await hh.release('v2');
    await hh.settle();
    for (let i = 0; i < 3; i++) await nextLook(hh);
    await hh.settle();
    const r = await hh.rollout();
    expect(r.status?.phase).to.equal('Healthy');
    const m = await metricResult(hh);
    expect(m?.phase).to.equal('Successful');
    expect(m?.comparison?.result?.decision).to.equal('pass');
    expect(m?.comparison?.state.looks).to.equal(4);
    expect(await baseline(hh)).to.equal(undefined);
  });

  it('runs the baseline with the stable template at the canary size, selected by the primary Service', async () => {
    const hh = await start(40, 4);
    const primaryBefore = (
      await hh.resources.deployments.get({ namespace: NS, name: 'shop-primary' })
    ).spec?.template;
    await hh.release('v2');
    await hh.settle();
    const b = await baseline(hh);
    expect(b?.spec?.replicas).to.equal(2);
    const labels = b?.spec?.template.metadata?.labels ?? {};
    expect(labels).to.include({ app: 'shop-primary', 'sluice.dev/baseline': 'true' });
    const { labels: _l, ...restMeta } = b?.spec?.template.metadata ?? {};
    const { labels: _p, ...primaryMeta } = primaryBefore?.metadata ?? {};
    expect(restMeta).to.deep.equal(primaryMeta);
    expect(b?.spec?.template.spec).to.deep.equal(primaryBefore?.spec);
    const svc = await hh.resources.services.get({ namespace: NS, name: 'shop-primary' });
    for (const [k, v] of Object.entries(svc.spec?.selector ?? {})) expect(labels[k]).to.equal(v);
    // Scaled with the canary.
    await hh.resources.deployments.scale({ namespace: NS, name: 'shop' }, 3);
    await hh.settle();
    expect((await baseline(hh))?.spec?.replicas).to.equal(3);
    await hh.command('abort', { reason: 'test' });
    await hh.settle();
    expect((await hh.rollout()).status?.phase).to.equal('Aborted');
    expect(await baseline(hh)).to.equal(undefined);
  });

  it('takes no look when a query fails: an Error measurement, the state unchanged', async () => {
    const hh = await start(40, 4);
    const healthy = traffic(40);
    prom?.answer((q) => (q.includes('"shop-baseline"') ? 'error' : healthy(q)));
    await hh.release('v2');
    await hh.settle();
    let m = await metricResult(hh);
    expect(m?.measurements.map((x) => x.phase)).to.deep.equal(['Error']);
    expect(m?.measurements[0]?.message).to.match(/^baseline\.(requests|errors): /);
    expect(m?.comparison).to.equal(undefined);
    prom?.answer(healthy);
    await nextLook(hh);
    m = await metricResult(hh);
    expect(m?.comparison?.state.looks).to.equal(1);
    expect(m?.consecutiveError).to.equal(0);
  });

  it('keeps the sequential state across a controller restart: no look lost or repeated', async () => {
    const hh = await start(80, 10);
    await hh.release('v2');
    await hh.settle();
    await nextLook(hh);
    expect((await metricResult(hh))?.comparison?.state.looks).to.equal(2);
    hh.restartController();
    await hh.settle();
    expect((await metricResult(hh))?.comparison?.state.looks).to.equal(2);
    expect((await hh.rollout()).status?.phase).to.equal('Progressing');
    await nextLook(hh);
    const m = await metricResult(hh);
    expect((await hh.rollout()).status?.phase).to.equal('Aborted');
    expect(m?.comparison?.state.looks).to.equal(3);
    expect(m?.count).to.equal(3);
    expect(prom?.queries).to.have.length(12);
  });

  it('reports a compare metric on a Rollout without a baseline as a spec problem naming the fix', async () => {
    prom = await startQueryStub(traffic(40));
    h = await Harness.start({
      steps: STEPS,
      prometheusUrl: prom.url,
      objects: [compareTemplate(3)],
    });
    await h.settle();
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('Invalid');
    const cond = r.status?.conditions?.find((c) => c.type === 'SpecValid');
    expect(cond?.message).to.contain('spec.strategy.canary.steps[1].analysis');
    expect(cond?.message).to.contain('spec.strategy.canary.baseline.enabled: true');
    expect(prom.queries).to.have.length(0);
  });
});
