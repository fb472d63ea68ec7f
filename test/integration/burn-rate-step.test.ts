import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import { createKubeClients } from '../../src/adapters/kubernetes/client.js';
import { KubeEventRecorder } from '../../src/adapters/kubernetes/events.js';
import { sloAccess } from '../../src/adapters/kubernetes/parse-slo.js';
import { IstioRouter } from '../../src/adapters/istio/router.js';
import { createPrometheusProvider } from '../../src/adapters/prometheus/provider.js';
import { Controller } from '../../src/controller/controller.js';
import type { AnalysisRun } from '../../src/domain/types.js';
import { createLogger } from '../../src/logging.js';
import { Harness } from '../support/harness.js';
import { kubeConfigFor } from '../support/kube.js';
import { startQueryStub, type QueryStub } from '../support/query-stub.js';

// A burn-rate analysis step on the sandbox: it fails the canary when both windows of a pair
// burn faster than the factor, and passes when only the short one does. Prometheus is a stand-in
// answering good and total event rates per window.

const NS = 'demo';

function burnTemplate(burnRate: Record<string, unknown>): KubernetesObject {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'burn', namespace: NS },
    spec: {
      metrics: [{ name: 'burn', interval: '1m', count: 1, consecutiveErrorLimit: 0, burnRate }],
    },
  } as KubernetesObject;
}

const INLINE = {
  sli: {
    goodQuery: 'sum(rate(shop_good[{{window}}]))',
    totalQuery: 'sum(rate(shop_total[{{window}}]))',
  },
  objective: 99.9,
  windows: [{ long: '5m', short: '1m', factor: 14.4 }],
};

/** 100 requests/s; the error ratio per window as given (0.03 = burn 30 at 99.9 %). */
function errorRatios(byWindow: Record<string, number>): (q: string) => number | undefined {
  return (q) => {
    const window = /\[([^\]]+)\]/.exec(q)?.[1] ?? '';
    const ratio = byWindow[window];
    if (ratio === undefined) return undefined;
    return q.includes('shop_good') ? 100 * (1 - ratio) : 100;
  };
}

const STEPS = [
  { setWeight: 20 },
  { analysis: { templates: [{ templateName: 'burn' }] } },
  { setWeight: 60 },
];

describe('burn-rate analysis step', function () {
  this.timeout(60_000);
  let h: Harness | undefined;
  let prom: QueryStub | undefined;

  afterEach(async () => {
    await h?.stop();
    await prom?.close();
    h = undefined;
    prom = undefined;
  });

  async function run(
    burnRate: Record<string, unknown>,
    ratios: Record<string, number>,
    extra: KubernetesObject[] = [],
  ): Promise<Harness> {
    prom = await startQueryStub(errorRatios(ratios));
    h = await Harness.start({
      steps: STEPS,
      prometheusUrl: prom.url,
      objects: [burnTemplate(burnRate), ...extra],
    });
    useSloReader(h, prom.url);
    await h.settle();
    await h.release('v2');
    await h.settle();
    return h;
  }

  it('fails the canary when both the long and the short window burn faster than the factor', async () => {
    const hh = await run(INLINE, { '5m': 0.03, '1m': 0.02 });
    const r = await hh.rollout();
    expect(r.status?.phase).to.equal('Aborted');
    expect(r.status?.message).to.match(/5m\/1m burn 30\/20: both above 14\.4x/);
    expect(hh.routeWeights()).to.deep.equal([100, 0]);
  });

  it('passes when only the short window burns fast (a blip, not a trend)', async () => {
    const hh = await run(INLINE, { '5m': 0.005, '1m': 0.03 });
    const r = await hh.rollout();
    expect(r.status?.phase).to.equal('Healthy');
    const m = r.status?.lastMeasurements?.find((x) => x.metric === 'burn');
    expect(m?.phase).to.equal('Successful');
    expect(m?.value).to.deep.equal([5, 30]);
  });

  it('copies a named ServiceLevelObjective into the run when it starts', async () => {
    const slo = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'ServiceLevelObjective',
      metadata: { name: 'shop-availability', namespace: NS },
      spec: { service: 'shop', sli: { kind: 'availability', ...INLINE.sli }, objective: 99.9 },
    } as KubernetesObject;
    const hh = await run(
      { slo: 'shop-availability', windows: INLINE.windows },
      { '5m': 0.03, '1m': 0.02 },
      [slo],
    );
    expect((await hh.rollout()).status?.phase).to.equal('Aborted');
    const runs = hh.api.store.list('analysisruns', NS) as unknown as AnalysisRun[];
    const spec = runs[0]?.spec.metrics[0]?.burnRate;
    expect(spec?.slo).to.equal('shop-availability');
    expect(spec?.objective).to.equal(99.9);
    expect(spec?.sli?.goodQuery).to.equal(INLINE.sli.goodQuery);
  });

  it('treats a failed query as an Error naming the window, never a pass', async () => {
    const good = errorRatios({ '5m': 0, '1m': 0 });
    prom = await startQueryStub((q) => (q.includes('shop_total[1m]') ? 'error' : good(q)));
    h = await Harness.start({
      steps: STEPS,
      prometheusUrl: prom.url,
      objects: [burnTemplate(INLINE)],
    });
    await h.settle();
    await h.release('v2');
    await h.settle();
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('Aborted');
    expect(r.status?.message).to.match(/total query for 1m: /);
  });

  it('treats a missing ServiceLevelObjective as an error naming it, never a pass', async () => {
    const hh = await run({ slo: 'no-such-slo' }, { '5m': 0, '1m': 0 });
    const r = await hh.rollout();
    expect(r.status?.phase).to.equal('Aborted');
    expect(r.status?.message).to.match(/ServiceLevelObjective "no-such-slo" was not found/);
    expect(prom?.queries).to.have.length(0);
  });
});

/** The harness's controller, plus the SLO reader the runtime gives it. */
function useSloReader(h: Harness, prometheusUrl: string): void {
  const clients = createKubeClients(kubeConfigFor(h.api.url));
  h.controller = new Controller({
    resources: h.resources,
    router: new IstioRouter(clients),
    provider: createPrometheusProvider({ defaultAddress: prometheusUrl }),
    events: new KubeEventRecorder(clients),
    logger: createLogger({ silent: true }),
    clock: h.clock,
    manual: true,
    slos: sloAccess(clients),
  });
}
