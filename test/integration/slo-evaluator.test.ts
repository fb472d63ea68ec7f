import { expect } from 'chai';
import { CoreV1Api } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { createKubeClients } from '../../src/adapters/kubernetes/client.js';
import type { Informer } from '../../src/adapters/kubernetes/informer.js';
import { createSloInformer, sloAccess } from '../../src/adapters/kubernetes/parse-slo.js';
import type { StatusAccess } from '../../src/adapters/kubernetes/resources.js';
import { createPrometheusProvider } from '../../src/adapters/prometheus/provider.js';
import { startRuntime } from '../../src/controller/runtime.js';
import { SloEvaluator } from '../../src/controller/slo-evaluator.js';
import {
  computeSloStatus,
  sloWindows,
  type EventCounts,
  type ServiceLevelObjective,
} from '../../src/domain/slo/index.js';
import { createLogger } from '../../src/logging.js';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import { kubeConfigFor } from '../support/kube.js';
import {
  expectedCounts,
  generateMonth,
  startBackfilledPrometheus,
  type BackfilledPrometheus,
} from './slo-month.js';
import { exampleSlo } from './slo-support.js';

// The controller's SLO evaluator against a real Prometheus holding a backfilled month (ending a
// minute ago, so the evaluator's own "now" queries see it) and the sandbox API server: the
// status it writes must equal the budget computed from the generated counters.

const NS = 'shop';

function sloObject(
  name: string,
  sli: { goodQuery?: string; totalQuery?: string } = {},
): ServiceLevelObjective {
  const base = exampleSlo(99.9);
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'ServiceLevelObjective',
    metadata: { name, namespace: NS },
    spec: { ...base.spec, sli: { ...base.spec.sli, ...sli } },
  };
}

/** Waits until the time is at least 5 s away from a whole minute after endS (sample times). */
async function awayFromSampleEdges(endS: number): Promise<void> {
  for (;;) {
    const offset = (Date.now() / 1000 - endS) % 60;
    if (offset > 5 && offset < 50) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function waitFor(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SloEvaluator on real Prometheus and the sandbox API server', function () {
  this.timeout(150_000);
  // NOTE: set in before(), not when mocha loads the file: in a full run this suite starts
  // minutes after loading, and a month that ended then has no samples in the last 5 m.
  let endS = 0;
  let samples: ReturnType<typeof generateMonth> = [];
  let prom: BackfilledPrometheus | undefined;
  let server: ApiServer | undefined;
  let slos: Informer<ServiceLevelObjective> | undefined;
  let access: StatusAccess<ServiceLevelObjective>;
  let evaluator: SloEvaluator;
  let registry: Registry;
  let kubeConfig: ReturnType<typeof kubeConfigFor>;
  let promUrl = '';

  before(async () => {
    endS = Math.floor(Date.now() / 60_000) * 60 - 60;
    samples = generateMonth(endS);
    prom = await startBackfilledPrometheus(samples);
    server = await startApiServer({ port: 0 });
    const kc = kubeConfigFor(server.url);
    kubeConfig = kc;
    promUrl = prom.url;
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
    const clients = createKubeClients(kc);
    access = sloAccess(clients);
    await access.create(sloObject('shop-availability'));
    // A syntax error Prometheus refuses, and a query that returns one series per code.
    await access.create(
      sloObject('bad-syntax', { goodQuery: 'sum(rate(http_requests_total{[{{window}}]))' }),
    );
    const byCode = 'sum by (code) (rate(http_requests_total[{{window}}]))';
    await access.create(sloObject('many-series', { goodQuery: byCode, totalQuery: byCode }));
    // Good above total: twice (a latency query without le=), and by a hair (rate() noise).
    const total = exampleSlo().spec.sli.totalQuery;
    await access.create(sloObject('double-good', { goodQuery: `2 * ${total}` }));
    await access.create(sloObject('hair-good', { goodQuery: `1.0005 * ${total}` }));
    // Labels on one query only: (total) - (good) matches nothing, an empty answer.
    await access.create(sloObject('one-labelled', { goodQuery: byCode }));
    // An SLI whose answer never moves: 1 of 1 good in every window, whatever the time.
    const one = 'absent_over_time(sluice_no_such_series[{{window}}])';
    await access.create(sloObject('steady', { goodQuery: one, totalQuery: one }));
    slos = createSloInformer(clients, { namespace: NS });
    await slos.start();
    registry = new Registry();
    evaluator = new SloEvaluator({
      slos,
      access,
      provider: createPrometheusProvider({ defaultAddress: prom.url }),
      registry,
      logger: createLogger({ silent: true }),
      queryTimeoutMs: 5000,
    });
  });

  after(async () => {
    await evaluator?.stop();
    await slos?.stop();
    await server?.close();
    await prom?.stop();
  });

  it('writes the budget and burn rates the generated data imply, and exports them', async () => {
    await awayFromSampleEdges(endS);
    const queryS = Date.now() / 1000;
    const results = await evaluator.evaluateAll();
    expect(results.find((r) => r.key === `${NS}/shop-availability`)).to.include({
      outcome: 'evaluated',
      written: true,
    });

    const burnWindows: Record<string, EventCounts> = {};
    for (const w of sloWindows('28d').slice(1)) burnWindows[w] = expectedCounts(samples, queryS, w);
    const expected = computeSloStatus({ objective: 99.9 }, '28d', {
      window: expectedCounts(samples, queryS, '28d'),
      burnWindows,
    });
    const slo = await access.get({ namespace: NS, name: 'shop-availability' });
    const status = slo.status ?? {};
    expect(expected.budget.remaining).to.be.within(0.3, 0.8); // the fixture is what we meant
    expect(status.errorBudgetRemaining).to.be.closeTo(expected.budget.remaining, 1e-9);
    expect(status.errorBudgetConsumed).to.be.closeTo(expected.budget.consumed, 1e-9);
    for (const w of sloWindows('28d'))
      expect(status.burnRates?.[w], w).to.be.closeTo(expected.burnRates[w] as number, 1e-6);
    // The incident ended 2 h ago: only the ticket pair (3d/6h) still burns above its factor.
    expect(status.alertSeverity).to.equal('ticket');
    expect(status.firingAlerts?.map((a) => a.longWindow)).to.deep.equal(['3d']);
    expect(Date.parse(status.evaluatedAt ?? '')).to.be.within(queryS * 1000 - 1000, Date.now());
    expect(status.observedGeneration).to.equal(slo.metadata.generation);
    expect(status.conditions?.[0]).to.include({ type: 'Evaluated', status: 'True' });

    const text = await registry.metrics();
    const labels = `namespace="${NS}",slo="shop-availability",service="shop"`;
    const gauge = new RegExp(`sluice_slo_error_budget_remaining_ratio\\{${labels}\\} (\\S+)`);
    expect(Number(gauge.exec(text)?.[1])).to.be.closeTo(expected.budget.remaining, 1e-9);
    expect(text).to.match(new RegExp(`sluice_slo_burn_rate\\{${labels},window="1h"\\} \\S+`));
    expect(text).to.contain(`sluice_slo_objective_ratio{${labels}} 0.999`);
  });

  it('reports a failing query on the condition, with no budget and no gauge made up', async () => {
    for (const [name, words] of [
      ['bad-syntax', 'parse error'],
      ['many-series', 'wrap it in sum()'],
    ] as const) {
      const slo = await access.get({ namespace: NS, name });
      expect(slo.status?.conditions?.[0], name).to.include({
        type: 'Evaluated',
        status: 'False',
        reason: 'QueryFailed',
      });
      expect(slo.status?.conditions?.[0]?.message, name).to.contain(words);
      expect(slo.status, name).to.not.have.property('errorBudgetRemaining');
    }
    const text = await registry.metrics();
    expect(text).to.not.contain('slo="bad-syntax"');
    expect(text).to.not.contain('slo="many-series"');
  });

  it('does not rewrite a status whose numbers held still', async () => {
    const before = await access.get({ namespace: NS, name: 'bad-syntax' });
    const results = await evaluator.evaluateAll();
    expect(results.find((r) => r.key === `${NS}/bad-syntax`)?.written).to.equal(false);
    const after = await access.get({ namespace: NS, name: 'bad-syntax' });
    expect(after.metadata.resourceVersion).to.equal(before.metadata.resourceVersion);
  });

  it('calls an SLI whose good events exceed its total broken: InvalidSli, no budget, no gauge', async () => {
    const result = await evaluator.evaluate(
      await access.get({ namespace: NS, name: 'double-good' }),
    );
    expect(result.outcome).to.equal('failed');
    const slo = await access.get({ namespace: NS, name: 'double-good' });
    const condition = slo.status?.conditions?.[0];
    expect(condition).to.include({ type: 'Evaluated', status: 'False', reason: 'InvalidSli' });
    expect(condition?.message).to.contain('good events exceed total events over 28d');
    expect(condition?.message).to.contain('good/total = 2');
    expect(condition?.message).to.contain('check goodQuery/totalQuery');
    expect(slo.status).to.not.have.property('errorBudgetRemaining');
    expect(slo.status).to.not.have.property('burnRates');
    expect(await registry.metrics()).to.not.contain('slo="double-good"');
  });

  it('reports labels on one query only as no data, saying to wrap both in sum()', async () => {
    await evaluator.evaluate(await access.get({ namespace: NS, name: 'one-labelled' }));
    const slo = await access.get({ namespace: NS, name: 'one-labelled' });
    expect(slo.status?.conditions?.[0]).to.include({ status: 'True', reason: 'NoData' });
    expect(slo.status?.conditions?.[0]?.message).to.contain('wrap them in sum()');
    expect(slo.status).to.not.have.property('errorBudgetRemaining');
  });

  it('lets good exceed total by a hair (rate() extrapolation) and counts it as no errors', async () => {
    await evaluator.evaluate(await access.get({ namespace: NS, name: 'hair-good' }));
    const slo = await access.get({ namespace: NS, name: 'hair-good' });
    expect(slo.status?.conditions?.[0]).to.include({ status: 'True', reason: 'Evaluated' });
    expect(slo.status?.errorBudgetRemaining).to.equal(1);
  });

  it('refreshes evaluatedAt every 5 minutes even with a 5-minute interval (the freeze calls 15 min stale)', async () => {
    const get = () => access.get({ namespace: NS, name: 'steady' });
    await evaluator.evaluate(await get());
    const at = Date.parse((await get()).status?.evaluatedAt ?? '');
    expect(at).to.be.above(0);
    let clock = at;
    const slow = new SloEvaluator({
      slos: slos as Informer<ServiceLevelObjective>, // set in before()
      access,
      provider: createPrometheusProvider({ defaultAddress: promUrl }),
      registry: new Registry(),
      logger: createLogger({ silent: true }),
      queryTimeoutMs: 5000,
      intervalMs: 5 * 60_000,
      now: () => new Date(clock),
    });
    clock = at + 5 * 60_000 - 1000;
    expect((await slow.evaluate(await get())).written, 'a second before 5 min').to.equal(false);
    clock = at + 5 * 60_000;
    expect((await slow.evaluate(await get())).written, 'at 5 min').to.equal(true);
    expect((await get()).status?.evaluatedAt).to.equal(new Date(clock).toISOString());
  });

  it('removes the series of a deleted SLO', async () => {
    await access.delete({ namespace: NS, name: 'shop-availability' });
    await waitFor('the cache to drop the SLO', () => !slos?.get(NS, 'shop-availability'));
    await evaluator.evaluateAll();
    expect(await registry.metrics()).to.not.contain('slo="shop-availability"');
  });

  it('runs in the controller runtime when asked, and puts the gauges on its /metrics', async () => {
    const runtime = await startRuntime({
      kubeConfig,
      logger: createLogger({ silent: true }),
      prometheusUrl: promUrl,
      namespace: NS,
      slo: { intervalMs: 200, queryTimeoutMs: 5000 },
    });
    try {
      await access.create(sloObject('via-runtime'));
      const deadline = Date.now() + 20_000;
      let remaining: number | undefined;
      while (remaining === undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        remaining = (await access.get({ namespace: NS, name: 'via-runtime' })).status
          ?.errorBudgetRemaining;
      }
      expect(remaining).to.be.within(0.3, 0.8);
      expect(await runtime.controller.metrics.registry.metrics()).to.contain(
        'sluice_slo_error_budget_remaining_ratio{namespace="shop",slo="via-runtime",service="shop"}',
      );
    } finally {
      await runtime.stop();
    }
  });
});
