import { expect } from 'chai';
import type { FlagRolloutSummary } from '../../src/sandbox/demo/flags-demo.js';
import {
  runDemo,
  startServingDemo,
  type DemoRun,
  type ServingDemo,
} from '../support/demo-process.js';

// `npm run demo -- --with-flags --json` as a user runs it: PostgreSQL, unleash-server, the
// sandbox and the controller with a FlagPort; the flag's exposure, measured from the simulated
// users' own unleash-client evaluations, tracks the canary weight and drops on rollback.

/** 10,000 users hashed into 100 buckets: the measured share is within a point of the percent. */
const SAMPLING = 1.5;

describe('demo --with-flags', function () {
  this.timeout(300_000);
  let result: DemoRun;
  let rollouts: FlagRolloutSummary[];

  before(async () => {
    result = await runDemo(['--with-flags', '--json']);
    const lines = result.stdout.trim().split('\n');
    expect(lines, result.stderr.slice(-3000)).to.have.length(1);
    rollouts = (JSON.parse(lines[0] as string) as { rollouts: FlagRolloutSummary[] }).rollouts;
  });

  it('exits 0 with the healthy release promoted and the bad one rolled back', () => {
    expect(result.code, result.stderr.slice(-3000)).to.equal(0);
    expect(rollouts.map((r) => [r.name, r.outcome])).to.deep.equal([
      ['shop v2', 'Promoted'],
      ['shop v3', 'RolledBack'],
    ]);
  });

  it('keeps the share of users who see the feature at the canary weight at every step', () => {
    for (const r of rollouts) {
      const steps = r.flagExposure.filter((e) => typeof e.step === 'number');
      expect(
        steps.some((e) => e.canaryWeight > 0),
        r.name,
      ).to.equal(true);
      for (const e of steps)
        expect(
          Math.abs(e.exposedPercent - e.canaryWeight),
          `${r.name} ${JSON.stringify(e)}`,
        ).to.be.at.most(SAMPLING);
    }
    const v2 = rollouts[0]?.flagExposure.filter((e) => typeof e.step === 'number') ?? [];
    expect(v2.map((e) => e.canaryWeight)).to.include.members([20, 50]);
  });

  it('ends with the flag at 100% after promotion and back at 0% after the rollback', () => {
    const [v2, v3] = rollouts;
    expect(v2?.flagAfter).to.equal(100);
    expect(v2?.flagExposure.at(-1)).to.deep.include({ step: 'promoted', exposedPercent: 100 });
    expect(v3?.flagAfter).to.equal(0);
    expect(v3?.flagExposure.at(-1)).to.deep.include({
      step: 'rolledBack',
      canaryWeight: 0,
      exposedPercent: 0,
    });
    expect(Math.max(...(v3?.flagExposure.map((e) => e.exposedPercent) ?? []))).to.be.above(10);
  });

  it('prints the canary weight and the exposed share side by side', () => {
    expect(result.stderr).to.match(
      /step \d+: canary weight 20% \| users seeing the feature (19|20|21)(\.\d)?%/,
    );
    expect(result.stderr).to.contain('rolled back: canary weight 0% | users seeing the feature 0%');
  });
});

interface Info {
  apiUrl: string;
  adminToken: string;
  viewerToken: string;
  unleash?: { url: string; flag: string };
}

describe('demo --serve --with-flags', function () {
  this.timeout(120_000);
  let demo: ServingDemo<Info> | undefined;
  let info: Info;

  before(async () => {
    demo = await startServingDemo<Info>(['--with-flags', '--json']);
    info = demo.info;
  });
  after(async function () {
    this.timeout(30_000);
    await demo?.stop();
  });

  const call = (path: string, token: string, body?: unknown) =>
    fetch(`${info.apiUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(10_000),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it("serves the flag routes over the demo's Unleash to the admin token only", async () => {
    expect(info.unleash?.flag).to.equal('shop-new-checkout');
    const flag = info.unleash?.flag ?? '';
    const got = await call(`/api/v1/flags/${flag}`, info.adminToken);
    expect(got.status).to.equal(200);
    expect(((await got.json()) as { rollout: { percent: number } }).rollout.percent).to.equal(0);
    const refused = await call(`/api/v1/flags/${flag}/percentage`, info.viewerToken, {
      percent: 5,
    });
    expect(refused.status).to.equal(403);
    const set = await call(`/api/v1/flags/${flag}/percentage`, info.adminToken, { percent: 5 });
    expect(set.status).to.equal(200);
    expect(
      ((await set.json()) as { flag: { rollout: { percent: number } } }).flag.rollout.percent,
    ).to.equal(5);
  });
});
