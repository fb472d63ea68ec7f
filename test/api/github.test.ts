import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { verifyAuditLog } from '../../src/api/audit.js';
import { makeRollout, makeTestApi, WEBHOOK_SECRET, type TestApi } from './support.js';

const IMAGE_KEY = 'shop/checkout/app';

function sign(body: string | Buffer, secret = WEBHOOK_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function workflowRun(sha = 'abc', overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    action: 'completed',
    workflow_run: { name: 'build', conclusion: 'success', head_sha: sha, head_branch: 'main' },
    repository: { full_name: 'acme/shop' },
    sender: { login: 'octocat' },
    ...overrides,
  });
}

describe('GitHub webhooks', () => {
  let t: TestApi;

  beforeEach(async () => {
    t = await makeTestApi();
    t.backend.put(makeRollout('checkout', 'Healthy', 0));
  });
  afterEach(async () => {
    await t.close();
  });

  function deliver(body: string | Buffer, headers: Record<string, string>) {
    const req = request(t.app).post('/webhooks/github').set('Content-Type', 'application/json');
    for (const [k, v] of Object.entries(headers)) req.set(k, v);
    return req.send(body);
  }

  function signed(body: string, delivery: string, event = 'workflow_run') {
    return deliver(body, {
      'X-Hub-Signature-256': sign(body),
      'X-GitHub-Delivery': delivery,
      'X-GitHub-Event': event,
    });
  }

  it('answers ping with 200', async () => {
    const body = JSON.stringify({ zen: 'Keep it simple.', hook_id: 1 });
    const res = await signed(body, 'ping-1', 'ping');
    expect(res.status).to.equal(200);
    expect(res.body.status).to.equal('pong');
  });

  describe('S30 signatures', () => {
    const body = workflowRun('abc');
    const variants: Array<[string, () => Record<string, string>, string]> = [
      [
        '(1) an HMAC made with the wrong secret',
        () => ({ 'X-Hub-Signature-256': sign(body, 'wrong') }),
        body,
      ],
      [
        '(2) a body changed by one byte after signing',
        () => ({ 'X-Hub-Signature-256': sign(body) }),
        body.replace('"abc"', '"abd"'),
      ],
      ['(3) no signature header', () => ({}), body],
      [
        '(4) only the legacy SHA-1 header',
        () => ({
          'X-Hub-Signature': `sha1=${createHmac('sha1', WEBHOOK_SECRET).update(body).digest('hex')}`,
        }),
        body,
      ],
    ];
    for (const [what, headers, sent] of variants)
      it(`refuses ${what} with 401, changes nothing and does not remember the delivery`, async () => {
        const res = await deliver(sent, {
          ...headers(),
          'X-GitHub-Delivery': 'd-1',
          'X-GitHub-Event': 'workflow_run',
        });
        expect(res.status).to.equal(401);
        expect(t.backend.writes).to.equal(0);
        expect(t.backend.images.size).to.equal(0);
        const later = await signed(body, 'd-1');
        expect(later.status).to.equal(202);
        expect(t.backend.images.get(IMAGE_KEY)).to.equal('ghcr.io/acme/shop:abc');
      });

    it('(5) accepts a valid signature over raw bytes with unusual whitespace and key order', async () => {
      const raw =
        '{ "sender":{"login":"octocat"} ,\n\t"workflow_run" : {"head_branch":"main","conclusion":"success",' +
        '"head_sha":"abc","name":"build"},  "repository":{"full_name":"acme/shop"},"action":"completed"   }\n';
      const res = await signed(raw, 'd-5');
      expect(res.status).to.equal(202);
      expect(res.body).to.include({
        status: 'accepted',
        changed: true,
        image: 'ghcr.io/acme/shop:abc',
      });
      expect(t.backend.writes).to.equal(1);
    });
  });

  it('answers a replayed delivery with 200 "duplicate" without acting, even after a restart', async () => {
    const body = workflowRun('abc');
    expect((await signed(body, 'd-r')).status).to.equal(202);
    t.backend.images.clear();
    const again = await signed(body, 'd-r');
    expect(again.status).to.equal(200);
    expect(again.body.status).to.equal('duplicate');
    const restarted = await makeTestApi({ dir: t.dir, rollouts: t.backend });
    try {
      const res = await request(restarted.app)
        .post('/webhooks/github')
        .set('Content-Type', 'application/json')
        .set('X-Hub-Signature-256', sign(body))
        .set('X-GitHub-Delivery', 'd-r')
        .set('X-GitHub-Event', 'workflow_run')
        .send(body);
      expect(res.body.status).to.equal('duplicate');
      expect(t.backend.images.size).to.equal(0);
    } finally {
      await restarted.close();
    }
  });

  it('turns a deployment event into a new image from the tag', async () => {
    const body = JSON.stringify({
      action: 'created',
      deployment: { sha: 'f00d', environment: 'production', ref: 'refs/tags/v1.2.3' },
      repository: { full_name: 'Acme/Shop' },
      sender: { login: 'octocat' },
    });
    const res = await signed(body, 'dep-1', 'deployment');
    expect(res.status).to.equal(202);
    expect(t.backend.images.get(IMAGE_KEY)).to.equal('ghcr.io/acme/shop:v1.2.3');
  });

  const ignored: Array<[string, string, string, RegExp]> = [
    [
      'a failed run',
      'workflow_run',
      workflowRun('abc', {
        workflow_run: { name: 'build', conclusion: 'failure', head_sha: 'abc' },
      }),
      /concluded failure/,
    ],
    [
      'a run still in progress',
      'workflow_run',
      workflowRun('abc', { action: 'requested' }),
      /not completed/,
    ],
    [
      'an unmapped workflow',
      'workflow_run',
      workflowRun('abc', {
        workflow_run: { name: 'lint', conclusion: 'success', head_sha: 'abc' },
      }),
      /no mapping/,
    ],
    [
      'an unused event',
      'push',
      JSON.stringify({ repository: { full_name: 'acme/shop' } }),
      /not used/,
    ],
  ];
  for (const [what, event, body, reason] of ignored)
    it(`acknowledges and ignores ${what}, with the reason`, async () => {
      const res = await signed(body, `ign-${event}-${what.length}`, event);
      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('ignored');
      expect(res.body.reason).to.match(reason);
      expect(t.backend.writes).to.equal(0);
    });

  it('refuses an image reference that the template would render invalid', async () => {
    const res = await signed(workflowRun('abc def'), 'bad-img');
    expect(res.status).to.equal(400);
    expect(t.backend.writes).to.equal(0);
  });

  it('answers 413 to a body above the limit', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(70 * 1024) });
    const res = await signed(big, 'big-1', 'ping');
    expect(res.status).to.equal(413);
    expect(res.body.error.code).to.equal('PayloadTooLarge');
  });

  it('answers 400 to a verified delivery without a delivery id', async () => {
    const body = workflowRun();
    const res = await deliver(body, {
      'X-Hub-Signature-256': sign(body),
      'X-GitHub-Event': 'workflow_run',
    });
    expect(res.status).to.equal(400);
  });

  it('audits every action it takes', async () => {
    await signed(workflowRun('abc'), 'aud-1');
    const v = await verifyAuditLog(t.auditPath, 'audit-key');
    expect(v).to.deep.equal({ ok: true, records: 1 });
  });

  it('acts once when the same delivery arrives twice at the same moment', async () => {
    const body = workflowRun('abc');
    const answers = await Promise.all([
      signed(body, 'dup-1'),
      signed(body, 'dup-1'),
      signed(body, 'dup-1'),
    ]);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 202)).to.have.length(1);
    expect(t.backend.writes).to.equal(1);
  });
});
