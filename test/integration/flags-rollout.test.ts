import { expect } from 'chai';
import { UnleashAdmin } from '../../src/adapters/unleash/admin.js';
import { flagPortFor } from '../../src/controller/flags.js';
import type { FlagRef } from '../../src/domain/flags.js';
import { Harness } from '../support/harness.js';
import {
  createRolloutFlag,
  startRecordingProxy,
  startUnleashFixture,
  type RecordingProxy,
  type UnleashFixture,
} from '../support/unleash.js';

// Flags follow the rollout, against a real unleash-server on PostgreSQL: the controller
// stepped on the sandbox, every Admin API call recorded at the wire.

const FLAG = 'checkout-v2';
const REF: FlagRef = { project: 'default', environment: 'development', name: FLAG };
const DEFAULTS = { project: 'default', environment: 'development' };

describe('feature flags follow the rollout (real Unleash)', function () {
  this.timeout(120_000);
  let u: UnleashFixture;
  let proxy: RecordingProxy;
  let h: Harness | undefined;

  before(async () => {
    u = await startUnleashFixture();
  });
  after(async () => {
    await u?.close();
  });
  beforeEach(async () => {
    proxy = await startRecordingProxy(u.unleash.url);
  });
  afterEach(async () => {
    await h?.stop();
    await proxy.stop();
    h = undefined;
  });

  function admin(url = proxy.url): UnleashAdmin {
    return new UnleashAdmin({ url, token: u.unleash.adminToken, timeoutMs: 2000 });
  }

  async function rolloutPercent(): Promise<number> {
    const flag = await admin(u.unleash.url).getFlag(REF);
    const s = flag.strategies.find((x) => x.name === 'flexibleRollout');
    return Number(s?.parameters['rollout']);
  }

  it('S34 Flag exposure follows the canary weight: one write per step, never above the weight', async () => {
    await createRolloutFlag(u.unleash, FLAG, { rollout: 0, groupId: FLAG, stickiness: 'userId' });
    h = await Harness.start({
      steps: [{ setWeight: 10 }, { setWeight: 25 }, { setWeight: 50 }, { setWeight: 100 }],
      spec: { featureFlags: [{ name: FLAG }] },
      flags: flagPortFor(admin(), DEFAULTS),
    });
    await h.settle();
    await h.release('v2');
    const seen: Array<{ canary: number; flag: number }> = [];
    for (let i = 0; i < 40; i++) {
      await h.tick();
      const canary = h.routeWeights()[1] ?? 0;
      const flag = await rolloutPercent();
      if (JSON.stringify(seen.at(-1)) !== JSON.stringify({ canary, flag }))
        seen.push({ canary, flag });
      expect(flag, `flag ${flag}% above the canary weight ${canary}%`).to.be.at.most(
        Math.max(canary, (await h.rollout()).status?.phase === 'Healthy' ? 100 : 0),
      );
      if ((await h.rollout()).status?.phase === 'Healthy' && i > 2) break;
    }
    const flags = seen.map((x) => x.flag).filter((f, i, all) => f !== all[i - 1]);
    expect(flags).to.deep.equal([0, 10, 25, 50, 100]);
    const patches = proxy.writes().filter((w) => w.method !== 'GET');
    expect(patches).to.have.length(4);
    const calls = proxy.calls.length;
    await h.tick();
    await h.tick();
    expect(proxy.writes()).to.have.length(4);
    expect(proxy.calls.length).to.equal(calls);
    const flag = await admin(u.unleash.url).getFlag(REF);
    const s = flag.strategies.find((x) => x.name === 'flexibleRollout');
    expect(s?.parameters['groupId']).to.equal(FLAG);
    expect(s?.parameters['stickiness']).to.equal('userId');
    expect(s?.parameters['rollout']).to.equal('100');
  });

  it('moves a flag in steps mode only at its setFlag steps, capped at the canary weight', async () => {
    const name = 'stepped';
    const ref = { ...REF, name };
    await createRolloutFlag(u.unleash, name, { rollout: 0 });
    h = await Harness.start({
      steps: [
        { setWeight: 20 },
        { setFlag: { flag: name, percent: 10 } },
        { setWeight: 40 },
        { setFlag: { flag: name, percent: 60 } },
        { pause: {} },
      ],
      spec: { featureFlags: [{ name, mode: 'steps', finalPercent: 100 }] },
      flags: flagPortFor(admin(), DEFAULTS),
    });
    await h.settle();
    await h.release('v2');
    const seen: Array<{ canary: number; flag: number }> = [];
    for (let i = 0; i < 20; i++) {
      await h.tick();
      const flag = Number(
        (await admin(u.unleash.url).getFlag(ref)).strategies[0]?.parameters['rollout'],
      );
      const canary = h.routeWeights()[1] ?? 0;
      if (JSON.stringify(seen.at(-1)) !== JSON.stringify({ canary, flag }))
        seen.push({ canary, flag });
      if ((await h.rollout()).status?.phase === 'Paused') break;
    }
    expect(seen.map((x) => x.flag).filter((f, i, all) => f !== all[i - 1])).to.deep.equal([
      0, 10, 40,
    ]);
    for (const x of seen) expect(x.flag).to.be.at.most(x.canary);
    await h.command('promote');
    await h.settle();
    expect((await h.rollout()).status?.phase).to.equal('Healthy');
    expect((await admin(u.unleash.url).getFlag(ref)).strategies[0]?.parameters['rollout']).to.equal(
      '100',
    );
  });

  it('restores exactly what was there on abort, after the traffic', async () => {
    const name = 'restore-me';
    const ref = { ...REF, name };
    await createRolloutFlag(u.unleash, name, {
      rollout: 5,
      groupId: 'grp',
      stickiness: 'sessionId',
    });
    const before = await admin(u.unleash.url).snapshot(ref);
    h = await Harness.start({
      steps: [{ setWeight: 25 }, { pause: {} }],
      spec: { featureFlags: [{ name }] },
      flags: flagPortFor(admin(), DEFAULTS),
    });
    await h.settle();
    await h.release('v2');
    await h.settle();
    expect(h.routeWeights()).to.deep.equal([75, 25]);
    expect((await admin(u.unleash.url).getFlag(ref)).strategies[0]?.parameters['rollout']).to.equal(
      '25',
    );
    await h.command('abort', { reason: 'test' });
    await h.settle();
    const r = await h.rollout();
    expect(r.status?.phase).to.equal('Aborted');
    expect(r.status?.flagsRestorePending).to.equal(undefined);
    expect(h.routeWeights()).to.deep.equal([100, 0]);
    expect(await admin(u.unleash.url).snapshot(ref)).to.deep.equal(before);
  });

  it('restores the flag when the Rollout is deleted mid-rollout, as an abort would', async () => {
    const name = 'restore-on-delete';
    const ref = { ...REF, name };
    await createRolloutFlag(u.unleash, name, { rollout: 100, groupId: 'g', stickiness: 'default' });
    const before = await admin(u.unleash.url).snapshot(ref);
    h = await Harness.start({
      steps: [{ setWeight: 20 }, { pause: {} }],
      spec: { featureFlags: [{ name }] },
      flags: flagPortFor(admin(), DEFAULTS),
    });
    await h.settle();
    await h.release('v2');
    await h.settle();
    expect(await rolloutPercentOf(name)).to.equal(20);
    await h.resources.rollouts.delete({ namespace: 'demo', name: 'shop' });
    await h.tick();
    expect(h.api.store.get('rollouts', 'demo', 'shop')).to.equal(undefined);
    expect(h.routeWeights()).to.deep.equal([100, 0]);
    expect(await admin(u.unleash.url).snapshot(ref)).to.deep.equal(before);
  });

  async function rolloutPercentOf(name: string): Promise<number> {
    const flag = await admin(u.unleash.url).getFlag({ ...REF, name });
    return Number(flag.strategies.find((x) => x.name === 'flexibleRollout')?.parameters['rollout']);
  }

  it('never moves traffic past a flag it could not set while Unleash is down, then goes on', async () => {
    const name = 'down-flag';
    await createRolloutFlag(u.unleash, name, { rollout: 0 });
    h = await Harness.start({
      steps: [{ setWeight: 10 }, { setWeight: 50 }],
      spec: { featureFlags: [{ name }] },
      flags: flagPortFor(admin(), DEFAULTS),
    });
    await h.settle();
    await h.release('v2');
    await h.tick();
    await h.tick();
    await u.unleash.stop();
    try {
      await h.settle();
      const r = await h.rollout();
      expect(h.routeWeights()[1]).to.be.at.most(10);
      const cond = r.status?.conditions?.find((c) => c.type === 'ReconcileError');
      expect(cond?.message).to.match(/setFlag|snapshotFlags/);
      expect(cond?.message).to.match(/unreachable|ECONNREFUSED|connect/i);
    } finally {
      await u.restart();
    }
    await h.settle();
    await h.settle();
    const after = await h.rollout();
    expect(after.status?.phase).to.equal('Healthy');
    expect(after.status?.conditions?.some((c) => c.type === 'ReconcileError')).to.equal(false);
  });

  it('reports a flag that does not exist and moves no traffic', async () => {
    h = await Harness.start({
      steps: [{ setWeight: 10 }],
      spec: { featureFlags: [{ name: 'no-such-flag' }] },
      flags: flagPortFor(admin(), DEFAULTS),
    });
    await h.settle();
    await h.release('v2');
    await h.settle();
    const r = await h.rollout();
    expect(h.routeWeights()).to.deep.equal([100, 0]);
    const cond = r.status?.conditions?.find((c) => c.type === 'ReconcileError');
    expect(cond?.message).to.contain('no-such-flag');
    expect(cond?.message).to.match(/not found|does not exist/i);
  });
});
