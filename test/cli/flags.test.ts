import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { UnleashAdmin } from '../../src/adapters/unleash/admin.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { runCli, type CliIO } from '../../src/cli/main.js';
import { makeTestApi, TOKENS, type TestApi } from '../api/support.js';
import {
  adminCall,
  createRolloutFlag,
  startUnleashFixture,
  type UnleashFixture,
} from '../support/unleash.js';

// `sluice flags ...` through the control API to a real unleash-server.

describe('sluice flags', function () {
  this.timeout(60_000);
  let fixture: UnleashFixture;
  let t: TestApi;
  let server: RunningServer;

  before(async () => {
    fixture = await startUnleashFixture();
    await createRolloutFlag(fixture.unleash, 'checkout-v2', { rollout: 0, stickiness: 'userId' });
    t = await makeTestApi({
      flags: new UnleashAdmin({ url: fixture.unleash.url, token: fixture.unleash.adminToken }),
      flagDefaults: { project: 'default', environment: 'development' },
    });
    server = await startServer({ app: t.app, port: 0 });
  });
  after(async () => {
    await server?.close();
    await t?.close();
    await fixture?.close();
  });

  async function cli(argv: string[], token = TOKENS.admin) {
    let out = '';
    let err = '';
    const io: CliIO = {
      stdout: { write: (s: string) => (out += s), isTTY: false },
      stderr: { write: (s: string) => (err += s) },
      env: { SLUICE_URL: server.url, SLUICE_TOKEN: token },
      home: undefined,
    };
    const code = await runCli(argv, io);
    return { code, out, err };
  }

  async function rolloutParam(): Promise<string | undefined> {
    const s = (await adminCall(fixture.unleash, {
      method: 'GET',
      path: '/api/admin/projects/default/features/checkout-v2/environments/development/strategies',
    })) as Array<{ parameters: Record<string, string> }>;
    return s[0]?.parameters.rollout;
  }

  it('lists flags as a table and as JSON', async () => {
    const table = await cli(['flags', 'list']);
    expect(table.code).to.equal(0);
    expect(table.out).to.match(/^NAME\s+TYPE\s+ENABLED\(development\)/);
    expect(table.out).to.match(/checkout-v2\s+release\s+yes/);
    const json = await cli(['-o', 'json', 'flags', 'list', '--environment', 'production']);
    expect(json.code).to.equal(0);
    const body = JSON.parse(json.out) as { environment: string; items: Array<{ name: string }> };
    expect(body.environment).to.equal('production');
    expect(body.items.map((i) => i.name)).to.include('checkout-v2');
  });

  it('sets the percentage and shows it with get', async () => {
    const set = await cli(['flags', 'set-percent', 'checkout-v2', '40']);
    expect(set.code, set.err).to.equal(0);
    expect(set.out).to.contain('changed: checkout-v2 in default/development: on, 40%');
    expect(await rolloutParam()).to.equal('40');
    const get = await cli(['flags', 'get', 'checkout-v2']);
    expect(get.out).to.match(/Rollout:\s+40% \(group checkout-v2, stickiness userId\)/);
  });

  it('disables, enables and sets variants', async () => {
    expect((await cli(['flags', 'disable', 'checkout-v2'])).out).to.contain(': off, 40%');
    expect((await cli(['flags', 'enable', 'checkout-v2'])).out).to.contain(': on, 40%');
    const v = await cli(['flags', 'set-variants', 'checkout-v2', 'A=300', 'B=700:blue']);
    expect(v.code, v.err).to.equal(0);
    expect(v.out).to.contain('variants A=300 B=700');
    const actions = (await readFile(t.auditPath, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { action: string }).action);
    expect(actions).to.deep.equal([
      'flag.percentage',
      'flag.disable',
      'flag.enable',
      'flag.variants',
    ]);
  });

  it('refuses a bad percentage before calling the API', async () => {
    const r = await cli(['flags', 'set-percent', 'checkout-v2', '150']);
    expect(r.code).to.equal(3);
    expect(r.err).to.contain('<percent> must be an integer from 0 to 100');
    expect(await rolloutParam()).to.equal('40');
  });

  it('says "not allowed" to an operator and "not found" for a missing flag', async () => {
    const op = await cli(['flags', 'set-percent', 'checkout-v2', '10'], TOKENS.operator);
    expect(op.code).to.equal(3);
    expect(op.err).to.match(/not allowed: .*needs admin/);
    const missing = await cli(['flags', 'get', 'nope']);
    expect(missing.code).to.equal(3);
    expect(missing.err).to.match(/not found: flag nope does not exist/);
  });
});
