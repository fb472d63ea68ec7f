import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { readFile, readdir } from 'node:fs/promises';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ROOT, startServingDemo, type ServingDemo } from '../support/demo-process.js';
import { kubeConfigFor } from '../support/kube.js';

// `npm run demo -- --serve --json` as a pipeline would use it: read the first line, send a
// signed GitHub webhook that starts a release, then `sluice wait` for the outcome.

interface Info {
  apiUrl: string;
  kubeApiUrl: string;
  operatorToken: string;
  viewerToken: string;
  webhookSecret: string;
  rollout: { namespace: string; name: string };
}

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'src/cli/main.ts'), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out }));
  });
}

describe('demo --serve (end to end)', function () {
  this.timeout(180_000);
  let demo: ServingDemo<Info> | undefined;
  let info: Info;

  before(async () => {
    demo = await startServingDemo<Info>(['--json']);
    info = demo.info;
  });

  after(async () => {
    await demo?.stop();
  });

  it('prints one JSON line with the API, the tokens, the webhook secret and the rollout', () => {
    expect(info.apiUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.operatorToken).to.be.a('string').with.length.above(20);
    expect(info.viewerToken).to.not.equal(info.operatorToken);
    expect(info.rollout).to.deep.equal({ namespace: 'demo', name: 'shop' });
    // Every key the README lists.
    for (const key of ['adminToken', 'kubeApiUrl', 'prometheusUrl', 'proxyUrl'])
      expect(info, key).to.have.property(key).that.is.a('string');
  });

  it('answers /readyz after asking the sandbox API server and Prometheus', async () => {
    const res = await fetch(`${info.apiUrl}/readyz`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { checks: Record<string, string> };
    expect(body.checks).to.include({ apiserver: 'ok', prometheus: 'ok', leadership: 'ok' });
  });

  it('refuses a wrong token with 401 and a viewer command with 403', async () => {
    const url = `${info.apiUrl}/api/v1/namespaces/demo/rollouts/shop`;
    expect((await fetch(url, { headers: { authorization: 'Bearer nope' } })).status).to.equal(401);
    const res = await fetch(`${url}/pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${info.viewerToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).to.equal(403);
  });

  it('starts a release from a signed workflow_run webhook, and `sluice wait` reports it promoted', async () => {
    const body = JSON.stringify({
      action: 'completed',
      workflow_run: {
        name: 'build',
        conclusion: 'success',
        head_sha: 'a1b2c3d4e5f6a7b8',
        head_branch: 'main',
      },
      repository: { full_name: 'acme/shop' },
    });
    const signature = `sha256=${createHmac('sha256', info.webhookSecret).update(body).digest('hex')}`;
    const res = await fetch(`${info.apiUrl}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'workflow_run',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signature,
      },
      body,
    });
    expect(res.status).to.equal(202);
    const env = { SLUICE_URL: info.apiUrl, SLUICE_TOKEN: info.operatorToken };
    const waited = await runCli(
      ['wait', 'demo/shop', '--timeout', '150s', '--interval', '1s', '--accept-current'],
      env,
    );
    const got = await runCli(['get', 'demo/shop', '-o', 'json'], env);
    expect(waited.code, waited.out).to.equal(0);
    const rollout = JSON.parse(got.out) as { phase?: string; status?: { phase?: string } };
    expect(rollout.phase ?? rollout.status?.phase).to.equal('Healthy');
    const dep = await fetch(`${info.apiUrl}/api/v1/namespaces/demo/rollouts/shop`, {
      headers: { authorization: `Bearer ${info.viewerToken}` },
    });
    expect(JSON.stringify(await dep.json())).to.match(/revision|stable/i);
  });

  it('evaluates the shipped SLOs applied to the sandbox, and `sluice slo list` shows their budget', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kubeConfigFor(info.kubeApiUrl));
    const dir = resolve(ROOT, 'examples/slo');
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml')))
      for (const doc of parseAllDocuments(await readFile(resolve(dir, file), 'utf8')))
        await objects.create(doc.toJS() as KubernetesObject);
    const env = { SLUICE_URL: info.apiUrl, SLUICE_TOKEN: info.viewerToken };
    let items: Array<{ name: string; status: { errorBudgetRemaining: number | null } }> = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const r = await runCli(['-n', 'demo', '-o', 'json', 'slo', 'list'], env);
      expect(r.code, r.out).to.equal(0);
      items = JSON.parse(r.out) as typeof items;
      if (items.length === 3 && items.every((i) => i.status.errorBudgetRemaining !== null)) break;
      await new Promise((done) => setTimeout(done, 2000));
    }
    expect(items.map((i) => i.name).sort()).to.deep.equal([
      'shop-availability',
      'shop-error-rate',
      'shop-latency-p99',
    ]);
    // The demo's load runs against a healthy version: budget left, and a number for each.
    for (const i of items) expect(i.status.errorBudgetRemaining, i.name).to.be.within(-1e9, 1);
  });
});
