import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { AnalysisRun, Rollout } from '../../src/domain/types.js';
import { createLogger } from '../../src/logging.js';
import { startStack, type Stack } from '../../src/sandbox/demo/stack.js';
import { startLoad, type RunningLoad } from '../../src/sandbox/load.js';

// The whole path with nothing stubbed: the controller runtime creates shop-baseline from the
// stable template, the pod simulator runs its process behind the shop-primary Service, the
// weighted proxy labels its answers destination_workload="shop-baseline", real Prometheus
// scrapes them, and the compare metric rolls back a canary that fails 30 % of its requests.

const NS = 'demo';
const SEL = 'reporter="destination",destination_workload="{{workload}}"';

describe('compare metric on the full sandbox with real Prometheus', function () {
  this.timeout(120_000);
  let stack: Stack | undefined;
  let load: RunningLoad | undefined;

  after(async () => {
    await load?.stop();
    await stack?.stop();
  });

  function rollout(): Rollout | undefined {
    return stack?.api.store.get('rollouts', NS, 'shop') as unknown as Rollout | undefined;
  }

  it('rolls back a failing canary against its baseline, and the baseline is gone after', async () => {
    stack = await startStack({ logger: createLogger({ silent: true }) });
    const s = stack;
    await s.applyObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await s.apply('examples/deployment.yaml');
    await s.apply('examples/virtualservice.yaml');
    await s.applyObject({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'errors-vs-baseline', namespace: NS },
      spec: {
        metrics: [
          {
            name: 'errors-vs-baseline',
            // A new series needs two scrapes before increase() answers: until then, no data.
            initialDelay: '8s',
            interval: '5s',
            count: 8,
            inconclusiveLimit: 2,
            compare: {
              test: 'sequential',
              metric: 'errorRate',
              queries: {
                requests: `sum(increase(istio_requests_total{${SEL}}[{{interval}}]))`,
                errors: `sum(increase(istio_requests_total{${SEL},response_code=~"5.."}[{{interval}}])) or vector(0)`,
              },
            },
          },
        ],
      },
    } as KubernetesObject);
    await s.applyObject({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'shop', namespace: NS },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop' },
        service: { port: 80, targetPort: 8080 },
        trafficRouting: { istio: { virtualService: { name: 'shop', routes: ['primary'] } } },
        strategy: {
          canary: {
            baseline: { enabled: true },
            steps: [
              { setWeight: 30 },
              { analysis: { templates: [{ templateName: 'errors-vs-baseline' }] } },
              { setWeight: 60 },
            ],
          },
        },
      },
    } as KubernetesObject);
    load = startLoad({ url: s.proxy.url, rps: 40, maxDurationMs: 2 * 60_000 });
    await waitFor(() => rollout()?.status?.phase === 'Healthy', 30_000, 'initialization');

    await release(s, 'v2', '0.3');

    await waitFor(
      () => s.api.store.get('deployments', NS, 'shop-baseline') !== undefined,
      20_000,
      'the baseline Deployment',
    );
    const baselineEnv = (
      s.api.store.get('deployments', NS, 'shop-baseline') as {
        spec: {
          template: {
            spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> };
          };
        };
      }
    ).spec.template.spec.containers[0]?.env;
    expect(baselineEnv?.find((e) => e.name === 'VERSION')?.value).to.equal('v1');
    await waitFor(
      () => servedBy(s, 'shop-baseline') > 0,
      20_000,
      'requests labelled destination_workload="shop-baseline"',
    );

    await waitFor(
      () => rollout()?.status?.phase === 'Aborted',
      60_000,
      'the rollback',
      () => (s.api.store.list('analysisruns', NS) as unknown as AnalysisRun[]).map((x) => x.status),
    );
    const r = rollout();
    expect(r?.status?.reason).to.equal('AnalysisFailed');
    expect(r?.status?.message).to.match(/canary worse than baseline/);
    const runs = s.api.store.list('analysisruns', NS) as unknown as AnalysisRun[];
    const m = runs[0]?.status?.metricResults[0];
    expect(m?.comparison?.result?.decision).to.equal('fail');
    expect(m?.comparison?.result?.nBaseline).to.be.greaterThan(0);
    await waitFor(
      () => s.api.store.get('deployments', NS, 'shop-baseline') === undefined,
      10_000,
      'the baseline to go',
    );
  });

  it('promotes a healthy canary at the last look against the same baseline', async () => {
    const s = stack;
    if (!s) throw new Error('the first test did not start the stack');
    await release(s, 'v3', '0');
    await waitFor(() => rollout()?.status?.phase === 'Progressing', 20_000, 'the new rollout');
    await waitFor(
      () => ['Healthy', 'Aborted', 'Paused'].includes(rollout()?.status?.phase ?? ''),
      80_000,
      'the end of the rollout',
    );
    const r = rollout();
    expect(r?.status?.phase, r?.status?.message).to.equal('Healthy');
    const last = r?.status?.lastMeasurements?.find((x) => x.metric === 'errors-vs-baseline');
    expect(last?.comparison?.decision).to.equal('pass');
    expect(s.api.store.get('deployments', NS, 'shop-baseline')).to.equal(undefined);
  });
});

async function release(stack: Stack, version: string, failRate: string): Promise<void> {
  const deployments = stack.runtime?.resources.deployments;
  if (!deployments) throw new Error('no controller');
  const dep = await deployments.get({ namespace: NS, name: 'shop' });
  const c = dep.spec?.template.spec?.containers[0];
  if (c)
    c.env = [
      ...(c.env ?? []).filter((e) => e.name !== 'VERSION' && e.name !== 'FAIL_RATE'),
      { name: 'VERSION', value: version },
      { name: 'FAIL_RATE', value: failRate },
    ];
  await deployments.update(dep);
}

let lastMetrics = '';

/** Requests the proxy has counted for a workload (from its /metrics, refreshed in the background). */
function servedBy(stack: Stack, workload: string): number {
  void fetch(stack.proxy.metricsUrl)
    .then((r) => r.text())
    .then((t) => (lastMetrics = t))
    .catch(() => undefined);
  return lastMetrics
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('istio_requests_total{') && l.includes(`destination_workload="${workload}"`),
    )
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1) ?? 0), 0);
}

async function waitFor(
  cond: () => boolean,
  timeoutMs: number,
  what: string,
  detail: () => unknown = () => '',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end)
      throw new Error(
        `timed out after ${timeoutMs / 1000}s waiting for ${what} ${JSON.stringify(detail())}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
