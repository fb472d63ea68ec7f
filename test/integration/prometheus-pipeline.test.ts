import { expect } from 'chai';
import { spawnApp, type AppProcess } from '../../examples/app/spawn.js';
import { createPrometheusProvider } from '../../src/adapters/prometheus/index.js';
import type { ProviderAnswer } from '../../src/domain/provider.js';
import { startLoad } from '../../src/sandbox/load.js';
import { startProxy, type RunningProxy } from '../../src/sandbox/proxy/index.js';
import { prometheusForSuite } from '../support/prometheus.js';

// The whole measuring path of a canary: load → weighted proxy → real app processes, the proxy's
// Istio metrics scraped by a real Prometheus, and the success-rate query the analysis templates
// use, answered through the adapter.

const FAIL_RATE = 0.2;
const SUCCESS_RATE =
  'sum(rate(istio_requests_total{destination_service_name="shop-canary",response_code!~"5.*"}[30s]))' +
  ' / sum(rate(istio_requests_total{destination_service_name="shop-canary"}[30s]))';

describe('canary success rate through proxy, Prometheus and adapter', function () {
  this.timeout(60_000);
  const apps: AppProcess[] = [];
  let proxy: RunningProxy | undefined;

  before(async function () {
    this.timeout(30_000);
    const [primary, canary] = await Promise.all([
      spawnApp({ version: 'v1' }),
      spawnApp({ version: 'v2', failRate: FAIL_RATE }),
    ]);
    apps.push(primary, canary);
    const endpoints: Record<string, string> = {
      'shop-primary': primary.url,
      'shop-canary': canary.url,
    };
    proxy = await startProxy({
      namespace: 'demo',
      getVirtualService: () => ({
        spec: {
          http: [
            {
              name: 'primary',
              route: [
                { destination: { host: 'shop-primary' }, weight: 50 },
                { destination: { host: 'shop-canary' }, weight: 50 },
              ],
            },
          ],
        },
      }),
      resolve: (_ns, svc) => (endpoints[svc] ? [endpoints[svc]] : []),
    });
  });

  const prometheus = prometheusForSuite(() => (proxy ? [proxy.metricsTarget] : []));

  after(async () => {
    await proxy?.stop();
    await Promise.all(apps.map((app) => app.stop()));
  });

  it('measures about 1 - FAIL_RATE for the canary after a few seconds of load', async () => {
    if (!proxy) throw new Error('proxy did not start');
    const provider = createPrometheusProvider({ defaultAddress: prometheus.current.url });
    await prometheus.current.waitForTargets();
    const load = startLoad({ url: proxy.url, rps: 100 });
    const started = Date.now();
    let answer: ProviderAnswer | undefined;
    try {
      // Several scrapes of every series before trusting the ratio.
      await new Promise((r) => setTimeout(r, 5000));
      for (let i = 0; i < 20; i++) {
        answer = await provider.measure({ query: SUCCESS_RATE, timeoutMs: 2000 });
        if (answer.kind === 'values' && answer.values.length === 1) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await load.stop();
    }

    expect(answer?.kind, JSON.stringify(answer)).to.equal('values');
    if (answer?.kind !== 'values') return;
    expect(answer.values).to.have.length(1);
    expect(answer.values[0]).to.be.closeTo(1 - FAIL_RATE, 0.06);

    // The load generator saw the same thing: only the canary's half fails, at FAIL_RATE.
    const stats = load.window(started, Date.now());
    expect(stats.connectionErrors).to.equal(0);
    // Enough answers for the ratio to mean something (about 500 are sent; a busy CI machine
    // sends fewer on time, which says nothing about the pipeline).
    expect(stats.total).to.be.greaterThan(250);
    expect(stats.failures / stats.total).to.be.closeTo(FAIL_RATE / 2, 0.04);
    expect(stats.byStatus['500']).to.equal(stats.failures);
  });
});
