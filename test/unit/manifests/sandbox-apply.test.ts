import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startApiServer, type ApiServer } from '../../../src/sandbox/apiserver/server.js';
import { kubectl, writeKubeconfig, type KubectlResult } from '../../support/kube.js';
import { repoPath } from './helpers.js';

// kubectl validates against the sandbox's /openapi/v3 document first, then the server enforces
// the CRD schema again, which is what these tests are about.
const APPLY = ['apply', '-f'];

// The CRDs as a user meets them: real kubectl against the sandbox API server, which loads
// manifests/crds and enforces their schemas.
describe('CRDs through kubectl and the sandbox API server', function () {
  this.timeout(60_000);
  let server: ApiServer | undefined;
  let dir = '';
  let run: (...args: string[]) => Promise<KubectlResult>;
  let runWith: (input: string, ...args: string[]) => Promise<KubectlResult>;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-crd-kubectl-'));
    server = await startApiServer({ port: 0 });
    const kubeconfig = writeKubeconfig(server.url, dir);
    run = (...args) => kubectl(args, { kubeconfig, workDir: dir, timeoutMs: 20_000 });
    runWith = (input, ...args) =>
      kubectl(args, { kubeconfig, workDir: dir, input, timeoutMs: 20_000 });
    const ns = await runWith(
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n',
      ...APPLY,
      '-',
    );
    expect(ns.code, ns.stderr).to.equal(0);
  });

  after(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('accepts the examples and the analysis templates', async () => {
    for (const file of ['examples/rollout.yaml', 'examples/rollout-blue-green.yaml']) {
      const r = await run(...APPLY, repoPath(file));
      expect(r.code, `${file}: ${r.stderr}`).to.equal(0);
    }
    const t = await run(...APPLY, repoPath('analysis-templates/success-rate.yaml'));
    expect(t.code, t.stderr).to.equal(0);
  });

  it('lists rollouts by short name with the printer columns', async () => {
    const r = await run('get', 'ro', '-n', 'demo');
    expect(r.code, r.stderr).to.equal(0);
    const header = r.stdout.split('\n')[0] ?? '';
    for (const column of ['NAME', 'PHASE', 'STEP', 'CANARY WEIGHT', 'STABLE', 'CANDIDATE', 'AGE'])
      expect(header).to.contain(column);
    expect(r.stdout).to.match(/^shop\s/m);
  });

  it('rejects a Rollout with a weight above 100, naming the field', async () => {
    const bad = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: bad, namespace: demo}
spec:
  targetRef: {kind: Deployment, name: bad}
  trafficRouting: {istio: {virtualService: {name: bad, routes: [primary]}}}
  strategy: {canary: {steps: [{setWeight: 20}, {setWeight: 150}]}}
`;
    const r = await runWith(bad, ...APPLY, '-');
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('spec.strategy.canary.steps[1].setWeight');
  });
});
