import { expect } from 'chai';
import { spawnApp, type AppProcess } from '../../examples/app/spawn.js';
import { startLoad } from '../../src/sandbox/load.js';
import { freePort } from '../support/ports.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('load generator', function () {
  this.timeout(20_000);
  let healthy: AppProcess | undefined;
  let failing: AppProcess | undefined;
  let slow: AppProcess | undefined;

  before(async function () {
    this.timeout(20_000);
    [healthy, failing, slow] = await Promise.all([
      spawnApp({ version: 'ok' }),
      spawnApp({ version: 'bad', failRate: 0.25 }),
      spawnApp({ version: 'slow', latencyMs: 400 }),
    ]);
  });

  after(async () => {
    await Promise.all([healthy?.stop(), failing?.stop(), slow?.stop()]);
  });

  const urlOf = (app: AppProcess | undefined): string => {
    if (!app) throw new Error('app did not start');
    return app.url;
  };

  it('sends at the set rate and counts every answer by status', async () => {
    const load = startLoad({ url: urlOf(healthy), rps: 200 });
    await sleep(1000);
    await load.stop();
    const stats = load.stats();
    expect(stats.total).to.be.within(190, 215);
    expect(stats.byStatus).to.deep.equal({ '200': stats.total });
    expect(stats.failures).to.equal(0);
    expect(stats.running).to.equal(false);
    expect(stats.inFlight).to.equal(0);
  });

  it('counts non-2xx answers as failures, exactly at the app’s fail rate', async () => {
    const load = startLoad({ url: urlOf(failing), rps: 200 });
    await sleep(1000);
    await load.stop();
    const { total, failures, byStatus } = load.stats();
    expect(byStatus['500']).to.equal(failures);
    // The app fails every 4th request, so any run holds floor(n / 4) or one more.
    expect(failures).to.be.within(Math.floor(total / 4) - 1, Math.ceil(total / 4) + 1);
  });

  it('counts refused connections', async () => {
    const load = startLoad({ url: `http://127.0.0.1:${await freePort()}/`, rps: 50 });
    await sleep(300);
    await load.stop();
    const stats = load.stats();
    expect(stats.connectionErrors).to.be.greaterThan(5);
    expect(stats.failures).to.equal(stats.connectionErrors);
  });

  it('keeps sending on schedule while answers are slow (open loop) and counts timeouts', async () => {
    const load = startLoad({ url: urlOf(slow), rps: 50, requestTimeoutMs: 200 });
    await sleep(1000);
    const midway = load.stats();
    await load.stop();
    expect(midway.inFlight + midway.total).to.be.within(45, 56);
    expect(load.stats().timeouts).to.equal(load.stats().total);
  });

  it('counts only requests sent inside a time window', async () => {
    const load = startLoad({ url: urlOf(healthy), rps: 100 });
    await sleep(500);
    const from = Date.now();
    await sleep(500);
    const to = Date.now();
    await sleep(300);
    await load.stop();
    const window = load.window(from, to);
    expect(window.total).to.be.within(44, 56);
    expect(load.stats().total).to.be.greaterThan(window.total + 60);
  });

  it('stops by itself after maxDurationMs', async () => {
    const load = startLoad({ url: urlOf(healthy), rps: 100, maxDurationMs: 300 });
    await sleep(600);
    const stats = load.stats();
    expect(stats.running).to.equal(false);
    expect(stats.total).to.be.within(25, 36);
    await load.stop();
  });

  it('sends user ids in turn in a header', async () => {
    // The app does not echo headers, so check the rotation on the wire with a tiny server.
    const { createServer } = await import('node:http');
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(String(req.headers['x-user-id']));
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as { port: number }).port;
      const load = startLoad({
        url: `http://127.0.0.1:${port}/`,
        rps: 100,
        userIds: ['a', 'b', 'c'],
      });
      await sleep(200);
      await load.stop();
      expect(seen.slice(0, 6).sort()).to.deep.equal(['a', 'a', 'b', 'b', 'c', 'c']);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
