import { expect } from 'chai';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { KubeSloBackend } from '../../src/api/slo-backend.js';
import type { SloView } from '../../src/api/slo-view.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { runCli, type CliIO } from '../../src/cli/main.js';
import { SLO_NS, startSloSandbox, type SloSandbox } from '../api/slo-fixture.js';
import { makeTestApi, TOKENS, type TestApi } from '../api/support.js';
import { findTool, runTool } from '../integration/slo-support.js';

// `sluice slo ...` in-process against the real control API, backed by the sandbox API server.

interface Captured {
  code: number;
  out: string;
  err: string;
}

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples', 'slo');

describe('sluice slo', function () {
  this.timeout(30_000);
  let sandbox: SloSandbox;
  let t: TestApi;
  let server: RunningServer;
  let dir: string;

  before(async () => {
    sandbox = await startSloSandbox();
    t = await makeTestApi({ slos: new KubeSloBackend(sandbox.kubeConfig, { timeoutMs: 5000 }) });
    server = await startServer({ app: t.app, port: 0 });
    dir = await mkdtemp(join(tmpdir(), 'sluice-slo-cli-'));
  });
  after(async () => {
    await server?.close();
    await t?.close();
    await sandbox?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function cli(argv: string[]): Promise<Captured> {
    let out = '';
    let err = '';
    const io: CliIO = {
      stdout: { write: (s: string) => (out += s), isTTY: false },
      stderr: { write: (s: string) => (err += s) },
      env: { SLUICE_URL: server.url, SLUICE_TOKEN: TOKENS.viewer },
      home: dir,
    };
    return { code: await runCli(argv, io), out, err };
  }

  it('lists SLOs with budget as a percentage, burn rates and firing alerts', async () => {
    const r = await cli(['-n', SLO_NS, 'slo', 'list']);
    expect(r.code, r.err).to.equal(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).to.match(
      /^NAME\s+SERVICE\s+OBJECTIVE\s+WINDOW\s+BUDGET LEFT\s+BURN 5M\s+BURN 1H/,
    );
    expect(r.out).to.match(
      /shop-availability\s+shop\s+99\.9%\s+28d\s+40%\s+20\s+15\s+-\s+page\(1h\/5m>14\.4\)/,
    );
    expect(r.out).to.match(/shop-new\s+shop\s+99\.99%\s+28d\s+-\s+-\s+-\s+-\s+-/);
  });

  it('lists only one service with --service', async () => {
    expect((await cli(['-n', SLO_NS, 'slo', 'list', '--service', 'shop'])).out).to.contain(
      'shop-availability',
    );
    const none = await cli(['-n', SLO_NS, 'slo', 'list', '--service', 'cart']);
    expect(none.code).to.equal(0);
    expect(none.out).to.equal(`No SLOs of service cart in namespace ${SLO_NS}.\n`);
  });

  it('gets one SLO as a table, as JSON and as YAML', async () => {
    const table = await cli(['-n', SLO_NS, 'slo', 'get', 'shop-availability']);
    expect(table.out).to.contain('Budget left: 40% (consumed 60%)');
    expect(table.out).to.match(/ 30m\s+-\n/);
    expect(table.out).to.contain('Alerts:      page(1h/5m>14.4)');
    const json = JSON.parse(
      (await cli(['-n', SLO_NS, '-o', 'json', 'slo', 'get', 'shop-availability'])).out,
    ) as SloView;
    expect(json.status.errorBudgetRemaining).to.equal(0.4);
    const yaml = parseYaml(
      (await cli(['-n', SLO_NS, '-o', 'yaml', 'slo', 'list'])).out,
    ) as SloView[];
    expect(yaml).to.have.length(2);
  });

  it('says which SLO is missing', async () => {
    const r = await cli(['-n', SLO_NS, 'slo', 'get', 'nope']);
    expect(r.code).to.not.equal(0);
    expect(r.err).to.contain(`ServiceLevelObjective ${SLO_NS}/nope not found`);
    expect(r.err).to.contain(`sluice -n ${SLO_NS} slo list`);
    expect(r.err).to.not.contain('--project');
  });

  it('prints rules promtool accepts, for the SLOs the API lists and for the example files', async () => {
    const promtool = await findTool('promtool');
    const fromApi = await cli(['-n', SLO_NS, 'slo', 'rules']);
    expect(fromApi.code, fromApi.err).to.equal(0);
    expect(fromApi.out).to.contain(`sluice-slo-${SLO_NS}-shop-new`);
    const files = (await readdir(EXAMPLES)).map((f) => join(EXAMPLES, f));
    const fromFiles = await cli(['slo', 'rules', '-f', ...files]);
    expect(fromFiles.code, fromFiles.err).to.equal(0);
    for (const [name, text] of [
      ['api.yaml', fromApi.out],
      ['files.yaml', fromFiles.out],
    ] as const) {
      await writeFile(join(dir, name), text);
      const check = await runTool(promtool, ['check', 'rules', join(dir, name)]);
      expect(check.code, check.output).to.equal(0);
    }
    expect(fromFiles.out).to.contain('sluice-slo-demo-shop-latency-p99');
  });

  it('reads multi-document files, skips other kinds and names file and field when one is wrong', async () => {
    const good = `apiVersion: sluice.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: a}
spec:
  service: a
  objective: 99.5
  sli: {kind: availability, goodQuery: 'sum(rate(g[{{window}}]))', totalQuery: 'sum(rate(t[{{window}}]))'}
`;
    const file = join(dir, 'multi.yaml');
    await writeFile(
      file,
      `${good}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n${good.replace('name: a', 'name: b').replace("[{{window}}]))'}", "[5m]))'}")}`,
    );
    const r = await cli(['-n', 'team', 'slo', 'rules', '-f', file]);
    expect(r.code).to.not.equal(0);
    expect(r.err).to.contain(
      `${file} (document 3): ServiceLevelObjective team/b: spec.sli.totalQuery`,
    );
    await writeFile(file, `${good}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n`);
    const ok = await cli(['-n', 'team', 'slo', 'rules', '-f', file]);
    expect(ok.code, ok.err).to.equal(0);
    expect(ok.out).to.contain('sluice-slo-team-a');
  });
});
