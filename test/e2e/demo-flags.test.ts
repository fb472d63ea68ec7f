import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlagRolloutSummary } from '../../src/sandbox/demo/flags-demo.js';

// `npm run demo -- --with-flags --json` as a user runs it: PostgreSQL, unleash-server, the
// sandbox and the controller with a FlagPort; the flag's exposure, measured from the simulated
// users' own unleash-client evaluations, tracks the canary weight and drops on rollback.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEMO = ['--import', 'tsx', resolve(ROOT, 'src/sandbox/demo/main.ts')];
/** 10,000 users hashed into 100 buckets: the measured share is within a point of the percent. */
const SAMPLING = 1.5;

function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...DEMO, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

describe('demo --with-flags', function () {
  this.timeout(300_000);
  let result: { code: number | null; stdout: string; stderr: string };
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

describe('demo --serve --with-flags', function () {
  this.timeout(120_000);
  let child: ChildProcess | undefined;
  let info: {
    apiUrl: string;
    adminToken: string;
    viewerToken: string;
    unleash?: { url: string; flag: string };
  };

  before(async () => {
    child = spawn(process.execPath, [...DEMO, '--serve', '--with-flags', '--json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout = child.stdout;
    if (!stdout) throw new Error('no stdout');
    const first = await new Promise<string>((done, fail) => {
      createInterface({ input: stdout }).once('line', done);
      child?.once('exit', (code) => fail(new Error(`demo --serve exited with ${code} early`)));
    });
    info = JSON.parse(first) as typeof info;
  });
  after(async function () {
    this.timeout(30_000);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGINT');
    await exited;
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
