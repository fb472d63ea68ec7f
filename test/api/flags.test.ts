import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { UnleashAdmin } from '../../src/adapters/unleash/admin.js';
import type { AuditRecord } from '../../src/api/audit.js';
import {
  adminCall,
  createRolloutFlag,
  startUnleashFixture,
  type UnleashFixture,
} from '../support/unleash.js';
import { bearer, makeTestApi, type TestApi } from './support.js';

// The flag routes against a real unleash-server: what the API answers, what Unleash holds
// afterwards (read through the Admin API directly), and what the audit log recorded.

const ENV = 'development';

async function auditRecords(api: TestApi): Promise<AuditRecord[]> {
  const text = await readFile(api.auditPath, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditRecord);
}

interface RawStrategy {
  parameters: Record<string, string>;
  variants: Array<{ name: string; weight: number }>;
}

async function unleashState(
  f: UnleashFixture,
  name: string,
): Promise<{ enabled: boolean; strategies: RawStrategy[] }> {
  const base = `/api/admin/projects/default/features/${name}/environments/${ENV}`;
  const env = (await adminCall(f.unleash, { method: 'GET', path: base })) as { enabled: boolean };
  const strategies = (await adminCall(f.unleash, {
    method: 'GET',
    path: `${base}/strategies`,
  })) as RawStrategy[];
  return { enabled: env.enabled, strategies };
}

/** A port nobody listens on: bound once, then closed. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('flag routes', function () {
  this.timeout(60_000);
  let fixture: UnleashFixture;
  let api: TestApi;

  before(async () => {
    fixture = await startUnleashFixture();
    await createRolloutFlag(fixture.unleash, 'checkout-v2', { rollout: 10, stickiness: 'userId' });
    await createRolloutFlag(fixture.unleash, 'dark-mode', { rollout: 0, enabled: false });
    api = await makeTestApi({
      flags: new UnleashAdmin({ url: fixture.unleash.url, token: fixture.unleash.adminToken }),
      flagDefaults: { project: 'default', environment: ENV },
    });
  });
  after(async () => {
    await api?.close();
    await fixture?.close();
  });

  it('lists the flags of the default project and environment with their on/off state', async () => {
    const res = await request(api.app).get('/api/v1/flags').set('Authorization', bearer('admin'));
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ project: 'default', environment: ENV });
    const byName = new Map(
      (res.body.items as Array<{ name: string; enabled: boolean }>).map((i) => [i.name, i]),
    );
    expect(byName.get('checkout-v2')).to.include({ enabled: true });
    expect(byName.get('dark-mode')).to.include({ enabled: false });
  });

  it('lists another environment when the query names it', async () => {
    const res = await request(api.app)
      .get('/api/v1/flags?environment=production')
      .set('Authorization', bearer('admin'));
    expect(res.status).to.equal(200);
    expect(res.body.environment).to.equal('production');
    const items = res.body.items as Array<{ name: string; enabled: boolean }>;
    expect(items.find((i) => i.name === 'checkout-v2')).to.include({ enabled: false });
  });

  it('shows one flag with its managed rollout percent, group id and stickiness', async () => {
    const res = await request(api.app)
      .get('/api/v1/flags/checkout-v2')
      .set('Authorization', bearer('admin'));
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ name: 'checkout-v2', environment: ENV, enabled: true });
    expect(res.body.rollout).to.deep.equal({
      percent: 10,
      groupId: 'checkout-v2',
      stickiness: 'userId',
    });
  });

  it('refuses every flag route to viewers and operators with 403', async () => {
    const calls = [
      () => request(api.app).get('/api/v1/flags'),
      () => request(api.app).get('/api/v1/flags/checkout-v2'),
      () => request(api.app).post('/api/v1/flags/checkout-v2/enable'),
      () => request(api.app).post('/api/v1/flags/checkout-v2/disable'),
      () => request(api.app).post('/api/v1/flags/checkout-v2/percentage').send({ percent: 90 }),
      () =>
        request(api.app)
          .post('/api/v1/flags/checkout-v2/variants')
          .send({ variants: [{ name: 'a', weight: 1000 }] }),
    ];
    for (const role of ['viewer', 'operator'] as const)
      for (const [i, call] of calls.entries()) {
        const res = await call().set('Authorization', bearer(role));
        expect(res.status, `${role}, call ${i}`).to.equal(403);
      }
    const after = await unleashState(fixture, 'checkout-v2');
    expect(after.strategies[0]?.parameters.rollout).to.equal('10');
    expect(after.strategies[0]?.variants).to.deep.equal([]);
  });

  it('sets the percentage in Unleash and audits it before answering', async () => {
    const res = await request(api.app)
      .post('/api/v1/flags/checkout-v2/percentage')
      .set('Authorization', bearer('admin'))
      .send({ percent: 35 });
    expect(res.status).to.equal(200);
    expect(res.body.changed).to.equal(true);
    expect(res.body.flag.rollout.percent).to.equal(35);
    const state = await unleashState(fixture, 'checkout-v2');
    expect(state.strategies[0]?.parameters).to.include({ rollout: '35', groupId: 'checkout-v2' });
    const record = (await auditRecords(api)).find((r) => r.requestId === res.body.requestId);
    expect(record).to.include({
      actor: 'admin@test',
      action: 'flag.percentage',
      target: `default/${ENV}/checkout-v2`,
    });
    expect(record?.details).to.include({ percent: 35, writes: 1 });
  });

  it('answers changed: false and writes nothing when the flag already is as asked', async () => {
    const res = await request(api.app)
      .post('/api/v1/flags/checkout-v2/percentage')
      .set('Authorization', bearer('admin'))
      .send({ percent: 35 });
    expect(res.status).to.equal(200);
    expect(res.body.changed).to.equal(false);
    const record = (await auditRecords(api)).find((r) => r.requestId === res.body.requestId);
    expect(record?.details).to.include({ writes: 0 });
  });

  it('enables and disables a flag in the environment', async () => {
    const on = await request(api.app)
      .post('/api/v1/flags/dark-mode/enable')
      .set('Authorization', bearer('admin'));
    expect(on.status).to.equal(200);
    expect(on.body.flag.enabled).to.equal(true);
    expect((await unleashState(fixture, 'dark-mode')).enabled).to.equal(true);
    const off = await request(api.app)
      .post('/api/v1/flags/dark-mode/disable')
      .set('Authorization', bearer('admin'))
      .send({});
    expect(off.status).to.equal(200);
    expect((await unleashState(fixture, 'dark-mode')).enabled).to.equal(false);
    const actions = (await auditRecords(api))
      .filter((r) => r.target.endsWith('/dark-mode'))
      .map((r) => r.action);
    expect(actions).to.deep.equal(['flag.enable', 'flag.disable']);
  });

  it('replaces the variants of the managed strategy with the weights asked for', async () => {
    const variants = [
      { name: 'A', weight: 200 },
      { name: 'B', weight: 800, payload: { type: 'string', value: 'blue' } },
    ];
    const res = await request(api.app)
      .post('/api/v1/flags/checkout-v2/variants')
      .set('Authorization', bearer('admin'))
      .send({ variants });
    expect(res.status).to.equal(200);
    const stored = (await unleashState(fixture, 'checkout-v2')).strategies[0]?.variants ?? [];
    expect(stored.map((v) => [v.name, v.weight])).to.deep.equal([
      ['A', 200],
      ['B', 800],
    ]);
    expect(res.body.flag.variants).to.have.length(2);
    const record = (await auditRecords(api)).find((r) => r.requestId === res.body.requestId);
    expect(record?.action).to.equal('flag.variants');
  });

  it('answers 400 naming the field for bodies the OpenAPI schema refuses', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['percentage', { percent: 101 }, 'body.percent'],
      ['percentage', { percent: 12.5 }, 'body.percent'],
      ['percentage', {}, 'body.percent'],
      ['percentage', { percent: 10, extra: 1 }, 'body.extra'],
      ['variants', { variants: [{ name: 'A' }] }, 'body.variants.0.weight'],
      ['variants', { variants: [{ name: 'A', weight: 400 }] }, 'body.variants'],
      ['enable', { percent: 1 }, 'body.percent'],
    ];
    const before = (await auditRecords(api)).length;
    for (const [action, body, field] of cases) {
      const res = await request(api.app)
        .post(`/api/v1/flags/checkout-v2/${action}`)
        .set('Authorization', bearer('admin'))
        .send(body as object);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.error.details.field, JSON.stringify(body)).to.equal(field);
      expect(res.body.error.message).to.contain(field);
    }
    expect((await auditRecords(api)).length).to.equal(before);
    expect((await unleashState(fixture, 'checkout-v2')).strategies[0]?.parameters.rollout).to.equal(
      '35',
    );
  });

  it('publishes the flag routes and the bodies they validate in the OpenAPI document', async () => {
    const res = await request(api.app).get('/api/v1/openapi.json');
    expect(Object.keys(res.body.paths)).to.include.members([
      '/api/v1/flags',
      '/api/v1/flags/{flag}',
      '/api/v1/flags/{flag}/percentage',
      '/api/v1/flags/{flag}/variants',
    ]);
    expect(res.body.components.schemas.FlagPercentRequest.properties.percent).to.include({
      minimum: 0,
      maximum: 100,
    });
  });

  it('answers 404 naming a flag that does not exist, and audits nothing', async () => {
    const before = (await auditRecords(api)).length;
    for (const res of [
      await request(api.app)
        .get('/api/v1/flags/no-such-flag')
        .set('Authorization', bearer('admin')),
      await request(api.app)
        .post('/api/v1/flags/no-such-flag/percentage')
        .set('Authorization', bearer('admin'))
        .send({ percent: 5 }),
    ]) {
      expect(res.status).to.equal(404);
      expect(res.body.error.message).to.contain('no-such-flag');
      expect(res.body.error.details.flag).to.equal('no-such-flag');
    }
    expect((await auditRecords(api)).length).to.equal(before);
  });

  it('answers 400 for a flag name or project that Unleash could not hold', async () => {
    const res = await request(api.app)
      .get('/api/v1/flags/checkout-v2?project=bad%20project')
      .set('Authorization', bearer('admin'));
    expect(res.status).to.equal(400);
    expect(res.body.error.details.field).to.equal('query.project');
  });

  it('answers 503 with a clear message, and no stack, when Unleash is unreachable', async () => {
    const port = await deadPort();
    const down = await makeTestApi({
      flags: new UnleashAdmin({ url: `http://127.0.0.1:${port}`, token: 'x', timeoutMs: 2000 }),
    });
    try {
      for (const res of [
        await request(down.app).get('/api/v1/flags').set('Authorization', bearer('admin')),
        await request(down.app)
          .post('/api/v1/flags/checkout-v2/enable')
          .set('Authorization', bearer('admin')),
      ]) {
        expect(res.status).to.equal(503);
        expect(res.body.error.message).to.match(/unreachable/);
        expect(res.body.error.message).to.contain(`127.0.0.1:${port}`);
        expect(JSON.stringify(res.body)).not.to.match(/\n\s+at /);
      }
      expect(await auditRecords(down)).to.deep.equal([]);
    } finally {
      await down.close();
    }
  });

  it('answers 503 "flags are not configured" without a flag provider', async () => {
    const bare = await makeTestApi();
    try {
      const res = await request(bare.app)
        .get('/api/v1/flags')
        .set('Authorization', bearer('admin'));
      expect(res.status).to.equal(503);
      expect(res.body.error.message).to.contain('flags are not configured');
    } finally {
      await bare.close();
    }
  });
});
