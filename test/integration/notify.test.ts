import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import {
  createWebhookNotifier,
  renderNotice,
  type RolloutNotice,
} from '../../src/adapters/notify/webhook.js';
import { createLogger } from '../../src/logging.js';
import { Harness } from '../support/harness.js';
import { closeServer, freePort, listenOnLoopback } from '../support/ports.js';

// Notifications: a local HTTP server stands in for Slack or PagerDuty and records what it got.

interface Receiver {
  url: string;
  bodies: Array<Record<string, unknown>>;
  status: number;
  server: Server;
}

async function receiver(): Promise<Receiver> {
  const r: Receiver = { url: '', bodies: [], status: 200, server: createServer() };
  r.server.on('request', (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      r.bodies.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(r.status).end();
    });
  });
  r.url = `http://127.0.0.1:${await listenOnLoopback(r.server)}/hook`;
  return r;
}

const notice: RolloutNotice = {
  namespace: 'demo',
  rollout: 'shop',
  revision: 'abc123',
  step: 1,
  phase: 'Aborted',
  type: 'Warning',
  reason: 'AnalysisFailed',
  message: 'success-rate = 0.78, needs result[0] >= 0.95',
  at: '2026-12-04T10:00:00.000Z',
};

describe('notifications', function () {
  this.timeout(60_000);
  let r: Receiver | undefined;
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.stop();
    if (r) await closeServer(r.server);
    h = undefined;
    r = undefined;
  });

  it('renders Slack text, a PagerDuty v2 event and plain JSON', () => {
    const slack = renderNotice(notice, 'slack');
    expect(slack.text).to.equal(
      ':warning: *demo/shop revision abc123: AnalysisFailed*\nsuccess-rate = 0.78, needs result[0] >= 0.95',
    );
    const pd = renderNotice(notice, 'pagerduty', 'key-1') as {
      routing_key: string;
      event_action: string;
      dedup_key: string;
      payload: { severity: string; summary: string; source: string };
    };
    expect(pd).to.include({ routing_key: 'key-1', event_action: 'trigger' });
    expect(pd.dedup_key).to.equal('sluice/demo/shop/abc123/AnalysisFailed');
    expect(pd.payload).to.include({ severity: 'error', source: 'sluice/demo/shop' });
    expect(renderNotice(notice, 'json')).to.deep.equal({ ...notice });
  });

  it('refuses a PagerDuty notifier without a routing key, and a URL that is not http', () => {
    expect(() =>
      createWebhookNotifier({ url: 'http://127.0.0.1:1', format: 'pagerduty' }),
    ).to.throw(/routing key/);
    expect(() => createWebhookNotifier({ url: 'file:///tmp/x', format: 'json' })).to.throw(/http/);
  });

  it('sends only Warnings when asked, and a failing receiver never throws', async () => {
    r = await receiver();
    const n = createWebhookNotifier({ url: r.url, format: 'json', minimum: 'warning' });
    n.notify({ ...notice, type: 'Normal', reason: 'WeightSet' });
    n.notify(notice);
    await n.flush();
    expect(r.bodies.map((b) => b.reason)).to.deep.equal(['AnalysisFailed']);
    r.status = 500;
    const dead = createWebhookNotifier({
      url: `http://127.0.0.1:${await freePort()}/x`,
      format: 'slack',
      logger: createLogger({ silent: true }),
      timeoutMs: 1000,
    });
    dead.notify(notice);
    n.notify(notice);
    await Promise.all([dead.flush(), n.flush()]);
    expect(r.bodies).to.have.length(2);
  });

  it('tells Slack when the controller rolls a canary back, naming the rollout and why', async () => {
    r = await receiver();
    h = await Harness.start({
      steps: [{ setWeight: 20 }, { pause: {} }],
      notifier: createWebhookNotifier({ url: r.url, format: 'slack', minimum: 'warning' }),
    });
    await h.settle();
    await h.release('v2');
    await h.settle();
    await h.command('abort', { reason: 'p99 too high' });
    await h.settle();
    const deadline = Date.now() + 5000;
    while (r.bodies.length === 0 && Date.now() < deadline)
      await new Promise((done) => setTimeout(done, 50));
    const texts = r.bodies.map((b) => String(b.text));
    expect(texts.some((t) => t.includes('demo/shop') && t.includes('Aborted'))).to.equal(true);
    expect(texts.some((t) => t.includes('p99 too high'))).to.equal(true);
    expect(texts.every((t) => t.startsWith(':warning:'))).to.equal(true);
  });
});
