import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import request from 'supertest';
import { verifyAuditLog } from '../../src/api/audit.js';
import { readCommands } from '../../src/domain/commands.js';
import type { RolloutPhase } from '../../src/domain/types.js';
import { bearer, makeRollout, makeTestApi, type TestApi } from './support.js';

const BASE = '/api/v1/namespaces/shop/rollouts';

describe('rollout routes', () => {
  let t: TestApi;

  beforeEach(async () => {
    t = await makeTestApi();
    t.backend.put(makeRollout('checkout', 'Paused', 2));
    t.backend.put(makeRollout('cart', 'Healthy', 4));
    t.backend.put(makeRollout('search', 'Progressing', 1, 'other'));
  });
  afterEach(async () => {
    await t.close();
  });

  function annotations(name = 'checkout'): Record<string, string> {
    return t.backend.rollouts.get(`shop/${name}`)?.metadata.annotations ?? {};
  }

  it('lists rollouts in every namespace and in one', async () => {
    const all = await request(t.app).get('/api/v1/rollouts').set('Authorization', bearer('viewer'));
    expect(all.status).to.equal(200);
    expect(all.body.items.map((r: { name: string }) => r.name).sort()).to.deep.equal([
      'cart',
      'checkout',
      'search',
    ]);
    const shop = await request(t.app).get(BASE).set('Authorization', bearer('viewer'));
    expect(shop.body.items).to.have.length(2);
  });

  it('shows phase, step, weights, revisions, measurements with thresholds and conditions', async () => {
    const res = await request(t.app).get(`${BASE}/checkout`).set('Authorization', bearer('viewer'));
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ name: 'checkout', namespace: 'shop', phase: 'Paused' });
    expect(res.body.step).to.deep.equal({
      index: 2,
      total: 5,
      kind: 'pause',
      description: 'pause until promoted',
    });
    expect(res.body.weights).to.deep.equal({ stable: 75, canary: 25 });
    expect(res.body.revisions).to.deep.equal({ stable: 'aaa111', canary: 'bbb222' });
    expect(res.body.measurements[0]).to.include({
      metric: 'success-rate',
      threshold: 'result[0] >= 0.95',
    });
    expect(res.body.conditions).to.deep.equal([]);
  });

  it('answers 404 with a typed error body for a missing rollout', async () => {
    const res = await request(t.app).get(`${BASE}/nope`).set('Authorization', bearer('viewer'));
    expect(res.status).to.equal(404);
    expect(res.body.error.code).to.equal('NotFound');
    expect(res.body.error.id).to.be.a('string');
    expect(JSON.stringify(res.body)).not.to.match(/\/work\/|at .*\.ts:/);
  });

  it('answers 400 naming the path parameter for an invalid name', async () => {
    const res = await request(t.app).get(`${BASE}/Bad_Name`).set('Authorization', bearer('viewer'));
    expect(res.status).to.equal(400);
    expect(res.body.error.details.field).to.equal('path.name');
  });

  it('records a promote bound to the current step and answers 202 with where to watch', async () => {
    const res = await request(t.app)
      .post(`${BASE}/checkout/promote`)
      .set('Authorization', bearer('operator'))
      .send({ expectedStep: 2 });
    expect(res.status).to.equal(202);
    expect(res.body.watch).to.equal(`${BASE}/checkout`);
    const { commands } = readCommands(annotations());
    expect(commands).to.deep.equal([
      { kind: 'promote', id: res.body.requestId, step: 2, by: 'operator@test' },
    ]);
  });

  it('records promote-full under its own annotation', async () => {
    const res = await request(t.app)
      .post(`${BASE}/checkout/promote`)
      .set('Authorization', bearer('admin'))
      .send({ full: true });
    expect(res.status).to.equal(202);
    expect(res.body.command).to.equal('promoteFull');
    expect(annotations()).to.have.property('sluice.dev/promote-full');
  });

  it('refuses a stale promote with 409 naming the step and phase', async () => {
    const res = await request(t.app)
      .post(`${BASE}/checkout/promote`)
      .set('Authorization', bearer('operator'))
      .send({ expectedStep: 1 });
    expect(res.status).to.equal(409);
    expect(res.body.error.message).to.match(/expected step 1 .* step 2 .*Paused.*stale/);
    expect(annotations()).to.deep.equal({});
  });

  it('refuses a second promote for the same step while the first is pending', async () => {
    const first = await request(t.app)
      .post(`${BASE}/checkout/promote`)
      .set('Authorization', bearer('operator'));
    const second = await request(t.app)
      .post(`${BASE}/checkout/promote`)
      .set('Authorization', bearer('operator'));
    expect(first.status).to.equal(202);
    expect(second.status).to.equal(409);
    expect(second.body.error.message).to.contain('already pending');
  });

  it('refuses promote with "aborted; retry first" while an abort is pending', async () => {
    const abort = await request(t.app)
      .post(`${BASE}/checkout/abort`)
      .set('Authorization', bearer('operator'))
      .send({ reason: 'p99 too high' });
    expect(abort.status).to.equal(202);
    const res = await request(t.app)
      .post(`${BASE}/checkout/promote`)
      .set('Authorization', bearer('operator'));
    expect(res.status).to.equal(409);
    expect(res.body.error.message).to.contain('aborted; retry first');
  });

  it('clears a pending promote when an abort is recorded, so abort wins', async () => {
    await request(t.app).post(`${BASE}/checkout/promote`).set('Authorization', bearer('operator'));
    await request(t.app)
      .post(`${BASE}/checkout/abort`)
      .set('Authorization', bearer('operator'))
      .send({ reason: 'bad' });
    expect(Object.keys(annotations())).to.deep.equal(['sluice.dev/abort']);
  });

  it('answers a repeated abort with the pending request id and writes nothing', async () => {
    const a = await request(t.app)
      .post(`${BASE}/checkout/abort`)
      .set('Authorization', bearer('operator'))
      .send({ reason: 'one' });
    const writes = t.backend.writes;
    const b = await request(t.app)
      .post(`${BASE}/checkout/abort`)
      .set('Authorization', bearer('operator'))
      .send({ reason: 'two' });
    expect(b.status).to.equal(202);
    expect(b.body).to.include({ requestId: a.body.requestId, alreadyPending: true });
    expect(t.backend.writes).to.equal(writes);
  });

  it('refuses abort with nothing in progress: 409 NotInProgress and no write', async () => {
    const res = await request(t.app)
      .post(`${BASE}/cart/abort`)
      .set('Authorization', bearer('operator'))
      .send({ reason: 'x' });
    expect(res.status).to.equal(409);
    expect(res.body.error.code).to.equal('NotInProgress');
    expect(res.body.error.message).to.contain('Healthy');
    expect(t.backend.writes).to.equal(0);
  });

  const table: Array<[string, RolloutPhase, number]> = [
    ['pause', 'Progressing', 202],
    ['pause', 'Paused', 409],
    ['resume', 'Paused', 202],
    ['resume', 'Progressing', 409],
    ['retry', 'Aborted', 202],
    ['retry', 'Healthy', 409],
    ['promote', 'Healthy', 409],
    ['promote', 'Aborted', 409],
    ['promote', 'Progressing', 202],
    ['abort', 'Initializing', 202],
    ['abort', 'Promoting', 202],
    ['abort', 'Aborted', 409],
    ['override-budget', 'BudgetFrozen', 202],
    ['override-budget', 'Healthy', 409],
    ['override-budget', 'Progressing', 409],
  ];
  for (const [verb, phase, status] of table)
    it(`answers ${status} to ${verb} in phase ${phase}`, async () => {
      t.backend.put(makeRollout('x', phase, 2));
      const res = await request(t.app)
        .post(`${BASE}/x/${verb}`)
        .set('Authorization', bearer('operator'))
        .send(verb === 'abort' || verb === 'override-budget' ? { reason: 'because' } : {});
      expect(res.status).to.equal(status);
      if (status === 409) expect(res.body.error.message).to.contain(phase);
    });

  it('refuses resume at a pause step with 409 saying that promote ends it', async () => {
    const r = makeRollout('stepped', 'Paused', 1);
    r.status = {
      ...r.status,
      conditions: [
        {
          type: 'Paused',
          status: 'True',
          reason: 'PausedByStep',
          message: 'pause step',
          lastTransitionTime: '2026-12-04T10:00:00Z',
        },
      ],
    };
    t.backend.put(r);
    const res = await request(t.app)
      .post(`${BASE}/stepped/resume`)
      .set('Authorization', bearer('operator'))
      .send({});
    expect(res.status).to.equal(409);
    expect(res.body.error.message).to.contain('only a promote ends');
    expect(t.backend.writes).to.equal(0);
  });

  it('answers 400 naming the field for an abort without reason and for unknown fields', async () => {
    const a = await request(t.app)
      .post(`${BASE}/checkout/abort`)
      .set('Authorization', bearer('operator'))
      .send({});
    expect(a.status).to.equal(400);
    expect(a.body.error.details.field).to.equal('body.reason');
    const b = await request(t.app)
      .post(`${BASE}/checkout/promote`)
      .set('Authorization', bearer('operator'))
      .send({ expectedStep: 'two' });
    expect(b.status).to.equal(400);
    expect(b.body.error.message).to.contain('body.expectedStep');
    const c = await request(t.app)
      .post(`${BASE}/checkout/promote`)
      .set('Authorization', bearer('operator'))
      .send({ fulll: true });
    expect(c.body.error.details.field).to.equal('body.fulll');
  });

  it('refuses a command body sent as another content type instead of ignoring it', async () => {
    const res = await request(t.app)
      .post(`${BASE}/checkout/promote`)
      .set('Authorization', bearer('operator'))
      .set('Content-Type', 'text/plain')
      .send('{"full":true}');
    expect(res.status).to.equal(400);
    expect(res.body.error.details.field).to.equal('header.Content-Type');
    expect(t.backend.writes).to.equal(0);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await request(t.app)
      .post(`${BASE}/checkout/abort`)
      .set('Authorization', bearer('operator'))
      .set('Content-Type', 'application/json')
      .send('{"reason":');
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('BadRequest');
  });

  it('answers 401 with WWW-Authenticate without credentials and 403 for a viewer command', async () => {
    const none = await request(t.app).get(`${BASE}/checkout`);
    expect(none.status).to.equal(401);
    expect(none.headers['www-authenticate']).to.match(/^Bearer/);
    const wrong = await request(t.app).get(`${BASE}/checkout`).set('Authorization', 'Bearer nope');
    expect(wrong.status).to.equal(401);
    const viewer = await request(t.app)
      .post(`${BASE}/checkout/pause`)
      .set('Authorization', bearer('viewer'));
    expect(viewer.status).to.equal(403);
    expect(viewer.body.error.code).to.equal('Forbidden');
    expect(t.backend.writes).to.equal(0);
  });

  it('replays the first answer for a retried Idempotency-Key without writing again', async () => {
    const send = () =>
      request(t.app)
        .post(`${BASE}/checkout/promote`)
        .set('Authorization', bearer('operator'))
        .set('Idempotency-Key', 'deploy-42')
        .send({ expectedStep: 2 });
    const [a, b] = await Promise.all([send(), send()]);
    const c = await send();
    expect([a.status, b.status, c.status]).to.deep.equal([202, 202, 202]);
    expect(b.body.requestId).to.equal(a.body.requestId);
    expect(c.body.requestId).to.equal(a.body.requestId);
    expect(c.headers['idempotent-replayed']).to.equal('true');
    expect(t.backend.writes).to.equal(1);
    const other = await request(t.app)
      .post(`${BASE}/checkout/abort`)
      .set('Authorization', bearer('operator'))
      .set('Idempotency-Key', 'deploy-42')
      .send({ reason: 'x' });
    expect(other.status).to.equal(400);
  });

  it('keeps Idempotency-Key answers across a restart', async () => {
    const first = await request(t.app)
      .post(`${BASE}/checkout/pause`)
      .set('Authorization', bearer('operator'))
      .set('Idempotency-Key', 'k-restart');
    expect(first.status).to.equal(409);
    t.backend.put(makeRollout('checkout', 'Progressing', 2));
    const ok = await request(t.app)
      .post(`${BASE}/checkout/pause`)
      .set('Authorization', bearer('operator'))
      .set('Idempotency-Key', 'k-restart');
    expect(ok.status).to.equal(202);
    const again = await makeTestApi({ dir: t.dir, rollouts: t.backend });
    try {
      const res = await request(again.app)
        .post(`${BASE}/checkout/pause`)
        .set('Authorization', bearer('operator'))
        .set('Idempotency-Key', 'k-restart');
      expect(res.status).to.equal(202);
      expect(res.body.requestId).to.equal(ok.body.requestId);
      expect(t.backend.writes).to.equal(1);
    } finally {
      await again.close();
    }
  });

  it('audits every accepted command before answering, in a verifiable chain', async () => {
    await request(t.app)
      .post(`${BASE}/checkout/promote`)
      .set('Authorization', bearer('operator'))
      .send({ expectedStep: 2 });
    await request(t.app)
      .post(`${BASE}/checkout/abort`)
      .set('Authorization', bearer('operator'))
      .send({ reason: 'slo' });
    const v = await verifyAuditLog(t.auditPath, 'audit-key');
    expect(v).to.deep.equal({ ok: true, records: 2 });
  });

  it('records a budget override with its reason and caller, and refuses one without a reason', async () => {
    t.backend.put(makeRollout('frozen', 'BudgetFrozen', 0));
    const bare = await request(t.app)
      .post(`${BASE}/frozen/override-budget`)
      .set('Authorization', bearer('operator'))
      .send({ reason: '   ' });
    expect(bare.status).to.equal(400);
    expect(bare.body.error.details.field).to.equal('body.reason');
    const invisible = await request(t.app)
      .post(`${BASE}/frozen/override-budget`)
      .set('Authorization', bearer('operator'))
      .send({ reason: '\u200b\u2060 ' });
    expect(invisible.status).to.equal(400);
    expect(invisible.body.error.details.field).to.equal('body.reason');
    for (const blank of ['\u2800\u2800', '\u3164', '\u115f'])
      expect(
        (
          await request(t.app)
            .post(`${BASE}/frozen/override-budget`)
            .set('Authorization', bearer('operator'))
            .send({ reason: blank })
        ).status,
        JSON.stringify(blank),
      ).to.equal(400);
    const viewer = await request(t.app)
      .post(`${BASE}/frozen/override-budget`)
      .set('Authorization', bearer('viewer'))
      .send({ reason: 'hotfix' });
    expect(viewer.status).to.equal(403);
    const ok = await request(t.app)
      .post(`${BASE}/frozen/override-budget`)
      .set('Authorization', bearer('operator'))
      .send({ reason: 'hotfix for INC-42' });
    expect(ok.status).to.equal(202);
    expect(ok.body.command).to.equal('overrideBudget');
    const cmd = readCommands(annotations('frozen')).commands[0];
    expect(cmd).to.include({ kind: 'overrideBudget', reason: 'hotfix for INC-42' });
    expect(cmd?.by).to.be.a('string').and.not.equal('');
    const log = await readFile(t.auditPath, 'utf8');
    const last = JSON.parse(log.trim().split('\n').at(-1) ?? '{}') as {
      action: string;
      details: { reason: string };
    };
    expect(last.action).to.equal('rollout.overrideBudget');
    expect(last.details.reason).to.equal('hotfix for INC-42');
  });

  it('audits a refused command too, with the reason it was refused, in the same chain', async () => {
    const res = await request(t.app)
      .post(`${BASE}/cart/promote`)
      .set('Authorization', bearer('operator'))
      .send({});
    expect(res.status).to.equal(409);
    const lines = (await readFile(t.auditPath, 'utf8')).trim().split('\n');
    const rec = JSON.parse(lines.at(-1) ?? '{}') as {
      action: string;
      actor: string;
      details: { code: string; message: string };
    };
    expect(rec.action).to.equal('rollout.promote.refused');
    expect(rec.details.code).to.equal('Conflict');
    expect(rec.details.message).to.contain('Healthy');
    expect(t.backend.writes).to.equal(0);
    expect(await verifyAuditLog(t.auditPath, 'audit-key')).to.deep.equal({ ok: true, records: 1 });
  });

  it('publishes an OpenAPI 3 document naming every route', async () => {
    const res = await request(t.app).get('/api/v1/openapi.json');
    expect(res.status).to.equal(200);
    expect(res.body.openapi).to.match(/^3\./);
    for (const verb of ['promote', 'abort', 'pause', 'resume', 'retry', 'override-budget'])
      expect(res.body.paths).to.have.property(
        `/api/v1/namespaces/{namespace}/rollouts/{name}/${verb}`,
      );
    expect(res.body.paths).to.have.property('/api/v1/rollouts');
    expect(res.body.paths).to.have.property('/webhooks/github');
  });

  it('answers /healthz, and /readyz through its probes', async () => {
    expect((await request(t.app).get('/healthz')).status).to.equal(200);
    const ready = await makeTestApi({
      probes: {
        apiserver: async () => undefined,
        prometheus: async () => {
          throw new Error('connection refused');
        },
      },
    });
    try {
      const res = await request(ready.app).get('/readyz');
      expect(res.status).to.equal(503);
      expect(res.body.checks).to.deep.equal({ apiserver: 'ok', prometheus: 'connection refused' });
    } finally {
      await ready.close();
    }
  });

  it('serves /metrics to a viewer with request and command counters', async () => {
    await request(t.app).post(`${BASE}/checkout/pause`).set('Authorization', bearer('operator'));
    expect((await request(t.app).get('/metrics')).status).to.equal(401);
    const res = await request(t.app).get('/metrics').set('Authorization', bearer('viewer'));
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('sluice_api_commands_total{command="pause",outcome="refused"} 1');
    expect(res.text).to.contain('sluice_api_requests_total');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await request(t.app).get('/nope');
    expect(res.status).to.equal(404);
    expect(res.body.error.code).to.equal('NotFound');
  });
});
