import { expect } from 'chai';
import fc from 'fast-check';
import { failureSchedule, seededRandom } from '../../examples/app/app.js';
import { readAppConfig } from '../../examples/app/config.js';
import { spawnApp, type AppProcess } from '../../examples/app/spawn.js';

// The example app sits behind the proxy in every sandbox test; these pin down what they rely on.

describe('example app', function () {
  this.timeout(20_000);

  it('fails exactly floor(n * rate) or one more of any first n requests', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 500 }),
        (rate, n) => {
          const fails = failureSchedule(rate);
          let count = 0;
          for (let i = 0; i < n; i++) if (fails()) count++;
          return count === Math.floor(n * rate) || count === Math.floor(n * rate) + 1;
        },
      ),
    );
    const everyFifth = failureSchedule(0.2);
    expect(Array.from({ length: 10 }, () => everyFifth())).to.deep.equal([
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it('repeats its jitter for the same seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(xs).to.deep.equal(Array.from({ length: 5 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).to.equal(true);
  });

  it('refuses a FAIL_RATE outside 0..1 and a fractional PORT', () => {
    expect(() => readAppConfig({ FAIL_RATE: '1.5' })).to.throw('FAIL_RATE=1.5');
    expect(() => readAppConfig({ PORT: '80.5' })).to.throw('PORT=80.5');
    expect(readAppConfig({ VERSION: 'v3', FAIL_RATE: '0.1' })).to.include({
      version: 'v3',
      failRate: 0.1,
      port: 0,
    });
  });

  describe('as a process', () => {
    let app: AppProcess | undefined;
    before(async function () {
      this.timeout(20_000);
      app = await spawnApp({ version: 'v7', failRate: 0.5, latencyMs: 30 });
    });
    after(async () => {
      await app?.stop();
    });

    it('says hello with its version and fails every second request', async () => {
      if (!app) throw new Error('app did not start');
      const started = Date.now();
      const answers = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${app.url}/`, { signal: AbortSignal.timeout(5000) });
        answers.push([res.status, res.headers.get('x-version'), (await res.text()).trim()]);
      }
      expect(answers).to.deep.equal([
        [200, 'v7', 'hello from v7'],
        [500, 'v7', 'error from v7'],
        [200, 'v7', 'hello from v7'],
        [500, 'v7', 'error from v7'],
      ]);
      expect(Date.now() - started).to.be.at.least(4 * 30);
    });

    it('answers /healthz with 200 at once and unknown paths with 404', async () => {
      if (!app) throw new Error('app did not start');
      const health = await fetch(`${app.url}/healthz`, { signal: AbortSignal.timeout(5000) });
      const missing = await fetch(`${app.url}/nope`, { signal: AbortSignal.timeout(5000) });
      expect([health.status, missing.status]).to.deep.equal([200, 404]);
      expect(health.headers.get('x-version')).to.equal('v7');
    });

    it('exits when stopped', async () => {
      if (!app) throw new Error('app did not start');
      await app.stop();
      let alive = true;
      try {
        process.kill(app.pid, 0);
      } catch {
        alive = false;
      }
      expect(alive).to.equal(false);
    });
  });
});
