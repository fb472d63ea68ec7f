import { expect } from 'chai';
import { Agent, request } from 'node:http';
import { seededRandom } from '../../examples/app/app.js';
import { spawnApp, type AppProcess } from '../../examples/app/spawn.js';
import { startProxy, type RunningProxy } from '../../src/sandbox/proxy/index.js';

interface Answer {
  status: number;
  version: string | undefined;
  pod: string | undefined;
  flags: string | undefined;
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers, timeout: 5000 }, (res) => {
      res.resume();
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          version: res.headers['x-version'] as string | undefined,
          pod: res.headers['x-pod'] as string | undefined,
          flags: res.headers['x-envoy-response-flags'] as string | undefined,
        }),
      );
    });
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', reject);
    req.end();
  });
}

/** Sends `n` requests, at most 32 at a time, and tallies the answering versions. */
async function tally(
  url: string,
  n: number,
  headers: Record<string, string> = {},
  by: 'version' | 'pod' = 'version',
) {
  const byVersion: Record<string, number> = {};
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      const answer = await get(url, headers);
      const key = answer[by] ?? `status ${answer.status}`;
      byVersion[key] = (byVersion[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return byVersion;
}

function weighted(primary: number, canary: number): unknown {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name: 'shop', namespace: 'demo' },
    spec: {
      hosts: ['shop'],
      http: [
        {
          name: 'canary-header',
          match: [{ headers: { 'x-canary': { exact: 'yes' } } }],
          route: [{ destination: { host: 'shop-canary' } }],
        },
        {
          name: 'primary',
          route: [
            { destination: { host: 'shop-primary' }, weight: primary },
            { destination: { host: 'shop-canary.demo.svc.cluster.local' }, weight: canary },
          ],
        },
      ],
    },
  };
}

describe('weighted proxy', function () {
  this.timeout(30_000);
  const apps: AppProcess[] = [];
  let proxy: RunningProxy | undefined;
  let virtualService: unknown = weighted(80, 20);
  const endpoints: Record<string, string[]> = {};

  before(async () => {
    const started = await Promise.all([
      spawnApp({ version: 'v1' }),
      spawnApp({ version: 'v1' }),
      spawnApp({ version: 'v2' }),
    ]);
    apps.push(...started);
    const [a, b, c] = started as [AppProcess, AppProcess, AppProcess];
    endpoints['demo/shop-primary'] = [a.url, b.url];
    endpoints['demo/shop-canary'] = [c.url];
    proxy = await startProxy({
      namespace: 'demo',
      getVirtualService: () => virtualService,
      resolve: (ns, svc) => endpoints[`${ns}/${svc}`] ?? [],
      workloadOf: (_ns, svc) => svc.replace(/-(primary|canary)$/, '') + '-deploy',
      refreshMs: 1000,
      random: seededRandom(7),
    });
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all(apps.map((app) => app.stop()));
    agent.destroy();
  });

  const running = (): RunningProxy => {
    if (!proxy) throw new Error('proxy did not start');
    return proxy;
  };

  it('splits 2,000 requests about 80/20 across real processes', async () => {
    running().resetCounts();
    const byVersion = await tally(running().url, 2000);
    expect(byVersion['v1']! + byVersion['v2']!).to.equal(2000); // NOTE: both keys present
    expect(byVersion['v2']).to.be.within(400 - 60, 400 + 60);
    expect(running().counts().byDestination).to.deep.equal({
      'shop-primary': byVersion['v1'],
      'shop-canary': byVersion['v2'],
    });
  });

  it('spreads one destination over its endpoints round-robin', async () => {
    await running().refreshNow();
    virtualService = weighted(100, 0);
    await running().refreshNow();
    const byPod = await tally(running().url, 200, {}, 'pod');
    expect(byPod).to.deep.equal({ [`v1-${apps[0]?.pid}`]: 100, [`v1-${apps[1]?.pid}`]: 100 });
    virtualService = weighted(80, 20);
    await running().refreshNow();
  });

  it('sends a request with the matching header to the header route, whatever the weights', async () => {
    running().resetCounts();
    const byVersion = await tally(running().url, 50, { 'x-canary': 'yes' });
    expect(byVersion).to.deep.equal({ v2: 50 });
    expect(running().counts().byRoute).to.deep.equal({ 'canary-header': 50 });
  });

  it('applies a new weight after its refresh delay, not at once', async () => {
    await running().refreshNow();
    virtualService = weighted(0, 100);
    const early = await tally(running().url, 40);
    expect(early['v1']).to.be.greaterThan(20);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await tally(running().url, 40)).to.deep.equal({ v2: 40 });
  });

  it('answers 503 "no healthy upstream" (UH) when the destination has no endpoints', async () => {
    virtualService = weighted(100, 0);
    endpoints['demo/shop-primary'] = [];
    await running().refreshNow();
    try {
      const answer = await get(running().url);
      expect(answer).to.deep.include({ status: 503, version: undefined, flags: 'UH' });
      const text = await metricsText(running());
      expect(text).to.match(
        /istio_requests_total\{[^}]*destination_service_name="shop-primary"[^}]*response_code="503"[^}]*response_flags="UH"\} \d+/,
      );
    } finally {
      endpoints['demo/shop-primary'] = apps.slice(0, 2).map((a) => a.url);
    }
  });

  it("exports Istio's request metrics with the answer's version", async () => {
    const text = await metricsText(running());
    const labels =
      'reporter="destination",source_workload="loadgen",destination_service_name="shop-canary",' +
      'destination_service_namespace="demo",destination_workload="shop-deploy",' +
      'destination_workload_namespace="demo",destination_version="v2",response_code="200",' +
      'request_protocol="http",response_flags="-"';
    expect(text).to.contain(`istio_requests_total{${labels}}`);
    expect(text).to.contain(`istio_request_duration_milliseconds_bucket{le="5",${labels}}`);
  });

  it('keeps its last routes when the VirtualService turns malformed, and says why', async () => {
    virtualService = { spec: { http: [{ route: [] }] } };
    await running().refreshNow();
    expect(running().lastError()).to.contain('spec.http[0].route');
    expect((await get(running().url)).status).to.equal(200);
    virtualService = weighted(80, 20);
    await running().refreshNow();
    expect(running().lastError()).to.equal(undefined);
  });
});

async function metricsText(proxy: RunningProxy): Promise<string> {
  const res = await fetch(proxy.metricsUrl, { signal: AbortSignal.timeout(5000) });
  return res.text();
}
