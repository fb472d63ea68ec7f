import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnleashAdmin } from '../../src/adapters/unleash/admin.js';
import { FlagProviderError } from '../../src/domain/errors.js';
import type { FlagRef, FlagVariant } from '../../src/domain/flags.js';
import {
  adminCall,
  createRolloutFlag,
  startRecordingProxy,
  startUnleashFixture,
  type RecordingProxy,
  type UnleashFixture,
} from '../support/unleash.js';

// The Admin API adapter against a real unleash-server 7.5.1 on PostgreSQL.

const env = 'development';
const ref = (name: string): FlagRef => ({ project: 'default', environment: env, name });
const flagPath = (name: string): string =>
  `/api/admin/projects/default/features/${name}/environments/${env}`;

async function rejection(p: Promise<unknown>): Promise<FlagProviderError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(FlagProviderError);
    return err as FlagProviderError;
  }
  throw new Error('expected a FlagProviderError, but the call succeeded');
}

describe('UnleashAdmin (real unleash-server)', function () {
  this.timeout(90_000);
  let fx: UnleashFixture;
  let proxy: RecordingProxy;
  let admin: UnleashAdmin;

  before(async () => {
    fx = await startUnleashFixture();
    proxy = await startRecordingProxy(fx.unleash.url);
    admin = new UnleashAdmin({ url: proxy.url, token: fx.unleash.adminToken, timeoutMs: 3000 });
  });

  after(async () => {
    await proxy?.stop();
    await fx?.close();
  });

  it('follows the canary weight 10/25/50/100 with one write per change and none on repeats (S34)', async () => {
    await createRolloutFlag(fx.unleash, 'checkout-v2', {
      groupId: 'checkout-v2',
      stickiness: 'userId',
    });
    for (const weight of [10, 10, 25, 25, 25, 50, 100, 100]) {
      const before = proxy.writes().length;
      const w = await admin.setRolloutPercent(ref('checkout-v2'), weight);
      const flag = await admin.getFlag(ref('checkout-v2'));
      expect(flag.rollout, `after weight ${weight}`).to.include({
        percent: weight,
        groupId: 'checkout-v2',
        stickiness: 'userId',
      });
      expect(proxy.writes().length - before).to.equal(w.writes);
    }
    const writes = proxy.writes().filter((c) => c.path.includes('checkout-v2'));
    expect(writes.map((c) => c.method)).to.deep.equal(['PATCH', 'PATCH', 'PATCH', 'PATCH']);
  });

  it('creates the flexibleRollout strategy when the flag has none, with the given group id and stickiness', async () => {
    await adminCall(fx.unleash, {
      method: 'POST',
      path: '/api/admin/projects/default/features',
      body: { name: 'bare', type: 'release' },
    });
    const w = await admin.setRolloutPercent(ref('bare'), 10, {
      groupId: 'g1',
      stickiness: 'userId',
    });
    expect(w.writes).to.equal(1);
    const flag = await admin.getFlag(ref('bare'));
    expect(flag.rollout).to.include({ percent: 10, groupId: 'g1', stickiness: 'userId' });
    expect(await admin.setRolloutPercent(ref('bare'), 10)).to.deep.equal({ writes: 0 });
  });

  it('restores exactly the recorded state after an abort', async () => {
    const name = 'restore-me';
    const rolloutId = await createRolloutFlag(fx.unleash, name, { rollout: 5, groupId: 'grp' });
    const segment = (await adminCall(fx.unleash, {
      method: 'POST',
      path: '/api/admin/segments',
      body: {
        name: 'beta-users',
        constraints: [{ contextName: 'userId', operator: 'IN', values: ['u1', 'u2'] }],
      },
    })) as { id: number };
    await adminCall(fx.unleash, {
      method: 'PUT',
      path: `${flagPath(name)}/strategies/${rolloutId}`,
      body: {
        name: 'flexibleRollout',
        title: 'canary users',
        parameters: { rollout: '5', groupId: 'grp', stickiness: 'userId' },
        constraints: [
          { contextName: 'appName', operator: 'IN', values: ['shop'], inverted: false },
        ],
        variants: [
          { name: 'A', weight: 700, weightType: 'variable', stickiness: 'userId' },
          {
            name: 'B',
            weight: 300,
            weightType: 'variable',
            stickiness: 'userId',
            payload: { type: 'json', value: '{"color":"blue"}' },
          },
        ],
        segments: [segment.id],
      },
    });
    const otherId = (
      (await adminCall(fx.unleash, {
        method: 'POST',
        path: `${flagPath(name)}/strategies`,
        body: { name: 'default', disabled: true, sortOrder: 3, constraints: [], parameters: {} },
      })) as { id: string }
    ).id;
    const recorded = await admin.snapshot(ref(name));
    expect(recorded.strategies.map((s) => s.id)).to.deep.equal([rolloutId, otherId]);
    expect(recorded.strategies[0]?.segments).to.deep.equal([segment.id]);

    // What a rollout (and a hasty person) does before the abort.
    await admin.setRolloutPercent(ref(name), 25);
    await admin.setVariants(ref(name), [
      { name: 'X', weight: 1000, weightType: 'variable', stickiness: 'userId' },
    ]);
    await adminCall(fx.unleash, {
      method: 'POST',
      path: `${flagPath(name)}/strategies`,
      body: {
        name: 'flexibleRollout',
        parameters: { rollout: '100', groupId: 'x', stickiness: 'default' },
      },
    });
    await admin.disable(ref(name));
    expect((await admin.snapshot(ref(name))).enabled).to.equal(false);

    const w = await admin.restore(recorded);
    expect(w.writes).to.be.greaterThan(0);
    expect(await admin.snapshot(ref(name))).to.deep.equal(recorded);
    expect(await admin.restore(recorded)).to.deep.equal({ writes: 0 });
  });

  it('recreates a strategy deleted since the snapshot, with the same content', async () => {
    const name = 'deleted-meanwhile';
    const id = await createRolloutFlag(fx.unleash, name, { rollout: 30 });
    await adminCall(fx.unleash, {
      method: 'POST',
      path: `${flagPath(name)}/strategies`,
      body: {
        name: 'flexibleRollout',
        sortOrder: 1,
        parameters: { rollout: '60', groupId: 'b', stickiness: 'default' },
      },
    });
    const recorded = await admin.snapshot(ref(name));
    await adminCall(fx.unleash, { method: 'DELETE', path: `${flagPath(name)}/strategies/${id}` });
    await admin.restore(recorded);
    const after = await admin.snapshot(ref(name));
    const content = (s: typeof recorded): unknown =>
      s.strategies.map(({ id: _id, ...rest }) => rest);
    expect(content(after)).to.deep.equal(content(recorded));
    expect(after.enabled).to.equal(true);
  });

  it('writes variants with weights and payloads to the managed strategy and refuses bad weights', async () => {
    await createRolloutFlag(fx.unleash, 'ab-test', { rollout: 100, stickiness: 'userId' });
    const variants: FlagVariant[] = [
      {
        name: 'A',
        weight: 500,
        weightType: 'variable',
        stickiness: 'userId',
        payload: { type: 'string', value: 'old-checkout' },
      },
      {
        name: 'B',
        weight: 500,
        weightType: 'variable',
        stickiness: 'userId',
        payload: { type: 'json', value: '{"steps":2}' },
      },
    ];
    expect(await admin.setVariants(ref('ab-test'), variants)).to.deep.equal({ writes: 1 });
    expect((await admin.getFlag(ref('ab-test'))).strategies[0]?.variants).to.deep.equal(variants);
    expect(await admin.setVariants(ref('ab-test'), variants)).to.deep.equal({ writes: 0 });
    const writesBefore = proxy.writes().length;
    const err = await rejection(
      admin.setVariants(ref('ab-test'), [
        { ...variants[0], weight: 600 } as FlagVariant,
        variants[1] as FlagVariant,
      ]),
    );
    expect(err.reason).to.equal('invalid');
    expect(err.message).to.match(/add up to 1100/);
    expect(proxy.writes().length).to.equal(writesBefore);
  });

  it('says clearly when the flag does not exist', async () => {
    const err = await rejection(admin.setRolloutPercent(ref('no-such-flag'), 10));
    expect(err.reason).to.equal('notFound');
    expect(err.retriable).to.equal(false);
    // Our words, not Unleash's: its own 404 text varies (it was missing in one CI run).
    expect(err.message)
      .to.contain('default/no-such-flag in development')
      .and.contain('not found in Unleash; check project, environment and flag name');
  });

  it('says clearly when the token has no rights, or is not a token Unleash knows', async () => {
    const client = new UnleashAdmin({ url: fx.unleash.url, token: fx.unleash.clientToken });
    const denied = await rejection(client.setRolloutPercent(ref('checkout-v2'), 10));
    expect(denied.reason).to.equal('unauthorized');
    expect(denied.details).to.include({ status: 403 });
    expect(denied.message).to.match(/no rights/);
    const unknown = new UnleashAdmin({ url: fx.unleash.url, token: '*:*.not-a-real-secret' });
    const rejected = await rejection(unknown.getFlag(ref('checkout-v2')));
    expect(rejected.reason).to.equal('unauthorized');
    expect(rejected.details).to.include({ status: 401 });
    expect((await admin.getFlag(ref('checkout-v2'))).rollout?.percent).to.equal(100);
  });

  it('fails fast as unreachable while Unleash is down, and works again once it is back', async () => {
    await admin.setRolloutPercent(ref('checkout-v2'), 50);
    await fx.unleash.stop();
    const t = Date.now();
    const err = await rejection(admin.setRolloutPercent(ref('checkout-v2'), 75));
    expect(Date.now() - t).to.be.below(2000);
    expect(err.reason).to.equal('unreachable');
    expect(err.retriable).to.equal(true);
    const direct = new UnleashAdmin({ url: fx.unleash.url, token: fx.unleash.adminToken });
    expect((await rejection(direct.getFlag(ref('checkout-v2')))).message).to.match(/ECONNREFUSED/);

    await fx.restart();
    expect(await admin.setRolloutPercent(ref('checkout-v2'), 75)).to.deep.equal({ writes: 1 });
    expect((await admin.getFlag(ref('checkout-v2'))).rollout?.percent).to.equal(75);
  });

  describe('against a server that answers badly', () => {
    let stub: Server;
    // What the stub says for the environment view and for the strategies list.
    let answer = { status: 200, env: '{"enabled":true}', strategies: '[]' };
    before(async () => {
      stub = createServer((req, res) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(req.url?.endsWith('/strategies') ? answer.strategies : answer.env);
      });
      await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    });
    after(
      () =>
        new Promise<void>((resolve) => {
          stub.closeAllConnections();
          stub.close(() => resolve());
        }),
    );

    const env = '{"enabled":true}';
    const cases = [
      {
        title: 'a 5xx is a retriable server error',
        status: 503,
        env: '',
        strategies: '',
        reason: 'server',
      },
      {
        title: 'a body that is not JSON is malformed',
        status: 200,
        env: '<html>',
        strategies: '[]',
        reason: 'malformed',
      },
      {
        title: 'an environment without enabled is malformed',
        status: 200,
        env: '{}',
        strategies: '[]',
        reason: 'malformed',
      },
      {
        title: 'a strategy without an id is malformed',
        status: 200,
        env,
        strategies: '[{"name":"flexibleRollout"}]',
        reason: 'malformed',
      },
      {
        title: 'a rollout that is not 0-100 is malformed',
        status: 200,
        env,
        strategies: '[{"id":"s","name":"flexibleRollout","parameters":{"rollout":"abc"}}]',
        reason: 'malformed',
      },
      {
        title: 'a 400 is invalid and quotes what Unleash said',
        status: 400,
        env: '{"name":"ValidationError","message":"Request validation failed","details":[{"message":"rollout must be a string"}]}',
        strategies:
          '{"message":"Request validation failed","details":[{"message":"rollout must be a string"}]}',
        reason: 'invalid',
      },
    ] as const;
    for (const c of cases) {
      it(c.title, async () => {
        answer = { status: c.status, env: c.env, strategies: c.strategies };
        const url = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
        const stubbed = new UnleashAdmin({ url, token: 't', timeoutMs: 2000 });
        const err = await rejection(stubbed.getFlag(ref('x')));
        expect(err.reason).to.equal(c.reason);
        expect(err.retriable).to.equal(c.reason === 'server');
        if (c.status === 400) expect(err.message).to.contain('rollout must be a string');
      });
    }
  });

  describe('against a server that never answers', () => {
    let silent: Server;
    before(async () => {
      silent = createServer(() => {
        // never answer
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });
    after(
      () =>
        new Promise<void>((resolve) => {
          silent.closeAllConnections();
          silent.close(() => resolve());
        }),
    );

    it('gives up at its timeout and when the caller aborts', async () => {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const slow = new UnleashAdmin({ url, token: 't', timeoutMs: 200 });
      const t = Date.now();
      const err = await rejection(slow.getFlag(ref('x')));
      expect(err.reason).to.equal('unreachable');
      expect(err.message).to.contain('no answer within 200 ms');
      expect(Date.now() - t).to.be.below(1500);
      const patient = new UnleashAdmin({ url, token: 't', timeoutMs: 60_000 });
      const aborted = await rejection(
        patient.getFlag(ref('x'), { signal: AbortSignal.timeout(100) }),
      );
      expect(aborted.message).to.contain('cancelled');
    });
  });
});
