import { expect } from 'chai';
import { spawnApp, type AppProcess } from '../../examples/app/spawn.js';
import { UnleashAdmin } from '../../src/adapters/unleash/admin.js';
import { judgeVariants, queryVariantStats } from '../../src/sandbox/demo/flags-ab.js';
import { startLoad } from '../../src/sandbox/load.js';
import { startPrometheus, type RunningPrometheus } from '../../src/sandbox/prometheus.js';
import { waitForQuery } from '../support/prometheus.js';
import { createRolloutFlag, startUnleashFixture, type UnleashFixture } from '../support/unleash.js';

// A/B end to end: the example app asks a real unleash-server (through unleash-client) which
// variant each user sees, labels its own metrics by variant, real Prometheus scrapes them, and
// the comparison names the variant with fewer errors, with the numbers.

const FLAG = 'checkout-ab';

describe('A/B variants', function () {
  this.timeout(90_000);
  let fixture: UnleashFixture | undefined;
  let app: AppProcess | undefined;
  let prometheus: RunningPrometheus | undefined;

  before(async () => {
    fixture = await startUnleashFixture();
    await createRolloutFlag(fixture.unleash, FLAG, { rollout: 100, stickiness: 'userId' });
    const admin = new UnleashAdmin({ url: fixture.unleash.url, token: fixture.unleash.adminToken });
    await admin.setVariants({ project: 'default', environment: 'development', name: FLAG }, [
      { name: 'A', weight: 500, weightType: 'fix', stickiness: 'userId' },
      { name: 'B', weight: 500, weightType: 'variable', stickiness: 'userId' },
    ]);
    app = await spawnApp({
      version: 'v2',
      env: {
        UNLEASH_URL: fixture.unleash.url,
        UNLEASH_CLIENT_TOKEN: fixture.unleash.clientToken,
        FLAG_NAME: FLAG,
        VARIANT_FAIL_RATES: 'A=0.02,B=0.2',
        VARIANT_LATENCY_MS: 'B=30',
      },
    });
    prometheus = await startPrometheus({
      scrapeTargets: [`127.0.0.1:${app.port}`],
      scrapeIntervalMs: 500,
    });
  });
  after(async function () {
    this.timeout(30_000);
    await prometheus?.stop();
    await app?.stop();
    await fixture?.close();
  });

  it('answers each user with a sticky variant in x-variant', async () => {
    const ask = async (user: string) =>
      (
        await fetch(`${app?.url}/`, {
          headers: { 'x-user-id': user },
          signal: AbortSignal.timeout(5000),
        })
      ).headers.get('x-variant');
    const seen = new Map<string, string | null>();
    for (let i = 0; i < 40; i++) seen.set(`u${i}`, await ask(`u${i}`));
    for (const [user, variant] of seen) expect(await ask(user), user).to.equal(variant);
    expect(new Set(seen.values())).to.deep.equal(new Set(['A', 'B']));
    expect(await ask('')).to.equal('none');
  });

  it('compares the variants in Prometheus and names the one with fewer errors', async () => {
    const running = prometheus as RunningPrometheus;
    await running.waitForTargets();
    const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
    const load = startLoad({ url: `${app?.url}/`, rps: 400, userIds: users, maxDurationMs: 5000 });
    await new Promise((r) => setTimeout(r, 5000));
    await load.stop();
    const sent = load.stats().total;
    // 80 requests from the first test, plus every request of the load, counted and scraped.
    await waitForQuery(running.url, 'sum(app_requests_total)', (d) => {
      const v = (d as { result?: Array<{ value?: [number, string] }> }).result?.[0]?.value?.[1];
      return Number(v) >= sent;
    });
    const stats = await queryVariantStats(running.url);
    const verdict = judgeVariants(stats, { ignore: ['none', 'disabled'] });
    process.stdout.write(`      A/B report: ${verdict.reason}\n`);

    expect(verdict.winner).to.equal('A');
    expect(verdict.reason).to.match(/A wins on error rate: [12]\.\d\d% against B's (19|20)\.\d\d%/);
    const a = stats.find((s) => s.variant === 'A');
    const b = stats.find((s) => s.variant === 'B');
    if (!a || !b) throw new Error(`missing a variant in ${JSON.stringify(stats)}`);
    // The failure schedule is exact per variant: floor(n * rate) or one more.
    expect(a.errors).to.be.within(Math.floor(a.requests * 0.02), Math.floor(a.requests * 0.02) + 1);
    expect(b.errors).to.be.within(Math.floor(b.requests * 0.2), Math.floor(b.requests * 0.2) + 1);
    // Half the users each (1000 users, sticky): within 6 points of 50%.
    expect(a.requests / (a.requests + b.requests)).to.be.within(0.44, 0.56);
    // B carries 30 ms more latency.
    expect(b.p99Seconds ?? 0).to.be.greaterThan(0.025);
    expect(a.p99Seconds ?? 1).to.be.below(b.p99Seconds ?? 0);
  });
});

describe('judgeVariants', () => {
  const stat = (variant: string, requests: number, errors: number, p99: number) => ({
    variant,
    requests,
    errors,
    errorRate: errors / requests,
    p99Seconds: p99,
    meanSeconds: p99 / 2,
  });

  it('prefers the lower error rate and says so with the numbers', () => {
    const v = judgeVariants([stat('A', 1000, 50, 0.01), stat('B', 1000, 10, 0.2)]);
    expect(v.winner).to.equal('B');
    expect(v.reason).to.contain("B wins on error rate: 1.00% against A's 5.00%");
  });

  it('falls back to p99 latency when the error rates tie', () => {
    const v = judgeVariants([stat('A', 1000, 10, 0.3), stat('B', 1000, 12, 0.05)]);
    expect(v.winner).to.equal('B');
    expect(v.reason).to.contain('B wins on p99 latency 50 ms against 300 ms');
  });

  it('names no winner when a variant has too few requests', () => {
    const v = judgeVariants([stat('A', 1000, 0, 0.01), stat('B', 20, 10, 0.01)]);
    expect(v.winner).to.equal(undefined);
    expect(v.reason).to.contain('at least 100 requests');
  });
});
