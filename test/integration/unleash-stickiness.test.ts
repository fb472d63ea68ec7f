import { expect } from 'chai';
import { UnleashAdmin } from '../../src/adapters/unleash/admin.js';
import type { FlagRef } from '../../src/domain/flags.js';
import { createFlagEvaluator, type FlagEvaluator } from '../../examples/app/flags.js';
import { createRolloutFlag, startUnleashFixture, type UnleashFixture } from '../support/unleash.js';

// What users see: 10,000 synthetic users evaluate the flag through unleash-client (the SDK's
// own murmurhash of groupId:userId), while the adapter moves the rollout percentage.

const USERS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const ref: FlagRef = { project: 'default', environment: 'development', name: 'checkout-v2' };

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('flag exposure seen by unleash-client (S34 stickiness)', function () {
  this.timeout(90_000);
  let fx: UnleashFixture;
  let admin: UnleashAdmin;
  let users: FlagEvaluator;

  before(async () => {
    fx = await startUnleashFixture();
    admin = new UnleashAdmin({ url: fx.unleash.url, token: fx.unleash.adminToken });
    await createRolloutFlag(fx.unleash, ref.name, { groupId: 'checkout-v2', stickiness: 'userId' });
    await createRolloutFlag(fx.unleash, 'ab-test', { rollout: 100, stickiness: 'userId' });
    users = await createFlagEvaluator({
      url: fx.unleash.url,
      clientToken: fx.unleash.clientToken,
      appName: 'sluice-test',
      refreshIntervalMs: 100,
    });
  });

  after(async () => {
    users?.close();
    await fx?.close();
  });

  it('keeps every user enabled at 10% enabled at 25% and 50%, with shares within 2 points', async () => {
    let previous = new Set<string>();
    for (const percent of [10, 25, 50]) {
      await admin.setRolloutPercent(ref, percent);
      await until(`the client to see ${percent}%`, () => users.knownRollout(ref.name) === percent);
      const enabled = new Set(USERS.filter((u) => users.isEnabled(ref.name, u)));
      const share = (enabled.size / USERS.length) * 100;
      expect(share, `share at ${percent}%`).to.be.within(percent - 2, percent + 2);
      const dropped = [...previous].filter((u) => !enabled.has(u));
      expect(dropped, `users who lost the feature at ${percent}%`).to.deep.equal([]);
      previous = enabled;
    }
  });

  it('splits exposed users between variants by weight and delivers their payloads', async () => {
    await admin.setVariants({ ...ref, name: 'ab-test' }, [
      {
        name: 'A',
        weight: 500,
        weightType: 'variable',
        stickiness: 'userId',
        payload: { type: 'string', value: 'one-page' },
      },
      {
        name: 'B',
        weight: 500,
        weightType: 'variable',
        stickiness: 'userId',
        payload: { type: 'json', value: '{"pages":2}' },
      },
    ]);
    await until(
      'the client to see the variants',
      () => users.variant('ab-test', 'user-0').name !== 'disabled',
    );
    const answers = USERS.slice(0, 4000).map((u) => users.variant('ab-test', u));
    const a = answers.filter((v) => v.name === 'A');
    const b = answers.filter((v) => v.name === 'B');
    expect(a.length + b.length).to.equal(answers.length);
    expect(a.length / answers.length).to.be.within(0.47, 0.53);
    expect(a[0]?.payload).to.deep.equal({ type: 'string', value: 'one-page' });
    expect(JSON.parse(b[0]?.payload?.value ?? 'null')).to.deep.equal({ pages: 2 });
    const again = USERS.slice(0, 4000).map((u) => users.variant('ab-test', u).name);
    expect(again).to.deep.equal(answers.map((v) => v.name));
  });
});
