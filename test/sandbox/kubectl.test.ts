import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl, writeKubeconfig, type KubectlResult } from '../support/kube.js';
import { startSandbox, type Sandbox } from './helpers.js';

const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

describe('sandbox API server through kubectl 1.32', () => {
  let sb: Sandbox;
  let dir: string;
  let kubeconfig: string;
  const run = (args: string[], input?: string): Promise<KubectlResult> =>
    kubectl(args, { kubeconfig, workDir: dir, ...(input === undefined ? {} : { input }) });
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await run(args, input);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };

  before(async () => {
    sb = await startSandbox();
    dir = mkdtempSync(join(tmpdir(), 'sluice-kubectl-'));
    kubeconfig = writeKubeconfig(sb.server.url, dir);
  });
  after(async () => {
    await sb.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the server version and lists resources with short names', async () => {
    expect(await ok(['version'])).to.contain('Server Version: v1.32');
    const resources = await ok(['api-resources']);
    expect(resources).to.match(/rollouts\s+ro\s+sluice\.dev\/v1alpha1\s+true\s+Rollout/);
    expect(resources).to.match(/clusteranalysistemplates\s+cat\s+sluice\.dev\/v1alpha1\s+false/);
    expect(resources).to.match(/virtualservices\s+vs\s+networking\.istio\.io\/v1\s+true/);
  });

  it('applies the examples directory, and a second apply leaves everything unchanged', async () => {
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n');
    const first = await ok(['apply', '-f', EXAMPLES]);
    expect(first).to.contain('rollout.sluice.dev/shop created');
    expect(first).to.contain('virtualservice.networking.istio.io/shop created');
    const second = await ok(['apply', '-f', EXAMPLES]);
    expect(second).to.contain('rollout.sluice.dev/shop unchanged');
    expect(second).to.not.contain('created');
  });

  it('shows the CRD printer columns in kubectl get rollouts', async () => {
    await sb.custom.patchNamespacedCustomObjectStatus({
      group: 'sluice.dev',
      version: 'v1alpha1',
      namespace: 'demo',
      plural: 'rollouts',
      name: 'shop',
      body: [
        {
          op: 'add',
          path: '/status',
          value: { phase: 'Progressing', currentStepIndex: 1, weights: { stable: 80, canary: 20 } },
        },
      ],
    });
    const out = await ok(['get', 'rollouts', '-n', 'demo']);
    const [header, ...rows] = out.trim().split('\n');
    expect(header).to.match(/^NAME\s+PHASE/);
    expect(header).to.contain('AGE');
    const shop = rows.find((r) => r.startsWith('shop '));
    expect(shop).to.match(/Progressing/);
    expect(shop).to.match(/\b20\b/);
  });

  it('patches with --type=json, and reports a failed test operation', async () => {
    const patch = JSON.stringify([
      { op: 'test', path: '/spec/hosts/0', value: 'shop' },
      { op: 'add', path: '/metadata/labels', value: { touched: 'yes' } },
    ]);
    expect(await ok(['patch', 'vs', 'shop', '-n', 'demo', '--type=json', '-p', patch])).to.contain(
      'patched',
    );
    expect(
      await ok(['get', 'vs', 'shop', '-n', 'demo', '-o', 'jsonpath={.metadata.labels.touched}']),
    ).to.equal('yes');
    const failed = await run([
      'patch',
      'vs',
      'shop',
      '-n',
      'demo',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'test', path: '/spec/hosts/0', value: 'nope' }]),
    ]);
    expect(failed.code).to.not.equal(0);
    expect(failed.stderr).to.contain('testing value /spec/hosts/0 failed');
  });

  it('shows schema errors naming the field when kubectl applies an invalid object', async () => {
    const bad = [
      'apiVersion: test.sluice.dev/v1',
      'kind: Widget',
      'metadata:',
      '  name: bad',
      'spec:',
      '  size: 50',
      '',
    ].join('\n');
    const r = await run(['apply', '-f', '-'], bad);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('spec.size');
    expect(r.stderr).to.contain('less than or equal to 10');
  });

  it('waits with --for=jsonpath until a status write lands', async () => {
    await ok(
      ['apply', '-f', '-'],
      [
        'apiVersion: test.sluice.dev/v1',
        'kind: Widget',
        'metadata:',
        '  name: waited',
        'spec:',
        '  size: 2',
        '',
      ].join('\n'),
    );
    const waiting = run([
      'wait',
      'widget/waited',
      '--for=jsonpath={.status.phase}=Ready',
      '--timeout=10s',
    ]);
    await new Promise((r) => setTimeout(r, 300));
    await sb.custom.patchNamespacedCustomObjectStatus({
      group: 'test.sluice.dev',
      version: 'v1',
      namespace: 'default',
      plural: 'widgets',
      name: 'waited',
      body: [{ op: 'add', path: '/status', value: { phase: 'Ready' } }],
    });
    const r = await waiting;
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('condition met');
  });

  it('follows changes with kubectl get -w, printing the header once', async () => {
    const watching = run(['get', 'widgets', '-w', '--request-timeout=2s']);
    await new Promise((r) => setTimeout(r, 500));
    await ok(
      ['apply', '-f', '-'],
      [
        'apiVersion: test.sluice.dev/v1',
        'kind: Widget',
        'metadata:',
        '  name: watched',
        'spec:',
        '  size: 7',
        '',
      ].join('\n'),
    );
    const r = await watching;
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('NAME'))).to.have.length(1);
    expect(lines.some((l) => /^watched\s+7\b/.test(l))).to.equal(true);
  });

  it('shows the events of a Rollout in kubectl describe', async () => {
    const uid = await ok([
      'get',
      'rollout',
      'shop',
      '-n',
      'demo',
      '-o',
      'jsonpath={.metadata.uid}',
    ]);
    await sb.core.createNamespacedEvent({
      namespace: 'demo',
      body: {
        metadata: { name: 'shop.weight' },
        involvedObject: {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'Rollout',
          name: 'shop',
          namespace: 'demo',
          uid,
        },
        reason: 'WeightChanged',
        message: 'canary weight 20',
        type: 'Normal',
        source: { component: 'sluice' },
      },
    });
    const out = await ok(['describe', 'rollout', 'shop', '-n', 'demo']);
    expect(out).to.match(/Normal\s+WeightChanged\s+.*canary weight 20/);
  });

  it('explains custom resource fields from the CRD schema', async () => {
    const out = await ok(['explain', 'widgets.spec.color']);
    expect(out).to.match(/ENUM:\s+red\s+green\s+blue/);
    expect(await ok(['explain', 'rollouts.spec.strategy'])).to.contain('canary');
  });

  it('scales a Deployment, lists across namespaces and deletes', async () => {
    await ok(['scale', 'deployment', 'shop', '-n', 'demo', '--replicas=4']);
    expect(
      await ok(['get', 'deploy', 'shop', '-n', 'demo', '-o', 'jsonpath={.spec.replicas}']),
    ).to.equal('4');
    const all = await ok(['get', 'vs', '-A']);
    expect(all).to.match(/demo\s+shop/);
    await ok(['delete', 'widget', 'waited']);
    expect(sb.server.store.get('widgets', 'default', 'waited')).to.equal(undefined);
  });

  it('creates namespaces, configmaps and secrets from kubectl generators (protobuf bodies)', async () => {
    await ok(['create', 'namespace', 'gen']);
    await ok(['create', 'configmap', 'settings', '-n', 'gen', '--from-literal=mode=fast']);
    await ok(['create', 'secret', 'generic', 'token', '-n', 'gen', '--from-literal=pw=s3cret']);
    expect(sb.server.store.get('configmaps', 'gen', 'settings')?.['data']).to.deep.equal({
      mode: 'fast',
    });
    const data = sb.server.store.get('secrets', 'gen', 'token')?.['data'] as Record<string, string>;
    expect(Buffer.from(data['pw'] ?? '', 'base64').toString()).to.equal('s3cret');
    const refused = await run(['create', 'deployment', 'gen-d', '-n', 'gen', '--image=x']);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.contain('send JSON');
  });

  it('keeps the kubectl discovery cache inside the temp dir of the test', () => {
    expect(existsSync(join(dir, 'kube-cache', 'discovery'))).to.equal(true);
  });
});
