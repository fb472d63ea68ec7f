import { expect } from 'chai';
import { Harness } from '../support/harness.js';

// The budget policy against the sandbox API server with the real controller: the budget comes
// from a ServiceLevelObjective's status, as the SLO evaluator writes it.

const SLO = 'shop-availability';

function sloObject(): object {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'ServiceLevelObjective',
    metadata: { name: SLO, namespace: 'demo' },
    spec: {
      service: 'shop',
      sli: {
        kind: 'availability',
        goodQuery:
          'sum(rate(istio_requests_total{destination_service_name="shop",response_code!~"5.."}[{{window}}]))',
        totalQuery: 'sum(rate(istio_requests_total{destination_service_name="shop"}[{{window}}]))',
      },
      objective: 99.9,
      window: '28d',
    },
  };
}

async function setBudget(h: Harness, remaining: number): Promise<void> {
  const base = `${h.api.url}/apis/sluice.dev/v1alpha1/namespaces/demo/servicelevelobjectives/${SLO}/status`;
  const res = await fetch(base, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: JSON.stringify({
      status: {
        errorBudgetRemaining: remaining,
        evaluatedAt: new Date(h.clock.now()).toISOString(),
      },
    }),
  });
  expect(res.status, `patch ${SLO} status`).to.equal(200);
}

function conditionOf(r: Awaited<ReturnType<Harness['rollout']>>) {
  return r.status?.conditions?.find((c) => c.type === 'BudgetFrozen');
}

describe('budget policy on the sandbox', function () {
  this.timeout(60_000);
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('holds a new revision in BudgetFrozen while the SLO budget is spent, and starts it on an override with a reason', async () => {
    h = await Harness.start({
      steps: [{ setWeight: 20 }, { pause: {} }],
      spec: { budgetPolicy: { slo: SLO } },
      objects: [sloObject() as never],
    });
    await h.settle();
    expect((await h.rollout()).status?.phase).to.equal('Healthy');
    await setBudget(h, -0.4);
    await h.release('v2');
    await h.settle();
    let r = await h.rollout();
    expect(r.status?.phase).to.equal('BudgetFrozen');
    expect(conditionOf(r)?.message).to.match(/shop-availability.*-40%/);
    expect(h.routeWeights()).to.deep.equal([100, 0]);
    const target = await h.resources.deployments.get({ namespace: 'demo', name: 'shop' });
    expect(target.spec?.replicas).to.equal(0);
    const events = h.api.store
      .list('events', 'demo')
      .filter((e) => (e as { reason?: string }).reason === 'BudgetFrozen');
    expect(events).to.have.length(1);

    await h.command('overrideBudget', {
      reason: 'fix for the incident burning the budget',
      by: 'ana',
    });
    await h.settle();
    r = await h.rollout();
    expect(r.status?.phase).to.equal('Paused');
    expect(r.status?.budget?.override).to.include({
      reason: 'fix for the incident burning the budget',
      by: 'ana',
    });
    expect(h.routeWeights()).to.deep.equal([80, 20]);
  });

  it('starts the frozen revision by itself once the evaluator reports budget again', async () => {
    h = await Harness.start({
      steps: [{ setWeight: 20 }, { pause: {} }],
      spec: { budgetPolicy: { slo: SLO, freezeBelow: 0.1 } },
      objects: [sloObject() as never],
    });
    await h.settle();
    await setBudget(h, 0.05);
    await h.release('v2');
    await h.settle();
    expect((await h.rollout()).status?.phase).to.equal('BudgetFrozen');
    h.clock.advance(60_000);
    await setBudget(h, 0.3);
    await h.settle();
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('Paused');
    expect(r.status?.budget?.remaining).to.equal(0.3);
    expect(conditionOf(r)?.status).to.equal('False');
  });

  it('reports a budget policy naming an SLO that does not exist, and follows onUnknown', async () => {
    h = await Harness.start({
      steps: [{ setWeight: 20 }, { pause: {} }],
      spec: { budgetPolicy: { slo: 'nope', onUnknown: 'freeze' } },
    });
    await h.settle();
    await h.release('v2');
    await h.settle();
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('BudgetFrozen');
    expect(conditionOf(r)?.message).to.contain('ServiceLevelObjective "nope" not found');
  });
});
