import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { runCli, type CliIO } from '../../src/cli/main.js';
import type { RolloutStatus } from '../../src/domain/types.js';
import { makeRollout, makeTestApi, TOKENS, type TestApi } from '../api/support.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface Captured {
  code: number;
  out: string;
  err: string;
}

describe('sluice CLI', () => {
  let t: TestApi;
  let server: RunningServer;
  let home: string;

  before(async () => {
    t = await makeTestApi();
    server = await startServer({ app: t.app, port: 0 });
    home = await mkdtemp(join(tmpdir(), 'sluice-cli-home-'));
  });
  after(async () => {
    await server?.close();
    await t?.close();
    await rm(home, { recursive: true, force: true });
  });
  beforeEach(() => {
    t.backend.rollouts.clear();
    t.backend.put(makeRollout('checkout', 'Paused', 2));
    t.backend.put(makeRollout('cart', 'Healthy', 4));
  });

  async function cli(
    argv: string[],
    opts: {
      token?: string;
      tty?: boolean;
      onSleep?: (n: number) => void;
      env?: Record<string, string>;
    } = {},
  ): Promise<Captured> {
    let out = '';
    let err = '';
    let clock = 0;
    let sleeps = 0;
    const io: CliIO = {
      stdout: { write: (s: string) => (out += s), isTTY: opts.tty ?? false },
      stderr: { write: (s: string) => (err += s) },
      env: { SLUICE_URL: server.url, SLUICE_TOKEN: opts.token ?? TOKENS.operator, ...opts.env },
      home,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
        opts.onSleep?.(++sleeps);
      },
    };
    const code = await runCli(argv, io);
    return { code, out, err };
  }

  function setStatus(name: string, status: RolloutStatus): void {
    const r = t.backend.rollouts.get(`shop/${name}`);
    if (!r) throw new Error(`no rollout ${name}`);
    r.status = { ...r.status, ...status };
  }

  it('lists rollouts as a table', async () => {
    const r = await cli(['list']);
    expect(r.code).to.equal(0);
    expect(r.out.split('\n')[0]).to.match(/^NAMESPACE\s+NAME\s+STRATEGY\s+PHASE\s+STEP/);
    expect(r.out).to.match(/shop\s+checkout\s+canary\s+Paused\s+3\/5\s+75\/25/);
  });

  it('gets one rollout as JSON and as YAML', async () => {
    const json = await cli(['get', 'shop/checkout', '-o', 'json']);
    expect(JSON.parse(json.out)).to.include({ name: 'checkout', phase: 'Paused' });
    const yaml = await cli(['-n', 'shop', 'get', 'checkout', '--output', 'yaml']);
    expect((parseYaml(yaml.out) as { weights: unknown }).weights).to.deep.equal({
      stable: 75,
      canary: 25,
    });
  });

  it('shows measurements against their thresholds in the table view', async () => {
    const r = await cli(['get', 'shop/checkout']);
    expect(r.out).to.contain('success-rate: 0.997 vs result[0] >= 0.95 -> Successful');
  });

  it('records promote with an expected step and prints where to watch', async () => {
    const r = await cli(['promote', 'shop/checkout', '--expected-step', '2']);
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/promote recorded for shop\/checkout .*sluice watch shop\/checkout/);
    expect(t.backend.rollouts.get('shop/checkout')?.metadata.annotations).to.have.property(
      'sluice.dev/promote',
    );
  });

  it('sends promote --full, abort --reason, pause, resume and retry', async () => {
    expect((await cli(['promote', 'shop/checkout', '--full', '-o', 'json'])).out).to.contain(
      '"promoteFull"',
    );
    expect((await cli(['abort', 'shop/checkout', '--reason', 'p99'])).code).to.equal(0);
    setStatus('checkout', { phase: 'Aborted' });
    expect((await cli(['retry', 'shop/checkout'])).code).to.equal(0);
    setStatus('checkout', { phase: 'Progressing' });
    expect((await cli(['pause', 'shop/checkout', '--reason', 'look'])).code).to.equal(0);
    setStatus('checkout', { phase: 'Paused' });
    expect((await cli(['resume', 'shop/checkout'])).code).to.equal(0);
  });

  it('explains 401, 403, 404 and 409 clearly and exits 3', async () => {
    const unauth = await cli(['get', 'shop/checkout'], { token: 'wrong' });
    expect(unauth.code).to.equal(3);
    expect(unauth.err).to.match(/not authenticated: .*SLUICE_TOKEN/);
    const forbidden = await cli(['pause', 'shop/checkout'], { token: TOKENS.viewer });
    expect(forbidden.err).to.match(/not allowed: .*viewer/);
    const missing = await cli(['get', 'shop/none']);
    expect(missing.err).to.match(/not found: .*--namespace/);
    const conflict = await cli(['abort', 'shop/cart', '--reason', 'x']);
    expect(conflict.code).to.equal(3);
    expect(conflict.err).to.match(/refused: .*phase is Healthy/);
  });

  it('insists on --reason for abort', async () => {
    const r = await cli(['abort', 'shop/checkout']);
    expect(r.code).to.equal(3);
    expect(r.err).to.contain("required option '--reason <text>'");
  });

  it('reads URL and token from ~/.config/sluice/config.yaml when flags and env are absent', async () => {
    await mkdir(join(home, '.config', 'sluice'), { recursive: true });
    await writeFile(
      join(home, '.config', 'sluice', 'config.yaml'),
      `url: ${server.url}\ntoken: ${TOKENS.viewer}\n`,
    );
    let out = '';
    const code = await runCli(['get', 'shop/checkout', '-o', 'json'], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => true },
      env: {},
      home,
    });
    expect(code).to.equal(0);
    expect(JSON.parse(out).name).to.equal('checkout');
    const flagWins = await cli(['--token', 'bad', 'get', 'shop/checkout']);
    expect(flagWins.code).to.equal(3);
  });

  describe('wait', () => {
    it('exits 0 once the release is promoted and Healthy', async () => {
      setStatus('checkout', { phase: 'Progressing' });
      const r = await cli(['wait', 'shop/checkout', '--timeout', '1m', '--interval', '1s'], {
        onSleep: (n) =>
          n === 3 && setStatus('checkout', { phase: 'Healthy', stableRevision: 'bbb222' }),
      });
      expect(r.code).to.equal(0);
      expect(r.out).to.match(/^promoted: Healthy/);
      expect(r.err).to.contain('Progressing').and.to.contain('Healthy');
    });

    it('exits 1 when the rollout is aborted', async () => {
      const r = await cli(['wait', 'shop/checkout', '--interval', '1s'], {
        onSleep: (n) =>
          n === 2 &&
          setStatus('checkout', { phase: 'Aborted', weights: { stable: 100, canary: 0 } }),
      });
      expect(r.code).to.equal(1);
    });

    it('exits 2 on timeout', async () => {
      const r = await cli(['wait', 'shop/checkout', '--timeout', '10s', '--interval', '3s']);
      expect(r.code).to.equal(2);
      expect(r.out).to.match(/^timeout/);
    });

    it('does not count a Healthy rollout that has not started the release yet', async () => {
      const r = await cli(['wait', 'shop/cart', '--timeout', '5s', '--interval', '1s']);
      expect(r.code).to.equal(2);
      const accept = await cli(['wait', 'shop/cart', '--accept-current']);
      expect(accept.code).to.equal(0);
    });
  });

  describe('watch', () => {
    it('prints one plain line per change when piped', async () => {
      const r = await cli(['watch', 'shop/checkout', '--interval', '1s', '--until-done'], {
        onSleep: (n) => {
          if (n === 2)
            setStatus('checkout', {
              phase: 'Progressing',
              currentStepIndex: 3,
              weights: { stable: 50, canary: 50 },
            });
          if (n === 4)
            setStatus('checkout', { phase: 'Healthy', weights: { stable: 100, canary: 0 } });
        },
      });
      expect(r.code).to.equal(0);
      const lines = r.out.trim().split('\n');
      expect(lines).to.have.length(3);
      expect(lines[1]).to.match(
        /Progressing step=4\/5 weights=50\/50 success-rate: 0.997 vs result\[0\] >= 0.95/,
      );
      expect(r.out).not.to.contain('\x1b[');
    });

    it('draws a progress bar in place in a terminal', async () => {
      const r = await cli(['watch', 'shop/checkout', '--interval', '1s', '--until-done'], {
        tty: true,
        onSleep: (n) =>
          n === 1 &&
          setStatus('checkout', { phase: 'Aborted', weights: { stable: 100, canary: 0 } }),
      });
      expect(r.code).to.equal(1);
      expect(r.out).to.contain('[########......................]  25%');
      expect(r.out).to.contain('\x1b[3F\x1b[J');
    });
  });

  it('verifies an audit log and reports the first tampered record', async () => {
    await cli(['promote', 'shop/checkout']);
    await cli(['abort', 'shop/checkout', '--reason', 'x']);
    const good = await cli(['audit', 'verify', t.auditPath], {
      env: { SLUICE_AUDIT_KEY: 'audit-key' },
    });
    expect(good.code).to.equal(0);
    expect(good.out).to.match(/^ok: \d+ records, chain intact, HMACs match/);
    const copy = join(home, 'audit-copy.jsonl');
    const text = await readFile(t.auditPath, 'utf8');
    await writeFile(copy, text.replace('rollout.promote', 'rollout.pause'));
    const bad = await cli(['audit', 'verify', copy, '-o', 'json'], {
      env: { SLUICE_AUDIT_KEY: 'audit-key' },
    });
    expect(bad.code).to.equal(1);
    expect(JSON.parse(bad.out).firstBad).to.include({ line: 1, problem: 'changed' });
  });

  it('runs as a real process through its bin entry', async function () {
    this.timeout(30_000);
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', MAIN, 'list', '-o', 'json'],
      {
        env: { ...process.env, SLUICE_URL: server.url, SLUICE_TOKEN: TOKENS.viewer, HOME: home },
      },
    );
    expect((JSON.parse(stdout) as unknown[]).length).to.equal(2);
    const failed = await run(process.execPath, ['--import', 'tsx', MAIN, 'get', 'shop/nope'], {
      env: { ...process.env, SLUICE_URL: server.url, SLUICE_TOKEN: TOKENS.viewer, HOME: home },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).to.equal(3);
  });
});
