import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import { COMMAND_ANNOTATIONS } from '../../src/domain/commands.js';
import type { CommandKind, Rollout } from '../../src/domain/types.js';
import { createLogger } from '../../src/logging.js';
import { startStack, type Stack } from '../../src/sandbox/demo/stack.js';
import { startLoad, type RunningLoad } from '../../src/sandbox/load.js';

// The controller runtime (watches, queue, real time) on the whole sandbox: real app processes,
// real traffic through the weighted proxy, real Prometheus. Commands go in as a user's kubectl
// would put them: annotations on the Rollout.

const NS = 'demo';

describe('canary on the full sandbox with real Prometheus', function () {
  this.timeout(120_000);
  let stack: Stack;
  let load: RunningLoad;
  let seq = 0;

  before(async function () {
    this.timeout(60_000);
    stack = await startStack({ logger: createLogger({ silent: true }) });
    await stack.applyObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await stack.apply('examples/deployment.yaml');
    await stack.apply('examples/virtualservice.yaml');
    await stack.applyObject({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'no-series', namespace: NS },
      spec: {
        metrics: [
          {
            name: 'success-rate',
            initialDelay: '1s',
            interval: '2s',
            count: 3,
            successCondition: 'result[0] >= 0.95',
            provider: {
              prometheus: {
                query:
                  'sum(rate(istio_requests_total{destination_service_name="nothing-here"}[10s]))',
              },
            },
          },
        ],
      },
    } as KubernetesObject);
    await stack.applyObject(rolloutObject([{ setWeight: 30 }, { pause: {} }]));
    load = startLoad({ url: stack.proxy.url, rps: 40, maxDurationMs: 5 * 60_000 });
    await waitFor(() => rollout()?.status?.phase === 'Healthy', 30_000, 'initialization');
  });

  after(async () => {
    await load?.stop();
    await stack?.stop();
  });

  function rolloutObject(steps: unknown[]): KubernetesObject {
    return {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'shop', namespace: NS },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop' },
        service: { port: 80, targetPort: 8080 },
        trafficRouting: { istio: { virtualService: { name: 'shop', routes: ['primary'] } } },
        strategy: { canary: { steps } },
      },
    } as KubernetesObject;
  }

  function rollout(): Rollout | undefined {
    return stack.api.store.get('rollouts', NS, 'shop') as unknown as Rollout | undefined;
  }

  function weights(): number[] {
    const vs = stack.api.store.get('virtualservices', NS, 'shop') as {
      spec: { http: Array<{ name: string; route: Array<{ weight?: number }> }> };
    };
    return vs.spec.http.find((r) => r.name === 'primary')?.route.map((d) => d.weight ?? 0) ?? [];
  }

  async function release(env: Record<string, string>): Promise<void> {
    const deployments = stack.runtime?.resources.deployments;
    if (!deployments) throw new Error('no controller');
    const dep = await deployments.get({ namespace: NS, name: 'shop' });
    const c = dep.spec?.template.spec?.containers[0];
    if (c)
      c.env = [
        ...(c.env ?? []).filter((e) => !(e.name in env)),
        ...Object.entries(env).map(([name, value]) => ({ name, value })),
      ];
    await deployments.update(dep);
  }

  async function command(kind: CommandKind, extra: Record<string, unknown> = {}): Promise<void> {
    await stack.runtime?.resources.rollouts.patchMerge(
      { namespace: NS, name: 'shop' },
      {
        metadata: {
          annotations: {
            [COMMAND_ANNOTATIONS[kind]]: JSON.stringify({ id: `t${++seq}`, ...extra }),
          },
        },
      },
    );
  }

  it('sends the set share of real requests to the candidate, then promotes it fully on request', async () => {
    await release({ VERSION: 'v2' });
    await waitFor(() => rollout()?.status?.phase === 'Paused', 30_000, 'the pause step');
    expect(weights()).to.deep.equal([70, 30]);
    await sleep(1500);
    stack.proxy.resetCounts();
    await sleep(4000);
    const by = stack.proxy.counts().byDestination;
    const canary = by['shop-canary'] ?? 0;
    const total = canary + (by['shop-primary'] ?? 0);
    expect(total).to.be.greaterThan(50);
    expect(canary / total).to.be.within(0.15, 0.45);
    await command('promoteFull');
    await waitFor(() => rollout()?.status?.phase === 'Healthy', 30_000, 'the full promotion');
    expect(weights()).to.deep.equal([100, 0]);
    const primary = stack.api.store.get('deployments', NS, 'shop-primary') as {
      spec: {
        template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } };
      };
    };
    expect(
      primary.spec.template.spec.containers[0]?.env.find((e) => e.name === 'VERSION')?.value,
    ).to.equal('v2');
  });

  it('keeps its place when the controller restarts in the middle of a step, then aborts on request', async () => {
    await release({ VERSION: 'v3' });
    await waitFor(() => rollout()?.status?.phase === 'Paused', 30_000, 'the pause step');
    const before = rollout()?.status;
    stack.api.clearWriteLog();
    await stack.runtime?.stop();
    await stack.startController();
    await sleep(3000);
    const after = rollout()?.status;
    expect(after?.phase).to.equal('Paused');
    expect(after?.currentStepIndex).to.equal(before?.currentStepIndex);
    expect(weights()).to.deep.equal([70, 30]);
    const vsWrites = (
      stack.api.writeLog as unknown as Array<{ resource: string; verb: string }>
    ).filter((w) => w.resource === 'virtualservices');
    expect(vsWrites).to.deep.equal([]);
    await command('abort', { reason: 'test abort' });
    await waitFor(() => rollout()?.status?.phase === 'Aborted', 20_000, 'the abort');
    expect(weights()).to.deep.equal([100, 0]);
    expect(rollout()?.status?.message).to.contain('test abort');
    await waitFor(
      () =>
        (stack.api.store.get('deployments', NS, 'shop') as { spec: { replicas: number } }).spec
          .replicas === 0,
      10_000,
      'the candidate scale-down',
    );
  });

  it('restores the routes and keeps the primary serving when the Rollout is deleted mid-rollout', async () => {
    await release({ VERSION: 'v5' });
    await waitFor(() => rollout()?.status?.phase === 'Paused', 30_000, 'the pause step');
    expect(weights()).to.deep.equal([70, 30]);
    await stack.runtime?.resources.rollouts.delete({ namespace: NS, name: 'shop' });
    await waitFor(() => rollout() === undefined, 15_000, 'the Rollout to go');
    expect(weights()).to.deep.equal([100, 0]);
    expect(stack.api.store.get('deployments', NS, 'shop-primary')).to.not.equal(undefined);
    expect(stack.api.store.get('services', NS, 'shop-primary')).to.not.equal(undefined);
    stack.proxy.resetCounts();
    await sleep(1500);
    expect(stack.proxy.counts().byFlags['UH'] ?? 0).to.equal(0);
    await stack.applyObject(rolloutObject([{ setWeight: 30 }, { pause: {} }]));
    await waitFor(
      () => rollout()?.status?.phase === 'Healthy' || rollout()?.status?.phase === 'Paused',
      30_000,
      'the new Rollout',
    );
  });

  it('treats a query with no series in real Prometheus as no data: inconclusive, paused, never an error', async () => {
    const r = await stack.runtime?.resources.rollouts.get({ namespace: NS, name: 'shop' });
    if (!r) throw new Error('no rollout');
    r.spec.strategy = {
      canary: {
        steps: [
          { setWeight: 20 },
          { analysis: { templates: [{ templateName: 'no-series' }] } },
          { setWeight: 50 },
        ],
      },
    };
    await stack.runtime?.resources.rollouts.update(r);
    await release({ VERSION: 'v4' });
    await waitFor(
      () => rollout()?.status?.reason === 'AnalysisInconclusive',
      40_000,
      'the inconclusive analysis',
    );
    const status = rollout()?.status;
    expect(status?.phase).to.equal('Paused');
    expect(weights()).to.deep.equal([80, 20]);
    const m = status?.lastMeasurements?.find((x) => x.metric === 'success-rate');
    expect(m?.phase).to.equal('Inconclusive');
    expect(m?.message).to.match(/no data/);
  });
});

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
